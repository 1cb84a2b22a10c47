import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsFor } from '../../src/storage/migrations.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

const ID = 'indicator--11111111-1111-4111-8111-111111111111';

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`migration 006 (lean indexes) on ${target.name}`, () => {
    let storage: Storage | undefined;
    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });

    it('keeps every entry, its sequence number and the sequence high-water mark, and still refuses a duplicate entry', async () => {
      const url = await target.fresh();
      const db =
        target.name === 'sqlite'
          ? new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(url.slice(7)) }) })
          : new Kysely<unknown>({
              dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
            });
      const migrated = await new Migrator({ db, provider: migrationsFor(target.name) }).migrateTo(
        '005_sharing_audience',
      );
      expect(migrated.error).toBeUndefined();
      await sql`insert into collections (id, title, created_at) values ('c1', 'One', '2026-01-01T00:00:00Z')`.execute(
        db,
      );
      const seqs: number[] = [];
      const entry = async (objectId: string, vk: string, latest: number): Promise<number> => {
        const r = await sql<{
          seq: number | string;
        }>`insert into collection_entries (collection_id, object_id,
            version_key, type, spec_version, date_added, is_latest, audience, author)
          values ('c1', ${objectId}, ${vk}, 'indicator', '2.1', ${`2026-01-01T00:00:00.00000${seqs.length}Z`},
            ${latest}, '0', null) returning seq`.execute(db);
        const seq = Number(r.rows[0]!.seq);
        seqs.push(seq);
        return seq;
      };
      for (const [vk, latest] of [
        ['2020-01-01T00:00:00.000000Z', 0],
        ['2021-01-01T00:00:00.000000Z', 1],
        ['2019-01-01T00:00:00.000000Z', 0],
      ] as const) {
        await sql`insert into stix_versions (id, version_key, type, spec_version, raw_hash, body)
          values (${ID}, ${vk}, 'indicator', '2.1', 'h', '{}')`.execute(db);
        await entry(ID, vk, latest);
      }
      // A deleted entry leaves the high-water mark above the largest remaining seq.
      const deleted = await entry('x--1', '', 1);
      await sql`delete from collection_entries where seq = ${deleted}`.execute(db);
      if (target.name === 'sqlite')
        await sql`insert into version_marking_refs (id, version_key, marking_ref) values (${ID}, '', 'marking-definition--1')`.execute(
          db,
        );
      await db.destroy();

      storage = await openStorage(url);
      const entries = await storage.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10 });
      expect(entries.map((e) => e.seq)).toEqual(seqs.slice(0, 3));
      const latest = await storage.objects.listEntries({ collectionId: 'c1', limit: 10 });
      expect(latest.map((e) => e.versionKey)).toEqual(['2021-01-01T00:00:00.000000Z']);
      await storage.close();

      const after =
        target.name === 'sqlite'
          ? new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(url.slice(7)) }) })
          : new Kysely<unknown>({
              dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
            });
      try {
        // Unique per (object, collection, version).
        await expect(
          sql`insert into collection_entries (collection_id, object_id, version_key, type, spec_version, date_added,
              is_latest) values ('c1', ${ID}, '2020-01-01T00:00:00.000000Z', 'indicator', '2.1', 'x', 0)`.execute(
            after,
          ),
        ).rejects.toThrow(/unique|duplicate/i);
        // New entries continue after the high-water mark, never reusing a deleted seq.
        const inserted = await sql<{
          seq: number | string;
        }>`insert into collection_entries (collection_id, object_id,
            version_key, type, spec_version, date_added, is_latest)
          values ('c1', 'x--2', '', 'x', '2.1', 'y', 1) returning seq`.execute(after);
        expect(Number(inserted.rows[0]!.seq)).toBeGreaterThan(deleted);
        if (target.name === 'sqlite') {
          const refs = await sql<{ n: number }>`select count(*) as n from version_marking_refs`.execute(
            after,
          );
          expect(refs.rows[0]!.n).toBe(1);
          const plan = await sql<{ detail: string }>`explain query plan select seq from collection_entries
              where collection_id = 'c1' and object_id = ${ID} and audience = '0' and is_latest = 1 and seq > 0
              order by seq limit 101`.execute(after);
          // One object is looked up by its id, never by walking the collection's page index.
          expect(plan.rows.map((r) => r.detail).join('\n')).toContain('collection_entries_version_uq');
        }
      } finally {
        await after.destroy();
      }
      storage = undefined;
    });
  });
}
