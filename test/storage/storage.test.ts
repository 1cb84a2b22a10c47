import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type NewVersion, type Storage, type WritePolicy } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

const policy: WritePolicy = {
  sameContent: (a, b) => JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b)),
  checkTransition: (bodies, next) =>
    bodies.some((b) => (JSON.parse(b) as { revoked?: boolean }).revoked === true && next.versionKey !== '')
      ? ['revoked']
      : [],
};

function version(
  id: string,
  modified: string | null,
  extra: Record<string, unknown> = {},
  indent = 0,
): NewVersion {
  const type = id.split('--')[0]!;
  const obj = {
    type,
    id,
    spec_version: '2.1',
    ...(modified ? { created: '2020-01-01T00:00:00.000Z', modified } : {}),
    ...extra,
  };
  const body = JSON.stringify(obj, null, indent);
  return {
    id,
    type,
    specVersion: '2.1',
    versionKey: modified ?? '',
    version: modified,
    createdByRef: null,
    markings: null,
    revoked: extra.revoked === true,
    body,
  };
}

const A = 'indicator--11111111-1111-4111-8111-111111111111';
const B = 'malware--22222222-2222-4222-8222-222222222222';
const IP = 'ipv4-addr--33333333-3333-5333-8333-333333333333';

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`storage on ${target.name}`, () => {
    let storage: Storage | undefined;
    let micros = Date.UTC(2026, 0, 1) * 1000;
    const clock = () => micros;

    async function open(): Promise<Storage> {
      storage = await openStorage(await target.fresh(), { clock });
      await storage.collections.ensure({
        id: 'c1',
        title: 'One',
        description: null,
        alias: 'one',
        createdAt: '2026-01-01T00:00:00Z',
      });
      await storage.collections.ensure({
        id: 'c2',
        title: 'Two',
        description: 'x',
        alias: null,
        createdAt: '2026-01-02T00:00:00Z',
      });
      return storage;
    }

    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });

    it('finds collections by id or alias, and ensure is idempotent', async () => {
      const s = await open();
      expect((await s.collections.get('one'))?.id).toBe('c1');
      expect((await s.collections.get('c2'))?.description).toBe('x');
      expect(await s.collections.get('nope')).toBeUndefined();
      await s.collections.ensure({
        id: 'c1',
        title: 'Changed',
        description: null,
        alias: 'one',
        createdAt: 'x',
      });
      expect((await s.collections.list()).map((c) => c.title)).toEqual(['One', 'Two']);
    });

    it('keeps the exact JSON of every stored version', async () => {
      const s = await open();
      const v = version(A, '2021-03-02T00:00:00.000Z', { name: 'ünïcode ☃' }, 4);
      expect((await s.objects.writeBatch('c1', [v], policy))[0]?.status).toBe('added');
      const [entry] = await s.objects.listEntries({ collectionId: 'c1', limit: 10 });
      expect(entry?.body).toBe(v.body);
    });

    it('stores a body given as UTF-8 bytes as the same text, and compares it with string bodies', async () => {
      const s = await open();
      const asBytes = (v: NewVersion): NewVersion => ({
        ...v,
        body: new TextEncoder().encode(v.body as string),
      });
      const v = version(A, '2021-03-02T00:00:00.000Z', { name: 'ünïcode ☃ "q" \\ end' }, 2);
      // A view into a larger buffer, as the ingest worker hands bodies over.
      const bytes = new TextEncoder().encode(`xx${v.body as string}yy`);
      const viewed = { ...v, body: bytes.subarray(2, bytes.length - 2) };
      const changed = asBytes(version(A, '2021-03-02T00:00:00.000Z', { name: 'other' }));
      expect(
        (await s.objects.writeBatch('c1', [viewed, asBytes(v), changed], policy)).map((o) => o.status),
      ).toEqual(['added', 'duplicate', 'conflict']);
      const [entry] = await s.objects.listEntries({ collectionId: 'c1', limit: 10 });
      expect(entry?.body).toBe(v.body);
      expect(typeof entry?.body).toBe('string');
      // Against the stored version: the same text as a string is a duplicate, other bytes a conflict.
      expect((await s.objects.writeBatch('c1', [v], policy))[0]?.status).toBe('duplicate');
      expect((await s.objects.writeBatch('c2', [changed], policy))[0]?.status).toBe('conflict');
      expect((await s.objects.writeBatch('c2', [asBytes(v)], policy))[0]?.status).toBe('added');
      const [again] = await s.objects.listEntries({ collectionId: 'c2', limit: 10 });
      expect(again?.body).toBe(v.body);
    });

    it('gives every stored version a microsecond date_added and a strictly increasing sequence', async () => {
      const s = await open();
      const first = await s.objects.writeBatch(
        'c1',
        [version(A, '2021-01-01T00:00:00.000Z'), version(B, '2021-01-01T00:00:00.000Z')],
        policy,
      );
      micros -= 5_000_000; // the clock goes backwards
      const second = await s.objects.writeBatch('c1', [version(IP, null)], policy);
      const added = [...first, ...second].map((o) => (o.status === 'added' ? o : undefined));
      expect(added.every((o) => o !== undefined)).toBe(true);
      const seqs = added.map((o) => o!.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(3);
      for (const o of added) expect(o!.dateAdded).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      // date_added never goes backwards even when the clock does
      expect(added[2]!.dateAdded >= added[1]!.dateAdded).toBe(true);
    });

    it('re-importing the same id and modified is a no-op', async () => {
      const s = await open();
      const v = version(A, '2021-01-01T00:00:00.000Z', { name: 'x' });
      await s.objects.writeBatch('c1', [v], policy);
      expect(await s.objects.writeBatch('c1', [v, v], policy)).toEqual([
        { status: 'duplicate' },
        { status: 'duplicate' },
      ]);
      // same content with different whitespace is the same version
      const pretty = version(A, '2021-01-01T00:00:00.000Z', { name: 'x' }, 2);
      expect(await s.objects.writeBatch('c1', [pretty], policy)).toEqual([{ status: 'duplicate' }]);
      expect(await s.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10 })).toHaveLength(1);
    });

    it('tells duplicates from conflicts by the stored bodies, for more repeated versions than one query takes', async () => {
      const s = await open();
      const id = (n: number) => `indicator--${String(n).padStart(8, '0')}-1111-4111-8111-111111111111`;
      const many = Array.from({ length: 600 }, (_, n) =>
        version(id(n), '2021-01-01T00:00:00.000Z', { name: `n${n}` }),
      );
      expect((await s.objects.writeBatch('c1', many, policy)).every((o) => o.status === 'added')).toBe(true);
      // Again, as bytes and as text, with one changed (the last) and one respelled (the first).
      const again = many.map((v, n) =>
        n === 599
          ? version(id(n), '2021-01-01T00:00:00.000Z', { name: 'changed' })
          : n === 0
            ? version(id(n), '2021-01-01T00:00:00.000Z', { name: 'n0' }, 2)
            : n % 2 === 0
              ? v
              : { ...v, body: new TextEncoder().encode(v.body as string) },
      );
      const outcomes = (await s.objects.writeBatch('c1', again, policy)).map((o) => o.status);
      expect(outcomes.slice(0, 599).every((o) => o === 'duplicate')).toBe(true);
      expect(outcomes[599]).toBe('conflict');
      // In another collection the same versions are added (the stored ones, not copies).
      const other = (await s.objects.writeBatch('c2', again.slice(0, 599), policy)).map((o) => o.status);
      expect(other.every((o) => o === 'added')).toBe(true);
      const [entry] = await s.objects.listEntries({ collectionId: 'c2', limit: 1 });
      expect(entry?.body).toBe(many[0]!.body);
    });

    it('a different body under the same id and modified is a conflict, never an overwrite', async () => {
      const s = await open();
      const v = version(A, '2021-01-01T00:00:00.000Z', { name: 'x' });
      await s.objects.writeBatch('c1', [v], policy);
      const changed = version(A, '2021-01-01T00:00:00.000Z', { name: 'y' });
      const [outcome] = await s.objects.writeBatch('c2', [changed], policy);
      expect(outcome?.status).toBe('conflict');
      const [entry] = await s.objects.listEntries({ collectionId: 'c1', limit: 10 });
      expect(entry?.body).toBe(v.body);
      expect(await s.objects.listEntries({ collectionId: 'c2', limit: 10 })).toHaveLength(0);
      // also within one batch
      const outcomes = await s.objects.writeBatch(
        'c2',
        [version(B, '2021-01-01T00:00:00.000Z', { n: 1 }), version(B, '2021-01-01T00:00:00.000Z', { n: 2 })],
        policy,
      );
      expect(outcomes.map((o) => o.status)).toEqual(['added', 'conflict']);
    });

    it('objects without a version cannot change', async () => {
      const s = await open();
      await s.objects.writeBatch('c1', [version(IP, null, { value: '1.2.3.4' })], policy);
      const [o] = await s.objects.writeBatch('c1', [version(IP, null, { value: '1.2.3.5' })], policy);
      expect(o?.status).toBe('conflict');
    });

    it('tracks the latest version per collection, whatever order versions arrive in', async () => {
      const s = await open();
      await s.objects.writeBatch('c1', [version(A, '2021-02-01T00:00:00.000Z')], policy);
      await s.objects.writeBatch(
        'c1',
        [
          version(A, '2021-01-01T00:00:00.000Z'),
          version(A, '2021-04-01T00:00:00.000Z'),
          version(A, '2021-03-01T00:00:00.000Z'),
        ],
        policy,
      );
      const last = await s.objects.listEntries({ collectionId: 'c1', limit: 10 });
      expect(last.map((e) => e.version)).toEqual(['2021-04-01T00:00:00.000Z']);
      const all = await s.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10 });
      expect(all.map((e) => e.version)).toEqual([
        '2021-02-01T00:00:00.000Z',
        '2021-01-01T00:00:00.000Z',
        '2021-04-01T00:00:00.000Z',
        '2021-03-01T00:00:00.000Z',
      ]);
      // the same version in a second collection is its own entry there
      await s.objects.writeBatch('c2', [version(A, '2021-01-01T00:00:00.000Z')], policy);
      expect((await s.objects.listEntries({ collectionId: 'c2', limit: 10 })).map((e) => e.version)).toEqual([
        '2021-01-01T00:00:00.000Z',
      ]);
      const latestGlobal = await s.objects.listVersions({ limit: 10 });
      expect(latestGlobal.map((v) => v.versionKey)).toEqual(['2021-04-01T00:00:00.000Z']);
    });

    it('records what a DELETE removed from a collection, and tells only those who may see it', async () => {
      const s = await open();
      await s.objects.writeBatch(
        'c1',
        [version(A, '2021-01-01T00:00:00.000Z'), version(A, '2021-02-01T00:00:00.000Z')],
        policy,
      );
      await s.objects.writeBatch('c2', [version(A, '2021-01-01T00:00:00.000Z')], policy);
      const all = await s.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10 });
      const first = all.find((e) => e.versionKey === '2021-01-01T00:00:00.000Z')!;
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'])).toBe(false);
      expect(await s.objects.removeEntries('c1', A, [first.seq])).toBe(1);
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'])).toBe(true);
      // Another version, another collection, another object: nothing was deleted there.
      expect(await s.objects.wasDeleted('c1', A, ['2021-02-01T00:00:00.000Z'])).toBe(false);
      expect(await s.objects.wasDeleted('c2', A, ['2021-01-01T00:00:00.000Z'])).toBe(false);
      expect(await s.objects.wasDeleted('c1', B, ['2021-01-01T00:00:00.000Z'])).toBe(false);
      // The same access decision as every read: an anonymous caller may not see an unmarked (default TLP:AMBER)
      // version, so it is not told that one was deleted; a member of the community is.
      const anonymous = {
        organizationId: null,
        isMember: false,
        isPeer: false,
        groupIds: [],
        passOnGroupIds: [],
      };
      const member = {
        ...anonymous,
        organizationId: 'identity--44444444-4444-4444-8444-444444444444',
        isMember: true,
      };
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'], anonymous)).toBe(false);
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'], member)).toBe(true);
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'], undefined, ['2.1'])).toBe(
        true,
      );
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'], undefined, ['2.0'])).toBe(
        false,
      );
      // Added back, it is no longer a deleted version; deleted again, it is (one record).
      await s.objects.writeBatch('c1', [version(A, '2021-01-01T00:00:00.000Z')], policy);
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'])).toBe(false);
      const again = await s.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10 });
      await s.objects.removeEntries('c1', A, [
        again.find((e) => e.versionKey === '2021-01-01T00:00:00.000Z')!.seq,
      ]);
      expect(await s.objects.wasDeleted('c1', A, ['2021-01-01T00:00:00.000Z'])).toBe(true);
    });

    it('applies the domain version rules (revocation is final)', async () => {
      const s = await open();
      await s.objects.writeBatch('c1', [version(A, '2021-01-01T00:00:00.000Z', { revoked: true })], policy);
      const [o] = await s.objects.writeBatch('c1', [version(A, '2021-05-01T00:00:00.000Z')], policy);
      expect(o).toEqual({ status: 'rejected', message: 'revoked' });
    });

    it('filters entries by type and id and pages by sequence without skipping or repeating', async () => {
      const s = await open();
      const batch: NewVersion[] = [];
      for (let i = 0; i < 250; i++) {
        const hex = i.toString(16).padStart(12, '0');
        batch.push(version(`indicator--00000000-0000-4000-8000-${hex}`, '2021-01-01T00:00:00.000Z'));
        batch.push(version(`malware--00000000-0000-4000-8000-${hex}`, '2021-01-01T00:00:00.000Z'));
      }
      await s.objects.writeBatch('c1', batch, policy); // all share one date_added
      const seen: string[] = [];
      let after: number | undefined;
      for (;;) {
        const page = await s.objects.listEntries({
          collectionId: 'c1',
          types: ['malware'],
          afterSeq: after,
          limit: 7,
        });
        if (page.length === 0) break;
        seen.push(...page.map((e) => e.id));
        after = page.at(-1)!.seq;
      }
      expect(seen).toHaveLength(250);
      expect(new Set(seen).size).toBe(250);
      expect(seen.every((id) => id.startsWith('malware--'))).toBe(true);
      const byId = await s.objects.listEntries({ collectionId: 'c1', ids: [batch[0]!.id], limit: 10 });
      expect(byId.map((e) => e.id)).toEqual([batch[0]!.id]);
      const counts = await s.objects.countByType('c1');
      expect(counts).toEqual([
        { type: 'indicator', objects: 250, versions: 250 },
        { type: 'malware', objects: 250, versions: 250 },
      ]);
      const versions = await s.objects.listVersions({
        types: ['indicator'],
        limit: 300,
        after: { id: batch[0]!.id, versionKey: '' },
      });
      expect(versions).toHaveLength(250);
      expect((await s.objects.countByType()).map((c) => c.objects)).toEqual([250, 250]);
    });

    it('filters and counts versions across collections by type, types that prefix one another apart', async () => {
      const s = await open();
      const id = (type: string, n: number) =>
        `${type}--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      const batch: NewVersion[] = [];
      for (let n = 0; n < 5; n++)
        for (const type of ['x-foo', 'x-foo-bar', 'x-fo', 'x-foo0'])
          batch.push(version(id(type, n), '2021-01-01T00:00:00.000Z'));
      batch.push(version(id('x-foo', 0), '2021-06-01T00:00:00.000Z')); // a second version of one x-foo
      await s.objects.writeBatch('c1', batch, policy);
      expect(await s.objects.countByType()).toEqual([
        { type: 'x-fo', objects: 5, versions: 5 },
        { type: 'x-foo', objects: 5, versions: 6 },
        { type: 'x-foo-bar', objects: 5, versions: 5 },
        { type: 'x-foo0', objects: 5, versions: 5 },
      ]);
      const ids = async (types: string[], versions: 'all' | 'last') =>
        (await s.objects.listVersions({ types, versions, limit: 100 })).map((v) => v.id);
      expect(await ids(['x-foo'], 'all')).toEqual([0, 0, 1, 2, 3, 4].map((n) => id('x-foo', n)));
      expect(await ids(['x-foo'], 'last')).toEqual([0, 1, 2, 3, 4].map((n) => id('x-foo', n)));
      expect(await ids(['x-foo-bar', 'x-fo'], 'last')).toEqual([
        ...[0, 1, 2, 3, 4].map((n) => id('x-fo', n)),
        ...[0, 1, 2, 3, 4].map((n) => id('x-foo-bar', n)),
      ]);
      // Paged by (id, version) after a given one.
      const page = await s.objects.listVersions({
        types: ['x-foo'],
        versions: 'all',
        after: { id: id('x-foo', 0), versionKey: '2021-01-01T00:00:00.000Z' },
        limit: 2,
      });
      expect(page.map((v) => [v.id, v.versionKey])).toEqual([
        [id('x-foo', 0), '2021-06-01T00:00:00.000Z'],
        [id('x-foo', 1), '2021-01-01T00:00:00.000Z'],
      ]);
    });

    it('an all-or-nothing transaction leaves nothing behind when it fails', async () => {
      const s = await open();
      await expect(
        s.objects.inTransaction(async (write) => {
          await write('c1', [version(A, '2021-01-01T00:00:00.000Z')], policy);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await s.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10 })).toHaveLength(0);
      expect(await s.objects.listVersions({ limit: 10 })).toHaveLength(0);
    });

    it('reopening runs no migration twice and keeps the data', async () => {
      const url = await target.fresh();
      const s1 = await openStorage(url);
      await s1.collections.ensure({ id: 'c', title: 't', description: null, alias: null, createdAt: 'x' });
      await s1.close();
      storage = await openStorage(url);
      expect((await storage.collections.list()).map((c) => c.id)).toEqual(['c']);
    });
  });
}
