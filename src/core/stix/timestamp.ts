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
 * Milliseconds since the epoch (the sub-millisecond fraction kept) of a STIX timestamp (RFC 3339, UTC,
 * `YYYY-MM-DDTHH:mm:ss[.s+]Z`, STIX 2.1 §2.14; leap second 60 accepted), or NaN when it is not one (wrong shape,
 * lower-case `t`/`z`, an offset other than `Z`, a `.` without digits, an impossible date such as 2021-02-29). By
 * arithmetic (days from civil) and allocation-free: the validator checks every timestamp of every object, and the
 * pattern matcher reads millions of observed ones.
 */
export function stixTimestampMillis(s: string): number {
  const n = s.length;
  if (n < 20 || s.charCodeAt(n - 1) !== 90 /* Z */) return NaN;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return NaN;
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
  )
    return NaN;
  const year = y1 * 100 + y2;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = mo === 2 && leap ? 29 : DAYS[mo - 1]!;
  if (d > maxDay) return NaN;
  let frac = 0;
  if (n > 20) {
    if (s[19] !== '.' || n < 22) return NaN;
    let scale = 100;
    for (let i = 20; i < n - 1; i++) {
      const c = digit(s, i);
      if (c < 0) return NaN;
      frac += c * scale;
      scale /= 10;
    }
  }
  const yy = mo <= 2 ? year - 1 : year;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return days * 86_400_000 + h * 3_600_000 + mi * 60_000 + se * 1000 + frac;
}

/**
 * How many fractional-second digits a STIX timestamp has, or -1 when it is not a valid STIX timestamp (see
 * `stixTimestampMillis`).
 */
export function timestampFraction(s: string): number {
  if (Number.isNaN(stixTimestampMillis(s))) return -1;
  return s.length === 20 ? 0 : s.length - 21;
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
