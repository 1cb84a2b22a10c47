import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileRegex, checkPattern, matchPattern, parsePattern } from '../../../src/core/pattern/index.js';

describe('MATCHES: a linear-time regex engine for the PCRE subset', () => {
  it.each([
    ['abc', 'xxabcxx', true],
    ['^abc$', 'abc', true],
    ['^abc$', 'abcd', false],
    ['a(b|c)*d', 'abcbcd', true],
    ['\\d{3}-\\d{4}', 'call 555-1234', true],
    ['[^a-z]', 'abc', false],
    ['[^a-z]', 'abC', true],
    ['(?i)HeLLo', 'say hello', true],
    ['\\bfoo\\b', 'a foo b', true],
    ['\\bfoo\\b', 'afoob', false],
    ['\\Bfoo', 'afoo', true],
    ['x{2,3}y', 'xxy', true],
    ['^x{2,}$', 'x', false],
    ['^$', '', true],
    ['a|', 'zzz', true],
    ['[\\w.-]+@example\\.com$', 'bob.x@example.com', true],
    ['(?:ab)+c', 'ababc', true],
    ['(?<name>ab)c', 'abc', true],
    ['a.c', 'a\nc', true], // DOTALL by default (STIX 2.1 §9.6.1)
    ['(?s)a.c', 'a\nc', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['abc$', 'abc\n', true],
    ['\\x41\\u0042', 'AB', true],
    ['[\\d\\s]+x', '1 2x', true],
    ['caf.', 'café', true],
    ['^.$', '😀', true],
    ['[a-c]+?d', 'abcd', true],
    ['\\.', 'a.b', true],
    ['a{,2}', 'a{,2}', true],
  ])('%s on %j → %s', (re, input, expected) => {
    expect(compileRegex(re).test(input)).toBe(expected);
  });

  it.each([
    ['(a)\\1', /backreferences/],
    ['(?<n>a)\\k<n>', /backreferences/],
    ['(?=a)', /lookaround/],
    ['(?<!a)b', /lookaround/],
    ['(?>a)', /atomic/],
    ['a++', /possessive/],
    ['a**', /nothing to repeat/],
    ['*a', /nothing to repeat/],
    ['(abc', /missing '\)'/],
    ['abc)', /unbalanced/],
    ['[a-', /missing '\]'/],
    ['[z-a]', /out of order/],
    ['a{2000}', /repetition count/],
    ['\\q', /unknown escape/],
    ['[[:alpha:]]', /POSIX/],
    ['(?x)a', /unsupported group/],
  ])('rejects %s with a clear error', (re, message) => {
    expect(() => compileRegex(re)).toThrow(message);
  });

  it('bounds the compiled size', () => {
    expect(() => compileRegex('(a{1000}){1000}')).toThrow(/states/);
  });

  it('does not backtrack on pathological patterns (completes on long inputs)', () => {
    const input = `${'a'.repeat(50_000)}!`;
    for (const re of ['(a+)+$', '(a|aa)*b', '(a*)*b', '^(a|a)*$', '(x+x+)+y']) {
      expect(compileRegex(re).test(input)).toBe(false);
    }
    expect(compileRegex('(a|aa)*!').test(input)).toBe(true);
  });

  it('agrees with JavaScript RegExp on the shared subset', () => {
    const atom = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', '(a|b)', '(?:ab)', 'c');
    const piece = fc.tuple(atom, fc.constantFrom('', '*', '+', '?', '{2}', '{1,2}')).map(([a, q]) => a + q);
    const regex = fc
      .tuple(
        fc.constantFrom('', '^'),
        fc.array(piece, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('', '$'),
      )
      .map(([s, ps, e]) => s + ps.join('') + e);
    fc.assert(
      fc.property(
        regex,
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', 'x'), maxLength: 8 }),
        (re, s) => {
          expect(compileRegex(re).test(s)).toBe(new RegExp(re, 's').test(s));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a pattern with an unsupported regex is invalid, with the position of the constant', () => {
    const r = checkPattern("[file:name MATCHES '(?=x)']");
    expect(r).toMatchObject({
      ok: false,
      error: { line: 1, column: 20, message: expect.stringMatching(/lookaround/) },
    });
  });

  it('matching a pathological regex against a huge value terminates', () => {
    const obs = {
      firstObserved: '2020-01-01T00:00:00Z',
      lastObserved: '2020-01-01T00:00:00Z',
      numberObserved: 1,
      objects: { a: { type: 'url', value: 'a'.repeat(200_000) } },
    };
    expect(matchPattern(parsePattern("[url:value MATCHES '^(a+)+$x']"), [obs]).matched).toBe(false);
  });
});
