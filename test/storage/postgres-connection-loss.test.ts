/**
 * PostgreSQL dropping the node's connections (a restart, pg_terminate_backend, a network cut) must not end the
 * process: an idle pooled connection that dies is an 'error' on the pool, fatal without a listener. The next
 * query connects anew.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

const target = testDatabases.find((t) => t.name === 'postgres')!;

describe.runIf(target.available)('PostgreSQL connection loss', () => {
  it('survives its idle connections being terminated, and answers again', async () => {
    const url = await target.fresh();
    const storage = await openStorage(url);
    try {
      await Promise.all([storage.ping(), storage.ping(), storage.ping()]); // several idle connections in the pool
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const r = await admin.query(
          `select pg_terminate_backend(pid) as gone from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid()`,
        );
        expect(r.rows.length).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      // The pool learns of the loss asynchronously: give the 'error' events time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(storage.ping()).resolves.toBeUndefined();
      expect((await storage.collections.list()).length).toBe(0);
    } finally {
      await storage.close();
    }
  });
});
