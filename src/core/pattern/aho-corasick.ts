/**
 * Aho–Corasick: many literals, one linear pass over the text, reporting every literal that occurs.
 *
 * After `build` the automaton is, when it fits, a dense DFA: every character code that occurs in some literal
 * gets a class (all other characters share class 0, which always leads back to the root), and
 * `delta[state * width + class]` is the next state with the failure links already followed, so a scan is one
 * array read per character. When states × classes exceeds the budget (huge or very diverse literal sets) the
 * trie with failure links is scanned instead, which is slower but needs no table.
 */

/** Default bound on the dense table: 2^23 entries (32 MB). */
const DEFAULT_MAX_DENSE = 1 << 23;

export class AhoCorasick<T> {
  private readonly goto: Map<number, number>[] = [new Map<number, number>()];
  private readonly fail: number[] = [0];
  private readonly out: (T[] | undefined)[] = [undefined];
  /** Nearest state along the failure chain that has outputs. */
  private readonly dict: number[] = [-1];
  private built = false;
  /** Root transitions as a dense table (sparse scans spend most of their time at the root). */
  private rootNext = new Int32Array(0);
  /** Dense DFA, when it fits: character code → class, and transitions (see `buildDense`). */
  private classOf: Uint16Array | undefined;
  private delta: Int32Array | undefined;
  /** Dense row number → state. */
  private stateAt = new Int32Array(0);
  private width = 0;
  private reports = new Uint8Array(0);

  /** @param maxDense largest dense table (states × character classes) built; 0 always scans the sparse trie */
  constructor(private readonly maxDense = DEFAULT_MAX_DENSE) {}

  add(literal: string, value: T): void {
    if (this.built) throw new Error('AhoCorasick: add after build');
    let s = 0;
    for (let i = 0; i < literal.length; i++) {
      const c = literal.charCodeAt(i);
      let next = (this.goto[s] as Map<number, number>).get(c);
      if (next === undefined) {
        next = this.goto.length;
        this.goto.push(new Map());
        this.fail.push(0);
        this.out.push(undefined);
        this.dict.push(-1);
        (this.goto[s] as Map<number, number>).set(c, next);
      }
      s = next;
    }
    (this.out[s] ??= []).push(value);
  }

  /** Whether scans use the dense table (for tests and statistics). */
  get dense(): boolean {
    return this.delta !== undefined;
  }

  build(): this {
    const queue: number[] = [];
    for (const next of (this.goto[0] as Map<number, number>).values()) queue.push(next);
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi] as number;
      for (const [c, next] of this.goto[s] as Map<number, number>) {
        queue.push(next);
        let f = this.fail[s] as number;
        while (f !== 0 && !(this.goto[f] as Map<number, number>).has(c)) f = this.fail[f] as number;
        const target = (this.goto[f] as Map<number, number>).get(c);
        const fs = target !== undefined && target !== next ? target : 0;
        this.fail[next] = fs;
        this.dict[next] = this.out[fs] ? fs : (this.dict[fs] as number);
      }
    }
    this.rootNext = new Int32Array(65536);
    for (const [c, next] of this.goto[0] as Map<number, number>) this.rootNext[c] = next;
    const states = this.goto.length;
    this.reports = new Uint8Array(states);
    for (let s = 1; s < states; s++) {
      this.reports[s] = this.out[s] !== undefined || (this.dict[s] as number) > 0 ? 1 : 0;
    }
    this.buildDense(queue);
    this.built = true;
    return this;
  }

  /** Fills the dense DFA in breadth-first order, so a state's failure target's row is always ready. */
  private buildDense(bfs: readonly number[]): void {
    const classOf = new Uint16Array(65536);
    const chars: number[] = [0];
    for (const g of this.goto) {
      for (const c of g.keys()) {
        if (classOf[c] === 0) {
          classOf[c] = chars.length;
          chars.push(c);
        }
      }
    }
    const width = chars.length;
    const states = this.goto.length;
    if (width >= 65536 || states * width > this.maxDense) return;
    // rows numbered in depth-first order, so the states along one literal are adjacent in memory: a scan that
    // follows a long literal reads consecutive rows instead of one scattered row per character
    const rank = new Int32Array(states);
    const stateAt = new Int32Array(states);
    const stack = [0];
    for (let r = 0; stack.length > 0; r++) {
      const s = stack.pop() as number;
      rank[s] = r;
      stateAt[r] = s;
      const children = [...(this.goto[s] as Map<number, number>).values()];
      for (let k = children.length - 1; k >= 0; k--) stack.push(children[k] as number);
    }
    // entries are the next state's row offset (rank × width), negated when that state reports something
    const delta = new Int32Array(states * width);
    const entry = (next: number): number => {
      const row = (rank[next] as number) * width;
      return this.reports[next] === 1 ? -row : row;
    };
    const root = this.goto[0] as Map<number, number>;
    for (let k = 1; k < width; k++) {
      const next = root.get(chars[k] as number);
      delta[k] = next === undefined ? 0 : entry(next);
    }
    for (const s of bfs) {
      const g = this.goto[s] as Map<number, number>;
      const row = (rank[s] as number) * width;
      const failRow = (rank[this.fail[s] as number] as number) * width;
      for (let k = 1; k < width; k++) {
        const next = g.get(chars[k] as number);
        delta[row + k] = next === undefined ? (delta[failRow + k] as number) : entry(next);
      }
    }
    this.classOf = classOf;
    this.stateAt = stateAt;
    this.delta = delta;
    this.width = width;
  }

  /** Calls `found` for the values of every literal occurring in `text` (possibly more than once). */
  scan(text: string, found: (value: T) => void): void {
    const sink: T[] = [];
    this.scanInto(text, sink);
    for (let i = 0; i < sink.length; i++) found(sink[i] as T);
  }

  /** Appends to `sink` the values of every literal occurring in `text` (possibly more than once). */
  scanInto(text: string, sink: T[]): void {
    if (!this.built) throw new Error('AhoCorasick: scan before build');
    const delta = this.delta;
    if (delta !== undefined) {
      const classOf = this.classOf as Uint16Array;
      let row = 0;
      for (let i = 0; i < text.length; i++) {
        row = delta[row + (classOf[text.charCodeAt(i)] as number)] as number;
        if (row < 0) {
          row = -row;
          this.emit(this.stateAt[row / this.width] as number, sink);
        }
      }
      return;
    }
    this.scanSparse(text, sink);
  }

  private emit(s: number, sink: T[]): void {
    for (let d = this.out[s] ? s : (this.dict[s] as number); d > 0; d = this.dict[d] as number) {
      const values = this.out[d] as T[];
      for (let k = 0; k < values.length; k++) sink.push(values[k] as T);
    }
  }

  private scanSparse(text: string, sink: T[]): void {
    let s = 0;
    const rootNext = this.rootNext;
    const reports = this.reports;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (s === 0) {
        s = rootNext[c] as number;
        if (s === 0) continue;
      } else
        for (;;) {
          const next = (this.goto[s] as Map<number, number>).get(c);
          if (next !== undefined) {
            s = next;
            break;
          }
          if (s === 0) break;
          s = this.fail[s] as number;
        }
      if (reports[s] === 1) this.emit(s, sink);
    }
  }
}
