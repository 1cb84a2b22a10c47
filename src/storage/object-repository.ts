/**
 * Stored STIX object versions and their presence in collections.
 *
 * Writes happen in batches, each in one transaction. Within a transaction the writer holds the store's write
 * lock (SQLite serialises writers by itself; on PostgreSQL a transaction-scoped advisory lock), so sequence
 * numbers become visible in the order they were assigned: a reader paging by `seq` can never skip a row that
 * commits later with a smaller number. `date_added` is taken under the same lock and never goes backwards.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from './migrations.js';
import type { VersionAccess } from '../core/access/facts.js';
import {
  accessColumns,
  afterWrite,
  collectionDefaultRank,
  entryAccessColumns,
  insertStatementMarkings,
  newMarkingRefs,
  newStatementMarkings,
} from './access-facts.js';
import {
  queryBuilderInserter,
  type BulkInserter,
  type EntryRow,
  type NewRowsInserter,
  type PreparedRows,
  type StoredLookup,
  type VersionRow,
} from './bulk-insert.js';
import type { Database } from './schema.js';
import { NO_COLLECTION_RANK } from './sharing-migration.js';
import {
  collectionEntries,
  selectVisiblePage,
  versionRowsOf,
  visibilityFilter,
  type Visibility,
} from './visibility.js';

/** A version ready to store: the service has parsed and validated it. */
export interface NewVersion {
  readonly id: string;
  readonly type: string;
  readonly specVersion: string;
  /** Sortable key of the version timestamp; '' for unversioned objects. */
  readonly versionKey: string;
  readonly version: string | null;
  readonly createdByRef: string | null;
  readonly markings: readonly string[] | null;
  readonly revoked: boolean;
  /**
   * Exact JSON text, or its UTF-8 bytes (what the ingest pipeline hands over: the bytes as they arrived, which the
   * database stores as text without a JavaScript string ever being made of them). `bodyText` reads either.
   */
  readonly body: string | Uint8Array;
  /** Access facts (docs/sharing.md): marking references and relationship ends; computed from `body` if absent. */
  readonly access?: VersionAccess | undefined;
  /** The sharing group this version is published in (docs/sharing.md); none when absent. */
  readonly sharingGroupId?: string | null | undefined;
}

const utf8 = new TextDecoder();

/** A new version's body as text (decoding its bytes, if it came as bytes). */
export function bodyText(v: Pick<NewVersion, 'body'>): string {
  return typeof v.body === 'string' ? v.body : utf8.decode(v.body);
}

export type WriteOutcome =
  | { readonly status: 'added'; readonly dateAdded: string; readonly seq: number }
  /** The same version (same content) is already in this collection: a success that changes nothing. */
  | { readonly status: 'duplicate' }
  /** Same id and version as a stored one, different content. */
  | { readonly status: 'conflict'; readonly message: string }
  /** Refused by the caller's version rules (e.g. revocation is final). */
  | { readonly status: 'rejected'; readonly message: string };

/** Decisions the storage layer leaves to the domain. */
export interface WritePolicy {
  /** Whether two bodies with different bytes are the same version content (e.g. canonical JSON equality). */
  sameContent(storedBody: string, newBody: string): boolean;
  /**
   * Problems with adding `next` (whose body as text is `nextBody`) given the other versions of the same id (bodies);
   * empty when fine.
   */
  checkTransition(existingBodies: readonly string[], next: NewVersion, nextBody: string): string[];
}

/**
 * A batch worked out before its write transaction, on the assumption that none of its ids is stored yet
 * (`ObjectRepository.planBatch`): its outcomes, its new versions and the statement parameters that store them.
 */
export interface BatchPlan {
  readonly collectionId: string;
  readonly batch: readonly NewVersion[];
  /** The collection's default rank the rows were built with (it decides unmarked versions' access columns). */
  readonly defaultRank: number;
  /** Outcomes in input order; `added` ones get their date and seq when written. */
  readonly outcomes: readonly WriteOutcome[];
  /** Each is stored and enters the collection, in this order. */
  readonly newVersions: readonly NewVersion[];
  /** Ids of new statement marking definitions. */
  readonly statements: readonly string[];
  readonly prepared: PreparedRows;
}

/** Stores one batch (with its plan, if one was made), returning its outcomes in input order. */
export type BatchWrite = (
  collectionId: string,
  batch: readonly NewVersion[],
  policy: WritePolicy,
  plan?: BatchPlan,
) => Promise<WriteOutcome[]>;

export interface StoredEntry {
  readonly seq: number;
  readonly collectionId: string;
  readonly id: string;
  readonly type: string;
  readonly specVersion: string;
  readonly versionKey: string;
  readonly version: string | null;
  readonly dateAdded: string;
  readonly body: string;
}

export interface EntryQuery {
  readonly collectionId: string;
  readonly types?: readonly string[] | undefined;
  readonly ids?: readonly string[] | undefined;
  /** `last` (default): only the newest version of each object; `all`: every version. */
  readonly versions?: 'last' | 'all' | undefined;
  /** Exclusive lower bound on seq (keyset pagination). */
  readonly afterSeq?: number | undefined;
  readonly limit: number;
}

export interface VersionQuery {
  readonly types?: readonly string[] | undefined;
  readonly ids?: readonly string[] | undefined;
  readonly versions?: 'last' | 'all' | undefined;
  /** Keyset position: (id, versionKey) strictly after this. */
  readonly after?: { readonly id: string; readonly versionKey: string } | undefined;
  readonly limit: number;
}

export interface StoredVersion {
  readonly id: string;
  readonly type: string;
  readonly versionKey: string;
  readonly body: string;
}

export type Clock = () => number; // microseconds since the epoch

const PG_WRITE_LOCK = 0x656e7465; // 'ente'
/** BEGIN, the write lock and JIT off, in one simple query (see `writeTransaction`). */
const PG_BEGIN_LOCKED = `begin; select pg_advisory_xact_lock(${PG_WRITE_LOCK}), set_config('jit', 'off', true)`;
/** `groupedWrites` (PostgreSQL): versions per commit at most (batches are not split), and the idle time after which a group commits. */
const GROUP_VERSIONS = 5000;
const GROUP_IDLE_MS = 20;
const IN_CHUNK = 500;

export class ObjectRepository {
  private lastDateAdded = '';
  /**
   * The last planned batch stored without a look-up found its plan no longer held (see writeInTransaction). A hint
   * for which path to try first, nothing more: shared by every writer of this process, it decides no outcome.
   */
  private guardMissed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DatabaseKind,
    private readonly clock: Clock,
    private readonly inserter: BulkInserter = queryBuilderInserter,
    /**
     * Told after each committed write, with roughly how many bytes it stored and how many versions it was given
     * (background checkpoints, planner statistics).
     */
    private readonly committed?: (bytes: number, versions: number) => void,
    /** Awaited before each write transaction begins (SQLite: room in the WAL, `BackgroundCheckpointer.headroom`). */
    private readonly beforeWrite?: () => Promise<void>,
  ) {}

  /**
   * Stores a batch in one transaction. Outcomes are in input order. `then` (storage-internal: e.g. the TAXII status
   * of the batch) runs in the same transaction with the outcomes, so it commits or rolls back with the objects.
   */
  async writeBatch(
    collectionId: string,
    batch: readonly NewVersion[],
    policy: WritePolicy,
    then?: (trx: Kysely<Database>, outcomes: readonly WriteOutcome[]) => Promise<void>,
    /** This batch's plan (`planBatch`), if it was made. */
    plan?: BatchPlan,
  ): Promise<WriteOutcome[]> {
    if (batch.length === 0 && then === undefined) return [];
    await this.beforeWrite?.();
    const outcomes = await this.writeTransaction(async (trx) => {
      const written =
        batch.length === 0 ? [] : await this.writeInTransaction(trx, collectionId, batch, policy, plan);
      await then?.(trx, written);
      return written;
    });
    this.committed?.(writtenBytes(batch), batch.length);
    return outcomes;
  }

  /** Runs `fn` in one transaction holding the write lock; `write` stores batches inside it (all-or-nothing). */
  async inTransaction<T>(fn: (write: BatchWrite) => Promise<T>): Promise<T> {
    let bytes = 0;
    let versions = 0;
    await this.beforeWrite?.();
    const result = await this.writeTransaction((trx) =>
      fn((c, b, p, plan) => {
        bytes += writtenBytes(b);
        versions += b.length;
        return this.writeInTransaction(trx, c, b, p, plan);
      }),
    );
    this.committed?.(bytes, versions);
    return result;
  }

  /**
   * Runs `fn`, a bulk import that writes batch after batch (`write`, in order, each awaited before the next), with
   * the batches committed in groups. PostgreSQL: one transaction takes batches until it holds GROUP_VERSIONS
   * versions, or until no next batch has come for GROUP_IDLE_MS (so an import that waits for its input never
   * holds the write lock meanwhile); each commit waits for the WAL to reach the disk, a fixed cost per commit
   * that batches of 1,000 paid 25 times per ATT&CK import. A failed batch rolls back its group and fails the
   * import (as a failed commit does): `fn` sees the error. SQLite: each batch in its own transaction (a
   * transaction spanning turns of the event loop would show its writes to the reads that share the connection).
   */
  async groupedWrites<T>(fn: (write: BatchWrite) => Promise<T>): Promise<T> {
    if (this.kind !== 'postgres') return fn((c, b, p, plan) => this.writeBatch(c, b, p, undefined, plan));
    return this.db.connection().execute(async (conn) => {
      let open = false;
      let versions = 0;
      let bytes = 0;
      let failure: Error | undefined;
      let idle: NodeJS.Timeout | undefined;
      // One operation at a time on the connection: a write, or the idle timer's commit.
      let chain: Promise<unknown> = Promise.resolve();
      const serial = <R>(op: () => Promise<R>): Promise<R> => {
        const run = chain.then(() => {
          if (failure !== undefined) throw failure;
          return op();
        });
        chain = run.catch(() => undefined);
        return run;
      };
      const fail = async (err: unknown): Promise<never> => {
        failure ??= asError(err);
        if (open) await rollback(conn);
        open = false;
        throw err;
      };
      const commit = async (): Promise<void> => {
        if (!open) return;
        open = false;
        try {
          await sql.raw('commit').execute(conn);
        } catch (err) {
          failure ??= asError(err);
          throw err;
        }
        this.committed?.(bytes, versions);
        versions = 0;
        bytes = 0;
      };
      const write: BatchWrite = (collectionId, batch, policy, plan) =>
        serial(async () => {
          clearTimeout(idle);
          try {
            if (!open) {
              await sql.raw(PG_BEGIN_LOCKED).execute(conn);
              open = true;
            }
            const outcomes = await this.writeInTransaction(conn, collectionId, batch, policy, plan);
            versions += batch.length;
            bytes += writtenBytes(batch);
            if (versions >= GROUP_VERSIONS) await commit();
            else idle = setTimeout(() => void serial(commit).catch(() => undefined), GROUP_IDLE_MS);
            return outcomes;
          } catch (err) {
            return fail(err);
          }
        });
      try {
        const result = await fn(write);
        await serial(commit);
        return result;
      } finally {
        clearTimeout(idle);
        await chain;
        if (open) await rollback(conn);
      }
    });
  }

  /**
   * Runs `fn` in a transaction holding the store's write lock. SQLite: its own (a write transaction takes the
   * database's lock at its first write). PostgreSQL: a transaction-scoped advisory lock, taken with BEGIN in one
   * round trip (one simple query of two statements; each later statement sees every write committed before the
   * lock was granted), and JIT turned off for the transaction: its statements are short, and compiling one costs
   * more than running it.
   */
  private async writeTransaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.kind !== 'postgres') return this.db.transaction().execute(fn);
    return this.db.connection().execute(async (conn) => {
      await sql.raw(PG_BEGIN_LOCKED).execute(conn);
      let result: T;
      try {
        result = await fn(conn);
      } catch (err) {
        await rollback(conn);
        throw err;
      }
      await sql.raw('commit').execute(conn);
      return result;
    });
  }

  /**
   * Works out, before its write transaction, what a batch would store if none of its ids were stored yet, and
   * builds the statement parameters for that (where the database has a path for new rows: PostgreSQL). An import
   * plans the next batch while the current one is written; `writeBatch` uses the plan when the look-up under the
   * write lock finds none of the ids and the collection's default rank unchanged, and decides afresh otherwise.
   */
  async planBatch(
    collectionId: string,
    batch: readonly NewVersion[],
    policy: WritePolicy,
  ): Promise<BatchPlan | undefined> {
    if (this.inserter.newRows === undefined || batch.length === 0) return undefined;
    const defaultRank = await collectionDefaultRank(this.db, collectionId);
    // In turns of the event loop: the batch written meanwhile waits for this process at each of its round trips.
    return this.planNew(collectionId, batch, policy, defaultRank, nextTurn);
  }

  private async planNew(
    collectionId: string,
    batch: readonly NewVersion[],
    policy: WritePolicy,
    defaultRank: number,
    pause: () => Promise<void> = () => Promise.resolve(),
  ): Promise<BatchPlan | undefined> {
    const fast = this.inserter.newRows;
    if (fast === undefined) return undefined;
    const d = await this.decide(undefined, batch, policy, emptyState());
    // With nothing stored, every entry is a version new in this batch, in the same order.
    if (d.newEntries.length !== d.newVersions.length || d.newEntries.some((v, i) => d.newVersions[i] !== v))
      return undefined;
    await pause();
    const versions: VersionRow[] = [];
    const entries: Pick<EntryRow, 'is_latest' | 'audience' | 'author'>[] = [];
    for (const v of d.newVersions) {
      const c = accessColumns(v, defaultRank);
      versions.push(versionRow(v, c));
      entries.push({ is_latest: d.latestInBatch.get(v.id) === v ? 1 : 0, ...entryAccessColumns(v, c) });
    }
    const markingRefs = newMarkingRefs(d.newVersions);
    await pause();
    const ids = [...new Set(batch.map((v) => v.id))];
    const prepared = await fast.prepare({ collectionId, ids, versions, entries, markingRefs }, pause);
    return {
      collectionId,
      batch,
      defaultRank,
      outcomes: d.outcomes,
      newVersions: d.newVersions,
      statements: newStatementMarkings(d.newVersions),
      prepared,
    };
  }

  private async writeInTransaction(
    trx: Kysely<Database>,
    collectionId: string,
    batch: readonly NewVersion[],
    policy: WritePolicy,
    plan?: BatchPlan,
  ): Promise<WriteOutcome[]> {
    const fast = this.inserter.newRows;
    const planned = plan?.batch === batch && plan.collectionId === collectionId ? plan : undefined;
    // A plan made before this transaction: stored at once, if its statement finds what the look-up below would
    // have to find for the plan to hold (nothing of the batch stored, the same default rank, no later date_added).
    // After a miss, the next batch looks up first (a batch of updates is likely followed by more).
    if (fast !== undefined && planned !== undefined && planned.newVersions.length > 0 && !this.guardMissed) {
      const written = await this.writePlanned(trx, fast, planned, this.nextDateAdded(null), true);
      if (written !== undefined) return written;
      this.guardMissed = true;
    }
    const ids = [...new Set(batch.map((v) => v.id))];

    // What is already stored for these ids, globally and in this collection.
    let found: StoredLookup;
    let dateAdded: string;
    let knownRank: number | undefined;
    if (fast !== undefined) {
      const lookup = await fast.lookupForWrite(trx, collectionId, ids);
      found = lookup;
      dateAdded = this.nextDateAdded(lookup.lastDateAdded);
      knownRank = lookup.defaultRank ?? NO_COLLECTION_RANK;
      if (found.versions.length === 0) {
        const p =
          planned?.defaultRank === knownRank
            ? planned
            : await this.planNew(collectionId, batch, policy, knownRank);
        if (p !== undefined) {
          this.guardMissed = false;
          return (await this.writePlanned(trx, fast, p, dateAdded, false))!;
        }
      }
    } else {
      dateAdded = this.nextDateAdded(await this.newestStoredDateAdded(trx));
      found = await this.inserter.lookupStored(trx, collectionId, ids);
    }
    const state = emptyState();
    for (const r of found.versions) {
      state.stored.set(key(r.id, r.version_key), { rowId: r.row_id });
      push(state.versionKeysById, r.id, r.version_key);
    }
    await loadRepeatedBodies(trx, batch, state);
    for (const e of found.entries) {
      state.inCollection.add(key(e.object_id, e.version_key));
      if (e.is_latest === 1)
        state.latestInCollection.set(e.object_id, { versionKey: e.version_key, seq: e.seq });
    }
    const { outcomes, newVersions, newEntries, bodiesInBatch, demote, latestInBatch } = await this.decide(
      trx,
      batch,
      policy,
      state,
    );

    const defaultRank =
      newEntries.length === 0 ? 0 : (knownRank ?? (await collectionDefaultRank(trx, collectionId)));
    const columns = new Map<NewVersion, ReturnType<typeof accessColumns>>();
    const columnsOf = (v: NewVersion): ReturnType<typeof accessColumns> => {
      let c = columns.get(v);
      if (c === undefined) columns.set(v, (c = accessColumns(v, defaultRank)));
      return c;
    };
    const newRowIds = await this.inserter.insertVersions(
      trx,
      newVersions.map((v) => versionRow(v, columnsOf(v))),
    );
    // The row id of every entry's version: just assigned, or already stored.
    const rowIdOf = new Map<NewVersion, number>();
    for (let i = 0; i < newVersions.length; i++) rowIdOf.set(newVersions[i]!, newRowIds[i]!);
    const versionRowId = (v: NewVersion): number => {
      const assigned = rowIdOf.get(v); // most entries: a version this batch stored
      if (assigned !== undefined) return assigned;
      const k = key(v.id, v.versionKey);
      return rowIdOf.get(bodiesInBatch.get(k) ?? v) ?? state.stored.get(k)!.rowId;
    };
    for (const part of chunks(demote, IN_CHUNK)) {
      await trx.updateTable('collection_entries').set({ is_latest: 0 }).where('seq', 'in', part).execute();
    }
    // Each entry gets its own microsecond, in seq order: no two entries share a date_added, so paging by
    // `added_after` (TAXII's X-TAXII-Date-Added-Last) can never split a group of equal timestamps.
    const datesAdded = consecutiveMicros(dateAdded, newEntries.length);
    if (datesAdded.length > 0) this.lastDateAdded = datesAdded.at(-1)!;
    const seqs = await this.inserter.insertEntries(
      trx,
      newEntries.map((v, i) => ({
        collection_id: collectionId,
        version_row: versionRowId(v),
        object_id: v.id,
        version_key: v.versionKey,
        type: v.type,
        spec_version: v.specVersion,
        date_added: datesAdded[i]!,
        is_latest: latestInBatch.get(v.id) === v ? 1 : 0,
        ...entryAccessColumns(v, columnsOf(v)),
      })),
    );
    const isNew = new Set(newVersions);
    await afterWrite(
      trx,
      this.inserter,
      newVersions,
      newRowIds,
      newEntries.filter((v) => !isNew.has(v)).map((v) => v.id),
    );
    return filledOutcomes(outcomes, datesAdded, seqs, dateAdded);
  }

  /**
   * Stores a plan's rows: known to hold (the look-up under the write lock found none of its ids), or `guarded`:
   * then only if it holds, undefined (nothing stored) otherwise.
   */
  private async writePlanned(
    trx: Kysely<Database>,
    fast: NewRowsInserter,
    plan: BatchPlan,
    dateAdded: string,
    guarded: boolean,
  ): Promise<WriteOutcome[] | undefined> {
    const datesAdded = consecutiveMicros(dateAdded, plan.newVersions.length);
    const seqs =
      datesAdded.length === 0
        ? []
        : await fast.insertPrepared(
            trx,
            plan.prepared,
            datesAdded,
            guarded ? { defaultRank: plan.defaultRank } : undefined,
          );
    if (seqs === undefined) return undefined;
    if (datesAdded.length > 0) this.lastDateAdded = datesAdded.at(-1)!;
    await insertStatementMarkings(trx, plan.statements);
    return filledOutcomes(plan.outcomes, datesAdded, seqs, dateAdded);
  }

  /**
   * What storing `batch` does, given what is stored (`state`, which this extends with the batch's own versions):
   * each version's outcome, the versions to store, the entries to add (in order), and which entries are latest.
   */
  private async decide(
    trx: Kysely<Database> | undefined,
    batch: readonly NewVersion[],
    policy: WritePolicy,
    state: StoredState,
  ): Promise<Decisions> {
    const { stored, versionKeysById, inCollection, latestInCollection } = state;
    const bodyOf = (id: string, versionKey: string): Promise<string> => {
      if (trx === undefined) throw new Error(`${id}: a stored body was needed where nothing is stored`);
      return this.bodyOf(trx, id, versionKey);
    };
    const outcomes: WriteOutcome[] = [];
    const newVersions: NewVersion[] = [];
    const newEntries: NewVersion[] = [];
    const bodiesInBatch = new Map<string, NewVersion>(); // key -> version first seen in this batch
    const demote: number[] = []; // seqs that stop being latest
    const latestInBatch = new Map<string, NewVersion>(); // entries in this batch that are the newest so far

    for (const v of batch) {
      const k = key(v.id, v.versionKey);
      const known = stored.get(k);
      const inBatch = bodiesInBatch.get(k);
      if (known !== undefined || inBatch !== undefined) {
        let same: boolean;
        // The same bytes, or (written differently) the same JSON.
        if (inBatch !== undefined)
          same = sameBytes(inBatch.body, v.body) || policy.sameContent(bodyText(inBatch), bodyText(v));
        else {
          const stored = known!.body ?? (await bodyOf(v.id, v.versionKey));
          same = sameBytes(stored, v.body) || policy.sameContent(stored, bodyText(v));
        }
        if (!same) {
          outcomes.push({
            status: 'conflict',
            message:
              v.versionKey === ''
                ? `${v.id} is already stored with different content (objects without a version cannot change)`
                : `${v.id} version ${v.version ?? v.versionKey} is already stored with different content`,
          });
          continue;
        }
        if (inCollection.has(k)) {
          outcomes.push({ status: 'duplicate' });
          continue;
        }
      } else {
        // A new version: the domain's version rules, against every other version of this id.
        const others = versionKeysById.get(v.id) ?? [];
        if (others.length > 0) {
          const bodies: string[] = [];
          for (const vk of others)
            bodies.push(bodyTextOf(bodiesInBatch.get(key(v.id, vk))) ?? (await bodyOf(v.id, vk)));
          const problems = policy.checkTransition(bodies, v, bodyText(v));
          if (problems.length > 0) {
            outcomes.push({ status: 'rejected', message: problems.join('; ') });
            continue;
          }
        }
        bodiesInBatch.set(k, v);
        push(versionKeysById, v.id, v.versionKey);
        newVersions.push(v);
      }
      // Add to the collection, keeping track of which entry is the newest version of its object.
      inCollection.add(k);
      newEntries.push(v);
      const currentBatchLatest = latestInBatch.get(v.id);
      const currentStoredLatest = latestInCollection.get(v.id);
      const newestKey = currentBatchLatest?.versionKey ?? currentStoredLatest?.versionKey;
      if (newestKey === undefined || v.versionKey > newestKey) {
        latestInBatch.set(v.id, v);
        if (currentBatchLatest === undefined && currentStoredLatest !== undefined)
          demote.push(currentStoredLatest.seq);
      }
      outcomes.push({ status: 'added', dateAdded: '', seq: 0 });
    }

    return { outcomes, newVersions, newEntries, bodiesInBatch, demote, latestInBatch };
  }

  private async bodyOf(trx: Kysely<Database>, id: string, versionKey: string): Promise<string> {
    const row = await trx
      .selectFrom('stix_versions')
      .select('body')
      .where('id', '=', id)
      .where('version_key', '=', versionKey)
      .executeTakeFirstOrThrow();
    return row.body;
  }

  /** The date_added of the newest stored entry, when this process may not know it (other processes may write too). */
  private async newestStoredDateAdded(trx: Kysely<Database>): Promise<string | null> {
    if (this.lastDateAdded !== '' && this.kind !== 'postgres') return null;
    // The write lock is held.
    const row = await trx
      .selectFrom('collection_entries')
      .select('date_added')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.date_added ?? null;
  }

  /** The first date_added of this transaction: now, in microseconds, after every stored one (`newest`, if known). */
  private nextDateAdded(newest: string | null): string {
    if (newest !== null && newest > this.lastDateAdded) this.lastDateAdded = newest;
    const now = formatMicros(this.clock());
    // Strictly after every stored date_added: entries never share one.
    this.lastDateAdded =
      now > this.lastDateAdded
        ? now
        : this.lastDateAdded === ''
          ? now
          : formatMicros(parseMicros(this.lastDateAdded) + 1);
    return this.lastDateAdded;
  }

  /**
   * Removes entries (versions) of one object from one collection, by seq; the newest remaining version becomes
   * the latest. Stored versions stay (other collections may hold them), and each removal is recorded
   * (`collection_deletions`, see `wasDeleted`). Returns how many entries went.
   */
  async removeEntries(collectionId: string, objectId: string, seqs: readonly number[]): Promise<number> {
    if (seqs.length === 0) return 0;
    const deletedAt = formatMicros(this.clock());
    return this.writeTransaction(async (trx) => {
      let removed = 0;
      for (const part of chunks(seqs, IN_CHUNK)) {
        await trx
          .insertInto('collection_deletions')
          .columns(['collection_id', 'version_row', 'deleted_at'])
          .expression((eb) =>
            eb
              .selectFrom('collection_entries')
              .select(['collection_id', 'version_row', sql.lit(deletedAt).as('deleted_at')])
              .where('collection_id', '=', collectionId)
              .where('object_id', '=', objectId)
              .where('seq', 'in', part),
          )
          .onConflict((oc) =>
            oc.columns(['collection_id', 'version_row']).doUpdateSet({ deleted_at: deletedAt }),
          )
          .execute();
        const r = await trx
          .deleteFrom('collection_entries')
          .where('collection_id', '=', collectionId)
          .where('object_id', '=', objectId)
          .where('seq', 'in', part)
          .executeTakeFirst();
        removed += Number(r.numDeletedRows);
      }
      const newest = await trx
        .selectFrom('collection_entries')
        .select(['seq', 'is_latest'])
        .where('version_row', 'in', versionRowsOf([objectId]))
        .where('collection_id', '=', collectionId)
        .orderBy('version_key', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (newest && newest.is_latest !== 1) {
        await trx
          .updateTable('collection_entries')
          .set({ is_latest: 1 })
          .where('seq', '=', newest.seq)
          .execute();
      }
      return removed;
    });
  }

  /**
   * Whether a DELETE removed from the collection a version of `objectId` with one of `versionKeys` (and, when
   * given, one of `specVersions`) that is not there again and that the caller may see (with `visibility`; any,
   * without).
   */
  async wasDeleted(
    collectionId: string,
    objectId: string,
    versionKeys: readonly string[],
    visibility?: Visibility,
    specVersions?: readonly string[],
  ): Promise<boolean> {
    if (versionKeys.length === 0 || specVersions?.length === 0) return false;
    let query = this.db
      .selectFrom('collection_deletions as d')
      .innerJoin('stix_versions as v', 'v.row_id', 'd.version_row')
      .select('d.version_row')
      .where('d.collection_id', '=', collectionId)
      .where('v.id', '=', objectId)
      .where('v.version_key', 'in', versionKeys.slice(0, IN_CHUNK))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('collection_entries as e')
              .select('e.seq')
              .whereRef('e.version_row', '=', 'd.version_row')
              .whereRef('e.collection_id', '=', 'd.collection_id'),
          ),
        ),
      );
    if (specVersions !== undefined)
      query = query.where('v.spec_version', 'in', specVersions.slice(0, IN_CHUNK));
    const visible = visibilityFilter(visibility);
    if (visible) query = query.where(visible);
    return (await query.limit(1).executeTakeFirst()) !== undefined;
  }

  /** Entries of one collection in `seq` order, joined with their bodies. */
  async listEntries(q: EntryQuery, visibility?: Visibility): Promise<StoredEntry[]> {
    let query = collectionEntries(this.db, q.collectionId).select('v.body');
    if ((q.versions ?? 'last') === 'last') query = query.where('e.is_latest', '=', 1);
    if (q.types && q.types.length > 0) query = query.where('e.type', 'in', [...q.types]);
    if (q.ids && q.ids.length > 0) query = query.where('e.version_row', 'in', versionRowsOf(q.ids));
    if (q.afterSeq !== undefined) query = query.where('e.seq', '>', q.afterSeq);
    const rows = await selectVisiblePage(this.db, query, visibility, q.limit);
    return rows.map((r) => ({
      seq: Number(r.seq),
      collectionId: q.collectionId,
      id: r.object_id,
      type: r.type,
      specVersion: r.spec_version,
      versionKey: r.version_key,
      version: r.version,
      dateAdded: r.date_added,
      body: r.body,
    }));
  }

  /** Stored versions across all collections, in (id, version) order; `last` keeps each object's newest. */
  async listVersions(q: VersionQuery, visibility?: Visibility): Promise<StoredVersion[]> {
    let query = this.db
      .selectFrom('stix_versions as v')
      .select(['v.id', 'v.type', 'v.version_key', 'v.body']);
    if ((q.versions ?? 'last') === 'last') {
      query = query.where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('stix_versions as n')
              .select('n.id')
              .whereRef('n.id', '=', 'v.id')
              .whereRef('n.version_key', '>', 'v.version_key'),
          ),
        ),
      );
    }
    if (q.types && q.types.length > 0) {
      const types = [...q.types];
      query = query.where('v.type', 'in', types);
      // A type is the prefix of its objects' ids (`type--UUID`, checked at ingest), so on SQLite (byte order) each
      // type is one range of the (id, version_key) key, read in the pages' order. PostgreSQL compares text in the
      // database's collation, where '-' and '.' may not sort as bytes: there, the type alone filters.
      if (this.kind !== 'postgres')
        query = query.where((eb) =>
          eb.or(types.map((t) => eb.and([eb('v.id', '>=', `${t}--`), eb('v.id', '<', `${t}-.`)]))),
        );
    }
    if (q.ids && q.ids.length > 0) query = query.where('v.id', 'in', [...q.ids]);
    if (q.after) {
      const after = q.after;
      query = query.where((eb) =>
        eb.or([
          eb('v.id', '>', after.id),
          eb.and([eb('v.id', '=', after.id), eb('v.version_key', '>', after.versionKey)]),
        ]),
      );
    }
    const visible = visibilityFilter(visibility);
    if (visible) query = query.where(visible);
    const rows = await query.orderBy('v.id').orderBy('v.version_key').limit(q.limit).execute();
    return rows.map((r) => ({ id: r.id, type: r.type, versionKey: r.version_key, body: r.body }));
  }

  /**
   * Object counts by type: distinct objects (latest versions) and all stored versions; with `visibility`, only
   * what that caller may see (docs/sharing.md: counts never include hidden objects).
   */
  async countByType(
    collectionId?: string,
    visibility?: Visibility,
  ): Promise<{ type: string; objects: number; versions: number }[]> {
    const visible = visibilityFilter(visibility);
    if (collectionId !== undefined) {
      let query = this.db
        .selectFrom('collection_entries as e')
        .innerJoin('stix_versions as v', 'v.row_id', 'e.version_row')
        .select(({ fn }) => [
          'e.type',
          fn.countAll<number | string>().as('versions'),
          fn.sum<number | string>('e.is_latest').as('objects'),
        ])
        .where('e.collection_id', '=', collectionId);
      if (visible) query = query.where(visible);
      const rows = await query.groupBy('e.type').orderBy('e.type').execute();
      return rows.map((r) => ({ type: r.type, objects: Number(r.objects), versions: Number(r.versions) }));
    }
    // A version's type is the prefix of its id (`type--UUID`, checked at ingest): counted from the (id, version_key)
    // key alone, no table row is read; a caller's visibility needs the rows anyway.
    const type = visible
      ? sql<string>`v.type`
      : this.kind === 'postgres'
        ? sql<string>`split_part(v.id, '--', 1)`
        : sql<string>`substr(v.id, 1, instr(v.id, '--') - 1)`;
    let query = this.db
      .selectFrom('stix_versions as v')
      .select(({ fn }) => [
        type.as('type'),
        fn.countAll<number | string>().as('versions'),
        fn.count<number | string>('v.id').distinct().as('objects'),
      ]);
    if (visible) query = query.where(visible);
    const rows = await query.groupBy(type).orderBy(type).execute();
    return rows.map((r) => ({ type: r.type, objects: Number(r.objects), versions: Number(r.versions) }));
  }
}

/** What is stored for a batch's ids: versions anywhere (key id\0versionKey), entries in the collection. */
interface StoredState {
  /** Stored versions by key, with the body of each one the batch brings again (`loadRepeatedBodies`). */
  readonly stored: Map<string, { rowId: number; body?: string }>;
  readonly versionKeysById: Map<string, string[]>;
  readonly inCollection: Set<string>;
  readonly latestInCollection: Map<string, { versionKey: string; seq: number }>;
}

const emptyState = (): StoredState => ({
  stored: new Map(),
  versionKeysById: new Map(),
  inCollection: new Set(),
  latestInCollection: new Map(),
});

/**
 * Reads into `state` the bodies of the stored versions that `batch` brings again (same id and version): whether each
 * is a duplicate or a conflict is decided by comparing the bodies. A batch of new objects reads nothing; re-importing
 * a bundle reads its stored bodies once, where a digest of every incoming object would cost every import (SHA-256
 * of each object was 4 % of an ATT&CK import; docs/benchmarks.md, tenth session).
 */
async function loadRepeatedBodies(
  trx: Kysely<Database>,
  batch: readonly NewVersion[],
  state: StoredState,
): Promise<void> {
  const repeated = new Map<number, { rowId: number; body?: string }>();
  for (const v of batch) {
    const s = state.stored.get(key(v.id, v.versionKey));
    if (s !== undefined) repeated.set(s.rowId, s);
  }
  for (const part of chunks([...repeated.keys()], IN_CHUNK))
    for (const r of await trx
      .selectFrom('stix_versions')
      .select(['row_id', 'body'])
      .where('row_id', 'in', part)
      .execute())
      repeated.get(Number(r.row_id))!.body = r.body;
}

/** Whether two bodies (text, or UTF-8 bytes) are the same bytes. */
function sameBytes(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && Buffer.compare(x, y) === 0;
}

interface Decisions {
  readonly outcomes: WriteOutcome[];
  readonly newVersions: NewVersion[];
  readonly newEntries: NewVersion[];
  /** Key id\0versionKey: the version first seen in this batch. */
  readonly bodiesInBatch: Map<string, NewVersion>;
  /** Seqs of stored entries that stop being latest. */
  readonly demote: number[];
  /** By id: the entry of this batch that is the newest version. */
  readonly latestInBatch: Map<string, NewVersion>;
}

/** The `stix_versions` row of a new version (every row an explicit literal of one shape: see TaxiiService.page). */
function versionRow(v: NewVersion, c: ReturnType<typeof accessColumns>): VersionRow {
  return {
    id: v.id,
    version_key: v.versionKey,
    type: v.type,
    spec_version: v.specVersion,
    version: v.version,
    created_by_ref: v.createdByRef,
    markings: v.markings === null ? null : JSON.stringify([...v.markings].sort()),
    revoked: v.revoked ? 1 : 0,
    body: v.body,
    tlp_rank: c.tlp_rank,
    eff_rank: c.eff_rank,
    other_markings: c.other_markings,
    sharing_group_id: c.sharing_group_id,
    source_ref: c.source_ref,
    target_ref: c.target_ref,
  };
}

/** The outcomes with the date and seq of each added entry, in order. */
function filledOutcomes(
  outcomes: readonly WriteOutcome[],
  datesAdded: readonly string[],
  seqs: readonly number[],
  dateAdded: string,
): WriteOutcome[] {
  let s = 0;
  return outcomes.map((o) => {
    if (o.status !== 'added') return o;
    const k = s++;
    return { status: 'added', dateAdded: datesAdded[k] ?? dateAdded, seq: seqs[k] ?? 0 };
  });
}

/** Ends a transaction that failed. A broken connection cannot roll back; the server ends it with the session. */
const rollback = (conn: Kysely<Database>): Promise<unknown> =>
  sql
    .raw('rollback')
    .execute(conn)
    .catch(() => undefined);

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Roughly what a batch adds to the database: its bodies plus a few hundred bytes of row and index keys each. */
function writtenBytes(batch: readonly NewVersion[]): number {
  let n = 0;
  for (const v of batch) n += v.body.length + 400;
  return n;
}

const key = (id: string, versionKey: string): string => `${id}\u0000${versionKey}`;

const bodyTextOf = (v: NewVersion | undefined): string | undefined =>
  v === undefined ? undefined : bodyText(v);

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** `count` timestamps one microsecond apart from `first` (a `formatMicros` string), formatting each millisecond once. */
export function consecutiveMicros(first: string, count: number): string[] {
  const base = parseMicros(first);
  const out = new Array<string>(count);
  let prefixMs = -1;
  let prefix = '';
  for (let i = 0; i < count; i++) {
    const micros = base + i;
    const ms = Math.floor(micros / 1000);
    if (ms !== prefixMs) {
      prefixMs = ms;
      prefix = new Date(ms).toISOString().slice(0, -1); // …SS.mmm
    }
    out[i] = `${prefix}${String(micros % 1000).padStart(3, '0')}Z`;
  }
  return out;
}

/** Microseconds since the epoch of a `formatMicros` string. */
export function parseMicros(s: string): number {
  return Date.parse(`${s.slice(0, 23)}Z`) * 1000 + Number(s.slice(23, 26));
}

/** RFC 3339 UTC with exactly six fractional digits. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // …SS.mmmZ
  const extra = String(Math.floor(micros) % 1000).padStart(3, '0');
  return `${iso.slice(0, -1)}${extra}Z`;
}
