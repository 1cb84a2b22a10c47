import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EntenteError } from '../../../src/core/errors.js';
import {
  checkPattern,
  matchPattern,
  observationFromObservedData,
  parsePattern,
  printPattern,
} from '../../../src/core/pattern/index.js';
import type { Observation } from '../../../src/core/pattern/index.js';
import { observations as observationsArb, smallPatternAst } from './arbitraries.js';
import { refMatch } from './reference.js';

const T0 = Date.UTC(2020, 0, 1);
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

/** One observation at `seconds` (lasting `lasting` seconds) holding `objects`. */
function obs(
  seconds: number,
  objects: Record<string, Record<string, unknown>>,
  opts: { lasting?: number; count?: number } = {},
): Observation {
  return {
    firstObserved: at(seconds),
    lastObserved: at(seconds + (opts.lasting ?? 0)),
    numberObserved: opts.count ?? 1,
    objects,
  };
}

const match = (pattern: string, list: readonly Observation[]): number[] | false => {
  const r = matchPattern(parsePattern(pattern), list);
  return r.matched ? r.observations : false;
};

const file = obs(0, {
  f: {
    type: 'file',
    name: 'report.exe',
    size: 1024,
    hashes: { 'SHA-256': 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F', MD5: 'abc' },
    tags: ['one', 'two', 'three'],
    mtime: '2016-06-15T10:00:00.5Z',
    magic_number_hex: 'ffd8ffe0',
    parent_directory_ref: 'd',
    extensions: { 'windows-pebinary-ext': { sections: [{ entropy: 7.5 }, { entropy: 2 }] } },
  },
  d: { type: 'directory', path: 'C:\\Windows\\System32' },
  a: { type: 'artifact', payload_bin: Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]).toString('base64') },
});

describe('comparison operators', () => {
  it.each([
    ["[file:name = 'report.exe']", true],
    ["[file:name != 'report.exe']", false],
    ["[file:name != 'other.exe']", true],
    ["[file:name NOT = 'report.exe']", false],
    ['[file:size > 1000]', true],
    ['[file:size >= 1024]', true],
    ['[file:size < 1024]', false],
    ['[file:size <= 1024.0]', true],
    ['[file:size NOT < 1000]', true],
    ['[file:size IN (1, 1024)]', true],
    ["[file:name IN ('a', 'b')]", false],
    ["[file:name NOT IN ('a', 'b')]", true],
    ["[file:name LIKE 'rep%.exe']", true],
    ["[file:name LIKE 'report._xe']", true],
    ["[file:name LIKE 'Report%']", false],
    ["[file:name NOT LIKE 'x%']", true],
    ["[file:name MATCHES '^rep.*\\\\.exe$']", true],
    ["[file:name MATCHES '^exe']", false],
    ['[EXISTS file:size]', true],
    ['[EXISTS file:ctime]', false],
    ["[file:name > 'a']", true],
  ])('%s → %s', (pattern, expected) => {
    expect(match(pattern, [file]) !== false).toBe(expected);
  });

  it('a missing property satisfies neither the comparison nor its negation', () => {
    for (const p of [
      "[file:mime_type = 'x']",
      "[file:mime_type != 'x']",
      "[file:mime_type NOT = 'x']",
      "[file:mime_type NOT IN ('x')]",
      "[file:mime_type NOT LIKE 'x%']",
      "[file:mime_type NOT MATCHES 'x']",
      '[file:x_count NOT > 5]',
    ]) {
      expect(match(p, [file])).toBe(false);
    }
  });

  it('a comparison with a value of another type is false, and NOT makes it true (§9.6.1)', () => {
    expect(match("[file:size = '1024']", [file])).toBe(false);
    expect(match("[file:size != '1024']", [file])).toEqual([0]);
    expect(match("[file:size > 'a']", [file])).toBe(false);
    expect(match("[file:size NOT > 'a']", [file])).toEqual([0]);
    expect(match("[file:size LIKE '10%']", [file])).toBe(false);
    expect(match("[file:size NOT LIKE '10%']", [file])).toEqual([0]);
    expect(match("[file:size NOT MATCHES '^1']", [file])).toEqual([0]);
    expect(match("[file:size NOT ISSUBSET '10.0.0.0/8']", [file])).toEqual([0]);
    expect(match("[file:name NOT ISSUBSET '10.0.0.0/8']", [file])).toEqual([0]);
    // A property that is not there satisfies nothing, negated or not.
    expect(match("[file:ctime NOT LIKE 'x%']", [file])).toBe(false);
  });

  it('hash dictionary keys match regardless of spelling, hash values regardless of case', () => {
    expect(
      match("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", [
        file,
      ]),
    ).toEqual([0]);
    expect(
      match("[file:hashes.SHA256 = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']", [
        file,
      ]),
    ).toEqual([0]);
    expect(match("[file:hashes.md5 IN ('ABC')]", [file])).toEqual([0]);
    expect(match("[file:hashes.'SHA-1' = 'abc']", [file])).toBe(false);
  });

  it('list indexes: [*] is any element, [n] one element, an index outside the list nothing (§9.7.2)', () => {
    expect(match("[file:tags[*] = 'two']", [file])).toEqual([0]);
    expect(match("[file:tags[0] = 'two']", [file])).toBe(false);
    expect(match("[file:tags[1] = 'two']", [file])).toEqual([0]);
    expect(match("[file:tags[-1] = 'three']", [file])).toBe(false);
    expect(match("[file:tags[5] = 'three']", [file])).toBe(false);
    expect(match("[file:tags[*] NOT = 'one']", [file])).toEqual([0]);
    expect(match("[file:tags = 'one']", [file])).toBe(false);
  });

  it('the comparisons joined by AND inside […] hold for one and the same object (§9.5)', () => {
    const people = obs(0, {
      a: { type: 'person', name: 'alice', age: 10 },
      b: { type: 'person', name: 'bob', age: 15 },
    });
    expect(match("[person:name = 'alice' AND person:age > 10]", [people])).toBe(false);
    expect(match("[person:name = 'bob' AND person:age > 10]", [people])).toEqual([0]);
    expect(match("[person:name = 'alice' OR person:age > 10]", [people])).toEqual([0]);
    expect(match("[(person:name = 'alice' OR person:name = 'bob') AND person:age > 12]", [people])).toEqual([
      0,
    ]);
    // One object has one type: an AND across types never holds; an OR across types does.
    expect(match("[person:name = 'bob' AND file:name = 'report.exe']", [people, file])).toBe(false);
    expect(match("[person:name = 'bob' OR file:name = 'report.exe']", [people, file])).toEqual([0, 1]);
  });

  it('LIKE and MATCHES compare in Unicode NFC; in MATCHES "." matches a line break (§9.6.1)', () => {
    const text = obs(0, { t: { type: 'x-note', body: 'cafe\u0301\nmenu' } });
    expect(match("[x-note:body LIKE 'caf\u00e9%']", [text])).toEqual([0]);
    expect(match("[x-note:body MATCHES '^caf\u00e9.menu$']", [text])).toEqual([0]);
    expect(match("[x-note:body MATCHES '^cafe.menu$']", [text])).toBe(false);
  });

  it('binary properties compare as octets, with string constants converted code point by code point (§9.6.3)', () => {
    const art = obs(0, {
      a: { type: 'artifact', payload_bin: Buffer.from('this is a test').toString('base64') },
    });
    expect(match("[artifact:payload_bin = 'this is a test']", [art])).toEqual([0]);
    expect(
      match(`[artifact:payload_bin = '${Buffer.from('this is a test').toString('base64')}']`, [art]),
    ).toBe(false);
    expect(match("[artifact:payload_bin LIKE '%is a%']", [art])).toEqual([0]);
    expect(match("[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", [art])).toEqual([0]);
    const hex = obs(0, {
      t: { type: 'x-test', name_hex: Buffer.from('alice').toString('hex'), name: 'alicf' },
    });
    expect(match("[x-test:name_hex > 'aardvark']", [hex])).toEqual([0]);
    expect(match("[x-test:name_hex MATCHES '^al.ce$']", [hex])).toEqual([0]);
    // A constant beyond U+00FF cannot become octets: false, and true for !=.
    expect(match("[x-test:name_hex = '\u0103lice']", [hex])).toBe(false);
    expect(match("[x-test:name_hex != '\u0103lice']", [hex])).toEqual([0]);
    // A plain string against h'…' / b'…': its code points as octets.
    expect(match("[x-test:name > h'616c696365']", [hex])).toEqual([0]);
    const wide = obs(0, { t: { type: 'x-test', name: '\u0103lice' } });
    expect(match("[x-test:name > h'616c696365']", [wide])).toBe(false);
  });

  it('extensions and nested lists resolve', () => {
    expect(match("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", [file])).toEqual([0]);
    expect(match("[file:extensions.'windows-pebinary-ext'.sections[1].entropy > 7.0]", [file])).toBe(false);
  });

  it('_ref properties are followed to the referenced object', () => {
    expect(match("[file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']", [file])).toEqual([0]);
    expect(match("[file:parent_directory_ref.path = 'C:\\\\Windows']", [file])).toBe(false);
  });

  it('_refs lists are followed element by element', () => {
    const o = obs(0, {
      '0': { type: 'domain-name', value: 'example.com', resolves_to_refs: ['1', '2'] },
      '1': { type: 'ipv4-addr', value: '198.51.100.1' },
      '2': { type: 'ipv4-addr', value: '203.0.113.5' },
    });
    expect(match("[domain-name:resolves_to_refs[*].value = '203.0.113.5']", [o])).toEqual([0]);
    expect(match("[domain-name:resolves_to_refs[0].value = '203.0.113.5']", [o])).toBe(false);
    expect(match("[domain-name:resolves_to_refs[*].value ISSUBSET '198.51.100.0/24']", [o])).toEqual([0]);
  });

  it('ISSUBSET and ISSUPERSET for IPv4 and IPv6 networks', () => {
    const o = obs(0, {
      a: { type: 'ipv4-addr', value: '198.51.100.7' },
      n: { type: 'ipv4-addr', value: '10.1.0.0/16' },
      b: { type: 'ipv6-addr', value: '2001:db8:dead:beef::1' },
    });
    expect(match("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", [o])).toEqual([0]);
    expect(
      match("[ipv4-addr:value ISSUBSET '198.51.101.0/24' OR ipv4-addr:value ISSUBSET '10.1.2.0/24']", [o]),
    ).toBe(false);
    expect(match("[ipv4-addr:value ISSUPERSET '10.1.2.3']", [o])).toEqual([0]);
    expect(match("[ipv4-addr:value ISSUPERSET '10.2.0.0/24']", [o])).toBe(false);
    expect(match("[ipv6-addr:value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']", [o])).toEqual([
      0,
    ]);
    expect(match("[ipv6-addr:value ISSUBSET '2001:db8:dead:bee0::/64']", [o])).toBe(false);
    expect(match("[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']", [o])).toEqual([0]);
  });

  it('binary and hex constants compare bytes', () => {
    expect(match("[file:magic_number_hex = h'FFD8FFE0']", [file])).toEqual([0]);
    expect(match("[file:magic_number_hex > h'ff']", [file])).toEqual([0]);
    expect(match("[artifact:payload_bin = h'd4c3b2a1']", [file])).toEqual([0]);
    expect(
      match(`[artifact:payload_bin = b'${Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]).toString('base64')}']`, [
        file,
      ]),
    ).toEqual([0]);
    expect(match("[artifact:payload_bin MATCHES '^\\\\xd4\\\\xc3']", [file])).toEqual([0]);
    expect(match("[file:name = h'7265706f72742e657865']", [file])).toEqual([0]);
  });

  it('timestamp constants compare as instants', () => {
    expect(match("[file:mtime = t'2016-06-15T10:00:00.500Z']", [file])).toEqual([0]);
    expect(match("[file:mtime > t'2016-06-15T10:00:00Z']", [file])).toEqual([0]);
    expect(match("[file:mtime < t'2016-06-15T10:00:00Z']", [file])).toBe(false);
  });

  it('custom objects and properties are matched like any other', () => {
    const o = obs(0, { u: { type: 'x-usb-device', usbdrive: { serial_number: '5758' } } });
    expect(match("[x-usb-device:usbdrive.serial_number = '5758']", [o])).toEqual([0]);
  });

  it('AND/OR inside [ ] hold within one observation', () => {
    const a = obs(0, { x: { type: 'file', name: 'a' } });
    const b = obs(1, { x: { type: 'file', size: 5 } });
    expect(match("[file:name = 'a' AND file:size = 5]", [a, b])).toBe(false);
    expect(match("[file:name = 'a' OR file:size = 5]", [a, b])).toEqual([0, 1]);
  });

  it('does not resolve inherited properties', () => {
    const o = obs(0, { x: { type: 'file', name: 'a' } });
    expect(match('[EXISTS file:constructor]', [o])).toBe(false);
    expect(match("[file:x_ref.toString = 'a']", [o])).toBe(false);
  });
});

describe('observation operators and qualifiers', () => {
  const ip = (s: number, value: string, opts?: { lasting?: number; count?: number }): Observation =>
    obs(s, { i: { type: 'ipv4-addr', value } }, opts);

  it('each observation expression matches a different observation', () => {
    const one = [ip(0, '1.1.1.1')];
    expect(match("[ipv4-addr:value = '1.1.1.1'] AND [ipv4-addr:value = '1.1.1.1']", one)).toBe(false);
    expect(
      match("[ipv4-addr:value = '1.1.1.1'] AND [ipv4-addr:value = '1.1.1.1']", [...one, ip(5, '1.1.1.1')]),
    ).toEqual([0, 1]);
  });

  it('number_observed lets one observed-data stand for several observations', () => {
    expect(match("[ipv4-addr:value = '1.1.1.1'] REPEATS 3 TIMES", [ip(0, '1.1.1.1', { count: 3 })])).toEqual([
      0,
    ]);
    expect(match("[ipv4-addr:value = '1.1.1.1'] REPEATS 4 TIMES", [ip(0, '1.1.1.1', { count: 3 })])).toBe(
      false,
    );
  });

  it('OR across observations reports every observation that satisfies a side', () => {
    expect(
      match("[ipv4-addr:value = '1.1.1.1'] OR [ipv4-addr:value = '2.2.2.2']", [
        ip(0, '2.2.2.2'),
        ip(1, '3.3.3.3'),
        ip(2, '1.1.1.1'),
      ]),
    ).toEqual([0, 2]);
  });

  it('FOLLOWEDBY requires the left side to end before the right side begins', () => {
    const p = "[ipv4-addr:value = '1.1.1.1'] FOLLOWEDBY [ipv4-addr:value = '2.2.2.2']";
    expect(match(p, [ip(0, '1.1.1.1'), ip(10, '2.2.2.2')])).toEqual([0, 1]);
    expect(match(p, [ip(10, '1.1.1.1'), ip(0, '2.2.2.2')])).toBe(false);
    expect(match(p, [ip(0, '1.1.1.1', { lasting: 20 }), ip(10, '2.2.2.2')])).toBe(false);
    expect(match(p, [ip(5, '1.1.1.1'), ip(5, '2.2.2.2')])).toEqual([0, 1]);
  });

  it("WITHIN: some moment of each observation's span fits the window (§9.5.1, as the OASIS matcher decides)", () => {
    const p = "([ipv4-addr:value = '1.1.1.1'] AND [ipv4-addr:value = '2.2.2.2']) WITHIN 60 SECONDS";
    expect(match(p, [ip(0, '1.1.1.1'), ip(60, '2.2.2.2')])).toEqual([0, 1]);
    expect(match(p, [ip(0, '1.1.1.1'), ip(61, '2.2.2.2')])).toBe(false);
    expect(match(p, [ip(0, '1.1.1.1'), ip(100, '1.1.1.1'), ip(130, '2.2.2.2')])).toEqual([1, 2]);
    // 0–10 s and 65–70 s: the latest start is 55 s after the earliest end.
    expect(match(p, [ip(0, '1.1.1.1', { lasting: 10 }), ip(65, '2.2.2.2', { lasting: 5 })])).toEqual([0, 1]);
    expect(match(p, [ip(0, '1.1.1.1', { lasting: 3 }), ip(65, '2.2.2.2', { lasting: 5 })])).toBe(false);
    // One observation, however long, could have happened within any window.
    expect(
      match("[ipv4-addr:value = '1.1.1.1'] WITHIN 5 SECONDS", [ip(0, '1.1.1.1', { lasting: 10 })]),
    ).toEqual([0]);
  });

  it('REPEATS needs that many distinct observations', () => {
    const p = "[ipv4-addr:value = '1.1.1.1'] REPEATS 2 TIMES";
    expect(match(p, [ip(0, '1.1.1.1')])).toBe(false);
    expect(match(p, [ip(0, '1.1.1.1'), ip(1, '9.9.9.9'), ip(2, '1.1.1.1'), ip(3, '1.1.1.1')])).toEqual([
      0, 2, 3,
    ]);
    expect(match(`${p} WITHIN 1 SECONDS`, [ip(0, '1.1.1.1'), ip(2, '1.1.1.1'), ip(4, '1.1.1.1')])).toBe(
      false,
    );
  });

  it('START is inclusive and STOP exclusive', () => {
    const p = "[ipv4-addr:value = '1.1.1.1'] START t'2020-01-01T00:00:10Z' STOP t'2020-01-01T00:00:20Z'";
    expect(match(p, [ip(10, '1.1.1.1')])).toEqual([0]);
    expect(match(p, [ip(9, '1.1.1.1')])).toBe(false);
    expect(match(p, [ip(20, '1.1.1.1')])).toBe(false);
    expect(match(p, [ip(15, '1.1.1.1', { lasting: 10 })])).toBe(false);
  });

  it('a qualifier binds to the expression before it', () => {
    const list = [ip(0, '1.1.1.1'), ip(100, '2.2.2.2')];
    expect(
      match("[ipv4-addr:value = '1.1.1.1'] AND [ipv4-addr:value = '2.2.2.2'] WITHIN 5 SECONDS", list),
    ).toEqual([0, 1]);
    expect(
      match("([ipv4-addr:value = '1.1.1.1'] AND [ipv4-addr:value = '2.2.2.2']) WITHIN 5 SECONDS", list),
    ).toBe(false);
  });

  it('refuses patterns whose matches need more than 1,000 observations, instead of overflowing the stack', () => {
    const huge = Array.from({ length: 6000 }, () => "[ipv4-addr:value = '1.1.1.1']").join(' AND ');
    expect(() => matchPattern(parsePattern(huge), [ip(0, '1.1.1.1')])).toThrow(/needs 6000 observations/);
    const r = checkPattern("([ipv4-addr:value = '1.1.1.1'] REPEATS 1000 TIMES) REPEATS 2 TIMES");
    expect(r).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/needs 2000 observations/) },
    });
    const many = Array.from({ length: 1000 }, () => "[ipv4-addr:value = '1.1.1.1']").join(' AND ');
    expect(matchPattern(parsePattern(many), [ip(0, '1.1.1.1', { count: 1000 })]).matched).toBe(true);
  });

  it('WITHIN cuts the search as soon as a binding cannot fit, so it answers instead of giving up', () => {
    const people = Array.from({ length: 20 }, (_, i) => obs(i * 10, { p: { type: 'person', age: 10 } }));
    expect(match('[person:age < 20] REPEATS 10 TIMES WITHIN 8 SECONDS', people)).toBe(false);
    expect(match('[person:age < 20] REPEATS 10 TIMES WITHIN 90 SECONDS', people)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('gives up with TOO_LARGE rather than searching forever', () => {
    const many = Array.from({ length: 60 }, (_, i) => ip(i, '1.1.1.1'));
    const hard = `([ipv4-addr:value = '1.1.1.1'] REPEATS 30 TIMES) FOLLOWEDBY [ipv4-addr:value = '2.2.2.2']`;
    expect(() => matchPattern(parsePattern(hard), many)).toThrow(EntenteError);
    try {
      matchPattern(parsePattern(hard), many);
    } catch (err) {
      expect((err as EntenteError).code).toBe('TOO_LARGE');
    }
  });
});

describe('observed-data conversion', () => {
  const scos = {
    'ipv4-addr--1': { type: 'ipv4-addr', id: 'ipv4-addr--1', value: '198.51.100.3' },
    'ipv4-addr--2': { type: 'ipv4-addr', id: 'ipv4-addr--2', value: '203.0.113.9' },
    'network-traffic--1': {
      type: 'network-traffic',
      id: 'network-traffic--1',
      src_ref: 'ipv4-addr--1',
      dst_ref: 'ipv4-addr--2',
      dst_port: 443,
    },
  };
  const od = {
    type: 'observed-data',
    id: 'observed-data--1',
    first_observed: '2020-01-01T00:00:00Z',
    last_observed: '2020-01-01T00:00:05Z',
    number_observed: 2,
    object_refs: ['network-traffic--1'],
  };

  it('resolves object_refs and everything they reference', () => {
    const o = observationFromObservedData(od, new Map(Object.entries(scos)));
    expect(o).toMatchObject({ id: 'observed-data--1', numberObserved: 2 });
    expect(Object.keys(o.objects).sort()).toEqual(['ipv4-addr--1', 'ipv4-addr--2', 'network-traffic--1']);
    expect(
      match("[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]", [o]),
    ).toEqual([0]);
    expect(match("[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24'] REPEATS 2 TIMES", [o])).toEqual([
      0,
    ]);
  });

  it('accepts the 2.0 objects dictionary', () => {
    const legacy = {
      ...od,
      object_refs: undefined,
      objects: {
        '0': { type: 'ipv4-addr', value: '1.2.3.4' },
        '1': { type: 'network-traffic', dst_ref: '0' },
      },
    };
    expect(
      match("[network-traffic:dst_ref.value = '1.2.3.4']", [observationFromObservedData(legacy, {})]),
    ).toEqual([0]);
  });

  it('rejects missing timestamps, counts and references', () => {
    expect(() => observationFromObservedData({ ...od, first_observed: 'yesterday' }, scos)).toThrow(
      /first_observed/,
    );
    expect(() => observationFromObservedData({ ...od, number_observed: 0 }, scos)).toThrow(/number_observed/);
    expect(() => observationFromObservedData({ ...od, object_refs: ['file--9'] }, scos)).toThrow(/file--9/);
  });
});

describe('the matcher agrees with the reference evaluator', () => {
  it('on random patterns and observations', () => {
    fc.assert(
      fc.property(smallPatternAst, observationsArb, (ast, list) => {
        const got = matchPattern(ast, list);
        const want = refMatch(ast, list);
        expect({ pattern: printPattern(ast), ...got }).toEqual({ pattern: printPattern(ast), ...want });
      }),
      { numRuns: 1500 },
    );
  });
});
