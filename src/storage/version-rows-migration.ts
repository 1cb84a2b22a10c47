/**
 * Migration 009: stored versions get an integer row id (`stix_versions.row_id`), and collection entries and marking
 * references point at a version by it (`collection_entries.version_row`, `version_marking_refs.version_row`) instead
 * of by (object id, version key).
 *
 * Why: a B-tree keyed by object id takes every new version at a random place, so each write batch dirties a leaf
 * page per new version in each such index, and every dirty page is written whole at commit (16 KiB on SQLite, into
 * the WAL and again by the checkpoint). Three indexes were keyed by object id: the versions' own key, the entries'
 * unique key and the marking references. Keyed by row id, the last two only ever grow at their right edge, like
 * the collection page indexes already do: with 200,000 versions stored, the process wrote 45.5 KB per added
 * version before and 23.8 KB after (`npm run bench:writes`; docs/decisions/0002-version-rows.md).
 * Entry reads join a version by one integer look-up instead of a composite key; the object id stays on entries (it
 * is what pages return), and "entries of object X" read the few versions of X from the versions' key first.
 *
 * Row ids are never reused: stored versions are never deleted (a DELETE removes collection entries only).
 *
 * - SQLite: `stix_versions` is rebuilt with `row_id integer primary key` (the table's own B-tree key) and a unique
 *   index on (id, version_key); PostgreSQL: an identity column with a unique index.
 * - `collection_entries.version_row` is filled from the versions' key; the unique index becomes
 *   (version_row, collection_id).
 * - `version_marking_refs` is rebuilt as (version_row, marking_ref).
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { writePlannerStatistics } from './lean-indexes-migration.js';
import type { DatabaseKind } from './migrations.js';

const VERSION_COLUMNS = `id, version_key, type, spec_version, version, created_by_ref, markings, revoked, raw_hash,
  body, tlp_rank, sharing_group_id, source_ref, target_ref, eff_rank, other_markings`;

export const versionRowsMigration = (dialect: DatabaseKind): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (dialect === 'postgres') {
      await sql`alter table stix_versions add column row_id bigint generated always as identity`.execute(db);
      await sql`create unique index stix_versions_row_uq on stix_versions (row_id)`.execute(db);
    } else {
      await sql`create table stix_versions_new (
          row_id integer primary key,
          id text not null,
          version_key text not null,
          type text not null,
          spec_version text not null,
          version text,
          created_by_ref text,
          markings text,
          revoked integer default 0 not null,
          raw_hash text not null,
          body text not null,
          tlp_rank integer,
          sharing_group_id text,
          source_ref text,
          target_ref text,
          eff_rank integer default 4 not null,
          other_markings integer default 0 not null)`.execute(db);
      await sql`insert into stix_versions_new (${sql.raw(VERSION_COLUMNS)})
          select ${sql.raw(VERSION_COLUMNS)} from stix_versions order by rowid`.execute(db);
      await sql`drop table stix_versions`.execute(db);
      await sql`alter table stix_versions_new rename to stix_versions`.execute(db);
      await sql`create unique index stix_versions_key_uq on stix_versions (id, version_key)`.execute(db);
      await sql`create index stix_versions_type_idx on stix_versions (type)`.execute(db);
    }

    await sql`alter table collection_entries add column version_row bigint not null default 0`.execute(db);
    await sql`update collection_entries set version_row = coalesce((select v.row_id from stix_versions v
        where v.id = collection_entries.object_id and v.version_key = collection_entries.version_key), 0)`.execute(
      db,
    );
    if (dialect === 'postgres')
      await sql`alter table collection_entries alter column version_row drop default`.execute(db);
    await sql`drop index collection_entries_version_uq`.execute(db);
    await sql`create unique index collection_entries_version_uq
        on collection_entries (version_row, collection_id)`.execute(db);

    await sql`create table version_marking_refs_new (
        version_row bigint not null,
        marking_ref text not null,
        constraint version_marking_refs_row_pk primary key (version_row, marking_ref))${sql.raw(
          dialect === 'sqlite' ? ' without rowid' : '',
        )}`.execute(db);
    await sql`insert into version_marking_refs_new (version_row, marking_ref)
        select v.row_id, r.marking_ref from version_marking_refs r
        join stix_versions v on v.id = r.id and v.version_key = r.version_key`.execute(db);
    await sql`drop table version_marking_refs`.execute(db);
    await sql`alter table version_marking_refs_new rename to version_marking_refs`.execute(db);

    if (dialect === 'sqlite') await writePlannerStatistics(db, STATISTICS);
  },
});

/** Hand-written planner statistics for the changed indexes (see lean-indexes-migration.ts for why). */
const STATISTICS: readonly (readonly [table: string, index: string, stat: string])[] = [
  ['collection_entries', 'collection_entries_version_uq', '1000000 1 1'],
  ['stix_versions', 'stix_versions_key_uq', '1000000 1 1'],
  ['stix_versions', 'stix_versions_type_idx', '1000000 20000'],
];
