/**
 * The TAXII 2.1 use cases behind src/taxii/server.ts (it implements `TaxiiBackend`): collections as the caller
 * may see them, paged reads through the one storage query (`TaxiiRepository.queryEntries`, where the object-level
 * visibility filter applies), signed `next` cursors, POSTs answered at once with a status resource and stored
 * afterwards in batches (so a large POST does not hold up reads), and DELETE.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Principal } from '../core/access/principal.js';
import { EntenteError, notFound } from '../core/errors.js';
import { ScanError } from '../core/json/bundle-scanner.js';
import { scanStream } from '../core/json/scan-stream.js';
import { timestampKey } from '../core/stix/index.js';
import type {
  ListEndpoint,
  Page,
  PageItem,
  RequestContext,
  TaxiiBackend,
  TaxiiServerConfig,
} from '../taxii/backend.js';
import { CursorSigner, type CursorContext } from '../taxii/cursor.js';
import { STIX_MEDIA_TYPE } from '../taxii/media.js';
import { isStixId, type TaxiiFilter, type VersionMatch } from '../taxii/query.js';
import { STATUS_JSON, type Status, type StatusDetails, type TaxiiCollection } from '../taxii/types.js';
import {
  StatusGivenUp,
  formatMicros,
  systemClock,
  type Collection,
  type NewVersion,
  type StatusObjectOutcome,
  type Storage,
  type TaxiiEntry,
  type TaxiiEntryQuery,
  type VersionSelector,
  type Visibility,
} from '../storage/index.js';
import type { AuditService } from './audit-service.js';
import type { AuthService, CollectionAccess } from './auth-service.js';
import { cacheKey } from './cache-key.js';
import { ObjectPreparer, type ObjectToPrepare, type PreparedObject } from './ingest-pipeline.js';
import type { IngestService } from './ingest-service.js';
import { clip, filterDetail, outcomeOf, pageDetail, type TaxiiAuditEndpoint } from './taxii-audit.js';

/** A status's details so far, and their JSON (comma-separated, without brackets). */
interface StatusLists {
  readonly successes: readonly StatusDetails[];
  readonly failures: readonly StatusDetails[];
  readonly successJson: string;
  readonly failureJson: string;
}

/**
 * Objects written per transaction; reads get in between two batches. 1,000 rather than 500: each commit rewrites
 * the leaves of the versions' id key that its new ids landed on (random places), so fewer, larger commits write
 * less per object. Measured (docs/benchmarks.md, sixth session): 10,000-object POSTs 13–51 % faster in every
 * alternated pair, with the event loop held at most 65–88 ms at once instead of 40–84 ms.
 */
const WRITE_BATCH = 1000;
/** From this many objects on, a POST's objects are prepared on the ingest worker thread instead of in-process. */
const WORKER_MIN_OBJECTS = 200;
/** Batches prepared ahead on the worker while the current one is written. */
const PREPARE_AHEAD = 2;
/** How often the statuses this process is storing get a heartbeat, and after how long without one they are given up. */
const HEARTBEAT_MS = 10_000;
const STATUS_STALE_MS = 120_000;
/** Distinct cursor contexts (callers, filters) remembered per result of `queryEntries`. */
const BUILT_PAGES_MAX = 64;
/** Pages remembered by request (`servedPages`) under one generation, and their objects' total size in characters. */
const SERVED_PAGES_MAX = 256;
const SERVED_PAGES_MAX_CHARS = 16 * 1024 * 1024;
/**
 * Status resources remembered as built, and their outcomes in all (each is held as details and as JSON, about
 * 250 bytes an outcome): all are forgotten when either is reached.
 */
const BUILT_STATUSES_MAX = 256;
const BUILT_OUTCOMES_MAX = 200_000;
/** How long a looked-up collection is reused (collections are never deleted; only their title may change). */
const COLLECTION_CACHE_MS = 5_000;
const COLLECTION_CACHE_MAX = 1000;
const DELETE_PAGE = 10_000;
const LAST_ONLY: VersionSelector = { all: false, first: false, last: true, keys: [], datesAdded: [] };
const ALL_VERSIONS: VersionSelector = { all: true, first: false, last: false, keys: [], datesAdded: [] };

export interface TaxiiServiceOptions {
  readonly now?: () => Date;
  /** Where failures of background work are reported (the HTTP logger); ids and counts only. */
  readonly onBackgroundError?: (err: unknown, context: Record<string, unknown>) => void;
  /** The audit log: reads, POSTs and DELETEs are recorded there (docs/sharing.md). The node always passes it. */
  readonly audit?: AuditService | undefined;
  /**
   * POSTs of at least this many objects are parsed and validated on a worker thread (default 200); smaller ones,
   * and any batch the worker fails on, in-process. `Infinity` never uses the worker.
   */
  readonly workerMinObjects?: number | undefined;
  /** Objects stored per write transaction (default WRITE_BATCH); reads are answered between two batches. */
  readonly writeBatch?: number | undefined;
}

/** What a TAXII request was about, for its audit entry. */
interface AuditTarget {
  readonly endpoint: TaxiiAuditEndpoint;
  readonly root: string;
  /** As requested (an id or an alias). */
  readonly collectionId: string;
  readonly objectId?: string | undefined;
  readonly filter?: TaxiiFilter | undefined;
}

/** What a page is of, besides the caller and the filter: the cursor context's resource part (`CursorContext`). */
interface PageWhere {
  /** The endpoint. */
  readonly e: string;
  /** The API root. */
  readonly r: string;
  /** The collection's id. */
  readonly c: string;
  /** The object, for objects/{id}/ and versions/. */
  readonly o?: string;
}

/** A page served under `TaxiiService.servedGeneration`, and the visibility facts it was read with. */
interface ServedPage {
  readonly page: Page;
  readonly visibility: Visibility;
  readonly chars: number;
}

interface PendingObject {
  readonly index: number;
  readonly offset: number;
  readonly bytes: Uint8Array | undefined;
  /** Member names the scanner counted (`ScanEvent.members`). */
  readonly members?: number | undefined;
  /** Set for elements the scanner already refused (too large, too deep, not an object). */
  readonly refused?: string;
  /** The id such an element appears to have (`ScanEvent.objectId`). */
  readonly refusedId?: string | undefined;
}

export class TaxiiService implements TaxiiBackend {
  private signer: Promise<CursorSigner> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** POST bodies being read (with `inFlight`, what `maxConcurrentPosts` bounds). */
  private reading = 0;
  /** Statuses whose objects this process is storing, and the timer that keeps their heartbeat. */
  private readonly storing = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Prepares the objects of large POSTs off the event loop; one worker for the service, kept warm while used. */
  private readonly preparer = new ObjectPreparer();
  private readonly workerMinObjects: number;
  private readonly writeBatch: number;
  private readonly collectionCache = new Map<string, { collection: Collection; until: number }>();
  /**
   * Visibility facts per principal, valid while the database generation is `visibilityGeneration`: by the principal
   * object itself first (the token and credential caches hand out the same, never modified, object for a caller),
   * then by its content.
   */
  private readonly visibilityCache = new Map<string, Visibility>();
  private visibilityByPrincipal = new WeakMap<Principal, Visibility>();
  private visibilityGeneration: string | undefined;
  /**
   * Pages served while the database generation is `servedGeneration`, by everything the page is a function of
   * (see `page`): a re-polled page is found with one key built by hand, without querying the repository's cache.
   */
  private readonly servedPages = new Map<string, ServedPage>();
  /** Outcomes held by `builtStatuses`, in all. */
  private builtOutcomes = 0;
  /** The last status resource built per status id, with the state it was built for (see `status`). */
  private readonly builtStatuses = new Map<
    string,
    { key: string; status: Status; consumed: number; lastIdx: number; lists: StatusLists }
  >();
  private servedGeneration: string | undefined;
  private servedChars = 0;
  /**
   * Pages already built from a result of `queryEntries`, by their cursor context and limit. The repository hands
   * out the same rows array for a repeated read of an unchanged database, so a re-polled page is the same `Page`
   * object (and the routes reuse its bytes); a new rows array starts afresh.
   */
  private readonly builtPages = new WeakMap<readonly TaxiiEntry[], Map<string, Page>>();
  private readonly now: () => Date;
  /** Microseconds since the epoch (the default clock's sub-millisecond part included). */
  private readonly nowMicros: () => number;
  private readonly audit: AuditService | undefined;
  onBackgroundError: (err: unknown, context: Record<string, unknown>) => void;

  constructor(
    private readonly storage: Storage,
    private readonly ingest: IngestService,
    private readonly auth: AuthService,
    readonly config: TaxiiServerConfig,
    options: TaxiiServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    const injected = options.now;
    this.nowMicros = injected !== undefined ? () => injected().getTime() * 1000 : systemClock;
    this.onBackgroundError = options.onBackgroundError ?? (() => undefined);
    this.audit = options.audit;
    this.workerMinObjects = options.workerMinObjects ?? WORKER_MIN_OBJECTS;
    this.writeBatch = Math.max(1, Math.floor(options.writeBatch ?? WRITE_BATCH));
  }

  /** The first step of every request: who is asking. */
  authenticate(authorization: string | undefined): Promise<Principal> {
    // A new request: what it reads must be read after it arrived (see TaxiiRepository.generation).
    this.storage.taxii.requestArrived();
    return this.auth.authenticate(authorization);
  }

  async collections(principal: Principal): Promise<TaxiiCollection[]> {
    const all = await this.storage.collections.list();
    const access = await this.auth.accessMap(
      principal,
      all.map((c) => c.id),
    );
    return all.flatMap((c) => {
      const a = access.get(c.id);
      return a && (a.canRead || a.canWrite) ? [presentCollection(c, a)] : [];
    });
  }

  async collection(principal: Principal, _root: string, collectionId: string): Promise<TaxiiCollection> {
    const { collection, access } = await this.resolve(principal, collectionId);
    return presentCollection(collection, access);
  }

  list(
    principal: Principal,
    root: string,
    collectionId: string,
    endpoint: ListEndpoint,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<Page> {
    return this.auditedRead(principal, request, { endpoint, root, collectionId, filter }, () =>
      this.readList(principal, root, collectionId, endpoint, filter),
    );
  }

  object(
    principal: Principal,
    root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<Page> {
    const target: AuditTarget = { endpoint: 'object', root, collectionId, objectId, filter };
    return this.auditedRead(principal, request, target, () =>
      this.readOneObject(principal, root, collectionId, objectId, filter, 'object'),
    );
  }

  versions(
    principal: Principal,
    root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<Page> {
    const target: AuditTarget = { endpoint: 'versions', root, collectionId, objectId, filter };
    return this.auditedRead(principal, request, target, () =>
      this.readOneObject(principal, root, collectionId, objectId, filter, 'versions'),
    );
  }

  /**
   * A change is written to the audit log at once, before the answer (not through the read buffer): it changes the
   * database anyway, so it costs no read cache, and a crash must not lose it. A refused attempt changed nothing
   * and is queued like a read.
   */
  async deleteObject(
    principal: Principal,
    root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
    request?: RequestContext,
  ): Promise<void> {
    const target: AuditTarget = { endpoint: 'delete', root, collectionId, objectId, filter };
    let removed: number;
    try {
      removed = await this.removeObject(principal, root, collectionId, objectId, filter);
    } catch (err) {
      this.audit?.queue(principal, 'delete', () =>
        this.auditEvent(target, request, { outcome: outcomeOf(err) }),
      );
      throw err;
    }
    await this.audit?.record(
      principal,
      'delete',
      this.auditEvent(target, request, { outcome: 'OK', removed }),
    );
  }

  /** Audited like `deleteObject`: the accepted POST at once (its status id and object count), a refusal queued. */
  async addObjects(
    principal: Principal,
    root: string,
    collectionId: string,
    body: AsyncIterable<Uint8Array>,
    request?: RequestContext,
  ): Promise<Status> {
    const target: AuditTarget = { endpoint: 'add', root, collectionId };
    let status: Status;
    try {
      status = await this.acceptObjects(principal, root, collectionId, body);
    } catch (err) {
      this.audit?.queue(principal, 'change', () =>
        this.auditEvent(target, request, { outcome: outcomeOf(err) }),
      );
      throw err;
    }
    await this.audit?.record(
      principal,
      'change',
      this.auditEvent(target, request, { outcome: 'OK', statusId: status.id, objects: status.total_count }),
    );
    return status;
  }

  private async readList(
    principal: Principal,
    root: string,
    collectionId: string,
    endpoint: ListEndpoint,
    filter: TaxiiFilter,
  ): Promise<Page> {
    const { collection } = await this.readable(principal, collectionId);
    return this.page(
      principal,
      {
        collectionId: collection.id,
        ids: filter.ids,
        types: filter.types,
        specVersions: filter.specVersions,
        versions: selector(filter.versions),
        withBody: endpoint === 'objects',
      },
      filter,
      { e: endpoint, r: root, c: collection.id },
    );
  }

  /** objects/{id}/ (the versions `match[version]` selects, with bodies) or versions/ (every version, no bodies). */
  private async readOneObject(
    principal: Principal,
    root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
    endpoint: 'object' | 'versions',
  ): Promise<Page> {
    const { collection } = await this.readable(principal, collectionId);
    await this.mustExist(principal, collection.id, objectId);
    const page = await this.page(
      principal,
      {
        collectionId: collection.id,
        ids: [objectId],
        specVersions: filter.specVersions,
        versions: endpoint === 'object' ? selector(filter.versions) : ALL_VERSIONS,
        withBody: endpoint === 'object',
      },
      filter,
      { e: endpoint, r: root, c: collection.id, o: objectId },
    );
    // The object is there, but no version of it matches. A search that finds nothing is an empty envelope (§5.4,
    // §5.6), unless a version asked for was deleted from this collection: TAXII 2.1 §5.7, "any subsequent attempts
    // to fetch that object/version … MUST return an HTTP 404". (Not when paging on: an empty page after
    // added_after or next is the end of the list.)
    const asked = filter.versions?.timestamps ?? [];
    if (
      page.items.length === 0 &&
      endpoint === 'object' &&
      asked.length > 0 &&
      filter.addedAfter === undefined &&
      filter.next === undefined &&
      (await this.storage.objects.wasDeleted(
        collection.id,
        objectId,
        asked.map(timestampKey),
        await this.visibility(principal, await this.storage.taxii.generation()),
        filter.specVersions,
      ))
    )
      throw notFound(`the version of ${objectId} asked for was deleted from this collection`);
    return page;
  }

  /** Removes the matching versions; how many. */
  private async removeObject(
    principal: Principal,
    _root: string,
    collectionId: string,
    objectId: string,
    filter: TaxiiFilter,
  ): Promise<number> {
    const { collection, access } = await this.resolve(principal, collectionId);
    if (!access.canWrite || !access.canRead)
      throw new EntenteError('FORBIDDEN', 'deleting needs read and write access to this collection');
    const seqs: number[] = [];
    let afterSeq: number | undefined;
    for (;;) {
      const rows = await this.storage.taxii.queryEntries(
        {
          collectionId: collection.id,
          ids: [objectId],
          specVersions: filter.specVersions,
          // Without match[version], DELETE removes every version.
          versions: filter.versions ? selector(filter.versions) : ALL_VERSIONS,
          afterSeq,
          limit: DELETE_PAGE,
          withBody: false,
        },
        await this.visibility(principal, await this.storage.taxii.generation()),
      );
      seqs.push(...rows.map((r) => r.seq));
      if (rows.length < DELETE_PAGE) break;
      afterSeq = rows.at(-1)!.seq;
    }
    if (seqs.length === 0) {
      await this.mustExist(principal, collection.id, objectId);
      throw notFound(`no version of ${objectId} in this collection matches the request`);
    }
    await this.storage.objects.removeEntries(collection.id, objectId, seqs);
    return seqs.length;
  }

  private async acceptObjects(
    principal: Principal,
    _root: string,
    collectionId: string,
    body: AsyncIterable<Uint8Array>,
  ): Promise<Status> {
    const { collection, access } = await this.resolve(principal, collectionId);
    if (!access.canWrite) throw new EntenteError('FORBIDDEN', 'no write access to this collection');
    const most = this.config.maxConcurrentPosts ?? 4;
    if (this.reading + this.inFlight.size >= most)
      throw new EntenteError(
        'UNAVAILABLE',
        `${most} POSTs are being received or stored; try again shortly (Retry-After)`,
      );
    this.reading++;
    let objects: PendingObject[];
    try {
      objects = await readEnvelope(body, this.workerMinObjects, () => this.preparer.start());
    } finally {
      this.reading--;
    }
    // TAXII 2.1 §2: "every instance of a list MUST have at least one value".
    if (objects.length === 0)
      throw new EntenteError(
        'UNPROCESSABLE',
        "the envelope's objects list is empty (TAXII lists must not be empty)",
      );
    const now = this.now();
    const id = randomUUID();
    // A TAXII timestamp has microsecond precision (§2).
    const requestTimestamp = formatMicros(this.nowMicros());
    await this.storage.taxii.createStatus(
      {
        id,
        collectionId: collection.id,
        principalId: principal.id,
        requestTimestamp,
        total: objects.length,
        expiresAt: new Date(now.getTime() + this.config.statusTtlSeconds * 1000).toISOString(),
      },
      requestTimestamp,
    );
    this.beating(id, true);
    const work = this.store(id, collection.id, objects)
      .catch((err: unknown) => this.onBackgroundError(err, { statusId: id, collectionId: collection.id }))
      .finally(() => this.beating(id, false));
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return {
      id,
      status: 'pending',
      request_timestamp: requestTimestamp,
      total_count: objects.length,
      success_count: 0,
      failure_count: 0,
      pending_count: objects.length,
    };
  }

  /**
   * Keeps the heartbeat of the statuses this process is storing (migration 008): every HEARTBEAT_MS while any is
   * in flight, so that a status whose process stopped can be told from one still being worked on.
   */
  private beating(statusId: string, on: boolean): void {
    if (on) this.storing.add(statusId);
    else this.storing.delete(statusId);
    if (this.storing.size > 0 && this.heartbeatTimer === undefined) {
      this.heartbeatTimer = setInterval(() => {
        this.storage.taxii
          .heartbeat([...this.storing], this.now().toISOString())
          .catch((err: unknown) => this.onBackgroundError(err, { heartbeat: this.storing.size }));
      }, HEARTBEAT_MS);
      this.heartbeatTimer.unref();
    } else if (this.storing.size === 0 && this.heartbeatTimer !== undefined) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = undefined;
    }
  }

  async status(principal: Principal, _root: string, statusId: string): Promise<Status> {
    const now = this.now();
    const s = await this.storage.taxii.getStatus(
      statusId,
      now.toISOString(),
      new Date(now.getTime() - STATUS_STALE_MS).toISOString(),
    );
    if (!s || (s.principalId !== principal.id && !principal.roles.includes('admin')))
      throw notFound(`no status ${statusId}`);
    // A status is polled again and again while its POST is stored, and changes only when a batch is recorded: the
    // resource (whose lists hold every object recorded so far) is built once per state. Outcomes are appended,
    // never changed, so the counts and the number of outcomes identify the state.
    const stateKey = `${s.success}:${s.failure}:${s.pending}:${s.total}:${s.objects.length}`;
    const built = this.builtStatuses.get(s.id);
    if (built !== undefined && built.key === stateKey) return built.status;
    // Only the outcomes recorded since the last state are turned into details and JSON; the lists and their text
    // so far are reused. A 10,000-object POST has ten states: reading and serving all ten took the event loop
    // 34.5–51.8 ms (medians) when every list was serialised whole at each, 21.6–34.3 ms this way
    // (`npm run bench:taxii-status`, docs/benchmarks.md).
    const reuse =
      built !== undefined &&
      built.consumed <= s.objects.length &&
      (built.consumed === 0 || s.objects[built.consumed - 1]!.idx === built.lastIdx);
    const lists = reuse ? built.lists : { successes: [], failures: [], successJson: '', failureJson: '' };
    const fresh = { successes: [] as StatusDetails[], failures: [] as StatusDetails[] };
    for (let i = reuse ? built.consumed : 0; i < s.objects.length; i++) {
      const o = s.objects[i]!;
      (o.success ? fresh.successes : fresh.failures).push(
        o.message !== null
          ? { id: o.objectId, version: o.version ?? '', message: o.message }
          : { id: o.objectId, version: o.version ?? '' },
      );
    }
    // The text so far, then the new details', comma-separated.
    const extend = (json: string, details: readonly StatusDetails[]): string =>
      details.length === 0
        ? json
        : (json === '' ? '' : `${json},`) + details.map((d) => JSON.stringify(d)).join(',');
    const next: StatusLists = {
      successes: fresh.successes.length > 0 ? lists.successes.concat(fresh.successes) : lists.successes,
      failures: fresh.failures.length > 0 ? lists.failures.concat(fresh.failures) : lists.failures,
      successJson: extend(lists.successJson, fresh.successes),
      failureJson: extend(lists.failureJson, fresh.failures),
    };
    const { successes, failures } = next;
    const state = s.pending > 0 ? 'pending' : 'complete';
    const status: Status = {
      id: s.id,
      status: state,
      request_timestamp: s.requestTimestamp,
      total_count: s.total,
      success_count: s.success,
      ...(successes.length > 0 ? { successes } : {}),
      failure_count: s.failure,
      ...(failures.length > 0 ? { failures } : {}),
      pending_count: s.pending,
    };
    // Its JSON, as `JSON.stringify(status)` would give it (same members, same order), from the lists' text.
    let text = `{"id":${JSON.stringify(s.id)},"status":"${state}","request_timestamp":${JSON.stringify(s.requestTimestamp)}`;
    text += `,"total_count":${s.total},"success_count":${s.success}`;
    if (successes.length > 0) text += `,"successes":[${next.successJson}]`;
    text += `,"failure_count":${s.failure}`;
    if (failures.length > 0) text += `,"failures":[${next.failureJson}]`;
    text += `,"pending_count":${s.pending}}`;
    Object.defineProperty(status, STATUS_JSON, { value: text, enumerable: false });
    if (built !== undefined) this.builtOutcomes -= built.consumed;
    if (
      (built === undefined && this.builtStatuses.size >= BUILT_STATUSES_MAX) ||
      this.builtOutcomes + s.objects.length > BUILT_OUTCOMES_MAX
    ) {
      this.builtStatuses.clear();
      this.builtOutcomes = 0;
    }
    this.builtOutcomes += s.objects.length;
    this.builtStatuses.set(s.id, {
      key: stateKey,
      status,
      consumed: s.objects.length,
      lastIdx: s.objects.at(-1)?.idx ?? -1,
      lists: next,
    });
    return status;
  }

  /** Waits for every POST still being stored, then writes the queued audit entries (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.audit?.flush();
  }

  /**
   * Runs a read and queues its audit entry — also for a refused or failed read, as an attempt, without changing
   * the answer. Queued, not written: an INSERT per read would change the database generation on every request and
   * so empty the read caches (AuditService). A re-polled page (the same `Page` object, built once per unchanged
   * database) by the same caller from the same address is one entry with a count until the next flush.
   */
  private async auditedRead(
    principal: Principal,
    request: RequestContext | undefined,
    target: AuditTarget,
    read: () => Promise<Page>,
  ): Promise<Page> {
    const audit = this.audit;
    if (audit === undefined) return read();
    let page: Page;
    try {
      page = await read();
    } catch (err) {
      audit.queue(principal, 'read', () => this.auditEvent(target, request, { outcome: outcomeOf(err) }));
      throw err;
    }
    const key = `${principal.id}\n${request?.address ?? ''}\n${target.endpoint}\n${target.collectionId}\n${target.filter?.next ?? ''}`;
    audit.queue(
      principal,
      'read',
      () => this.auditEvent(target, request, { outcome: 'OK', ...pageDetail(page) }),
      { ref: page, key },
    );
    return page;
  }

  /** The audit entry of a TAXII request: ids, counts and the filter, cut to the audit log's limits. */
  private auditEvent(
    target: AuditTarget,
    request: RequestContext | undefined,
    result: Record<string, string | number | boolean | readonly string[]>,
  ) {
    // A known collection is recorded by its id, also when asked for by alias (collection ids never change).
    const collection =
      this.collectionCache.get(target.collectionId)?.collection.id ?? clip(target.collectionId);
    return {
      collectionId: collection,
      objectId: target.objectId !== undefined ? clip(target.objectId) : undefined,
      address: request?.address,
      detail: {
        endpoint: target.endpoint,
        root: clip(target.root),
        ...(target.filter ? filterDetail(target.filter) : {}),
        ...result,
      },
    };
  }

  /** The object-level access filter for this principal (docs/sharing.md), applied inside the SQL. */
  private async visibility(principal: Principal, generation: string | undefined): Promise<Visibility> {
    // Reused only while the database is unchanged, so a new sharing rule applies to the next read.
    if (generation === undefined) return this.storage.sharing.visibilityOf(principal);
    if (generation !== this.visibilityGeneration) {
      this.visibilityCache.clear();
      this.visibilityByPrincipal = new WeakMap();
      this.visibilityGeneration = generation;
    }
    const same = this.visibilityByPrincipal.get(principal);
    if (same !== undefined) return same;
    const key = JSON.stringify(principal);
    const cached = this.visibilityCache.get(key);
    if (cached) {
      this.visibilityByPrincipal.set(principal, cached);
      return cached;
    }
    const vis = await this.storage.sharing.visibilityOf(principal);
    if (this.visibilityGeneration === generation) {
      if (this.visibilityCache.size >= COLLECTION_CACHE_MAX) this.visibilityCache.clear();
      this.visibilityCache.set(key, vis);
      this.visibilityByPrincipal.set(principal, vis);
    }
    return vis;
  }

  private async resolve(
    principal: Principal,
    collectionId: string,
  ): Promise<{ collection: Collection; access: CollectionAccess }> {
    const collection = await this.collectionNamed(collectionId);
    const access = collection ? await this.auth.collectionAccess(principal, collection.id) : undefined;
    // Unknown and hidden collections read the same: their existence is not revealed.
    if (!collection || !access || (!access.canRead && !access.canWrite))
      throw notFound(`no collection ${collectionId}`);
    return { collection, access };
  }

  /** The collection with this id (or alias); found ones are reused for COLLECTION_CACHE_MS. */
  private async collectionNamed(idOrAlias: string): Promise<Collection | undefined> {
    const nowMs = Date.now();
    const cached = this.collectionCache.get(idOrAlias);
    if (cached && cached.until > nowMs) return cached.collection;
    const collection = await this.storage.collections.get(idOrAlias);
    if (collection) {
      if (this.collectionCache.size >= COLLECTION_CACHE_MAX) this.collectionCache.clear();
      this.collectionCache.set(idOrAlias, { collection, until: nowMs + COLLECTION_CACHE_MS });
    }
    return collection;
  }

  private async readable(principal: Principal, collectionId: string) {
    const r = await this.resolve(principal, collectionId);
    if (!r.access.canRead) throw new EntenteError('FORBIDDEN', 'no read access to this collection');
    return r;
  }

  private async mustExist(principal: Principal, collectionId: string, objectId: string): Promise<void> {
    const rows = isStixId(objectId)
      ? await this.storage.taxii.queryEntries(
          { collectionId, ids: [objectId], versions: ALL_VERSIONS, limit: 1, withBody: false },
          await this.visibility(principal, await this.storage.taxii.generation()),
        )
      : [];
    if (rows.length === 0) throw notFound(`no object ${objectId} in this collection`);
  }

  private async cursorSigner(): Promise<CursorSigner> {
    this.signer ??= (async () => {
      const secret =
        this.config.cursorSecret ??
        (await this.storage.taxii.settingOrInit('taxii.cursor_key', randomBytes(32).toString('base64')));
      return new CursorSigner(Buffer.from(secret, this.config.cursorSecret ? 'utf8' : 'base64'));
    })();
    return this.signer;
  }

  /**
   * One page (`buildPage`) of `limit` + 1 rows read through the access filter. A repeated read of an unchanged
   * database by the same caller with the same filters returns the same `Page` object.
   *
   * A page is a function of the rows (`queryEntries` of the query below, under the visibility facts and the
   * generation), of `limit`, of the cursor context (the signed `next`) and of the signing key, which never changes.
   * The query is a function of `base`, `filter` (`addedAfter`, `limit`, and `next` through the cursor context) and
   * the cursor context, which is made of `principal.id`, `filter` and `where`. So a page served under generation G
   * with visibility facts V is served again for a request under G with V (the same object: facts are cached per
   * generation) whose `servedKey` — every one of those inputs, written injectively — is the same: the same query
   * would return the same rows, because the database has not changed. This skips the query key, the repository's
   * cache and the cursor check (a cursor that verified once for this context verifies again: it is a MAC).
   */
  private async page(
    principal: Principal,
    base: Omit<TaxiiEntryQuery, 'limit' | 'afterSeq' | 'addedAfter'>,
    filter: TaxiiFilter,
    where: PageWhere,
  ): Promise<Page> {
    const limit = filter.limit ?? this.config.defaultLimit;
    // One generation for both the caller's visibility facts and the rows: one consistent state of the database.
    const generation = await this.storage.taxii.generation();
    const visibility = await this.visibility(principal, generation);
    let key: string | undefined;
    if (generation !== undefined) {
      if (generation !== this.servedGeneration) {
        this.servedPages.clear();
        this.servedChars = 0;
        this.servedGeneration = generation;
      }
      key = servedKey(principal, base, filter, where, limit);
      const served = this.servedPages.get(key);
      if (served !== undefined && served.visibility === visibility) return served.page;
    }
    const signer = await this.cursorSigner();
    // Spreads last, never first: in Node 20's V8 a literal that starts with a spread and then adds properties costs
    // 4–10 µs (and leaves a slow object for JSON.stringify below), a literal ending with one about 0.2 µs. The keys
    // do not overlap, and the cursor fingerprint sorts them, so the order changes nothing else.
    const ctx: CursorContext = {
      p: principal.id,
      aa: filter.addedAfter,
      id: filter.ids,
      t: filter.types,
      sv: filter.specVersions,
      v: filter.versions ? versionMatchKey(filter.versions) : undefined,
      ...where,
    };
    const afterSeq = filter.next !== undefined ? signer.verify(filter.next, ctx) : undefined;
    const rows = await this.storage.taxii.queryEntries(
      {
        addedAfter: filter.addedAfter !== undefined ? micros6(filter.addedAfter) : undefined,
        afterSeq,
        limit: limit + 1,
        ...base,
      },
      visibility,
      generation,
    );
    const memoKey = `${limit}\n${JSON.stringify(ctx)}`;
    const memo = this.builtPages.get(rows);
    let result = memo?.get(memoKey);
    if (result === undefined) {
      result = buildPage(rows, limit, signer, ctx);
      if (memo === undefined) this.builtPages.set(rows, new Map([[memoKey, result]]));
      else if (memo.size < BUILT_PAGES_MAX) memo.set(memoKey, result);
    }
    // Kept only under the generation it was read with (if anything changed meanwhile, it is never served).
    if (key !== undefined && this.servedGeneration === generation) this.keepServed(key, result, visibility);
    return result;
  }

  private keepServed(key: string, page: Page, visibility: Visibility): void {
    let chars = 200;
    for (const item of page.items) chars += item.body.length + 200;
    if (chars > SERVED_PAGES_MAX_CHARS) return;
    const earlier = this.servedPages.get(key);
    if (earlier !== undefined) this.servedChars -= earlier.chars;
    else if (this.servedPages.size >= SERVED_PAGES_MAX || this.servedChars + chars > SERVED_PAGES_MAX_CHARS) {
      this.servedPages.clear();
      this.servedChars = 0;
    }
    this.servedPages.set(key, { page, visibility, chars });
    this.servedChars += chars;
  }

  /**
   * Stores a POSTed envelope's objects in batches, recording each outcome in the status resource. Large envelopes
   * are parsed and validated on the ingest worker thread, PREPARE_AHEAD batches ahead of the batch being written,
   * so validation overlaps the writes and stays off the event loop; between two batches reads get their turn.
   */
  private async store(
    statusId: string,
    collectionId: string,
    objects: readonly PendingObject[],
  ): Promise<void> {
    const useWorker = objects.length >= this.workerMinObjects;
    const batches: PendingObject[][] = [];
    for (let start = 0; start < objects.length; start += this.writeBatch)
      batches.push(objects.slice(start, start + this.writeBatch));
    const prepared = new Map<number, Promise<(PreparedObject | undefined)[]>>();
    const prepareAt = (k: number): Promise<(PreparedObject | undefined)[]> => {
      let p = prepared.get(k);
      if (p === undefined) prepared.set(k, (p = this.prepareBatch(batches[k]!, useWorker, statusId)));
      return p;
    };
    for (let k = 0; k < batches.length; k++) {
      if (useWorker) for (let j = k + 1; j <= k + PREPARE_AHEAD && j < batches.length; j++) void prepareAt(j);
      const part = batches[k]!;
      const ready = await prepareAt(k);
      prepared.delete(k);
      await yieldToEventLoop(); // let reads in between batches
      const refused: StatusObjectOutcome[] = [];
      const versions: NewVersion[] = [];
      const versionIdx: number[] = [];
      part.forEach((o, i) => {
        const p = ready[i];
        if (p?.version === undefined) {
          refused.push({
            idx: o.index,
            ...guessIdentity(o.bytes, o.refusedId),
            success: false,
            message: o.refused ?? (p ? refusal(p) : 'refused'),
          });
          return;
        }
        versions.push(p.version);
        versionIdx.push(o.index);
      });
      try {
        // The objects and their outcomes in the status commit together (or not at all).
        await this.storage.taxii.storeBatch(
          statusId,
          collectionId,
          versions,
          this.ingest.policy,
          (results) =>
            refused.concat(
              results.map((r, k) => {
                const v = versions[k]!;
                const ok = r.status === 'added' || r.status === 'duplicate';
                return {
                  idx: versionIdx[k]!,
                  objectId: v.id,
                  version: v.version ?? (r.status === 'added' ? r.dateAdded : null),
                  success: ok,
                  message: ok ? null : r.message,
                };
              }),
            ),
          this.now().toISOString(),
        );
      } catch (err) {
        // Given up (this process was taken for stopped: no heartbeat for STATUS_STALE_MS): the rest of the POST
        // is already reported as failed, so nothing more of it may be stored.
        if (err instanceof StatusGivenUp) {
          this.onBackgroundError(err, { statusId, collectionId, notStored: objects.length - part[0]!.index });
          return;
        }
        // The store failed (e.g. the database went away): this batch is not stored; say so, go on.
        this.onBackgroundError(err, { statusId, collectionId });
        await this.storage.taxii.recordOutcomes(
          statusId,
          part.map((o) => ({
            idx: o.index,
            ...guessIdentity(o.bytes, o.refusedId),
            success: false,
            message: 'not stored: internal error',
          })),
          this.now().toISOString(),
        );
      }
    }
  }

  /**
   * Parses, validates and prepares one batch: the result for each element of `part` (undefined for elements the
   * scanner refused). On the worker when asked, else — or if the worker fails — in-process. Never rejects.
   */
  private async prepareBatch(
    part: readonly PendingObject[],
    useWorker: boolean,
    statusId: string,
  ): Promise<(PreparedObject | undefined)[]> {
    const todo: ObjectToPrepare[] = [];
    const at: number[] = [];
    part.forEach((o, i) => {
      if (o.refused !== undefined || o.bytes === undefined) return;
      todo.push({ bytes: o.bytes, index: o.index, offset: o.offset, members: o.members });
      at.push(i);
    });
    let results: PreparedObject[] | undefined;
    if (useWorker && todo.length > 0) {
      try {
        results = await this.preparer.prepare(todo);
      } catch (err) {
        this.onBackgroundError(err, { statusId, preparedInProcess: todo.length });
      }
    }
    results ??= todo.map((t) => {
      const path = `$.objects[${t.index}]`;
      try {
        return this.ingest.prepare(t.bytes, path, t.offset, t.members);
      } catch (err) {
        // A validator bug must not leave the rest of the POST pending: this object fails, the others go on.
        this.onBackgroundError(err, { statusId, index: t.index });
        return {
          problems: [{ path, message: 'not stored: internal error', severity: 'error', rule: 'internal' }],
        };
      }
    });
    const out = new Array<PreparedObject | undefined>(part.length);
    at.forEach((i, k) => (out[i] = results[k]));
    return out;
  }

  /**
   * Starts the validation worker now rather than with the first large POST (which would otherwise wait for it to
   * load); it stops again after a minute without work.
   */
  warmUp(): void {
    if (Number.isFinite(this.workerMinObjects)) this.preparer.start();
  }

  /** Stops the validation worker (after `drain`, at shutdown). */
  async close(): Promise<void> {
    await this.drain();
    await this.preparer.close();
  }
}

/** The status message of an object that failed validation: its errors with their paths. */
function refusal(p: PreparedObject): string {
  return (
    p.problems
      .filter((q) => q.severity === 'error')
      .map((q) => `${q.path}: ${q.message}`)
      .join('; ')
      .slice(0, 2000) || 'invalid object'
  );
}

/**
 * Reads a whole envelope (the route has already bounded its size) and splits it into its objects. Anything that
 * is not a JSON object with an `objects` array is UNPROCESSABLE; nothing is stored in that case. `onLarge` is
 * called once when the `large`-th object is seen (to start the validation worker while the rest arrives).
 */
async function readEnvelope(
  body: AsyncIterable<Uint8Array>,
  large: number,
  onLarge: () => void,
): Promise<PendingObject[]> {
  const objects: PendingObject[] = [];
  try {
    for await (const ev of scanStream(body)) {
      if (ev.kind === 'object')
        objects.push({ index: ev.index, offset: ev.offset, bytes: ev.bytes, members: ev.members });
      else if (ev.kind === 'rejected')
        objects.push({
          index: ev.index,
          offset: ev.offset,
          bytes: undefined,
          refused: ev.message,
          refusedId: ev.objectId,
        });
      else continue;
      if (objects.length === large) onLarge();
    }
  } catch (err) {
    if (err instanceof ScanError)
      throw new EntenteError('UNPROCESSABLE', `not a TAXII envelope: ${err.message}`, { offset: err.offset });
    throw err;
  }
  return objects;
}

/**
 * One page from `limit` + 1 rows: whether there is more, and the signed `next` cursor. A full page that would end
 * inside a run of equal date_added (possible only for data stored before dates were made unique) ends before that
 * run instead, so paging by added_after + X-TAXII-Date-Added-Last never skips; `next` is exact either way.
 */
function buildPage(
  rows: readonly TaxiiEntry[],
  limit: number,
  signer: CursorSigner,
  ctx: CursorContext,
): Page {
  const more = rows.length > limit;
  let items = rows.slice(0, limit);
  const following = rows[limit];
  if (following && items.at(-1)?.dateAdded === following.dateAdded) {
    let k = items.length;
    while (k > 0 && items[k - 1]!.dateAdded === following.dateAdded) k--;
    if (k > 0) items = items.slice(0, k);
  }
  const last = items.at(-1);
  return {
    items: items.map(presentItem),
    more,
    next: more && last ? signer.sign(last.seq, ctx) : undefined,
  };
}

function selector(m: VersionMatch | undefined): VersionSelector {
  if (m === undefined) return LAST_ONLY;
  const keys = m.timestamps.map(timestampKey);
  return {
    all: m.all,
    first: m.first,
    last: m.last,
    keys,
    // Unversioned objects (SCOs) have their date_added as version.
    datesAdded: keys.filter((k) => k.slice(26, 29) === '000').map((k) => `${k.slice(0, 26)}Z`),
  };
}

const versionMatchKey = (m: VersionMatch): string[] => [
  ...(m.all ? ['all'] : []),
  ...(m.first ? ['first'] : []),
  ...(m.last ? ['last'] : []),
  ...m.timestamps.map(timestampKey),
];

/**
 * Everything `TaxiiService.page` reads besides the visibility facts and the generation, as one injective key: the
 * caller (`principal.id`, the only part of it in the cursor context), the filter, the resource, the limit and the
 * query base. Two requests with the same key make the same query and the same cursor context.
 */
export function servedKey(
  principal: Pick<Principal, 'id'>,
  base: Omit<TaxiiEntryQuery, 'limit' | 'afterSeq' | 'addedAfter'>,
  filter: TaxiiFilter,
  where: PageWhere,
  limit: number,
): string {
  const m = filter.versions;
  const sel = base.versions;
  return cacheKey([
    principal.id,
    where.e,
    where.r,
    where.c,
    where.o,
    limit,
    filter.next,
    filter.addedAfter,
    filter.ids,
    filter.types,
    filter.specVersions,
    m?.all,
    m?.first,
    m?.last,
    m?.timestamps,
    base.collectionId,
    base.ids,
    base.types,
    base.specVersions,
    sel.all,
    sel.first,
    sel.last,
    sel.keys,
    sel.datesAdded,
    base.withBody,
  ]);
}

/** A timestamp as the microsecond-precision bound `date_added > bound` means (exclusive, sub-µs truncated). */
function micros6(ts: string): string {
  return `${timestampKey(ts).slice(0, 26)}Z`;
}

function presentItem(e: TaxiiEntry): PageItem {
  return {
    id: e.id,
    dateAdded: e.dateAdded,
    version: e.version ?? e.dateAdded,
    specVersion: e.specVersion,
    body: e.body,
  };
}

function presentCollection(c: Collection, a: CollectionAccess): TaxiiCollection {
  return {
    id: c.id,
    title: c.title,
    ...(c.description !== null ? { description: c.description } : {}),
    ...(c.alias !== null ? { alias: c.alias } : {}),
    can_read: a.canRead,
    can_write: a.canWrite,
    media_types: [STIX_MEDIA_TYPE],
  };
}

/** Best-effort id and version of an object that could not be stored, for its status entry. */
function guessIdentity(
  bytes: Uint8Array | undefined,
  refusedId?: string,
): { objectId: string; version: string | null } {
  if (bytes === undefined) return { objectId: refusedId ?? '', version: null };
  const text = Buffer.from(bytes.subarray(0, 64 * 1024)).toString('utf8');
  const id = /"id"\s*:\s*"([^"\\]{1,300})"/.exec(text)?.[1] ?? '';
  const version =
    /"modified"\s*:\s*"([^"\\]{1,64})"/.exec(text)?.[1] ??
    /"created"\s*:\s*"([^"\\]{1,64})"/.exec(text)?.[1] ??
    null;
  return { objectId: id, version };
}
