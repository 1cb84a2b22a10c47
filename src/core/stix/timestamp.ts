import { invalid } from '../errors.js';

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function num2(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * Checks a STIX timestamp (RFC 3339, UTC, `YYYY-MM-DDTHH:mm:ss[.s+]Z`, STIX 2.1 §2.14) and returns how many
 * fractional-second digits it has, or -1 when it is not a valid STIX timestamp (wrong shape, lower-case `t`/`z`,
 * an offset other than `Z`, a `.` without digits, or an impossible date such as 2021-02-29).
 */
export function timestampFraction(s: string): number {
  const n = s.length;
  if (n < 20 || s.charCodeAt(n - 1) !== 90 /* Z */) return -1;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return -1;
  const y1 = num2(s, 0);
  const y2 = num2(s, 2);
  const mo = num2(s, 5);
  const d = num2(s, 8);
  const h = num2(s, 11);
  const mi = num2(s, 14);
  const se = num2(s, 17);
  if (
    y1 < 0 ||
    y2 < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    se < 0 ||
    se > 60
  ) {
    return -1;
  }
  const year = y1 * 100 + y2;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = mo === 2 && leap ? 29 : DAYS[mo - 1]!;
  if (d > maxDay) return -1;
  if (n === 20) return 0;
  if (s[19] !== '.' || n < 22) return -1;
  for (let i = 20; i < n - 1; i++) if (digit(s, i) < 0) return -1;
  return n - 21;
}

/** True when `s` is a valid STIX 2.1 timestamp. */
export function isTimestamp(s: string): boolean {
  return timestampFraction(s) >= 0;
}

/**
 * A fixed-width key that sorts lexicographically in time order: `YYYY-MM-DDTHH:mm:ss.fffffffffZ`, the fraction
 * padded or cut to 9 digits, so `…00Z`, `…00.000Z` and `…00.000000000Z` give the same key. Digits past the
 * nanosecond are dropped (STIX producers do not emit them; two timestamps differing only there share a key).
 * Throws `INVALID` for anything that is not a STIX timestamp.
 */
export function timestampKey(ts: string): string {
  const frac = typeof ts === 'string' ? timestampFraction(ts) : -1;
  if (frac < 0) throw invalid(`not a STIX timestamp: ${JSON.stringify(String(ts).slice(0, 64))}`);
  if (frac === 9) return ts;
  const digits = frac === 0 ? '' : ts.slice(20, 20 + Math.min(frac, 9));
  return `${ts.slice(0, 19)}.${digits.padEnd(9, '0')}Z`;
}

/** Compares two valid STIX timestamps in time order (negative, 0, positive). */
export function compareTimestamps(a: string, b: string): number {
  const ka = timestampKey(a);
  const kb = timestampKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
