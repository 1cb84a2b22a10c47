import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSources } from '../../src/detect/sources.js';
import { scanParallel } from '../../src/detect/parallel.js';
import { scanSources } from '../../src/detect/scan.js';
import { generateLogs, type GroundTruth } from '../../src/detect/synthetic/generate.js';
import { campaignIndicators, syntheticIndicators } from '../../src/detect/synthetic/indicators.js';
import type { ScanResult } from '../../src/detect/types.js';
import { tempDir } from './helpers.js';

const FALLBACK = '2021-03-05T00:00:00.000Z';
const key = (file: string, line: number, detector: string): string => `${file}|${line}|${detector}`;

function expectedFindings(root: string, truth: GroundTruth): Set<string> {
  return new Set(truth.traces.flatMap((t) => t.detectors.map((d) => key(`${root}/${t.file}`, t.line, d))));
}
const actualFindings = (r: ScanResult): Set<string> =>
  new Set(r.findings.map((f) => key(f.file, f.line, f.detector)));

describe('detection on synthetic logs with planted ProxyLogon traces', () => {
  const seeds = [2021, 7, 99, 1234, 31337];
  const runs: { root: string; truth: GroundTruth; cleanup: () => void }[] = [];

  beforeAll(async () => {
    for (const seed of seeds) {
      const { dir, cleanup } = tempDir(`detect-${seed}`);
      const truth = await generateLogs(dir, { targetBytes: 1_500_000, seed, copies: 3 });
      runs.push({ root: dir, truth, cleanup });
    }
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  it('plants traces for every detector (so recall below means something)', () => {
    const detectors = new Set(runs[0]!.truth.traces.flatMap((t) => t.detectors));
    expect([...detectors].sort()).toEqual(
      [
        'cve-2021-26855-httpproxy',
        'cve-2021-26855-probe',
        'cve-2021-26857-eventlog',
        'cve-2021-26858-oabgen',
        'cve-2021-27065-ecp',
        'cve-2021-27065-httpproxy-ecp',
        'iis-backend-t-query',
        'iis-random-script',
        'iis-ssrf-cookie',
        'iis-static-post',
        'iis-webshell-request',
        'post-exploitation-file',
        'webshell-path',
      ].sort(),
    );
  });

  it('finds every planted trace (recall 100 %) and nothing else (no false positive), for several seeds', async () => {
    for (const run of runs) {
      const { sources } = await collectSources([run.root]);
      const result = await scanSources(sources, { fallbackTime: FALLBACK });
      const expected = expectedFindings(run.root, run.truth);
      const actual = actualFindings(result);
      expect([...expected].filter((e) => !actual.has(e))).toEqual([]);
      expect([...actual].filter((a) => !expected.has(a))).toEqual([]);
      expect(result.skipped).toEqual([]);
    }
  });

  it('every finding carries file, line, time and why it fired; network findings carry the client address', async () => {
    const run = runs[0]!;
    const { sources } = await collectSources([run.root]);
    const result = await scanSources(sources, { fallbackTime: FALLBACK });
    for (const f of result.findings) {
      expect(f.file.startsWith(run.root)).toBe(true);
      expect(f.line).toBeGreaterThan(0);
      expect(f.reason.length).toBeGreaterThan(10);
      expect(f.evidence.length).toBeGreaterThan(0);
      if (f.detector !== 'webshell-path' && f.detector !== 'post-exploitation-file') {
        expect(f.time).toMatch(/^2021-03-03T/);
      }
      if (f.detector.startsWith('iis-') || f.detector.startsWith('cve-2021-26855')) {
        expect(f.clientIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      }
    }
  });

  it('gives the same findings on two worker threads as on one', async () => {
    const run = runs[1]!;
    const { sources } = await collectSources([run.root]);
    const one = await scanSources(sources, { fallbackTime: FALLBACK });
    const two = await scanParallel(sources, { indicators: [], threads: 2, fallbackTime: FALLBACK });
    expect(actualFindings(two.result)).toEqual(actualFindings(one));
    expect(two.result.stats.records).toBe(one.stats.records);
    expect(two.result.stats.bytes).toBe(run.truth.bytes);
  });

  it('reports zero findings and zero indicator hits on benign-only logs', async () => {
    for (const seed of [1, 2, 3]) {
      const { dir, cleanup } = tempDir(`benign-${seed}`);
      try {
        await generateLogs(dir, { targetBytes: 1_500_000, seed, attacks: false });
        const { sources } = await collectSources([dir]);
        // The campaign's own observables plus random filler: none of them appears in benign traffic.
        const attackTruth = runs[0]!.truth.traces.flatMap((t) => t.observables);
        const indicators = [...campaignIndicators(attackTruth), ...syntheticIndicators(2000, seed)];
        const { result, rejected } = await scanParallel(sources, {
          indicators,
          threads: 1,
          fallbackTime: FALLBACK,
        });
        expect(rejected).toEqual([]);
        expect(result.findings).toEqual([]);
        expect([...result.hits.keys()]).toEqual([]);
        expect(result.stats.records).toBeGreaterThan(3000);
      } finally {
        cleanup();
      }
    }
  });
});
