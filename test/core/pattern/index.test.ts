import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildIndicatorIndex,
  checkPattern,
  matchPattern,
  parsePattern,
  printPattern,
} from '../../../src/core/pattern/index.js';
import type { IndicatorInput, Observation } from '../../../src/core/pattern/index.js';
import { observations as observationsArb, patternAst } from './arbitraries.js';

/** What evaluating every accepted pattern one by one gives. */
function bruteForce(inputs: readonly IndicatorInput[], list: readonly Observation[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { id, pattern } of inputs) {
    const r = checkPattern(pattern);
    if (!r.ok) continue;
    const m = matchPattern(parsePattern(pattern), list);
    if (m.matched) out.set(id, m.observations);
  }
  return out;
}

const at = (s: number): string => new Date(Date.UTC(2020, 0, 1) + s * 1000).toISOString();
const o = (s: number, objects: Record<string, Record<string, unknown>>): Observation => ({
  firstObserved: at(s),
  lastObserved: at(s),
  numberObserved: 1,
  objects,
});

describe('indicator index', () => {
  const indicators: IndicatorInput[] = [
    { id: 'ip', pattern: "[ipv4-addr:value = '198.51.100.1']" },
    { id: 'domain', pattern: "[domain-name:value IN ('evil.example', 'bad.example')]" },
    {
      id: 'hash',
      pattern: "[file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']",
    },
    { id: 'like', pattern: "[url:value LIKE 'http://%/owa/auth/%.aspx']" },
    {
      id: 'regex',
      pattern: "[user-agent:value MATCHES '(?i)python-requests'] OR [url:value MATCHES 'cmd=[a-z]+']",
    },
    { id: 'net', pattern: "[ipv4-addr:value ISSUBSET '203.0.113.0/24']" },
    { id: 'port', pattern: '[network-traffic:dst_port = 4444]' },
    {
      id: 'seq',
      pattern:
        "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'evil.example'] WITHIN 60 SECONDS",
    },
    { id: 'neg', pattern: "[email-addr:value NOT LIKE '%@example.com']" },
    { id: 'bad', pattern: '[file:name = ]' },
    { id: 'ip', pattern: "[ipv4-addr:value = '1.1.1.1']" },
  ];
  const list = [
    o(0, { a: { type: 'ipv4-addr', value: '198.51.100.1' } }),
    o(10, { a: { type: 'domain-name', value: 'evil.example' } }),
    o(20, {
      a: {
        type: 'file',
        hashes: { 'SHA-256': 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' },
      },
    }),
    o(30, { a: { type: 'url', value: 'http://mail.example/owa/auth/x.aspx' } }),
    o(40, { a: { type: 'user-agent', value: 'Python-Requests/2.31' } }),
    o(50, {
      a: { type: 'ipv4-addr', value: '203.0.113.77' },
      b: { type: 'network-traffic', dst_ref: 'a', dst_port: 4444 },
    }),
    o(60, { a: { type: 'email-addr', value: 'x@evil.example' } }),
    o(70, { a: { type: 'url', value: 'http://h/x?cmd=whoami' } }),
  ];

  it('rejects invalid patterns and duplicate ids, with the reason', () => {
    const { index, rejected } = buildIndicatorIndex(indicators);
    expect(index.size).toBe(9);
    expect(rejected).toEqual([
      { id: 'bad', error: expect.stringMatching(/expected a constant.*1:14/) },
      { id: 'ip', error: 'duplicate indicator id' },
    ]);
  });

  it('finds what evaluating every pattern finds', () => {
    const { index } = buildIndicatorIndex(indicators);
    const got = index.matchObservations(list);
    expect(got).toEqual(bruteForce(indicators.slice(0, 10), list));
    expect(new Set(got.keys())).toEqual(
      new Set(['ip', 'domain', 'hash', 'like', 'regex', 'net', 'port', 'seq', 'neg']),
    );
    expect(got.get('seq')).toEqual([0, 1]);
  });

  it('looks for LIKE and MATCHES literals in NFC, as the matcher compares', () => {
    // U+212A KELVIN SIGN is K in NFC; é as e + U+0301 is U+00E9.
    const inputs = [
      { id: 'kelvin', pattern: "[file:name LIKE '%Kelvin%']" },
      { id: 'cafe', pattern: "[file:name MATCHES 'caf\u00e9s']" },
    ];
    const seen = [
      o(0, { f: { type: 'file', name: 'the \u212Aelvin scale' } }),
      o(1, { f: { type: 'file', name: 'cafe\u0301s' } }),
    ];
    const { index } = buildIndicatorIndex(inputs);
    expect(index.matchObservations(seen)).toEqual(bruteForce(inputs, seen));
    expect(index.matchObservations(seen)).toEqual(
      new Map([
        ['kelvin', [0]],
        ['cafe', [1]],
      ]),
    );
  });

  it('matches a single observation on its own', () => {
    const { index } = buildIndicatorIndex(indicators);
    expect(index.matchObservation(list[5]!).sort()).toEqual(['net', 'port']);
    expect(index.matchObservation(list[0]!)).toEqual(['ip']);
    expect(index.matchObservation(o(0, { a: { type: 'ipv4-addr', value: '8.8.8.8' } }))).toEqual([]);
  });

  it('an indicator that exceeds the evaluation budget is reported, not fatal to the batch', () => {
    const { index } = buildIndicatorIndex([
      {
        id: 'heavy',
        pattern: "([ipv4-addr:value = '1.1.1.1'] REPEATS 30 TIMES) FOLLOWEDBY [ipv4-addr:value = '2.2.2.2']",
      },
      { id: 'light', pattern: "[ipv4-addr:value = '1.1.1.1']" },
    ]);
    const many = Array.from({ length: 60 }, (_, i) => o(i, { a: { type: 'ipv4-addr', value: '1.1.1.1' } }));
    const got = index.matchObservations(many);
    expect(index.overBudget).toEqual(['heavy']);
    expect(got.get('light')).toHaveLength(60);
  });

  it('gives exactly what evaluating every pattern gives, on random sets', () => {
    fc.assert(
      fc.property(fc.array(patternAst(2), { minLength: 1, maxLength: 12 }), observationsArb, (asts, list) => {
        const inputs = asts.map((ast, i) => ({ id: `i${i}`, pattern: printPattern(ast) }));
        const { index } = buildIndicatorIndex(inputs);
        expect(index.matchObservations(list)).toEqual(bruteForce(inputs, list));
        for (const single of list) {
          const want = [...bruteForce(inputs, [single]).keys()];
          expect(index.matchObservation(single).sort()).toEqual(want.sort());
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('Aho–Corasick pre-filter', () => {
  it('reports every literal occurring in the text, overlapping ones included', async () => {
    const { AhoCorasick } = await import('../../../src/core/pattern/aho-corasick.js');
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 30 }),
        (literals, text) => {
          const want = new Set(literals.flatMap((l, i) => (text.includes(l) ? [i] : [])));
          // the dense DFA (default) and the sparse trie used when the table would be too large
          for (const maxDense of [undefined, 0]) {
            const ac = new AhoCorasick<number>(maxDense);
            literals.forEach((l, i) => ac.add(l, i));
            ac.build();
            expect(ac.dense).toBe(maxDense === undefined);
            const found = new Set<number>();
            ac.scan(text, (i) => found.add(i));
            expect(found).toEqual(want);
            const sink: number[] = [];
            ac.scanInto(text, sink);
            expect(new Set(sink)).toEqual(want);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
