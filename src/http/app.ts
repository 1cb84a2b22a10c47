/**
 * HTTP assembly: Fastify with structured logs (a child logger per request), the error mapper, and the routes.
 * Routes are pipelines: validate → call one service → present. No SQL and no storage imports here.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANONYMOUS } from '../core/access/principal.js';
import { notFound } from '../core/errors.js';
import type { Services } from '../services/index.js';
import type { TaxiiBackend } from '../taxii/backend.js';
import { TAXII_MEDIA_TYPE } from '../taxii/media.js';
import { errorResource } from '../taxii/present.js';
import { taxiiRoutes } from '../taxii/server.js';
import { clientErrorHandler, errorHandler } from './errors.js';

export interface HttpOptions {
  readonly logLevel?: string;
  readonly version: string;
  /** The TAXII 2.1 server, mounted under /taxii2/ when given. */
  readonly taxii?: TaxiiBackend | undefined;
}

/**
 * `Expect: 100-continue` with a Content-Length over TAXII's max_content_length: 413 at once, so the client does not
 * start an upload that would be refused (Node would otherwise answer 100 Continue before any route sees it).
 */
function refuseEarly(app: FastifyInstance, maxContentLength: number): void {
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if ((req.url ?? '').startsWith('/taxii2/') && Number.isFinite(declared) && declared > maxContentLength) {
      const body = JSON.stringify(
        errorResource(413, `the body is ${declared} bytes; max_content_length is ${maxContentLength}`, {
          code: 'TOO_LARGE',
        }),
      );
      res.writeHead(413, {
        'content-type': TAXII_MEDIA_TYPE,
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      });
      res.end(body);
      return;
    }
    res.writeContinue();
    app.server.emit('request', req, res);
  });
}

export function buildHttpApp(services: Services, options: HttpOptions): FastifyInstance {
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'info',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    bodyLimit: 1024 * 1024,
    // A client that trickles its request (headers or body) is cut off instead of holding a connection forever, and
    // a connection that stays silent for a minute is closed (thousands of idle sockets would otherwise use up the
    // process's file handles, and the database pool could then open none).
    requestTimeout: 120_000,
    connectionTimeout: 60_000,
    genReqId: () => crypto.randomUUID(),
    // A STIX id in a path (`objects/{id}/`) may be 288 characters long (a 250-character type, `--`, a UUID).
    routerOptions: { maxParamLength: 512 },
    // Errors Fastify raises before routing (a malformed URL, an over-long path parameter) and those Node's parser
    // raises before a request exists (headers too large, a malformed request): through the same mapper, so that
    // /taxii2/ answers with a TAXII error resource there too.
    frameworkErrors: (err, req, reply) => errorHandler(err, req as FastifyRequest, reply as FastifyReply),
    clientErrorHandler,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req) => {
    // Through the one error mapper, so /taxii2/ answers with a TAXII error resource.
    throw notFound(`no route ${req.method} ${req.url.split('?')[0] ?? ''}`);
  });
  if (options.taxii) {
    void app.register(taxiiRoutes, { prefix: '/taxii2', backend: options.taxii });
    refuseEarly(app, options.taxii.config.maxContentLength);
  }

  // A trivial query, never counts: cheap however large the store, so a load balancer may poll it. 503 when the
  // database does not answer (the cause is logged, not returned).
  app.get('/health', async (req, reply) => {
    try {
      return { status: 'ok', version: options.version, database: (await services.stats.health()).database };
    } catch (err) {
      req.log.error({ err }, 'health check: the database does not answer');
      return reply.code(503).send({ status: 'unavailable', version: options.version });
    }
  });
  // Counts as the caller may see them (docs/sharing.md): never what is hidden from it.
  app.get('/api/stats', async (req) =>
    services.stats.stats(
      options.taxii ? await options.taxii.authenticate(req.headers.authorization) : ANONYMOUS,
    ),
  );
  // Only the collections the caller may read or write: a hidden collection is never revealed to exist (the same
  // decision as TAXII's collections/). Without the TAXII server there is no way to authenticate: nothing is listed.
  app.get('/api/collections', async (req) => {
    if (!options.taxii) return { collections: [] };
    const principal = await options.taxii.authenticate(req.headers.authorization);
    const visible = new Set<string>();
    for (const root of options.taxii.config.apiRoots)
      for (const c of await options.taxii.collections(principal, root.name)) visible.add(c.id);
    return {
      collections: (await services.collections.list())
        .filter((c) => visible.has(c.id))
        .map((c) => ({ id: c.id, alias: c.alias, title: c.title, description: c.description })),
    };
  });
  return app;
}
