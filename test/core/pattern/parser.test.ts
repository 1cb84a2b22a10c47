import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkPattern,
  MAX_NESTING_DEPTH,
  MAX_PATTERN_LENGTH,
  nodePosition,
  parsePattern,
  printPattern,
} from '../../../src/core/pattern/index.js';
import type { Comparison, ObservationNode, PatternAst } from '../../../src/core/pattern/index.js';
import { EntenteError } from '../../../src/core/errors.js';
import { patternAst } from './arbitraries.js';

/** Pattern examples from the STIX 2.1 specification (as pattern text, i.e. after JSON decoding). */
export const SPEC_EXAMPLES = [
  "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
  "[email-message:from_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']",
  "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']",
  "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
  "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
  "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
  "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
  "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']",
  "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
  "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
  "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
  "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
  "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388']",
  "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']",
  "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']",
  "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
  "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
  "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
  "([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
  "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
  "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
  "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
  "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
  "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32']",
  "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.1'] FOLLOWEDBY [file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']",
  "[domain-name:value = 'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS",
  "[file:size IN (1, 2, 3)] AND [file:name LIKE 'rep%.doc'] AND [file:name NOT MATCHES '^x']",
  "[user-account:is_privileged = true AND user-account:account_created >= t'2016-01-01T00:00:00.123Z']",
  "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
  "[ipv6-addr:value ISSUPERSET '2001:db8::1'] OR [mac-addr:value != 'd2:fb:49:24:37:18']",
  "[software:languages[0] = 'en' AND EXISTS software:vendor]",
];

const comparisonOf = (ast: PatternAst): Comparison =>
  (ast.expression as ObservationNode).comparison as Comparison;

describe('parser: the STIX 2.1 grammar', () => {
  it.each(SPEC_EXAMPLES)('parses the spec example %s and prints it back to the same tree', (text) => {
    const ast = parsePattern(text);
    expect(parsePattern(printPattern(ast))).toEqual(ast);
    expect(checkPattern(text).ok).toBe(true);
  });

  it('gives every comparison operator its own node', () => {
    const ops = ['=', '!=', '<', '<=', '>', '>='] as const;
    for (const op of ops) expect(comparisonOf(parsePattern(`[file:size ${op} 5]`)).operator).toBe(op);
    expect(comparisonOf(parsePattern(`[file:size IN (1, 2)]`)).operator).toBe('IN');
    expect(comparisonOf(parsePattern(`[file:name LIKE 'a%']`)).operator).toBe('LIKE');
    expect(comparisonOf(parsePattern(`[file:name MATCHES 'a']`)).operator).toBe('MATCHES');
    expect(comparisonOf(parsePattern(`[ipv4-addr:value ISSUBSET '10.0.0.0/8']`)).operator).toBe('ISSUBSET');
    expect(comparisonOf(parsePattern(`[ipv4-addr:value ISSUPERSET '10.0.0.1']`)).operator).toBe('ISSUPERSET');
    expect(parsePattern('[EXISTS file:name]').expression).toMatchObject({ comparison: { kind: 'exists' } });
  });

  it("skips the grammar's Unicode white space (no-break, ideographic, line separator …) between tokens", () => {
    for (const ws of ['\u00a0', '\u3000', '\u2028', '\u2009', '\u000b', '\u0085'])
      expect(comparisonOf(parsePattern(`[file:size${ws}=${ws}5]${ws}`)).operator, JSON.stringify(ws)).toBe(
        '=',
      );
    // Inside a string it stays part of the value.
    expect(comparisonOf(parsePattern("[file:name = 'a\u00a0b']")).value).toMatchObject({ value: 'a\u00a0b' });
  });

  it('accepts == and <> as spellings of = and !=', () => {
    expect(comparisonOf(parsePattern("[file:name == 'a']")).operator).toBe('=');
    expect(comparisonOf(parsePattern("[file:name <> 'a']")).operator).toBe('!=');
  });

  it('NOT sits between the object path and the operator', () => {
    const c = comparisonOf(parsePattern("[file:name NOT LIKE 'a%']"));
    expect(c).toMatchObject({ negated: true, operator: 'LIKE' });
    expect(checkPattern("[NOT file:name = 'a']").ok).toBe(false);
  });

  it('observation AND binds tighter than OR, and OR tighter than FOLLOWEDBY', () => {
    const ast = parsePattern('[a:b = 1] FOLLOWEDBY [a:b = 2] OR [a:b = 3] AND [a:b = 4]');
    expect(ast.expression.kind).toBe('followed-by');
    const fb = ast.expression as {
      operands: readonly { kind: string; operands?: readonly { kind: string }[] }[];
    };
    expect(fb.operands[1]?.kind).toBe('obs-or');
    expect(fb.operands[1]?.operands?.[1]?.kind).toBe('obs-and');
  });

  it('comparison AND binds tighter than OR; parentheses group', () => {
    const e = parsePattern('[a:b = 1 OR a:b = 2 AND a:c = 3]').expression as ObservationNode;
    expect(e.comparison.kind).toBe('or');
    const g = parsePattern('[(a:b = 1 OR a:b = 2) AND a:c = 3]').expression as ObservationNode;
    expect(g.comparison.kind).toBe('and');
  });

  it('qualifiers bind to the observation expression just before them', () => {
    const ast = parsePattern('[a:b = 1] AND [a:b = 2] WITHIN 5 SECONDS');
    expect(ast.expression.kind).toBe('obs-and');
    const grouped = parsePattern('([a:b = 1] AND [a:b = 2]) WITHIN 5 SECONDS');
    expect(grouped.expression).toMatchObject({
      kind: 'qualified',
      qualifier: { kind: 'within', seconds: 5 },
    });
    const chained = parsePattern('[a:b = 1] REPEATS 2 TIMES WITHIN 2.5 SECONDS');
    expect(chained.expression).toMatchObject({
      kind: 'qualified',
      qualifier: { kind: 'within', seconds: 2.5 },
      expression: { kind: 'qualified', qualifier: { kind: 'repeats', times: 2 } },
    });
  });

  it('object paths: quoted keys, list indexes, references, extensions', () => {
    const c = comparisonOf(
      parsePattern(
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND file:x[-1][2].y = 1]",
      ).expression.kind === 'observation'
        ? parsePattern("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]")
        : parsePattern('[a:b = 1]'),
    );
    expect(c.path.steps).toEqual([
      { kind: 'key', name: 'extensions' },
      { kind: 'key', name: 'windows-pebinary-ext' },
      { kind: 'key', name: 'sections' },
      { kind: 'index', index: '*' },
      { kind: 'key', name: 'entropy' },
    ]);
    const neg = comparisonOf(parsePattern('[file:x[-1][2].y = 1]'));
    expect(neg.path.steps).toEqual([
      { kind: 'key', name: 'x' },
      { kind: 'index', index: -1 },
      { kind: 'index', index: 2 },
      { kind: 'key', name: 'y' },
    ]);
    expect(comparisonOf(parsePattern("[file:'name' = 'a']")).path.steps).toEqual([
      { kind: 'key', name: 'name' },
    ]);
  });

  it('constants: strings with escapes, ints, floats, booleans, binary, hex, timestamps', () => {
    const lit = (text: string): unknown => comparisonOf(parsePattern(`[x-a:b = ${text}]`)).value;
    expect(lit("'it\\'s a \\\\ path'")).toEqual({ kind: 'string', value: "it's a \\ path" });
    expect(lit('-42')).toEqual({ kind: 'int', value: -42 });
    expect(lit('+7')).toEqual({ kind: 'int', value: 7 });
    expect(lit('-.5')).toEqual({ kind: 'float', value: -0.5 });
    expect(lit('3.25')).toEqual({ kind: 'float', value: 3.25 });
    expect(lit('true')).toEqual({ kind: 'bool', value: true });
    expect(lit("b'YWJj'")).toEqual({ kind: 'binary', value: 'YWJj' });
    expect(lit("h'AbCd'")).toEqual({ kind: 'hex', value: 'abcd' });
    expect(lit("t'2016-02-29T23:59:59.999Z'")).toEqual({
      kind: 'timestamp',
      value: '2016-02-29T23:59:59.999Z',
    });
  });

  it('the AST is frozen', () => {
    const ast = parsePattern("[file:name = 'a'] AND [file:size > 1]");
    expect(Object.isFrozen(ast)).toBe(true);
    expect(Object.isFrozen(ast.expression)).toBe(true);
    expect(Object.isFrozen(comparisonOf(parsePattern("[file:name = 'a']")).path.steps)).toBe(true);
  });

  it('records node positions on request', () => {
    const ast = parsePattern("[file:name = 'a'] AND\n  [file:size > 1]", { positions: true });
    const second = (ast.expression as { operands: readonly ObservationNode[] }).operands[1]!;
    expect(nodePosition(second)).toEqual({ line: 2, column: 3 });
    expect(nodePosition(second.comparison)).toEqual({ line: 2, column: 4 });
  });
});

describe('parser: invalid patterns get one clear error with its position', () => {
  const cases: [string, number, number, RegExp][] = [
    ["[file:name = 'a'", 1, 17, /expected '\]'/],
    ['[file:name = ]', 1, 14, /expected a constant/],
    ["file:name = 'a'", 1, 1, /expected '\[' or '\('/],
    ["[file:name = 'a\\d']", 1, 16, /invalid escape/],
    ['[file:size = 01]', 1, 14, /leading zeros/],
    ["[file:name = 'a'] AND", 1, 22, /expected '\[' or '\('/],
    ['[file:size > true]', 1, 14, /orderable/],
    ['[file:name LIKE 5]', 1, 17, /a string after LIKE/],
    ["[file:name = t'2016-13-01T00:00:00Z']", 1, 14, /RFC 3339/],
    ["[file:name = b'abc']", 1, 14, /base64/],
    ["[file:name = h'abc']", 1, 14, /hex/],
    ["[file:bad-name = 'a']", 1, 7, /quote it/],
    ['[a:b = 1] WITHIN 0 SECONDS', 1, 18, /positive/],
    ['[a:b = 1] REPEATS 0 TIMES', 1, 19, /positive integer/],
    ['[a:b = 1] REPEATS 100000 TIMES', 1, 19, /limited/],
    ["[a:b = 1] START t'2016-01-01T00:00:00Z'", 1, 40, /STOP/],
    ['[a:b = 99999999999999999999]', 1, 8, /out of range/],
    ["[a:b = 'x'] LAST", 1, 13, /expected/],
    ['', 1, 1, /expected/],
    ["[a:b = 'x' ?]", 1, 12, /unexpected character/],
    ["[file:name = 'a']\n AND [x]", 2, 8, /expected ':'/],
  ];
  it.each(cases)('%s → %i:%i', (text, line, column, message) => {
    const r = checkPattern(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(message);
    expect([r.error.line, r.error.column]).toEqual([line, column]);
  });

  it('parsePattern throws EntenteError INVALID with a line:column problem', () => {
    try {
      parsePattern("[file:name = 'a'");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EntenteError);
      expect((err as EntenteError).code).toBe('INVALID');
      expect((err as EntenteError).details).toEqual([
        expect.objectContaining({ path: '1:17', severity: 'error', rule: 'pattern-syntax' }),
      ]);
    }
  });

  it('lists what was expected', () => {
    const r = checkPattern('[file:name');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.expected).toContain("'='");
  });
});

describe('parser: hostile input errors cleanly', () => {
  it('bounds parenthesis nesting', () => {
    const deep = `${'('.repeat(10_000)}[a:b = 1]${')'.repeat(10_000)}`;
    const r = checkPattern(deep);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(`deeper than ${MAX_NESTING_DEPTH}`);
    expect(checkPattern(`[${'('.repeat(10_000)}a:b = 1${')'.repeat(10_000)}]`).ok).toBe(false);
  });

  it('bounds qualifier chains', () => {
    const r = checkPattern(`[a:b = 1]${' WITHIN 1 SECONDS'.repeat(10_000)}`);
    expect(r.ok).toBe(false);
  });

  it('bounds pattern length', () => {
    const huge = `[a:b IN (${Array.from({ length: 200_000 }, (_, i) => `'${i}'`).join(', ')})]`;
    expect(huge.length).toBeGreaterThan(MAX_PATTERN_LENGTH);
    const r = checkPattern(huge);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/limit/);
  });

  it('accepts a large but bounded pattern', () => {
    const big = `[x-a:b IN (${Array.from({ length: 20_000 }, (_, i) => `'${i}'`).join(', ')})]`;
    expect(checkPattern(big).ok).toBe(true);
  });

  it('long flat chains of AND/OR do not recurse', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => `[a:b = ${i}]`).join(' OR ');
    const ast = parsePattern(chain);
    expect((ast.expression as unknown as { operands: unknown[] }).operands).toHaveLength(20_000);
  });

  it('random text never throws anything but a syntax error', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."[]()=!<>:.*',abtxh01 -_ANDORNOT\\".split('')), maxLength: 40 }),
        (s) => {
          const r = checkPattern(s);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('printer', () => {
  it('gives a canonical form', () => {
    expect(printPattern(parsePattern("[ file:name=='a'  AND(file:size<>5) ]OR([x-a:b=1])"))).toBe(
      "[file:name = 'a' AND file:size != 5] OR [x-a:b = 1]",
    );
    expect(printPattern(parsePattern('[a:b = 1.0]'))).toBe('[a:b = 1.0]');
    expect(printPattern(parsePattern("[a:'AND' = 'x']"))).toBe("[a:'AND' = 'x']");
  });

  it('parse(print(ast)) deep-equals ast', () => {
    fc.assert(
      fc.property(patternAst(4), (ast) => {
        expect(parsePattern(printPattern(ast))).toEqual(ast);
      }),
      { numRuns: 1000 },
    );
  });
});
