import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consecutiveMicros, formatMicros, parseMicros } from '../../src/storage/object-repository.js';

describe('date_added timestamps', () => {
  it('consecutive microseconds equal formatting each one (across millisecond, second and day boundaries)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) * 1000, max: Date.UTC(2099, 0, 1) * 1000 }),
        fc.integer({ min: 0, max: 3000 }),
        (start, count) => {
          const first = formatMicros(start);
          expect(parseMicros(first)).toBe(start);
          const got = consecutiveMicros(first, count);
          expect(got).toHaveLength(count);
          for (let i = 0; i < count; i++) expect(got[i]).toBe(formatMicros(start + i));
        },
      ),
      { numRuns: 200 },
    );
    const edge = formatMicros(Date.UTC(2026, 11, 31, 23, 59, 59) * 1000 + 999_998);
    expect(consecutiveMicros(edge, 3)).toEqual([
      '2026-12-31T23:59:59.999998Z',
      '2026-12-31T23:59:59.999999Z',
      '2027-01-01T00:00:00.000000Z',
    ]);
  });
});
