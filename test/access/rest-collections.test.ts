/** The REST API's collection list goes through the same access decision as TAXII's collections/ (issue 5). */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../src/http/app.js';
import { AuthService } from '../../src/services/auth-service.js';
import { createServices } from '../../src/services/index.js';
import { TaxiiService } from '../../src/services/taxii-service.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { parseTaxiiConfig } from '../../src/taxii/config.js';
import { basic } from '../e2e/taxii-support.js';
import { testDatabases } from '../support/databases.js';

const PASSWORD = 'correct horse battery';

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`GET /api/collections on ${target.name}`, () => {
    let storage: Storage;
    let app: FastifyInstance;
    let intel: string;
    let hidden: string;

    beforeAll(async () => {
      storage = await openStorage(await target.fresh());
      const services = createServices(storage);
      const auth = new AuthService(storage);
      const taxii = new TaxiiService(storage, services.ingest, auth, parseTaxiiConfig({}));
      app = buildHttpApp(services, { logLevel: 'silent', version: 'test', taxii });
      intel = (await services.collections.ensure('intel')).id;
      hidden = (await services.collections.ensure('other-orgs-secret')).id;
      await auth.createUser({ name: 'alice', password: PASSWORD, roles: ['reader'] });
      await auth.grant('alice', intel, { canRead: true, canWrite: false });
    });
    afterAll(async () => {
      await app.close();
      await storage.close();
    });

    const list = async (authorization?: string): Promise<string[]> => {
      const r = await app.inject({
        method: 'GET',
        url: '/api/collections',
        headers: authorization ? { authorization } : {},
      });
      expect(r.statusCode).toBe(200);
      return r.json<{ collections: { id: string }[] }>().collections.map((c) => c.id);
    };

    it('lists only the collections the caller may read, never revealing that another exists', async () => {
      expect(await list(basic('alice', PASSWORD))).toEqual([intel]);
      expect(await list()).toEqual([]);
      expect(await list()).not.toContain(hidden);
    });

    it('refuses a wrong password instead of answering as anonymous', async () => {
      const r = await app.inject({
        method: 'GET',
        url: '/api/collections',
        headers: { authorization: basic('alice', 'wrong') },
      });
      expect(r.statusCode).toBe(401);
    });
  });
}
