/**
 * TAXII POST processing in one process, A/B: a 10,000-indicator envelope handed to `TaxiiService.addObjects` (no
 * HTTP, no status polling) and timed until every object is stored (`drain`), with the objects validated on the
 * event loop (A: `workerMinObjects: Infinity`, as before) or on the ingest worker thread (B: the default),
 * alternating A and B so both see the same machine load. Reports wall time, the main thread's CPU time (the event
 * loop, which also answers reads), the whole process's CPU time (all threads) and how long the event loop was held
 * at once (its delay's p99 and maximum), per run and as medians of the
 * warm runs (the first round, with cold code, is listed but not in the medians).
 *
 *   npx tsx bench/taxii-post.ts [--rounds 6] [--objects 10000] [--pg] [--only worker|in-process] [--write-batch N]
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { taxiiService } from './built.js';
import {
  benchDatabase,
  benchNode,
  benchToken,
  commandLine,
  indicatorBody,
  median,
  runContext,
} from './support.js';

const { TaxiiService } = taxiiService;

const { option, flag } = commandLine();
const ROUNDS = Number(option('rounds', '6'));
const OBJECTS = Number(option('objects', '10000'));
const usePg = flag('pg');
/** `--only worker` or `--only in-process`: run one mode (e.g. under a profiler). */
const ONLY = option('only', '');
/** Objects per write transaction (the service's default when absent). */
const WRITE_BATCH = option('write-batch', '') === '' ? undefined : Number(option('write-batch', ''));

/** CPU seconds of this process's main thread (the event loop), from /proc. */
const mainThreadCpu = (): number => {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const processCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function* envelope(first: number, count: number): AsyncGenerator<Uint8Array> {
  const parts: string[] = [];
  for (let n = first; n < first + count; n++) parts.push(indicatorBody(n));
  const bytes = Buffer.from(`{"objects":[${parts.join(',')}]}`);
  await Promise.resolve();
  for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
}

interface Run {
  mode: 'A in-process' | 'B worker';
  round: number;
  seconds: number;
  mainThreadCpuSeconds: number;
  processCpuSeconds: number;
  objectsPerSecond: number;
  stored: number;
  /** How long the event loop (which also answers reads) was held at once: p99 and max of its delay, ms. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

async function main(): Promise<void> {
  const database = await benchDatabase(usePg, 'taxii-post');
  const dbUrl = database.url;
  const node = await benchNode(dbUrl);
  const collection = await node.services.collections.ensure('bench-post');
  const token = await benchToken(node.services.sharing, node.auth, 'analyst', [
    { collectionId: collection.id, canWrite: true },
  ]);
  const principal = await node.taxii.authenticate(`Bearer ${token}`);
  const services = {
    'A in-process': new TaxiiService(node.storage, node.services.ingest, node.auth, node.config.taxii, {
      workerMinObjects: Infinity,
      writeBatch: WRITE_BATCH,
    }),
    'B worker': new TaxiiService(node.storage, node.services.ingest, node.auth, node.config.taxii, {
      writeBatch: WRITE_BATCH,
    }),
  } as const;

  const runs: Run[] = [];
  let next = 1_000_000;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0
      ? (['A in-process', 'B worker'] as const)
      : (['B worker', 'A in-process'] as const)) {
      if (ONLY !== '' && !mode.endsWith(ONLY)) continue;
      const svc = services[mode];
      const body = envelope(next, OBJECTS);
      next += OBJECTS;
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const main0 = mainThreadCpu();
      const cpu0 = processCpu();
      const t0 = performance.now();
      const accepted = await svc.addObjects(principal, 'api', collection.id, body);
      await svc.drain();
      const seconds = (performance.now() - t0) / 1000;
      delay.disable();
      const status = await svc.status(principal, 'api', accepted.id);
      runs.push({
        mode,
        round,
        seconds: Number(seconds.toFixed(3)),
        mainThreadCpuSeconds: Number((mainThreadCpu() - main0).toFixed(2)),
        processCpuSeconds: Number((processCpu() - cpu0).toFixed(2)),
        objectsPerSecond: Math.round(status.success_count / seconds),
        stored: status.success_count,
        eventLoopDelayP99Ms: Number((delay.percentile(99) / 1e6).toFixed(1)),
        eventLoopDelayMaxMs: Number((delay.max / 1e6).toFixed(1)),
      });
    }
  }
  for (const svc of Object.values(services)) await svc.close();
  await node.close();
  await database.dispose();

  const summary = (mode: Run['mode']) => {
    const warm = runs.filter((r) => r.mode === mode && r.round > 0);
    return {
      seconds: median(warm.map((r) => r.seconds)),
      mainThreadCpuSeconds: median(warm.map((r) => r.mainThreadCpuSeconds)),
      processCpuSeconds: median(warm.map((r) => r.processCpuSeconds)),
      objectsPerSecond: median(warm.map((r) => r.objectsPerSecond)),
      eventLoopDelayP99Ms: median(warm.map((r) => r.eventLoopDelayP99Ms)),
      eventLoopDelayMaxMs: median(warm.map((r) => r.eventLoopDelayMaxMs)),
    };
  };
  const a = summary('A in-process');
  const b = summary('B worker');
  const result = {
    ...runContext(usePg),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    objects: OBJECTS,
    runs,
    medianWarm: { a, b },
    ratioBtoA: {
      wall: Number((b.seconds / a.seconds).toFixed(2)),
      mainThreadCpu: Number((b.mainThreadCpuSeconds / a.mainThreadCpuSeconds).toFixed(2)),
      processCpu: Number((b.processCpuSeconds / a.processCpuSeconds).toFixed(2)),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
