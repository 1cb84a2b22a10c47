/**
 * Parser throughput: 100,000 distinct indicator patterns (the index workload mix). Target ≥ 200,000 patterns/s.
 * Run: npx tsx bench/pattern-parse.ts
 */
import { loadavg } from 'node:os';
import { checkPattern, parsePattern, printPattern } from '../src/core/pattern/index.js';
import { indicator, rng } from './pattern-workload.js';

const N = 100_000;
const r = rng(11);
const patterns = Array.from({ length: N }, (_, j) => indicator(j, r, 5_000_000).pattern);
const chars = patterns.reduce((n, p) => n + p.length, 0);

function time(
  label: string,
  fn: (p: string) => unknown,
): { label: string; seconds: number; perSecond: number } {
  fn(patterns[0] as string);
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    for (const p of patterns) fn(p);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { label, seconds: +best.toFixed(4), perSecond: Math.round(N / best) };
}

const parse = time('parsePattern', (p) => parsePattern(p));
const check = time('checkPattern (parse + validate)', (p) => checkPattern(p));
const withPositions = time('parsePattern with positions', (p) => parsePattern(p, { positions: true }));
const asts = patterns.map((p) => parsePattern(p));
let k = 0;
const print = time('printPattern', () => printPattern(asts[k++ % N]!));

console.log(
  JSON.stringify(
    {
      benchmark: 'pattern-parse',
      patterns: N,
      averageLength: Math.round(chars / N),
      results: [parse, check, withPositions, print],
      loadAverage: loadavg().map((x) => +x.toFixed(1)),
    },
    null,
    2,
  ),
);
