/**
 * Compile comparison expressions to closures over a prepared observation, so evaluation never re-walks the AST.
 * Semantics (docs/patterns.md): a comparison holds when some object of its type has some value at the path
 * (any element for `[*]`) for which the test holds. A missing property never satisfies a comparison, with or
 * without `NOT`. `NOT` and `!=` negate the test on each value found.
 */
import type { Comparison, ComparisonExpression, Literal, ObjectPath, PathStep } from './ast.js';
import { compileLike } from './like.js';
import { base64ToBytes, cidrWithin, hexToBytes, parseCidr, timestampMillis, utf8Bytes } from './literals.js';
import type { Cidr } from './literals.js';
import type { PreparedObservation } from './observation.js';
import { compileRegex } from './regex.js';

type Sco = Readonly<Record<string, unknown>>;
type Objects = Readonly<Record<string, Sco>>;
export type ValueTest = (value: unknown) => boolean;
export type ObservationTest = (obs: PreparedObservation) => boolean;

const normHashKey = (k: string): string => k.toUpperCase().replace(/[-_ ]/g, '');

/** True when the step before `i` is the key `hashes` (hash dictionaries get lenient key and value matching). */
const underHashes = (steps: readonly PathStep[], i: number): boolean => {
  const prev = steps[i - 1];
  return prev !== undefined && prev.kind === 'key' && prev.name.toLowerCase() === 'hashes';
};

/** A value inside a `hashes` dictionary: compared case-insensitively (hex digests). */
export const isHashValuePath = (path: ObjectPath): boolean =>
  path.steps.at(-1)?.kind === 'key' && underHashes(path.steps, path.steps.length - 1);

function getKey(container: unknown, key: string, hashes: boolean, objects: Objects): unknown {
  let obj = container;
  if (typeof obj === 'string') obj = Object.hasOwn(objects, obj) ? objects[obj] : undefined; // reference
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  if (Object.hasOwn(rec, key)) return rec[key];
  if (hashes) {
    const want = normHashKey(key);
    for (const k in rec) if (Object.hasOwn(rec, k) && normHashKey(k) === want) return rec[k];
  }
  return undefined;
}

/** Resolve `steps` from `root`, calling `test` on every value reached; true as soon as one passes. */
export type PathWalker = (root: Sco, objects: Objects, test: ValueTest) => boolean;

export function compilePath(path: ObjectPath): PathWalker {
  const steps = path.steps;
  const first = steps[0];
  // the common case: `type:prop` with nothing after it
  if (steps.length === 1 && first?.kind === 'key') {
    const key = first.name;
    return (root, _objects, test) => {
      if (!Object.hasOwn(root, key)) return false;
      const v = root[key];
      return v !== undefined && test(v);
    };
  }
  const hashes = steps.map((_, i) => underHashes(steps, i));
  const second = steps[1];
  // `type:a.b` (a reference or a dictionary key): no recursion
  if (steps.length === 2 && first?.kind === 'key' && second?.kind === 'key') {
    const a = first.name;
    const b = second.name;
    const lenient = hashes[1] as boolean;
    return (root, objects, test) => {
      if (!Object.hasOwn(root, a)) return false;
      const v = getKey(root[a], b, lenient, objects);
      return v !== undefined && test(v);
    };
  }
  const walk = (value: unknown, i: number, objects: Objects, test: ValueTest): boolean => {
    if (i === steps.length) return value !== undefined && test(value);
    const step = steps[i] as PathStep;
    if (step.kind === 'key') {
      const next = getKey(value, step.name, hashes[i] as boolean, objects);
      return next !== undefined && walk(next, i + 1, objects, test);
    }
    if (!Array.isArray(value)) return false;
    if (step.index === '*') {
      for (const el of value) if (walk(el, i + 1, objects, test)) return true;
      return false;
    }
    const idx = step.index < 0 ? value.length + step.index : step.index;
    return idx >= 0 && idx < value.length && walk(value[idx], i + 1, objects, test);
  };
  return (root, objects, test) => walk(root, 0, objects, test);
}

/** How the observed value is read when compared with a binary or hex constant. */
function bytesOf(value: string, path: ObjectPath): string | undefined {
  const steps = path.steps;
  const last = steps[steps.length - 1];
  const name = last?.kind === 'key' ? last.name : '';
  if (name.endsWith('_bin')) return base64ToBytes(value);
  if (name.endsWith('_hex') || underHashes(steps, steps.length - 1)) return hexToBytes(value);
  return utf8Bytes(value);
}

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

const cmp = <T>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

/** -1/0/1, or undefined when the observed value and the constant are of incomparable types. */
export function compileCompare(
  lit: Literal,
  path: ObjectPath,
): (v: string | number | boolean) => number | undefined {
  const hashValue = isHashValuePath(path);
  switch (lit.kind) {
    case 'string': {
      if (hashValue) {
        const want = lit.value.toLowerCase();
        return (v) => (typeof v === 'string' ? cmp(v.toLowerCase(), want) : undefined);
      }
      const want = lit.value;
      return (v) => (typeof v === 'string' ? cmp(v, want) : undefined);
    }
    case 'int':
    case 'float': {
      const want = lit.value;
      return (v) => (typeof v === 'number' ? cmp(v, want) : undefined);
    }
    case 'bool': {
      const want = lit.value;
      return (v) => (typeof v === 'boolean' ? (v === want ? 0 : v ? 1 : -1) : undefined);
    }
    case 'timestamp': {
      const want = timestampMillis(lit.value) as number;
      return (v) => {
        if (typeof v !== 'string') return undefined;
        const t = timestampMillis(v);
        return t === undefined ? undefined : cmp(t, want);
      };
    }
    case 'binary':
    case 'hex': {
      const want = (lit.kind === 'binary' ? base64ToBytes(lit.value) : hexToBytes(lit.value)) ?? '';
      return (v) => {
        if (typeof v !== 'string') return undefined;
        const b = bytesOf(v, path);
        return b === undefined ? undefined : cmp(b, want);
      };
    }
  }
}

/** The per-value test of one comparison, `NOT` applied. */
export function compileValueTest(c: Comparison): ValueTest {
  const neg = c.negated;
  const { operator, value, path } = c;
  switch (operator) {
    case '=':
    case '!=': {
      const wantEqual = (operator === '=') !== neg;
      if (value.kind === 'string' && !isHashValuePath(path)) {
        const s = value.value;
        return wantEqual ? (v) => v === s : (v) => isScalar(v) && v !== s;
      }
      const compare = compileCompare(value as Literal, path);
      return (v) => isScalar(v) && (compare(v) === 0) === wantEqual;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const compare = compileCompare(value as Literal, path);
      const ok =
        operator === '<'
          ? (r: number) => r < 0
          : operator === '<='
            ? (r: number) => r <= 0
            : operator === '>'
              ? (r: number) => r > 0
              : (r: number) => r >= 0;
      return (v) => {
        if (!isScalar(v)) return false;
        const r = compare(v);
        return r !== undefined && ok(r) !== neg;
      };
    }
    case 'IN': {
      const set = value.kind === 'set' ? value.values : [value];
      const allStrings = set.every((l) => l.kind === 'string') && !isHashValuePath(path);
      if (allStrings) {
        const strings = new Set(set.map((l) => l.value));
        return (v) => isScalar(v) && (typeof v === 'string' && strings.has(v)) !== neg;
      }
      const compares = set.map((l) => compileCompare(l, path));
      return (v) => isScalar(v) && compares.some((f) => f(v) === 0) !== neg;
    }
    case 'LIKE': {
      const like = compileLike((value as Literal).value as string);
      return (v) => typeof v === 'string' && like(v) !== neg;
    }
    case 'MATCHES': {
      const re = compileRegex((value as Literal).value as string);
      const last = path.steps.at(-1);
      const isBin = last?.kind === 'key' && last.name.endsWith('_bin');
      return (v) => {
        if (typeof v !== 'string') return false;
        const text = isBin ? base64ToBytes(v) : v;
        return text !== undefined && re.test(text) !== neg;
      };
    }
    case 'ISSUBSET':
    case 'ISSUPERSET': {
      const net = parseCidr((value as Literal).value as string) as Cidr;
      const sub = operator === 'ISSUBSET';
      const slow = (v: string): boolean => {
        const mine = parseCidr(v);
        if (!mine || mine.family !== net.family) return false;
        return (sub ? cidrWithin(mine, net) : cidrWithin(net, mine)) !== neg;
      };
      if (net.family === 6) return (v) => typeof v === 'string' && slow(v);
      // IPv4 as 32-bit integers: no allocation per value
      const b = net.bytes;
      const netAddr = (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
      const netPrefix = net.prefix;
      return (v) => {
        if (typeof v !== 'string') return false;
        const parsed = fastIpv4(v);
        if (parsed < 0) return v.includes(':') ? false : slow(v);
        const addr = Math.floor(parsed / 64);
        const prefix = parsed % 64;
        const inside = sub
          ? prefix >= netPrefix && ((addr ^ netAddr) & maskOf(netPrefix)) === 0
          : prefix <= netPrefix && ((addr ^ netAddr) & maskOf(prefix)) === 0;
        return inside !== neg;
      };
    }
  }
}

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) | 0);

/** `a.b.c.d` or `a.b.c.d/n` as address × 64 + prefix, or -1 (then the general parser decides). */
function fastIpv4(s: string): number {
  let addr = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      addr = addr * 256 + part;
      part = 0;
      digits = 0;
    } else break;
  }
  if (dots !== 3 || digits === 0) return -1;
  addr = addr * 256 + part;
  let prefix = 32;
  if (i < n) {
    if (s.charCodeAt(i) !== 47 || i + 1 >= n || n - i - 1 > 2) return -1;
    prefix = 0;
    for (i++; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
      prefix = prefix * 10 + (c - 48);
    }
    if (prefix > 32) return -1;
  }
  return addr * 64 + prefix;
}

/** Compile a comparison expression (the inside of `[…]`) to a test of one observation. */
export function compileComparisonExpression(expr: ComparisonExpression): ObservationTest {
  switch (expr.kind) {
    case 'comparison':
    case 'exists': {
      const type = expr.path.objectType;
      const walk = compilePath(expr.path);
      const test: ValueTest = expr.kind === 'exists' ? (v) => v !== null : compileValueTest(expr);
      return (obs) => {
        const roots = obs.byType.get(type);
        if (!roots) return false;
        for (let i = 0; i < roots.length; i++) if (walk(roots[i] as Sco, obs.objects, test)) return true;
        return false;
      };
    }
    case 'and': {
      const parts = expr.operands.map(compileComparisonExpression);
      if (parts.length === 2) {
        const [a, b] = parts as [ObservationTest, ObservationTest];
        return (obs) => a(obs) && b(obs);
      }
      return (obs) => parts.every((p) => p(obs));
    }
    case 'or': {
      const parts = expr.operands.map(compileComparisonExpression);
      if (parts.length === 2) {
        const [a, b] = parts as [ObservationTest, ObservationTest];
        return (obs) => a(obs) || b(obs);
      }
      return (obs) => parts.some((p) => p(obs));
    }
  }
}
