/**
 * The row inserts of a write batch (ObjectRepository.writeBatch), one implementation per database. The decisions
 * (what is new, what conflicts, which entry is latest) are made before; these only store rows, inside the caller's
 * transaction, as fast as the database allows: building a multi-row statement per batch through the query builder
 * costs more than SQLite's own work on a bulk import.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** One `stix_versions` row. */
export interface VersionRow {
  readonly id: string;
  readonly version_key: string;
  readonly type: string;
  readonly spec_version: string;
  readonly version: string | null;
  readonly created_by_ref: string | null;
  readonly markings: string | null;
  readonly revoked: number;
  /** The JSON text, or its UTF-8 bytes (stored as text all the same). */
  readonly body: string | Uint8Array;
  readonly tlp_rank: number | null;
  readonly eff_rank: number;
  readonly other_markings: number;
  readonly sharing_group_id: string | null;
  readonly source_ref: string | null;
  readonly target_ref: string | null;
}

/** One `collection_entries` row (its `seq` is assigned by the database). */
export interface EntryRow {
  readonly collection_id: string;
  /** The version's `stix_versions.row_id`. */
  readonly version_row: number;
  readonly object_id: string;
  readonly version_key: string;
  readonly type: string;
  readonly spec_version: string;
  readonly date_added: string;
  readonly is_latest: number;
  readonly audience: string;
  readonly author: string | null;
}

/** One `version_marking_refs` row (a non-TLP marking of a version); duplicates are ignored. */
export interface MarkingRefRow {
  /** The version's `stix_versions.row_id`. */
  readonly version_row: number;
  readonly marking_ref: string;
}

/** What is stored for some object ids: their versions (anywhere), and their entries in one collection. */
export interface StoredLookup {
  readonly versions: { id: string; version_key: string; row_id: number }[];
  readonly entries: { object_id: string; version_key: string; is_latest: number; seq: number }[];
}

/** A stored version left-joined with its entry in the collection (`seq` null: it has none there). */
export interface StoredRow {
  readonly id: string;
  readonly version_key: string;
  readonly row_id: number | bigint;
  readonly is_latest: number | bigint | null;
  readonly seq: number | bigint | null;
}

/** Adds one `StoredRow` to the two lists of a `StoredLookup`. */
export function addStoredRow(
  versions: StoredLookup['versions'],
  entries: StoredLookup['entries'],
  r: StoredRow,
): void {
  versions.push({ id: r.id, version_key: r.version_key, row_id: Number(r.row_id) });
  if (r.seq !== null)
    entries.push({
      object_id: r.id,
      version_key: r.version_key,
      is_latest: Number(r.is_latest),
      seq: Number(r.seq),
    });
}

/**
 * The rows of a batch whose versions are all new and each enter the collection once (the common case of an
 * import): entry i is version i's. Built before the write transaction begins (no row ids, seqs or dates yet), so a
 * database that can take them prepared (`NewRowsInserter`) gets its statement parameters built while the previous
 * batch is still being written.
 */
export interface NewRows {
  readonly collectionId: string;
  /** Every object id of the batch, once (what `insertPrepared`'s guard checks is not stored yet). */
  readonly ids: readonly string[];
  readonly versions: readonly VersionRow[];
  /** Entry i is version i's; its version_row, seq and date_added are assigned when it is written. */
  readonly entries: readonly Pick<EntryRow, 'is_latest' | 'audience' | 'author'>[];
  /** Non-TLP marking references of the new versions, by index into `versions` (no duplicates). */
  readonly markingRefs: readonly { readonly version: number; readonly marking_ref: string }[];
}

/** Statement parameters built from `NewRows` by the inserter that writes them; opaque to everyone else. */
export interface PreparedRows {
  readonly versions: number;
}

/** What the write transaction needs to know before deciding anything: stored rows, newest date_added, rank. */
export interface WriteLookup extends StoredLookup {
  /** The date_added of the newest entry anywhere (null: none). */
  readonly lastDateAdded: string | null;
  /** The collection's default rank (null: no such collection). */
  readonly defaultRank: number | null;
}

/**
 * A faster write path for batches of new versions (PostgreSQL): one statement stores all rows of the batch, its row
 * ids and seqs assigned by the database within that statement; either after one look-up statement has shown that
 * none of the batch is stored, or guarded: checking that itself, and storing nothing otherwise.
 */
export interface NewRowsInserter {
  /** Everything `WriteLookup` tells, in one round trip (inside the write transaction, after the write lock). */
  lookupForWrite(trx: Kysely<Database>, collectionId: string, ids: readonly string[]): Promise<WriteLookup>;
  /** Builds the statement parameters of `rows` (no I/O), awaiting `pause` now and then. */
  prepare(rows: NewRows, pause: () => Promise<void>): Promise<PreparedRows>;
  /**
   * Stores prepared rows with these dates (one per entry); returns each entry's seq, strictly increasing. With a
   * guard, only if none of the batch's ids is stored, the collection's default rank is `defaultRank` and every
   * stored date_added is before the first of `datesAdded`; otherwise stores nothing and returns undefined.
   */
  insertPrepared(
    trx: Kysely<Database>,
    prepared: PreparedRows,
    datesAdded: readonly string[],
    guard?: { readonly defaultRank: number },
  ): Promise<number[] | undefined>;
}

export interface BulkInserter {
  /** The path for batches of new versions, where the database has one. */
  readonly newRows?: NewRowsInserter;
  /** What is already stored for these ids (the write batch decides duplicates, conflicts, latest from it). */
  lookupStored(trx: Kysely<Database>, collectionId: string, ids: readonly string[]): Promise<StoredLookup>;
  /** Returns the assigned `row_id` of each row, in input order. */
  insertVersions(trx: Kysely<Database>, rows: readonly VersionRow[]): Promise<number[]>;
  /** Returns the assigned `seq` of each row, in input order (strictly increasing). */
  insertEntries(trx: Kysely<Database>, rows: readonly EntryRow[]): Promise<number[]>;
  insertMarkingRefs(trx: Kysely<Database>, rows: readonly MarkingRefRow[]): Promise<void>;
}

const CHUNK = 200;
const utf8 = new TextDecoder();
const LOOKUP_CHUNK = 500;

/** Multi-row INSERTs through the query builder: works on any dialect (the reference the fast paths are tested against). */
export const queryBuilderInserter: BulkInserter = {
  async lookupStored(trx, collectionId, ids) {
    const versions: StoredLookup['versions'] = [];
    const entries: StoredLookup['entries'] = [];
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const part = ids.slice(i, i + LOOKUP_CHUNK);
      // Every stored version of these ids, with its entry in the collection if it has one (at most one: entries
      // are unique per version and collection).
      for (const r of await trx
        .selectFrom('stix_versions as v')
        .leftJoin('collection_entries as e', (j) =>
          j.onRef('e.version_row', '=', 'v.row_id').on('e.collection_id', '=', collectionId),
        )
        .select(['v.id', 'v.version_key', 'v.row_id', 'e.is_latest', 'e.seq'])
        .where('v.id', 'in', part)
        .execute())
        addStoredRow(versions, entries, r);
    }
    return { versions, entries };
  },
  async insertVersions(trx, rows) {
    // RETURNING gives no order guarantee: row ids are matched back by (id, version_key), unique per table.
    const rowIds = new Map<string, number>();
    for (let i = 0; i < rows.length; i += CHUNK)
      for (const r of await trx
        .insertInto('stix_versions')
        .values(
          rows
            .slice(i, i + CHUNK)
            .map((r) =>
              typeof r.body === 'string' ? { ...r, body: r.body } : { ...r, body: utf8.decode(r.body) },
            ),
        )
        .returning(['id', 'version_key', 'row_id'])
        .execute())
        rowIds.set(`${r.id}\u0000${r.version_key}`, Number(r.row_id));
    return rows.map((r) => rowIds.get(`${r.id}\u0000${r.version_key}`)!);
  },
  async insertEntries(trx, rows) {
    const seqs: number[] = [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const out = await trx
        .insertInto('collection_entries')
        .values(rows.slice(i, i + CHUNK))
        .returning('seq')
        .execute();
      for (const r of out) seqs.push(Number(r.seq));
    }
    return seqs;
  },
  async insertMarkingRefs(trx, rows) {
    for (let i = 0; i < rows.length; i += CHUNK)
      await trx
        .insertInto('version_marking_refs')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) => oc.columns(['version_row', 'marking_ref']).doNothing())
        .execute();
  },
};
