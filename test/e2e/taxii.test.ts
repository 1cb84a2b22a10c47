/**
 * TAXII 2.1 conformance: our client against a real server (in-process, port 0) on SQLite and PostgreSQL,
 * covering every endpoint, filter, header and error of the standard, plus raw HTTP where the client would
 * never send what is being tested (bad media types, oversized bodies, forged cursors).
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATOR } from '../../src/services/index.js';
import { TaxiiClient, TaxiiHttpError } from '../../src/taxii/client.js';
import type { Status, StixJson } from '../../src/taxii/types.js';
import { testDatabases } from '../support/databases.js';
import {
  TAXII,
  basic,
  groupDatesAdded,
  identity,
  malware,
  shareOneDateAdded,
  startTaxii,
  type Running,
} from './taxii-support.js';

const PASSWORD = 'correct horse battery';

interface Json {
  readonly title?: string;
  readonly http_status?: string;
  readonly more?: boolean;
  readonly objects?: StixJson[];
  readonly [key: string]: unknown;
}
const jsonOf = async (r: Response): Promise<Json> => (await r.json()) as Json;

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof TaxiiHttpError) return err.httpStatus;
    throw err;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

for (const target of testDatabases) {
  describe.runIf(target.available)(`TAXII 2.1 server and client (${target.name})`, () => {
    let s: Running;
    let intel: string; // read + write for alice
    let readonly: string; // read only for alice
    let hidden: string; // no access for alice
    let publicCol: string; // readable by anonymous
    let alice: TaxiiClient;
    let bobToken: string;
    let tokenClient: TaxiiClient;

    const raw = (
      path: string,
      init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> } = {},
    ) =>
      fetch(`${s.url}${path}`, {
        ...init,
        headers: { accept: TAXII, authorization: basic('alice', PASSWORD), ...init.headers },
      });
    const col = (id: string, rest = '') => `/taxii2/api/collections/${id}/${rest}`;

    async function push(collectionId: string, objects: object[], client = alice): Promise<Status> {
      const [status] = await client.addObjects(s.root, collectionId, objects as StixJson[]);
      return client.waitForStatus(s.root, status!.id, { intervalMs: 20 });
    }

    beforeAll(async () => {
      s = await startTaxii(await target.fresh(), { ENTENTE_TAXII_MAX_CONTENT_LENGTH: String(256 * 1024) });
      const svc = s.node.services.collections;
      intel = (await svc.ensure('intel')).id;
      readonly = (await svc.ensure('readonly')).id;
      hidden = (await svc.ensure('hidden')).id;
      publicCol = (await svc.ensure('public')).id;
      // Sharing rules (docs/sharing.md): the users act for a registered organisation, so they see the unmarked
      // (collection default TLP:AMBER) test objects; what anonymous may read is made TLP:CLEAR.
      const org = await s.node.services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Test Org' });
      await s.node.services.sharing.setCollectionDefault(LOCAL_OPERATOR, publicCol, 'clear');
      const auth = s.node.auth;
      await auth.createUser({
        name: 'alice',
        password: PASSWORD,
        roles: ['analyst'],
        organizationId: org.id,
      });
      await auth.createUser({ name: 'bob', roles: ['reader'], organizationId: org.id });
      await auth.grant('alice', intel, { canRead: true, canWrite: true });
      await auth.grant('alice', readonly, { canRead: true, canWrite: false });
      await auth.grant('bob', intel, { canRead: true, canWrite: false });
      await auth.grant('anonymous', publicCol, { canRead: true, canWrite: false });
      bobToken = (await auth.createToken('bob', 'ci', 30)).token;
      alice = new TaxiiClient({ credentials: { username: 'alice', password: PASSWORD } });
      tokenClient = new TaxiiClient({ credentials: { token: bobToken } });
    });
    afterAll(async () => {
      await s?.stop();
    });

    describe('discovery and API roots', () => {
      it('discovery lists every configured API root, the first as default', async () => {
        const d = await alice.discover(s.url);
        expect(d.title).toBeTruthy();
        expect(d.api_roots).toEqual([`${s.url}/taxii2/api/`, `${s.url}/taxii2/second/`]);
        expect(d.default).toBe(`${s.url}/taxii2/api/`);
      });

      it('an API root advertises TAXII 2.1 and max_content_length', async () => {
        const r = await alice.apiRoot(s.root);
        expect(r).toMatchObject({ title: 'Entente', versions: [TAXII], max_content_length: 256 * 1024 });
        expect((await alice.apiRoot(`${s.url}/taxii2/second/`)).title).toBe('Second root');
      });

      it('responses carry exactly application/taxii+json;version=2.1', async () => {
        for (const path of ['/taxii2/', '/taxii2/api/', '/taxii2/api/collections/', col(intel, 'objects/')]) {
          const res = await raw(path);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toBe(TAXII);
        }
      });

      it('an unknown API root is a 404 error resource with title and http_status', async () => {
        const res = await raw('/taxii2/nope/collections/');
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toBe(TAXII);
        const body = await jsonOf(res);
        expect(body).toMatchObject({ title: 'Not Found', http_status: '404' });
      });
    });

    describe('content negotiation', () => {
      it('406 when the client accepts neither TAXII 2.1 nor a wildcard', async () => {
        for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'text/html']) {
          const res = await raw('/taxii2/', { headers: { accept } });
          expect(res.status).toBe(406);
          expect((await jsonOf(res)).http_status).toBe('406');
        }
      });

      it('accepts application/taxii+json without version, wildcards, and q-lists', async () => {
        for (const accept of [
          'application/taxii+json',
          '*/*',
          'text/html;q=0.5, application/taxii+json;version=2.1',
        ])
          expect((await raw('/taxii2/', { headers: { accept } })).status).toBe(200);
      });

      it('415 when a POST is not a TAXII envelope media type', async () => {
        const res = await raw(col(intel, 'objects/'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ objects: [malware(1)] }),
        });
        expect(res.status).toBe(415);
        expect((await jsonOf(res)).title).toBe('Unsupported Media Type');
      });
    });

    describe('authentication and collection permissions', () => {
      it('401 with a challenge for a wrong password or an unknown token', async () => {
        const bad = await raw('/taxii2/api/collections/', {
          headers: { authorization: basic('alice', 'wrong password') },
        });
        expect(bad.status).toBe(401);
        expect(bad.headers.get('www-authenticate')).toMatch(/Basic/);
        const badToken = await raw('/taxii2/api/collections/', {
          headers: { authorization: 'Bearer ent_nope_nope_nope' },
        });
        expect(badToken.status).toBe(401);
      });

      it('a bearer token authenticates as its user; revoked it no longer does', async () => {
        const cols = await tokenClient.collections(s.root);
        // bob's own grant, plus what anonymous may read
        expect(cols.map((c) => c.id).sort()).toEqual([intel, publicCol].sort());
        const { id, token } = await s.node.auth.createToken('bob', 'short-lived');
        const c = new TaxiiClient({ credentials: { token } });
        expect(await statusOf(c.collections(s.root))).toBe(200);
        await s.node.auth.revokeToken(id);
        expect(await statusOf(c.collections(s.root))).toBe(401);
      });

      it('collections list shows only what the caller may read or write, with can_read/can_write', async () => {
        const cols = await alice.collections(s.root);
        const byId = new Map(cols.map((c) => [c.id, c]));
        expect(byId.get(intel)).toMatchObject({
          can_read: true,
          can_write: true,
          media_types: ['application/stix+json;version=2.1'],
        });
        expect(byId.get(readonly)).toMatchObject({ can_read: true, can_write: false });
        expect(byId.has(hidden)).toBe(false);
      });

      it('a hidden collection is 404 everywhere, exactly like one that does not exist', async () => {
        for (const path of ['', 'objects/', 'manifest/', `objects/${malware(1).id}/`]) {
          const a = await raw(col(hidden, path));
          const b = await raw(col('00000000-0000-4000-8000-00000000dead', path));
          expect(a.status).toBe(404);
          expect(b.status).toBe(404);
          const [ja, jb] = [await jsonOf(a), await jsonOf(b)];
          expect(ja.title).toBe(jb.title);
        }
      });

      it('anonymous reads only collections granted to anonymous', async () => {
        const anon = new TaxiiClient();
        expect((await anon.collections(s.root)).map((c) => c.id)).toEqual([publicCol]);
        expect(await statusOf(anon.getObjects(s.root, intel))).toBe(404);
      });

      it('403 to write without can_write, and to read without can_read', async () => {
        expect(await statusOf(alice.addObjects(s.root, readonly, [malware(5) as StixJson]))).toBe(403);
        await s.node.auth.grant('bob', readonly, { canRead: false, canWrite: true });
        expect(await statusOf(tokenClient.getObjects(s.root, readonly))).toBe(403);
      });
    });

    describe('adding objects and status', () => {
      it('POST answers 202 with a status resource; the status completes with per-object outcomes', async () => {
        const res = await raw(col(intel, 'objects/'), {
          method: 'POST',
          headers: { 'content-type': TAXII },
          body: JSON.stringify({
            objects: [malware(1), malware(2), { type: 'malware', id: 'malware--bad' }],
          }),
        });
        expect(res.status).toBe(202);
        expect(res.headers.get('content-type')).toBe(TAXII);
        const first = (await res.json()) as Status;
        expect(first).toMatchObject({ total_count: 3 });
        expect(first.success_count + first.failure_count + first.pending_count).toBe(3);
        const done = await alice.waitForStatus(s.root, first.id, { intervalMs: 20 });
        expect(done).toMatchObject({
          status: 'complete',
          total_count: 3,
          success_count: 2,
          failure_count: 1,
          pending_count: 0,
        });
        expect(done.successes?.map((x) => x.id).sort()).toEqual([malware(1).id, malware(2).id]);
        expect(done.successes?.[0]?.version).toBe('2021-03-02T00:00:00.000Z');
        expect(done.failures?.[0]).toMatchObject({ id: 'malware--bad' });
        expect(done.failures?.[0]?.message).toBeTruthy();
      });

      it('an identical duplicate is a success; the same version with other content is a failure', async () => {
        const dup = await push(intel, [malware(1)]);
        expect(dup).toMatchObject({ success_count: 1, failure_count: 0 });
        const changed = await push(intel, [malware(1, '2021-03-02T00:00:00.000Z', { name: 'other' })]);
        expect(changed).toMatchObject({ success_count: 0, failure_count: 1 });
        expect(changed.failures?.[0]?.message).toMatch(/different content/);
      });

      it('a status is visible to its poster only', async () => {
        const st = await push(intel, [malware(3)]);
        expect(await statusOf(tokenClient.status(s.root, st.id))).toBe(404);
        expect(await statusOf(alice.status(s.root, '00000000-0000-4000-8000-000000000000'))).toBe(404);
      });

      it('422 for a body that is not a JSON envelope, and nothing is stored', async () => {
        for (const body of ['{"objects": [', 'not json', '[1,2]', '{"more": false}']) {
          const res = await raw(col(intel, 'objects/'), {
            method: 'POST',
            headers: { 'content-type': TAXII },
            body,
          });
          expect(res.status).toBe(422);
          expect((await jsonOf(res)).http_status).toBe('422');
        }
      });

      it('413 from Content-Length alone, before the body is sent', async () => {
        const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest(`${s.url}${col(intel, 'objects/')}`, {
            method: 'POST',
            headers: {
              accept: TAXII,
              'content-type': TAXII,
              authorization: basic('alice', PASSWORD),
              'content-length': String(10 * 1024 * 1024),
            },
          });
          req.on('response', (r) => {
            let body = '';
            r.on('data', (c: Buffer) => (body += c.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.flushHeaders(); // headers only: the body never comes
        });
        expect(res.status).toBe(413);
        expect(JSON.parse(res.body)).toMatchObject({ http_status: '413' });
      });

      it('413 while streaming a chunked body that grows past max_content_length', async () => {
        const big = JSON.stringify({ objects: Array.from({ length: 2000 }, (_, i) => malware(100_000 + i)) });
        expect(big.length).toBeGreaterThan(256 * 1024);
        const stream = new ReadableStream({
          start(c) {
            for (let i = 0; i < big.length; i += 8192)
              c.enqueue(new TextEncoder().encode(big.slice(i, i + 8192)));
            c.close();
          },
        });
        const res = await raw(col(intel, 'objects/'), {
          method: 'POST',
          headers: { 'content-type': TAXII },
          body: stream,
          duplex: 'half',
        });
        expect(res.status).toBe(413);
        const page = await alice.getObjects(s.root, intel, { ids: [malware(100_000).id] });
        expect(page.items).toHaveLength(0);
      });

      it('a truncated body stores nothing, and the server keeps serving others', async () => {
        const body = JSON.stringify({ objects: [malware(400_001), malware(400_002)] });
        const port = Number(new URL(s.url).port);
        await new Promise<void>((resolve) => {
          const sock = connect(port, '127.0.0.1', () => {
            sock.write(
              `POST ${col(intel, 'objects/')} HTTP/1.1\r\nHost: x\r\nAccept: ${TAXII}\r\n` +
                `Content-Type: ${TAXII}\r\nAuthorization: ${basic('alice', PASSWORD)}\r\n` +
                `Content-Length: ${body.length}\r\n\r\n${body.slice(0, body.length - 40)}`,
            );
            setTimeout(() => sock.destroy(), 200);
          });
          sock.on('close', () => resolve());
          sock.on('error', () => undefined);
        });
        expect((await raw('/taxii2/')).status).toBe(200);
        const page = await alice.getObjects(s.root, intel, {
          ids: [malware(400_001).id, malware(400_002).id],
        });
        expect(page.items).toHaveLength(0);
      });

      it('the client splits a push to respect max_content_length', async () => {
        const objects = Array.from({ length: 1500 }, (_, i) => malware(200_000 + i)) as StixJson[];
        const statuses = await alice.addObjects(s.root, intel, objects);
        expect(statuses.length).toBeGreaterThan(1);
        const done = await Promise.all(
          statuses.map((st) => alice.waitForStatus(s.root, st.id, { intervalMs: 20 })),
        );
        expect(done.reduce((n, st) => n + st.success_count, 0)).toBe(1500);
      });
    });

    describe('reading objects, filters and headers', () => {
      let c: string;
      beforeAll(async () => {
        c = (await s.node.services.collections.ensure('filters')).id;
        await s.node.auth.grant('alice', c, { canRead: true, canWrite: true });
        await push(c, [malware(1), identity(1), malware(2)]);
        await push(c, [malware(1, '2021-04-01T00:00:00.000Z'), malware(1, '2021-05-01T00:00:00.000Z')]);
        await push(c, [identity(2)]);
      });

      it('objects come in ascending date_added with X-TAXII-Date-Added-First/Last', async () => {
        const res = await raw(col(c, 'objects/'));
        const first = res.headers.get('x-taxii-date-added-first');
        const last = res.headers.get('x-taxii-date-added-last');
        const body = await jsonOf(res);
        expect(body.more).toBe(false);
        expect(body.objects!.map((o: StixJson) => o.id)).toEqual([
          identity(1).id,
          malware(2).id,
          malware(1).id,
          identity(2).id,
        ]);
        const manifest = await alice.manifest(s.root, c);
        const dates = manifest.items.map((m) => m.date_added);
        expect(dates).toEqual([...dates].sort());
        expect(first).toBe(dates[0]);
        expect(last).toBe(dates.at(-1));
      });

      it('match[version]: last by default, first, all, a timestamp, and combinations', async () => {
        const versionsOf = async (versions?: string[]) =>
          (await alice.getObjects(s.root, c, { ids: [malware(1).id], versions })).items.map(
            (o) => o.modified,
          );
        expect(await versionsOf()).toEqual(['2021-05-01T00:00:00.000Z']);
        expect(await versionsOf(['last'])).toEqual(['2021-05-01T00:00:00.000Z']);
        expect(await versionsOf(['first'])).toEqual(['2021-03-02T00:00:00.000Z']);
        expect(await versionsOf(['all'])).toEqual([
          '2021-03-02T00:00:00.000Z',
          '2021-04-01T00:00:00.000Z',
          '2021-05-01T00:00:00.000Z',
        ]);
        expect(await versionsOf(['2021-04-01T00:00:00Z'])).toEqual(['2021-04-01T00:00:00.000Z']);
        expect(await versionsOf(['first', 'last'])).toEqual([
          '2021-03-02T00:00:00.000Z',
          '2021-05-01T00:00:00.000Z',
        ]);
      });

      it('match fields: values ORed within a field, fields ANDed', async () => {
        const ids = async (f: Parameters<TaxiiClient['getObjects']>[2]) =>
          (await alice.getObjects(s.root, c, f)).items.map((o) => o.id).sort();
        expect(await ids({ types: ['identity'] })).toEqual([identity(1).id, identity(2).id]);
        expect(await ids({ types: ['identity', 'malware'] })).toHaveLength(4);
        expect(await ids({ types: ['malware'], ids: [malware(2).id, identity(1).id] })).toEqual([
          malware(2).id,
        ]);
        expect(await ids({ specVersions: ['2.1'] })).toHaveLength(4);
        expect(await ids({ specVersions: ['2.0'] })).toEqual([]);
      });

      it('added_after is exclusive', async () => {
        const all = (await alice.manifest(s.root, c)).items;
        const after = await alice.getObjects(s.root, c, { addedAfter: all[1]!.date_added });
        expect(after.items.map((o) => o.id)).toEqual(all.slice(2).map((m) => m.id));
      });

      it('limit caps a page and sets more; an empty page has no date headers', async () => {
        const page = await alice.getObjects(s.root, c, { limit: 2 });
        expect(page.items).toHaveLength(2);
        expect(page.more).toBe(true);
        expect(page.next).toBeTruthy();
        const none = await raw(col(c, 'objects/?match[type]=campaign'));
        expect(await jsonOf(none)).toEqual({ more: false });
        expect(none.headers.get('x-taxii-date-added-first')).toBeNull();
      });

      it('malformed parameters are 400 error resources', async () => {
        for (const q of [
          'added_after=yesterday',
          'limit=0',
          'limit=-1',
          'limit=ten',
          'match[id]=not-an-id',
          'match[type]=Bad_Type',
          'match[version]=newest',
          'match[spec_version]=two',
          'match[]=red',
          'next=forged',
        ]) {
          const res = await raw(col(c, `objects/?${q}`));
          expect(res.status, q).toBe(400);
          expect((await jsonOf(res)).http_status).toBe('400');
        }
        expect((await raw(col(c, `objects/${malware(1).id}/versions/?match[version]=all`))).status).toBe(400);
        expect((await raw(col(c, `objects/${malware(1).id}/?match[type]=malware`))).status).toBe(400);
        // A match field TAXII does not define is ignored (§3.4), as medallion's interoperability filters are.
        const ignored = await raw(col(c, 'objects/?match[tlp]=green&match[relationships-all]=x'));
        expect(ignored.status).toBe(200);
      });

      it('objects/{id}/ returns the latest version by default, every version with match[version]=all', async () => {
        const latest = await alice.getObject(s.root, c, malware(1).id);
        expect(latest.items.map((o) => o.modified)).toEqual(['2021-05-01T00:00:00.000Z']);
        expect(latest.dateAddedFirst).toBeTruthy();
        const all = await alice.getObject(s.root, c, malware(1).id, { versions: ['all'] });
        expect(all.items).toHaveLength(3);
        expect(await statusOf(alice.getObject(s.root, c, malware(999).id))).toBe(404);
        expect(await statusOf(alice.getObject(s.root, c, 'nonsense'))).toBe(404);
      });

      it('versions/ lists every version in ascending date_added, with headers', async () => {
        const v = await alice.versions(s.root, c, malware(1).id);
        expect(v.items).toEqual([
          '2021-03-02T00:00:00.000Z',
          '2021-04-01T00:00:00.000Z',
          '2021-05-01T00:00:00.000Z',
        ]);
        expect(v.dateAddedLast).toBeTruthy();
        expect(await statusOf(alice.versions(s.root, c, malware(999).id))).toBe(404);
      });

      it('manifest records carry id, date_added, version and media_type', async () => {
        const m = await alice.manifest(s.root, c, { ids: [malware(1).id], versions: ['all'] });
        expect(m.items).toHaveLength(3);
        for (const r of m.items) {
          expect(Object.keys(r).sort()).toEqual(['date_added', 'id', 'media_type', 'version']);
          expect(r.media_type).toBe('application/stix+json;version=2.1');
        }
      });

      it('served objects are byte for byte what was posted', async () => {
        const res = await raw(col(c, `objects/${identity(2).id}/`));
        expect(await res.text()).toBe(`{"more":false,"objects":[${JSON.stringify(identity(2))}]}`);
      });
    });

    describe('deleting objects', () => {
      let c: string;
      beforeAll(async () => {
        c = (await s.node.services.collections.ensure('deletes')).id;
        await s.node.auth.grant('alice', c, { canRead: true, canWrite: true });
        await s.node.auth.grant('bob', c, { canRead: true, canWrite: false });
        await push(c, [malware(1), malware(1, '2021-04-01T00:00:00.000Z'), malware(2)]);
      });

      it('DELETE with match[version] removes only that version; the previous becomes latest', async () => {
        await alice.deleteObject(s.root, c, malware(1).id, { versions: ['2021-04-01T00:00:00.000Z'] });
        expect((await alice.versions(s.root, c, malware(1).id)).items).toEqual(['2021-03-02T00:00:00.000Z']);
        expect((await alice.getObject(s.root, c, malware(1).id)).items[0]?.modified).toBe(
          '2021-03-02T00:00:00.000Z',
        );
      });

      it('DELETE without match[version] removes every version: then 404 and absent from the manifest', async () => {
        await alice.deleteObject(s.root, c, malware(1).id);
        expect(await statusOf(alice.getObject(s.root, c, malware(1).id))).toBe(404);
        expect(await statusOf(alice.deleteObject(s.root, c, malware(1).id))).toBe(404);
        const m = await alice.manifest(s.root, c, { versions: ['all'] });
        expect(m.items.map((r) => r.id)).toEqual([malware(2).id]);
      });

      it('DELETE needs write access', async () => {
        expect(await statusOf(tokenClient.deleteObject(s.root, c, malware(2).id))).toBe(403);
      });
    });

    describe('pagination', () => {
      let c: string;
      const N = 2500;
      beforeAll(async () => {
        c = (await s.node.services.collections.ensure('paging')).id;
        await s.node.auth.grant('alice', c, { canRead: true, canWrite: true });
        await s.node.auth.grant('bob', c, { canRead: true, canWrite: false });
        const objects = Array.from({ length: N }, (_, i) => malware(300_000 + i)) as StixJson[];
        const statuses = await alice.addObjects(s.root, c, objects);
        for (const st of statuses) await alice.waitForStatus(s.root, st.id, { intervalMs: 20 });
      });

      it('next pages through thousands of objects sharing one date_added, never skipping or repeating', async () => {
        await shareOneDateAdded(s.dbUrl, c, '2030-01-01T00:00:00.000000Z');
        const seen = await collect(alice.iterateObjects(s.root, c, { limit: 97 }));
        expect(seen).toHaveLength(N);
        expect(new Set(seen.map((o) => o.id)).size).toBe(N);
        const manifest = await collect(alice.iterateManifest(s.root, c, { limit: 1000 }));
        expect(new Set(manifest.map((m) => m.id)).size).toBe(N);
      });

      it('added_after + X-TAXII-Date-Added-Last pages losslessly; pages end between runs of one date_added', async () => {
        await groupDatesAdded(s.dbUrl, c, 30);
        const seen = await collect(alice.iterateObjects(s.root, c, { limit: 100 }, { by: 'added_after' }));
        expect(seen).toHaveLength(N);
        expect(new Set(seen.map((o) => o.id)).size).toBe(N);
      });

      it('a tampered or forged next is 400', async () => {
        const page = await alice.getObjects(s.root, c, { limit: 10 });
        const next = page.next!;
        const [payload, mac] = next.split('.');
        const forgedPayload = Buffer.from(JSON.stringify({ s: 5 })).toString('base64url');
        for (const bad of [
          `${forgedPayload}.${mac}`,
          `${payload}.${mac!.slice(0, -2)}AA`,
          `${payload}`,
          'x.y',
        ]) {
          expect(await statusOf(alice.getObjects(s.root, c, { limit: 10, next: bad }))).toBe(400);
        }
      });

      it('next is bound to its query and to its caller', async () => {
        const page = await alice.getObjects(s.root, c, { limit: 10 });
        expect(await statusOf(alice.getObjects(s.root, c, { limit: 10, next: page.next }))).toBe(200);
        expect(
          await statusOf(alice.getObjects(s.root, c, { limit: 10, next: page.next, types: ['identity'] })),
        ).toBe(400);
        expect(await statusOf(alice.manifest(s.root, c, { limit: 10, next: page.next }))).toBe(400);
        expect(await statusOf(tokenClient.getObjects(s.root, c, { limit: 10, next: page.next }))).toBe(400);
      });

      it('next survives a restart and works on another server process over the same database', async () => {
        const page = await alice.getObjects(s.root, c, { limit: 10 });
        const other = await startTaxii(s.dbUrl);
        try {
          const r = await alice.getObjects(other.root, c, { limit: 10, next: page.next });
          expect(r.items.length).toBeGreaterThan(0);
          expect(r.items[0]!.id).not.toBe(page.items[0]!.id);
          const again = await alice.getObjects(s.root, c, { limit: 10, next: page.next });
          expect(again.items.map((o) => o.id)).toEqual(r.items.map((o) => o.id));
        } finally {
          await other.stop();
        }
      });
    });

    describe('the client', () => {
      it('refuses URLs other than http(s)', async () => {
        await expect(alice.discover('file:///etc/passwd')).rejects.toThrow(/http/);
        await expect(alice.collections('ftp://example.org/api/')).rejects.toThrow(/http/);
      });

      it('retries with backoff on 503, 429 and network errors', async () => {
        let calls = 0;
        const waits: number[] = [];
        const flaky: typeof fetch = async (input, init) => {
          await Promise.resolve();
          calls++;
          if (calls === 1) throw new TypeError('fetch failed');
          if (calls === 2) return new Response('', { status: 503 });
          if (calls === 3) return new Response('', { status: 429, headers: { 'retry-after': '1' } });
          return fetch(input, init);
        };
        const c = new TaxiiClient({
          credentials: { username: 'alice', password: PASSWORD },
          fetch: flaky,
          sleep: (ms) => {
            waits.push(ms);
            return Promise.resolve();
          },
        });
        expect((await c.discover(s.url)).title).toBeTruthy();
        expect(calls).toBe(4);
        expect(waits).toEqual([250, 500, 1000]);
      });

      it('gives up after its retries', async () => {
        const c = new TaxiiClient({
          fetch: () => Promise.resolve(new Response('', { status: 503 })),
          retries: 2,
          sleep: () => Promise.resolve(),
        });
        expect(await statusOf(c.discover(s.url))).toBe(503);
      });

      it('follows redirects on the same host only', async () => {
        const redirecting =
          (location: string): typeof fetch =>
          (input, init) =>
            (input instanceof URL ? input.href : input instanceof Request ? input.url : input).includes(
              '/old/',
            )
              ? Promise.resolve(new Response('', { status: 301, headers: { location } }))
              : fetch(input, init);
        const same = new TaxiiClient({ fetch: redirecting(`${s.url}/taxii2/`) });
        expect((await same.discover(`${s.url}/old/`)).title).toBeTruthy();
        const other = new TaxiiClient({ fetch: redirecting('http://evil.example/taxii2/') });
        await expect(other.discover(`${s.url}/old/`)).rejects.toThrow(/another host/);
      });
    });
  });
}
