/**
 * A read-only hash table from strings to values, for the indicator index's equality anchors. Lookups of strings
 * that are not in the table — almost every observed value — touch only one compact Int32Array (hash and entry
 * side by side, open addressing), never the key strings, which a `Map` must load to compare on every probe
 * and which lie scattered over the heap. Keys are compared only when the 32-bit hashes agree.
 *
 * `getLowerCase(v)` looks up `v.toLowerCase()` without allocating it when `v` is ASCII (hash values are matched
 * case-insensitively); non-ASCII strings go through `toLowerCase` itself, so results are exactly those of
 * `map.get(v.toLowerCase())`.
 */

/** FNV-1a over UTF-16 code units, with a final avalanche so the low bits (the slot) depend on every character. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return finish(h);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h | 0;
}

export class StringTable<V> {
  /** Pairs (hash, entry + 1); entry 0 marks an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /**
   * One bit per hash (16 bits per key, in cache): most absent strings are rejected here without touching the
   * larger slot array.
   */
  private readonly filter: Int32Array;
  private readonly filterShift: number;
  private readonly keys: string[] = [];
  private readonly vals: V[] = [];

  constructor(entries: Iterable<readonly [string, V]>) {
    const list = [...entries];
    let capacity = 8;
    while (capacity < list.length * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity * 2);
    let bits = 1024;
    while (bits < list.length * 16) bits *= 2;
    this.filter = new Int32Array(bits / 32);
    this.filterShift = 32 - Math.log2(bits);
    for (const [key, value] of list) this.put(key, value);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The filter bit of a hash: its top bits after a second multiply, independent of the slot (low bits). */
  private bit(h: number): number {
    return Math.imul(h, 0x9e3779b1) >>> this.filterShift;
  }

  private put(key: string, value: V): void {
    const h = hashOf(key);
    const b = this.bit(h);
    this.filter[b >>> 5] = (this.filter[b >>> 5] as number) | (1 << (b & 31));
    const slots = this.slots;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const e = slots[2 * i + 1] as number;
      if (e === 0) {
        this.keys.push(key);
        this.vals.push(value);
        slots[2 * i] = h;
        slots[2 * i + 1] = this.keys.length;
        return;
      }
      if (slots[2 * i] === h && this.keys[e - 1] === key) {
        this.vals[e - 1] = value;
        return;
      }
    }
  }

  /** The value of `key` (of `key.toLowerCase()` when `lower`), whose hash is `h`. */
  private find(h: number, key: string, lower: boolean): V | undefined {
    const b = this.bit(h);
    if (((this.filter[b >>> 5] as number) & (1 << (b & 31))) === 0) return undefined;
    const slots = this.slots;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[2 * i + 1] as number;
      if (e === 0) return undefined;
      if (slots[2 * i] === h && this.keys[e - 1] === (lower ? key.toLowerCase() : key))
        return this.vals[e - 1];
    }
  }

  get(key: string): V | undefined {
    return this.find(hashOf(key), key, false);
  }

  /** Same as `get(key.toLowerCase())`. */
  getLowerCase(key: string): V | undefined {
    let h = 0x811c9dc5;
    let upper = false;
    for (let i = 0; i < key.length; i++) {
      let c = key.charCodeAt(i);
      if (c >= 128) return this.get(key.toLowerCase());
      if (c >= 65 && c <= 90) {
        c += 32;
        upper = true;
      }
      h = Math.imul(h ^ c, 0x01000193);
    }
    return this.find(finish(h), key, upper);
  }
}
