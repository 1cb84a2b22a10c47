/**
 * Single-pattern evaluation: 100 simple patterns × 10,000 observed-data (the workload the OASIS Python matcher
 * does at ~45,000 evaluations/s). Target ≥ 5,000,000 pattern × observation evaluations/s.
 * Run: npx tsx bench/pattern-match.ts
 */
import { loadavg } from 'node:os';
import { matchPattern, observationFromObservedData, parsePattern } from '../src/core/pattern/index.js';
import type { Observation } from '../src/core/pattern/index.js';
import { domain, ip, md5, rng, url } from './pattern-workload.js';

const N_OBS = 10_000;
const N_PAT = 100;
const r = rng(42);
const KEYS = 2_000;

// observed-data objects with their SCOs, as a bundle would carry them, converted once
const observations: Observation[] = [];
for (let i = 0; i < N_OBS; i++) {
  const k = Math.floor(r() * KEYS);
  const scos = new Map<string, Record<string, unknown>>();
  const refs: string[] = [];
  const add = (o: Record<string, unknown>): void => {
    scos.set(o.id as string, o);
    refs.push(o.id as string);
  };
  const t = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  if (i % 3 === 0) {
    add({ type: 'ipv4-addr', id: `ipv4-addr--${i}`, value: ip(k) });
    add({
      type: 'network-traffic',
      id: `network-traffic--${i}`,
      dst_ref: `ipv4-addr--${i}`,
      dst_port: 80 + (k % 3),
    });
  } else if (i % 3 === 1) {
    add({ type: 'domain-name', id: `domain-name--${i}`, value: domain(k) });
    add({ type: 'url', id: `url--${i}`, value: url(k) });
  } else {
    add({ type: 'file', id: `file--${i}`, name: `file${k}.exe`, size: k, hashes: { MD5: md5(k) } });
  }
  const od = {
    type: 'observed-data',
    id: `observed-data--${i}`,
    first_observed: t,
    last_observed: t,
    number_observed: 1,
    object_refs: refs,
  };
  observations.push(observationFromObservedData(od, scos));
}

const patterns: string[] = [];
for (let j = 0; j < N_PAT; j++) {
  const k = Math.floor(r() * KEYS);
  const kinds = [
    `[ipv4-addr:value = '${ip(k)}']`,
    `[domain-name:value = '${domain(k)}']`,
    `[file:hashes.MD5 = '${md5(k)}']`,
    `[url:value = '${url(k)}']`,
    `[file:name = 'file${k}.exe' AND file:size > 10]`,
    `[network-traffic:dst_ref.value = '${ip(k)}' AND network-traffic:dst_port = 80]`,
    `[domain-name:value LIKE 'host${k}.%']`,
    `[ipv4-addr:value ISSUBSET '10.0.${(k >> 8) & 255}.0/24']`,
    `[url:value MATCHES '/path/${k}/']`,
    `[file:size IN (${k}, ${k + 1}, ${k + 2})]`,
  ];
  patterns.push(kinds[j % kinds.length] as string);
}
const asts = patterns.map((p) => parsePattern(p));

function run(): { seconds: number; cpuSeconds: number; matches: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let matches = 0;
  for (const ast of asts) matches += matchPattern(ast, observations).observations.length;
  const cpu = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, matches };
}

const cold = run(); // includes compiling each pattern and preparing each observation once
const runs = [run(), run(), run(), run(), run()];
const best = Math.min(...runs.map((x) => x.seconds));
const bestCpu = Math.min(...runs.map((x) => x.cpuSeconds));
const evals = N_PAT * N_OBS;
console.log(
  JSON.stringify(
    {
      benchmark: 'pattern-match',
      patterns: N_PAT,
      observations: N_OBS,
      evaluations: evals,
      matches: cold.matches,
      coldSeconds: +cold.seconds.toFixed(4),
      coldEvalsPerSecond: Math.round(evals / cold.seconds),
      warmSecondsBest: +best.toFixed(4),
      warmEvalsPerSecond: Math.round(evals / best),
      warmCpuSecondsBest: +bestCpu.toFixed(4),
      vsOasisReference45k: +(evals / best / 45_000).toFixed(0),
      loadAverage: loadavg().map((x) => +x.toFixed(1)),
    },
    null,
    2,
  ),
);
