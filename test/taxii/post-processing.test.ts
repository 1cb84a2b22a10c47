/**
 * How a POSTed envelope is stored: a large one is parsed and validated on the ingest worker thread, in batches
 * written while the next ones are validated, and every object gets exactly the outcome the in-process path gives
 * it; reads are answered while a large POST is still being stored.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/access/principal.js';
import { LOCAL_OPERATOR } from '../../src/services/index.js';
import { StatusGivenUp } from '../../src/storage/index.js';
import { TaxiiService } from '../../src/services/taxii-service.js';
import { TaxiiClient } from '../../src/taxii/client.js';
import { STATUS_JSON, type Status, type StixJson } from '../../src/taxii/types.js';
import { testDatabases } from '../support/databases.js';
import { indicator, malware, startTaxii, uuid, type Running } from '../e2e/taxii-support.js';

/** 600 valid malware, one valid indicator, and five elements that must each fail with their own reason. */
function mixedEnvelope(): string {
  const elements: unknown[] = [];
  for (let n = 1; n <= 600; n++) elements.push(malware(n));
  elements.splice(17, 0, { ...malware(1000), is_family: 'yes' }); // invalid property type
  elements.splice(230, 0, 5); // not an object: refused by the scanner
  elements.splice(401, 0, { ...malware(1001), id: 'malware--not-a-uuid' });
  elements.push(indicator(2000, "[ipv4-addr:value = '10.0.0.1']"));
  elements.push(indicator(2001, "[ipv4-addr:value = '10.0.0.1'"));
  elements.push({ ...malware(5), name: 'the same version, other content' }); // a conflict, in a later batch
  return JSON.stringify({ objects: elements });
}

/** The text as a request body arriving in 16 KiB chunks. */
function chunked(text: string): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 16 * 1024) chunks.push(bytes.subarray(at, at + 16 * 1024));
  return Readable.from(chunks) as AsyncIterable<Uint8Array>;
}

const comparable = (s: Status) => ({
  status: s.status,
  total: s.total_count,
  success: s.success_count,
  failure: s.failure_count,
  pending: s.pending_count,
  successes: s.successes,
  failures: s.failures,
});

for (const target of testDatabases) {
  describe.runIf(target.available)(`storing POSTed envelopes (${target.name})`, () => {
    let s: Running;
    let token: string;
    let principal: Principal;

    beforeAll(async () => {
      s = await startTaxii(await target.fresh());
      const org = await s.node.services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Test Org' });
      await s.node.auth.createUser({ name: 'alice', roles: ['analyst'], organizationId: org.id });
      for (const name of ['in-process', 'worker', 'reads'])
        await s.node.auth.grant('alice', (await s.node.services.collections.ensure(name)).id, {
          canRead: true,
          canWrite: true,
        });
      token = (await s.node.auth.createToken('alice', 'test')).token;
      principal = await s.node.taxii.authenticate(`Bearer ${token}`);
    });
    afterAll(async () => {
      await s?.stop();
    });

    /** The envelope stored through a TaxiiService of its own, with the given worker threshold. */
    async function storeWith(workerMinObjects: number, collection: string): Promise<Status> {
      const errors: unknown[] = [];
      const svc = new TaxiiService(s.node.storage, s.node.services.ingest, s.node.auth, s.node.config.taxii, {
        workerMinObjects,
        onBackgroundError: (err) => errors.push(err),
      });
      try {
        const accepted = await svc.addObjects(principal, 'api', collection, chunked(mixedEnvelope()));
        expect(accepted.total_count).toBe(606);
        expect(accepted.pending_count).toBe(606);
        await svc.drain();
        expect(errors).toEqual([]);
        return await svc.status(principal, 'api', accepted.id);
      } finally {
        await svc.close();
      }
    }

    it('every object of a large POST gets the same outcome on the worker thread as in-process', async () => {
      const inProcess = await storeWith(Infinity, 'in-process');
      const onWorker = await storeWith(1, 'worker');
      expect(comparable(onWorker)).toEqual(comparable(inProcess));
      expect(onWorker).toMatchObject({
        status: 'complete',
        success_count: 601,
        failure_count: 5,
        pending_count: 0,
      });
      const failed = new Map((onWorker.failures ?? []).map((f) => [f.id, f.message ?? '']));
      expect([...failed.keys()].sort()).toEqual(
        [
          '',
          'malware--not-a-uuid',
          `malware--${uuid(1000)}`,
          `malware--${uuid(5)}`,
          `indicator--${uuid(2001)}`,
        ].sort(),
      );
      expect(failed.get('')).toMatch(/not a JSON object/);
      expect(failed.get(`malware--${uuid(1000)}`)).toMatch(/is_family/);
      expect(failed.get(`indicator--${uuid(2001)}`)).toMatch(/pattern/);
      for (const message of failed.values()) expect(message).not.toBe('');
    });

    it('objects and their status outcomes commit together: a batch whose status cannot be written is not stored', async () => {
      const collection = (await s.node.services.collections.ensure('atomic-status')).id;
      await s.node.auth.grant('alice', collection, { canRead: true, canWrite: true });
      const errors: unknown[] = [];
      const svc = new TaxiiService(s.node.storage, s.node.services.ingest, s.node.auth, s.node.config.taxii, {
        workerMinObjects: Infinity,
        writeBatch: 500,
        onBackgroundError: (err) => errors.push(err),
      });
      const objects = s.node.storage.objects;
      const writeBatch = objects.writeBatch.bind(objects);
      let batches = 0;
      // The second batch's status rows fail inside the transaction, after its objects were written in it.
      objects.writeBatch = (collectionId, batch, policy, then) =>
        writeBatch(collectionId, batch, policy, async (trx, written) => {
          await then?.(trx, written);
          if (++batches === 2) throw new Error('status table unavailable');
        });
      try {
        const posted = Array.from({ length: 1200 }, (_, i) => malware(20_000 + i));
        const accepted = await svc.addObjects(
          principal,
          'api',
          'atomic-status',
          chunked(JSON.stringify({ objects: posted })),
        );
        await svc.drain();
        const status = await svc.status(principal, 'api', accepted.id);
        expect(errors).toHaveLength(1);
        expect(status).toMatchObject({
          status: 'complete',
          success_count: 700,
          failure_count: 500,
          pending_count: 0,
        });
        expect(new Set(status.failures?.map((f) => f.message))).toEqual(
          new Set(['not stored: internal error']),
        );
        // Exactly the objects the status calls successes are stored; the failed batch left nothing behind.
        const stored = await s.node.storage.objects.listEntries({ collectionId: collection, limit: 5000 });
        expect(stored.map((e) => e.id).sort()).toEqual(status.successes!.map((x) => x.id).sort());
      } finally {
        objects.writeBatch = writeBatch;
        await svc.close();
      }
    });

    it('a status whose process stopped (no heartbeat for two minutes) reports its pending objects as failed', async () => {
      const collection = (await s.node.services.collections.ensure('given-up')).id;
      const t0 = Date.now();
      const at = (ms: number) => new Date(t0 + ms);
      const taxii = s.node.storage.taxii;
      // A POST of 3 objects by a process that stored one, then stopped (no envelope, no heartbeat any more).
      const id = `status-${t0}`;
      await taxii.createStatus(
        {
          id,
          collectionId: collection,
          principalId: principal.id,
          requestTimestamp: at(0).toISOString(),
          total: 3,
          expiresAt: at(86_400_000).toISOString(),
        },
        at(0).toISOString(),
      );
      const first = malware(30_000);
      await taxii.recordOutcomes(
        id,
        [{ idx: 0, objectId: first.id, version: first.modified, success: true, message: null }],
        at(1_000).toISOString(),
      );
      const serviceAt = (ms: number) =>
        new TaxiiService(s.node.storage, s.node.services.ingest, s.node.auth, s.node.config.taxii, {
          now: () => at(ms),
        });
      // Within two minutes of its last sign of life it is still being worked on, as far as anyone can tell.
      expect(await serviceAt(100_000).status(principal, 'api', id)).toMatchObject({
        status: 'pending',
        success_count: 1,
        pending_count: 2,
      });
      // After that, the two objects it never stored are failures and the status is complete.
      expect(await serviceAt(122_000).status(principal, 'api', id)).toMatchObject({
        status: 'complete',
        total_count: 3,
        success_count: 1,
        failure_count: 2,
        pending_count: 0,
      });
      // Should the process come back, its next batch is refused whole: nothing of it is stored.
      const late = s.node.services.ingest.prepare(
        Buffer.from(JSON.stringify(malware(30_001))),
        '$.objects[1]',
        0,
      );
      await expect(
        taxii.storeBatch(
          id,
          collection,
          [late.version!],
          s.node.services.ingest.policy,
          () => [{ idx: 1, objectId: late.version!.id, version: null, success: true, message: null }],
          at(130_000).toISOString(),
        ),
      ).rejects.toBeInstanceOf(StatusGivenUp);
      expect(await s.node.storage.objects.listEntries({ collectionId: collection, limit: 10 })).toEqual([]);
      expect(await serviceAt(131_000).status(principal, 'api', id)).toMatchObject({
        success_count: 1,
        failure_count: 2,
        pending_count: 0,
      });
    });

    it('a status polled while unchanged is the same resource; each recorded batch gives a new one, and only its owner reads it', async () => {
      const collection = (await s.node.services.collections.ensure('polled')).id;
      const taxii = s.node.storage.taxii;
      const now = new Date().toISOString();
      const id = `status-polled-${Date.now()}`;
      await taxii.createStatus(
        {
          id,
          collectionId: collection,
          principalId: principal.id,
          requestTimestamp: now,
          total: 3,
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
        now,
      );
      const svc = new TaxiiService(s.node.storage, s.node.services.ingest, s.node.auth, s.node.config.taxii);
      const [a, b] = [malware(40_000), malware(40_001)];
      try {
        await taxii.recordOutcomes(
          id,
          [{ idx: 0, objectId: a.id, version: a.modified, success: true, message: null }],
          now,
        );
        const first = await svc.status(principal, 'api', id);
        expect(await svc.status(principal, 'api', id)).toBe(first);
        await taxii.recordOutcomes(
          id,
          [{ idx: 1, objectId: b.id, version: null, success: false, message: 'refused' }],
          now,
        );
        const second = await svc.status(principal, 'api', id);
        expect(second).not.toBe(first);
        expect(first).toMatchObject({ success_count: 1, failure_count: 0, pending_count: 2 });
        expect(first.failures).toBeUndefined();
        expect(second).toMatchObject({
          status: 'pending',
          success_count: 1,
          failure_count: 1,
          pending_count: 1,
          successes: [{ id: a.id, version: a.modified }],
          failures: [{ id: b.id, version: '', message: 'refused' }],
        });
        // Someone else never gets it, built or not.
        const bob = { ...principal, id: 'someone-else', name: 'bob', roles: ['analyst' as const] };
        await expect(svc.status(bob, 'api', id)).rejects.toThrow(/no status/);
      } finally {
        await svc.close();
      }
    });

    it("a status's JSON, built batch by batch, is what serialising the whole resource gives, at every state", async () => {
      const collection = (await s.node.services.collections.ensure('status-json')).id;
      const taxii = s.node.storage.taxii;
      const now = new Date().toISOString();
      const id = `status-json-${Date.now()}`;
      const total = 40;
      await taxii.createStatus(
        {
          id,
          collectionId: collection,
          principalId: principal.id,
          requestTimestamp: now,
          total,
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
        now,
      );
      const svc = new TaxiiService(s.node.storage, s.node.services.ingest, s.node.auth, s.node.config.taxii);
      try {
        const seen: Status[] = [];
        const check = async () => {
          const status = await svc.status(principal, 'api', id);
          expect(status[STATUS_JSON]).toBe(JSON.stringify(status));
          seen.push(status);
        };
        await check(); // nothing recorded yet
        // Batches of 7 with failures among the successes, messages that need escaping, a batch of failures only.
        for (let from = 0; from < total; from += 7) {
          const batch = Array.from({ length: Math.min(7, total - from) }, (_, k) => {
            const idx = from + k;
            const ok = idx % 3 !== 0 && from !== 21;
            return {
              idx,
              objectId: malware(50_000 + idx).id,
              version: idx % 5 === 0 ? null : '2021-03-02T00:00:00.000Z',
              success: ok,
              message: ok ? null : `refused: "${idx}" \\ é \u2028`,
            };
          });
          await taxii.recordOutcomes(id, batch, now);
          await check();
        }
        const last = seen.at(-1)!;
        expect(last).toMatchObject({ status: 'complete', pending_count: 0 });
        expect(last.successes!.length + last.failures!.length).toBe(total);
        // Earlier states are left as they were (their lists were not appended to).
        expect(seen[1]!.successes!.length + (seen[1]!.failures?.length ?? 0)).toBe(7);
        expect(seen[1]![STATUS_JSON]).toBe(JSON.stringify(seen[1]));
      } finally {
        await svc.close();
      }
    });

    it('a heartbeat keeps a status that is still being stored from being given up', async () => {
      const collection = (await s.node.services.collections.ensure('heartbeat')).id;
      const t0 = Date.now();
      const iso = (ms: number) => new Date(t0 + ms).toISOString();
      const taxii = s.node.storage.taxii;
      const id = `status-beat-${t0}`;
      await taxii.createStatus(
        {
          id,
          collectionId: collection,
          principalId: principal.id,
          requestTimestamp: iso(0),
          total: 2,
          expiresAt: iso(86_400_000),
        },
        iso(0),
      );
      // Alive at 110 s (a long batch, say): asked at 200 s, with two minutes' grace, it is not given up.
      await taxii.heartbeat([id], iso(110_000));
      expect(await taxii.getStatus(id, iso(200_000), iso(80_000))).toMatchObject({ pending: 2, failure: 0 });
      // Silent since: at 240 s it is.
      expect(await taxii.getStatus(id, iso(240_000), iso(120_001))).toMatchObject({ pending: 0, failure: 2 });
    });

    it('a GET is answered while a large POST is still being stored', async () => {
      const collection = (await s.node.services.collections.get('reads')).id;
      const client = new TaxiiClient({ credentials: { token } });
      // Hold the POST's second batch at the database until the reads have been answered.
      const objects = s.node.storage.objects;
      const writeBatch = objects.writeBatch.bind(objects);
      let batches = 0;
      let reachedSecond!: () => void;
      const second = new Promise<void>((r) => (reachedSecond = r));
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      objects.writeBatch = async (...args) => {
        if (++batches === 2) {
          reachedSecond();
          await released;
        }
        return writeBatch(...args);
      };
      try {
        // Three write batches of 1,000 (the server's default).
        const posted = Array.from({ length: 3000 }, (_, i) => malware(10_000 + i) as StixJson);
        const [accepted] = await client.addObjects(s.root, collection, posted);
        expect(accepted!.status).toBe('pending');
        await second;
        const during = await client.getObjects(s.root, collection, { limit: 2000 });
        expect(during.items.length).toBe(1000);
        const pending = await client.status(s.root, accepted!.id);
        expect(pending).toMatchObject({ status: 'pending', success_count: 1000, pending_count: 2000 });
        expect(pending.successes?.length).toBe(1000);
        release();
        const done = await client.waitForStatus(s.root, accepted!.id, { intervalMs: 20 });
        expect(done).toMatchObject({ status: 'complete', success_count: 3000, failure_count: 0 });
        // Polled while pending and again once complete: the outcomes read in steps are all there, in order.
        expect(done.successes?.map((x) => x.id)).toEqual(posted.map((o) => o.id));
      } finally {
        release();
        objects.writeBatch = writeBatch;
      }
    });
  });
}
