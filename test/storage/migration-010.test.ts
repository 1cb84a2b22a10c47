/**
 * Migration 010: a status's per-object outcome rows become one row per batch. Outcomes recorded before the upgrade
 * read back the same, in idx order, and new batches append after them.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';
import { migratedTo, rawDatabase } from '../support/migrated.js';

const STATUS = '2d4f3c1a-0000-4000-8000-000000000001';
const objectId = (n: number) => `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`migration 010 (status outcomes) on ${target.name}`, () => {
    let storage: Storage | undefined;
    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });

    it('keeps every recorded outcome, in idx order, and later batches follow them', async () => {
      const url = await target.fresh();
      const db = await migratedTo(target.name, url, '009_version_rows');
      await sql`insert into collections (id, title, created_at) values ('c1', 'One', '2026-01-01T00:00:00Z')`.execute(
        db,
      );
      await sql`insert into taxii_statuses (id, collection_id, principal_id, request_timestamp, total_count,
          success_count, failure_count, pending_count, expires_at, heartbeat_at)
        values (${STATUS}, 'c1', 'p1', '2026-01-01T00:00:00.000Z', 6, 2, 1, 3, '2999-01-01T00:00:00.000Z',
          '2026-01-01T00:00:00.000Z')`.execute(db);
      // Inserted out of idx order: the upgrade must not depend on the rows' physical order.
      for (const [idx, success, message] of [
        [2, 0, 'invalid: "pattern" is required'],
        [0, 1, null],
        [1, 1, null],
      ] as const)
        await sql`insert into taxii_status_objects (status_id, idx, object_id, version, success, message)
          values (${STATUS}, ${idx}, ${objectId(idx)}, ${idx === 2 ? null : '2026-01-01T00:00:00.000Z'},
            ${success}, ${message})`.execute(db);
      await db.destroy();

      storage = await openStorage(url);
      const now = '2026-01-02T00:00:00.000Z';
      const before = await storage.taxii.getStatus(STATUS, now);
      expect(before?.objects).toEqual([
        { idx: 0, objectId: objectId(0), version: '2026-01-01T00:00:00.000Z', success: true, message: null },
        { idx: 1, objectId: objectId(1), version: '2026-01-01T00:00:00.000Z', success: true, message: null },
        {
          idx: 2,
          objectId: objectId(2),
          version: null,
          success: false,
          message: 'invalid: "pattern" is required',
        },
      ]);
      await storage.taxii.recordOutcomes(
        STATUS,
        [3, 4, 5].map((idx) => ({
          idx,
          objectId: objectId(idx),
          version: null,
          success: true,
          message: null,
        })),
        now,
      );
      const after = await storage.taxii.getStatus(STATUS, now);
      expect(after).toMatchObject({ success: 5, failure: 1, pending: 0 });
      expect(after?.objects.map((o) => o.idx)).toEqual([0, 1, 2, 3, 4, 5]);
      // A fresh read (no outcomes kept in memory) gives the same.
      await storage.close();
      storage = await openStorage(url);
      expect((await storage.taxii.getStatus(STATUS, now))?.objects).toEqual(after?.objects);
    });

    it('stores a batch recorded out of idx order (refused objects first) in order, spanning its lowest to highest', async () => {
      const url = await target.fresh();
      storage = await openStorage(url);
      await storage.collections.ensure({
        id: 'c1',
        title: 'c',
        description: null,
        alias: null,
        createdAt: 'x',
      });
      const now = '2026-01-02T00:00:00.000Z';
      await storage.taxii.createStatus(
        {
          id: STATUS,
          collectionId: 'c1',
          principalId: 'p1',
          requestTimestamp: now,
          total: 8,
          expiresAt: '2999-01-01T00:00:00.000Z',
        },
        now,
      );
      const outcome = (idx: number, success: boolean) => ({
        idx,
        objectId: objectId(idx),
        version: null,
        success,
        message: success ? null : 'refused',
      });
      await storage.taxii.recordOutcomes(
        STATUS,
        [outcome(3, false), outcome(0, true), outcome(1, true), outcome(2, true)],
        now,
      );
      const first = await storage.taxii.getStatus(STATUS, now);
      expect(first?.objects.map((o) => o.idx)).toEqual([0, 1, 2, 3]);
      await storage.taxii.recordOutcomes(
        STATUS,
        [outcome(6, false), outcome(4, true), outcome(5, true)],
        now,
      );
      // Read on from where the first read stopped (idx 3), then afresh: the same, in order.
      const second = await storage.taxii.getStatus(STATUS, now);
      expect(second?.objects.map((o) => o.idx)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(second).toMatchObject({ success: 5, failure: 2, pending: 1 });
      await storage.close();
      const db = rawDatabase(target.name, url);
      try {
        const rows = await sql<{ first_idx: number; last_idx: number; outcomes: string }>`select first_idx,
          last_idx, outcomes from taxii_status_outcomes order by first_idx`.execute(db);
        expect(rows.rows.map((r) => [Number(r.first_idx), Number(r.last_idx)])).toEqual([
          [0, 3],
          [4, 6],
        ]);
        expect((JSON.parse(rows.rows[1]!.outcomes) as number[][]).map((o) => o[0])).toEqual([4, 5, 6]);
      } finally {
        await db.destroy();
      }
      storage = await openStorage(url);
      expect((await storage.taxii.getStatus(STATUS, now))?.objects).toEqual(second?.objects);
    });
  });
}
