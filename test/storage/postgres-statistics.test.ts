/**
 * Planner statistics after a bulk write (PostgreSQL): once 10,000 entries are written into tables that were never
 * analysed, the store runs ANALYZE itself in the background, instead of leaving every read to a plan made for
 * empty tables until autovacuum comes by (7–9 s a TAXII page with 200,000 objects; docs/benchmarks.md).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type NewVersion, type Storage, type WritePolicy } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

const postgres = testDatabases.find((d) => d.name === 'postgres')!;
const policy: WritePolicy = { sameContent: (a, b) => a === b, checkTransition: () => [] };

function version(n: number): NewVersion {
  const id = `ipv4-addr--${createHash('md5')
    .update(String(n))
    .digest('hex')
    .replace(/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*$/, '$1-$2-5$3-8$4-$5')}`;
  const body = JSON.stringify({
    type: 'ipv4-addr',
    spec_version: '2.1',
    id,
    value: `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`,
  });
  return {
    id,
    type: 'ipv4-addr',
    specVersion: '2.1',
    versionKey: '',
    version: null,
    createdByRef: null,
    markings: null,
    revoked: false,
    body,
  };
}

async function reltuples(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `select reltuples::float8 as n from pg_class where oid = to_regclass('collection_entries')`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** The columns of `table` that have planner statistics. */
async function statisticsOf(url: string, table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ attname: string }>(
      `select attname from pg_stats where schemaname = 'public' and tablename = $1`,
      [table],
    );
    return rows.map((r) => r.attname);
  } finally {
    await client.end();
  }
}

describe.runIf(postgres.available)('planner statistics on postgres', () => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('a bulk write of 10,000 entries is followed by an ANALYZE; a small one is not', async () => {
    const url = await postgres.fresh();
    storage = await openStorage(url);
    await storage.collections.ensure({ id: 'c', title: 'c', description: null, alias: null, createdAt: 'x' });
    await storage.objects.writeBatch(
      'c',
      Array.from({ length: 500 }, (_, n) => version(n)),
      policy,
    );
    await storage.close(); // waits for an ANALYZE under way, if any
    storage = undefined;
    expect(await reltuples(url)).toBeLessThan(1); // never analysed: -1 (or 0)

    storage = await openStorage(url);
    await storage.objects.writeBatch(
      'c',
      Array.from({ length: 10_000 }, (_, n) => version(500 + n)),
      policy,
    );
    await storage.close();
    storage = undefined;
    expect(await reltuples(url)).toBe(10_500);
    // Column statistics too (a coarse sample), for the columns the page queries filter on.
    expect(await statisticsOf(url, 'collection_entries')).toEqual(
      expect.arrayContaining(['audience', 'collection_id', 'is_latest', 'type']),
    );
    expect(await statisticsOf(url, 'stix_versions')).toEqual(expect.arrayContaining(['id', 'type']));
  });
});
