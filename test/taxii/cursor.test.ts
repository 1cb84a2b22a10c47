import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CursorSigner } from '../../src/taxii/cursor.js';

const signer = new CursorSigner(Buffer.alloc(32, 7));
const ctx = { e: 'objects', c: 'c1', p: 'alice', t: ['indicator', 'malware'] };

describe('next cursors', () => {
  it('a cursor verifies for the query and caller it was issued for', () => {
    fc.assert(fc.property(fc.nat(), (seq) => signer.verify(signer.sign(seq, ctx), ctx) === seq));
  });

  it('the order of values within a field does not matter', () => {
    const c = signer.sign(42, ctx);
    expect(signer.verify(c, { ...ctx, t: ['malware', 'indicator'] })).toBe(42);
  });

  it('any altered character is refused', () => {
    const cursor = signer.sign(1234, ctx);
    fc.assert(
      fc.property(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...'ABCabc0189-_.x'), (i, ch) => {
        fc.pre(cursor[i] !== ch);
        const altered = cursor.slice(0, i) + ch + cursor.slice(i + 1);
        // base64url may decode two spellings to the same bytes only in the padding bits of the last character
        let refused: boolean;
        try {
          refused = signer.verify(altered, ctx) !== 1234;
        } catch {
          refused = true;
        }
        return refused || i === cursor.length - 1;
      }),
    );
  });

  it('a cursor for another query, another caller or another key is refused', () => {
    const c = signer.sign(5, ctx);
    expect(() => signer.verify(c, { ...ctx, t: ['indicator'] })).toThrow(/not a valid cursor/);
    expect(() => signer.verify(c, { ...ctx, p: 'mallory' })).toThrow(/not a valid cursor/);
    expect(() => new CursorSigner(Buffer.alloc(32, 8)).verify(c, ctx)).toThrow(/not a valid cursor/);
    expect(() => signer.verify('garbage', ctx)).toThrow(/not a valid cursor/);
  });
});
