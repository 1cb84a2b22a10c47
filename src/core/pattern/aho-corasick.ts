/** Aho–Corasick: many literals, one linear pass over the text, reporting every literal that occurs. */

export class AhoCorasick<T> {
  private readonly goto: Map<number, number>[] = [new Map<number, number>()];
  private readonly fail: number[] = [0];
  private readonly out: (T[] | undefined)[] = [undefined];
  /** Nearest state along the failure chain that has outputs. */
  private readonly dict: number[] = [-1];
  private built = false;
  /** Root transitions as a dense table (scans spend most of their time at the root). */
  private rootNext = new Int32Array(0);

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
    this.built = true;
    return this;
  }

  /** Calls `found` for the values of every literal occurring in `text` (possibly more than once). */
  scan(text: string, found: (value: T) => void): void {
    let s = 0;
    const rootNext = this.rootNext;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (s === 0) {
        s = rootNext[c] as number;
        if (s === 0) continue;
        if (this.out[s] === undefined && (this.dict[s] as number) <= 0) continue;
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
      for (let d = this.out[s] ? s : (this.dict[s] as number); d > 0; d = this.dict[d] as number) {
        for (const v of this.out[d] as T[]) found(v);
      }
    }
  }
}
