import { describe, expect, it } from 'vitest';
import { checkPattern, patternProblems } from '../../../src/core/pattern/index.js';

const warnings = (text: string): string[] => {
  const r = checkPattern(text);
  if (!r.ok) throw new Error(`unexpectedly invalid: ${r.error.message}`);
  return r.warnings.map((w) => w.rule);
};

describe('validator: what the spec requires', () => {
  it.each([
    ["[indicator:name = 'x']", /not a cyber-observable object type/, 1, 2],
    ["[A:name = 'x']", /not a valid object type/, 1, 2],
    ["[ipv4-addr:value ISSUBSET '10.0.0.0/33']", /not an IPv4 or IPv6/, 1, 27],
    ["[ipv4-addr:value ISSUPERSET 'nonsense']", /not an IPv4 or IPv6/, 1, 29],
    ["[file:name MATCHES '(a)\\\\1']", /backreferences/, 1, 20],
    [
      "[file:name = 'a'] START t'2020-01-02T00:00:00Z' STOP t'2020-01-01T00:00:00Z'",
      /START must be earlier/,
      1,
      19,
    ],
  ])('%s is invalid', (text, message, line, column) => {
    const r = checkPattern(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(message);
    expect([r.error.line, r.error.column]).toEqual([line, column]);
  });

  it.each([
    "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "([file:name = 'a'] REPEATS 2 TIMES REPEATS 3 TIMES)",
    "[file:name = 'a'] WITHIN 5 SECONDS REPEATS 2 TIMES WITHIN 6 SECONDS",
    "[file:name = 'a'] START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z' START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'",
  ])('%s: one qualifier of a kind per expression (§9.5.1)', (text) => {
    const r = checkPattern(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/more than one (WITHIN|REPEATS|START\/STOP) qualifier/);
  });

  it('a property the type does not define must be a valid custom property name (3–250 characters)', () => {
    const r = checkPattern("[file:n = 'something']");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/not.*valid custom property name|no property of file/);
    expect(checkPattern("[file:id = 'file--2a6d1ba8-4c7c-5e7e-8e4e-4d4f1d4f0a6e']").ok).toBe(true);
    expect(checkPattern('[process:pid = 4]').ok).toBe(true);
  });

  it('a set holds constants of one type (§9.6.1); ints and floats are one', () => {
    expect(checkPattern('[file:size IN (1, true)]').ok).toBe(false);
    expect(checkPattern("[file:name IN ('a', t'2020-01-01T00:00:00Z')]").ok).toBe(false);
    expect(checkPattern('[file:size IN (1, 2.5)]').ok).toBe(true);
    expect(checkPattern("[file:name = 'a'] WITHIN 5 SECONDS REPEATS 2 TIMES").ok).toBe(true);
  });

  it('accepts custom object types and x_ properties without complaint', () => {
    expect(warnings("[x-usb-device:usbdrive.serial_number = '5758']")).toEqual([]);
    expect(warnings("[file:x_acme_tag = 'a']")).toEqual([]);
  });
});

describe('validator: warnings for suspicious but legal patterns', () => {
  it('an AND across object types inside […] can never match (one object, one type: §9.5)', () => {
    expect(warnings('[file:size = 1 AND process:pid = 2]')).toContain('and-types');
    expect(warnings('[file:size = 1 OR process:pid = 2]')).not.toContain('and-types');
    expect(warnings("[file:size = 1 AND file:name = 'a']")).not.toContain('and-types');
  });

  it.each([
    ["[usb-device:serial = 'a']", 'custom-object'],
    ["[file:nmae = 'a']", 'unknown-property'],
    ["[file:hashes.SHA256 = 'abc']", 'hash-algorithm'],
    ["[file:hashes.MD5 = 'xyz']", 'hash-value'],
    ["[file:size = '12']", 'constant-type'],
    ["[file:mtime > '2020-01-01T00:00:00Z']", 'timestamp-string'],
    ["[file:size MATCHES '1']", 'operator-type'],
    ["[file:name LIKE 'abc']", 'like-without-wildcard'],
    ['[file:name IN ()]', 'empty-set'],
    ["[file:name NOT != 'a']", 'double-negation'],
    ["[file:name ISSUBSET '10.0.0.0/8']", 'cidr-path'],
  ])('%s warns %s', (text, rule) => {
    expect(warnings(text)).toContain(rule);
  });

  it('warnings carry line:column paths', () => {
    const r = checkPattern("[file:name = 'a'] AND\n[file:nmae = 'b']");
    expect(r.ok && r.warnings).toEqual([
      { path: '2:2', message: expect.stringMatching(/nmae/), severity: 'warning', rule: 'unknown-property' },
    ]);
  });

  it('patternProblems lists errors and warnings together', () => {
    const problems = patternProblems("[indicator:name = 'x'] AND [file:nmae = 'b']");
    expect(problems.map((p) => [p.severity, p.rule])).toEqual([
      ['error', 'object-type'],
      ['warning', 'unknown-property'],
    ]);
    expect(patternProblems('[')).toEqual([
      expect.objectContaining({ severity: 'error', rule: 'pattern-syntax' }),
    ]);
  });
});
