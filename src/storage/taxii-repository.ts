/**
 * TAXII reads and bookkeeping: the one query every TAXII read goes through (`queryEntries`), status resources
 * of POSTs, and node-wide settings. Entries are returned in `seq` order, which is `date_added` order.
 */
import { CompiledQuery, PostgresAdapter, SqliteAdapter, sql, type Kysely } from 'kysely';
import type Sqlite from 'better-sqlite3';
import type { WriteSignal } from './database.js';
import type { NewVersion, ObjectRepository, WriteOutcome, WritePolicy } from './object-repository.js';
import type { Database } from './schema.js';
import { collectionEntries, selectVisiblePage, versionRowsOf, type Visibility } from './visibility.js';

/** Which versions of each object: any of these (ORed). */
export interface VersionSelector {
  readonly all: boolean;
  readonly first: boolean;
  readonly last: boolean;
  /** Version keys (`timestampKey`) of versioned objects. */
  readonly keys: readonly string[];
  /** date_added values (six fractional digits) standing for the version of unversioned objects. */
  readonly datesAdded: readonly string[];
}

export interface TaxiiEntryQuery {
  readonly collectionId: string;
  readonly ids?: readonly string[] | undefined;
  readonly types?: readonly string[] | undefined;
  readonly specVersions?: readonly string[] | undefined;
  readonly versions: VersionSelector;
  /** Exclusive lower bound on date_added (six fractional digits). */
  readonly addedAfter?: string | undefined;
  /** Exclusive lower bound on seq (the `next` cursor). */
  readonly afterSeq?: number | undefined;
  readonly limit: number;
  /** Whether to read the object bodies (objects endpoints) or only the metadata (manifest, versions). */
  readonly withBody: boolean;
}

export interface TaxiiEntry {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly specVersion: string;
  readonly versionKey: string;
  /** The version timestamp as written, or null for unversioned objects. */
  readonly version: string | null;
  readonly dateAdded: string;
  /** Exact JSON text; '' when not requested. */
  readonly body: string;
}

export interface NewStatus {
  readonly id: string;
  readonly collectionId: string;
  readonly principalId: string;
  readonly requestTimestamp: string;
  readonly total: number;
  readonly expiresAt: string;
}

export interface StatusObjectOutcome {
  readonly idx: number;
  readonly objectId: string;
  readonly version: string | null;
  readonly success: boolean;
  readonly message: string | null;
}

export interface StoredStatus {
  readonly id: string;
  readonly collectionId: string;
  readonly principalId: string;
  readonly requestTimestamp: string;
  readonly total: number;
  readonly success: number;
  readonly failure: number;
  readonly pending: number;
  readonly objects: readonly StatusObjectOutcome[];
}

const IN_CHUNK = 500;

/** One object's outcome as `taxii_status_outcomes.outcomes` holds it (migration 010). */
type OutcomeTuple = [
  idx: number,
  objectId: string,
  version: string | null,
  success: 0 | 1,
  message: string | null,
];

/** A POST's status was given up (its process was taken for stopped): the batch must not be stored. */
export class StatusGivenUp extends Error {
  constructor(readonly statusId: string) {
    super(`status ${statusId} was given up: its pending objects are reported as failed`);
    this.name = 'StatusGivenUp';
  }
}
/** Outcome rows of statuses kept in memory by `getStatus`, in all. */
const STATUS_ROWS_MAX = 200_000;
/** Pages kept by `queryEntries`, and their total body size; least recently used dropped first. */
const PAGE_CACHE_MAX = 256;
const PAGE_CACHE_MAX_CHARS = 16 * 1024 * 1024;
/** The generation reads (see `generation()`), precompiled: they run on every request. */
const SQLITE_GENERATION = CompiledQuery.raw(
  `select (select data_version from pragma_data_version()) || ':' || total_changes() as g`,
);
const POSTGRES_GENERATION = CompiledQuery.raw('select pg_current_snapshot()::text as g');
/** Larger reads (DELETE's id lists, exports) are not kept. */
const PAGE_CACHE_MAX_LIMIT = 1001;

export class TaxiiRepository {
  private readonly kind: 'sqlite' | 'postgres' | undefined;
  /** Results of `queryEntries` by query and visibility, valid while `generation()` is `generation`. */
  private readonly pages = new Map<string, { rows: TaxiiEntry[]; chars: number }>();
  private pagesGeneration: string | undefined;
  private pagesChars = 0;
  private generationRunning: Promise<string | undefined> | undefined;
  private generationNext: Promise<string | undefined> | undefined;
  /** Outcome rows of recently read statuses (see `getStatus`), least recently read first; STATUS_ROWS_MAX in all. */
  private readonly statusRows = new Map<string, StatusObjectOutcome[]>();
  private statusRowsCount = 0;
  /** Page queries under way, by generation and query (see `queryEntries`). */
  private readonly inFlight = new Map<string, Promise<TaxiiEntry[]>>();

  /**
   * SQLite: the generation read as prepared statements on the connection itself (see `generation`): `data_version`
   * alone, and `total_changes()`, which reads no table. Two statements, because the pragma on its own costs about
   * 3 µs where the one statement that joined both as text cost 5 µs.
   */
  private readonly sqliteDataVersion: Sqlite.Statement<[], number> | undefined;
  private readonly sqliteTotalChanges: Sqlite.Statement<[], number> | undefined;
  /** The last generation read that way, and its parts: an unchanged generation is the same string. */
  private lastGeneration = { dataVersion: -1, totalChanges: -1, generation: '' };
  /** The generation read in this turn of the event loop (SQLite). */
  private turnGeneration: string | undefined;
  private readonly endTurn = (): void => {
    this.turnGeneration = undefined;
  };

  /** A request has arrived: the next `generation()` reads the database again (see there). */
  requestArrived(): void {
    this.turnGeneration = undefined;
  }

  constructor(
    private readonly db: Kysely<Database>,
    /** Writes the objects of POSTs (`storeBatch`). */
    private readonly objects?: ObjectRepository,
    /** The SQLite connection under `db`, if it is SQLite, and the signal of writes on it. */
    sqlite?: Sqlite.Database,
    writes?: WriteSignal,
  ) {
    this.sqliteDataVersion = sqlite?.prepare<[], number>('pragma data_version').pluck();
    this.sqliteTotalChanges = sqlite?.prepare<[], number>('select total_changes()').pluck();
    writes?.subscribe(this.endTurn);
    const adapter = db.getExecutor().adapter;
    this.kind =
      adapter instanceof SqliteAdapter
        ? 'sqlite'
        : adapter instanceof PostgresAdapter
          ? 'postgres'
          : undefined;
  }

  /**
   * A value that changes whenever anything in the database may have changed (undefined: unknown). Reads cached
   * under one generation are served only while it is unchanged, so they are exactly what the query would return.
   * SQLite: `data_version` (commits by any other connection, e.g. a CLI import next to a running server) with
   * `total_changes()` (rows changed by this connection, committed or not). PostgreSQL: the current snapshot
   * (xmin:xmax:in-progress ids), which moves on whenever a writing transaction starts or ends, and never returns
   * to an earlier value. Concurrent callers share one database read, never one that started before they called.
   */
  generation(): Promise<string | undefined> {
    // SQLite: read at once on the connection, without waiting for the query builder's turn on it (about 3 µs, where
    // the same read queued through Kysely cost a fifth of a cached TAXII read). A read while this connection
    // is inside a write transaction counts that transaction's changes so far; every query that could be cached
    // under it waits for the transaction to end, and any later change moves `total_changes()` on — so a page read
    // under this generation is still exactly what the database holds while the generation is unchanged.
    //
    // One read serves every caller until the next request arrives (`requestArrived`), a statement that may write
    // runs on this connection, or the event loop's next check phase (`setImmediate`), whichever comes first. So a
    // request is always answered from a read taken after it arrived, with nothing this process wrote since missed
    // — what a fresh read would give — for one read per request instead of three (token, permissions, page).
    if (this.sqliteDataVersion !== undefined && this.sqliteTotalChanges !== undefined) {
      if (this.turnGeneration !== undefined) return Promise.resolve(this.turnGeneration);
      try {
        // Back to back on this thread's connection, so nothing runs on it in between: the same pair as the one
        // statement `SQLITE_GENERATION` (which the fallback below still runs), written the same way.
        const dataVersion = this.sqliteDataVersion.get()!;
        const totalChanges = this.sqliteTotalChanges.get()!;
        let last = this.lastGeneration;
        if (last.dataVersion !== dataVersion || last.totalChanges !== totalChanges)
          this.lastGeneration = last = {
            dataVersion,
            totalChanges,
            generation: `${dataVersion}:${totalChanges}`,
          };
        this.turnGeneration = last.generation;
        setImmediate(this.endTurn);
        return Promise.resolve(last.generation);
      } catch {
        // The connection is busy with a streamed read (none today): take the query builder's turn instead.
      }
    }
    if (this.kind === undefined) return Promise.resolve(undefined);
    if (this.generationRunning === undefined) return this.startGeneration();
    // A read is under way, but it may have started before this call: share the next one, started after it.
    this.generationNext ??= this.generationRunning
      .catch(() => undefined)
      .then(() => {
        this.generationNext = undefined;
        return this.startGeneration();
      });
    return this.generationNext;
  }

  private startGeneration(): Promise<string | undefined> {
    const run = this.readGeneration().finally(() => {
      if (this.generationRunning === run) this.generationRunning = undefined;
    });
    this.generationRunning = run;
    return run;
  }

  private async readGeneration(): Promise<string | undefined> {
    const { rows } = await this.db.executeQuery<{ g: string }>(
      this.kind === 'sqlite' ? SQLITE_GENERATION : POSTGRES_GENERATION,
    );
    return rows[0]?.g;
  }

  /**
   * The one TAXII read: entries of a collection matching the filters, in seq order. `visibility` is the
   * object-level access filter; it applies here, in SQL, before `limit`. A repeated read (TAXII clients re-poll
   * the same pages) is answered from memory while the database is unchanged (`generation()`): the same array,
   * which callers must not modify.
   */
  async queryEntries(
    q: TaxiiEntryQuery,
    visibility?: Visibility,
    /** A `generation()` the caller read just before (so that one request reads it once). */
    knownGeneration?: string,
  ): Promise<TaxiiEntry[]> {
    if (q.limit > PAGE_CACHE_MAX_LIMIT) return this.runQueryEntries(q, visibility);
    const generation = knownGeneration ?? (await this.generation());
    if (generation === undefined) return this.runQueryEntries(q, visibility);
    if (generation !== this.pagesGeneration) {
      this.pages.clear();
      this.pagesChars = 0;
      this.pagesGeneration = generation;
    }
    const key = JSON.stringify([q, visibility ?? null]);
    const hit = this.pages.get(key);
    if (hit) {
      this.pages.delete(key);
      this.pages.set(key, hit);
      return hit.rows;
    }
    // Concurrent misses of the same read under the same generation share one query (after a write, every client
    // polling the same page would otherwise run it at once).
    const flightKey = `${generation}\n${key}`;
    const flying = this.inFlight.get(flightKey);
    if (flying) return flying;
    const run = this.runQueryEntries(q, visibility).finally(() => this.inFlight.delete(flightKey));
    this.inFlight.set(flightKey, run);
    const rows = await run;
    // Stored under the generation seen before the query: if anything changed meanwhile, it is never served.
    if (generation !== undefined && this.pagesGeneration === generation) {
      const chars = rows.reduce((n, r) => n + r.body.length + 200, 0);
      while (
        this.pages.size > 0 &&
        (this.pages.size >= PAGE_CACHE_MAX || this.pagesChars + chars > PAGE_CACHE_MAX_CHARS)
      ) {
        const oldest = this.pages.keys().next().value!;
        this.pagesChars -= this.pages.get(oldest)!.chars;
        this.pages.delete(oldest);
      }
      if (chars <= PAGE_CACHE_MAX_CHARS) {
        this.pages.set(key, { rows, chars });
        this.pagesChars += chars;
      }
    }
    return rows;
  }

  private async runQueryEntries(q: TaxiiEntryQuery, visibility?: Visibility): Promise<TaxiiEntry[]> {
    let query = collectionEntries(this.db, q.collectionId);
    if (q.withBody) query = query.select('v.body');
    if (q.ids && q.ids.length > 0) query = query.where('e.version_row', 'in', versionRowsOf(q.ids));
    if (q.types && q.types.length > 0) query = query.where('e.type', 'in', [...q.types]);
    if (q.specVersions && q.specVersions.length > 0)
      query = query.where('e.spec_version', 'in', [...q.specVersions]);
    if (q.addedAfter !== undefined) query = query.where('e.date_added', '>', q.addedAfter);
    if (q.afterSeq !== undefined) query = query.where('e.seq', '>', q.afterSeq);
    const sel = q.versions;
    if (!sel.all) {
      query = query.where((eb) => {
        const alternatives = [];
        if (sel.last) alternatives.push(eb('e.is_latest', '=', 1));
        if (sel.first)
          alternatives.push(
            // No earlier version of the object in this collection (found from the object's versions).
            eb.not(
              eb.exists(
                eb
                  .selectFrom('stix_versions as fv')
                  .innerJoin('collection_entries as f', 'f.version_row', 'fv.row_id')
                  .select('f.seq')
                  .whereRef('fv.id', '=', 'e.object_id')
                  .whereRef('fv.version_key', '<', 'e.version_key')
                  .whereRef('f.collection_id', '=', 'e.collection_id'),
              ),
            ),
          );
        if (sel.keys.length > 0) alternatives.push(eb('e.version_key', 'in', [...sel.keys]));
        if (sel.datesAdded.length > 0)
          alternatives.push(
            eb.and([eb('e.version_key', '=', ''), eb('e.date_added', 'in', [...sel.datesAdded])]),
          );
        return alternatives.length > 0 ? eb.or(alternatives) : sql<boolean>`1 = 0`;
      });
    }
    const rows = await selectVisiblePage(this.db, query, visibility, q.limit);
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.object_id,
      type: r.type,
      specVersion: r.spec_version,
      versionKey: r.version_key,
      version: r.version,
      dateAdded: r.date_added,
      body: (r as { body?: string }).body ?? '',
    }));
  }

  /** Records a new status resource (all pending) and drops expired ones. */
  async createStatus(s: NewStatus, now: string): Promise<void> {
    await this.db.deleteFrom('taxii_statuses').where('expires_at', '<', now).execute();
    await this.db
      .insertInto('taxii_statuses')
      .values({
        id: s.id,
        collection_id: s.collectionId,
        principal_id: s.principalId,
        request_timestamp: s.requestTimestamp,
        total_count: s.total,
        success_count: 0,
        failure_count: 0,
        pending_count: s.total,
        expires_at: s.expiresAt,
        heartbeat_at: now,
      })
      .execute();
  }

  /**
   * Moves processed objects of a status from pending to success or failure. Callers record a status's outcomes
   * batch by batch in `idx` order (each batch one contiguous range of indexes), so the recorded ones are always the
   * first `success + failure` — which lets `getStatus` read only what is new since it last looked.
   */
  async recordOutcomes(
    statusId: string,
    outcomes: readonly StatusObjectOutcome[],
    now: string,
  ): Promise<void> {
    if (outcomes.length === 0) return;
    await this.db.transaction().execute((trx) => this.recordIn(trx, statusId, outcomes, now));
  }

  /** The process storing these statuses is alive (see migration 008). */
  async heartbeat(statusIds: readonly string[], now: string): Promise<void> {
    for (let i = 0; i < statusIds.length; i += IN_CHUNK)
      await this.db
        .updateTable('taxii_statuses')
        .set({ heartbeat_at: now })
        .where('id', 'in', statusIds.slice(i, i + IN_CHUNK))
        .where('pending_count', '>', 0)
        .execute();
  }

  /**
   * Stores a batch of a POST and records its outcomes in the status, in one transaction: the status never says
   * `success` for an object that is not stored, nor `pending` for one that is. `outcomesOf` turns the write's
   * outcomes (in `versions` order) into the status rows of the whole batch (refused objects included). If the
   * status was given up meanwhile (`getStatus`: no heartbeat for too long), nothing is stored and this throws
   * `StatusGivenUp`: its objects are already reported as failures.
   */
  async storeBatch(
    statusId: string,
    collectionId: string,
    versions: readonly NewVersion[],
    policy: WritePolicy,
    outcomesOf: (written: readonly WriteOutcome[]) => StatusObjectOutcome[],
    now: string,
  ): Promise<void> {
    if (this.objects === undefined) throw new Error('TaxiiRepository.storeBatch needs the object repository');
    await this.objects.writeBatch(collectionId, versions, policy, (trx, written) =>
      this.recordIn(trx, statusId, outcomesOf(written), now),
    );
  }

  private async recordIn(
    trx: Kysely<Database>,
    statusId: string,
    outcomes: readonly StatusObjectOutcome[],
    now: string,
  ): Promise<void> {
    if (outcomes.length === 0) return;
    const successes = outcomes.filter((o) => o.success).length;
    const failures = outcomes.length - successes;
    // The counts move only while the status still has this many pending: one given up (its pending objects
    // already reported as failed) takes no more, and the caller's transaction is rolled back.
    const moved = await trx
      .updateTable('taxii_statuses')
      .set((eb) => ({
        success_count: eb('success_count', '+', successes),
        failure_count: eb('failure_count', '+', failures),
        pending_count: eb('pending_count', '-', outcomes.length),
        heartbeat_at: now,
      }))
      .where('id', '=', statusId)
      .where('pending_count', '>=', outcomes.length)
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) throw new StatusGivenUp(statusId);
    // One row for the batch (migration 010): its outcomes are recorded together and read together, in idx order
    // (a batch lists the objects refused before storage first).
    const rows = outcomes
      .map((o): OutcomeTuple => [o.idx, o.objectId, o.version, o.success ? 1 : 0, o.message])
      .sort((a, b) => a[0] - b[0]);
    await trx
      .insertInto('taxii_status_outcomes')
      .values({
        status_id: statusId,
        first_idx: rows[0]![0],
        last_idx: rows.at(-1)![0],
        outcomes: JSON.stringify(rows),
      })
      .execute();
  }

  /**
   * A status with its recorded outcomes in `idx` order. Outcomes already read for a status are kept (a bounded
   * number of statuses), so a client polling a large POST costs one read of the outcomes recorded since its last
   * poll, not of all of them each time.
   */
  async getStatus(id: string, now: string, staleBefore?: string): Promise<StoredStatus | undefined> {
    const read = () =>
      this.db
        .selectFrom('taxii_statuses')
        .selectAll()
        .where('id', '=', id)
        .where('expires_at', '>=', now)
        .executeTakeFirst();
    let row = await read();
    if (!row) {
      this.dropStatusRows(id);
      return undefined;
    }
    if (
      staleBefore !== undefined &&
      Number(row.pending_count) > 0 &&
      (row.heartbeat_at ?? row.request_timestamp) < staleBefore
    ) {
      // No sign of life from the process storing it since `staleBefore`: it stopped (the envelope went with it),
      // so its pending objects will never be stored. They become failures; the status is complete.
      await this.db
        .updateTable('taxii_statuses')
        .set((eb) => ({
          failure_count: eb('failure_count', '+', eb.ref('pending_count')),
          pending_count: 0,
        }))
        .where('id', '=', id)
        .where('pending_count', '>', 0)
        .where((eb) => eb(eb.fn.coalesce('heartbeat_at', 'request_timestamp'), '<', staleBefore))
        .execute();
      row = (await read()) ?? row;
    }
    const recorded = Number(row.success_count) + Number(row.failure_count);
    let objects = this.statusRows.get(id);
    if (objects !== undefined && objects.length < recorded) {
      const last = objects.at(-1);
      const fresh = await this.readOutcomes(id, last?.idx);
      objects = objects.concat(fresh);
      this.statusRowsCount += fresh.length;
    }
    // Not a prefix after all (or never read): read them all.
    if (objects === undefined || objects.length < recorded) objects = await this.readOutcomes(id, undefined);
    this.keepStatusRows(id, objects);
    return {
      id: row.id,
      collectionId: row.collection_id,
      principalId: row.principal_id,
      requestTimestamp: row.request_timestamp,
      total: Number(row.total_count),
      success: Number(row.success_count),
      failure: Number(row.failure_count),
      pending: Number(row.pending_count),
      objects,
    };
  }

  /** Outcomes of a status in `idx` order, all or those after `afterIdx`. */
  private async readOutcomes(id: string, afterIdx: number | undefined): Promise<StatusObjectOutcome[]> {
    let q = this.db.selectFrom('taxii_status_outcomes').select('outcomes').where('status_id', '=', id);
    if (afterIdx !== undefined) q = q.where('last_idx', '>', afterIdx);
    const out: StatusObjectOutcome[] = [];
    for (const row of await q.orderBy('first_idx').execute())
      for (const [idx, objectId, version, success, message] of JSON.parse(row.outcomes) as OutcomeTuple[])
        if (afterIdx === undefined || idx > afterIdx)
          out.push({ idx, objectId, version, success: success === 1, message });
    // Each row is sorted (`recordIn`, migration 010) and rows are disjoint ranges taken in order.
    return out;
  }

  private keepStatusRows(id: string, objects: StatusObjectOutcome[]): void {
    this.dropStatusRows(id);
    if (objects.length > STATUS_ROWS_MAX) return;
    this.statusRows.set(id, objects);
    this.statusRowsCount += objects.length;
    // Least recently read first out.
    for (const [k, v] of this.statusRows) {
      if (this.statusRowsCount <= STATUS_ROWS_MAX) break;
      this.statusRows.delete(k);
      this.statusRowsCount -= v.length;
    }
  }

  private dropStatusRows(id: string): void {
    const old = this.statusRows.get(id);
    if (old === undefined) return;
    this.statusRows.delete(id);
    this.statusRowsCount -= old.length;
  }

  /** The value of a node-wide setting, stored as `initial` by whichever process asks first. */
  async settingOrInit(key: string, initial: string): Promise<string> {
    await this.db
      .insertInto('settings')
      .values({ key, value: initial })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    return row.value;
  }
}
