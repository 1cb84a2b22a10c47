/**
 * Compile comparison expressions to small objects over a prepared observation, so evaluation never re-walks the
 * AST. Objects with shared methods rather than closures: an index holds hundreds of thousands of compiled tests,
 * and V8 calls one hot method on many objects far faster than many distinct closures of one function.
 * Semantics (docs/patterns.md): a comparison holds for an object of its type when the object has some value at
 * the path (any element for `[*]`) for which the test holds; the comparisons joined by `AND` inside `[…]` must hold
 * for one and the same object (STIX 2.1 §9.5). A missing property never satisfies a comparison, with or without
 * `NOT`; a value of another type fails the test, so `NOT` makes it hold (§9.6.1). `NOT` and `!=` negate the test on
 * each value found.
 */
import type { Comparison, ComparisonExpression, Literal, ObjectPath, PathStep } from './ast.js';
import { LikeMatcher, nfc } from './like.js';
import {
  base64ToBytes,
  cidrWithin,
  hexToBytes,
  latin1Bytes,
  parseCidr,
  timestampMillis,
} from './literals.js';
import type { Cidr } from './literals.js';
import type { PreparedObservation } from './observation.js';
import { compileRegex } from './regex.js';
import type { CompiledRegex } from './regex.js';

type Sco = Readonly<Record<string, unknown>>;
type Objects = Readonly<Record<string, Sco>>;
/** A test of one value found at a path. */
export interface ValueTest {
  test(value: unknown): boolean;
}
/** A test of one observation (the inside of `[…]`). */
export interface ObservationTest {
  test(obs: PreparedObservation): boolean;
}

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

/** Resolves an object path from a root object, offering every value reached to a test. */
export class PathWalker {
  private readonly steps: readonly PathStep[];
  private readonly lenient: readonly boolean[];
  private readonly single: string | undefined;
  /** Key names when every step is a key (no list index): walked in a loop, without recursion. */
  private readonly keys: readonly string[] | undefined;

  constructor(path: ObjectPath) {
    this.steps = path.steps;
    this.lenient = path.steps.map((_, i) => underHashes(path.steps, i));
    const first = path.steps[0];
    this.single = path.steps.length === 1 && first?.kind === 'key' ? first.name : undefined;
    this.keys = path.steps.every((st) => st.kind === 'key')
      ? path.steps.map((st) => (st.kind === 'key' ? st.name : ''))
      : undefined;
  }

  /** True as soon as `tester` passes for a value reached from `root`. */
  some(root: Sco, objects: Objects, tester: ValueTest): boolean {
    const single = this.single;
    if (single !== undefined) {
      if (!Object.hasOwn(root, single)) return false;
      const v = root[single];
      return v !== undefined && tester.test(v);
    }
    const keys = this.keys;
    if (keys !== undefined) {
      // the same as walk() when there is no list step: one value at most, each step a key (or reference)
      let value: unknown = root;
      for (let i = 0; i < keys.length; i++) {
        value = getKey(value, keys[i] as string, this.lenient[i] as boolean, objects);
        if (value === undefined) return false;
      }
      return tester.test(value);
    }
    return this.walk(root, 0, objects, tester);
  }

  private walk(value: unknown, i: number, objects: Objects, tester: ValueTest): boolean {
    const steps = this.steps;
    if (i === steps.length) return value !== undefined && tester.test(value);
    const step = steps[i] as PathStep;
    if (step.kind === 'key') {
      const next = getKey(value, step.name, this.lenient[i] as boolean, objects);
      return next !== undefined && this.walk(next, i + 1, objects, tester);
    }
    if (!Array.isArray(value)) return false;
    if (step.index === '*') {
      for (const el of value) if (this.walk(el, i + 1, objects, tester)) return true;
      return false;
    }
    // An index outside 0…n-1 (a negative one included) selects nothing (§9.7.2).
    const idx = step.index;
    return idx >= 0 && idx < value.length && this.walk(value[idx], i + 1, objects, tester);
  }
}

export const compilePath = (path: ObjectPath): PathWalker => new PathWalker(path);

/** How an observed value is read as octets: decoded from base64 or hex, or a plain string's code points. */
const BYTES_BASE64 = 0;
const BYTES_HEX = 1;
const BYTES_TEXT = 2;
type BytesMode = typeof BYTES_BASE64 | typeof BYTES_HEX | typeof BYTES_TEXT;

/** The octets of an observed value as a byte string, read as `mode` says (§9.6.3); undefined when it has none. */
function octetsOf(mode: BytesMode, v: string): string | undefined {
  return mode === BYTES_BASE64 ? base64ToBytes(v) : mode === BYTES_HEX ? hexToBytes(v) : latin1Bytes(v);
}

/** The name of the property a path ends at ('' when it ends at a list index). */
function lastKeyName(path: ObjectPath): string {
  const last = path.steps.at(-1);
  return last?.kind === 'key' ? last.name : '';
}

/** A `*_bin` or `*_hex` property (not a hash value): compared as octets, whatever the constant (§9.6.3). */
export function isBinaryPath(path: ObjectPath): boolean {
  const name = lastKeyName(path);
  return name.endsWith('_bin') || name.endsWith('_hex');
}

function bytesModeOf(path: ObjectPath): BytesMode {
  const steps = path.steps;
  const name = lastKeyName(path);
  if (name.endsWith('_bin')) return BYTES_BASE64;
  if (name.endsWith('_hex') || underHashes(steps, steps.length - 1)) return BYTES_HEX;
  return BYTES_TEXT;
}

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

const cmp = <T>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

/** Compares observed scalars with one constant: -1/0/1, or undefined when the types are incomparable. */
export class Comparer {
  private readonly kind: Literal['kind'];
  private readonly ci: boolean;
  private readonly want: string | number | boolean | undefined;
  private readonly bytes: BytesMode;
  /** A string constant against a binary property: compared as octets (§9.6.3). */
  private readonly stringAsBytes: boolean;

  constructor(lit: Literal, path: ObjectPath) {
    this.kind = lit.kind;
    this.ci = lit.kind === 'string' && isHashValuePath(path);
    this.bytes = bytesModeOf(path);
    this.stringAsBytes = lit.kind === 'string' && isBinaryPath(path);
    switch (lit.kind) {
      case 'string':
        this.want = this.stringAsBytes
          ? latin1Bytes(lit.value)
          : this.ci
            ? lit.value.toLowerCase()
            : lit.value;
        break;
      case 'timestamp':
        this.want = timestampMillis(lit.value);
        break;
      case 'binary':
        this.want = base64ToBytes(lit.value) ?? '';
        break;
      case 'hex':
        this.want = hexToBytes(lit.value) ?? '';
        break;
      default:
        this.want = lit.value;
    }
  }

  compare(v: string | number | boolean): number | undefined {
    const want = this.want;
    if (want === undefined) return undefined;
    switch (this.kind) {
      case 'string': {
        if (typeof v !== 'string') return undefined;
        if (!this.stringAsBytes) return cmp(this.ci ? v.toLowerCase() : v, want);
        const b = octetsOf(this.bytes, v);
        return b === undefined ? undefined : cmp(b, want);
      }
      case 'int':
      case 'float':
        return typeof v === 'number' ? cmp(v, want) : undefined;
      case 'bool':
        return typeof v === 'boolean' ? (v === want ? 0 : v ? 1 : -1) : undefined;
      case 'timestamp': {
        if (typeof v !== 'string') return undefined;
        const t = timestampMillis(v);
        return t === undefined ? undefined : cmp(t, want);
      }
      default: {
        if (typeof v !== 'string') return undefined;
        const b = octetsOf(this.bytes, v);
        return b === undefined ? undefined : cmp(b, want);
      }
    }
  }
}

class StringEquals implements ValueTest {
  constructor(
    private readonly s: string,
    private readonly wantEqual: boolean,
  ) {}
  test(v: unknown): boolean {
    return this.wantEqual ? v === this.s : isScalar(v) && v !== this.s;
  }
}

class Equals implements ValueTest {
  constructor(
    private readonly comparer: Comparer,
    private readonly wantEqual: boolean,
  ) {}
  test(v: unknown): boolean {
    return isScalar(v) && (this.comparer.compare(v) === 0) === this.wantEqual;
  }
}

class Ordered implements ValueTest {
  constructor(
    private readonly comparer: Comparer,
    private readonly op: '<' | '<=' | '>' | '>=',
    private readonly neg: boolean,
  ) {}
  test(v: unknown): boolean {
    if (!isScalar(v)) return false;
    const r = this.comparer.compare(v);
    if (r === undefined) return this.neg; // another type: false, so NOT holds (§9.6.1)
    const op = this.op;
    const ok = op === '<' ? r < 0 : op === '<=' ? r <= 0 : op === '>' ? r > 0 : r >= 0;
    return ok !== this.neg;
  }
}

class InStrings implements ValueTest {
  constructor(
    private readonly strings: ReadonlySet<string>,
    private readonly neg: boolean,
  ) {}
  test(v: unknown): boolean {
    return isScalar(v) && (typeof v === 'string' && this.strings.has(v)) !== this.neg;
  }
}

class InSet implements ValueTest {
  constructor(
    private readonly comparers: readonly Comparer[],
    private readonly neg: boolean,
  ) {}
  test(v: unknown): boolean {
    if (!isScalar(v)) return false;
    let found = false;
    for (const c of this.comparers) {
      if (c.compare(v) === 0) {
        found = true;
        break;
      }
    }
    return found !== this.neg;
  }
}

class Like implements ValueTest {
  constructor(
    private readonly like: LikeMatcher,
    private readonly neg: boolean,
    /** For a binary property, how its octets are read: they are matched (§9.6.3). */
    private readonly binary: BytesMode | undefined,
  ) {}
  test(v: unknown): boolean {
    if (typeof v !== 'string') return isScalar(v) && this.neg;
    const text = this.binary === undefined ? v : octetsOf(this.binary, v);
    if (text === undefined) return this.neg;
    return this.like.test(text) !== this.neg;
  }
}

class Matches implements ValueTest {
  constructor(
    private readonly re: CompiledRegex,
    /** For a binary property, how its octets are read: they are matched (§9.6.1). */
    private readonly binary: BytesMode | undefined,
    private readonly neg: boolean,
  ) {}
  test(v: unknown): boolean {
    if (typeof v !== 'string') return isScalar(v) && this.neg;
    const text = this.binary === undefined ? nfc(v) : octetsOf(this.binary, v);
    if (text === undefined) return this.neg;
    return this.re.test(text) !== this.neg;
  }
}

class CidrTest implements ValueTest {
  private readonly netAddr: number;
  constructor(
    private readonly net: Cidr,
    private readonly sub: boolean,
    private readonly neg: boolean,
  ) {
    const b = net.bytes;
    this.netAddr =
      net.family === 4
        ? (((b[0] as number) << 24) |
            ((b[1] as number) << 16) |
            ((b[2] as number) << 8) |
            (b[3] as number)) >>>
          0
        : 0;
  }
  private slow(v: string): boolean {
    const mine = parseCidr(v);
    if (!mine || mine.family !== this.net.family) return this.neg;
    return (this.sub ? cidrWithin(mine, this.net) : cidrWithin(this.net, mine)) !== this.neg;
  }
  test(v: unknown): boolean {
    if (typeof v !== 'string') return isScalar(v) && this.neg;
    if (this.net.family === 6) return this.slow(v);
    // IPv4 as 32-bit integers: no allocation per value
    const parsed = fastIpv4(v);
    if (parsed < 0) return v.includes(':') ? this.neg : this.slow(v);
    const addr = Math.floor(parsed / 64);
    const prefix = parsed % 64;
    const netPrefix = this.net.prefix;
    const inside = this.sub
      ? prefix >= netPrefix && ((addr ^ this.netAddr) & maskOf(netPrefix)) === 0
      : prefix <= netPrefix && ((addr ^ this.netAddr) & maskOf(prefix)) === 0;
    return inside !== this.neg;
  }
}

class NotNull implements ValueTest {
  test(v: unknown): boolean {
    return v !== null;
  }
}
const NOT_NULL = new NotNull();

/** The per-value test of one comparison, `NOT` applied. */
export function compileValueTest(c: Comparison): ValueTest {
  const neg = c.negated;
  const { operator, value, path } = c;
  switch (operator) {
    case '=':
    case '!=': {
      const wantEqual = (operator === '=') !== neg;
      if (value.kind === 'string' && !isHashValuePath(path) && !isBinaryPath(path))
        return new StringEquals(value.value, wantEqual);
      return new Equals(new Comparer(value as Literal, path), wantEqual);
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return new Ordered(new Comparer(value as Literal, path), operator, neg);
    case 'IN': {
      const set = value.kind === 'set' ? value.values : [value];
      if (set.every((l) => l.kind === 'string') && !isHashValuePath(path) && !isBinaryPath(path)) {
        return new InStrings(new Set(set.map((l) => l.value)), neg);
      }
      return new InSet(
        set.map((l) => new Comparer(l, path)),
        neg,
      );
    }
    case 'LIKE':
      return new Like(
        new LikeMatcher((value as Literal).value as string),
        neg,
        isBinaryPath(path) ? bytesModeOf(path) : undefined,
      );
    case 'MATCHES': {
      const binary = isBinaryPath(path) ? bytesModeOf(path) : undefined;
      const source = (value as Literal).value as string;
      return new Matches(compileRegex(binary === undefined ? nfc(source) : source), binary, neg);
    }
    case 'ISSUBSET':
    case 'ISSUPERSET':
      return new CidrTest(
        parseCidr((value as Literal).value as string) as Cidr,
        operator === 'ISSUBSET',
        neg,
      );
  }
}

export const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) | 0);

/** `a.b.c.d` or `a.b.c.d/n` as address × 64 + prefix, or -1 (then the general parser decides). */
export function fastIpv4(s: string): number {
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
    if (s.charCodeAt(i) !== 47 || i + 1 >= n || n - i - 1 > 3) return -1;
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

class ComparisonTest implements ObservationTest {
  constructor(
    private readonly type: string,
    private readonly walker: PathWalker,
    private readonly tester: ValueTest,
  ) {}
  test(obs: PreparedObservation): boolean {
    const roots = obs.byType.get(this.type);
    if (!roots) return false;
    for (let i = 0; i < roots.length; i++)
      if (this.walker.some(roots[i] as Sco, obs.objects, this.tester)) return true;
    return false;
  }
}

/** A test of one object of an observation (the comparisons joined by AND hold for the same object, §9.5). */
interface ObjectTest {
  testObject(root: Sco, objects: Objects): boolean;
}

class ComparisonOnObject implements ObjectTest {
  constructor(
    private readonly type: string,
    private readonly walker: PathWalker,
    private readonly tester: ValueTest,
  ) {}
  testObject(root: Sco, objects: Objects): boolean {
    return root.type === this.type && this.walker.some(root, objects, this.tester);
  }
}

class AllOnObject implements ObjectTest {
  constructor(private readonly parts: readonly ObjectTest[]) {}
  testObject(root: Sco, objects: Objects): boolean {
    for (const p of this.parts) if (!p.testObject(root, objects)) return false;
    return true;
  }
}

class AnyOnObject implements ObjectTest {
  constructor(private readonly parts: readonly ObjectTest[]) {}
  testObject(root: Sco, objects: Objects): boolean {
    for (const p of this.parts) if (p.testObject(root, objects)) return true;
    return false;
  }
}

/** An AND inside `[…]`: some object of one of `types` (the types every operand allows) passes every operand. */
class SameObject implements ObservationTest {
  constructor(
    private readonly test_: ObjectTest,
    private readonly types: readonly string[],
  ) {}
  test(obs: PreparedObservation): boolean {
    for (const type of this.types) {
      const roots = obs.byType.get(type);
      if (!roots) continue;
      for (let i = 0; i < roots.length; i++)
        if (this.test_.testObject(roots[i] as Sco, obs.objects)) return true;
    }
    return false;
  }
}

function compileObjectTest(expr: ComparisonExpression): ObjectTest {
  switch (expr.kind) {
    case 'comparison':
      return new ComparisonOnObject(expr.path.objectType, new PathWalker(expr.path), compileValueTest(expr));
    case 'exists':
      return new ComparisonOnObject(expr.path.objectType, new PathWalker(expr.path), NOT_NULL);
    case 'and':
      return new AllOnObject(expr.operands.map(compileObjectTest));
    case 'or':
      return new AnyOnObject(expr.operands.map(compileObjectTest));
  }
}

/** The object types an object must have to satisfy `expr`: AND intersects its operands' types, OR unites them. */
export function objectTypesOf(expr: ComparisonExpression): Set<string> {
  switch (expr.kind) {
    case 'comparison':
    case 'exists':
      return new Set([expr.path.objectType]);
    case 'or': {
      const all = new Set<string>();
      for (const op of expr.operands) for (const t of objectTypesOf(op)) all.add(t);
      return all;
    }
    case 'and': {
      let common: Set<string> | undefined;
      for (const op of expr.operands) {
        const types = objectTypesOf(op);
        common = common === undefined ? types : new Set([...common].filter((t) => types.has(t)));
      }
      return common ?? new Set();
    }
  }
}

class AnyOf implements ObservationTest {
  constructor(private readonly parts: readonly ObservationTest[]) {}
  test(obs: PreparedObservation): boolean {
    for (const p of this.parts) if (p.test(obs)) return true;
    return false;
  }
}

/** Compile a comparison expression (the inside of `[…]`) to a test of one observation. */
export function compileComparisonExpression(expr: ComparisonExpression): ObservationTest {
  switch (expr.kind) {
    case 'comparison':
      return new ComparisonTest(expr.path.objectType, new PathWalker(expr.path), compileValueTest(expr));
    case 'exists':
      return new ComparisonTest(expr.path.objectType, new PathWalker(expr.path), NOT_NULL);
    case 'and':
      return new SameObject(compileObjectTest(expr), [...objectTypesOf(expr)]);
    case 'or':
      // Some object passes one operand or another: each operand on its own.
      return new AnyOf(expr.operands.map(compileComparisonExpression));
  }
}
