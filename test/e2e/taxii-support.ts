/** Shared helpers of the TAXII end-to-end suites: a real server on port 0 over a fresh database. */
import { randomUUID } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { createNode, loadConfig, startServer, type Node } from '../../src/main.js';
import { parseTaxiiConfig } from '../../src/taxii/config.js';

export const TAXII = 'application/taxii+json;version=2.1';
export const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export function malware(
  n: number,
  modified = '2021-03-02T00:00:00.000Z',
  extra: Record<string, unknown> = {},
) {
  return {
    type: 'malware',
    spec_version: '2.1',
    id: `malware--${uuid(n)}`,
    created: '2021-03-02T00:00:00.000Z',
    modified,
    name: `m${n}`,
    is_family: true,
    ...extra,
  };
}

/** The n-th indicator with `pattern` (valid or not: the pattern is not checked here). */
export function indicator(n: number, pattern: string) {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${uuid(n)}`,
    created: '2021-03-02T00:00:00.000Z',
    modified: '2021-03-02T00:00:00.000Z',
    pattern,
    pattern_type: 'stix',
    valid_from: '2021-03-02T00:00:00Z',
  };
}

/** A valid indicator with a fresh random id, created and modified on 2026-01-01, with `extra` on top. */
export function sampleIndicator(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const t = '2026-01-01T00:00:00.000Z';
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: t,
    modified: t,
    name: 'ioc',
    pattern: "[ipv4-addr:value = '198.51.100.7']",
    pattern_type: 'stix',
    valid_from: t,
    ...extra,
  };
}

export function identity(n: number) {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${uuid(n)}`,
    created: '2021-03-02T00:00:00.000Z',
    modified: '2021-03-02T00:00:00.000Z',
    name: `org${n}`,
    identity_class: 'organization',
  };
}

export interface Running {
  readonly node: Node;
  readonly app: FastifyInstance;
  readonly url: string;
  readonly root: string;
  readonly dbUrl: string;
  stop(): Promise<void>;
}

export async function startTaxii(dbUrl: string, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig(
    {},
    {
      databaseUrl: dbUrl,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      taxii: parseTaxiiConfig({ ENTENTE_API_ROOTS: 'api=Entente,second=Second root', ...env }),
    },
  );
  const node = await createNode(config);
  const { app, url } = await startServer(node);
  return {
    node,
    app,
    url,
    root: `${url}/taxii2/api/`,
    dbUrl,
    async stop() {
      await app.close();
      await node.close();
    },
  };
}

export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Gives every entry of a collection one and the same date_added (as data stored in one instant would have). */
export async function shareOneDateAdded(
  dbUrl: string,
  collectionId: string,
  dateAdded: string,
): Promise<void> {
  await runSql(dbUrl, 'update collection_entries set date_added = $1 where collection_id = $2', [
    dateAdded,
    collectionId,
  ]);
}

/** Groups entries by seq: every `size` consecutive entries share one date_added. */
export async function groupDatesAdded(dbUrl: string, collectionId: string, size: number): Promise<void> {
  const sqliteExpr = `'2030-01-01T00:00:00.' || substr('000000' || (seq / ${size}), -6, 6) || 'Z'`;
  const pgExpr = `'2030-01-01T00:00:00.' || lpad((seq / ${size})::text, 6, '0') || 'Z'`;
  const isPg = dbUrl.startsWith('postgres');
  await runSql(
    dbUrl,
    `update collection_entries set date_added = ${isPg ? pgExpr : sqliteExpr} where collection_id = $1`,
    [collectionId],
  );
}

async function runSql(dbUrl: string, text: string, params: string[]): Promise<void> {
  if (dbUrl.startsWith('sqlite:')) {
    const db = new Sqlite(dbUrl.slice('sqlite:'.length));
    try {
      db.prepare(text.replace(/\$\d+/g, '?')).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}
