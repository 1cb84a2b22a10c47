/**
 * The TAXII 2.1 server routes as a Fastify plugin (mount with prefix `/taxii2`). Each route is a pipeline:
 * negotiate → authenticate → parse the query → one backend call → present. No try/catch here: errors are
 * catalogue errors, turned into TAXII error resources by the one HTTP error mapper.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../core/access/principal.js';
import { EntenteError, invalid, notFound, tooLarge } from '../core/errors.js';
import type { Page, TaxiiBackend } from './backend.js';
import { TAXII_MEDIA_TYPE, acceptsTaxii, isTaxiiContentType } from './media.js';
import { dateAddedHeaders, envelopeText, errorResource, manifest, versions } from './present.js';
import { parseFilter, type Endpoint } from './query.js';
import { STATUS_JSON, type ApiRoot, type Discovery, type Status } from './types.js';

/** Distinct Accept headers whose verdict is remembered (all are forgotten when full). */
const ACCEPT_MEMO_MAX = 64;
/** Longer Accept headers are parsed every time, so the memo stays small. */
const ACCEPT_MEMO_LENGTH = 256;

export interface TaxiiRoutesOptions {
  readonly backend: TaxiiBackend;
}

type Params = { root: string; collectionId: string; objectId: string; statusId: string };
type Req = FastifyRequest<{ Params: Params; Querystring: Record<string, unknown> }>;

export function taxiiRoutes(app: FastifyInstance, opts: TaxiiRoutesOptions): Promise<void> {
  const { backend } = opts;
  const config = backend.config;
  const roots = new Map(config.apiRoots.map((r) => [r.name, r]));

  // POST bodies are streamed to the backend as they arrive, never buffered here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  // Clients send the same few Accept headers on every request: each is parsed once (a bounded memo of a pure function).
  const acceptable = new Map<string, boolean>();
  const accepts = (accept: string | undefined): boolean => {
    if (accept === undefined || accept.length > ACCEPT_MEMO_LENGTH) return acceptsTaxii(accept);
    let ok = acceptable.get(accept);
    if (ok === undefined) {
      ok = acceptsTaxii(accept);
      if (acceptable.size >= ACCEPT_MEMO_MAX) acceptable.clear();
      acceptable.set(accept, ok);
    }
    return ok;
  };
  app.addHook('onRequest', (req, _reply, done) => {
    if (!accepts(req.headers.accept))
      done(new EntenteError('NOT_ACCEPTABLE', `this server answers only with ${TAXII_MEDIA_TYPE}`));
    else done();
  });

  const principalOf = async (req: FastifyRequest): Promise<Principal> => {
    const p = await backend.authenticate(req.headers.authorization);
    if (config.requireAuth && p.kind === 'anonymous')
      throw new EntenteError('UNAUTHENTICATED', 'authentication required');
    return p;
  };
  const rootOf = (req: Req): string => {
    if (!roots.has(req.params.root)) throw notFound(`no API root "${req.params.root}"`);
    return req.params.root;
  };
  const filterOf = (req: Req, endpoint: Endpoint) =>
    parseFilter(endpoint, req.query, { maxLimit: config.maxLimit });
  const send = (reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}) =>
    reply
      .status(status)
      .headers(headers)
      .header('content-type', TAXII_MEDIA_TYPE)
      // A Buffer, so that Fastify sends the media type exactly as the spec writes it (no added charset).
      .send(
        Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      );
  // The backend hands out the same Page object for a re-polled, unchanged page: its bytes and headers are built
  // once, and sent with one `headers` call (what `send` does, without rebuilding them per request).
  const envelopes = new WeakMap<Page, { bytes: Buffer; headers: Record<string, string> }>();
  const statusBytes = new WeakMap<Status, Buffer>();
  const sendEnvelope = (reply: FastifyReply, page: Page) => {
    let built = envelopes.get(page);
    if (built === undefined) {
      built = {
        bytes: Buffer.from(envelopeText(page)),
        headers: { ...dateAddedHeaders(page), 'content-type': TAXII_MEDIA_TYPE },
      };
      envelopes.set(page, built);
    }
    return reply.status(200).headers(built.headers).send(built.bytes);
  };

  // Every resource answers with and without the trailing slash the spec writes.
  const register = (
    method: string | string[],
    path: string,
    handler: (req: Req, reply: FastifyReply) => Promise<unknown>,
  ) => {
    app.route({ method, url: path, handler });
    if (path.endsWith('/') && path !== '/') app.route({ method, url: path.slice(0, -1), handler });
  };
  /** The methods each resource supports, for its 405s (see `methodNotAllowed`). */
  const allowed = new Map<string, Set<string>>();
  const route = (
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    handler: (req: Req, reply: FastifyReply) => Promise<unknown>,
  ) => {
    register(method, path, handler);
    const methods = allowed.get(path) ?? allowed.set(path, new Set()).get(path)!;
    methods.add(method);
    if (method === 'GET') methods.add('HEAD'); // Fastify answers HEAD for every GET route
  };

  route('GET', '/', async (req, reply) => {
    await principalOf(req);
    // §4.1.1: API root URLs MUST be HTTPS absolute URLs or relative URLs. Absolute only from a configured https
    // public URL; otherwise relative to this resource (never built from the client's Host header).
    const base = config.publicUrl?.startsWith('https://') ? `${config.publicUrl}/taxii2/` : '/taxii2/';
    const urls = config.apiRoots.map((r) => `${base}${r.name}/`);
    const discovery: Discovery = {
      title: config.title,
      ...(config.description !== undefined ? { description: config.description } : {}),
      ...(config.contact !== undefined ? { contact: config.contact } : {}),
      ...(urls[0] !== undefined ? { default: urls[0] } : {}),
      api_roots: urls,
    };
    return send(reply, 200, discovery);
  });

  route('GET', '/:root/', async (req, reply) => {
    const root = roots.get(rootOf(req))!;
    await principalOf(req);
    const body: ApiRoot = {
      title: root.title,
      ...(root.description !== undefined ? { description: root.description } : {}),
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: config.maxContentLength,
    };
    return send(reply, 200, body);
  });

  route('GET', '/:root/status/:statusId/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    // The backend hands out the same Status object while a status is unchanged: its bytes are built once.
    const status = await backend.status(p, root, req.params.statusId);
    let bytes = statusBytes.get(status);
    if (bytes === undefined)
      statusBytes.set(status, (bytes = Buffer.from(status[STATUS_JSON] ?? JSON.stringify(status))));
    return send(reply, 200, bytes);
  });

  route('GET', '/:root/collections/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    const list = await backend.collections(p, root);
    return send(reply, 200, list.length > 0 ? { collections: list } : {});
  });

  route('GET', '/:root/collections/:collectionId/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    return send(reply, 200, await backend.collection(p, root, req.params.collectionId));
  });

  route('GET', '/:root/collections/:collectionId/objects/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    const filter = filterOf(req, 'objects');
    const page = await backend.list(p, root, req.params.collectionId, 'objects', filter, { address: req.ip });
    return sendEnvelope(reply, page);
  });

  route('POST', '/:root/collections/:collectionId/objects/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    if (!isTaxiiContentType(req.headers['content-type']))
      throw new EntenteError('UNSUPPORTED', `POST a TAXII envelope as ${TAXII_MEDIA_TYPE}`);
    const max = config.maxContentLength;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      void reply.header('connection', 'close');
      throw tooLarge(`the body is ${declared} bytes; max_content_length is ${max}`);
    }
    const body = (req.body as Readable | undefined) ?? emptyStream();
    const status = await backend.addObjects(p, root, req.params.collectionId, limitBytes(body, max, reply), {
      address: req.ip,
    });
    return send(reply, 202, status);
  });

  route('GET', '/:root/collections/:collectionId/manifest/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    const filter = filterOf(req, 'manifest');
    const page = await backend.list(p, root, req.params.collectionId, 'manifest', filter, {
      address: req.ip,
    });
    return send(reply, 200, manifest(page), dateAddedHeaders(page));
  });

  route('GET', '/:root/collections/:collectionId/objects/:objectId/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    const { collectionId, objectId } = req.params;
    const filter = filterOf(req, 'object');
    const page = await backend.object(p, root, collectionId, objectId, filter, { address: req.ip });
    return sendEnvelope(reply, page);
  });

  route('DELETE', '/:root/collections/:collectionId/objects/:objectId/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    const { collectionId, objectId } = req.params;
    const filter = filterOf(req, 'delete');
    await backend.deleteObject(p, root, collectionId, objectId, filter, { address: req.ip });
    return send(reply, 200, '');
  });

  route('GET', '/:root/collections/:collectionId/objects/:objectId/versions/', async (req, reply) => {
    const root = rootOf(req);
    const p = await principalOf(req);
    const { collectionId, objectId } = req.params;
    const filter = filterOf(req, 'versions');
    const page = await backend.versions(p, root, collectionId, objectId, filter, { address: req.ip });
    return send(reply, 200, versions(page), dateAddedHeaders(page));
  });

  // TAXII 2.1: a method the resource does not support is a 405, as an error resource, with an Allow header
  // listing those it does — for any other method on a known resource's path. An unknown API root stays 404, and
  // the 405 comes before authentication (it reveals nothing the specification does not).
  for (const [path, methods] of allowed) {
    const allow = [...methods].sort().join(', ');
    const others = app.supportedMethods.filter((m) => !methods.has(m));
    register(others, path, async (req, reply) => {
      if (path !== '/') rootOf(req);
      const status = 405;
      const message = `${req.method} is not supported here; this resource allows ${allow}`;
      return reply
        .status(status)
        .header('allow', allow)
        .header('content-type', TAXII_MEDIA_TYPE)
        .send(
          Buffer.from(
            JSON.stringify(errorResource(status, message, { code: 'METHOD_NOT_ALLOWED', errorId: req.id })),
          ),
        );
    });
  }

  return Promise.resolve();
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {}

/** Passes the body through, counting bytes: past `max` it stops with TOO_LARGE before reading the rest. */
async function* limitBytes(
  source: AsyncIterable<Uint8Array>,
  max: number,
  reply: FastifyReply,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  const chunks = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await chunks.next();
    } catch {
      // The client went away mid-body: a client error, not ours (nothing has been stored).
      throw invalid('the request body ended early (the connection was closed)');
    }
    if (next.done) return;
    total += next.value.length;
    if (total > max) {
      void reply.header('connection', 'close');
      throw tooLarge(`the body is larger than max_content_length (${max} bytes)`);
    }
    yield next.value;
  }
}
