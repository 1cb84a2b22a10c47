/**
 * The audit log of the TAXII server (docs/sharing.md, audit log): every read endpoint, POST and DELETE is recorded
 * with who, what, when and from which address — refused and not-found requests too, as attempts — and never with an
 * object's body. Reads are queued and written in batches, so the read caches keep hitting between two flushes.
 * A real server on port 0, on SQLite and PostgreSQL; the audit timer is injected, so entries reach the database
 * only when the test flushes them (TaxiiService.drain) or the node closes.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/access/principal.js';
import { buildHttpApp } from '../../src/http/app.js';
import { openStorage as reopen } from '../../src/storage/index.js';
import { AuthService } from '../../src/services/auth-service.js';
import { createServices, LOCAL_OPERATOR, type Services } from '../../src/services/index.js';
import { TaxiiService } from '../../src/services/taxii-service.js';
import { openStorage, type AuditRecord, type Storage } from '../../src/storage/index.js';
import { parseTaxiiConfig } from '../../src/taxii/config.js';
import { TLP2 } from '../access/reference.js';
import { TAXII, basic, sampleIndicator, startTaxii } from '../e2e/taxii-support.js';
import { testDatabases } from '../support/databases.js';

const PASSWORD = 'correct horse battery';
const CANARY = 'CANARY-audit-3b9d-body';

for (const target of testDatabases) {
  describe.runIf(target.available)(`TAXII audit log (${target.name})`, () => {
    let storage: Storage;
    let services: Services;
    let taxii: TaxiiService;
    let app: FastifyInstance;
    let url: string;
    let intel: string;
    let hidden: string;
    let alice: Principal;
    const amber = sampleIndicator({ object_marking_refs: [TLP2.amber], name: CANARY });
    let red: Record<string, unknown>;
    let timerArmed = 0;

    const get = (path: string, user = 'alice') =>
      fetch(`${url}/taxii2/api/${path}`, {
        headers: { accept: TAXII, authorization: basic(user, PASSWORD) },
      });
    const log = async (action?: string): Promise<AuditRecord[]> =>
      services.audit.list(LOCAL_OPERATOR, { action, limit: 10_000 });
    /** Entries written after `seq`. */
    const since = async (seq: number, action?: string) => (await log(action)).filter((r) => r.seq > seq);
    const lastSeq = async () => (await log()).at(-1)?.seq ?? 0;

    beforeAll(async () => {
      storage = await openStorage(await target.fresh());
      // A timer that never fires: queued entries are written only by a flush.
      services = createServices(storage, {
        auditBuffer: {
          setTimer: () => {
            timerArmed++;
            return () => undefined;
          },
        },
      });
      const auth = new AuthService(storage);
      taxii = new TaxiiService(storage, services.ingest, auth, parseTaxiiConfig({}), {
        audit: services.audit,
      });
      app = buildHttpApp(services, { logLevel: 'silent', version: 'test', taxii });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      intel = (await services.collections.ensure('intel')).id;
      hidden = (await services.collections.ensure('hidden')).id;
      const org = await services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Audit Org' });
      await auth.createUser({
        name: 'alice',
        password: PASSWORD,
        roles: ['analyst'],
        organizationId: org.id,
      });
      await auth.createUser({ name: 'bob', password: PASSWORD, roles: ['reader'], organizationId: org.id });
      await auth.grant('alice', intel, { canRead: true, canWrite: true });
      await auth.grant('bob', intel, { canRead: true, canWrite: false });
      alice = await taxii.authenticate(basic('alice', PASSWORD));
      red = sampleIndicator({ object_marking_refs: [TLP2.red], name: CANARY, created_by_ref: org.id });
      const posted = await fetch(`${url}/taxii2/api/collections/${intel}/objects/`, {
        method: 'POST',
        headers: { accept: TAXII, 'content-type': TAXII, authorization: basic('alice', PASSWORD) },
        body: JSON.stringify({ objects: [amber, red] }),
      });
      expect(posted.status).toBe(202);
      await taxii.drain();
    });
    afterAll(async () => {
      await app?.close();
      await storage?.close();
    });

    it('a POST is recorded as a change at once, with its status id, object count and the address', async () => {
      const changes = await log('change');
      expect(changes).toHaveLength(1);
      const [c] = changes;
      expect(c).toMatchObject({
        principalName: 'alice',
        collectionId: intel,
        address: '127.0.0.1',
        detail: { endpoint: 'add', root: 'api', outcome: 'OK', objects: 2 },
      });
      expect(typeof c!.detail.statusId).toBe('string');
    });

    it('every TAXII read endpoint is recorded with who, which collection and object, the filter and the address', async () => {
      const from = await lastSeq();
      const id = amber.id as string;
      const responses = await Promise.all([
        get(`collections/${intel}/objects/?match[type]=indicator&limit=5`),
        get(`collections/${intel}/manifest/`),
        get(`collections/${intel}/objects/${id}/`),
        get(`collections/${intel}/objects/${id}/versions/`),
      ]);
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(await since(from)).toEqual([]); // queued, not yet written
      await taxii.drain();
      const reads = await since(from, 'read');
      const byEndpoint = new Map(reads.map((r) => [r.detail.endpoint, r]));
      expect([...byEndpoint.keys()].sort()).toEqual(['manifest', 'object', 'objects', 'versions']);
      for (const r of reads)
        expect(r).toMatchObject({
          principalId: alice.id,
          principalName: 'alice',
          organizationId: alice.organizationId,
          collectionId: intel,
          address: '127.0.0.1',
          detail: { outcome: 'OK', root: 'api' },
        });
      expect(byEndpoint.get('objects')!.detail).toMatchObject({
        types: ['indicator'],
        limit: 5,
        returned: 2,
        more: false,
      });
      expect([...(byEndpoint.get('objects')!.detail.objectIds as string[])].sort()).toEqual(
        [amber.id, red.id].sort(),
      );
      expect(byEndpoint.get('object')).toMatchObject({
        objectId: id,
        detail: { returned: 1, objectIds: [id] },
      });
      expect(byEndpoint.get('versions')).toMatchObject({ objectId: id, detail: { returned: 1 } });
    });

    it('refused and not-found requests are recorded as attempts; the caller gets the same answer as before', async () => {
      const from = await lastSeq();
      const unknown = `indicator--${randomUUID()}`;
      const answers = await Promise.all([
        get(`collections/${hidden}/objects/`),
        get(`collections/no-such-collection/manifest/`),
        get(`collections/${intel}/objects/${unknown}/`),
      ]);
      expect(answers.map((r) => r.status)).toEqual([404, 404, 404]);
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as { title: string }[];
      // A hidden collection reads exactly like one that does not exist.
      expect(bodies[0]!.title).toBe(bodies[1]!.title);
      const denied = await fetch(`${url}/taxii2/api/collections/${intel}/objects/`, {
        method: 'POST',
        headers: { accept: TAXII, 'content-type': TAXII, authorization: basic('bob', PASSWORD) },
        body: JSON.stringify({ objects: [sampleIndicator()] }),
      });
      expect(denied.status).toBe(403);
      const deniedDelete = await fetch(`${url}/taxii2/api/collections/${intel}/objects/${unknown}/`, {
        method: 'DELETE',
        headers: { accept: TAXII, authorization: basic('alice', PASSWORD) },
      });
      expect(deniedDelete.status).toBe(404);
      await taxii.drain();
      const entries = await since(from);
      expect(entries.map((e) => [e.action, e.collectionId, e.objectId, e.detail.outcome])).toEqual(
        expect.arrayContaining([
          ['read', hidden, null, 'NOT_FOUND'],
          ['read', 'no-such-collection', null, 'NOT_FOUND'],
          ['read', intel, unknown, 'NOT_FOUND'],
          ['change', intel, null, 'FORBIDDEN'],
          ['delete', intel, unknown, 'NOT_FOUND'],
        ]),
      );
      expect(entries).toHaveLength(5);
      expect(entries.every((e) => e.address === '127.0.0.1')).toBe(true);
      expect(entries.find((e) => e.action === 'change')!.principalName).toBe('bob');
    });

    it('a DELETE is recorded at once, with how many versions it removed', async () => {
      const victim = sampleIndicator();
      await fetch(`${url}/taxii2/api/collections/${intel}/objects/`, {
        method: 'POST',
        headers: { accept: TAXII, 'content-type': TAXII, authorization: basic('alice', PASSWORD) },
        body: JSON.stringify({ objects: [victim] }),
      });
      await taxii.drain();
      const from = await lastSeq();
      const r = await fetch(`${url}/taxii2/api/collections/${intel}/objects/${victim.id as string}/`, {
        method: 'DELETE',
        headers: { accept: TAXII, authorization: basic('alice', PASSWORD) },
      });
      expect(r.status).toBe(200);
      expect(await since(from)).toEqual([
        expect.objectContaining({
          action: 'delete',
          principalName: 'alice',
          collectionId: intel,
          objectId: victim.id,
          address: '127.0.0.1',
          detail: { endpoint: 'delete', root: 'api', outcome: 'OK', removed: 1 },
        }),
      ]);
    });

    it('the audit log never holds the body of an AMBER or RED object, though the reads returned it', async () => {
      const page = await get(`collections/${intel}/objects/`);
      expect(await page.text()).toContain(CANARY);
      const one = await get(`collections/${intel}/objects/${red.id as string}/`);
      expect(await one.text()).toContain(CANARY);
      await taxii.drain();
      const all = await log();
      expect(all.some((e) => e.objectId === red.id)).toBe(true);
      expect(JSON.stringify(all)).not.toContain(CANARY);
    });

    it('client-chosen values too long for the audit log are cut, never a reason to refuse the request', async () => {
      const from = await lastSeq();
      // Longer than a URL path segment may be over HTTP (414), so straight to the service.
      const longName = 'x'.repeat(500);
      await expect(taxii.list(alice, 'api', longName, 'objects', {}, {})).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(
        taxii.object(alice, 'api', intel, `indicator--${longName}`, {}, { address: '192.0.2.9' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const types = Array.from({ length: 150 }, (_, i) => `type-${i}`).join(',');
      expect((await get(`collections/${intel}/objects/?match[type]=${types}`)).status).toBe(200);
      await taxii.drain();
      const [notFound, object, filtered] = await since(from, 'read');
      expect(notFound!.collectionId).toHaveLength(200);
      expect(notFound!.detail.outcome).toBe('NOT_FOUND');
      expect(object!.objectId).toHaveLength(200);
      expect(object!.address).toBe('192.0.2.9');
      expect(filtered!.detail.types).toHaveLength(100);
      expect(filtered!.detail.typesTotal).toBe(150);
    });

    it('reads are queued, not written, so a re-polled page is served from the read cache until the flush', async () => {
      await taxii.drain();
      const from = await lastSeq();
      const request = { address: '192.0.2.7' };
      const generation = await storage.taxii.generation();
      const first = await taxii.list(alice, 'api', intel, 'objects', {}, request);
      const again = await taxii.list(alice, 'api', intel, 'objects', {}, request);
      // The same Page object: the database was not queried again (nor its page rebuilt).
      expect(again).toBe(first);
      expect(await storage.taxii.generation()).toBe(generation);
      expect(services.audit.pending).toBe(1); // one entry, counting both reads
      expect(timerArmed).toBeGreaterThan(0); // a flush is scheduled
      await taxii.drain();
      // The flush is the one change: the next read queries the database again.
      expect(await storage.taxii.generation()).not.toBe(generation);
      const after = await taxii.list(alice, 'api', intel, 'objects', {}, request);
      expect(after).not.toBe(first);
      const [entry] = await since(from, 'read');
      expect(entry).toMatchObject({ address: '192.0.2.7', detail: { times: 2, returned: 2 } });
    });
  });

  describe.runIf(target.available)(`audit log on node shutdown (${target.name})`, () => {
    it('reads queued when the node stops are written on close (entente serve shutdown)', async () => {
      const s = await startTaxii(await target.fresh());
      const col = (await s.node.services.collections.ensure('c')).id;
      await s.node.auth.createUser({ name: 'carol', password: PASSWORD, roles: ['reader'] });
      await s.node.auth.grant('carol', col, { canRead: true, canWrite: false });
      const r = await fetch(`${s.root}collections/${col}/manifest/`, {
        headers: { accept: TAXII, authorization: basic('carol', PASSWORD) },
      });
      expect(r.status).toBe(200);
      await s.stop();
      const again = await reopen(s.dbUrl);
      try {
        const entries = await again.audit.list({ action: 'read', limit: 10 });
        expect(entries).toEqual([
          expect.objectContaining({
            principalName: 'carol',
            collectionId: col,
            address: '127.0.0.1',
            detail: expect.objectContaining({ endpoint: 'manifest', outcome: 'OK', returned: 0 }) as unknown,
          }),
        ]);
      } finally {
        await again.close();
      }
    });
  });
}
