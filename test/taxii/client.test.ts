/**
 * The TAXII client against fake servers (an injected `fetch`): behaviour the real server never shows — no `next`
 * while many objects share one date_added, discovery naming another host, Retry-After dates, bodies that break
 * off, answers that are not TAXII, endless paging, 413 and 303.
 */
import { describe, expect, it } from 'vitest';
import { TaxiiClient, microsBefore } from '../../src/taxii/client.js';
import { TAXII_MEDIA_TYPE } from '../../src/taxii/media.js';

const ROOT = 'https://taxii.example.org/api/';

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>;

/** A `fetch` that answers from `handler`, recording every request. */
function fakeServer(handler: Handler) {
  const requests: { url: URL; method: string; authorization: string | undefined; body?: string }[] = [];
  const impl: typeof fetch = async (input, init = {}) => {
    await Promise.resolve();
    const url = new URL(input instanceof URL ? input.href : input instanceof Request ? input.url : input);
    const headers = (init.headers ?? {}) as Record<string, string>;
    requests.push({
      url,
      method: init.method ?? 'GET',
      authorization: headers.authorization,
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
    });
    return handler(url, init);
  };
  return { fetch: impl, requests };
}

const taxii = (body: unknown, headers: Record<string, string> = {}, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': TAXII_MEDIA_TYPE, ...headers } });

const noSleep = { sleep: () => Promise.resolve() };

/** 25 objects in runs of 5 sharing a date_added; pages by added_after only (no `next`). */
function runsServer() {
  const objects = Array.from({ length: 25 }, (_, n) => ({
    type: 'malware',
    id: `malware--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    modified: '2021-01-01T00:00:00.000Z',
    date_added: `2030-01-01T00:00:0${Math.floor(n / 5)}.000000Z`,
  }));
  return fakeServer((url) => {
    const after = url.searchParams.get('added_after');
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const rest = objects.filter((o) => after === null || o.date_added > normalise(after));
    const page = rest.slice(0, limit);
    return taxii(
      { more: rest.length > page.length, objects: page.map(({ date_added: _, ...o }) => o) },
      page.length > 0
        ? {
            'x-taxii-date-added-first': page[0]!.date_added,
            'x-taxii-date-added-last': page.at(-1)!.date_added,
          }
        : {},
    );
  });
}
/** A timestamp with six fractional digits (for comparing as text). */
const normalise = (t: string): string => {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(t)!;
  return `${m[1]!}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
};

describe('TAXII client', () => {
  it('microsBefore steps back one microsecond, across a second', () => {
    expect(microsBefore('2030-01-01T00:00:01.000000Z')).toBe('2030-01-01T00:00:00.999999Z');
    expect(microsBefore('2030-01-01T00:00:01.5Z')).toBe('2030-01-01T00:00:01.499999Z');
    expect(microsBefore('2030-01-01T00:00:01Z')).toBe('2030-01-01T00:00:00.999999Z');
    expect(microsBefore('not a time')).toBeUndefined();
  });

  it.each([1, 2, 3, 4, 7, 12])(
    'pages by added_after without losing or repeating objects that share a date_added (limit %i)',
    async (limit) => {
      const server = runsServer();
      const c = new TaxiiClient({ fetch: server.fetch, ...noSleep });
      const got: string[] = [];
      for await (const o of c.iterateObjects(ROOT, 'c1', { limit })) got.push(String(o.id));
      expect(got).toHaveLength(25);
      expect(new Set(got).size).toBe(25);
    },
  );

  it('refuses to page on when a server repeats its next cursor', async () => {
    const server = fakeServer(() => taxii({ more: true, next: 'same', objects: [{ id: 'x--1' }] }));
    const c = new TaxiiClient({ fetch: server.fetch, ...noSleep });
    const it = c.iterateObjects(ROOT, 'c1', {});
    await expect(
      (async () => {
        for await (const _ of it) void _;
      })(),
    ).rejects.toThrow(/without progress/);
    expect(server.requests.length).toBeLessThanOrEqual(3);
  });

  it('sends credentials only to the origins it is given, also for API roots a discovery names', async () => {
    const server = fakeServer((url) =>
      url.pathname === '/taxii2/'
        ? taxii({ title: 't', api_roots: ['/api/', 'https://elsewhere.example/api/'] })
        : taxii({ title: 'root', versions: [TAXII_MEDIA_TYPE], max_content_length: 1000 }),
    );
    const c = new TaxiiClient({
      fetch: server.fetch,
      credentials: { token: 'SECRET' },
      credentialOrigins: ['https://taxii.example.org'],
      ...noSleep,
    });
    const d = await c.discover('https://taxii.example.org/');
    expect(d.api_roots).toEqual(['https://taxii.example.org/api/', 'https://elsewhere.example/api/']);
    for (const r of d.api_roots!) await c.apiRoot(r);
    const auth = (host: string) =>
      server.requests.filter((r) => r.url.host === host).map((r) => r.authorization);
    expect(auth('taxii.example.org')).toEqual(['Bearer SECRET', 'Bearer SECRET']);
    expect(auth('elsewhere.example')).toEqual([undefined]);
  });

  it('waits as a Retry-After date says, and gives up on one beyond maxRetryAfterMs', async () => {
    let calls = 0;
    const waits: number[] = [];
    const soon = new Date(Date.now() + 3000).toUTCString();
    const server = fakeServer(() =>
      ++calls === 1
        ? new Response('', { status: 503, headers: { 'retry-after': soon } })
        : taxii({ title: 't' }),
    );
    const c = new TaxiiClient({ fetch: server.fetch, sleep: (ms) => (waits.push(ms), Promise.resolve()) });
    await c.discover('https://taxii.example.org/');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(1000);
    expect(waits[0]).toBeLessThanOrEqual(3000);

    const busy = fakeServer(() => new Response('', { status: 503, headers: { 'retry-after': '3600' } }));
    const c2 = new TaxiiClient({ fetch: busy.fetch, ...noSleep });
    await expect(c2.discover('https://taxii.example.org/')).rejects.toThrow(/retry after 3600 s/);
    expect(busy.requests).toHaveLength(1);
  });

  it('retries when the body breaks off, and fails clearly on answers that are not TAXII', async () => {
    let calls = 0;
    const server = fakeServer(() => {
      if (++calls === 1) {
        const body = new ReadableStream<Uint8Array>({
          start(ctl) {
            ctl.enqueue(new TextEncoder().encode('{"title":'));
            ctl.error(new TypeError('terminated'));
          },
        });
        return new Response(body, { headers: { 'content-type': TAXII_MEDIA_TYPE } });
      }
      return taxii({ title: 't' });
    });
    const c = new TaxiiClient({ fetch: server.fetch, ...noSleep });
    expect((await c.discover('https://taxii.example.org/')).title).toBe('t');
    expect(calls).toBe(2);

    const answers: [Response, RegExp][] = [
      [new Response('<html>{}</html>', { headers: { 'content-type': 'text/html' } }), /got "text\/html"/],
      [taxii(null), /a JSON object/],
      [taxii([1, 2]), /a JSON object/],
      [taxii({ more: false, objects: 'abc' }), /"objects" is not a list/],
    ];
    for (const [res, message] of answers) {
      const odd = new TaxiiClient({ fetch: fakeServer(() => res.clone()).fetch, ...noSleep });
      await expect(odd.getObjects(ROOT, 'c1')).rejects.toThrow(message);
    }
  });

  it('reads at most maxResponseBytes of an answer', async () => {
    const big = 'x'.repeat(4096);
    const server = fakeServer(() => taxii({ title: big }));
    const c = new TaxiiClient({ fetch: server.fetch, maxResponseBytes: 1024, ...noSleep });
    await expect(c.discover('https://taxii.example.org/')).rejects.toThrow(/larger than 1024 bytes/);
  });

  it('splits a POST the server still finds too large (413), and reports an object too large for any', async () => {
    const posted: number[] = [];
    const server = fakeServer((url, init) => {
      if (url.pathname.endsWith('/api/'))
        return taxii({ title: 'root', versions: [TAXII_MEDIA_TYPE], max_content_length: 2000 });
      const n = (JSON.parse(init.body as string) as { objects: unknown[] }).objects.length;
      if (n > 2) return taxii({ title: 'Request Entity Too Large', http_status: '413' }, {}, 413);
      posted.push(n);
      return taxii({ id: `s${posted.length}`, status: 'pending', total_count: n }, {}, 202);
    });
    const c = new TaxiiClient({ fetch: server.fetch, ...noSleep });
    const small = Array.from({ length: 6 }, (_, n) => ({ type: 'x', id: `x--${n}`, name: 'y'.repeat(50) }));
    const huge = { type: 'x', id: 'x--huge', name: 'z'.repeat(5000) };
    const skipped: string[] = [];
    const statuses = await c.addObjects(ROOT, 'c1', [...small.slice(0, 3), huge, ...small.slice(3)], {
      onTooLarge: (o) => skipped.push(String(o.id)),
    });
    expect(skipped).toEqual(['x--huge']);
    expect(posted.reduce((a, b) => a + b, 0)).toBe(6);
    expect(statuses.every((s) => s.status === 'pending')).toBe(true);
    await expect(c.addObjects(ROOT, 'c1', [huge])).rejects.toThrow(
      /over the server's max_content_length of 2000/,
    );
  });

  it('follows a 303 after a POST with a GET', async () => {
    const server = fakeServer((url, init) =>
      url.pathname.endsWith('/api/')
        ? taxii({ title: 'root', versions: [TAXII_MEDIA_TYPE], max_content_length: 100_000 })
        : init.method === 'POST'
          ? new Response('', { status: 303, headers: { location: `${ROOT}status/s1/` } })
          : taxii({ id: 's1', status: 'complete', total_count: 1 }),
    );
    const c = new TaxiiClient({ fetch: server.fetch, ...noSleep });
    const [st] = await c.addObjects(ROOT, 'c1', [{ type: 'x', id: 'x--1' }]);
    expect(st?.id).toBe('s1');
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET' });
    expect(server.requests.at(-1)?.body).toBeUndefined();
  });
});
