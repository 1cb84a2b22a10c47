import { invalid } from '../errors.js';
import { MAX_DEPTH } from './limits.js';

/**
 * RFC 8785 (JSON Canonicalization Scheme): object members sorted by the UTF-16 code units of their names, no
 * whitespace, numbers in ECMAScript `Number.prototype.toString` form, strings escaped as ECMAScript
 * `JSON.stringify` does. Throws `INVALID` for what has no JSON form (NaN, Infinity, lone surrogates, undefined,
 * functions, bigints) and for nesting deeper than MAX_DEPTH.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, 0);
  return out.join('');
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function writeString(s: string, out: string[]): void {
  if (LONE_SURROGATE.test(s)) throw invalid('canonical JSON: string contains a lone surrogate');
  out.push(JSON.stringify(s));
}

function write(value: unknown, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw invalid(`canonical JSON: nesting deeper than ${MAX_DEPTH}`);
  switch (typeof value) {
    case 'string':
      writeString(value, out);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalid('canonical JSON: NaN and Infinity have no JSON form');
      // ES Number serialisation is exactly what RFC 8785 §3.2.2.3 prescribes; -0 becomes "0".
      out.push(String(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object': {
      if (value === null) {
        out.push('null');
        return;
      }
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          write(value[i] as unknown, out, depth + 1);
        }
        out.push(']');
        return;
      }
      const obj = value as Record<string, unknown>;
      // Array.prototype.sort without a comparator orders strings by UTF-16 code units, as RFC 8785 §3.2.3 asks.
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      out.push('{');
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (i > 0) out.push(',');
        writeString(k, out);
        out.push(':');
        write(obj[k], out, depth + 1);
      }
      out.push('}');
      return;
    }
    default:
      throw invalid(`canonical JSON: a ${typeof value} has no JSON form`);
  }
}
