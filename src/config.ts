/**
 * Configuration: the package's root and version, and the node's settings from the environment and flags. Light on
 * purpose (no database, HTTP or service code), so that the CLI can read it before deciding what to load.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaxiiServerConfig } from './taxii/backend.js';
import { parseTaxiiConfig } from './taxii/config.js';

/** The repository (or installed package) root: dist/config.js and src/config.ts both sit one level below it. */
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
