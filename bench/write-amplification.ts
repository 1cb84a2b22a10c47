/**
 * Write amplification of the store: how many bytes the process writes (WAL, checkpoints, database file: `wchar` of
 * /proc/self/io, every thread) per object added, once the store already holds many objects. Ids are random UUIDs
 * (`benchIndicatorId`), as real STIX ids are, so every index keyed by object id takes each new version at a random
 * place; batches are the size TAXII POSTs are written in. Each phase is reported with wall time and CPU time.
 *
 *   npm run bench:writes -- [--prefill 200000] [--objects 10000] [--batch 500] [--pg]
 */
import { readFileSync } from 'node:fs';
import { benchDatabase, commandLine, fillIndicators, indicatorBody, runContext } from './support.js';
import { storage } from './built.js';

const { openStorage } = storage;

const { option, flag } = commandLine();
const PREFILL = Number(option('prefill', '200000'));
const OBJECTS = Number(option('objects', '10000'));
const BATCH = Number(option('batch', '500'));
const usePg = flag('pg');

const written = (): number => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function phase(run: () => Promise<void>) {
  const w0 = written();
  const c0 = cpu();
  const t0 = performance.now();
  await run();
  return {
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    cpuSeconds: Number((cpu() - c0).toFixed(2)),
    writtenMb: Number(((written() - w0) / 1048576).toFixed(1)),
  };
}

async function main(): Promise<void> {
  const database = await benchDatabase(usePg, 'writes');
  const storage = await openStorage(database.url);
  const collection = await storage.collections.ensure({
    id: 'bench-writes',
    title: 'bench-writes',
    description: null,
    alias: null,
    createdAt: new Date().toISOString(),
  });
  const prefill = await phase(() =>
    fillIndicators(storage.objects, collection.id, PREFILL, (n) => indicatorBody(n)),
  );
  // The next OBJECTS indicators, BATCH per write transaction.
  const added = await phase(() =>
    fillIndicators(storage.objects, collection.id, OBJECTS, (n) => indicatorBody(n), PREFILL, BATCH),
  );
  const close = await phase(() => storage.close());
  await database.dispose();
  const result = {
    ...runContext(usePg),
    prefill: PREFILL,
    objects: OBJECTS,
    batch: BATCH,
    prefillPhase: prefill,
    addPhase: added,
    closePhase: close,
    bytesWrittenPerObjectAdded: Math.round(((added.writtenMb + close.writtenMb) * 1048576) / OBJECTS),
    objectsPerSecond: Math.round(OBJECTS / added.seconds),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
