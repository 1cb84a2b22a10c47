/** SQL `LIKE`: `%` any run of characters, `_` exactly one; whole-string match; O(n·m) worst case, never worse. */

const hasSurrogates = (s: string): boolean => /[\uD800-\uDFFF]/.test(s);

const NON_ASCII = /[^\u0000-\u007f]/;
/**
 * A string in Unicode Normalization Form C, as `LIKE` and `MATCHES` compare (STIX 2.1 §9.6.1, §9.6.2): both the
 * pattern's constant and the observed value. ASCII text is already NFC and is returned as it is.
 */
export const nfc = (s: string): string => (NON_ASCII.test(s) ? s.normalize('NFC') : s);

/** A compiled `LIKE` pattern (a class so that thousands of them share one hot method). */
export class LikeMatcher {
  private readonly mode: 0 | 1 | 2 | 3;
  private readonly pre: string;
  private readonly post: string;
  private readonly chars: readonly string[];
  private readonly bmp: boolean;

  readonly pattern: string;

  constructor(pattern: string) {
    pattern = nfc(pattern);
    this.pattern = pattern;
    this.chars = Array.from(pattern);
    this.bmp = !hasSurrogates(pattern);
    this.pre = '';
    this.post = '';
    this.mode = 3;
    if (pattern.includes('_')) return;
    const parts = pattern.split('%');
    if (parts.length === 1) {
      this.mode = 0;
    } else if (parts.length === 2) {
      this.mode = 1;
      this.pre = parts[0] ?? '';
      this.post = parts[1] ?? '';
    } else if (parts.length === 3 && parts[0] === '' && parts[2] === '') {
      this.mode = 2;
      this.pre = parts[1] ?? '';
    }
  }

  test(v: string): boolean {
    v = nfc(v);
    switch (this.mode) {
      case 0:
        return v === this.pattern;
      case 1:
        return (
          v.length >= this.pre.length + this.post.length && v.startsWith(this.pre) && v.endsWith(this.post)
        );
      case 2:
        return v.includes(this.pre);
      default:
        return wildcard(this.bmp && !hasSurrogates(v) ? v : Array.from(v), this.chars);
    }
  }
}

function wildcard(v: string | readonly string[], p: readonly string[]): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  const n = v.length;
  while (i < n) {
    const pc = p[j];
    if (pc !== undefined && pc !== '%' && (pc === '_' || pc === v[i])) {
      i++;
      j++;
    } else if (pc === '%') {
      star = j++;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p[j] === '%') j++;
  return j === p.length;
}

/** The longest run of plain characters every match contains (for the index pre-filter). */
export function likeRequiredLiteral(pattern: string): string {
  let best = '';
  for (const part of nfc(pattern).split(/[%_]/)) if (part.length > best.length) best = part;
  return best;
}
