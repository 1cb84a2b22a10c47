/**
 * What the TAXII routes need from the rest of the node, injected (the routes never import services or storage):
 * authentication, collections with the caller's permissions, paged reads, writes and status resources.
 * Implemented by src/services/taxii-service.ts.
 */
import type { Principal } from '../core/access/principal.js';
import type { TaxiiFilter } from './query.js';
import type { Status, TaxiiCollection } from './types.js';

export interface ApiRootConfig {
  /** The path segment under /taxii2/ (e.g. `api` → /taxii2/api/). */
  readonly name: string;
  readonly title: string;
  readonly description?: string | undefined;
}

export interface TaxiiServerConfig {
  readonly title: string;
  readonly description?: string | undefined;
  readonly contact?: string | undefined;
  readonly apiRoots: readonly ApiRootConfig[];
  /** Largest POST body accepted, in bytes (advertised as max_content_length). */
  readonly maxContentLength: number;
  /**
   * POSTs read or stored at once; one more is answered 503 with Retry-After (each holds its envelope in memory
   * until it is stored: four 34 MB POSTs took a process from 235 to 916 MB). Absent: 4.
   */
  readonly maxConcurrentPosts?: number | undefined;
  /** Page size when the client gives no `limit`, and the most a client may ask for. */
  readonly defaultLimit: number;
  readonly maxLimit: number;
  /** How long status resources are kept (at least 24 h). */
  readonly statusTtlSeconds: number;
  /** HMAC key for `next` cursors; absent = a random key kept in the database, shared by every process. */
  readonly cursorSecret?: string | undefined;
  /**
   * Base URL of absolute API root URLs in discovery (`https://taxii.example.org`). Only an https one is used: TAXII
   * requires HTTPS absolute or relative URLs there, so absent or http means relative ones (`/taxii2/api/`).
   */
  readonly publicUrl?: string | undefined;
  /** Refuse anonymous requests (401) instead of serving what anonymous may read. */
  readonly requireAuth: boolean;
}

/** One entry of a page: an object version in a collection. */
export interface PageItem {
  readonly id: string;
  readonly dateAdded: string;
  /** `modified`, else `created`, else date_added (unversioned objects). */
  readonly version: string;
  readonly specVersion: string;
  /** Exact JSON text of the object ('' for manifest and versions pages). */
  readonly body: string;
}

export interface Page {
  readonly items: readonly PageItem[];
  readonly more: boolean;
  readonly next?: string | undefined;
}

export type ListEndpoint = 'objects' | 'manifest';

/** What the routes know of a request besides its parameters: for the audit log ("from where"). */
export interface RequestContext {
  /** The client's address (IP) as the HTTP server sees it. */
  readonly address?: string | undefined;
}

export interface TaxiiBackend {
  readonly config: TaxiiServerConfig;
  /** ANONYMOUS without a header; UNAUTHENTICATED for bad credentials. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  collections(principal: Principal, root: string): Promise<TaxiiCollection[]>;
  /** NOT_FOUND for unknown collections and for collections the principal can neither read nor write. */
  collection(principal: Principal, root: string, collectionId: string): Promise<TaxiiCollection>;
  list(
    principal: Principal,
    root: string,
    collectionId: string,
    endpoint: ListEndpoint,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<Page>;
  /** Versions of one object (objects/{id}/), NOT_FOUND when the collection has none the caller may see. */
  object(
    principal: Principal,
    root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<Page>;
  versions(
    principal: Principal,
    root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<Page>;
  deleteObject(
    principal: Principal,
    root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<void>;
  /**
   * Reads an envelope (TOO_LARGE past max_content_length, UNPROCESSABLE when it is not an envelope), records a
   * status resource and returns it; the objects are stored afterwards, in batches.
   */
  addObjects(
    principal: Principal,
    root: string,
    collectionId: string,
    body: AsyncIterable<Uint8Array>,
    request?: RequestContext,
  ): Promise<Status>;
  status(principal: Principal, root: string, statusId: string): Promise<Status>;
}
