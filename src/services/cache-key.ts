/**
 * Cache keys made by hand instead of with `JSON.stringify`: a cached TAXII read builds one per request, and on Node
 * 20 stringifying the small objects involved cost more than a microsecond each, several times per request.
 */

/** A part of a key: a string, a number, a list of strings, a flag, or absent. */
export type KeyPart = string | number | boolean | readonly string[] | undefined;

/**
 * An injective text form of a sequence of parts: two sequences give the same key only if they are equal part by
 * part (absent ≠ empty string ≠ empty list; `1` ≠ `'1'`; list boundaries kept; numbers by their `String` form,
 * so `-0` reads as `0`). Each part starts with a tag
 * character and strings carry their length, so the key can be read back unambiguously whatever the strings contain.
 */
export function cacheKey(parts: readonly KeyPart[]): string {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) out += '_';
    else if (typeof p === 'string') out += `s${p.length}:${p}`;
    else if (typeof p === 'number') out += `n${p};`;
    else if (typeof p === 'boolean') out += p ? 'T' : 'F';
    else {
      out += `l${p.length}:`;
      for (let k = 0; k < p.length; k++) out += `${p[k]!.length}:${p[k]!}`;
    }
  }
  return out;
}
