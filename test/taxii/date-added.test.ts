/**
 * What lossless paging by added_after rests on: no two entries share a date_added, and date_added grows with seq
 * (the order TAXII serves), even when the clock stands still or goes backwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage, type NewVersion, type Storage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

const version = (n: number): NewVersion => {
  const id = `malware--00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const body = JSON.stringify({ type: 'malware', id, n });
  return {
    id,
    type: 'malware',
    specVersion: '2.1',
    versionKey: '2021-01-01T00:00:00.000000000Z',
    version: '2021-01-01T00:00:00.000Z',
    createdByRef: null,
    markings: null,
    revoked: false,
    body,
  };
};
const policy = { sameContent: (a: string, b: string) => a === b, checkTransition: () => [] };

for (const target of testDatabases) {
  describe.runIf(target.available)(`date_added (${target.name})`, () => {
    let storage: Storage;
    afterAll(() => storage?.close());

    it('every entry gets its own date_added, increasing with seq, even with a clock that stands still or goes back', async () => {
      let micros = Date.parse('2026-01-01T00:00:00Z') * 1000;
      storage = await openStorage(await target.fresh(), { clock: () => micros });
      await storage.collections.ensure({
        id: 'c',
        title: 'c',
        description: null,
        alias: null,
        createdAt: '',
      });
      const first = await storage.objects.writeBatch('c', [1, 2, 3].map(version), policy);
      micros -= 10_000_000;
      const second = await storage.objects.writeBatch('c', [4, 5].map(version), policy);
      const added = [...first, ...second].map((o) => (o.status === 'added' ? o : undefined));
      const dates = added.map((o) => o!.dateAdded);
      const seqs = added.map((o) => o!.seq);
      expect(new Set(dates).size).toBe(5);
      expect([...dates].sort()).toEqual(dates);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      const stored = await storage.objects.listEntries({ collectionId: 'c', limit: 10 });
      expect(stored.map((e) => e.dateAdded)).toEqual(dates);
    });
  });
}
