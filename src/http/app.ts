/**
 * HTTP assembly: Fastify with structured logs (a child logger per request), the error mapper, and the routes.
 * Routes are pipelines: validate → call one service → present. No SQL and no storage imports here.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import { errorHandler } from './errors.js';

export interface HttpOptions {
  readonly logLevel?: string;
  readonly version: string;
}

export function buildHttpApp(services: Services, options: HttpOptions): FastifyInstance {
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'info',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    bodyLimit: 1024 * 1024,
    genReqId: () => crypto.randomUUID(),
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({
        error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` },
      });
  });

  app.get('/health', async () => ({
    status: 'ok',
    version: options.version,
    database: (await services.stats.stats()).database,
  }));
  app.get('/api/stats', () => services.stats.stats());
  app.get('/api/collections', async () => ({
    collections: (await services.collections.list()).map((c) => ({
      id: c.id,
      alias: c.alias,
      title: c.title,
      description: c.description,
    })),
  }));
  return app;
}
