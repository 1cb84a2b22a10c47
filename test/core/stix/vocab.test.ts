import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as V from '../../../src/core/stix/vocab.js';

const SCHEMAS = join(import.meta.dirname, '../../../../shared/data/stix2-json-schemas/schemas');

function schemaEnums(): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if (k === 'enum' && Array.isArray(v) && v.every((s) => typeof s === 'string'))
          out.push([...v].sort().join('|'));
        walk(v);
      }
    }
  };
  for (const d of readdirSync(SCHEMAS)) {
    for (const f of readdirSync(join(SCHEMAS, d)))
      walk(JSON.parse(readFileSync(join(SCHEMAS, d, f), 'utf8')));
  }
  return out;
}

describe('vocabularies agree with the OASIS JSON schemas', () => {
  const enums = new Set(schemaEnums());
  const vocabs = Object.values(V).filter(
    (x): x is V.Vocab => typeof x === 'object' && x !== null && 'values' in x,
  );
  // Where the schemas' copy differs from the spec's text the spec wins: account-type-ov (the schema spells
  // "windows local" with a space), infrastructure-type-ov (schema predates control-system, firewall, …),
  // industry-sector-ov, region-ov and report-type-ov (schema lists differ from §10), and hash-algorithm-ov
  // (the schema uses key patterns, not an enum). tlp-level is §7.2.1.4 prose only.
  const SPEC_WINS = new Set([
    'account-type-ov',
    'infrastructure-type-ov',
    'industry-sector-ov',
    'region-ov',
    'report-type-ov',
    'hash-algorithm-ov',
    'tlp-level',
  ]);
  it.each(vocabs.filter((v) => !SPEC_WINS.has(v.name)).map((v) => [v.name, v] as const))('%s', (_n, v) => {
    expect(enums.has([...v.values].sort().join('|'))).toBe(true);
  });
  it('every closed enumeration is checked against the schemas', () => {
    const closed = vocabs.filter((v) => !v.open && v.name !== 'tlp-level');
    expect(closed.length).toBeGreaterThanOrEqual(10);
    for (const v of closed) expect(SPEC_WINS.has(v.name), v.name).toBe(false);
  });
});
