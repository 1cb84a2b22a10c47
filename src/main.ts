/**
 * Composition root: the one place that wires configuration, storage, services and HTTP together.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { version, type Config } from './config.js';
import { AuthService } from './services/auth-service.js';
import { createServices, type Services } from './services/index.js';
import { TaxiiService } from './services/taxii-service.js';
import { openStorage, parseDatabaseUrl, type Storage } from './storage/index.js';

export { loadConfig, packageRoot, version, type Config } from './config.js';

export interface Node {
  readonly config: Config;
  readonly storage: Storage;
  readonly services: Services;
  readonly auth: AuthService;
  readonly taxii: TaxiiService;
  close(): Promise<void>;
}

export { nodeValidateOptions as validateOptions } from './services/validation.js';

export async function createNode(config: Config): Promise<Node> {
  const { kind, target } = parseDatabaseUrl(config.databaseUrl);
  if (kind === 'sqlite' && target !== ':memory:') mkdirSync(dirname(resolve(target)), { recursive: true });
  const storage = await openStorage(config.databaseUrl);
  const services = createServices(storage);
  const auth = new AuthService(storage);
  const taxii = new TaxiiService(storage, services.ingest, auth, config.taxii, { audit: services.audit });
  const close = async () => {
    // Stores what is still pending from POSTs, flushes TAXII's audit entries, stops the validation worker.
    await taxii.close();
    // Nothing queued for the audit log is lost on a clean stop (TAXII's are flushed; this writes the rest).
    await services.audit.flush();
    await storage.close();
  };
  return { config, storage, services, auth, taxii, close };
}

const MAX_CONNECTIONS = 8192;

export async function startServer(node: Node): Promise<{ app: FastifyInstance; url: string }> {
  // Loaded here, not at the top: commands that serve nothing (import, export, …) start without Fastify.
  const { buildHttpApp } = await import('./http/app.js');
  const app = buildHttpApp(node.services, { logLevel: node.config.logLevel, version, taxii: node.taxii });
  node.taxii.onBackgroundError = (err, context) =>
    app.log.error({ err, ...context }, 'TAXII background work failed');
  node.services.audit.onFlushError = (err, context) =>
    app.log.error({ err, ...context }, 'writing the audit log failed; the entries are kept and retried');
  await app.listen({ host: node.config.host, port: node.config.port });
  // Beyond this many open connections a new one is closed at once, before it can take the last file handles (the
  // database pool needs some too).
  app.server.maxConnections = MAX_CONNECTIONS;
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : node.config.port;
  return { app, url: `http://${node.config.host}:${port}` };
}
