/**
 * The buffered audit writer (AuditService.queue / flush): queued entries are written in one multi-row INSERT when
 * the timer fires or when enough have been queued, nothing queued is lost on flush, repeats are counted, and a
 * database that refuses the entries keeps them queued — up to a bound past which reads are refused, not served
 * unrecorded. Runs on SQLite and PostgreSQL; the timer is injected, so no test waits on a clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/access/principal.js';
import { AuditService, type AuditBufferOptions } from '../../src/services/audit-service.js';
import { LOCAL_OPERATOR } from '../../src/services/index.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

const reader: Principal = {
  id: 'u-1',
  kind: 'user',
  name: 'reader one',
  organizationId: 'identity--00000000-0000-4000-8000-000000000001',
  roles: ['reader'],
};

/** A timer that fires only when the test says so. */
function manualTimer() {
  const armed = new Set<() => void>();
  return {
    setTimer: (fn: () => void) => {
      armed.add(fn);
      return () => armed.delete(fn);
    },
    get armed() {
      return armed.size;
    },
    fire() {
      const fns = [...armed];
      armed.clear();
      for (const fn of fns) fn();
    },
  };
}

describe('audit buffer options', () => {
  it('a zero, negative or fractional flush interval or size is refused with a clear error', () => {
    const storage = {} as Storage;
    for (const bad of [{ flushMs: 0 }, { maxRecords: -1 }, { maxPending: 1.5 }])
      expect(() => new AuditService(storage, () => '', bad)).toThrow(
        expect.objectContaining({ code: 'INVALID' }),
      );
  });
});

for (const target of testDatabases) {
  describe.runIf(target.available)(`buffered audit writer (${target.name})`, () => {
    let storage: Storage | undefined;
    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });

    /** A service over a fresh database; `writes` lists the size of every multi-row INSERT. */
    async function setup(options: AuditBufferOptions = {}) {
      storage = await openStorage(await target.fresh());
      const timer = manualTimer();
      let tick = 0;
      const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)).toISOString();
      const writes: number[] = [];
      let failNext = 0;
      const repo = storage.audit;
      const appendMany = repo.appendMany.bind(repo);
      repo.appendMany = async (records) => {
        if (failNext > 0) {
          failNext--;
          throw new Error('database unavailable');
        }
        writes.push(records.length);
        return appendMany(records);
      };
      const audit = new AuditService(storage, now, { setTimer: timer.setTimer, ...options });
      const log = () => audit.list(LOCAL_OPERATOR, { limit: 1000 });
      return { audit, timer, writes, log, failOnce: () => (failNext = 1) };
    }

    it('queued entries are written together when the timer fires, not one by one', async () => {
      const { audit, timer, writes, log } = await setup();
      for (let i = 0; i < 3; i++) audit.queue(reader, 'read', { objectId: `o${i}`, address: '192.0.2.1' });
      expect(timer.armed).toBe(1);
      expect(writes).toEqual([]);
      expect(await log()).toEqual([]);
      timer.fire();
      await audit.flush();
      expect(writes).toEqual([3]);
      const rows = await log();
      expect(rows.map((r) => r.objectId)).toEqual(['o0', 'o1', 'o2']);
      // Each keeps the time it was queued at, not the flush's.
      expect(rows.map((r) => r.at)).toEqual([
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T00:00:01.000Z',
        '2026-01-01T00:00:02.000Z',
      ]);
      expect(rows.every((r) => r.address === '192.0.2.1' && r.principalId === reader.id)).toBe(true);
    });

    it('maxRecords queued entries are written at once, without waiting for the timer', async () => {
      const { audit, timer, writes, log } = await setup({ maxRecords: 5 });
      for (let i = 0; i < 5; i++) audit.queue(reader, 'read', { objectId: `o${i}` });
      await audit.flush(); // waits for the write already started
      expect(writes).toEqual([5]);
      expect(timer.armed).toBe(0);
      expect(await log()).toHaveLength(5);
    });

    it('flush writes everything still queued (a clean stop loses nothing)', async () => {
      const { audit, writes, log } = await setup();
      audit.queue(reader, 'read', { collectionId: 'c' });
      audit.queue(reader, 'delete', { collectionId: 'c', objectId: 'x' });
      expect(audit.pending).toBe(2);
      await audit.flush();
      expect(audit.pending).toBe(0);
      expect(writes).toEqual([2]);
      expect((await log()).map((r) => r.action)).toEqual(['read', 'delete']);
    });

    it('a batch larger than one INSERT statement is written whole and in order', async () => {
      const { audit, log } = await setup({ maxRecords: 10_000 });
      for (let i = 0; i < 2500; i++) audit.queue(reader, 'read', { objectId: `o${i}` });
      await audit.flush();
      const rows = await audit.list(LOCAL_OPERATOR, { limit: 5000 });
      expect(rows.map((r) => r.objectId)).toEqual(Array.from({ length: 2500 }, (_, i) => `o${i}`));
      expect((await log()).length).toBe(1000);
    });

    it('a repeated entry (same ref and key) is one row with how many times and when last', async () => {
      const { audit, log } = await setup();
      const page = {};
      let built = 0;
      const event = () => {
        built++;
        return { collectionId: 'c', detail: { returned: 2 } };
      };
      audit.queue(reader, 'read', event, { ref: page, key: 'k' });
      audit.queue(reader, 'read', event, { ref: page, key: 'k' });
      audit.queue(reader, 'read', event, { ref: page, key: 'other address' });
      audit.queue(reader, 'read', event, { ref: page, key: 'k' });
      expect(built).toBe(2);
      await audit.flush();
      // After a flush, the same read starts a new row.
      audit.queue(reader, 'read', event, { ref: page, key: 'k' });
      await audit.flush();
      const rows = await log();
      expect(rows.map((r) => r.detail)).toEqual([
        { returned: 2, times: 3, lastAt: '2026-01-01T00:00:03.000Z' },
        { returned: 2 },
        { returned: 2 },
      ]);
      expect(rows[0]!.at).toBe('2026-01-01T00:00:00.000Z');
    });

    it('entries the database refused stay queued, in order, and are written by the next flush', async () => {
      const { audit, timer, writes, log, failOnce } = await setup();
      audit.queue(reader, 'read', { objectId: 'first' });
      failOnce();
      timer.fire();
      await expect(audit.flush()).resolves.toBeUndefined(); // the failed one was the timer's
      // (the explicit flush ran after it and wrote them)
      expect(writes).toEqual([1]);
      failOnce();
      audit.queue(reader, 'read', { objectId: 'second' });
      await expect(audit.flush()).rejects.toThrow('database unavailable');
      expect(audit.pending).toBe(1);
      expect(timer.armed).toBe(1); // a retry is scheduled
      audit.queue(reader, 'read', { objectId: 'third' });
      timer.fire();
      await audit.flush();
      expect((await log()).map((r) => r.objectId)).toEqual(['first', 'second', 'third']);
    });

    it('past maxPending unwritten entries, queue refuses (UNAVAILABLE) rather than let a read go unrecorded', async () => {
      const { audit, failOnce } = await setup({ maxPending: 3 });
      for (let i = 0; i < 3; i++) audit.queue(reader, 'read', { objectId: `o${i}` });
      failOnce();
      await expect(audit.flush()).rejects.toThrow();
      expect(() => audit.queue(reader, 'read', { objectId: 'o3' })).toThrow(
        expect.objectContaining({ code: 'UNAVAILABLE' }),
      );
      await audit.flush();
      expect(() => audit.queue(reader, 'read', { objectId: 'o3' })).not.toThrow();
    });

    it('a queued detail that could hold a body is refused when queued, like a recorded one', () => {
      return setup().then(({ audit }) => {
        expect(() => audit.queue(reader, 'read', { detail: { body: 'x'.repeat(201) } })).toThrow(
          expect.objectContaining({ code: 'INVALID' }),
        );
        expect(audit.pending).toBe(0);
      });
    });
  });
}
