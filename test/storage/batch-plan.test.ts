/**
 * Batches planned before their write transaction (`ObjectRepository.planBatch`, PostgreSQL's path for new rows):
 * a plan is an optimisation only. Whatever happened between planning and writing, the stored result and the
 * outcomes are those of an unplanned write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  openStorage,
  type NewVersion,
  type Storage,
  type Visibility,
  type WriteOutcome,
  type WritePolicy,
} from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';
import { newVersionOf } from '../support/versions.js';

const policy: WritePolicy = {
  sameContent: (a, b) => JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b)),
  checkTransition: (bodies, next) =>
    bodies.some((b) => (JSON.parse(b) as { revoked?: boolean }).revoked === true && next.versionKey !== '')
      ? ['revoked']
      : [],
};

const STATEMENT = 'marking-definition--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const UNKNOWN_MARKING = 'marking-definition--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const TLP_CLEAR = 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487';
const ANONYMOUS: Visibility = {
  organizationId: null,
  isMember: false,
  isPeer: false,
  groupIds: [],
  passOnGroupIds: [],
};

function uuid(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${h}`;
}

function version(type: string, n: number, modified: string, extra: Record<string, unknown> = {}): NewVersion {
  const id = `${type}--${uuid(n)}`;
  return newVersionOf({
    type,
    id,
    spec_version: '2.1',
    created: '2020-01-01T00:00:00.000Z',
    modified,
    ...extra,
  });
}

const statementMarking: NewVersion = newVersionOf({
  type: 'marking-definition',
  spec_version: '2.1',
  id: STATEMENT,
  created: '2020-01-01T00:00:00.000Z',
  definition_type: 'statement',
  definition: { statement: 'Copyright 2020' },
});

/** A batch with everything the decisions distinguish, all within itself. */
function mixedBatch(): NewVersion[] {
  const t1 = '2021-03-02T00:00:00.000Z';
  const t2 = '2021-03-03T00:00:00.000Z';
  const t3 = '2021-03-04T00:00:00.000Z';
  return [
    statementMarking,
    version('indicator', 1, t1, { object_marking_refs: [STATEMENT, STATEMENT, TLP_CLEAR] }),
    version('indicator', 2, t1, { object_marking_refs: [UNKNOWN_MARKING] }),
    version('indicator', 3, t1),
    version('indicator', 3, t2), // a newer version: the latest
    version('indicator', 3, t1), // the same version again: a duplicate
    version('indicator', 3, t1, { name: 'other' }), // same version, other content: a conflict
    version('malware', 4, t2, { revoked: true }),
    version('malware', 4, t3), // after a revocation: rejected
    version('malware', 5, t3),
  ];
}

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`planned batches on ${target.name}`, () => {
    const opened: Storage[] = [];
    const micros = Date.UTC(2026, 0, 1) * 1000;

    /** A storage on `url` (a fresh database by default) with collection c1, its clock ticking 7 µs a read. */
    async function open(url?: string, clock?: () => number): Promise<Storage> {
      let now = micros;
      const s = await openStorage(url ?? (await target.fresh()), { clock: clock ?? (() => (now += 7)) });
      opened.push(s);
      await s.collections.ensure({
        id: 'c1',
        title: 'One',
        description: null,
        alias: null,
        createdAt: '2026-01-01T00:00:00Z',
      });
      return s;
    }

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    /** The entries of c1 as a caller sees them, every version. */
    const entries = (s: Storage, visibility?: Visibility) =>
      s.objects.listEntries({ collectionId: 'c1', versions: 'all', limit: 10_000 }, visibility);

    it('is made only where the database has a path for it, and stores what an unplanned write stores', async () => {
      const planned = await open();
      const plain = await open();
      for (const s of [planned, plain]) await s.sharing.setCollectionDefault('c1', 'clear');
      const batch = mixedBatch();
      const plan = await planned.objects.planBatch('c1', batch, policy);
      expect(plan !== undefined).toBe(target.name === 'postgres');
      const withPlan = await planned.objects.writeBatch('c1', batch, policy, undefined, plan);
      const without = await plain.objects.writeBatch('c1', batch, policy);
      expect(withPlan).toEqual(without);
      expect(withPlan.map((o) => o.status)).toEqual([
        'added',
        'added',
        'added',
        'added',
        'added',
        'duplicate',
        'conflict',
        'added',
        'rejected',
        'added',
      ]);
      const added = withPlan.filter(
        (o): o is Extract<WriteOutcome, { status: 'added' }> => o.status === 'added',
      );
      for (let i = 1; i < added.length; i++) {
        expect(added[i]!.seq).toBeGreaterThan(added[i - 1]!.seq);
        expect(added[i]!.dateAdded > added[i - 1]!.dateAdded).toBe(true);
      }
      expect(await entries(planned)).toEqual(await entries(plain));
      // Rule 1 reads the marking references: the statement is known, the other marking is not.
      const visible = (await entries(planned, ANONYMOUS)).map((e) => e.id);
      expect(visible).toContain(`indicator--${uuid(1)}`);
      expect(visible).not.toContain(`indicator--${uuid(2)}`);
      expect(await entries(planned, ANONYMOUS)).toEqual(await entries(plain, ANONYMOUS));
      // Only the newest version of each object is the latest.
      const latest = await planned.objects.listEntries({ collectionId: 'c1', limit: 1000 });
      expect(latest.filter((e) => e.id === `indicator--${uuid(3)}`).map((e) => e.versionKey)).toEqual([
        '2021-03-03T00:00:00.000Z',
      ]);
    });

    it.runIf(target.name === 'postgres')(
      "stores what the general path stores (SQLite's, as the reference)",
      async () => {
        const reference = testDatabases.find((d) => d.name === 'sqlite')!;
        const sqlite = await open(await reference.fresh());
        const pg = await open();
        for (const s of [pg, sqlite]) await s.sharing.setCollectionDefault('c1', 'clear');
        const batch = mixedBatch();
        const outcomes = await pg.objects.writeBatch(
          'c1',
          batch,
          policy,
          undefined,
          await pg.objects.planBatch('c1', batch, policy),
        );
        expect(outcomes).toEqual(await sqlite.objects.writeBatch('c1', batch, policy));
        expect(await entries(pg)).toEqual(await entries(sqlite));
        expect(await entries(pg, ANONYMOUS)).toEqual(await entries(sqlite, ANONYMOUS));
        const ids = batch.map((v) => v.id);
        expect(await pg.sharing.accessFacts(ids)).toEqual(await sqlite.sharing.accessFacts(ids));
      },
    );

    it('is not used when a write between planning and writing stored one of its ids', async () => {
      const s = await open();
      const t = '2021-03-02T00:00:00.000Z';
      const batch = [version('indicator', 10, t), version('indicator', 11, t)];
      const plan = await s.objects.planBatch('c1', batch, policy);
      // Another writer stores one of the ids first, with other content.
      expect(
        (await s.objects.writeBatch('c1', [version('indicator', 10, t, { name: 'first' })], policy))[0]!
          .status,
      ).toBe('added');
      const outcomes = await s.objects.writeBatch('c1', batch, policy, undefined, plan);
      expect(outcomes.map((o) => o.status)).toEqual(['conflict', 'added']);
      const stored = await entries(s);
      expect(stored.map((e) => e.id)).toEqual([`indicator--${uuid(10)}`, `indicator--${uuid(11)}`]);
      expect(JSON.parse(stored[0]!.body)).toMatchObject({ name: 'first' });
    });

    it("is not used when the collection's default level changed between planning and writing", async () => {
      const s = await open();
      await s.sharing.setCollectionDefault('c1', 'clear');
      const batch = [version('indicator', 20, '2021-03-02T00:00:00.000Z')];
      const plan = await s.objects.planBatch('c1', batch, policy);
      await s.sharing.setCollectionDefault('c1', 'red');
      await s.objects.writeBatch('c1', batch, policy, undefined, plan);
      // Unmarked, in a collection whose default is now red: no anonymous caller sees it.
      expect(await entries(s)).toHaveLength(1);
      expect(await entries(s, ANONYMOUS)).toEqual([]);
    });

    it.runIf(target.name === 'postgres')(
      'is not used when another process stored a later date_added meanwhile (dates never go backwards)',
      async () => {
        const url = await target.fresh();
        const ahead = await open(url, () => Date.UTC(2030, 0, 1) * 1000);
        const behind = await open(url, () => Date.UTC(2026, 0, 1) * 1000);
        const t = '2021-03-02T00:00:00.000Z';
        // `behind` has written before, so it believes it knows the newest date.
        await behind.objects.writeBatch('c1', [version('indicator', 30, t)], policy);
        const batch = [version('indicator', 31, t), version('indicator', 32, t)];
        const plan = await behind.objects.planBatch('c1', batch, policy);
        await ahead.objects.writeBatch('c1', [version('indicator', 33, t)], policy);
        const outcomes = await behind.objects.writeBatch('c1', batch, policy, undefined, plan);
        expect(outcomes.map((o) => o.status)).toEqual(['added', 'added']);
        const dates = (await entries(behind)).map((e) => e.dateAdded);
        expect(dates).toHaveLength(4);
        expect([...dates].sort()).toEqual(dates);
        expect(new Set(dates).size).toBe(4);
        expect(dates[3]! > dates[2]!).toBe(true);
        expect(dates[2]!.startsWith('2030-01-01T00:00:00')).toBe(true);
      },
    );

    it('stores a batch larger than one statement takes, seqs in input order', async () => {
      const s = await open();
      await s.sharing.setCollectionDefault('c1', 'clear');
      const batch = Array.from({ length: 5_003 }, (_, i) =>
        version(
          'indicator',
          100 + i,
          '2021-03-02T00:00:00.000Z',
          i % 2 === 0 ? { object_marking_refs: [STATEMENT] } : {},
        ),
      );
      const plan = await s.objects.planBatch('c1', batch, policy);
      const outcomes = await s.objects.writeBatch('c1', batch, policy, undefined, plan);
      const seqs = outcomes.map((o) => (o.status === 'added' ? o.seq : -1));
      expect(seqs.every((q, i) => q > 0 && (i === 0 || q > seqs[i - 1]!))).toBe(true);
      const stored = await s.objects.listEntries({ collectionId: 'c1', limit: 10_000 });
      expect(stored.map((e) => e.id)).toEqual(batch.map((v) => v.id));
      expect(stored.map((e) => e.seq)).toEqual(seqs);
      // Rows from both statements carry their marking references (the statement marking is not stored: unknown).
      expect(await entries(s, ANONYMOUS).then((e) => e.length)).toBe(2_501);
    });
  });
}
