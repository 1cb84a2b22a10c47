/**
 * Composition root: the one place that wires configuration, storage, services and HTTP together.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildHttpApp } from './http/app.js';
import { AuthService } from './services/auth-service.js';
import { createServices, type Services } from './services/index.js';
import { TaxiiService } from './services/taxii-service.js';
import type { TaxiiServerConfig } from './taxii/backend.js';
import { parseTaxiiConfig } from './taxii/config.js';
import { openStorage, parseDatabaseUrl, type Storage } from './storage/index.js';

/** The repository (or installed package) root: dist/main.js and src/main.ts both sit one level below it. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const version: string = (
  JSON.parse(readFileSync(resolve(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;

export interface Config {
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  /** Folder with the shared reference data (ATT&CK, ProxyLogon sources). */
  readonly sharedDir: string;
  /** The TAXII 2.1 server (ENTENTE_API_ROOTS, ENTENTE_TAXII_*, ENTENTE_CURSOR_SECRET; docs/taxii.md). */
  readonly taxii: TaxiiServerConfig;
}

export function loadConfig(env: NodeJS.ProcessEnv, overrides: Partial<Config> = {}): Config {
  const port = overrides.port ?? Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be 0-65535, got ${String(env.PORT)}`);
  return {
    databaseUrl: overrides.databaseUrl ?? env.DATABASE_URL ?? 'sqlite:./data/entente.db',
    host: overrides.host ?? env.HOST ?? '127.0.0.1',
    port,
    logLevel: overrides.logLevel ?? env.LOG_LEVEL ?? 'info',
    sharedDir: overrides.sharedDir ?? env.ENTENTE_SHARED_DIR ?? resolve(packageRoot, '..', 'shared'),
    taxii: overrides.taxii ?? parseTaxiiConfig(env),
  };
}

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

export async function startServer(node: Node): Promise<{ app: FastifyInstance; url: string }> {
  const app = buildHttpApp(node.services, { logLevel: node.config.logLevel, version, taxii: node.taxii });
  node.taxii.onBackgroundError = (err, context) =>
    app.log.error({ err, ...context }, 'TAXII background work failed');
  node.services.audit.onFlushError = (err, context) =>
    app.log.error({ err, ...context }, 'writing the audit log failed; the entries are kept and retried');
  await app.listen({ host: node.config.host, port: node.config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : node.config.port;
  return { app, url: `http://${node.config.host}:${port}` };
}
