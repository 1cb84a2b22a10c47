/** SQL `LIKE`: `%` any run of characters, `_` exactly one; whole-string match; O(n·m) worst case, never worse. */

const hasSurrogates = (s: string): boolean => /[\uD800-\uDFFF]/.test(s);

export function compileLike(pattern: string): (value: string) => boolean {
  if (!pattern.includes('_')) {
    const parts = pattern.split('%');
    if (parts.length === 1) return (v) => v === pattern;
    if (parts.length === 2) {
      const [pre = '', post = ''] = parts;
      return (v) => v.length >= pre.length + post.length && v.startsWith(pre) && v.endsWith(post);
    }
    if (parts.length === 3 && parts[0] === '' && parts[2] === '') {
      const mid = parts[1] ?? '';
      return (v) => v.includes(mid);
    }
  }
  const p = Array.from(pattern);
  const pBmp = !hasSurrogates(pattern);
  return (value) => wildcard(pBmp && !hasSurrogates(value) ? value : Array.from(value), p);
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
  for (const part of pattern.split(/[%_]/)) if (part.length > best.length) best = part;
  return best;
}
