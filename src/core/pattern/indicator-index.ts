/**
 * Many indicators compiled into one structure. Each `[…]` of each pattern gets anchors: string equality becomes a
 * hash lookup on its (object type, path); `LIKE`/`MATCHES` with a required literal go into one Aho–Corasick
 * automaton per (type, path); anything else is anchored on its object type. An observation only runs the leaf
 * tests its anchors select, then the same evaluation as `matchPattern` on the leaf lists, so results are
 * identical to evaluating every pattern.
 */
import type { ComparisonExpression, ObjectPath, PatternAst } from './ast.js';
import { AhoCorasick } from './aho-corasick.js';
import { compilePath, isHashValuePath } from './compile.js';
import type { ObservationTest, PathWalker, ValueTest } from './compile.js';
import { evaluate } from './evaluate.js';
import { likeRequiredLiteral } from './like.js';
import { compilePattern } from './matcher.js';
import type { CompiledPattern } from './matcher.js';
import type { Observation, PreparedObservation } from './observation.js';
import { prepareObservation } from './observation.js';
import { printPath } from './printer.js';
import { compileRegex } from './regex.js';

export interface IndicatorInput {
  readonly id: string;
  readonly pattern: string;
}

export interface IndicatorIndex {
  readonly size: number;
  /** indicator ids whose whole pattern is satisfied by this single observation (fast path for log lines) */
  matchObservation(obs: Observation): string[];
  /** exact same results as running matchPattern for every indicator over the whole set */
  matchObservations(obs: readonly Observation[]): Map<string, number[]>;
}

/** Index statistics, for benchmarks and operators. */
export interface IndexStats {
  readonly indicators: number;
  readonly leaves: number;
  readonly equalityAnchored: number;
  readonly substringAnchored: number;
  readonly typeAnchored: number;
}

type Anchor =
  | { readonly kind: 'eq'; readonly path: ObjectPath; readonly ci: boolean; readonly value: string }
  | { readonly kind: 'sub'; readonly path: ObjectPath; readonly literal: string };

/** Literals shorter than this select too much to be worth a pre-filter entry. */
const MIN_LITERAL = 3;

/** Anchors such that the expression can only be true when one of them is hit; undefined when none exist. */
function anchorsOf(e: ComparisonExpression): Anchor[] | undefined {
  switch (e.kind) {
    case 'exists':
      return undefined;
    case 'comparison': {
      if (e.negated) return undefined;
      const ci = isHashValuePath(e.path);
      if (e.operator === '=' && e.value.kind === 'string') {
        return [{ kind: 'eq', path: e.path, ci, value: ci ? e.value.value.toLowerCase() : e.value.value }];
      }
      if (e.operator === 'IN' && e.value.kind === 'set' && e.value.values.every((v) => v.kind === 'string')) {
        return e.value.values.map((v) => ({
          kind: 'eq' as const,
          path: e.path,
          ci,
          value: ci ? v.value.toLowerCase() : v.value,
        }));
      }
      const last = e.path.steps.at(-1);
      const isBin = last?.kind === 'key' && last.name.endsWith('_bin');
      if (e.operator === 'LIKE' && e.value.kind === 'string') {
        const literal = likeRequiredLiteral(e.value.value);
        return literal.length >= MIN_LITERAL ? [{ kind: 'sub', path: e.path, literal }] : undefined;
      }
      if (e.operator === 'MATCHES' && e.value.kind === 'string' && !isBin) {
        const literal = compileRegex(e.value.value).required;
        return literal.length >= MIN_LITERAL ? [{ kind: 'sub', path: e.path, literal }] : undefined;
      }
      return undefined;
    }
    case 'and': {
      let best: Anchor[] | undefined;
      for (const op of e.operands) {
        const a = anchorsOf(op);
        if (!a) continue;
        const score = (x: Anchor[]): number => x.length + (x.some((y) => y.kind === 'sub') ? 1000 : 0);
        if (!best || score(a) < score(best)) best = a;
      }
      return best;
    }
    case 'or': {
      const all: Anchor[] = [];
      for (const op of e.operands) {
        const a = anchorsOf(op);
        if (!a) return undefined;
        all.push(...a);
      }
      return all;
    }
  }
}

/** Object types one of which must be present for the expression to be true. */
function typesOf(e: ComparisonExpression): string[] {
  switch (e.kind) {
    case 'comparison':
    case 'exists':
      return [e.path.objectType];
    case 'and':
      return typesOf(e.operands[0] as ComparisonExpression);
    case 'or':
      return [...new Set(e.operands.flatMap(typesOf))];
  }
}

interface EqIndex {
  readonly walk: PathWalker;
  readonly ci: boolean;
  readonly values: Map<string, number[]>;
}
interface SubIndex {
  readonly walk: PathWalker;
  readonly automaton: AhoCorasick<number>;
}
interface TypeIndexes {
  readonly eq: EqIndex[];
  readonly sub: SubIndex[];
  readonly always: number[];
}

class Index implements IndicatorIndex {
  readonly size: number;
  private readonly byType = new Map<string, TypeIndexes>();
  /** Global leaf id → owning indicator and its test. */
  private readonly leafIndicator: Int32Array;
  private readonly leafTest: ObservationTest[];
  private readonly leafOffset: Int32Array;
  private seen: Uint32Array;
  private gen = 0;
  readonly stats: IndexStats;

  constructor(
    private readonly ids: readonly string[],
    private readonly compiled: readonly CompiledPattern[],
  ) {
    this.size = ids.length;
    const leafIndicator: number[] = [];
    const leafTest: ObservationTest[] = [];
    const leafOffset = new Int32Array(compiled.length + 1);
    const eqGroups = new Map<
      string,
      { type: string; path: ObjectPath; ci: boolean; values: Map<string, number[]> }
    >();
    const subGroups = new Map<string, { type: string; path: ObjectPath; literals: [string, number][] }>();
    const always = new Map<string, number[]>();
    let eqCount = 0;
    let subCount = 0;
    let typeCount = 0;
    compiled.forEach((cp, ind) => {
      leafOffset[ind] = leafTest.length;
      for (const leaf of cp.leaves) {
        const id = leafTest.length;
        leafTest.push(leaf.test);
        leafIndicator.push(ind);
        const anchors = anchorsOf(leaf.node.comparison);
        if (!anchors) {
          typeCount++;
          for (const t of typesOf(leaf.node.comparison)) {
            const list = always.get(t);
            if (list) list.push(id);
            else always.set(t, [id]);
          }
          continue;
        }
        if (anchors.some((a) => a.kind === 'sub')) subCount++;
        else eqCount++;
        for (const a of anchors) {
          const key = `${a.kind === 'eq' && a.ci ? 'ci:' : ''}${printPath(a.path)}`;
          if (a.kind === 'eq') {
            let g = eqGroups.get(key);
            if (!g)
              eqGroups.set(key, (g = { type: a.path.objectType, path: a.path, ci: a.ci, values: new Map() }));
            const list = g.values.get(a.value);
            if (list) {
              if (list[list.length - 1] !== id) list.push(id);
            } else g.values.set(a.value, [id]);
          } else {
            let g = subGroups.get(key);
            if (!g) subGroups.set(key, (g = { type: a.path.objectType, path: a.path, literals: [] }));
            g.literals.push([a.literal, id]);
          }
        }
      }
    });
    leafOffset[compiled.length] = leafTest.length;
    const typeIndexes = (t: string): TypeIndexes => {
      let ti = this.byType.get(t);
      if (!ti) this.byType.set(t, (ti = { eq: [], sub: [], always: [] }));
      return ti;
    };
    for (const g of eqGroups.values())
      typeIndexes(g.type).eq.push({ walk: compilePath(g.path), ci: g.ci, values: g.values });
    for (const g of subGroups.values()) {
      const automaton = new AhoCorasick<number>();
      for (const [lit, id] of g.literals) automaton.add(lit, id);
      typeIndexes(g.type).sub.push({ walk: compilePath(g.path), automaton: automaton.build() });
    }
    for (const [t, ids2] of always) typeIndexes(t).always.push(...ids2);
    this.leafIndicator = Int32Array.from(leafIndicator);
    this.leafTest = leafTest;
    this.leafOffset = leafOffset;
    this.seen = new Uint32Array(leafTest.length);
    this.stats = {
      indicators: ids.length,
      leaves: leafTest.length,
      equalityAnchored: eqCount,
      substringAnchored: subCount,
      typeAnchored: typeCount,
    };
  }

  /** Leaf ids whose test passes on `p` (each at most once), in ascending order of discovery. */
  private leavesHit(p: PreparedObservation, out: number[]): void {
    if (++this.gen === 0xffffffff) {
      this.seen.fill(0);
      this.gen = 1;
    }
    const gen = this.gen;
    const seen = this.seen;
    const tests = this.leafTest;
    const consider = (id: number): void => {
      if (seen[id] === gen) return;
      seen[id] = gen;
      if ((tests[id] as ObservationTest)(p)) out.push(id);
    };
    for (const [type, roots] of p.byType) {
      const ti = this.byType.get(type);
      if (!ti) continue;
      for (const eq of ti.eq) {
        const onValue: ValueTest = (v) => {
          if (typeof v === 'string') {
            const ids = eq.values.get(eq.ci ? v.toLowerCase() : v);
            if (ids) for (const id of ids) consider(id);
          }
          return false;
        };
        for (const root of roots) eq.walk(root, p.objects, onValue);
      }
      for (const sub of ti.sub) {
        const onValue: ValueTest = (v) => {
          if (typeof v === 'string') sub.automaton.scan(v, consider);
          return false;
        };
        for (const root of roots) sub.walk(root, p.objects, onValue);
      }
      for (const id of ti.always) consider(id);
    }
  }

  matchObservation(obs: Observation): string[] {
    return [...this.matchObservations([obs]).keys()];
  }

  matchObservations(observations: readonly Observation[]): Map<string, number[]> {
    const n = observations.length;
    const first = new Float64Array(n);
    const last = new Float64Array(n);
    const count = new Float64Array(n);
    const hitsByLeaf = new Map<number, number[]>();
    const hit: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = prepareObservation(observations[i] as Observation);
      first[i] = p.first;
      last[i] = p.last;
      count[i] = p.count;
      hit.length = 0;
      this.leavesHit(p, hit);
      for (const id of hit) {
        const list = hitsByLeaf.get(id);
        if (list) list.push(i);
        else hitsByLeaf.set(id, [i]);
      }
    }
    const indicators = new Set<number>();
    for (const id of hitsByLeaf.keys()) indicators.add(this.leafIndicator[id] as number);
    const times = { first, last, count };
    const result = new Map<string, number[]>();
    for (const ind of [...indicators].sort((a, b) => a - b)) {
      const cp = this.compiled[ind] as CompiledPattern;
      const from = this.leafOffset[ind] as number;
      const lists = cp.leaves.map((_, k) => hitsByLeaf.get(from + k) ?? []);
      const matched = cp.root.t === 'leaf' ? (lists[0] ?? []) : evaluate(cp.root, lists, times);
      if (matched.length > 0) result.set(this.ids[ind] as string, matched);
    }
    return result;
  }
}

/** Build an index; patterns that do not parse, validate or compile are returned in `rejected` with the reason. */
export function buildIndex(
  indicators: readonly IndicatorInput[],
  check: (text: string) => { ok: true; ast: PatternAst } | { ok: false; error: { message: string } },
): { index: IndicatorIndex & { readonly stats: IndexStats }; rejected: { id: string; error: string }[] } {
  const ids: string[] = [];
  const compiled: CompiledPattern[] = [];
  const rejected: { id: string; error: string }[] = [];
  const seenIds = new Set<string>();
  for (const ind of indicators) {
    if (seenIds.has(ind.id)) {
      rejected.push({ id: ind.id, error: 'duplicate indicator id' });
      continue;
    }
    const checked = check(ind.pattern);
    if (!checked.ok) {
      rejected.push({ id: ind.id, error: checked.error.message });
      continue;
    }
    try {
      compiled.push(compilePattern(checked.ast));
    } catch (err) {
      rejected.push({ id: ind.id, error: (err as Error).message });
      continue;
    }
    seenIds.add(ind.id);
    ids.push(ind.id);
  }
  return { index: new Index(ids, compiled), rejected };
}
