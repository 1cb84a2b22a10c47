/**
 * What the benchmarks share: a throwaway database (a SQLite file, or a PostgreSQL cluster started for the run),
 * generated indicators and a fast fill, and the bare `node:http` ceiling of the TAXII benchmarks.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewVersion, ObjectRepository, WritePolicy } from '../src/storage/index.js';
import { TAXII_MEDIA_TYPE } from '../src/taxii/media.js';
import { findPgBin, startThrowawayPostgres } from '../test/support/postgres.js';

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

/** The id of the n-th generated indicator (the same n gives the same id in every benchmark). */
export const benchIndicatorId = (n: number): string =>
  `indicator--00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

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
 * Fills a collection quickly with `count` generated indicators: prepared versions straight into storage in batches
 * of 10,000 (validation is not what the TAXII benchmarks measure).
 */
export async function fillIndicators(
  objects: ObjectRepository,
  collectionId: string,
  count: number,
  body: (n: number) => string,
): Promise<void> {
  const BATCH = 10_000;
  for (let start = 0; start < count; start += BATCH) {
    const batch: NewVersion[] = [];
    for (let n = start; n < Math.min(count, start + BATCH); n++) {
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
        rawHash: createHash('sha256').update(text).digest('base64'),
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
