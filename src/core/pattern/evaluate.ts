/**
 * Observation-operator semantics over per-leaf match lists. A leaf is one `[…]`; its list holds the indexes of
 * the observations satisfying it. A binding assigns each leaf occurrence a different observation (an observation
 * with `number_observed` = n may be used n times). The result is every observation that takes part in at least
 * one binding; the search is bounded by a step budget so no pattern can hang the process.
 */
import { EntenteError } from '../errors.js';
import type { ObservationExpression, PatternAst } from './ast.js';
import { timestampMillis } from './literals.js';

export type EvalNode =
  | { readonly t: 'leaf'; readonly id: number }
  | { readonly t: 'and' | 'or' | 'fb'; readonly kids: readonly EvalNode[] }
  | { readonly t: 'within'; readonly ms: number; readonly kid: EvalNode }
  | { readonly t: 'repeats'; readonly n: number; readonly kid: EvalNode }
  | { readonly t: 'startstop'; readonly start: number; readonly stop: number; readonly kid: EvalNode };

/** Times and capacities of the observations, by index. */
export interface ObservationTimes {
  readonly first: ArrayLike<number>;
  readonly last: ArrayLike<number>;
  readonly count: ArrayLike<number>;
}

export const DEFAULT_STEP_BUDGET = 2_000_000;

/** Build the evaluation tree; `leaves` receives each `[…]` in order (its index is the leaf id). */
export function buildEvalTree<L>(
  ast: PatternAst,
  leafOf: (node: ObservationExpression & { kind: 'observation' }) => L,
  leaves: L[],
): EvalNode {
  const build = (e: ObservationExpression): EvalNode => {
    switch (e.kind) {
      case 'observation':
        leaves.push(leafOf(e));
        return { t: 'leaf', id: leaves.length - 1 };
      case 'obs-and':
        return { t: 'and', kids: e.operands.map(build) };
      case 'obs-or':
        return { t: 'or', kids: e.operands.map(build) };
      case 'followed-by':
        return { t: 'fb', kids: e.operands.map(build) };
      case 'qualified': {
        const kid = build(e.expression);
        const q = e.qualifier;
        if (q.kind === 'within') return { t: 'within', ms: q.seconds * 1000, kid };
        if (q.kind === 'repeats') return { t: 'repeats', n: q.times, kid };
        return {
          t: 'startstop',
          start: timestampMillis(q.start.value) as number,
          stop: timestampMillis(q.stop.value) as number,
          kid,
        };
      }
    }
  };
  return build(ast.expression);
}

/** The most observations one match can need: the search nests this deep, so it is bounded. */
export const MAX_OBSERVATIONS_PER_MATCH = 1_000;

export function observationsPerMatch(e: ObservationExpression): number {
  switch (e.kind) {
    case 'observation':
      return 1;
    case 'obs-or':
      return Math.max(...e.operands.map(observationsPerMatch));
    case 'obs-and':
    case 'followed-by':
      return e.operands.reduce((n, o) => n + observationsPerMatch(o), 0);
    case 'qualified':
      return observationsPerMatch(e.expression) * (e.qualifier.kind === 'repeats' ? e.qualifier.times : 1);
  }
}

/** True when every binding uses exactly one observation (only OR, WITHIN and START/STOP above the leaves). */
export function isSingleObservation(node: EvalNode): boolean {
  switch (node.t) {
    case 'leaf':
      return true;
    case 'or':
      return node.kids.every(isSingleObservation);
    case 'within':
    case 'startstop':
      return isSingleObservation(node.kid);
    default:
      return false;
  }
}

function mergeSorted(lists: readonly (readonly number[])[]): number[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return [...(nonEmpty[0] as readonly number[])];
  const all = new Set<number>();
  for (const l of nonEmpty) for (const i of l) all.add(i);
  return [...all].sort((a, b) => a - b);
}

/** Participants when each binding is a single observation: no search needed. */
function singleSet(node: EvalNode, lists: readonly (readonly number[])[], times: ObservationTimes): number[] {
  switch (node.t) {
    case 'leaf':
      return [...(lists[node.id] ?? [])];
    case 'or':
      return mergeSorted(node.kids.map((k) => singleSet(k, lists, times)));
    case 'within':
      // One observation can always have happened within any window (see `spread`).
      return singleSet(node.kid, lists, times);
    case 'startstop':
      return singleSet(node.kid, lists, times).filter(
        (i) => (times.first[i] as number) >= node.start && (times.last[i] as number) < node.stop,
      );
    default:
      throw new Error('not a single-observation node');
  }
}

function contains(sorted: readonly number[], x: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid] as number;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

class Search {
  readonly stack: number[] = [];
  readonly use = new Map<number, number>();
  /** The WITHIN windows around the part of the binding being built (`base`: where their observations start). */
  readonly windows: { readonly base: number; readonly ms: number }[] = [];
  steps = 0;
  forced = -1;
  constructor(
    readonly lists: readonly (readonly number[])[],
    readonly times: ObservationTimes,
    readonly budget: number,
  ) {}

  tick(): void {
    if (++this.steps > this.budget) {
      throw new EntenteError(
        'TOO_LARGE',
        `pattern evaluation gave up after ${this.budget} search steps; match against fewer observations`,
      );
    }
  }

  private minFirst(from: number): number {
    let m = Infinity;
    for (let k = from; k < this.stack.length; k++)
      m = Math.min(m, this.times.first[this.stack[k] as number] as number);
    return m;
  }
  /**
   * WITHIN (§9.5.1): each observation happened at some moment between its first_observed and last_observed, which
   * the data does not pin down ("it is not defined when the observations occur within that time window"). The
   * binding fits a window of n when some choice of those moments does: when the latest first_observed is at most
   * n after the earliest last_observed (as the OASIS matcher decides).
   */
  private spread(from: number): number {
    let maxFirst = -Infinity;
    let minLast = Infinity;
    for (let k = from; k < this.stack.length; k++) {
      const i = this.stack[k] as number;
      maxFirst = Math.max(maxFirst, this.times.first[i] as number);
      minLast = Math.min(minLast, this.times.last[i] as number);
    }
    return maxFirst - minLast;
  }
  private maxLast(from: number): number {
    let m = -Infinity;
    for (let k = from; k < this.stack.length; k++)
      m = Math.max(m, this.times.last[this.stack[k] as number] as number);
    return m;
  }
  private sortedSlice(from: number): number[] {
    return this.stack.slice(from).sort((a, b) => a - b);
  }

  *gen(node: EvalNode): Generator<void, void, undefined> {
    switch (node.t) {
      case 'leaf': {
        const list = this.lists[node.id] ?? [];
        const forced = this.forced;
        if (forced >= 0 && contains(list, forced)) yield* this.tryObs(forced);
        for (const i of list) if (i !== forced) yield* this.tryObs(i);
        return;
      }
      case 'or':
        for (const kid of node.kids) yield* this.gen(kid);
        return;
      case 'and':
        yield* this.all(node.kids, 0);
        return;
      case 'fb':
        yield* this.followed(node.kids, 0, -Infinity);
        return;
      case 'within': {
        // The window is checked as each observation joins the binding (`tryObs`, the only place one joins; the
        // spread only grows), so a search that cannot fit is cut at once, and every binding the child yields fits.
        // The window is off while this yields outwards.
        const window = { base: this.stack.length, ms: node.ms };
        this.windows.push(window);
        try {
          for (const _ of this.gen(node.kid)) {
            this.tick();
            this.windows.pop();
            yield;
            this.windows.push(window);
          }
        } finally {
          if (this.windows.at(-1) === window) this.windows.pop();
        }
        return;
      }
      case 'startstop': {
        const base = this.stack.length;
        for (const _ of this.gen(node.kid)) {
          this.tick();
          if (this.minFirst(base) >= node.start && this.maxLast(base) < node.stop) yield;
        }
        return;
      }
      case 'repeats':
        yield* this.repeats(node.kid, node.n, undefined);
        return;
    }
  }

  private *tryObs(i: number): Generator<void, void, undefined> {
    this.tick();
    const used = this.use.get(i) ?? 0;
    if (used >= (this.times.count[i] as number)) return;
    this.stack.push(i);
    // A WITHIN around this observation that the binding so far no longer fits: nothing down this way can. Each
    // window checked counts against the step budget, as the rest of the search does.
    this.steps += this.windows.length;
    for (const w of this.windows)
      if (this.spread(w.base) > w.ms) {
        this.stack.pop();
        return;
      }
    this.use.set(i, used + 1);
    yield;
    this.stack.pop();
    this.use.set(i, used);
  }

  private *all(kids: readonly EvalNode[], k: number): Generator<void, void, undefined> {
    if (k === kids.length) {
      yield;
      return;
    }
    for (const _ of this.gen(kids[k] as EvalNode)) yield* this.all(kids, k + 1);
  }

  private *followed(
    kids: readonly EvalNode[],
    k: number,
    prevLast: number,
  ): Generator<void, void, undefined> {
    if (k === kids.length) {
      yield;
      return;
    }
    const base = this.stack.length;
    for (const _ of this.gen(kids[k] as EvalNode)) {
      this.tick();
      if (this.minFirst(base) >= prevLast) yield* this.followed(kids, k + 1, this.maxLast(base));
    }
  }

  /** n disjoint bindings of `kid`, taken in non-decreasing order of their observation sets to skip permutations. */
  private *repeats(kid: EvalNode, n: number, prev: number[] | undefined): Generator<void, void, undefined> {
    if (n === 0) {
      yield;
      return;
    }
    const base = this.stack.length;
    for (const _ of this.gen(kid)) {
      this.tick();
      const key = this.sortedSlice(base);
      if (prev && compareKeys(key, prev) < 0) continue;
      yield* this.repeats(kid, n - 1, key);
    }
  }
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return (a[k] as number) - (b[k] as number);
  return a.length - b.length;
}

/**
 * Every observation index that takes part in some binding of `root`, ascending; empty when the pattern does not
 * match. Depends only on the leaf lists and the times of the observations in them.
 */
export function evaluate(
  root: EvalNode,
  lists: readonly (readonly number[])[],
  times: ObservationTimes,
  budget = DEFAULT_STEP_BUDGET,
): number[] {
  if (isSingleObservation(root)) return singleSet(root, lists, times);
  const search = new Search(lists, times, budget);
  const found = new Set<number>();
  const first = search.gen(root).next();
  if (first.done) return [];
  // the generator is abandoned mid-way: its bookkeeping is per-search, so start a fresh one below
  for (const i of search.stack) found.add(i);
  for (const c of mergeSorted(lists)) {
    if (found.has(c)) continue;
    const s = new Search(lists, times, budget - search.steps);
    s.forced = c;
    for (const _ of s.gen(root)) {
      if (s.stack.includes(c)) {
        for (const i of s.stack) found.add(i);
        break;
      }
    }
    search.steps += s.steps;
  }
  return [...found].sort((a, b) => a - b);
}
