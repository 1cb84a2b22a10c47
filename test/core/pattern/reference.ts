/**
 * A deliberately plain reference evaluator, written apart from the engine: it interprets the AST directly and
 * enumerates every binding by brute force. Only for small inputs in property tests.
 */
import type {
  Comparison,
  ComparisonExpression,
  Literal,
  ObjectPath,
  ObservationExpression,
  PatternAst,
} from '../../../src/core/pattern/index.js';
import type { Observation } from '../../../src/core/pattern/index.js';

type Rec = Record<string, unknown>;

const TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;
export function refTime(s: string): number | undefined {
  const m = TS.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const check = new Date(ms);
  if (check.getUTCDate() !== +m[3]! || check.getUTCMonth() !== +m[2]! - 1) return undefined;
  return ms + (m[7] ? Number(`0${m[7]}`) * 1000 : 0);
}

const isHashValue = (p: ObjectPath): boolean => {
  const n = p.steps.length;
  const prev = p.steps[n - 2];
  return p.steps[n - 1]?.kind === 'key' && prev?.kind === 'key' && prev.name.toLowerCase() === 'hashes';
};

function resolve(root: unknown, path: ObjectPath, objects: Record<string, Rec>): unknown[] {
  let current: unknown[] = [root];
  path.steps.forEach((step, i) => {
    const next: unknown[] = [];
    const prev = path.steps[i - 1];
    const lenient = prev?.kind === 'key' && prev.name.toLowerCase() === 'hashes';
    for (let v of current) {
      if (step.kind === 'key') {
        if (typeof v === 'string') v = objects[v];
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          const rec = v as Rec;
          if (Object.keys(rec).includes(step.name)) next.push(rec[step.name]);
          else if (lenient) {
            const norm = (k: string): string => k.toUpperCase().replace(/[-_ ]/g, '');
            const k = Object.keys(rec).find((x) => norm(x) === norm(step.name));
            if (k !== undefined) next.push(rec[k]);
          }
        }
      } else if (Array.isArray(v)) {
        if (step.index === '*') next.push(...v);
        else if (step.index >= 0 && step.index < v.length) next.push(v[step.index]);
      }
    }
    current = next.filter((x) => x !== undefined);
  });
  return current;
}

const bytesOfLiteral = (l: Literal): string =>
  l.kind === 'binary'
    ? Buffer.from(l.value, 'base64').toString('latin1')
    : Buffer.from(l.value as string, 'hex').toString('latin1');

function bytesOfValue(v: string, path: ObjectPath): string | undefined {
  const last = path.steps.at(-1);
  const name = last?.kind === 'key' ? last.name : '';
  if (name.endsWith('_bin')) {
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) return undefined;
    return Buffer.from(v, 'base64').toString('latin1');
  }
  if (name.endsWith('_hex') || isHashValue(path)) {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(v)) return undefined;
    return Buffer.from(v, 'hex').toString('latin1');
  }
  // A plain string as octets: code points up to U+00FF, one octet each (§9.6.3).
  return /[^\u0000-\u00ff]/.test(v) ? undefined : v;
}

const isBinaryPath = (path: ObjectPath): boolean => {
  const last = path.steps.at(-1);
  const name = last?.kind === 'key' ? last.name : '';
  return name.endsWith('_bin') || name.endsWith('_hex');
};

/** -1/0/1 or undefined when incomparable. */
function order(v: unknown, l: Literal, path: ObjectPath): number | undefined {
  const sign = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);
  switch (l.kind) {
    case 'string': {
      if (typeof v !== 'string') return undefined;
      if (isBinaryPath(path)) {
        // The property's octets against the constant's (§9.6.3).
        const mine = bytesOfValue(v, path);
        const theirs = /[^\u0000-\u00ff]/.test(l.value) ? undefined : l.value;
        return mine === undefined || theirs === undefined ? undefined : sign(mine, theirs);
      }
      return isHashValue(path) ? sign(v.toLowerCase(), l.value.toLowerCase()) : sign(v, l.value);
    }
    case 'int':
    case 'float':
      return typeof v === 'number' ? sign(v, l.value) : undefined;
    case 'bool':
      return typeof v === 'boolean' ? sign(Number(v), Number(l.value)) : undefined;
    case 'timestamp': {
      if (typeof v !== 'string') return undefined;
      const t = refTime(v);
      return t === undefined ? undefined : sign(t, refTime(l.value)!);
    }
    default: {
      if (typeof v !== 'string') return undefined;
      const b = bytesOfValue(v, path);
      return b === undefined ? undefined : sign(b, bytesOfLiteral(l));
    }
  }
}

function likeToRegExp(p: string): RegExp {
  let src = '';
  for (const ch of p)
    src += ch === '%' ? '[\\s\\S]*' : ch === '_' ? '[\\s\\S]' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${src}$`, 'u');
}

function ipv4(s: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,3}))?$/.exec(s);
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const prefix = m[5] === undefined ? 32 : Number(m[5]);
  if (prefix > 32) return undefined;
  return [parts.reduce((a, p) => a * 256 + p, 0), prefix];
}
const within = (inner: [number, number], outer: [number, number]): boolean => {
  if (inner[1] < outer[1]) return false;
  const div = 2 ** (32 - outer[1]);
  return Math.floor(inner[0] / div) === Math.floor(outer[0] / div);
};

/** §9.6.1: a comparison of values of different types is false; NOT negates that, as any other result. */
function testValue(c: Comparison, v: unknown): boolean {
  if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return false;
  return plainTest(c, v) !== c.negated;
}

function plainTest(c: Comparison, v: string | number | boolean): boolean {
  const neg = false;
  const lit = c.value;
  switch (c.operator) {
    case '=':
      return (order(v, lit as Literal, c.path) === 0) !== neg;
    case '!=':
      return (order(v, lit as Literal, c.path) !== 0) !== neg;
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const r = order(v, lit as Literal, c.path);
      if (r === undefined) return false;
      const ok: boolean =
        c.operator === '<' ? r < 0 : c.operator === '<=' ? r <= 0 : c.operator === '>' ? r > 0 : r >= 0;
      return ok !== neg;
    }
    case 'IN': {
      const set = lit.kind === 'set' ? lit.values : [lit];
      return set.some((l) => order(v, l, c.path) === 0) !== neg;
    }
    case 'LIKE': {
      // Both sides in NFC (§9.6.1); a binary property's octets.
      if (typeof v !== 'string') return false;
      const text = isBinaryPath(c.path) ? bytesOfValue(v, c.path) : v.normalize('NFC');
      return (
        text !== undefined &&
        likeToRegExp(((lit as Literal).value as string).normalize('NFC')).test(text) !== neg
      );
    }
    case 'MATCHES': {
      if (typeof v !== 'string') return false;
      // binary properties are matched as their bytes; text in NFC, with '.' matching line breaks too (dotall)
      const bin = isBinaryPath(c.path);
      const text = bin ? bytesOfValue(v, c.path) : v.normalize('NFC');
      const source = (lit as Literal).value as string;
      return text !== undefined && new RegExp(bin ? source : source.normalize('NFC'), 's').test(text) !== neg;
    }
    case 'ISSUBSET':
    case 'ISSUPERSET': {
      if (typeof v !== 'string') return false;
      const mine = ipv4(v);
      const net = ipv4((lit as Literal).value as string);
      if (!mine || !net) return false;
      return (c.operator === 'ISSUBSET' ? within(mine, net) : within(net, mine)) !== neg;
    }
  }
}

/** §9.5: the inside of `[…]` holds when one object of the observation satisfies all of it. */
export function refComparison(e: ComparisonExpression, obs: Observation): boolean {
  const objects = obs.objects as Record<string, Rec>;
  return Object.values(objects).some((root) => onObject(e, root, objects));
}

function onObject(e: ComparisonExpression, root: Rec, objects: Record<string, Rec>): boolean {
  switch (e.kind) {
    case 'and':
      return e.operands.every((o) => onObject(o, root, objects));
    case 'or':
      return e.operands.some((o) => onObject(o, root, objects));
    default:
      return (
        root.type === e.path.objectType &&
        resolve(root, e.path, objects).some((v) => (e.kind === 'exists' ? v !== null : testValue(e, v)))
      );
  }
}

/** Every binding (as a list of observation indexes, with repeats) of an observation expression. */
function bindings(e: ObservationExpression, obs: readonly Observation[]): number[][] {
  const first = (i: number): number => refTime(obs[i]!.firstObserved)!;
  const last = (i: number): number => refTime(obs[i]!.lastObserved)!;
  const fits = (b: number[]): boolean =>
    b.every((i) => b.filter((j) => j === i).length <= Math.max(1, obs[i]!.numberObserved));
  const product = (lists: number[][][], ok: (parts: number[][]) => boolean): number[][] => {
    let acc: number[][][] = [[]];
    for (const list of lists) acc = acc.flatMap((parts) => list.map((b) => [...parts, b]));
    return acc.filter((parts) => fits(parts.flat()) && ok(parts)).map((parts) => parts.flat());
  };
  switch (e.kind) {
    case 'observation':
      return obs.flatMap((o, i) => (refComparison(e.comparison, o) ? [[i]] : []));
    case 'obs-or':
      return e.operands.flatMap((o) => bindings(o, obs));
    case 'obs-and':
      return product(
        e.operands.map((o) => bindings(o, obs)),
        () => true,
      );
    case 'followed-by':
      return product(
        e.operands.map((o) => bindings(o, obs)),
        (parts) =>
          parts.every((p, k) => k === 0 || Math.max(...parts[k - 1]!.map(last)) <= Math.min(...p.map(first))),
      );
    case 'qualified': {
      const q = e.qualifier;
      const inner = bindings(e.expression, obs);
      if (q.kind === 'within') {
        // Some moment of each observation's [first, last] span fits the window.
        return inner.filter((b) => Math.max(...b.map(first)) - Math.min(...b.map(last)) <= q.seconds * 1000);
      }
      if (q.kind === 'start-stop') {
        const start = refTime(q.start.value)!;
        const stop = refTime(q.stop.value)!;
        return inner.filter((b) => b.every((i) => first(i) >= start && last(i) < stop));
      }
      return product(
        Array.from({ length: q.times }, () => inner),
        () => true,
      );
    }
  }
}

export function refMatch(
  ast: PatternAst,
  obs: readonly Observation[],
): { matched: boolean; observations: number[] } {
  const all = bindings(ast.expression, obs);
  const used = [...new Set(all.flat())].sort((a, b) => a - b);
  return { matched: all.length > 0, observations: used };
}
