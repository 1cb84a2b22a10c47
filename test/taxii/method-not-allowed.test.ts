/**
 * TAXII 2.1: a request with a method an endpoint does not support is answered 405 Method Not Allowed, as a TAXII
 * error resource, with an `Allow` header listing the methods the endpoint supports — on every endpoint, over a
 * real server on each database. Unknown API roots and paths stay 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATOR } from '../../src/services/index.js';
import { testDatabases } from '../support/databases.js';
import { TAXII, startTaxii, type Running } from '../e2e/taxii-support.js';

const OBJECT_ID = 'malware--00000000-0000-4000-8000-000000000001';

/** A POST body TAXII accepts (an envelope's list must not be empty). */
const ONE_OBJECT = JSON.stringify({
  objects: [
    {
      type: 'identity',
      spec_version: '2.1',
      id: 'identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061',
      created: '2021-03-02T00:00:00.000Z',
      modified: '2021-03-02T00:00:00.000Z',
      name: 'method test',
    },
  ],
});

for (const target of testDatabases) {
  describe.runIf(target.available)(`405 Method Not Allowed (${target.name})`, () => {
    let s: Running;
    let collection: string;
    let statusId: string;
    let token: string;

    beforeAll(async () => {
      s = await startTaxii(await target.fresh());
      collection = (await s.node.services.collections.ensure('intel')).id;
      statusId = '00000000-0000-4000-8000-000000000000';
      const org = await s.node.services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Test Org' });
      await s.node.auth.createUser({ name: 'alice', roles: ['analyst'], organizationId: org.id });
      await s.node.auth.grant('alice', collection, { canRead: true, canWrite: true });
      token = (await s.node.auth.createToken('alice', 'test')).token;
    });
    afterAll(async () => {
      await s?.stop();
    });

    const send = (method: string, path: string) =>
      fetch(`${s.url}${path}`, {
        method,
        headers: {
          accept: TAXII,
          authorization: `Bearer ${token}`,
          ...(method === 'GET' || method === 'HEAD' ? {} : { 'content-type': TAXII }),
        },
        ...(['POST', 'PUT', 'PATCH'].includes(method) ? { body: ONE_OBJECT } : {}),
      });

    async function expect405(method: string, path: string, allow: string): Promise<void> {
      const r = await send(method, path);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(r.headers.get('content-type')).toBe('application/taxii+json;version=2.1');
      const body = (await r.json()) as Record<string, unknown>;
      expect(body.title).toBe('Method Not Allowed');
      expect(body.http_status).toBe('405');
      expect(String(body.description)).toContain(method);
    }

    const endpoints = (): { name: string; path: string; allow: string; refused: string[] }[] => {
      const col = `/taxii2/api/collections/${collection}/`;
      return [
        {
          name: 'discovery',
          path: '/taxii2/',
          allow: 'GET, HEAD',
          refused: ['POST', 'PUT', 'DELETE', 'PATCH'],
        },
        { name: 'API root', path: '/taxii2/api/', allow: 'GET, HEAD', refused: ['POST', 'PUT', 'DELETE'] },
        {
          name: 'collections',
          path: '/taxii2/api/collections/',
          allow: 'GET, HEAD',
          refused: ['POST', 'PUT', 'DELETE'],
        },
        { name: 'collection', path: col, allow: 'GET, HEAD', refused: ['POST', 'PUT', 'DELETE', 'PATCH'] },
        {
          name: 'objects',
          path: `${col}objects/`,
          allow: 'GET, HEAD, POST',
          refused: ['PUT', 'DELETE', 'PATCH'],
        },
        {
          name: 'object',
          path: `${col}objects/${OBJECT_ID}/`,
          allow: 'DELETE, GET, HEAD',
          refused: ['POST', 'PUT', 'PATCH'],
        },
        {
          name: 'versions',
          path: `${col}objects/${OBJECT_ID}/versions/`,
          allow: 'GET, HEAD',
          refused: ['POST', 'PUT', 'DELETE'],
        },
        { name: 'manifest', path: `${col}manifest/`, allow: 'GET, HEAD', refused: ['POST', 'PUT', 'DELETE'] },
        {
          name: 'status',
          path: `/taxii2/api/status/${statusId}/`,
          allow: 'GET, HEAD',
          refused: ['POST', 'PUT', 'DELETE'],
        },
      ];
    };

    for (const name of [
      'discovery',
      'API root',
      'collections',
      'collection',
      'objects',
      'object',
      'versions',
      'manifest',
      'status',
    ]) {
      it(`the ${name} endpoint answers an unsupported method with 405 and Allow, with or without the trailing slash`, async () => {
        const e = endpoints().find((x) => x.name === name)!;
        for (const method of e.refused) {
          await expect405(method, e.path, e.allow);
          await expect405(method, e.path.slice(0, -1), e.allow);
        }
        await expect405('OPTIONS', e.path, e.allow);
      });
    }

    it('the methods an endpoint allows still work (GET, HEAD, POST)', async () => {
      expect((await send('GET', '/taxii2/api/collections/')).status).toBe(200);
      expect((await send('HEAD', '/taxii2/api/collections/')).status).toBe(200);
      const posted = await send('POST', `/taxii2/api/collections/${collection}/objects/`);
      expect(posted.status, await posted.text()).toBe(202);
    });

    it('an unknown API root or path stays 404, whatever the method', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        expect((await send(method, '/taxii2/nope/')).status, method).toBe(404);
        expect((await send(method, `/taxii2/nope/collections/${collection}/objects/`)).status, method).toBe(
          404,
        );
        expect((await send(method, '/taxii2/api/nothing/here/')).status, method).toBe(404);
      }
    });
  });
}
