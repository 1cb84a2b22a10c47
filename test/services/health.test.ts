/** GET /health: a trivial query, never counts (cheap however large the store), and 503 when the database is gone. */
import { describe, expect, it, vi } from 'vitest';
import { buildHttpApp } from '../../src/http/app.js';
import { createServices } from '../../src/services/index.js';
import { openStorage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`GET /health on ${target.name}`, () => {
    it('answers ok from one trivial query, and 503 once the database does not answer', async () => {
      const storage = await openStorage(await target.fresh());
      const app = buildHttpApp(createServices(storage), { logLevel: 'silent', version: 'test' });
      try {
        const counts = vi.spyOn(storage.objects, 'countByType');
        const ok = await app.inject({ method: 'GET', url: '/health' });
        expect(ok.statusCode).toBe(200);
        expect(ok.json()).toEqual({ status: 'ok', version: 'test', database: target.name });
        expect(counts).not.toHaveBeenCalled();
        await storage.close();
        const down = await app.inject({ method: 'GET', url: '/health' });
        expect(down.statusCode).toBe(503);
        expect(down.json()).toEqual({ status: 'unavailable', version: 'test' });
      } finally {
        await app.close();
      }
    });
  });
}
