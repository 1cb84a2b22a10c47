/**
 * A linear-time regular-expression engine for `MATCHES`: the PCRE subset without backreferences, lookaround,
 * atomic groups or possessive quantifiers (those are rejected with a clear error). Compiled to a Thompson NFA and
 * run as a Pike VM without captures, so matching is O(pattern × input) whatever the pattern says.
 */
import { EntenteError } from '../errors.js';

export const MAX_REGEX_PROGRAM = 20_000;
export const MAX_REGEX_REPEAT = 1_000;

type AssertKind = 'bol' | 'eol' | 'start' | 'end' | 'endz' | 'wordb' | 'nwordb';

type RNode =
  | { readonly t: 'empty' }
  | { readonly t: 'set'; readonly ranges: readonly number[]; readonly neg: boolean }
  | { readonly t: 'cat'; readonly items: readonly RNode[] }
  | { readonly t: 'alt'; readonly items: readonly RNode[] }
  | { readonly t: 'rep'; readonly node: RNode; readonly min: number; readonly max: number }
  | { readonly t: 'assert'; readonly kind: AssertKind };

export class RegexError extends EntenteError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('INVALID', `MATCHES regular expression: ${message} (at offset ${offset})`);
  }
}

const DIGIT = [48, 57];
const WORD = [48, 57, 65, 90, 95, 95, 97, 122];
const SPACE = [9, 13, 32, 32, 0x85, 0x85, 0xa0, 0xa0, 0x2028, 0x2029];

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
}

class RegexParser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly flags: Flags,
  ) {}

  private fail(msg: string): never {
    throw new RegexError(msg, this.i);
  }
  private peek(): string | undefined {
    return this.src[this.i];
  }

  parse(): RNode {
    // leading inline flags: (?i), (?s), (?m), (?is) …
    const m = /^\(\?([ism]+)\)/.exec(this.src);
    if (m) {
      for (const f of m[1] ?? '') this.flags[f as keyof Flags] = true;
      this.i = m[0].length;
    }
    const node = this.alt();
    if (this.i < this.src.length) this.fail(`unbalanced ')'`);
    return node;
  }

  private alt(): RNode {
    const items = [this.cat()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.cat());
    }
    return items.length === 1 ? (items[0] as RNode) : { t: 'alt', items };
  }

  private cat(): RNode {
    const items: RNode[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? (items[0] as RNode) : { t: 'cat', items };
  }

  private quantified(atom: RNode): RNode {
    let node = atom;
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.src.slice(this.i));
        if (!m) return node; // a literal '{' as PCRE treats it
        min = Number(m[1]);
        max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : min;
        if (min > MAX_REGEX_REPEAT || (max !== Infinity && max > MAX_REGEX_REPEAT)) {
          this.fail(`repetition count above ${MAX_REGEX_REPEAT}`);
        }
        if (max < min) this.fail('repetition {n,m} with m < n');
        this.i += m[0].length - 1;
      } else return node;
      this.i++;
      if (node.t === 'assert') this.fail('a quantifier after an anchor');
      if (this.peek() === '?') this.i++;
      else if (this.peek() === '+') this.fail('possessive quantifiers are not supported');
      node = { t: 'rep', node, min, max };
      // a quantifier may not follow a quantifier (PCRE: nothing to repeat)
      return node;
    }
  }

  private atom(): RNode {
    const c = this.peek() as string;
    const start = this.i;
    this.i++;
    switch (c) {
      case '.':
        return this.flags.s
          ? { t: 'set', ranges: [0, 0x10ffff], neg: false }
          : { t: 'set', ranges: [10, 10], neg: true };
      case '^':
        return { t: 'assert', kind: this.flags.m ? 'bol' : 'start' };
      case '$':
        return { t: 'assert', kind: this.flags.m ? 'eol' : 'endz' };
      case '[':
        return this.charClass();
      case '*':
      case '+':
      case '?':
        this.i = start;
        return this.fail(`nothing to repeat before '${c}'`);
      case '(': {
        if (++this.depth > 100) this.fail('groups nest deeper than 100');
        if (this.peek() === '?') {
          const rest = this.src.slice(this.i + 1);
          if (rest.startsWith(':')) this.i += 2;
          else if (rest.startsWith('P<') || (rest.startsWith('<') && !/^<[=!]/.test(rest))) {
            const close = this.src.indexOf('>', this.i);
            if (close < 0) this.fail('unterminated group name');
            this.i = close + 1;
          } else if (/^(?:[=!]|<[=!])/.test(rest)) this.fail('lookaround assertions are not supported');
          else if (rest.startsWith('>')) this.fail('atomic groups are not supported');
          else this.fail('unsupported group syntax (only (?:…), named groups and leading (?i)/(?s)/(?m))');
        }
        const inner = this.alt();
        if (this.peek() !== ')') this.fail(`missing ')'`);
        this.i++;
        this.depth--;
        return inner;
      }
      case '\\':
        return this.escape(false);
      default: {
        const cp = this.src.codePointAt(start) as number;
        if (cp > 0xffff) this.i++;
        return this.literal(cp);
      }
    }
  }

  private literal(cp: number): RNode {
    return { t: 'set', ranges: this.fold([cp, cp]), neg: false };
  }

  /** Case-insensitive: add the other cases of every code point in small ranges. */
  private fold(ranges: number[]): number[] {
    if (!this.flags.i) return ranges;
    const out = [...ranges];
    for (let k = 0; k < ranges.length; k += 2) {
      const lo = ranges[k] as number;
      const hi = ranges[k + 1] as number;
      if (hi - lo > 0x3000) continue;
      for (let cp = lo; cp <= hi; cp++) {
        const s = String.fromCodePoint(cp);
        for (const v of [s.toLowerCase(), s.toUpperCase()]) {
          const vc = v.codePointAt(0) as number;
          if (v.length <= 2 && String.fromCodePoint(vc) === v && vc !== cp) out.push(vc, vc);
        }
      }
    }
    return out;
  }

  /** After a backslash. Inside a class, returns a set; anchors are not allowed there. */
  private escape(inClass: boolean): RNode {
    const c = this.peek();
    if (c === undefined) this.fail('trailing backslash');
    this.i++;
    switch (c) {
      case 'd':
        return { t: 'set', ranges: DIGIT, neg: false };
      case 'D':
        return { t: 'set', ranges: DIGIT, neg: true };
      case 'w':
        return { t: 'set', ranges: WORD, neg: false };
      case 'W':
        return { t: 'set', ranges: WORD, neg: true };
      case 's':
        return { t: 'set', ranges: SPACE, neg: false };
      case 'S':
        return { t: 'set', ranges: SPACE, neg: true };
      case 'n':
        return this.literal(10);
      case 'r':
        return this.literal(13);
      case 't':
        return this.literal(9);
      case 'f':
        return this.literal(12);
      case 'v':
        return this.literal(11);
      case 'e':
        return this.literal(27);
      case 'a':
        return this.literal(7);
      case '0':
        return this.literal(0);
      case 'x': {
        const m = /^(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{2}))/.exec(this.src.slice(this.i));
        if (!m) this.fail('\\x needs two hex digits or {hex}');
        this.i += m[0].length;
        const cp = parseInt(m[1] ?? m[2] ?? '0', 16);
        if (cp > 0x10ffff) this.fail('code point out of range');
        return this.literal(cp);
      }
      case 'u': {
        const m = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.i));
        if (!m) this.fail('\\u needs four hex digits');
        this.i += 4;
        return this.literal(parseInt(m[0], 16));
      }
      case 'b':
        if (inClass) return this.literal(8);
        return { t: 'assert', kind: 'wordb' };
      case 'B':
        if (inClass) this.fail('\\B inside a class');
        return { t: 'assert', kind: 'nwordb' };
      case 'A':
        if (inClass) this.fail('\\A inside a class');
        return { t: 'assert', kind: 'start' };
      case 'z':
        if (inClass) this.fail('\\z inside a class');
        return { t: 'assert', kind: 'end' };
      case 'Z':
        if (inClass) this.fail('\\Z inside a class');
        return { t: 'assert', kind: 'endz' };
      case 'k':
        return this.fail('backreferences are not supported');
      default:
        if (/[1-9]/.test(c)) this.fail('backreferences are not supported');
        if (/[A-Za-z]/.test(c)) this.fail(`unknown escape '\\${c}'`);
        return this.literal(this.src.codePointAt(this.i - 1) as number);
    }
  }

  private charClass(): RNode {
    let neg = false;
    if (this.peek() === '^') {
      neg = true;
      this.i++;
    }
    const ranges: number[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail(`missing ']'`);
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      if (c === '[' && this.src[this.i + 1] === ':') this.fail('POSIX classes [:name:] are not supported');
      const lo = this.classAtom();
      if (
        lo.single !== undefined &&
        this.peek() === '-' &&
        this.src[this.i + 1] !== ']' &&
        this.src[this.i + 1] !== undefined
      ) {
        this.i++;
        const hi = this.classAtom();
        if (hi.single === undefined) this.fail('a range ends in a class escape');
        if (hi.single < lo.single) this.fail('range out of order in character class');
        ranges.push(lo.single, hi.single);
      } else {
        ranges.push(...lo.ranges);
      }
    }
    return { t: 'set', ranges: this.fold(ranges), neg };
  }

  private classAtom(): { single?: number; ranges: number[] } {
    const c = this.peek() as string;
    if (c === '\\') {
      this.i++;
      const node = this.escape(true);
      if (node.t !== 'set') this.fail('an anchor inside a character class');
      if (node.neg) return { ranges: negate(node.ranges) };
      if (node.ranges.length === 2 && node.ranges[0] === node.ranges[1]) {
        return { single: node.ranges[0], ranges: [...node.ranges] };
      }
      return { ranges: [...node.ranges] };
    }
    const cp = this.src.codePointAt(this.i) as number;
    this.i += cp > 0xffff ? 2 : 1;
    return { single: cp, ranges: [cp, cp] };
  }
}

function negate(ranges: readonly number[]): number[] {
  const sorted: [number, number][] = [];
  for (let k = 0; k < ranges.length; k += 2) sorted.push([ranges[k] as number, ranges[k + 1] as number]);
  sorted.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push(next, lo - 1);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) out.push(next, 0x10ffff);
  return out;
}

// ---- compilation to a Pike VM program ----

const OP_SET = 0;
const OP_SPLIT = 1;
const OP_JMP = 2;
const OP_ASSERT = 3;
const OP_MATCH = 4;

interface Inst {
  op: number;
  x: number;
  y: number;
  /** SET: [lo, hi, lo, hi, …]; lo/hi repeat the first range for the common single-range case. */
  ranges?: readonly number[];
  lo?: number;
  hi?: number;
  neg?: boolean;
  assert?: AssertKind;
}

class Compiler {
  readonly prog: Inst[] = [];
  private emit(inst: Inst): number {
    if (this.prog.length >= MAX_REGEX_PROGRAM) {
      throw new RegexError(`expression compiles to more than ${MAX_REGEX_PROGRAM} states`, 0);
    }
    this.prog.push(inst);
    return this.prog.length - 1;
  }
  compile(node: RNode): void {
    switch (node.t) {
      case 'empty':
        return;
      case 'set':
        this.emit({
          op: OP_SET,
          x: 0,
          y: 0,
          ranges: node.ranges,
          lo: node.ranges.length === 2 ? node.ranges[0] : -1,
          hi: node.ranges.length === 2 ? node.ranges[1] : -2,
          neg: node.neg,
        });
        return;
      case 'assert':
        this.emit({ op: OP_ASSERT, x: 0, y: 0, assert: node.kind });
        return;
      case 'cat':
        for (const item of node.items) this.compile(item);
        return;
      case 'alt': {
        const jumps: Inst[] = [];
        node.items.forEach((item, k) => {
          if (k < node.items.length - 1) {
            const split = this.emit({ op: OP_SPLIT, x: 0, y: 0 });
            (this.prog[split] as Inst).x = this.prog.length;
            this.compile(item);
            const jmp = this.emit({ op: OP_JMP, x: 0, y: 0 });
            jumps.push(this.prog[jmp] as Inst);
            (this.prog[split] as Inst).y = this.prog.length;
          } else {
            this.compile(item);
          }
        });
        for (const j of jumps) j.x = this.prog.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) this.compile(node.node);
        if (node.max === Infinity) {
          const split = this.emit({ op: OP_SPLIT, x: 0, y: 0 });
          (this.prog[split] as Inst).x = this.prog.length;
          this.compile(node.node);
          this.emit({ op: OP_JMP, x: split, y: 0 });
          (this.prog[split] as Inst).y = this.prog.length;
        } else {
          const splits: Inst[] = [];
          for (let k = node.min; k < node.max; k++) {
            const split = this.emit({ op: OP_SPLIT, x: 0, y: 0 });
            (this.prog[split] as Inst).x = this.prog.length;
            splits.push(this.prog[split] as Inst);
            this.compile(node.node);
          }
          for (const s of splits) s.y = this.prog.length;
        }
        return;
      }
    }
  }
}

const isWordCp = (cp: number): boolean =>
  (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || cp === 95 || (cp >= 97 && cp <= 122);

function inRanges(ranges: readonly number[], cp: number): boolean {
  for (let k = 0; k < ranges.length; k += 2) {
    if (cp >= (ranges[k] as number) && cp <= (ranges[k + 1] as number)) return true;
  }
  return false;
}

/** Longest literal that every match must contain (for quick rejection and the index pre-filter). */
function requiredLiteral(node: RNode): string {
  const single = (n: RNode): string | undefined =>
    n.t === 'set' && !n.neg && n.ranges.length === 2 && n.ranges[0] === n.ranges[1]
      ? String.fromCodePoint(n.ranges[0] as number)
      : undefined;
  if (node.t === 'set') return single(node) ?? '';
  if (node.t === 'rep') return node.min >= 1 ? requiredLiteral(node.node) : '';
  if (node.t !== 'cat') return '';
  let best = '';
  let run = '';
  for (const item of node.items) {
    const ch = single(item);
    if (ch !== undefined) {
      run += ch;
      continue;
    }
    if (item.t === 'assert') continue;
    if (run.length > best.length) best = run;
    run = '';
    const inner = requiredLiteral(item);
    if (inner.length > best.length) best = inner;
  }
  return run.length > best.length ? run : best;
}

const EMPTY = new Int32Array(0);
const EMPTY_U = new Uint32Array(0);

export interface CompiledRegex {
  readonly source: string;
  /** A literal every match contains ('' when none is known). */
  readonly required: string;
  test(input: string): boolean;
}

const cache = new Map<string, CompiledRegex>();
const CACHE_LIMIT = 10_000;

/**
 * Compile a `MATCHES` expression; throws `RegexError` (code INVALID) for unsupported or malformed syntax.
 * Compiled expressions are shared by source (validation and compilation of one pattern both ask for it).
 */
export function compileRegex(source: string): CompiledRegex {
  const hit = cache.get(source);
  if (hit) return hit;
  const compiled = compileRegexUncached(source);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

function compileRegexUncached(source: string): CompiledRegex {
  // DOTALL: in a STIX pattern `.` matches line breaks too (STIX 2.1 §9.6.1, as the OASIS matcher evaluates it).
  const flags: Flags = { i: false, s: true, m: false };
  const ast = new RegexParser(source, flags).parse();
  const c = new Compiler();
  c.compile(ast);
  c.prog.push({ op: OP_MATCH, x: 0, y: 0 });
  return new PikeVm(source, c.prog, flags.i ? '' : requiredLiteral(ast));
}

/**
 * The VM as a class, not a closure: an index holds thousands of compiled expressions, and V8 runs one shared
 * method far faster than thousands of distinct closures.
 */
class PikeVm implements CompiledRegex {
  // the work lists are allocated on first use: many compiled patterns are never run
  private clist = EMPTY;
  private nlist = EMPTY;
  private mark = EMPTY_U;
  private stack = EMPTY;
  private gen = 0;

  constructor(
    readonly source: string,
    private readonly prog: readonly Inst[],
    readonly required: string,
  ) {}

  /** Add thread `pc0` and its epsilon closure to `list`; prev/cur are the code points around `pos`. */
  private add(
    list: Int32Array,
    count: number,
    pc0: number,
    pos: number,
    n: number,
    prev: number,
    cur: number,
  ): number {
    const { prog, mark, stack, gen } = this;
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp] as number;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      const inst = prog[pc] as Inst;
      switch (inst.op) {
        case OP_JMP:
          stack[sp++] = inst.x;
          break;
        case OP_SPLIT:
          stack[sp++] = inst.y;
          stack[sp++] = inst.x;
          break;
        case OP_ASSERT: {
          let ok: boolean;
          switch (inst.assert) {
            case 'start':
              ok = pos === 0;
              break;
            case 'end':
              ok = pos === n;
              break;
            case 'endz':
              ok = pos === n || (pos === n - 1 && cur === 10);
              break;
            case 'bol':
              ok = pos === 0 || prev === 10;
              break;
            case 'eol':
              ok = pos === n || cur === 10;
              break;
            case 'wordb':
              ok = isWordCp(prev) !== isWordCp(cur);
              break;
            default:
              ok = isWordCp(prev) === isWordCp(cur);
          }
          if (ok) stack[sp++] = pc + 1;
          break;
        }
        default:
          list[count++] = pc;
      }
    }
    return count;
  }

  test(input: string): boolean {
    if (this.required && !input.includes(this.required)) return false;
    const size = this.prog.length;
    if (this.clist.length === 0) {
      this.clist = new Int32Array(size);
      this.nlist = new Int32Array(size);
      this.mark = new Uint32Array(size);
      this.stack = new Int32Array(size * 2 + 2);
    }
    const { clist, nlist, prog } = this;
    const n = input.length;
    let ccount = 0;
    let pos = 0;
    let prev = -1;
    for (;;) {
      const cur = pos < n ? (input.codePointAt(pos) as number) : -1;
      if (++this.gen === 0xffffffff) {
        this.mark.fill(0);
        this.gen = 1;
      }
      // closure of the threads that survived the last step, then a fresh start (unanchored search)
      let count = 0;
      for (let k = 0; k < ccount; k++) count = this.add(nlist, count, clist[k] as number, pos, n, prev, cur);
      count = this.add(nlist, count, 0, pos, n, prev, cur);
      let next = 0;
      for (let k = 0; k < count; k++) {
        const pc = nlist[k] as number;
        const inst = prog[pc] as Inst;
        if (inst.op === OP_MATCH) return true;
        if (cur < 0) continue;
        const hit =
          inst.lo !== undefined && inst.lo >= 0
            ? cur >= inst.lo && cur <= (inst.hi as number)
            : inRanges(inst.ranges as readonly number[], cur);
        if (hit !== inst.neg) clist[next++] = pc + 1;
      }
      if (cur < 0) return false;
      ccount = next;
      prev = cur;
      pos += cur > 0xffff ? 2 : 1;
    }
  }
}
