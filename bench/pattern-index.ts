/**
 * Indicator index: 100,000 indicators against 1,000,000 observations. Target < 2 s, memory < 1 GB; build time
 * reported. Run: npx tsx bench/pattern-index.ts [indicators] [observations]   (node --expose-gc for heap figures)
 */
import { buildIndicatorIndex } from '../src/core/pattern/index.js';
import type { Observation } from '../src/core/pattern/index.js';
import { indicator, observation, rng } from './pattern-workload.js';

const N_IND = Number(process.argv[2] ?? 100_000);
const N_OBS = Number(process.argv[3] ?? 1_000_000);
const KEYS = 5_000_000; // key space shared by indicators and observations: about 2% of observations hit one

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const r = rng(7);
const inputs = Array.from({ length: N_IND }, (_, j) => indicator(j, r, KEYS));
const heapBefore = heapMb();
const c0 = process.cpuUsage();
const t0 = performance.now();
const { index, rejected } = buildIndicatorIndex(inputs);
const buildSeconds = (performance.now() - t0) / 1000;
const cpu0 = process.cpuUsage(c0);
const buildCpuSeconds = (cpu0.user + cpu0.system) / 1e6;
const indexHeapMb = heapMb() - heapBefore;

const ro = rng(8);
const observations: Observation[] = Array.from({ length: N_OBS }, (_, i) => observation(i, ro, KEYS));
const heapWithObservations = heapMb();

// CPU time as well as wall time: on a shared machine the wall clock also counts other processes' turns
const c1 = process.cpuUsage();
const t1 = performance.now();
const result = index.matchObservations(observations);
const matchSeconds = (performance.now() - t1) / 1000;
const cpu1 = process.cpuUsage(c1);
const matchCpuSeconds = (cpu1.user + cpu1.system) / 1e6;
let matchedPairs = 0;
for (const v of result.values()) matchedPairs += v.length;

const t2 = performance.now();
let single = 0;
const N_SINGLE = Math.min(100_000, N_OBS);
for (let i = 0; i < N_SINGLE; i++) single += index.matchObservation(observations[i] as Observation).length;
const singleSeconds = (performance.now() - t2) / 1000;

console.log(
  JSON.stringify(
    {
      benchmark: 'pattern-index',
      indicators: N_IND,
      rejected: rejected.length,
      stats: index.stats,
      observations: N_OBS,
      buildSeconds: +buildSeconds.toFixed(3),
      buildCpuSeconds: +buildCpuSeconds.toFixed(3),
      indexHeapMb: Math.round(indexHeapMb),
      heapWithObservationsMb: Math.round(heapWithObservations),
      rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
      matchSeconds: +matchSeconds.toFixed(3),
      matchCpuSeconds: +matchCpuSeconds.toFixed(3),
      loadAverage: (await import('node:os')).loadavg().map((x) => +x.toFixed(1)),
      observationsPerSecond: Math.round(N_OBS / matchSeconds),
      indicatorsMatched: result.size,
      matchedPairs,
      singleObservationPerSecond: Math.round(N_SINGLE / singleSeconds),
      singleObservationHits: single,
    },
    null,
    2,
  ),
);
