/** TAXII 2.1 resources as they travel on the wire (TAXII 2.1 §4, §5). Property names are the spec's. */

export interface Discovery {
  readonly title: string;
  readonly description?: string;
  readonly contact?: string;
  readonly default?: string;
  readonly api_roots?: readonly string[];
}

export interface ApiRoot {
  readonly title: string;
  readonly description?: string;
  readonly versions: readonly string[];
  readonly max_content_length: number;
}

export interface TaxiiCollection {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly alias?: string;
  readonly can_read: boolean;
  readonly can_write: boolean;
  readonly media_types?: readonly string[];
}

export interface Collections {
  readonly collections?: readonly TaxiiCollection[];
}

/** A STIX object as the TAXII layer sees it: JSON with at least `type` and `id`. */
export type StixJson = { readonly type: string; readonly id: string } & Record<string, unknown>;

export interface Envelope<T = StixJson> {
  readonly more?: boolean;
  readonly next?: string;
  readonly objects?: readonly T[];
}

export interface ManifestRecord {
  readonly id: string;
  readonly date_added: string;
  readonly version: string;
  readonly media_type?: string;
}

export interface Manifest {
  readonly more?: boolean;
  readonly next?: string;
  readonly objects?: readonly ManifestRecord[];
}

export interface Versions {
  readonly more?: boolean;
  readonly next?: string;
  readonly versions?: readonly string[];
}

export interface StatusDetails {
  readonly id: string;
  readonly version: string;
  readonly message?: string;
}

/**
 * A status resource may carry its own JSON text under this key (not enumerable, so neither `JSON.stringify` nor
 * equality sees it): `TaxiiService` builds it as outcomes are added, instead of serialising every detail again at
 * each change of a large POST's status.
 */
export const STATUS_JSON: unique symbol = Symbol('status JSON');

export interface Status {
  readonly [STATUS_JSON]?: string;
  readonly id: string;
  readonly status: 'complete' | 'pending';
  readonly request_timestamp?: string;
  readonly total_count: number;
  readonly success_count: number;
  readonly successes?: readonly StatusDetails[];
  readonly failure_count: number;
  readonly failures?: readonly StatusDetails[];
  readonly pending_count: number;
  readonly pendings?: readonly StatusDetails[];
}

export interface ErrorResource {
  readonly title: string;
  readonly description?: string;
  readonly error_id?: string;
  readonly error_code?: string;
  readonly http_status?: string;
  readonly external_details?: string;
  readonly details?: Record<string, unknown>;
}
