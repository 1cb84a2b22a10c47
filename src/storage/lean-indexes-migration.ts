/**
 * Migration 006: fewer B-trees to maintain on every write (each one is a random-order insert per stored version).
 *
 * - `collection_entries`: one unique index on (object_id, collection_id, version_key) replaces three — the unique
 *   constraint on (collection_id, object_id, version_key), `collection_entries_version_idx` (object_id, version_key)
 *   and `collection_entries_object_idx` (collection_id, object_id, seq). Lookups by object within a collection
 *   (objects/{id}/, versions/, match[id]) read the few versions of that object from it and sort them by seq;
 *   lookups of one version across collections (effective-rank upkeep) read that object's few entries. The object
 *   id leads so that SQLite's planner, without statistics, prefers it to the collection-leading page indexes
 *   whenever an object id is given.
 * - `version_marking_refs` on SQLite: a WITHOUT ROWID table, so its primary key is the table (one B-tree, not two).
 *
 * SQLite cannot drop a table constraint, so there the table is rebuilt (rows, sequence numbers and the
 * AUTOINCREMENT high-water mark kept).
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { DatabaseKind } from './migrations.js';

const ENTRY_INDEXES = [
  ['collection_entries_latest_idx', ['collection_id', 'is_latest', 'seq']],
  ['collection_entries_type_idx', ['collection_id', 'type', 'seq']],
  ['collection_entries_audience_idx', ['collection_id', 'audience', 'seq']],
  ['collection_entries_audience_latest_idx', ['collection_id', 'audience', 'is_latest', 'seq']],
  ['collection_entries_author_idx', ['collection_id', 'author', 'is_latest', 'seq']],
] as const;

export const leanIndexesMigration = (dialect: DatabaseKind): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (dialect === 'postgres') {
      await sql`alter table collection_entries drop constraint collection_entries_version_uq`.execute(db);
      await db.schema.dropIndex('collection_entries_version_idx').execute();
      await db.schema.dropIndex('collection_entries_object_idx').execute();
      await createVersionUnique(db);
      return;
    }
    const high = await sql<{
      seq: number;
    }>`select seq from sqlite_sequence where name = 'collection_entries'`.execute(db);
    await sql`create table collection_entries_new (
        seq integer primary key autoincrement,
        collection_id text not null references collections (id) on delete cascade,
        object_id text not null,
        version_key text not null,
        type text not null,
        spec_version text not null,
        date_added text not null,
        is_latest integer not null,
        audience text,
        author text)`.execute(db);
    await sql`insert into collection_entries_new
        select seq, collection_id, object_id, version_key, type, spec_version, date_added, is_latest, audience, author
        from collection_entries order by seq`.execute(db);
    await sql`drop table collection_entries`.execute(db);
    await sql`alter table collection_entries_new rename to collection_entries`.execute(db);
    const last = high.rows[0]?.seq;
    if (last !== undefined)
      await sql`update sqlite_sequence set seq = max(seq, ${last}) where name = 'collection_entries'`.execute(
        db,
      );
    for (const [name, columns] of ENTRY_INDEXES)
      await db.schema
        .createIndex(name)
        .on('collection_entries')
        .columns([...columns])
        .execute();
    await createVersionUnique(db);

    await sql`create table version_marking_refs_new (
        id text not null,
        version_key text not null,
        marking_ref text not null,
        primary key (id, version_key, marking_ref)) without rowid`.execute(db);
    await sql`insert into version_marking_refs_new select id, version_key, marking_ref from version_marking_refs`.execute(
      db,
    );
    await sql`drop table version_marking_refs`.execute(db);
    await sql`alter table version_marking_refs_new rename to version_marking_refs`.execute(db);

    await writePlannerStatistics(db, STATISTICS);
  },
});

async function createVersionUnique(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('collection_entries_version_uq')
    .unique()
    .on('collection_entries')
    .columns(['object_id', 'collection_id', 'version_key'])
    .execute();
}

/**
 * SQLite's planner, without statistics, takes every index as equally selective per column and so prefers a longer
 * match on a page index — (collection_id, audience, is_latest, seq) — to (object_id, collection_id) when one object
 * is asked for: objects/{id}/ would then walk a whole collection. Hand-written statistics (sqlite_stat1, which
 * SQLite documents as writable for exactly this) tell it that an object id picks out a handful of rows and that the
 * page keys (collection, audience, type, author, latest) pick out many. A later ANALYZE replaces them with measured
 * ones, which say the same.
 */
const STATISTICS: readonly (readonly [table: string, index: string, stat: string])[] = [
  ['collection_entries', 'collection_entries_version_uq', '1000000 2 1 1'],
  ['collection_entries', 'collection_entries_latest_idx', '1000000 500000 250000 1'],
  ['collection_entries', 'collection_entries_type_idx', '1000000 500000 20000 1'],
  ['collection_entries', 'collection_entries_audience_idx', '1000000 500000 100000 1'],
  ['collection_entries', 'collection_entries_audience_latest_idx', '1000000 500000 100000 50000 1'],
  ['collection_entries', 'collection_entries_author_idx', '1000000 500000 50000 25000 1'],
  ['stix_versions', 'sqlite_autoindex_stix_versions_1', '1000000 1 1'],
  ['stix_versions', 'stix_versions_type_idx', '1000000 20000'],
];

/** Writes these rows of sqlite_stat1 (replacing any for the same index) and makes the planner read them. */
export async function writePlannerStatistics(
  db: Kysely<unknown>,
  statistics: readonly (readonly [table: string, index: string, stat: string])[],
): Promise<void> {
  // Creates sqlite_stat1 if it does not exist yet. One small table only: a plain ANALYZE would read every table of
  // an upgraded store (a million entries and their bodies) at start-up, for figures replaced just below.
  await sql`analyze collections`.execute(db);
  for (const [table, index, stat] of statistics) {
    await sql`delete from sqlite_stat1 where tbl = ${table} and idx = ${index}`.execute(db);
    await sql`insert into sqlite_stat1 (tbl, idx, stat) values (${table}, ${index}, ${stat})`.execute(db);
  }
  // Samples from an earlier ANALYZE (SQLITE_ENABLE_STAT4 builds) would take precedence over the figures above.
  const stat4 = await sql<{
    n: number;
  }>`select count(*) as n from sqlite_schema where name = 'sqlite_stat4'`.execute(db);
  const tables = [...new Set(statistics.map(([table]) => table))];
  if (Number(stat4.rows[0]?.n ?? 0) > 0)
    await sql`delete from sqlite_stat4 where tbl in (${sql.join(tables)})`.execute(db);
  // Makes the planner read them now.
  await sql`analyze sqlite_schema`.execute(db);
}
