/**
 * Validation throughput over the whole ATT&CK Enterprise bundle (24,772 objects), already parsed: only the
 * validate calls are timed. Run: `npx tsx bench/validate.ts [runs]`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { validateBundle, validateObject } from '../src/core/stix/index.js';

const file = join(import.meta.dirname, '../../shared/data/attack/enterprise-attack.json');
const bundle = JSON.parse(readFileSync(file, 'utf8')) as { objects: unknown[] };
const objects = bundle.objects;
const runs = Number(process.argv[2] ?? 10);

/**
 * Wall-clock and process CPU time of one pass. On a shared 2-core machine other processes inflate wall time; CPU
 * time (user + system, all threads of this process) is what the validator itself costs.
 */
function time(fn: () => number): { ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000 };
}

const perObject = (): number => {
  let n = 0;
  for (const o of objects) n += validateObject(o).length;
  return n;
};
const wholeBundle = (): number => validateBundle(bundle).length;

// Warm-up so the figures are for optimised code, as in a long-running server.
for (let i = 0; i < 3; i++) perObject();

const rows: { mode: string; run: number; rate: number; cpuRate: number }[] = [];
for (let run = 1; run <= runs; run++) {
  for (const [mode, fn] of [
    ['validateObject ×N', perObject],
    ['validateBundle', wholeBundle],
  ] as const) {
    const { ms, cpuMs } = time(fn);
    rows.push({ mode, run, rate: objects.length / (ms / 1000), cpuRate: objects.length / (cpuMs / 1000) });
  }
}

const median = (xs: number[]): number => Math.round(xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
const summary = (mode: string) => {
  const mine = rows.filter((r) => r.mode === mode);
  const wall = mine.map((r) => r.rate);
  return {
    mode,
    'wall obj/s min': Math.round(Math.min(...wall)),
    'wall obj/s median': median(wall),
    'wall obj/s max': Math.round(Math.max(...wall)),
    'cpu obj/s median': median(mine.map((r) => r.cpuRate)),
  };
};

console.log(
  `objects: ${objects.length}, runs: ${runs}, node ${process.version}, ${cpus().length} cpus, ${cpus()[0]?.model ?? ''}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.table([summary('validateObject ×N'), summary('validateBundle')]);
console.log(`problems per pass: ${perObject()} (all warnings expected)`);
