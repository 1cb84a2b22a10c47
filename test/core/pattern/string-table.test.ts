import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StringTable } from '../../../src/core/pattern/string-table.js';

// small alphabets so that hits, near misses, upper case and non-ASCII case mappings all occur
const text = fc.string({
  unit: fc.constantFrom('a', 'b', 'A', 'B', '1', '-', 'é', 'É', 'İ', 'ß', '\u{1F600}'),
  maxLength: 6,
});

describe('string table for equality anchors', () => {
  it('gives exactly what a Map gives, for present and absent keys', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(text, fc.nat())), fc.array(text), (entries, probes) => {
        const map = new Map(entries);
        const table = new StringTable(entries);
        expect(table.size).toBe(map.size);
        for (const k of [...map.keys(), ...probes]) expect(table.get(k)).toBe(map.get(k));
      }),
      { numRuns: 500 },
    );
  });

  it('getLowerCase(v) is get(v.toLowerCase()), ASCII or not', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(text, fc.nat())), fc.array(text), (entries, probes) => {
        const lowered = entries.map(([k, v]) => [k.toLowerCase(), v] as const);
        const map = new Map(lowered);
        const table = new StringTable(lowered);
        for (const k of [...entries.map(([key]) => key), ...probes]) {
          expect(table.getLowerCase(k)).toBe(map.get(k.toLowerCase()));
          expect(table.getLowerCase(k.toUpperCase())).toBe(map.get(k.toUpperCase().toLowerCase()));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('finds every key among many (table growth, collisions, filter)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${i % 7}`);
    const table = new StringTable(keys.map((k, i) => [k, i] as const));
    keys.forEach((k, i) => expect(table.get(k)).toBe(i));
    expect(table.get('10.0.0.999')).toBeUndefined();
    expect(table.getLowerCase('ABC')).toBeUndefined();
  });
});
