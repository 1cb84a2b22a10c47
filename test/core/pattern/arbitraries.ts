/** fast-check generators for canonical pattern ASTs and small observation sets. */
import fc from 'fast-check';
import type {
  ComparisonExpression,
  ComparisonOperator,
  Literal,
  ObjectPath,
  ObservationExpression,
  PathStep,
  PatternAst,
  Qualifier,
} from '../../../src/core/pattern/index.js';
import type { Observation } from '../../../src/core/pattern/index.js';

const key = (name: string): PathStep => ({ kind: 'key', name });
const idx = (index: number | '*'): PathStep => ({ kind: 'index', index });
const path = (objectType: string, ...steps: PathStep[]): ObjectPath => ({ kind: 'path', objectType, steps });

/** Paths that exist (or nearly exist) in the generated observations. */
export const PATHS: readonly ObjectPath[] = [
  path('ipv4-addr', key('value')),
  path('domain-name', key('value')),
  path('domain-name', key('resolves_to_refs'), idx('*'), key('value')),
  path('domain-name', key('resolves_to_refs'), idx(0), key('value')),
  path('file', key('name')),
  path('file', key('size')),
  path('file', key('hashes'), key('SHA-256')),
  path('file', key('hashes'), key('MD5')),
  path('file', key('tags'), idx('*')),
  path('file', key('tags'), idx(-1)),
  path('file', key('mtime')),
  path('file', key('payload_bin')),
  path('file', key('magic_number_hex')),
  path('file', key('parent_ref'), key('name')),
  path('file', key('is_hidden')),
  path('x-custom', key('weird key')),
];

const STRINGS = ['a', 'ab', 'AbC', 'abc', '10.0.0.1', '10.1.2.3', "it's", 'back\\slash', ''];
const str = fc.constantFrom(...STRINGS).map((value): Literal => ({ kind: 'string', value }));
const int = fc.constantFrom(0, 1, 5, -3, 1024).map((value): Literal => ({ kind: 'int', value }));
const float = fc
  .constantFrom(1.5, 0.25, -2.5, 1e21, 1e-7)
  .map((value): Literal => ({ kind: 'float', value }));
const bool = fc.boolean().map((value): Literal => ({ kind: 'bool', value }));
const ts = fc
  .constantFrom('2020-01-01T00:00:00Z', '2020-01-01T00:00:30.5Z', '2020-01-01T00:10:00Z')
  .map((value): Literal => ({ kind: 'timestamp', value }));
const hex = fc.constantFrom('', 'ab', '00ff', '616263').map((value): Literal => ({ kind: 'hex', value }));
const bin = fc.constantFrom('', 'YWJj', 'YQ==', 'AP8=').map((value): Literal => ({ kind: 'binary', value }));
const anyLiteral = fc.oneof(str, int, float, bool, ts, hex, bin);
const orderable = fc.oneof(str, int, float, ts, hex, bin);

const LIKES = ['a%', '%c', '_', 'a_', '%', 'ab', '%b%'];
const REGEXES = ['a', '^a', 'c$', 'a|b', '[ab]+c', '^\\d+\\.\\d+', '.', 'B'];
const CIDRS = ['10.0.0.0/8', '10.0.0.1', '10.1.0.0/16', '0.0.0.0/0', '192.168.0.0/16'];

const comparison: fc.Arbitrary<ComparisonExpression> = fc
  .tuple(
    fc.constantFrom(...PATHS),
    fc.boolean(),
    fc.constantFrom<ComparisonOperator>(
      '=',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
      'IN',
      'LIKE',
      'MATCHES',
      'ISSUBSET',
      'ISSUPERSET',
    ),
    anyLiteral,
    orderable,
    fc.array(anyLiteral, { maxLength: 3 }),
    fc.constantFrom(...LIKES),
    fc.constantFrom(...REGEXES),
    fc.constantFrom(...CIDRS),
  )
  .map(([p, negated, operator, any, ord, set, like, re, cidr]): ComparisonExpression => {
    const value = ((): ComparisonExpression & { kind: 'comparison' } extends { value: infer V }
      ? V
      : never => {
      switch (operator) {
        case '=':
        case '!=':
          return any;
        case 'IN':
          return { kind: 'set', values: set };
        case 'LIKE':
          return { kind: 'string', value: like };
        case 'MATCHES':
          return { kind: 'string', value: re };
        case 'ISSUBSET':
        case 'ISSUPERSET':
          return { kind: 'string', value: cidr };
        default:
          return ord;
      }
    })();
    return { kind: 'comparison', path: p, operator, negated, value };
  });

const exists = fc.constantFrom(...PATHS).map((p): ComparisonExpression => ({ kind: 'exists', path: p }));

function flat<T extends { kind: string }>(kind: string, ops: T[]): T[] {
  return ops.flatMap((o) => (o.kind === kind ? (o as unknown as { operands: T[] }).operands : [o]));
}

const comparisonExpr: fc.Arbitrary<ComparisonExpression> = fc.letrec<{ e: ComparisonExpression }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    exists,
    fc
      .tuple(
        fc.constantFrom('and' as const, 'or' as const),
        fc.array(tie('e'), { minLength: 2, maxLength: 3 }),
      )
      .map(([kind, ops]): ComparisonExpression => ({ kind, operands: flat(kind, ops) })),
  ),
})).e;

const qualifier: fc.Arbitrary<Qualifier> = fc.oneof(
  fc.constantFrom(1, 30, 60, 0.5, 600).map((seconds): Qualifier => ({ kind: 'within', seconds })),
  fc.constantFrom(1, 2, 3).map((times): Qualifier => ({ kind: 'repeats', times })),
  fc
    .constantFrom(
      ['2020-01-01T00:00:00Z', '2020-01-01T00:01:00Z'],
      ['2019-01-01T00:00:00Z', '2021-01-01T00:00:00.001Z'],
      ['2020-01-01T00:00:30Z', '2020-01-01T00:00:30.5Z'],
    )
    .map(([a, b]): Qualifier => ({
      kind: 'start-stop',
      start: { kind: 'timestamp', value: a },
      stop: { kind: 'timestamp', value: b },
    })),
);

export function observationExpr(maxDepth: number): fc.Arbitrary<ObservationExpression> {
  return fc.letrec<{ e: ObservationExpression }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      comparisonExpr.map((comparison): ObservationExpression => ({ kind: 'observation', comparison })),
      fc
        .tuple(
          fc.constantFrom('obs-and' as const, 'obs-or' as const, 'followed-by' as const),
          fc.array(tie('e'), { minLength: 2, maxLength: 3 }),
        )
        .map(([kind, ops]): ObservationExpression => ({ kind, operands: flat(kind, ops) })),
      fc.tuple(tie('e'), qualifier).map(([expression, q]): ObservationExpression => ({
        kind: 'qualified',
        expression,
        qualifier: q,
      })),
    ),
  })).e;
}

export const patternAst = (maxDepth = 3): fc.Arbitrary<PatternAst> =>
  observationExpr(maxDepth).map((expression) => ({ kind: 'pattern', expression }));

/** Small patterns for brute-force comparison: at most a few leaves and REPEATS ≤ 2. */
export const smallPatternAst = patternAst(2).filter(
  (ast) => leafCount(ast.expression) <= 4 && repeatsProduct(ast.expression) <= 4,
);

function leafCount(e: ObservationExpression): number {
  if (e.kind === 'observation') return 1;
  if (e.kind === 'qualified')
    return leafCount(e.expression) * (e.qualifier.kind === 'repeats' ? e.qualifier.times : 1);
  return e.operands.reduce((n, o) => n + leafCount(o), 0);
}
function repeatsProduct(e: ObservationExpression): number {
  if (e.kind === 'observation') return 1;
  if (e.kind === 'qualified')
    return repeatsProduct(e.expression) * (e.qualifier.kind === 'repeats' ? e.qualifier.times : 1);
  return Math.max(...e.operands.map(repeatsProduct));
}

const VALUES = [
  'a',
  'ab',
  'AbC',
  'abc',
  'ABC',
  '10.0.0.1',
  '10.1.2.3',
  '192.168.1.1',
  '10.0.0.0/24',
  "it's",
  '',
];
const value = fc.oneof(
  fc.constantFrom<unknown>(...VALUES),
  fc.constantFrom<unknown>(0, 1, 5, -3, 1.5, 1024, true, false, null),
  fc.constantFrom<unknown>(
    '2020-01-01T00:00:00Z',
    '2020-01-01T00:00:30.5Z',
    'YWJj',
    'YQ==',
    '616263',
    '00FF',
  ),
);

const TIMES = [
  '2020-01-01T00:00:00Z',
  '2020-01-01T00:00:30Z',
  '2020-01-01T00:00:30.5Z',
  '2020-01-01T00:01:00Z',
  '2020-01-01T00:10:00Z',
];

const object = fc.record({
  type: fc.constantFrom('ipv4-addr', 'domain-name', 'file', 'x-custom'),
  value,
  name: value,
  size: value,
  tags: fc.array(value, { maxLength: 3 }),
  hashes: fc.record({
    k: fc.constantFrom('SHA-256', 'sha256', 'MD5', 'md5'),
    v: fc.constantFrom('AB', 'ab', '616263', 'zz'),
  }),
  mtime: value,
  payload_bin: value,
  magic_number_hex: value,
  is_hidden: value,
  weird: value,
  ref: fc.boolean(),
});

export const observations: fc.Arbitrary<Observation[]> = fc
  .array(
    fc.record({
      t: fc.tuple(fc.constantFrom(...TIMES), fc.constantFrom(0, 1)),
      count: fc.constantFrom(1, 1, 2),
      objs: fc.array(object, { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 0, maxLength: 4 },
  )
  .map((list) =>
    list.map(({ t, count, objs }): Observation => {
      const [firstT, lag] = t;
      const first = firstT;
      const last = lag ? TIMES[Math.min(TIMES.length - 1, TIMES.indexOf(firstT) + 1)]! : firstT;
      const objects: Record<string, Record<string, unknown>> = {};
      objs.forEach((o, i) => {
        const rec: Record<string, unknown> = { type: o.type };
        const put = (k: string, v: unknown): void => {
          if (v !== undefined) rec[k] = v;
        };
        put('value', o.value);
        put('name', o.name);
        put('size', o.size);
        put('tags', o.tags);
        rec.hashes = { [o.hashes.k]: o.hashes.v };
        put('mtime', o.mtime);
        put('payload_bin', o.payload_bin);
        put('magic_number_hex', o.magic_number_hex);
        put('is_hidden', o.is_hidden);
        put('weird key', o.weird);
        if (o.ref && i > 0) {
          rec.parent_ref = String(i - 1);
          rec.resolves_to_refs = [String(i - 1)];
        }
        objects[String(i)] = rec;
      });
      return { firstObserved: first, lastObserved: last, numberObserved: count, objects };
    }),
  );
