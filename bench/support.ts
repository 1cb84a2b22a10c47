/**
 * What the benchmarks share: their command-line options and the machine line of their reports, a throwaway
 * database (a SQLite file, or a PostgreSQL cluster started for the run), generated indicators and a fast fill, the
 * bench principal of the TAXII benchmarks and their bare `node:http` ceiling.
 */
import autocannon from 'autocannon';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from '../src/main.js';
import type { AuthService } from '../src/services/auth-service.js';
import type { SharingService } from '../src/services/index.js';
import type { NewVersion, ObjectRepository, WritePolicy } from '../src/storage/index.js';
import { findPgBin, startThrowawayPostgres } from '../test/support/postgres.js';
import { main, services, taxii } from './built.js';

const { createNode, loadConfig } = main;
const { LOCAL_OPERATOR } = services;
const { parseTaxiiConfig, TAXII_MEDIA_TYPE } = taxii;

/** A node on `databaseUrl` as `entente serve` would run it, on a free loopback port, logging only warnings. */
export function benchNode(databaseUrl: string): Promise<Node> {
  return createNode(
    loadConfig(
      {},
      { databaseUrl, host: '127.0.0.1', port: 0, logLevel: 'warn', taxii: parseTaxiiConfig({}) },
    ),
  );
}

/** A benchmark's `--name value` options (`option('limit', '100')`) and `--flag`s, from its command line. */
export function commandLine(args: readonly string[] = process.argv.slice(2)): {
  option: (name: string, fallback: string) => string;
  flag: (name: string) => boolean;
} {
  return {
    option: (name, fallback) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
    },
    flag: (name) => args.includes(`--${name}`),
  };
}

/** What every benchmark report starts with: when, on what machine, against which database. */
export function runContext(usePg: boolean): {
  date: string;
  database: string;
  nproc: number;
  cpu: string | undefined;
  node: string;
} {
  return {
    date: new Date().toISOString(),
    database: usePg ? 'postgres' : 'sqlite',
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
  };
}

/**
 * The principal the TAXII benchmarks act as: user `bench` of a registered organisation (so the sharing rules let
 * it see unmarked objects), with `role`, granted read (and, where asked, write) access to each collection; returns
 * its bearer token.
 */
export async function benchToken(
  sharing: SharingService,
  auth: AuthService,
  role: 'reader' | 'analyst',
  grants: readonly { collectionId: string; canWrite: boolean }[],
): Promise<string> {
  const org = await sharing.addOrganization(LOCAL_OPERATOR, { name: 'Bench CERT' });
  await auth.createUser({ name: 'bench', roles: [role], organizationId: org.id });
  for (const g of grants) await auth.grant('bench', g.collectionId, { canRead: true, canWrite: g.canWrite });
  return (await auth.createToken('bench', 'bench')).token;
}

export interface BenchDatabase {
  readonly url: string;
  /** Stops the cluster or removes the file. */
  dispose(): Promise<void>;
}

export async function benchDatabase(usePg: boolean, name: string): Promise<BenchDatabase> {
  if (usePg) {
    const bin = findPgBin();
    if (!bin) throw new Error('PostgreSQL not found under /usr/lib/postgresql');
    const pg = await startThrowawayPostgres(bin, { durable: true });
    return { url: pg.url, dispose: () => pg.stop() };
  }
  const dir = mkdtempSync(join(tmpdir(), `entente-bench-${name}-`));
  return {
    url: `sqlite:${join(dir, 'b.db')}`,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/**
 * The id of the n-th generated indicator (the same n gives the same id in every benchmark): a UUIDv4 drawn from a
 * hash of n, so that consecutive indicators are scattered over the id space as real STIX ids are. (Ids in counting
 * order would make every index keyed by object id grow at its right edge, which no real feed does.)
 */
export const benchIndicatorId = (n: number): string => {
  const h = createHash('sha1').update(`bench-indicator-${n}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
  return `indicator--${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The n-th generated indicator (~340 bytes, unmarked, a valid pattern); `extra` adds or replaces properties. */
export const indicatorBody = (n: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: 'indicator',
    spec_version: '2.1',
    id: benchIndicatorId(n),
    created: '2021-03-02T00:00:00.000Z',
    modified: '2021-03-02T00:00:00.000Z',
    name: `bench indicator ${n}`,
    pattern: `[ipv4-addr:value = '10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}']`,
    pattern_type: 'stix',
    valid_from: '2021-03-02T00:00:00Z',
    indicator_types: ['malicious-activity'],
    ...extra, // a property set to undefined is left out
  });

const trustAll: WritePolicy = { sameContent: (a, b) => a === b, checkTransition: () => [] };

/**
 * Fills a collection quickly with `count` generated indicators (the n-th for n from `first` on): prepared versions
 * straight into storage in write batches of `batchSize` (validation is not what the TAXII benchmarks measure).
 */
export async function fillIndicators(
  objects: ObjectRepository,
  collectionId: string,
  count: number,
  body: (n: number) => string,
  first = 0,
  batchSize = 10_000,
): Promise<void> {
  for (let start = first; start < first + count; start += batchSize) {
    const batch: NewVersion[] = [];
    for (let n = start; n < Math.min(first + count, start + batchSize); n++) {
      const text = body(n);
      batch.push({
        id: benchIndicatorId(n),
        type: 'indicator',
        specVersion: '2.1',
        versionKey: '2021-03-02T00:00:00.000000000Z',
        version: '2021-03-02T00:00:00.000Z',
        createdByRef: null,
        markings: null,
        revoked: false,
        body: text,
      });
    }
    await objects.writeBatch(collectionId, batch, trustAll);
  }
}

/**
 * The ceiling the TAXII benchmarks compare against: a bare `node:http` server in the same process that answers
 * every request with the bytes and TAXII headers of one sample response of `target`.
 */
export async function ceilingServer(
  target: string,
  token: string,
): Promise<{ url: string; responseBytes: number; close(): Promise<void> }> {
  const sample = await fetch(target, {
    headers: { accept: TAXII_MEDIA_TYPE, authorization: `Bearer ${token}` },
  });
  const bytes = Buffer.from(await sample.arrayBuffer());
  const headers = {
    'content-type': TAXII_MEDIA_TYPE,
    'x-taxii-date-added-first': sample.headers.get('x-taxii-date-added-first') ?? '',
    'x-taxii-date-added-last': sample.headers.get('x-taxii-date-added-last') ?? '',
  };
  const server = createServer((_req, res) => {
    res.writeHead(200, { ...headers, 'content-length': bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`,
    responseBytes: bytes.length,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One autocannon run against a TAXII URL. */
export interface Load {
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** `durationSeconds` of GETs of `url` at 16 connections, as a TAXII client with bearer `token`. */
export async function taxiiLoad(url: string, token: string, durationSeconds: number): Promise<Load> {
  const r = await autocannon({
    url,
    connections: 16,
    duration: durationSeconds,
    headers: { accept: TAXII_MEDIA_TYPE, authorization: `Bearer ${token}` },
  });
  return {
    requestsPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}
