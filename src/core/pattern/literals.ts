/** Constants of the pattern language: validation and conversion shared by parser, printer and matcher. */
import { stixTimestampMillis } from '../stix/timestamp.js';

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

/**
 * Milliseconds since the epoch (fractions kept below the millisecond) for an RFC 3339 UTC timestamp, or
 * `undefined` when the text is not one. Accepts leap second 60 as the spec's timestamps do.
 */
export function timestampMillis(text: string): number | undefined {
  const fast = stixTimestampMillis(text);
  if (!Number.isNaN(fast)) return fast;
  const m = TS_RE.exec(text);
  if (!m) return timestampWithOffset(text);
  const [, y, mo, d, h, mi, s, frac] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  return base + (frac ? Number(`0${frac}`) * 1000 : 0);
}

const OFFSET_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-])(\d{2}):(\d{2})$/;

/** Observed values may carry an offset; pattern constants may not (the grammar requires `Z`). */
function timestampWithOffset(text: string): number | undefined {
  const m = OFFSET_RE.exec(text);
  if (!m) return undefined;
  const [, local, sign, oh, om] = m;
  const base = timestampMillis(`${local}Z`);
  if (base === undefined) return undefined;
  const offset = (Number(oh) * 60 + Number(om)) * 60_000;
  return sign === '+' ? base - offset : base + offset;
}

export const isPatternTimestamp = (text: string): boolean =>
  TS_RE.test(text) && timestampMillis(text) !== undefined;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export const isBase64 = (text: string): boolean => B64_RE.test(text);
export const isHex = (text: string): boolean => /^(?:[0-9a-fA-F]{2})*$/.test(text);

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Decode base64 to a byte string (one char per byte, 0–255), or `undefined` when not valid base64. */
export function base64ToBytes(text: string): string | undefined {
  if (!isBase64(text)) return undefined;
  let out = '';
  let buf = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61) break;
    buf = (buf << 6) | (B64_INDEX[c] ?? 0);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buf >> bits) & 0xff);
    }
  }
  return out;
}

/** Decode hex to a byte string, or `undefined`. */
export function hexToBytes(text: string): string | undefined {
  if (!isHex(text)) return undefined;
  let out = '';
  for (let i = 0; i < text.length; i += 2) out += String.fromCharCode(parseInt(text.slice(i, i + 2), 16));
  return out;
}

/**
 * A string's octets as STIX patterning converts them (§9.6.3): each code point U+0000–U+00FF is one octet, as a
 * binary string; undefined when a code point lies beyond (the conversion is impossible, and the comparison false).
 */
export const latin1Bytes = (text: string): string | undefined =>
  /[^\u0000-\u00ff]/.test(text) ? undefined : text;

/**
 * A float as the grammar writes it: digits, a point, digits, never an exponent. Uses the shortest round-trip
 * representation, expanded out of exponent notation.
 */
export function formatFloat(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s.includes('.') ? s : `${s}.0`;
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, d, rest = '', expText] = m;
  const exp = Number(expText);
  const digits = `${d}${rest}`;
  if (exp >= 0) {
    const intPart = digits.padEnd(exp + 1, '0');
    const fracPart = digits.slice(exp + 1);
    return `${sign}${intPart.slice(0, exp + 1)}.${fracPart || '0'}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** An IPv4 or IPv6 network: address bytes and prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  let v4tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4tail = parseIpv4(text.slice(lastColon + 1));
    if (!v4tail) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = parseGroups(halves[0] ?? '');
  const right = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!left || !right) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (v4tail) out.set(v4tail, 12);
  return out;
}

/** Parse `addr` or `addr/prefix` (IPv4 or IPv6); a bare address is a /32 or /128. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const isV6 = addr.includes(':');
  const bytes = isV6 ? parseIpv6(addr) : parseIpv4(addr);
  if (!bytes) return undefined;
  const max = isV6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  }
  return { family: isV6 ? 6 : 4, bytes, prefix };
}

/** True when network `inner` lies inside network `outer` (same family). */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  let bits = outer.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((inner.bytes[i] ?? 0) & mask) !== ((outer.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}
