/**
 * The TAXII read caches never serve stale data: a repeated page read is answered from memory only while the
 * database is unchanged, whoever changed it (this process, or another connection such as a CLI import next to a
 * running server), and the SQLite statement cache keeps working across schema-independent reuse.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  openStorage,
  type NewVersion,
  type Storage,
  type TaxiiEntryQuery,
  type Visibility,
  type WritePolicy,
} from '../../src/storage/index.js';
import { LOCAL_OPERATOR } from '../../src/services/index.js';
import { TaxiiClient } from '../../src/taxii/client.js';
import { testDatabases } from '../support/databases.js';
import { startTaxii } from '../e2e/taxii-support.js';

const trustAll: WritePolicy = { sameContent: (a, b) => a === b, checkTransition: () => [] };

function indicator(n: number, extra: Record<string, unknown> = {}): NewVersion {
  const id = `indicator--00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const body = JSON.stringify({
    type: 'indicator',
    spec_version: '2.1',
    id,
    created: '2021-03-02T00:00:00.000Z',
    modified: '2021-03-02T00:00:00.000Z',
    ...extra,
  });
  return {
    id,
    type: 'indicator',
    specVersion: '2.1',
    versionKey: '2021-03-02T00:00:00.000000000Z',
    version: '2021-03-02T00:00:00.000Z',
    createdByRef: null,
    markings: null,
    revoked: false,
    body,
  };
}

const latest = (collectionId: string): TaxiiEntryQuery => ({
  collectionId,
  versions: { all: false, first: false, last: true, keys: [], datesAdded: [] },
  limit: 11,
  withBody: true,
});

/** A registered member organisation: sees the collection's unmarked (default-rank) objects. */
const member = (organizationId: string): Visibility => ({
  organizationId,
  isMember: true,
  isPeer: false,
  groupIds: [],
  passOnGroupIds: [],
});

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`TAXII read cache on ${target.name}`, () => {
    const opened: Storage[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const open = async (url: string) => {
      const s = await openStorage(url);
      opened.push(s);
      return s;
    };
    const setup = async () => {
      const url = await target.fresh();
      const a = await open(url);
      await a.collections.ensure({ id: 'c', title: 't', description: null, alias: null, createdAt: 'x' });
      return { url, a };
    };

    it('a repeated read of an unchanged database returns the same entries', async () => {
      const { a } = await setup();
      await a.objects.writeBatch('c', [indicator(1), indicator(2)], trustAll);
      const first = await a.taxii.queryEntries(latest('c'));
      const again = await a.taxii.queryEntries(latest('c'));
      expect(again.map((e) => e.id)).toEqual(first.map((e) => e.id));
      expect(again).toHaveLength(2);
    });

    it('concurrent misses of the same page run one query and get the same rows', async () => {
      const { a } = await setup();
      await a.objects.writeBatch('c', [indicator(1), indicator(2)], trustAll);
      const run = vi.spyOn(
        a.taxii as unknown as { runQueryEntries: () => Promise<unknown> },
        'runQueryEntries',
      );
      // One generation for all eight: on PostgreSQL it is the server's snapshot, which any other transaction on
      // the shared test cluster (another test file, autovacuum) moves between two reads.
      vi.spyOn(a.taxii, 'generation').mockResolvedValue('fixed');
      const pages = await Promise.all(Array.from({ length: 8 }, () => a.taxii.queryEntries(latest('c'))));
      expect(run).toHaveBeenCalledTimes(1);
      for (const p of pages) expect(p).toBe(pages[0]);
      // Another query is not shared.
      await a.taxii.queryEntries({ ...latest('c'), limit: 5 });
      expect(run).toHaveBeenCalledTimes(2);
    });

    it('a write through the same connection is seen by the next read', async () => {
      const { a } = await setup();
      await a.objects.writeBatch('c', [indicator(1)], trustAll);
      expect(await a.taxii.queryEntries(latest('c'))).toHaveLength(1);
      await a.objects.writeBatch('c', [indicator(2)], trustAll);
      expect(await a.taxii.queryEntries(latest('c'))).toHaveLength(2);
    });

    it('a write by another connection (e.g. a CLI import) is seen by the next request', async () => {
      const { url, a } = await setup();
      await a.objects.writeBatch('c', [indicator(1)], trustAll);
      expect(await a.taxii.queryEntries(latest('c'))).toHaveLength(1);
      const b = await open(url);
      await b.objects.writeBatch('c', [indicator(2), indicator(3)], trustAll);
      a.taxii.requestArrived();
      expect((await a.taxii.queryEntries(latest('c'))).map((e) => e.id)).toEqual([
        indicator(1).id,
        indicator(2).id,
        indicator(3).id,
      ]);
    });

    it('a removed entry disappears from the next read', async () => {
      const { a } = await setup();
      await a.objects.writeBatch('c', [indicator(1), indicator(2)], trustAll);
      const rows = await a.taxii.queryEntries(latest('c'));
      expect(rows).toHaveLength(2);
      await a.objects.removeEntries('c', indicator(1).id, [rows[0]!.seq]);
      expect((await a.taxii.queryEntries(latest('c'))).map((e) => e.id)).toEqual([indicator(2).id]);
    });

    it("a caller with other visibility facts is never answered from another caller's read", async () => {
      const { a } = await setup();
      await a.objects.writeBatch('c', [indicator(1)], trustAll);
      const vis = member('identity--00000000-0000-4000-8000-00000000abcd');
      // Not a member: the unmarked object (collection default, not public) is hidden.
      expect(await a.taxii.queryEntries(latest('c'), { ...vis, isMember: false })).toEqual([]);
      expect(await a.taxii.queryEntries(latest('c'), vis)).toHaveLength(1);
      expect(await a.taxii.queryEntries(latest('c'), { ...vis, isMember: false })).toEqual([]);
    });

    it('the generation changes with every write and stays put without one', async () => {
      const { url, a } = await setup();
      const g1 = await a.taxii.generation();
      expect(g1).toBeDefined();
      expect(await a.taxii.generation()).toBe(g1);
      await a.objects.writeBatch('c', [indicator(1)], trustAll);
      const g2 = await a.taxii.generation();
      expect(g2).not.toBe(g1);
      const b = await open(url);
      await b.objects.writeBatch('c', [indicator(2)], trustAll);
      a.taxii.requestArrived();
      expect(await a.taxii.generation()).not.toBe(g2);
    });

    it.skipIf(target.name !== 'sqlite')(
      'the generation read on the connection is the one the query builder reads, write after write',
      async () => {
        const { url, a } = await setup();
        const viaBuilder = () =>
          (a.taxii as unknown as { readGeneration(): Promise<string | undefined> }).readGeneration();
        const b = await open(url);
        for (let n = 1; n <= 3; n++) {
          a.taxii.requestArrived();
          const g = await a.taxii.generation();
          expect(g).toMatch(/^\d+:\d+$/);
          expect(g).toBe(await viaBuilder());
          await (n % 2 === 1 ? a : b).objects.writeBatch('c', [indicator(n)], trustAll);
        }
      },
    );

    it("another connection's commit is seen from the next request or the next turn of the event loop", async () => {
      const { url, a } = await setup();
      const b = await open(url);
      // Written here (SQLite, in-process or PostgreSQL): the next read sees it at once.
      const g1 = await a.taxii.generation();
      await a.objects.writeBatch('c', [indicator(1)], trustAll);
      const g2 = await a.taxii.generation();
      expect(g2).not.toBe(g1);
      // Written by another connection: seen once a request arrives ...
      await b.objects.writeBatch('c', [indicator(2)], trustAll);
      a.taxii.requestArrived();
      const g3 = await a.taxii.generation();
      expect(g3).not.toBe(g2);
      // ... or the event loop has turned.
      await b.objects.writeBatch('c', [indicator(3)], trustAll);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await a.taxii.generation()).not.toBe(g3);
      expect(await a.taxii.queryEntries(latest('c'))).toHaveLength(3);
    });
  });
}

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`TAXII reads over HTTP next to another writer on ${target.name}`, () => {
    it('a GET right after another connection commits (e.g. `entente import` beside `entente serve`) sees it', async () => {
      const url = await target.fresh();
      const s = await startTaxii(url);
      const other = await openStorage(url);
      try {
        const collection = await s.node.services.collections.ensure('beside');
        const org = await s.node.services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Reader Org' });
        await s.node.auth.createUser({ name: 'r', roles: ['reader'], organizationId: org.id });
        await s.node.auth.grant('r', collection.id, { canRead: true, canWrite: false });
        const { token } = await s.node.auth.createToken('r', 't');
        const client = new TaxiiClient({ credentials: { token } });
        await s.node.storage.objects.writeBatch(collection.id, [indicator(1)], trustAll);
        // Twice, so the page is cached; then the other connection writes, and the very next GET must see it.
        for (let i = 0; i < 2; i++)
          expect((await client.getObjects(s.root, collection.id, {})).items).toHaveLength(1);
        await other.objects.writeBatch(collection.id, [indicator(2)], trustAll);
        expect((await client.getObjects(s.root, collection.id, {})).items).toHaveLength(2);
      } finally {
        await other.close();
        await s.stop();
      }
    });
  });
}
