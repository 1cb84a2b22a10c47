/**
 * Validation throughput over the whole ATT&CK Enterprise bundle (24,772 objects), already parsed: only the
 * validate calls are timed. Run: `npx tsx bench/validate.ts [runs]`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { validateBundle, validateObject } from '../src/core/stix/index.js';

const file = join(import.meta.dirname, '../../shared/data/attack/enterprise-attack.json');
const bundle = JSON.parse(readFileSync(file, 'utf8')) as { objects: unknown[] };
const objects = bundle.objects;
const runs = Number(process.argv[2] ?? 10);

function time(fn: () => number): { ms: number; problems: number } {
  const t0 = process.hrtime.bigint();
  const problems = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, problems };
}

const perObject = (): number => {
  let n = 0;
  for (const o of objects) n += validateObject(o).length;
  return n;
};
const wholeBundle = (): number => validateBundle(bundle).length;

// Warm-up so the figures are for optimised code, as in a long-running server.
for (let i = 0; i < 3; i++) perObject();

const rows: { mode: string; run: number; ms: number; rate: number }[] = [];
for (let run = 1; run <= runs; run++) {
  for (const [mode, fn] of [
    ['validateObject ×N', perObject],
    ['validateBundle', wholeBundle],
  ] as const) {
    const { ms } = time(fn);
    rows.push({ mode, run, ms, rate: objects.length / (ms / 1000) });
  }
}

const summary = (mode: string) => {
  const rates = rows.filter((r) => r.mode === mode).map((r) => r.rate).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  return { mode, min: Math.round(rates[0]!), median: Math.round(median), max: Math.round(rates.at(-1)!) };
};

console.log(`objects: ${objects.length}, runs: ${runs}, node ${process.version}, ${cpus().length} cpus, ${cpus()[0]?.model ?? ''}`);
console.table([summary('validateObject ×N'), summary('validateBundle')]);
console.log(`problems per pass: ${perObject()} (all warnings expected)`);
