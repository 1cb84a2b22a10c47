/**
 * TAXII service cost of one cached page read, without HTTP: what a repeated `GET objects/?limit=100` costs in
 * `TaxiiService` (bearer token check, collection and permission look-ups, the caller's visibility facts, the page
 * and its memo, the audit queue) once the database read is cached. The HTTP benchmark (bench/taxii.ts) measures the
 * whole request against a bare `node:http` ceiling; this one isolates the part Entente's own code adds, and is far
 * less noisy on a shared machine (no load generator competing for the cores).
 *
 *   npx tsx bench/taxii-page.ts [--objects 20000] [--requests 20000] [--rounds 5]
 *
 * Each request first tells the store that a request arrived (as the HTTP server does), so the database generation
 * is read once per request, as in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  benchNode,
  benchToken,
  commandLine,
  fillIndicators,
  indicatorBody,
  median,
  runContext,
} from './support.js';

const { option } = commandLine();
const OBJECTS = Number(option('objects', '20000'));
const REQUESTS = Number(option('requests', '20000'));
const ROUNDS = Number(option('rounds', '5'));

const dir = mkdtempSync(join(tmpdir(), 'entente-taxii-page-'));
try {
  const node = await benchNode(`sqlite:${join(dir, 'bench.db')}`);
  const collection = await node.services.collections.ensure('bench');
  await fillIndicators(node.storage.objects, collection.id, OBJECTS, (n) => indicatorBody(n));
  const token = await benchToken(node.services.sharing, node.auth, 'reader', [
    { collectionId: collection.id, canWrite: false },
  ]);
  const authorization = `Bearer ${token}`;
  const request = async (): Promise<number> => {
    node.storage.taxii.requestArrived();
    const principal = await node.taxii.authenticate(authorization);
    const page = await node.taxii.list(
      principal,
      'api',
      collection.id,
      'objects',
      { limit: 100 },
      {
        address: '127.0.0.1',
      },
    );
    return page.items.length;
  };
  const round = async (n: number): Promise<number> => {
    const t0 = performance.now();
    let served = 0;
    for (let i = 0; i < n; i++) served += await request();
    if (served !== n * 100) throw new Error(`expected pages of 100 objects, got ${served / n} on average`);
    return ((performance.now() - t0) * 1000) / n;
  };
  await round(Math.min(REQUESTS, 5000)); // warm-up: JIT, caches
  const micros: number[] = [];
  for (let r = 0; r < ROUNDS; r++) micros.push(Number((await round(REQUESTS)).toFixed(1)));
  process.stdout.write(
    `${JSON.stringify(
      {
        ...runContext(false),
        objects: OBJECTS,
        requestsPerRound: REQUESTS,
        microsecondsPerRequest: micros,
        median: median(micros),
      },
      null,
      2,
    )}\n`,
  );
  await node.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
