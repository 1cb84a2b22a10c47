import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timestampMillis } from '../../../src/core/pattern/literals.js';
import { stixTimestampMillis, timestampFraction, timestampKey } from '../../../src/core/stix/timestamp.js';

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

describe('STIX timestamps (one reader for the validator and the pattern matcher)', () => {
  it('reads every valid timestamp to the same instant as Date, with its fraction digits', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(1, 0, 1)),
          max: new Date(Date.UTC(9999, 11, 31)),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        (date, digits, fraction) => {
          const f = pad(fraction, 9).slice(0, digits);
          const text = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}${digits > 0 ? `.${f}` : ''}Z`;
          // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
          const whole = new Date(0);
          whole.setUTCFullYear(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
          whole.setUTCHours(date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), 0);
          const expected = whole.getTime() + (digits > 0 ? Number(`0.${f}`) * 1000 : 0);
          expect(stixTimestampMillis(text)).toBeCloseTo(expected, 3);
          expect(timestampMillis(text)).toBe(stixTimestampMillis(text));
          expect(timestampFraction(text)).toBe(digits);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not a STIX timestamp, and keys versions by instant', () => {
    for (const bad of [
      '2021-02-29T00:00:00Z',
      '2021-13-01T00:00:00Z',
      '2021-01-01T24:00:00Z',
      '2021-01-01t00:00:00Z',
      '2021-01-01T00:00:00z',
      '2021-01-01T00:00:00.Z',
      '2021-01-01T00:00:00+00:00',
      '2021-01-01 00:00:00Z',
      '21-01-01T00:00:00Z',
    ]) {
      expect(stixTimestampMillis(bad), bad).toBeNaN();
      expect(timestampFraction(bad), bad).toBe(-1);
    }
    expect(stixTimestampMillis('2020-02-29T23:59:60Z')).toBe(Date.UTC(2020, 2, 1));
    expect(timestampKey('2021-03-02T00:00:00Z')).toBe(timestampKey('2021-03-02T00:00:00.000000Z'));
    // Observed values may carry an offset (pattern matcher only).
    expect(timestampMillis('2021-03-02T01:00:00+01:00')).toBe(Date.UTC(2021, 2, 2));
  });
});
