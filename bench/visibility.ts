/**
 * Visibility benchmark (issue 5): a TAXII page of 100 objects from a collection of N objects of which 99 % are
 * hidden from the caller (TLP:RED of another organisation, no named recipients), against the same page from a
 * collection of N objects where nothing is hidden from the caller (all TLP:GREEN), on SQLite. Both go through the
 * one TAXII read (`TaxiiRepository.queryEntries`) with the caller's visibility filter in the SQL, as the server
 * does. Pages are taken at random keyset positions; the median of REPS pages is reported.
 *
 *   npx tsx bench/visibility.ts            (N = 1,000,000; BENCH_N=100000 for a quicker run)
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '../src/core/access/principal.js';
import type { NewVersion, TaxiiEntryQuery, WritePolicy } from '../src/storage/index.js';
import { services, storage } from './built.js';

const { createServices, LOCAL_OPERATOR } = services;
const { openStorage } = storage;

const N = Number(process.env.BENCH_N ?? 1_000_000);
const PAGE = 100;
const REPS = Number(process.env.BENCH_REPS ?? 200);
const BATCH = 5000;
const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';
const RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const policy: WritePolicy = { sameContent: (a, b) => a === b, checkTransition: () => [] };

function uuid(n: number, salt: string): string {
  const h = createHash('md5').update(`${salt}${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function indicator(n: number, salt: string, marking: string, author: string): NewVersion {
  const id = `indicator--${uuid(n, salt)}`;
  const modified = '2026-01-01T00:00:00.000Z';
  const body = JSON.stringify({
    type: 'indicator',
    spec_version: '2.1',
    id,
    created: modified,
    modified,
    created_by_ref: author,
    name: `indicator ${n}`,
    pattern: `[ipv4-addr:value = '10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}']`,
    pattern_type: 'stix',
    valid_from: modified,
    object_marking_refs: [marking],
  });
  return {
    id,
    type: 'indicator',
    specVersion: '2.1',
    versionKey: modified,
    version: modified,
    createdByRef: author,
    markings: [marking],
    revoked: false,
    body,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'entente-bench-vis-'));
  const storage = await openStorage(`sqlite:${join(dir, 'b.db')}`);
  const services = createServices(storage);
  const reader = await services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Reader Org' });
  const other = await services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Other Org' });
  const hiddenCol = await services.collections.ensure('mostly-hidden');
  const openCol = await services.collections.ensure('all-visible');

  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const hidden: NewVersion[] = [];
    const open: NewVersion[] = [];
    for (let n = i; n < Math.min(N, i + BATCH); n++) {
      // 1 % visible (GREEN), spread evenly; 99 % RED of another organisation.
      hidden.push(indicator(n, 'h', n % 100 === 0 ? GREEN : RED, other.id));
      open.push(indicator(n, 'o', GREEN, other.id));
    }
    await storage.objects.writeBatch(hiddenCol.id, hidden, policy);
    await storage.objects.writeBatch(openCol.id, open, policy);
  }
  const loadSeconds = (performance.now() - t0) / 1000;

  const principal: Principal = {
    id: 'bench',
    kind: 'user',
    name: 'bench',
    organizationId: reader.id,
    roles: ['reader'],
  };
  const visibility = await services.sharing.visibilityFor(principal);
  const query = (collectionId: string, afterSeq: number | undefined): TaxiiEntryQuery => ({
    collectionId,
    versions: { all: false, first: false, last: true, keys: [], datesAdded: [] },
    afterSeq,
    limit: PAGE + 1, // one more, to know whether there is a next page
    withBody: true,
  });
  const seqRange = async (collectionId: string) => {
    const first = await storage.taxii.queryEntries({ ...query(collectionId, undefined), limit: 1 });
    return first[0]!.seq;
  };
  const hiddenStart = await seqRange(hiddenCol.id);
  const openStart = await seqRange(openCol.id);

  // Random keyset positions in the first 90 % of each collection (a full page always follows).
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const positions = Array.from({ length: REPS }, () => Math.floor(rand() * N * 0.9));
  const time = async (collectionId: string, start: number, vis: typeof visibility | undefined) => {
    const ms: number[] = [];
    let rows = 0;
    for (const p of positions) {
      const t = performance.now();
      const page = await storage.taxii.queryEntries(query(collectionId, start + p - 1), vis);
      ms.push(performance.now() - t);
      rows += page.length;
    }
    return { median: median(ms), rows: rows / positions.length };
  };
  // Warm up both, then measure alternately.
  await time(hiddenCol.id, hiddenStart, visibility);
  await time(openCol.id, openStart, visibility);
  const hidden = await time(hiddenCol.id, hiddenStart, visibility);
  const open = await time(openCol.id, openStart, visibility);
  const unfiltered = await time(openCol.id, openStart, undefined);

  const out = {
    objects: N,
    loadSeconds: Number(loadSeconds.toFixed(1)),
    pageMs99Hidden: Number(hidden.median.toFixed(3)),
    pageMsNothingHidden: Number(open.median.toFixed(3)),
    pageMsNoFilter: Number(unfiltered.median.toFixed(3)),
    rowsPerPage: { hidden99: hidden.rows, nothingHidden: open.rows },
    ratio: Number((hidden.median / open.median).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
