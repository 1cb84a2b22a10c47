/**
 * SQLite row inserts for write batches: one prepared single-row statement per table, run in a loop on the
 * connection under Kysely (so inside the caller's open transaction). better-sqlite3 binds and steps a prepared
 * statement in a few microseconds, where building and parsing one 200-row INSERT through the query builder costs
 * more than SQLite's own B-tree work. Parameters are bound by position (binding by name looks each one up on the
 * row object), and a body that arrives as UTF-8 bytes is bound as a blob and cast to text by SQLite: a plain copy,
 * where a JavaScript string would be re-encoded.
 */
import type Sqlite from 'better-sqlite3';
import {
  addStoredRow,
  type BulkInserter,
  type EntryRow,
  type MarkingRefRow,
  type StoredLookup,
  type StoredRow,
  type VersionRow,
} from './bulk-insert.js';
import type { WriteSignal } from './database.js';

type Param = string | number | bigint | Buffer | null;

/** A view of `bytes` that better-sqlite3 binds as a blob (it takes Buffers). */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function sqliteInserter(sqlite: Sqlite.Database, writes?: WriteSignal): BulkInserter {
  let statements:
    | {
        version: Sqlite.Statement<Param[]>;
        entry: Sqlite.Statement<Param[]>;
        ref: Sqlite.Statement<Param[]>;
        stored: Sqlite.Statement<[string, string]>;
      }
    | undefined;
  // Prepared on first use: the tables exist only once the migrations have run.
  const prepared = (): NonNullable<typeof statements> =>
    (statements ??= {
      version: sqlite.prepare(
        `insert into stix_versions (id, version_key, type, spec_version, version, created_by_ref, markings, revoked,
           body, tlp_rank, eff_rank, other_markings, sharing_group_id, source_ref, target_ref)
         values (?, ?, ?, ?, ?, ?, ?, ?, cast(? as text), ?, ?, ?, ?, ?, ?)`,
      ),
      entry: sqlite.prepare(
        `insert into collection_entries (collection_id, version_row, object_id, version_key, type, spec_version,
           date_added, is_latest, audience, author)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      ref: sqlite.prepare(
        `insert into version_marking_refs (version_row, marking_ref) values (?, ?) on conflict do nothing`,
      ),
      // The batch's ids as one JSON array parameter: one prepared statement whatever the batch size. Each id is
      // looked up once: every stored version of it, with its entry in the collection if it has one.
      stored: sqlite.prepare(
        `select v.id, v.version_key, v.row_id, e.is_latest, e.seq
         from stix_versions v left join collection_entries e on e.version_row = v.row_id and e.collection_id = ?
         where v.id in (select value from json_each(?))`,
      ),
    });
  return {
    lookupStored(_trx, collectionId, ids) {
      const versions: StoredLookup['versions'] = [];
      const entries: StoredLookup['entries'] = [];
      for (const r of prepared().stored.all(collectionId, JSON.stringify(ids)) as StoredRow[])
        addStoredRow(versions, entries, r);
      return Promise.resolve({ versions, entries });
    },
    insertVersions(_trx, rows: readonly VersionRow[]) {
      const { version } = prepared();
      writes?.fire();
      const rowIds: number[] = new Array<number>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        rowIds[i] = Number(
          version.run(
            r.id,
            r.version_key,
            r.type,
            r.spec_version,
            r.version,
            r.created_by_ref,
            r.markings,
            r.revoked,
            typeof r.body === 'string' ? r.body : asBuffer(r.body),
            r.tlp_rank,
            r.eff_rank,
            r.other_markings,
            r.sharing_group_id,
            r.source_ref,
            r.target_ref,
          ).lastInsertRowid,
        );
      }
      return Promise.resolve(rowIds);
    },
    insertEntries(_trx, rows: readonly EntryRow[]) {
      const { entry } = prepared();
      writes?.fire();
      const seqs: number[] = new Array<number>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        seqs[i] = Number(
          entry.run(
            r.collection_id,
            r.version_row,
            r.object_id,
            r.version_key,
            r.type,
            r.spec_version,
            r.date_added,
            r.is_latest,
            r.audience,
            r.author,
          ).lastInsertRowid,
        );
      }
      return Promise.resolve(seqs);
    },
    insertMarkingRefs(_trx, rows: readonly MarkingRefRow[]) {
      const { ref } = prepared();
      writes?.fire();
      for (const r of rows) ref.run(r.version_row, r.marking_ref);
      return Promise.resolve();
    },
  };
}
