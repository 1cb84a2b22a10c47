/** Deterministic synthetic workloads for the pattern benchmarks (seeded, so runs are comparable). */
import type { IndicatorInput, Observation } from '../src/core/pattern/index.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (r: () => number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
};
export const ip = (k: number): string => `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
export const domain = (k: number): string => `host${k}.example${k % 97}.com`;
export const md5 = (k: number): string => hex(rng(k * 7919 + 1), 32);
export const url = (k: number): string => `https://site${k % 5000}.example.net/path/${k}/index.php?id=${k}`;

const BASE = Date.UTC(2026, 0, 1);
const ts = (ms: number): string => new Date(BASE + ms).toISOString();

/** An observation like the ones converted from observed-data or produced by log scanners. */
export function observation(i: number, r: () => number, keySpace: number): Observation {
  const k = Math.floor(r() * keySpace);
  const t = ts(i * 1000);
  const objects: Record<string, Record<string, unknown>> = {};
  switch (i % 4) {
    case 0:
      objects['0'] = { type: 'ipv4-addr', value: ip(k) };
      objects['1'] = { type: 'network-traffic', dst_ref: '0', dst_port: 443, protocols: ['tcp'] };
      break;
    case 1:
      objects['0'] = { type: 'domain-name', value: domain(k) };
      break;
    case 2:
      objects['0'] = { type: 'file', name: `file${k}.exe`, size: k, hashes: { MD5: md5(k) } };
      break;
    default:
      objects['0'] = { type: 'url', value: url(k) };
      objects['1'] = { type: 'ipv4-addr', value: ip(k) };
  }
  // through JSON, as observations arrive in practice (flat strings, plain objects)
  return JSON.parse(
    JSON.stringify({
      id: `observed-data--${i}`,
      firstObserved: t,
      lastObserved: t,
      numberObserved: 1,
      objects,
    }),
  ) as Observation;
}

/** A mix of indicator patterns: mostly equality on observables, some LIKE/MATCHES, some multi-observation. */
export function indicator(j: number, r: () => number, keySpace: number): IndicatorInput {
  const k = Math.floor(r() * keySpace);
  const roll = r();
  let pattern: string;
  if (roll < 0.35) pattern = `[ipv4-addr:value = '${ip(k)}']`;
  else if (roll < 0.55) pattern = `[domain-name:value = '${domain(k)}']`;
  else if (roll < 0.7) pattern = `[file:hashes.MD5 = '${md5(k)}']`;
  else if (roll < 0.8) pattern = `[url:value = '${url(k)}']`;
  else if (roll < 0.85)
    pattern = `[domain-name:value LIKE '%.example${k % 97}.com' AND domain-name:value LIKE 'host${k}.%']`;
  else if (roll < 0.88)
    pattern = `[url:value MATCHES '^https://site${k % 5000}\\\\.example\\\\.net/path/${k}/']`;
  else if (roll < 0.93)
    pattern = `[ipv4-addr:value = '${ip(k)}'] FOLLOWEDBY [domain-name:value = '${domain(k + 1)}'] WITHIN 600 SECONDS`;
  else if (roll < 0.96) pattern = `[file:name = 'file${k}.exe' AND file:size >= ${k}]`;
  else if (roll < 0.98) pattern = `[ipv4-addr:value IN ('${ip(k)}', '${ip(k + 1)}', '${ip(k + 2)}')]`;
  else
    pattern = `[network-traffic:dst_ref.value ISSUBSET '10.${k & 255}.${(k >> 8) & 255}.0/24' AND network-traffic:dst_port = 443]`;
  return { id: `indicator--${j}`, pattern };
}
