/**
 * Many indicators compiled into one structure. Each `[…]` of each pattern gets anchors: string equality becomes a
 * hash lookup on its (object type, path); `LIKE`/`MATCHES` with a required literal go into one Aho–Corasick
 * automaton per (type, path); anything else is anchored on its object type. An observation only runs the leaf
 * tests its anchors select, then the same evaluation as `matchPattern` on the leaf lists, so results are
 * identical to evaluating every pattern.
 */
import type { ComparisonExpression, ObjectPath, PatternAst } from './ast.js';
import { EntenteError } from '../errors.js';
import { AhoCorasick } from './aho-corasick.js';
import { compilePath, fastIpv4, isBinaryPath, isHashValuePath, maskOf } from './compile.js';
import type { ObservationTest, PathWalker, ValueTest } from './compile.js';
import { evaluate } from './evaluate.js';
import { likeRequiredLiteral, nfc } from './like.js';
import { compileUncached } from './matcher.js';
import type { CompiledPattern } from './matcher.js';
import type { Observation, PreparedObservation } from './observation.js';
import { prepareObservation } from './observation.js';
import { printPath } from './printer.js';
import { compileRegex } from './regex.js';
import { StringTable } from './string-table.js';

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
  readonly cidrAnchored: number;
  readonly typeAnchored: number;
}

type Anchor =
  | { readonly kind: 'eq'; readonly path: ObjectPath; readonly ci: boolean; readonly value: string }
  /** IPv4 `ISSUBSET`: the observed address masked to `prefix` bits equals `network`. */
  | { readonly kind: 'cidr'; readonly path: ObjectPath; readonly network: number; readonly prefix: number }
  | { readonly kind: 'sub'; readonly path: ObjectPath; readonly literal: string };

/** Literals shorter than this select too much to be worth a pre-filter entry. */
const MIN_LITERAL = 3;

/** Anchors such that the expression can only be true when one of them is hit; undefined when none exist. */
/** How often an anchor's key occurs across all leaves: AND picks its most selective side with it. */
type AnchorCost = (a: Anchor) => number;
const UNIT_COST: AnchorCost = () => 1;

export function anchorKey(a: Anchor): string {
  const path = printPath(a.path);
  if (a.kind === 'eq') return `eq${a.ci ? 'i' : ''} ${path} ${a.value}`;
  if (a.kind === 'cidr') return `cidr ${path} ${a.network}/${a.prefix}`;
  return `sub ${path} ${a.literal}`;
}

/** Every anchor any side of any AND could use, for counting. */
function allAnchors(e: ComparisonExpression, out: Anchor[]): void {
  if (e.kind === 'and' || e.kind === 'or') {
    for (const op of e.operands) allAnchors(op, out);
    return;
  }
  const a = anchorsOf(e, UNIT_COST);
  if (a) out.push(...a);
}

function anchorsOf(e: ComparisonExpression, cost: AnchorCost): Anchor[] | undefined {
  switch (e.kind) {
    case 'exists':
      return undefined;
    case 'comparison': {
      if (e.negated) return undefined;
      // A binary property compares octets decoded from the stored text (§9.6.3): no anchor on that text.
      if (isBinaryPath(e.path)) return undefined;
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
      if (e.operator === 'ISSUBSET' && e.value.kind === 'string') {
        const parsed = fastIpv4(e.value.value);
        if (parsed < 0) return undefined;
        const prefix = parsed % 64;
        const network = (Math.floor(parsed / 64) & maskOf(prefix)) >>> 0;
        return [{ kind: 'cidr', path: e.path, network, prefix }];
      }
      if (e.operator === 'LIKE' && e.value.kind === 'string') {
        const literal = likeRequiredLiteral(e.value.value);
        return literal.length >= MIN_LITERAL ? [{ kind: 'sub', path: e.path, literal }] : undefined;
      }
      if (e.operator === 'MATCHES' && e.value.kind === 'string') {
        const literal = compileRegex(nfc(e.value.value)).required;
        return literal.length >= MIN_LITERAL ? [{ kind: 'sub', path: e.path, literal }] : undefined;
      }
      return undefined;
    }
    case 'and': {
      let best: Anchor[] | undefined;
      let bestScore = Infinity;
      for (const op of e.operands) {
        const a = anchorsOf(op, cost);
        if (!a) continue;
        // expected candidates: how many leaves share these anchors; a substring anchor also costs a scan
        let score = 0;
        for (const x of a) score += cost(x) + (x.kind === 'sub' ? 2 : 0);
        if (score < bestScore) {
          best = a;
          bestScore = score;
        }
      }
      return best;
    }
    case 'or': {
      const all: Anchor[] = [];
      for (const op of e.operands) {
        const a = anchorsOf(op, cost);
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

const PROBE_EQ = 0;
const PROBE_CIDR = 1;
const PROBE_SUB = 2;
type ProbeKind = typeof PROBE_EQ | typeof PROBE_CIDR | typeof PROBE_SUB;

/** Where a probe reports each string value found at its path. */
interface ProbeSink {
  probeValue(probe: Probe, value: string): void;
}

/**
 * One (type, path) looked at on every object of its type, and what to do with each string found there: a hash
 * lookup, CIDR lookups per prefix length, or an Aho–Corasick scan. One class for all three (dispatch on `kind`),
 * so the hot loop calls one monomorphic method; single-key paths (`value`, `name`) are read directly.
 */
class Probe implements ValueTest {
  constructor(
    readonly kind: ProbeKind,
    readonly walker: PathWalker,
    /** The key when the path is one plain key: read directly, no walk. */
    readonly key: string | undefined,
    private readonly sink: ProbeSink,
    /** PROBE_EQ: value (lower-cased when `ci`) → leaf ids */
    readonly values: StringTable<readonly number[]> | undefined,
    readonly ci: boolean,
    /** PROBE_CIDR: prefix lengths in use, and for each its network → leaf ids */
    readonly prefixes: Int32Array | undefined,
    readonly networks: readonly Map<number, readonly number[]>[] | undefined,
    /** PROBE_SUB */
    readonly automaton: AhoCorasick<number> | undefined,
  ) {}

  /** Called by the path walker for multi-step paths. */
  test(v: unknown): boolean {
    if (typeof v === 'string') this.sink.probeValue(this, v);
    return false;
  }
}

interface TypeIndexes {
  readonly probes: Probe[];
  readonly always: number[];
}

class Index implements IndicatorIndex {
  readonly size: number;
  /**
   * Indicators the last call could not decide within the evaluation budget (matchPattern would throw TOO_LARGE
   * for them); they are left out of that call's result.
   */
  overBudget: string[] = [];
  private readonly byType = new Map<string, TypeIndexes>();
  /** Global leaf id → owning indicator and its test. */
  private readonly leafIndicator: Int32Array;
  private readonly leafTest: ObservationTest[];
  private readonly leafOffset: Int32Array;
  private seen: Uint32Array;
  private gen = 0;
  /** The observation being probed and where hits go: instance state, so probes are built once, not per call. */
  private currentObs: Observation | undefined;
  /** Prepared only when some leaf is a candidate: most observations hit nothing and allocate nothing. */
  private current: PreparedObservation | undefined;
  private out: number[] = [];
  /** Reused for Aho–Corasick hits, so scans allocate nothing. */
  private readonly scanHits: number[] = [];
  /** Reused by matchObservation for its first pass. */
  private readonly singleHits: number[] = [];
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
    const cidrGroups = new Map<
      string,
      { type: string; path: ObjectPath; byPrefix: Map<number, Map<number, number[]>> }
    >();
    const always = new Map<string, number[]>();
    let eqCount = 0;
    let subCount = 0;
    let typeCount = 0;
    let cidrCount = 0;
    // first pass: how common each anchor is, so that AND anchors on its rarest side
    const frequency = new Map<string, number>();
    for (const cp of compiled) {
      for (const leaf of cp.leaves) {
        const found: Anchor[] = [];
        allAnchors(leaf.node.comparison, found);
        for (const a of found) {
          const k = anchorKey(a);
          frequency.set(k, (frequency.get(k) ?? 0) + 1);
        }
      }
    }
    const cost: AnchorCost = (a) => frequency.get(anchorKey(a)) ?? 1;
    compiled.forEach((cp, ind) => {
      leafOffset[ind] = leafTest.length;
      for (const leaf of cp.leaves) {
        const id = leafTest.length;
        leafTest.push(leaf.test);
        leafIndicator.push(ind);
        const anchors = anchorsOf(leaf.node.comparison, cost);
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
        else if (anchors.some((a) => a.kind === 'cidr')) cidrCount++;
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
          } else if (a.kind === 'cidr') {
            let g = cidrGroups.get(key);
            if (!g) cidrGroups.set(key, (g = { type: a.path.objectType, path: a.path, byPrefix: new Map() }));
            let byNet = g.byPrefix.get(a.prefix);
            if (!byNet) g.byPrefix.set(a.prefix, (byNet = new Map<number, number[]>()));
            const list = byNet.get(a.network);
            if (list) list.push(id);
            else byNet.set(a.network, [id]);
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
      if (!ti) this.byType.set(t, (ti = { probes: [], always: [] }));
      return ti;
    };
    const singleKey = (path: ObjectPath): string | undefined => {
      const first = path.steps[0];
      return path.steps.length === 1 && first?.kind === 'key' ? first.name : undefined;
    };
    for (const g of eqGroups.values()) {
      const probe = new Probe(
        PROBE_EQ,
        compilePath(g.path),
        singleKey(g.path),
        this,
        new StringTable(g.values),
        g.ci,
        undefined,
        undefined,
        undefined,
      );
      typeIndexes(g.type).probes.push(probe);
    }
    for (const g of cidrGroups.values()) {
      const byPrefix = [...g.byPrefix];
      const probe = new Probe(
        PROBE_CIDR,
        compilePath(g.path),
        singleKey(g.path),
        this,
        undefined,
        false,
        Int32Array.from(byPrefix.map(([prefix]) => prefix)),
        byPrefix.map(([, byNet]) => byNet),
        undefined,
      );
      typeIndexes(g.type).probes.push(probe);
    }
    for (const g of subGroups.values()) {
      const automaton = new AhoCorasick<number>();
      for (const [lit, id] of g.literals) automaton.add(lit, id);
      automaton.build();
      const probe = new Probe(
        PROBE_SUB,
        compilePath(g.path),
        singleKey(g.path),
        this,
        undefined,
        false,
        undefined,
        undefined,
        automaton,
      );
      typeIndexes(g.type).probes.push(probe);
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
      cidrAnchored: cidrCount,
      typeAnchored: typeCount,
    };
  }

  /** A leaf selected by an anchor: tested once per observation (the observation is prepared on first need). */
  private consider(id: number): void {
    if (this.seen[id] === this.gen) return;
    this.seen[id] = this.gen;
    this.current ??= prepareObservation(this.currentObs as Observation);
    if ((this.leafTest[id] as ObservationTest).test(this.current)) this.out.push(id);
  }

  private considerAll(ids: readonly number[]): void {
    for (let i = 0; i < ids.length; i++) this.consider(ids[i] as number);
  }

  /** A string found at a probe's path: select the leaves its anchors name. */
  probeValue(probe: Probe, v: string): void {
    switch (probe.kind) {
      case PROBE_EQ: {
        const table = probe.values as StringTable<readonly number[]>;
        const ids = probe.ci ? table.getLowerCase(v) : table.get(v);
        if (ids !== undefined) this.considerAll(ids);
        return;
      }
      case PROBE_CIDR: {
        const parsed = fastIpv4(v);
        if (parsed < 0) return; // not dotted-quad IPv4: cannot be inside an IPv4 network
        const addr = Math.floor(parsed / 64);
        const own = parsed % 64;
        const prefixes = probe.prefixes as Int32Array;
        const networks = probe.networks as readonly Map<number, readonly number[]>[];
        for (let k = 0; k < prefixes.length; k++) {
          const prefix = prefixes[k] as number;
          if (prefix > own) continue;
          const ids = (networks[k] as Map<number, readonly number[]>).get((addr & maskOf(prefix)) >>> 0);
          if (ids !== undefined) this.considerAll(ids);
        }
        return;
      }
      default: {
        const hits = this.scanHits;
        hits.length = 0;
        // LIKE and MATCHES compare in NFC, so the literals (taken from NFC constants) are looked for there too.
        (probe.automaton as AhoCorasick<number>).scanInto(nfc(v), hits);
        if (hits.length > 0) this.considerAll(hits);
      }
    }
  }

  /** Leaf ids whose test passes on `obs`; returns the prepared observation when one was needed. */
  private leavesHit(obs: Observation, out: number[]): PreparedObservation | undefined {
    if (++this.gen === 0xffffffff) {
      this.seen.fill(0);
      this.gen = 1;
    }
    this.currentObs = obs;
    this.current = undefined;
    this.out = out;
    const objects = obs.objects;
    // Object.values rather than for…in or Object.keys: no key strings, no second lookup per object
    const roots = Object.values(objects);
    for (let j = 0; j < roots.length; j++) {
      const root = roots[j];
      if (root === null || typeof root !== 'object') continue;
      const type = root.type;
      if (typeof type !== 'string') continue;
      const ti = this.byType.get(type);
      if (!ti) continue;
      const probes = ti.probes;
      for (let k = 0; k < probes.length; k++) {
        const probe = probes[k] as Probe;
        const key = probe.key;
        if (key !== undefined) {
          // same as PathWalker.some on a one-key path, without the call: only own string values matter
          const v = (root as Record<string, unknown>)[key];
          if (typeof v === 'string' && Object.hasOwn(root, key)) this.probeValue(probe, v);
        } else probe.walker.some(root, objects, probe);
      }
      const always = ti.always;
      for (let k = 0; k < always.length; k++) this.consider(always[k] as number);
    }
    const prepared = this.current;
    this.currentObs = undefined;
    this.current = undefined;
    return prepared;
  }

  matchObservation(obs: Observation): string[] {
    // most log lines hit no leaf: answer those without the batch machinery (typed arrays, maps, sets)
    const hit = this.singleHits;
    hit.length = 0;
    this.leavesHit(obs, hit);
    if (hit.length === 0) {
      this.overBudget = [];
      return [];
    }
    return [...this.matchObservations([obs]).keys()];
  }

  matchObservations(observations: readonly Observation[]): Map<string, number[]> {
    this.overBudget = [];
    const n = observations.length;
    const first = new Float64Array(n);
    const last = new Float64Array(n);
    const count = new Float64Array(n);
    const hitsByLeaf = new Map<number, number[]>();
    const hit: number[] = [];
    for (let i = 0; i < n; i++) {
      const obs = observations[i] as Observation;
      hit.length = 0;
      const p = this.leavesHit(obs, hit);
      if (hit.length === 0) continue;
      // times are read only for observations in some leaf list
      const prepared = p ?? prepareObservation(obs);
      first[i] = prepared.first;
      last[i] = prepared.last;
      count[i] = prepared.count;
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
      let matched: number[];
      try {
        matched = cp.root.t === 'leaf' ? (lists[0] ?? []) : evaluate(cp.root, lists, times);
      } catch (err) {
        // one indicator whose search exceeds its budget must not sink the batch: report it, keep going
        if (!(err instanceof EntenteError) || err.code !== 'TOO_LARGE') throw err;
        this.overBudget.push(this.ids[ind] as string);
        continue;
      }
      if (matched.length > 0) result.set(this.ids[ind] as string, matched);
    }
    return result;
  }
}

/** Build an index; patterns that do not parse, validate or compile are returned in `rejected` with the reason. */
export function buildIndex(
  indicators: readonly IndicatorInput[],
  check: (text: string) => { ok: true; ast: PatternAst } | { ok: false; error: { message: string } },
): {
  index: IndicatorIndex & { readonly stats: IndexStats; readonly overBudget: readonly string[] };
  rejected: { id: string; error: string }[];
} {
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
      compiled.push(compileUncached(checked.ast));
    } catch (err) {
      rejected.push({ id: ind.id, error: (err as Error).message });
      continue;
    }
    seenIds.add(ind.id);
    ids.push(ind.id);
  }
  return { index: new Index(ids, compiled), rejected };
}
