import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';
import { migratedTo, rawDatabase } from '../support/migrated.js';

const ID = 'indicator--11111111-1111-4111-8111-111111111111';

for (const target of testDatabases) {
  describe.skipIf(!target.available)(
    `migrations 006 (lean indexes) and 009 (version rows) on ${target.name}`,
    () => {
      let storage: Storage | undefined;
      afterEach(async () => {
        await storage?.close();
        storage = undefined;
      });

      it('keeps every entry, its sequence number and the sequence high-water mark, and still refuses a duplicate entry', async () => {
        const url = await target.fresh();
        const db = await migratedTo(target.name, url, '005_sharing_audience');
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
          await sql`insert into version_marking_refs (id, version_key, marking_ref) values (${ID}, '2020-01-01T00:00:00.000000Z', 'marking-definition--1')`.execute(
            db,
          );
        await db.destroy();

        storage = await openStorage(url);
        const entries = await storage.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10 });
        expect(entries.map((e) => e.seq)).toEqual(seqs.slice(0, 3));
        const latest = await storage.objects.listEntries({ collectionId: 'c1', limit: 10 });
        expect(latest.map((e) => e.versionKey)).toEqual(['2021-01-01T00:00:00.000000Z']);
        await storage.close();

        const after = rawDatabase(target.name, url);
        try {
          // Every entry points at its own version's row (migration 009).
          const rows = await sql<{ version_key: string; entry_key: string }>`select v.version_key,
            e.version_key as entry_key from collection_entries e join stix_versions v on v.row_id = e.version_row
            where e.collection_id = 'c1' order by e.seq`.execute(after);
          expect(rows.rows.map((r) => [r.entry_key, r.version_key])).toEqual(
            ['2020-01-01T00:00:00.000000Z', '2021-01-01T00:00:00.000000Z', '2019-01-01T00:00:00.000000Z'].map(
              (k) => [k, k],
            ),
          );
          // Unique per (version, collection).
          await expect(
            sql`insert into collection_entries (collection_id, version_row, object_id, version_key, type, spec_version,
              date_added, is_latest) values ('c1', (select row_id from stix_versions
                where id = ${ID} and version_key = '2020-01-01T00:00:00.000000Z'),
              ${ID}, '2020-01-01T00:00:00.000000Z', 'indicator', '2.1', 'x', 0)`.execute(after),
          ).rejects.toThrow(/unique|duplicate/i);
          // New entries continue after the high-water mark, never reusing a deleted seq.
          const inserted = await sql<{
            seq: number | string;
          }>`insert into collection_entries (collection_id, version_row, object_id,
            version_key, type, spec_version, date_added, is_latest)
          values ('c1', 999999, 'x--2', '', 'x', '2.1', 'y', 1) returning seq`.execute(after);
          expect(Number(inserted.rows[0]!.seq)).toBeGreaterThan(deleted);
          if (target.name === 'sqlite') {
            // The marking reference now names its version by row.
            const refs = await sql<{
              version_key: string;
              marking_ref: string;
            }>`select v.version_key, r.marking_ref from version_marking_refs r
              join stix_versions v on v.row_id = r.version_row`.execute(after);
            expect(refs.rows).toEqual([
              { version_key: '2020-01-01T00:00:00.000000Z', marking_ref: 'marking-definition--1' },
            ]);
            const plan = await sql<{ detail: string }>`explain query plan select seq from collection_entries
              where collection_id = 'c1' and audience = '0' and is_latest = 1 and seq > 0
                and version_row in (select vr.row_id from stix_versions vr where vr.id in (${ID}))
              order by seq limit 101`.execute(after);
            // One object is looked up by its id, never by walking the collection's page index.
            const detail = plan.rows.map((r) => r.detail).join('\n');
            expect(detail).toContain('collection_entries_version_uq');
            expect(detail).toContain('stix_versions_key_uq');
          }
        } finally {
          await after.destroy();
        }
        storage = undefined;
      });
    },
  );
}
