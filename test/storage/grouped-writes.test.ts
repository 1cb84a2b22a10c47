/**
 * `ObjectRepository.groupedWrites`: an import's batches committed in groups (PostgreSQL), each batch by itself
 * (SQLite). What another connection sees, and when the write lock is free again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type NewVersion, type Storage, type WritePolicy } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';
import { newVersionOf } from '../support/versions.js';

const policy: WritePolicy = { sameContent: (a, b) => a === b, checkTransition: () => [] };

function indicator(n: number): NewVersion {
  return newVersionOf({
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    created: '2021-03-02T00:00:00.000Z',
    modified: '2021-03-02T00:00:00.000Z',
  });
}

const range = (from: number, count: number): NewVersion[] =>
  Array.from({ length: count }, (_, i) => indicator(from + i));

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`grouped writes on ${target.name}`, () => {
    const opened: Storage[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    /** Two storages on one database: the importer, and another process. */
    async function pair(): Promise<[Storage, Storage]> {
      const url = await target.fresh();
      const importer = await openStorage(url);
      opened.push(importer);
      await importer.collections.ensure({
        id: 'c1',
        title: 'One',
        description: null,
        alias: null,
        createdAt: '2026-01-01T00:00:00Z',
      });
      const other = await openStorage(url);
      opened.push(other);
      return [importer, other];
    }

    const count = async (s: Storage): Promise<number> =>
      (await s.objects.listEntries({ collectionId: 'c1', limit: 100_000 })).length;

    it('commits a group at 5,000 versions, or once no batch has come for a moment; a failure rolls back its group', async () => {
      const [importer, other] = await pair();
      const grouped = target.name === 'postgres';
      await importer.objects.groupedWrites(async (write) => {
        await write('c1', range(0, 10), policy);
        // A group under way is not visible to others (PostgreSQL); each batch commits by itself on SQLite.
        expect(await count(other)).toBe(grouped ? 0 : 10);
        // Idle: the group commits, and the write lock is free for another writer.
        await new Promise((r) => setTimeout(r, 200));
        expect(await count(other)).toBe(10);
        expect((await other.objects.writeBatch('c1', range(100_000, 1), policy))[0]!.status).toBe('added');
        // A new group: it commits once it holds 5,000 versions.
        await write('c1', range(10, 5_000), policy);
        expect(await count(other)).toBe(5_011);
        await write('c1', range(5_010, 2_000), policy);
        await write('c1', range(7_010, 3_000), policy);
        expect(await count(other)).toBe(10_011);
      });
      expect(await count(other)).toBe(10_011);

      await expect(
        importer.objects.groupedWrites(async (write) => {
          await write('c1', range(20_000, 10), policy);
          throw new Error('input broke');
        }),
      ).rejects.toThrow('input broke');
      expect(await count(other)).toBe(grouped ? 10_011 : 10_021);
      // The connection went back clean: the next import writes and commits.
      await importer.objects.groupedWrites((write) => write('c1', range(30_000, 5), policy));
      expect(await count(other)).toBe(grouped ? 10_016 : 10_026);
    });
  });
}
