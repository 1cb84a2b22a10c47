import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateObject } from '../../src/core/stix/index.js';
import { indicatorsFromJson } from '../../src/detect/indicators.js';
import { scanParallel } from '../../src/detect/parallel.js';
import { buildSightings, identifyScos } from '../../src/detect/sightings.js';
import { collectSources } from '../../src/detect/sources.js';
import { generateLogs, type GroundTruth } from '../../src/detect/synthetic/generate.js';
import {
  campaignIndicators,
  indicatorBundle,
  syntheticIndicators,
} from '../../src/detect/synthetic/indicators.js';
import type { ScanResult } from '../../src/detect/types.js';
import { tempDir } from './helpers.js';

const IDENTITY = 'identity--6f7c4a1e-2b3d-4c5e-8f90-a1b2c3d4e5f6';
const NOW = '2021-03-10T12:00:00.000Z';
let counter = 0;
const newId = (type: string): string =>
  `${type}--00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;

describe('indicator matching and STIX sightings', () => {
  let root: { dir: string; cleanup: () => void };
  let truth: GroundTruth;
  let planted: ReturnType<typeof campaignIndicators>;
  let result: ScanResult;

  beforeAll(async () => {
    root = tempDir('indicators');
    truth = await generateLogs(root.dir, { targetBytes: 1_000_000, seed: 5, copies: 2 });
    planted = campaignIndicators(truth.traces.flatMap((t) => t.observables));
    // Round-trip through a bundle, as `entente scan --indicators FILE` reads them.
    const loaded = indicatorsFromJson(
      JSON.parse(JSON.stringify(indicatorBundle([...planted, ...syntheticIndicators(3000, 5)]))),
    );
    const { sources } = await collectSources([root.dir]);
    const scanned = await scanParallel(sources, {
      indicators: loaded.indicators,
      threads: 2,
      fallbackTime: NOW,
    });
    expect(scanned.rejected).toEqual([]);
    result = scanned.result;
  });
  afterAll(() => root.cleanup());

  it('plants addresses, user agents, file paths and hashes', () => {
    const kinds = new Set(planted.map((p) => p.observable!.split(':')[0]));
    expect([...kinds].sort()).toEqual(['file', 'ipv4-addr', 'sha256', 'user-agent']);
  });

  it('sights every planted indicator exactly as often as the ground truth says', () => {
    for (const p of planted) {
      const want = truth.traces.filter((t) => t.observables.includes(p.observable!)).length;
      expect({ observable: p.observable, count: result.hits.get(p.id)?.count ?? 0 }).toEqual({
        observable: p.observable,
        count: want,
      });
    }
  });

  it('sights nothing else (the filler indicators never match)', () => {
    const plantedIds = new Set(planted.map((p) => p.id));
    const campaignFiller = [...result.hits.keys()].filter((id) => !plantedIds.has(id));
    // syntheticIndicators() starts with the campaign's IPs/user agents/hashes under other ids; those may hit,
    // random filler may not.
    const filler = syntheticIndicators(3000, 5);
    const randomIds = new Set(filler.slice(20).map((f) => f.id));
    expect(campaignFiller.filter((id) => randomIds.has(id))).toEqual([]);
  });

  it('one sighting per sighted indicator, valid STIX 2.1, counting lines, with first/last seen', () => {
    const objects = buildSightings(result.hits.values(), { identityId: IDENTITY, newId, now: NOW });
    expect(objects.length).toBe(result.hits.size);
    for (const s of objects) {
      expect(validateObject(s).filter((p) => p.severity === 'error')).toEqual([]);
      expect(s.type).toBe('sighting');
      expect(s['spec_version']).toBe('2.1');
      expect(s.id).toMatch(/^sighting--[0-9a-f-]{36}$/);
      expect(s['created']).toBe(NOW);
      expect(s['where_sighted_refs']).toEqual([IDENTITY]);
      expect(s['observed_data_refs']).toBeUndefined();
      const hit = result.hits.get(s['sighting_of_ref'] as string)!;
      expect(s['count']).toBe(hit.count);
      expect((s['first_seen'] as string) <= (s['last_seen'] as string)).toBe(true);
      // Log lines carry their own time; listing entries have none and are seen at scan time.
      expect(s['first_seen']).toMatch(/^2021-03-03T|^2021-03-10T12:00:00.000Z$/);
    }
  });

  it('adds observed-data with the matching SCOs only when asked, and all of it validates', () => {
    const objects = buildSightings(result.hits.values(), {
      identityId: IDENTITY,
      newId,
      now: NOW,
      includeObservedData: true,
    });
    const byId = new Map(objects.map((o) => [o.id, o]));
    const sightings = objects.filter((o) => o.type === 'sighting');
    expect(sightings.length).toBe(result.hits.size);
    for (const o of objects) expect(validateObject(o).filter((p) => p.severity === 'error')).toEqual([]);
    for (const s of sightings) {
      const refs = s['observed_data_refs'] as string[];
      expect(refs).toHaveLength(1);
      const od = byId.get(refs[0]!)!;
      expect(od.type).toBe('observed-data');
      for (const ref of od['object_refs'] as string[]) expect(byId.has(ref)).toBe(true);
    }
  });

  it('gives SCOs deterministic ids and rewrites local references to them', () => {
    const scos = identifyScos({
      '0': { type: 'directory', path: 'C:\\inetpub\\wwwroot\\aspnet_client' },
      '1': { type: 'file', name: 'shell.aspx', parent_directory_ref: '0' },
    });
    const again = identifyScos({
      a: { type: 'directory', path: 'C:\\inetpub\\wwwroot\\aspnet_client' },
      b: { type: 'file', name: 'shell.aspx', parent_directory_ref: 'a' },
    });
    expect(scos.map((s) => s.id)).toEqual(again.map((s) => s.id));
    expect(scos[1]!['parent_directory_ref']).toBe(scos[0]!.id);
  });

  it('reads indicators from a bundle, skipping revoked and non-STIX ones and keeping the newest version', () => {
    const base = {
      type: 'indicator',
      spec_version: '2.1',
      created: NOW,
      valid_from: NOW,
      pattern_type: 'stix',
    };
    const loaded = indicatorsFromJson({
      type: 'bundle',
      id: 'bundle--1e0b5e0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b',
      objects: [
        { ...base, id: 'indicator--a', modified: NOW, pattern: "[ipv4-addr:value = '1.1.1.1']" },
        {
          ...base,
          id: 'indicator--a',
          modified: '2021-04-01T00:00:00.000Z',
          pattern: "[ipv4-addr:value = '2.2.2.2']",
        },
        { ...base, id: 'indicator--b', modified: NOW, pattern: 'rule x {}', pattern_type: 'yara' },
        {
          ...base,
          id: 'indicator--c',
          modified: NOW,
          pattern: "[ipv4-addr:value = '3.3.3.3']",
          revoked: true,
        },
        { type: 'malware', id: 'malware--d' },
      ],
    });
    expect(loaded.indicators).toEqual([{ id: 'indicator--a', pattern: "[ipv4-addr:value = '2.2.2.2']" }]);
    expect(loaded.ignored.map((i) => i.id).sort()).toEqual(['indicator--b', 'indicator--c']);
    expect(() => indicatorsFromJson({ hello: 1 })).toThrow(/expected a STIX bundle/);
  });
});
