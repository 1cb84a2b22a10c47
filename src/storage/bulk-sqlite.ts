/**
 * SQLite row inserts for write batches: one prepared single-row statement per table, run in a loop on the
 * connection under Kysely (so inside the caller's open transaction). better-sqlite3 binds and steps a prepared
 * statement in a few microseconds, where building and parsing one 200-row INSERT through the query builder costs
 * more than SQLite's own B-tree work.
 */
import type Sqlite from 'better-sqlite3';
import {
  queryBuilderInserter,
  type BulkInserter,
  type EntryRow,
  type MarkingRefRow,
  type VersionRow,
} from './bulk-insert.js';

export function sqliteInserter(sqlite: Sqlite.Database): BulkInserter {
  let statements:
    | {
        version: Sqlite.Statement<[VersionRow]>;
        entry: Sqlite.Statement<[EntryRow]>;
        ref: Sqlite.Statement<[MarkingRefRow]>;
      }
    | undefined;
  // Prepared on first use: the tables exist only once the migrations have run.
  const prepared = (): NonNullable<typeof statements> =>
    (statements ??= {
      version: sqlite.prepare(
        `insert into stix_versions (id, version_key, type, spec_version, version, created_by_ref, markings, revoked,
           raw_hash, body, tlp_rank, eff_rank, other_markings, sharing_group_id, source_ref, target_ref)
         values (@id, @version_key, @type, @spec_version, @version, @created_by_ref, @markings, @revoked,
           @raw_hash, @body, @tlp_rank, @eff_rank, @other_markings, @sharing_group_id, @source_ref, @target_ref)`,
      ),
      entry: sqlite.prepare(
        `insert into collection_entries (collection_id, object_id, version_key, type, spec_version, date_added,
           is_latest, audience, author)
         values (@collection_id, @object_id, @version_key, @type, @spec_version, @date_added, @is_latest,
           @audience, @author)`,
      ),
      ref: sqlite.prepare(
        `insert into version_marking_refs (id, version_key, marking_ref) values (@id, @version_key, @marking_ref)
         on conflict do nothing`,
      ),
    });
  return {
    // Look-ups by id are few statements per batch: the query builder's are fine.
    lookupStored: (trx, collectionId, ids) => queryBuilderInserter.lookupStored(trx, collectionId, ids),
    insertVersions(_trx, rows) {
      const { version } = prepared();
      for (const r of rows) version.run(r);
      return Promise.resolve();
    },
    insertEntries(_trx, rows) {
      const { entry } = prepared();
      const seqs: number[] = new Array<number>(rows.length);
      for (let i = 0; i < rows.length; i++) seqs[i] = Number(entry.run(rows[i]!).lastInsertRowid);
      return Promise.resolve(seqs);
    },
    insertMarkingRefs(_trx, rows) {
      const { ref } = prepared();
      for (const r of rows) ref.run(r);
      return Promise.resolve();
    },
  };
}
