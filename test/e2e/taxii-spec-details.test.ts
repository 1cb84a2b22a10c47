/**
 * TAXII 2.1 details an external conformance review found (2026-11-23), each against a real server: microsecond
 * request timestamps, version 4 collection ids, HTTPS-or-relative API root URLs, TAXII error resources for errors
 * raised before routing, no empty envelope accepted, and 404 for an object version that was deleted.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATOR } from '../../src/services/index.js';
import { testDatabases } from '../support/databases.js';
import { TAXII, malware, startTaxii, type Running } from './taxii-support.js';

const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A raw GET (fetch refuses some of the malformed requests these tests need to send). */
function rawGet(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

for (const target of testDatabases) {
  describe.runIf(target.available)(`TAXII 2.1 details (${target.name})`, () => {
    let s: Running;
    let collection: string;
    let token: string;
    const headers = (): Record<string, string> => ({ accept: TAXII, authorization: `Bearer ${token}` });

    beforeAll(async () => {
      s = await startTaxii(await target.fresh());
      collection = (await s.node.services.collections.ensure('details')).id;
      const org = await s.node.services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Detail Org' });
      await s.node.auth.createUser({ name: 'dana', roles: ['analyst'], organizationId: org.id });
      await s.node.auth.grant('dana', collection, { canRead: true, canWrite: true });
      token = (await s.node.auth.createToken('dana', 'test')).token;
    });
    afterAll(async () => {
      await s?.stop();
    });

    const post = (body: string) =>
      fetch(`${s.root}collections/${collection}/objects/`, {
        method: 'POST',
        headers: { ...headers(), 'content-type': TAXII },
        body,
      });

    it('a status request_timestamp has microsecond precision (§2, §4.3.1)', async () => {
      const r = await post(JSON.stringify({ objects: [malware(1)] }));
      expect(r.status).toBe(202);
      const accepted = (await r.json()) as { id: string; request_timestamp: string };
      expect(accepted.request_timestamp).toMatch(MICROS);
      await s.node.taxii.drain();
      const polled = (await (
        await fetch(`${s.root}status/${accepted.id}/`, { headers: headers() })
      ).json()) as { request_timestamp: string; status: string };
      expect(polled.status).toBe('complete');
      expect(polled.request_timestamp).toBe(accepted.request_timestamp);
    });

    it('an envelope with an empty objects list is refused with 422, nothing recorded (§2: no empty lists)', async () => {
      const r = await post('{"objects":[]}');
      expect(r.status).toBe(422);
      expect(r.headers.get('content-type')).toBe(TAXII);
      expect(((await r.json()) as { http_status: string }).http_status).toBe('422');
    });

    it('a collection created by alias has a version 4 UUID (§2: identifiers are UUIDv4), the same every time', async () => {
      const c = await s.node.services.collections.ensure('another-one');
      expect(c.id).toMatch(V4);
      const r = await fetch(`${s.root}collections/`, { headers: headers() });
      const { collections } = (await r.json()) as { collections: { id: string }[] };
      for (const listed of collections) expect(listed.id).toMatch(V4);
      const { collectionIdOf } = await import('../../src/services/collection-service.js');
      expect(collectionIdOf('another-one')).toBe(c.id);
    });

    it('discovery lists relative API root URLs, not ones built from the Host header (§4.1.1)', async () => {
      const r = await rawGet(s.url, '/taxii2/', {
        accept: TAXII,
        host: 'evil.example',
        'x-forwarded-proto': 'http',
      });
      expect(r.status).toBe(200);
      const d = JSON.parse(r.body) as { default: string; api_roots: string[] };
      expect(d.api_roots).toEqual(['/taxii2/api/', '/taxii2/second/']);
      expect(d.default).toBe('/taxii2/api/');
    });

    it('a malformed URL gets a TAXII error resource with the TAXII media type', async () => {
      const r = await rawGet(s.url, `/taxii2/api/collections/${collection}/objects/%zz/`, headers());
      expect(r.status).toBe(400);
      expect(r.type).toBe(TAXII);
      const e = JSON.parse(r.body) as { title: string; http_status: string };
      expect(e.title).toBeTruthy();
      expect(e.http_status).toBe('400');
    });

    it('headers over the size limit get a 431 TAXII error resource', async () => {
      const ids = Array.from({ length: 1200 }, (_, n) => malware(n).id).join(',');
      const r = await rawGet(
        s.url,
        `/taxii2/api/collections/${collection}/objects/?match[id]=${ids}`,
        headers(),
      );
      expect(r.status).toBe(431);
      expect(r.type).toBe(TAXII);
      expect((JSON.parse(r.body) as { http_status: string }).http_status).toBe('431');
    });

    it('an object with a long id (a 240-character custom type) is served at objects/{id}/', async () => {
      const type = `x-${'a'.repeat(238)}`;
      const obj = {
        type,
        spec_version: '2.1',
        id: `${type}--6ba7b810-9dad-41d1-80b4-00c04fd430c8`,
        created: '2021-03-02T00:00:00.000Z',
        modified: '2021-03-02T00:00:00.000Z',
        name: 'long',
      };
      expect((await post(JSON.stringify({ objects: [obj] }))).status).toBe(202);
      await s.node.taxii.drain();
      const r = await fetch(`${s.root}collections/${collection}/objects/${obj.id}/`, { headers: headers() });
      expect(r.status, await r.clone().text()).toBe(200);
      expect(((await r.json()) as { objects: { id: string }[] }).objects[0]?.id).toBe(obj.id);
    });

    it('a malformed body after the headers (a bad chunk size) gets a TAXII error resource too', async () => {
      const u = new URL(s.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(u.port), u.hostname);
        let got = '';
        socket.on('data', (c: Buffer) => (got += c.toString()));
        socket.on('close', () => resolve(got));
        socket.on('error', reject);
        socket.write(
          `POST /taxii2/api/collections/${collection}/objects/ HTTP/1.1\r\nHost: x\r\n` +
            `Content-Type: ${TAXII}\r\nAccept: ${TAXII}\r\nAuthorization: Bearer ${token}\r\n` +
            'Transfer-Encoding: chunked\r\n\r\n',
        );
        setTimeout(() => socket.write('zz\r\n{}\r\n'), 100);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain(`Content-Type: ${TAXII}`);
      expect(answer).toContain('"http_status":"400"');
    });

    it('Expect: 100-continue over max_content_length gets 413 at once; under it, 100 Continue and the POST', async () => {
      const u = new URL(s.url);
      const exchange = (length: number, body?: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(Number(u.port), u.hostname);
          let got = '';
          socket.on('data', (c: Buffer) => {
            got += c.toString();
            if (body !== undefined && got.startsWith('HTTP/1.1 100')) {
              socket.write(body);
              body = undefined;
            }
            if (/HTTP\/1\.1 (?!100)\d{3}[^]*\r\n\r\n\{[^]*\}$/.test(got)) socket.end();
          });
          socket.on('close', () => resolve(got));
          socket.on('error', reject);
          socket.write(
            `POST /taxii2/api/collections/${collection}/objects/ HTTP/1.1\r\nHost: x\r\n` +
              `Content-Type: ${TAXII}\r\nAccept: ${TAXII}\r\nAuthorization: Bearer ${token}\r\n` +
              `Content-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`,
          );
        });
      const refused = await exchange(60_000_000);
      expect(refused).toMatch(/^HTTP\/1\.1 413 /);
      expect(refused.toLowerCase()).toContain(`content-type: ${TAXII}`);
      expect(refused).toContain('"http_status":"413"');
      const body = JSON.stringify({ objects: [malware(9)] });
      const accepted = await exchange(Buffer.byteLength(body), body);
      expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 202 /);
    });

    it('objects/{id}/ with a deleted version is 404 (§5.7); a version never stored is an empty envelope (§5.4, §5.6)', async () => {
      const id = malware(2).id;
      expect(
        (await post(JSON.stringify({ objects: [malware(2), malware(2, '2022-01-01T00:00:00.000Z')] })))
          .status,
      ).toBe(202);
      await s.node.taxii.drain();
      const one = (q: string) =>
        fetch(`${s.root}collections/${collection}/objects/${id}/${q}`, { headers: headers() });
      expect((await one('?match[version]=2021-03-02T00:00:00.000Z')).status).toBe(200);
      const deleted = await fetch(
        `${s.root}collections/${collection}/objects/${id}/?match[version]=2021-03-02T00:00:00.000Z`,
        { method: 'DELETE', headers: headers() },
      );
      expect(deleted.status).toBe(200);
      const gone = await one('?match[version]=2021-03-02T00:00:00.000Z');
      expect(gone.status).toBe(404);
      expect(gone.headers.get('content-type')).toBe(TAXII);
      // Asked for with another that is there: that one only. Never stored, or another spec version: nothing, a 200.
      const both = await one('?match[version]=2021-03-02T00:00:00.000Z,2022-01-01T00:00:00.000Z');
      expect(both.status).toBe(200);
      expect(
        ((await both.json()) as { objects: { modified: string }[] }).objects.map((o) => o.modified),
      ).toEqual(['2022-01-01T00:00:00.000Z']);
      for (const q of ['?match[version]=1999-01-01T00:00:00.000Z', '?match[spec_version]=2.0']) {
        const none = await one(q);
        expect(none.status, q).toBe(200);
        expect(await none.json(), q).toEqual({ more: false });
      }
      const versions = await fetch(
        `${s.root}collections/${collection}/objects/${id}/versions/?match[spec_version]=2.0`,
        {
          headers: headers(),
        },
      );
      expect(versions.status).toBe(200);
      expect((await one('')).status).toBe(200);
      // An empty page after added_after is the end of the list, not a missing object.
      const after = await one('?added_after=2099-01-01T00:00:00.000Z');
      expect(after.status).toBe(200);
      expect(await after.json()).toEqual({ more: false });
    });
  });
}

describe('TAXII POSTs at once', () => {
  it('one more than ENTENTE_TAXII_MAX_CONCURRENT_POSTS is 503 with Retry-After; then it goes through', async () => {
    const target = testDatabases.find((t) => t.name === 'sqlite')!;
    const s = await startTaxii(await target.fresh(), { ENTENTE_TAXII_MAX_CONCURRENT_POSTS: '1' });
    try {
      const c = (await s.node.services.collections.ensure('busy')).id;
      const org = await s.node.services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Busy Org' });
      await s.node.auth.createUser({ name: 'bea', roles: ['analyst'], organizationId: org.id });
      await s.node.auth.grant('bea', c, { canRead: true, canWrite: true });
      const token = (await s.node.auth.createToken('bea', 'test')).token;
      const headers = { accept: TAXII, 'content-type': TAXII, authorization: `Bearer ${token}` };
      // A POST whose body is still arriving holds the one place.
      const u = new URL(s.url);
      const slow = connect(Number(u.port), u.hostname);
      await new Promise<void>((r) => slow.once('connect', () => r()));
      const body = JSON.stringify({ objects: [malware(21)] });
      slow.write(
        `POST /taxii2/api/collections/${c}/objects/ HTTP/1.1\r\nHost: x\r\nContent-Type: ${TAXII}\r\n` +
          `Accept: ${TAXII}\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\n\r\n` +
          body.slice(0, 10),
      );
      await new Promise((r) => setTimeout(r, 200));
      const busy = await fetch(`${s.root}collections/${c}/objects/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ objects: [malware(22)] }),
      });
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('5');
      expect(busy.headers.get('content-type')).toBe(TAXII);
      slow.write(body.slice(10));
      await new Promise<void>((r) => slow.once('data', () => r()));
      slow.destroy();
      await s.node.taxii.drain();
      const again = await fetch(`${s.root}collections/${c}/objects/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ objects: [malware(22)] }),
      });
      expect(again.status).toBe(202);
    } finally {
      await s.stop();
    }
  });
});

describe('TAXII discovery with a public URL', () => {
  it('an https public URL gives absolute API root URLs; an http one relative URLs', async () => {
    const target = testDatabases.find((t) => t.name === 'sqlite')!;
    for (const [publicUrl, expected] of [
      ['https://taxii.example.org', 'https://taxii.example.org/taxii2/api/'],
      ['http://taxii.example.org', '/taxii2/api/'],
    ] as const) {
      const s = await startTaxii(await target.fresh(), {
        ENTENTE_API_ROOTS: 'api',
        ENTENTE_PUBLIC_URL: publicUrl,
      });
      try {
        const d = (await (await fetch(`${s.url}/taxii2/`, { headers: { accept: TAXII } })).json()) as {
          api_roots: string[];
        };
        expect(d.api_roots).toEqual([expected]);
      } finally {
        await s.stop();
      }
    }
  });
});
