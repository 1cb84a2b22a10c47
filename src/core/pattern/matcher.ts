/** Compile a pattern once (closures per `[…]`, an evaluation tree above them) and match observations with it. */
import type { ObservationNode, PatternAst } from './ast.js';
import { compileComparisonExpression } from './compile.js';
import type { ObservationTest } from './compile.js';
import { EntenteError } from '../errors.js';
import {
  buildEvalTree,
  evaluate,
  isSingleObservation,
  MAX_OBSERVATIONS_PER_MATCH,
  observationsPerMatch,
} from './evaluate.js';
import type { EvalNode, ObservationTimes } from './evaluate.js';
import type { Observation, PreparedObservation } from './observation.js';
import { preparedOf } from './observation.js';

export interface CompiledPattern {
  readonly ast: PatternAst;
  /** One entry per `[…]` in source order: the node and its compiled test. */
  readonly leaves: readonly { readonly node: ObservationNode; readonly test: ObservationTest }[];
  readonly root: EvalNode;
  /** True when every match is a single observation (no AND/FOLLOWEDBY/REPEATS across observations). */
  readonly singleObservation: boolean;
}

const compiled = new WeakMap<PatternAst, CompiledPattern>();

/** Throws INVALID for a `MATCHES` expression the regex engine rejects. */
export function compilePattern(ast: PatternAst): CompiledPattern {
  const hit = compiled.get(ast);
  if (hit) return hit;
  const cp = compileUncached(ast);
  compiled.set(ast, cp);
  return cp;
}

/** Without the per-AST cache: for the index, which keeps its own and would only burden the GC with a WeakMap. */
export function compileUncached(ast: PatternAst): CompiledPattern {
  const needed = observationsPerMatch(ast.expression);
  if (needed > MAX_OBSERVATIONS_PER_MATCH) {
    throw new EntenteError(
      'INVALID',
      `a match of this pattern needs ${needed} observations; the limit is ${MAX_OBSERVATIONS_PER_MATCH}`,
    );
  }
  const leaves: { node: ObservationNode; test: ObservationTest }[] = [];
  const root = buildEvalTree(
    ast,
    (node) => ({ node, test: compileComparisonExpression(node.comparison) }),
    leaves,
  );
  const cp: CompiledPattern = Object.freeze({
    ast,
    leaves: Object.freeze(leaves),
    root,
    singleObservation: isSingleObservation(root),
  });
  return cp;
}

export function timesOf(prepared: readonly PreparedObservation[]): ObservationTimes {
  const n = prepared.length;
  const first = new Float64Array(n);
  const last = new Float64Array(n);
  const count = new Float64Array(n);
  prepared.forEach((p, i) => {
    first[i] = p.first;
    last[i] = p.last;
    count[i] = p.count;
  });
  return { first, last, count };
}

export function matchCompiled(
  cp: CompiledPattern,
  prepared: readonly PreparedObservation[],
  times?: ObservationTimes,
): { matched: boolean; observations: number[] } {
  const lists = cp.leaves.map(({ test }) => {
    const out: number[] = [];
    for (let i = 0; i < prepared.length; i++) if (test.test(prepared[i] as PreparedObservation)) out.push(i);
    return out;
  });
  if (cp.root.t === 'leaf') {
    const only = lists[0] ?? [];
    return { matched: only.length > 0, observations: only };
  }
  const observations = evaluate(cp.root, lists, times ?? timesOf(prepared));
  return { matched: observations.length > 0, observations };
}

/**
 * Match a pattern against observations. `observations` in the result are the indexes of every observation that
 * takes part in some way of satisfying the pattern (empty when it does not match).
 */
export function matchPattern(
  ast: PatternAst,
  observations: readonly Observation[],
): { matched: boolean; observations: number[] } {
  const prepared = preparedList(observations);
  return matchCompiled(compilePattern(ast), prepared.prepared, prepared.times);
}

interface PreparedList {
  readonly items: readonly Observation[];
  readonly prepared: readonly PreparedObservation[];
  readonly times: ObservationTimes;
}
const lists = new WeakMap<readonly Observation[], PreparedList>();

/**
 * Callers often match many patterns against one array: prepare it once. The cache is checked element by element,
 * so an array mutated between calls is prepared again rather than served stale.
 */
function preparedList(observations: readonly Observation[]): PreparedList {
  const hit = lists.get(observations);
  if (hit && hit.items.length === observations.length) {
    let same = true;
    for (let i = 0; i < observations.length && same; i++) same = hit.items[i] === observations[i];
    if (same) return hit;
  }
  const prepared = observations.map(preparedOf);
  const entry = { items: [...observations], prepared, times: timesOf(prepared) };
  lists.set(observations, entry);
  return entry;
}
