/**
 * The STIX 2.1 validator: one hand-written walk over the precompiled tables of spec.ts. It never stops at the first
 * problem; every problem carries the object id (when readable), a JSONPath-like path, a severity and a rule name.
 * Work per object is bounded (limits.ts), so hostile input cannot exhaust the stack or the CPU.
 */
import type { Problem } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { computeScoId } from './sco-id.js';
import {
  MAX_ARRAY_LENGTH,
  MAX_DEPTH,
  MAX_KEY_LENGTH,
  MAX_OBJECT_KEYS,
  MAX_PROBLEMS_PER_OBJECT,
  MAX_STRING_LENGTH,
} from './limits.js';
import {
  BUNDLE,
  COMMON_RELATIONSHIPS,
  CUSTOM_COMMON,
  EXTERNAL_REFERENCE,
  GRANULAR_MARKING,
  KILL_CHAIN_PHASE,
  PREDEFINED_EXTENSIONS,
  RELATIONSHIPS,
  SCO_SET,
  SDO_SET,
  SPEC_RELATIONSHIP_TYPES,
  TYPE_SPECS,
  isStixType,
} from './spec.js';
import type { DictValues, ObjSpec, PropSpec, RefTarget, TypeSpec } from './spec.js';
import { timestampFraction, timestampKey } from './timestamp.js';
import { TLP1_BY_ID, TLP2_BY_ID, TLP2_EXTENSION_ID } from './markings.js';
import { EXTENSION_TYPE, HASH_ALGORITHM } from './vocab.js';

export interface ValidateOptions {
  /**
   * Checks an indicator's pattern; returns an error message, or undefined when the pattern is valid. Called for
   * every indicator with a string `pattern` and `pattern_type`; the callee decides which pattern types it knows.
   */
  checkPattern?: (pattern: string, patternType: string) => string | undefined;
}

type Rec = Record<string, unknown>;

interface Ctx {
  readonly problems: Problem[];
  objectId: string | undefined;
  readonly options: ValidateOptions | undefined;
  count: number;
}

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------------------------
// Reporting

function report(ctx: Ctx, severity: 'error' | 'warning', path: string, rule: string, message: string): void {
  ctx.count++;
  if (ctx.count > MAX_PROBLEMS_PER_OBJECT) {
    if (ctx.count === MAX_PROBLEMS_PER_OBJECT + 1) {
      ctx.problems.push({
        path,
        message: `more than ${MAX_PROBLEMS_PER_OBJECT} problems in this object; the rest are not listed`,
        objectId: ctx.objectId,
        severity: 'error',
        rule: 'too-many-problems',
      });
    }
    return;
  }
  ctx.problems.push({ path, message, objectId: ctx.objectId, severity, rule });
}
const err = (ctx: Ctx, path: string, rule: string, message: string): void =>
  report(ctx, 'error', path, rule, message);
const warn = (ctx: Ctx, path: string, rule: string, message: string): void =>
  report(ctx, 'warning', path, rule, message);

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The path of `key` under `parent`: `$.a.b`, `$.a[3]`, `$.hashes['SHA-256']`. */
export function at(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  let seg = SEGMENTS.get(key);
  if (seg === undefined) {
    seg = PLAIN_KEY.test(key) ? `.${key}` : `['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
    // Bounded, so hostile input with endless distinct keys cannot grow it without limit.
    if (SEGMENTS.size < 4096) SEGMENTS.set(key, seg);
  }
  return parent + seg;
}
const SEGMENTS = new Map<string, string>();

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : typeof v;
}

// ---------------------------------------------------------------------------------------------------------------
// Size limits: one bounded recursive scan before anything else

/** The limit `v` breaks first, or undefined; fast path without path bookkeeping. */
function overLimit(v: unknown, depth: number): string | undefined {
  if (typeof v === 'string') {
    return v.length > MAX_STRING_LENGTH ? `string longer than ${MAX_STRING_LENGTH} characters` : undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    if (v.length > MAX_ARRAY_LENGTH) return `list longer than ${MAX_ARRAY_LENGTH} items`;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item === 'string') {
        if (item.length > MAX_STRING_LENGTH) return `string longer than ${MAX_STRING_LENGTH} characters`;
      } else if (typeof item === 'object' && item !== null) {
        const r = overLimit(item, depth + 1);
        if (r !== undefined) return r;
      }
    }
    return undefined;
  }
  let n = 0;
  for (const k in v) {
    if (++n > MAX_OBJECT_KEYS) return `object with more than ${MAX_OBJECT_KEYS} properties`;
    if (k.length > MAX_KEY_LENGTH) return `property name longer than ${MAX_KEY_LENGTH} characters`;
    const item = (v as Rec)[k];
    if (typeof item === 'string') {
      if (item.length > MAX_STRING_LENGTH) return `string longer than ${MAX_STRING_LENGTH} characters`;
    } else if (typeof item === 'object' && item !== null) {
      const r = overLimit(item, depth + 1);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/** Where the first broken limit is (only called once a limit is known to be broken). */
function limitPath(v: unknown, depth: number, path: string): string | undefined {
  const here = overLimit(v, depth);
  if (here === undefined) return undefined;
  if (typeof v !== 'object' || v === null || depth >= MAX_DEPTH) return path;
  if (Array.isArray(v)) {
    if (v.length > MAX_ARRAY_LENGTH) return path;
    for (let i = 0; i < v.length; i++) {
      const p = limitPath(v[i], depth + 1, at(path, i));
      if (p !== undefined) return p;
    }
    return path;
  }
  let n = 0;
  for (const k in v) if (++n > MAX_OBJECT_KEYS || k.length > MAX_KEY_LENGTH) return path;
  for (const k in v) {
    const p = limitPath((v as Rec)[k], depth + 1, at(path, k));
    if (p !== undefined) return p;
  }
  return path;
}

function scan(v: unknown, ctx: Ctx, base: string): boolean {
  const message = overLimit(v, 0);
  if (message === undefined) return true;
  err(ctx, limitPath(v, 0, base) ?? base, message.startsWith('nested') ? 'too-deep' : 'too-large', message);
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Identifiers

const TYPE_NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** 1 for ASCII hex digits, 0 otherwise: a table lookup is the cheapest test in the hottest loop. */
const HEX = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** RFC 4122 UUID (versions 1–5, RFC 4122 variant) at `s[o…o+36)`; hand-written, this runs for every reference. */
function uuidAt(s: string, o: number): boolean {
  if (
    s.charCodeAt(o + 8) !== 45 ||
    s.charCodeAt(o + 13) !== 45 ||
    s.charCodeAt(o + 18) !== 45 ||
    s.charCodeAt(o + 23) !== 45
  ) {
    return false;
  }
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue;
    const c = s.charCodeAt(o + i);
    if (c > 127 || HEX[c] !== 1) return false;
  }
  const v = s.charCodeAt(o + 14);
  const r = s.charCodeAt(o + 19) | 0x20;
  return v >= 49 && v <= 53 && (r === 56 || r === 57 || r === 97 || r === 98);
}

/** The object type named by a STIX identifier, or undefined when `s` is not a valid identifier (§2.9). */
export function identifierType(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  const i = s.indexOf('--');
  if (i < 1 || i > 250 || s.length !== i + 38) return undefined;
  for (let k = 0; k < i; k++) {
    const c = s.charCodeAt(k);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return undefined;
  }
  return uuidAt(s, i + 2) ? s.slice(0, i) : undefined;
}

function refAllowed(to: RefTarget, t: string): boolean {
  if (t === 'bundle') return false; // a bundle is no STIX object (§8)
  if (to.any || to.types.has(t)) return true;
  const custom = !isStixType(t);
  return (to.anySco && (SCO_SET.has(t) || custom)) || (to.anySdo && (SDO_SET.has(t) || custom));
}

function checkRef(ctx: Ctx, v: unknown, to: RefTarget, parent: string, key: string | number): void {
  if (typeof v !== 'string') {
    return err(ctx, at(parent, key), 'type', `must be an identifier string, not ${show(v)}`);
  }
  // Fast path: a well-formed reference to one of the listed types, checked without slicing the type out.
  const prefixes = to.prefixes;
  for (let i = 0; i < prefixes.length; i++) {
    const prefix = prefixes[i]!;
    if (v.length === prefix.length + 36 && v.startsWith(prefix) && uuidAt(v, prefix.length)) return;
  }
  const t = identifierType(v);
  if (t === undefined)
    return err(ctx, at(parent, key), 'identifier', `${show(v)} is not a STIX identifier (type--UUID)`);
  if (!refAllowed(to, t)) err(ctx, at(parent, key), 'ref-type', `must reference ${to.label}, not ${t}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars

const HEX_RE = /^(?:[0-9a-f]{2})*$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/;
// RFC 5646 language tag: langtag (language[-script][-region]*(-variant)*(-extension)*[-privateuse]), a private-use
// tag, or a grandfathered tag (i-xxx, en-GB-oed, …), matched structurally.
const LANG_RE =
  /^(?:(?:[a-zA-Z]{2,3}(?:-[a-zA-Z]{3}){0,3}|[a-zA-Z]{4,8})(?:-[a-zA-Z]{4})?(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?(?:-(?:[a-zA-Z0-9]{5,8}|[0-9][a-zA-Z0-9]{3}))*(?:-[0-9a-wyzA-WYZ](?:-[a-zA-Z0-9]{2,8})+)*(?:-[xX](?:-[a-zA-Z0-9]{1,8})+)?|[xX](?:-[a-zA-Z0-9]{1,8})+|[iI]-[a-zA-Z]{2,8}|en-GB-oed|sgn-[a-zA-Z]{2}-[a-zA-Z]{2,3})$/;
const DICT_KEY_RE = /^[A-Za-z0-9_-]{1,250}$/;
const HASH_KEY_RE = /^[A-Za-z0-9_-]{3,250}$/;
const CUSTOM_PROP_RE = /^[a-z0-9_]{3,250}$/;
const HASH_FORMAT: ReadonlyMap<string, RegExp> = new Map([
  ['MD5', /^[a-fA-F0-9]{32}$/],
  ['SHA-1', /^[a-fA-F0-9]{40}$/],
  ['SHA-256', /^[a-fA-F0-9]{64}$/],
  ['SHA-512', /^[a-fA-F0-9]{128}$/],
  ['SHA3-256', /^[a-fA-F0-9]{64}$/],
  ['SHA3-512', /^[a-fA-F0-9]{128}$/],
  ['SSDEEP', /^[a-zA-Z0-9/+:.]{1,128}$/],
  ['TLSH', /^(?:T1)?[a-fA-F0-9]{70}$/],
]);
const HASH_BY_LOWER: ReadonlyMap<string, string> = new Map(
  [...HASH_ALGORITHM.values].map((h) => [h.toLowerCase().replace(/-/g, ''), h]),
);

export const isLanguageTag = (s: string): boolean => LANG_RE.test(s);

function checkHashes(ctx: Ctx, v: unknown, path: string, strict: boolean): void {
  if (!isRec(v)) return err(ctx, path, 'type', `must be a hashes dictionary, not ${show(v)}`);
  let n = 0;
  for (const key of Object.keys(v)) {
    n++;
    const value = v[key];
    const p = at(path, key);
    if (!HASH_KEY_RE.test(key)) {
      err(
        ctx,
        p,
        'hash-key',
        'hash algorithm names must be 3–250 ASCII letters, digits, hyphens or underscores',
      );
    } else if (!HASH_ALGORITHM.values.has(key)) {
      const known = HASH_BY_LOWER.get(key.toLowerCase().replace(/[-_]/g, ''));
      const hint = known ? `; the spec spells it ${show(known)}` : '';
      if (strict)
        err(ctx, p, 'hash-key', `external reference hashes must use hash-algorithm-ov names${hint}`);
      else warn(ctx, p, 'vocabulary', `hash algorithm ${show(key)} is not in hash-algorithm-ov${hint}`);
    }
    if (typeof value !== 'string') {
      err(ctx, p, 'type', `a hash value must be a string, not ${show(value)}`);
      continue;
    }
    const re = HASH_FORMAT.get(key);
    if (re !== undefined && !re.test(value)) err(ctx, p, 'hash-format', `not a valid ${key} value`);
  }
  if (n === 0) err(ctx, path, 'empty-dictionary', 'hashes must contain at least one hash');
}

const DICT_VALUES: Record<DictValues, [(x: unknown) => boolean, string]> = {
  string: [(x) => typeof x === 'string', 'a string'],
  integer: [(x) => Number.isInteger(x), 'an integer'],
  'integer-or-string': [(x) => typeof x === 'string' || Number.isInteger(x), 'an integer or a string'],
  // §6.12.2, §6.6.1 say a list of strings; the spec's own first examples used one string, which is taken too.
  'string-or-strings': [
    (x) =>
      typeof x === 'string' || (Array.isArray(x) && x.length > 0 && x.every((y) => typeof y === 'string')),
    'a list of strings',
  ],
};

function checkDict(ctx: Ctx, v: unknown, path: string, values?: DictValues): void {
  if (!isRec(v)) return err(ctx, path, 'type', `must be a dictionary (JSON object), not ${show(v)}`);
  let n = 0;
  for (const key of Object.keys(v)) {
    n++;
    if (!DICT_KEY_RE.test(key)) {
      err(
        ctx,
        at(path, key),
        'dictionary-key',
        'dictionary keys must be 1–250 ASCII letters, digits, hyphens or underscores',
      );
    }
    const x = v[key];
    if (x === null) err(ctx, at(path, key), 'type', 'null is not a STIX value');
    else if (values !== undefined && !DICT_VALUES[values][0](x))
      err(ctx, at(path, key), 'type', `each value must be ${DICT_VALUES[values][1]}, not ${show(x)}`);
    else if (typeof x === 'object') {
      const empty = emptyListIn(x, path, key);
      if (empty !== undefined) err(ctx, empty, 'empty-list', 'lists must not be empty');
    }
  }
  if (n === 0) err(ctx, path, 'empty-dictionary', 'a dictionary must not be empty');
}

// ---------------------------------------------------------------------------------------------------------------
// Property dispatch

/** Checks `v`, the value at `parent` + `key`; the at(parent, key) string is only built when a problem is reported. */
function checkProp(ctx: Ctx, p: PropSpec, v: unknown, parent: string, key: string | number): void {
  switch (p.k) {
    case 'string':
      if (typeof v !== 'string') err(ctx, at(parent, key), 'type', `must be a string, not ${show(v)}`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') err(ctx, at(parent, key), 'type', `must be a boolean, not ${show(v)}`);
      return;
    case 'integer':
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        return err(
          ctx,
          at(parent, key),
          'type',
          `must be ${p.k === 'integer' ? 'an integer' : 'a number'}, not ${show(v)}`,
        );
      }
      if (p.k === 'integer' && !Number.isInteger(v))
        return err(ctx, at(parent, key), 'type', `must be an integer, not ${v}`);
      if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) {
        err(ctx, at(parent, key), 'range', `must be between ${p.min ?? '-∞'} and ${p.max ?? '∞'}, not ${v}`);
      }
      return;
    case 'timestamp': {
      if (typeof v !== 'string')
        return err(ctx, at(parent, key), 'type', `must be a timestamp string, not ${show(v)}`);
      const frac = timestampFraction(v);
      if (frac < 0) {
        return err(
          ctx,
          at(parent, key),
          'timestamp',
          `${show(v)} is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:mm:ss[.s+]Z)`,
        );
      }
      if (p.ms === true && frac < 3) {
        err(
          ctx,
          at(parent, key),
          'timestamp-precision',
          `${show(v)} must be precise to at least the millisecond`,
        );
      }
      return;
    }
    case 'ref':
      return checkRef(ctx, v, p.to, parent, key);
    case 'vocab':
      if (typeof v !== 'string') return err(ctx, at(parent, key), 'type', `must be a string, not ${show(v)}`);
      if (!p.vocab.values.has(v)) {
        if (p.vocab.open) warn(ctx, at(parent, key), 'vocabulary', `${show(v)} is not in ${p.vocab.name}`);
        else
          err(
            ctx,
            at(parent, key),
            'enum',
            `${show(v)} is not one of ${p.vocab.name}: ${[...p.vocab.values].join(', ')}`,
          );
      }
      return;
    case 'list': {
      if (!Array.isArray(v)) return err(ctx, at(parent, key), 'type', `must be a list, not ${show(v)}`);
      if (v.length === 0)
        return err(ctx, at(parent, key), 'empty-list', 'lists must not be empty; omit the property instead');
      const here = at(parent, key);
      for (let i = 0; i < v.length; i++) checkProp(ctx, p.item, v[i], here, i);
      return;
    }
    case 'object':
      return checkObj(ctx, p.spec, v, at(parent, key));
    case 'dict':
      return checkDict(ctx, v, at(parent, key), p.values);
    case 'hashes':
      return checkHashes(ctx, v, at(parent, key), p.strict === true);
    case 'hex':
      if (typeof v !== 'string')
        return err(ctx, at(parent, key), 'type', `must be a hex string, not ${show(v)}`);
      if (!HEX_RE.test(v))
        err(
          ctx,
          at(parent, key),
          'hex',
          'must be an even number of hex digits 0-9 and lower-case a-f (§2.8)',
        );
      return;
    case 'binary':
      if (typeof v !== 'string')
        return err(ctx, at(parent, key), 'type', `must be a base64 string, not ${show(v)}`);
      if (!BASE64_RE.test(v)) err(ctx, at(parent, key), 'binary', 'must be base64 (RFC 4648) encoded');
      return;
    case 'url':
      if (typeof v !== 'string')
        return err(ctx, at(parent, key), 'type', `must be a URL string, not ${show(v)}`);
      if (!URL_RE.test(v))
        err(ctx, at(parent, key), 'url', `${show(v)} is not an RFC 3986 URL (scheme:rest, no spaces)`);
      return;
    case 'lang':
      if (typeof v !== 'string')
        return err(ctx, at(parent, key), 'type', `must be a language tag string, not ${show(v)}`);
      if (!LANG_RE.test(v)) err(ctx, at(parent, key), 'lang', `${show(v)} is not an RFC 5646 language tag`);
      return;
    case 'external-references':
      return checkObjList(ctx, EXTERNAL_REFERENCE, v, at(parent, key));
    case 'kill-chain-phases':
      return checkObjList(ctx, KILL_CHAIN_PHASE, v, at(parent, key));
    case 'granular-markings':
      return checkObjList(ctx, GRANULAR_MARKING, v, at(parent, key));
    case 'extensions':
      // Checked by checkExtensions, which needs the owning object's type.
      return;
    case 'any':
      return;
  }
}

function checkObjList(ctx: Ctx, spec: ObjSpec, v: unknown, path: string): void {
  if (!Array.isArray(v))
    return err(ctx, path, 'type', `must be a list of ${spec.name} objects, not ${show(v)}`);
  if (v.length === 0)
    return err(ctx, path, 'empty-list', 'lists must not be empty; omit the property instead');
  for (let i = 0; i < v.length; i++) checkObj(ctx, spec, v[i], at(path, i));
}

/** Custom property names already found valid: 0 plain, 1 ends in `_ref`, 2 ends in `_refs` (bounded cache). */
const GOOD_NAMES = new Map<string, 0 | 1 | 2>();

function checkCustomName(ctx: Ctx, key: string, v: unknown, parent: string): void {
  let kind = GOOD_NAMES.get(key);
  if (kind === undefined) {
    if (!CUSTOM_PROP_RE.test(key)) {
      return err(
        ctx,
        at(parent, key),
        'custom-property-name',
        `custom property name ${show(key)} must be 3–250 lower-case ASCII letters, digits or underscores (§11.1)`,
      );
    }
    if (!/^[a-z]/.test(key)) {
      return err(
        ctx,
        at(parent, key),
        'custom-property-name',
        `property name ${show(key)} must begin with a letter`,
      );
    }
    kind = key.endsWith('_ref') ? 1 : key.endsWith('_refs') ? 2 : 0;
    if (GOOD_NAMES.size < 4096) GOOD_NAMES.set(key, kind);
  }
  if (v === null)
    return err(ctx, at(parent, key), 'type', 'null is not a STIX value; omit the property instead');
  if (typeof v === 'object') {
    // §2.12 (list): an empty list is never a value, in a custom property either.
    const empty = emptyListIn(v, parent, key);
    if (empty !== undefined)
      err(ctx, empty, 'empty-list', 'lists must not be empty; omit the property instead');
  }
  if (kind === 1 && identifierType(v) === undefined) {
    warn(
      ctx,
      at(parent, key),
      'custom-ref',
      `a property ending in _ref should hold an identifier, not ${show(v)}`,
    );
  } else if (kind === 2 && !isIdentifierList(v)) {
    warn(ctx, at(parent, key), 'custom-ref', 'a property ending in _refs should hold a list of identifiers');
  }
}

/**
 * The path of the first empty list in `v` (itself included), the value at `parent` + `key`, if any. The path is
 * built only for a list found: most values have none, and this runs on every custom property and dictionary value.
 */
function emptyListIn(v: unknown, parent: string, key: string | number): string | undefined {
  const keys = emptyListKeys(v);
  return keys === undefined ? undefined : keys.reduceRight<string>((p, k) => at(p, k), at(parent, key));
}

/** The keys from `v` down to its first empty list, innermost first; undefined when there is none. */
function emptyListKeys(v: unknown): (string | number)[] | undefined {
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const found = typeof x === 'object' && x !== null ? emptyListKeys(x) : undefined;
      if (found !== undefined) {
        found.push(i);
        return found;
      }
    }
    return undefined;
  }
  if (!isRec(v)) return undefined;
  for (const k of Object.keys(v)) {
    const x = v[k];
    const found = typeof x === 'object' && x !== null ? emptyListKeys(x) : undefined;
    if (found !== undefined) {
      found.push(k);
      return found;
    }
  }
  return undefined;
}

function isIdentifierList(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (identifierType(x) === undefined) return false;
  return true;
}

function checkObj(ctx: Ctx, spec: ObjSpec, v: unknown, path: string): void {
  if (!isRec(v)) return err(ctx, path, 'type', `must be a ${spec.name} object, not ${show(v)}`);
  for (const key of Object.keys(v)) {
    const value = v[key];
    if (value === undefined) continue;
    const p = spec.props.get(key);
    if (p !== undefined) {
      if (value === null)
        err(ctx, at(path, key), 'type', 'null is not a STIX value; omit the property instead');
      else checkProp(ctx, p, value, path, key);
    } else if (spec.closed) {
      err(ctx, at(path, key), 'unknown-property', `${show(key)} is not a property of ${spec.name}`);
    } else {
      checkCustomName(ctx, key, value, path);
    }
  }
  for (const r of spec.required) {
    if (v[r] === undefined) err(ctx, at(path, r), 'required', `${spec.name} requires ${r}`);
  }
  if (spec.check !== undefined) CHECKS[spec.check]?.(ctx, v, path);
}

// ---------------------------------------------------------------------------------------------------------------
// Extensions (§7.3 extension definitions, §6 predefined SCO extensions)

const EXT_DEF_PREFIX = 'extension-definition--';
const PREDEFINED_ELSEWHERE: ReadonlyMap<string, string> = new Map(
  [...PREDEFINED_EXTENSIONS].flatMap(([type, m]) => [...m.keys()].map((k): [string, string] => [k, type])),
);

const TLP2_LEVELS: ReadonlySet<unknown> = new Set(TLP2_BY_ID.values());

/**
 * The TLP 2.0 extension (its extension definition fixes the five markings): only on a marking definition, with a
 * TLP 2.0 level, on the predefined id of that level. Like TLP 1.0's (§7.2.1.4), no other TLP marking may be made.
 */
function checkTlp2(ctx: Ctx, type: string, body: Rec, p: string): void {
  if (type !== 'marking-definition') {
    err(ctx, p, 'tlp-id', 'the TLP 2.0 extension belongs on a marking-definition only');
    return;
  }
  const level = body.tlp_2_0;
  if (!TLP2_LEVELS.has(level)) {
    err(
      ctx,
      at(p, 'tlp_2_0'),
      'tlp-id',
      `${show(level)} is not a TLP 2.0 level (clear, green, amber, amber+strict, red)`,
    );
    return;
  }
  const known = ctx.objectId === undefined ? undefined : TLP2_BY_ID.get(ctx.objectId);
  if (known === undefined) err(ctx, p, 'tlp-id', 'a TLP 2.0 marking must use one of the five predefined ids');
  else if (known !== level)
    err(ctx, at(p, 'tlp_2_0'), 'tlp-id', `this predefined id is TLP:${known.toUpperCase()}`);
}

function checkExtensions(ctx: Ctx, type: string, v: unknown, path: string): void {
  if (!isRec(v)) return err(ctx, path, 'type', `extensions must be a dictionary, not ${show(v)}`);
  const predefined = PREDEFINED_EXTENSIONS.get(type);
  let n = 0;
  for (const key of Object.keys(v)) {
    n++;
    const body = v[key];
    const p = at(path, key);
    if (key.startsWith(EXT_DEF_PREFIX)) {
      if (identifierType(key) !== 'extension-definition') {
        err(ctx, p, 'identifier', `${show(key)} is not a valid extension-definition identifier`);
      }
      if (!isRec(body)) {
        err(ctx, p, 'type', `an extension must be an object, not ${show(body)}`);
        continue;
      }
      const et = body.extension_type;
      if (et === undefined) {
        err(
          ctx,
          at(p, 'extension_type'),
          'required',
          'an extension-definition extension requires extension_type',
        );
      } else if (typeof et !== 'string' || !EXTENSION_TYPE.values.has(et)) {
        err(ctx, at(p, 'extension_type'), 'enum', `${show(et)} is not one of extension-type-enum`);
      } else if (et === 'property-extension') {
        // Its properties are named like any property (§3.1, §11.1).
        for (const k of Object.keys(body)) if (k !== 'extension_type') checkCustomName(ctx, k, body[k], p);
      }
      if (key === TLP2_EXTENSION_ID) checkTlp2(ctx, type, body, p);
      continue;
    }
    const espec = predefined?.get(key);
    if (espec !== undefined) {
      checkObj(ctx, espec, body, p);
      continue;
    }
    const owner = PREDEFINED_ELSEWHERE.get(key);
    if (owner !== undefined) {
      err(ctx, p, 'extension-type', `${key} is a predefined extension of ${owner}, not of ${type}`);
    } else if (!isRec(body)) {
      err(ctx, p, 'type', `an extension must be an object, not ${show(body)}`);
    } else {
      // A custom extension of STIX 2.0's kind (§11.3.1), deprecated: still bound by its rules.
      warn(
        ctx,
        p,
        'custom-extension',
        `${show(key)} is neither predefined nor an extension-definition id (deprecated)`,
      );
      if (!key.endsWith('-ext'))
        err(ctx, p, 'custom-extension', 'a custom extension name must end with "-ext" (§11.3.1)');
      const category = TYPE_SPECS.get(type)?.category;
      if (category !== undefined && category !== 'sco')
        err(ctx, p, 'custom-extension', `custom extensions are for SCOs only, not a ${type} (§11.3.1)`);
      if (Object.keys(body).length === 0)
        err(ctx, p, 'custom-extension', 'a custom extension must have at least one property (§11.3.1)');
    }
  }
  if (n === 0) err(ctx, path, 'empty-dictionary', 'extensions must not be empty');
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-property checks, by name from spec.ts

type Check = (ctx: Ctx, o: Rec, path: string) => void;

/** True when both are valid timestamps and a is strictly later than b. */
function later(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const fa = timestampFraction(a);
  const fb = timestampFraction(b);
  if (fa < 0 || fb < 0) return false;
  // Same fraction width: the strings themselves sort in time order.
  return fa === fb ? a > b : timestampKey(a) > timestampKey(b);
}

function notBefore(ctx: Ctx, o: Rec, path: string, first: string, last: string): void {
  if (later(o[first], o[last]))
    err(ctx, at(path, last), 'time-order', `${last} must not be earlier than ${first}`);
}

function atLeastOne(ctx: Ctx, o: Rec, path: string, props: readonly string[], what: string): void {
  for (const p of props) if (o[p] !== undefined) return;
  err(ctx, path, 'required', `${what} requires at least one of ${props.join(', ')}`);
}

const SELECTOR_SEG = /^(?:\[(\d{1,9})\]|([A-Za-z0-9_-]{1,250}))$/;

function resolveSelector(root: Rec, selector: string): 'syntax' | 'unresolved' | 'ok' {
  const segs = selector.split('.');
  if (segs.length > MAX_DEPTH) return 'syntax';
  let cur: unknown = root;
  for (let i = 0; i < segs.length; i++) {
    const m = SELECTOR_SEG.exec(segs[i]!);
    if (m === null || (i === 0 && m[1] !== undefined)) return 'syntax';
    if (m[1] !== undefined) {
      const idx = Number(m[1]);
      if (!Array.isArray(cur) || idx >= cur.length) return 'unresolved';
      cur = cur[idx];
    } else {
      if (!isRec(cur) || !Object.hasOwn(cur, m[2]!)) return 'unresolved';
      cur = cur[m[2]!];
    }
  }
  return 'ok';
}

const MAC_RE = /^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$/;
const IPV4_RE =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\/(?:3[0-2]|[12]?\d))?$/;

export function isIpv4(s: string): boolean {
  return IPV4_RE.test(s);
}

/** RFC 4291 §2.2 text forms, with an optional /prefix (0–128); an embedded dotted IPv4 tail is accepted. */
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
function allHexGroups(parts: readonly string[]): boolean {
  for (const x of parts) if (!HEX_GROUP.test(x)) return false;
  return true;
}

export function isIpv6(s: string): boolean {
  let addr = s;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const pre = s.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(pre) || Number(pre) > 128) return false;
    addr = s.slice(0, slash);
  }
  let groups = 8;
  const lastColon = addr.lastIndexOf(':');
  if (addr.includes('.')) {
    if (!IPV4_RE.test(addr.slice(lastColon + 1)) || addr.slice(lastColon + 1).includes('/')) return false;
    addr = `${addr.slice(0, lastColon + 1)}0`;
    groups = 7;
  }
  const dbl = addr.indexOf('::');
  if (dbl !== addr.lastIndexOf('::')) return false;
  if (dbl < 0) {
    const parts = addr.split(':');
    return parts.length === groups && allHexGroups(parts);
  }
  const head = addr.slice(0, dbl);
  const tail = addr.slice(dbl + 2);
  const hp = head === '' ? [] : head.split(':');
  const tp = tail === '' ? [] : tail.split(':');
  return hp.length + tp.length < groups && allHexGroups(hp) && allHexGroups(tp);
}

/** §5.1: source_ref and target_ref point at an SDO or SCO, never at an SRO, bundle, language content or marking. */
const FORBIDDEN_ENDPOINTS: ReadonlySet<string> = new Set([
  'relationship',
  'sighting',
  'bundle',
  'marking-definition',
  'language-content',
  'extension-definition',
]);

function checkRelationship(ctx: Ctx, o: Rec, path: string): void {
  notBefore(ctx, o, path, 'start_time', 'stop_time');
  if (typeof o.start_time === 'string' && o.start_time === o.stop_time) {
    err(ctx, at(path, 'stop_time'), 'time-order', 'stop_time must be later than start_time');
  }
  const rt = o.relationship_type;
  if (typeof rt !== 'string') return;
  if (!/^[a-z0-9-]+$/.test(rt)) {
    err(ctx, at(path, 'relationship_type'), 'relationship-type', 'must be ASCII a–z, 0–9 and hyphen only');
    return;
  }
  const src = identifierType(o.source_ref);
  const tgt = identifierType(o.target_ref);
  if (src !== undefined && FORBIDDEN_ENDPOINTS.has(src)) {
    err(ctx, at(path, 'source_ref'), 'relationship-endpoint', `a relationship cannot point at a ${src}`);
  }
  if (tgt !== undefined && FORBIDDEN_ENDPOINTS.has(tgt)) {
    err(ctx, at(path, 'target_ref'), 'relationship-endpoint', `a relationship cannot point at a ${tgt}`);
  }
  if (src === undefined || tgt === undefined) return;
  if (COMMON_RELATIONSHIPS.has(rt)) {
    if (rt !== 'related-to' && src !== tgt) {
      warn(
        ctx,
        at(path, 'target_ref'),
        'relationship-target',
        `${rt} should join two objects of the same type`,
      );
    }
    return;
  }
  const allowed = RELATIONSHIPS.get(src)?.get(rt);
  if (allowed !== undefined) {
    if (isStixType(tgt) && !allowed.has(tgt)) {
      warn(
        ctx,
        at(path, 'target_ref'),
        'relationship-target',
        `the spec defines ${src} ${rt} only towards ${[...allowed].join(', ')}, not ${tgt}`,
      );
    }
  } else if (!SPEC_RELATIONSHIP_TYPES.has(rt)) {
    warn(
      ctx,
      at(path, 'relationship_type'),
      'custom-relationship-type',
      `${show(rt)} is not defined by the spec`,
    );
  } else if (isStixType(src)) {
    warn(
      ctx,
      at(path, 'relationship_type'),
      'relationship-source',
      `the spec does not define ${rt} from ${src}`,
    );
  }
}

function checkMarkingDefinition(ctx: Ctx, o: Rec, path: string): void {
  const dt = o.definition_type;
  const def = o.definition;
  if (dt === undefined && def === undefined && o.extensions === undefined) {
    err(ctx, path, 'required', 'a marking-definition needs definition_type and definition, or extensions');
  }
  if (dt !== undefined && def === undefined) {
    err(ctx, at(path, 'definition'), 'required', 'definition is required when definition_type is present');
  }
  if (def !== undefined && dt === undefined) {
    err(
      ctx,
      at(path, 'definition_type'),
      'required',
      'definition_type is required when definition is present',
    );
  }
  if (def !== undefined && !isRec(def))
    err(ctx, at(path, 'definition'), 'type', 'definition must be an object');
  const tlp1 = typeof o.id === 'string' ? TLP1_BY_ID.get(o.id) : undefined;
  if (tlp1 !== undefined && (dt !== 'tlp' || o.created !== TLP1_CREATED))
    err(
      ctx,
      at(path, 'id'),
      'tlp-id',
      `this is the predefined TLP:${tlp1.toUpperCase()} id: only that marking (definition_type tlp, created ${TLP1_CREATED}) may use it (§7.2.1.4)`,
    );
  const tlp2Ext = o.extensions;
  if (
    typeof o.id === 'string' &&
    TLP2_BY_ID.has(o.id) &&
    !(isRec(tlp2Ext) && tlp2Ext[TLP2_EXTENSION_ID] !== undefined)
  )
    err(ctx, at(path, 'id'), 'tlp-id', 'this is a predefined TLP 2.0 id: only that marking may use it');
  if (dt === 'tlp' && isRec(def)) {
    const id = o.id;
    const known = typeof id === 'string' ? TLP1_BY_ID.get(id) : undefined;
    if (known === undefined) {
      err(
        ctx,
        at(path, 'id'),
        'tlp-id',
        'a TLP 1.0 marking must use one of the four predefined ids (§7.2.1.4)',
      );
    } else if (def.tlp !== known) {
      err(ctx, at(path, 'definition'), 'tlp-id', `this predefined id is TLP:${known.toUpperCase()}`);
    }
  } else if (dt === 'statement' && isRec(def) && typeof def.statement !== 'string') {
    err(
      ctx,
      at(at(path, 'definition'), 'statement'),
      'required',
      'a statement marking requires a string statement',
    );
  } else if (typeof dt === 'string' && dt !== 'tlp' && dt !== 'statement') {
    warn(ctx, at(path, 'definition_type'), 'vocabulary', `${show(dt)} is neither tlp nor statement`);
  }
  if (o.modified !== undefined) {
    warn(ctx, at(path, 'modified'), 'marking-unversioned', 'marking definitions are not versioned (§7.2.1)');
  }
  const refs = o.object_marking_refs;
  if (Array.isArray(refs) && refs.includes(o.id)) {
    err(ctx, at(path, 'object_marking_refs'), 'marking-circular', 'a marking definition cannot mark itself');
  }
}

/**
 * A CPE 2.3 formatted string: `cpe:2.3:` part, then ten attributes (NISTIR 7695 §6.2; the pattern of the CPE 2.3
 * dictionary schema).
 */
// `(?:\?+|\*)?` where NIST writes `(\?*|\*?)`: the same strings, but without two ways to match nothing, which made a
// long field that fails at its end take exponential time.
const CPE_VALUE = String.raw`(?:(?:\?+|\*)?(?:[a-zA-Z0-9\-._]|\\[\\*?!"#$%&'()+,/:;<=>@\[\]^\`{|}~])+(?:\?+|\*)?|[*-])`;
const CPE23_RE = new RegExp(
  String.raw`^cpe:2\.3:[aho*-](?::${CPE_VALUE}){5}:(?:[a-zA-Z]{2,3}(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?|[*-])(?::${CPE_VALUE}){4}$`,
);

/** IANA's top-level media types (RFC 6838 §4.2, and the registry since). */
const MEDIA_TOP = new Set([
  'application',
  'audio',
  'example',
  'font',
  'haptics',
  'image',
  'message',
  'model',
  'multipart',
  'text',
  'video',
]);
const MEDIA_TYPE_RE = /^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126})\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** §6.1.1, §6.7.1: mime_type SHOULD be an IANA media type (`type/subtype`, a registered top-level type). */
function checkMediaType(ctx: Ctx, o: Rec, path: string): void {
  const v = o.mime_type;
  if (typeof v !== 'string') return;
  const m = MEDIA_TYPE_RE.exec(v);
  if (!m || !MEDIA_TOP.has(m[1]!.toLowerCase()))
    warn(
      ctx,
      at(path, 'mime_type'),
      'media-type',
      `${show(v.slice(0, 80))} should be an IANA media type (type/subtype)`,
    );
}

/**
 * A domain name (§6.4.1: RFC 1034, internationalized per RFC 5890): dot-separated labels of 1–63 characters,
 * letters (any script), digits, hyphens (not at a label's ends) and underscores (service labels such as `_dmarc`),
 * 253 characters at most, a final dot allowed.
 */
function isDomainName(v: string): boolean {
  const name = v.endsWith('.') ? v.slice(0, -1) : v;
  if (name.length === 0 || name.length > 253) return false;
  for (const label of name.split('.'))
    if (label.length === 0 || label.length > 63 || !DOMAIN_LABEL_RE.test(label)) return false;
  return true;
}
// Inside a label also the joiners and the middle dot that RFC 5892's context rules allow (ශ්‍රී, col·legi).
const DOMAIN_LABEL_RE = /^[\p{L}\p{N}_](?:(?:[\p{L}\p{M}\p{N}_\u00b7-]|\u200c|\u200d)*[\p{L}\p{M}\p{N}_])?$/u;

/** Whether `o` has a property other than those `ignored` (the "at least one property besides …" rules). */
const hasPropertyBesides = (o: Rec, ignored: readonly string[]): boolean =>
  Object.keys(o).some((k) => !ignored.includes(k));

/** §3.8: names reserved for future versions of STIX, on every object. */
const RESERVED_PROPERTIES = ['action', 'severity', 'username', 'phone_number'] as const;

export const CHECKS: Readonly<Record<string, Check>> = {
  seen: (ctx, o, path) => notBefore(ctx, o, path, 'first_seen', 'last_seen'),
  indicator: (ctx, o, path) => {
    if (
      later(o.valid_from, o.valid_until) ||
      (typeof o.valid_from === 'string' && o.valid_from === o.valid_until)
    ) {
      err(ctx, at(path, 'valid_until'), 'time-order', 'valid_until must be later than valid_from');
    }
    const check = ctx.options?.checkPattern;
    if (check !== undefined && typeof o.pattern === 'string' && typeof o.pattern_type === 'string') {
      const msg = check(o.pattern, o.pattern_type);
      if (msg !== undefined) err(ctx, at(path, 'pattern'), 'pattern', msg);
    }
  },
  location: (ctx, o, path) => {
    const lat = o.latitude !== undefined;
    const lon = o.longitude !== undefined;
    if (lat !== lon) {
      err(ctx, at(path, lat ? 'longitude' : 'latitude'), 'required', 'latitude and longitude go together');
    }
    if (o.precision !== undefined && !(lat && lon)) {
      err(ctx, at(path, 'precision'), 'dependency', 'precision requires latitude and longitude');
    }
    if (o.region === undefined && o.country === undefined && !(lat && lon)) {
      err(ctx, path, 'required', 'a location requires region, country, or latitude and longitude');
    }
  },
  malware: (ctx, o, path) => {
    notBefore(ctx, o, path, 'first_seen', 'last_seen');
    if (o.is_family === true && o.name === undefined) {
      err(ctx, at(path, 'name'), 'required', 'a malware family (is_family: true) requires a name');
    }
  },
  'malware-analysis': (ctx, o, path) => {
    atLeastOne(ctx, o, path, ['result', 'analysis_sco_refs'], 'malware-analysis');
    notBefore(ctx, o, path, 'analysis_started', 'analysis_ended');
  },
  'observed-data': (ctx, o, path) => {
    notBefore(ctx, o, path, 'first_observed', 'last_observed');
    if (o.objects !== undefined && o.object_refs !== undefined) {
      err(ctx, at(path, 'objects'), 'exclusive', 'objects and object_refs must not both be present');
    } else if (o.objects === undefined && o.object_refs === undefined) {
      err(ctx, path, 'required', 'observed-data requires object_refs (or the deprecated objects)');
    } else if (o.objects !== undefined) {
      warn(ctx, at(path, 'objects'), 'deprecated', 'objects is deprecated in STIX 2.1; use object_refs');
    }
    const refs = o.object_refs;
    if (Array.isArray(refs) && refs.length > 0) {
      let anySco = false;
      for (const r of refs) {
        const t = identifierType(r);
        if (t !== undefined && t !== 'relationship') anySco = true;
      }
      if (!anySco) err(ctx, at(path, 'object_refs'), 'required', 'object_refs must contain at least one SCO');
    }
  },
  relationship: checkRelationship,
  'marking-definition': checkMarkingDefinition,
  'extension-definition': (ctx, o, path) => {
    const types = o.extension_types;
    if (
      o.extension_properties !== undefined &&
      !(Array.isArray(types) && types.includes('toplevel-property-extension'))
    )
      err(
        ctx,
        at(path, 'extension_properties'),
        'dependency',
        'extension_properties is only for extension_types with toplevel-property-extension (§7.3.1)',
      );
  },
  'language-content': (ctx, o, path) => {
    const c = o.contents;
    const p = at(path, 'contents');
    if (!isRec(c)) return err(ctx, p, 'type', 'contents must be a dictionary keyed by language tag');
    let n = 0;
    for (const k of Object.keys(c)) {
      n++;
      if (!LANG_RE.test(k)) err(ctx, at(p, k), 'lang', `${show(k)} is not an RFC 5646 language tag`);
      const inner = c[k];
      if (!isRec(inner))
        err(ctx, at(p, k), 'type', 'each language maps to an object of translated properties');
      else if (Object.keys(inner).length === 0)
        err(
          ctx,
          at(p, k),
          'empty-dictionary',
          'a language must map to at least one translated property (§2.3)',
        );
    }
    if (n === 0) err(ctx, p, 'empty-dictionary', 'contents must not be empty');
  },
  artifact: (ctx, o, path) => {
    atLeastOne(ctx, o, path, ['payload_bin', 'url'], 'an artifact');
    if (o.payload_bin !== undefined && o.url !== undefined) {
      err(ctx, at(path, 'url'), 'exclusive', 'payload_bin and url must not both be present');
    }
    if (o.url !== undefined && o.hashes === undefined) {
      err(ctx, at(path, 'hashes'), 'required', 'hashes is required when url is present');
    }
    if (o.decryption_key !== undefined && o.encryption_algorithm === undefined) {
      err(ctx, at(path, 'decryption_key'), 'dependency', 'decryption_key requires encryption_algorithm');
    }
    checkMediaType(ctx, o, path);
  },
  'email-message': (ctx, o, path) => {
    if (o.is_multipart === false && o.body_multipart !== undefined) {
      err(ctx, at(path, 'body_multipart'), 'exclusive', 'body_multipart requires is_multipart: true');
    }
    if (o.is_multipart === true && o.body !== undefined) {
      err(ctx, at(path, 'body'), 'exclusive', 'body must not be present when is_multipart is true');
    }
  },
  'mime-part': (ctx, o, path) => {
    if ((o.body === undefined) === (o.body_raw_ref === undefined)) {
      err(ctx, path, 'exclusive', 'a MIME part has exactly one of body or body_raw_ref');
    }
  },
  file: (ctx, o, path) => {
    atLeastOne(ctx, o, path, ['hashes', 'name'], 'file');
    checkMediaType(ctx, o, path);
  },
  'email-addr': (ctx, o, path) => {
    // §6.5.1: the address itself (an addr-spec); a display name goes in display_name. Angle brackets outside a
    // quoted local part mean `Name <address>`.
    if (typeof o.value === 'string' && /[<>]/.test(o.value.replace(/"(?:[^"\\]|\\.)*"/g, '')))
      err(
        ctx,
        at(path, 'value'),
        'email-address',
        'value is the address alone (RFC 5322 addr-spec), without a display name: use display_name for that',
      );
  },
  'registry-key': (ctx, o, path) => {
    // §6.17.1: the hive is written out in full (HKEY_LOCAL_MACHINE, not HKLM).
    const hive = typeof o.key === 'string' ? /^(HKLM|HKCU|HKCR|HKU|HKCC|HKPD)(?:\\|$)/i.exec(o.key) : null;
    if (hive)
      err(
        ctx,
        at(path, 'key'),
        'registry-hive',
        `the hive must be written out in full (e.g. HKEY_LOCAL_MACHINE), not abbreviated as ${hive[1]!}`,
      );
  },
  ipv4: (ctx, o, path) => {
    if (typeof o.value === 'string' && !IPV4_RE.test(o.value)) {
      err(ctx, at(path, 'value'), 'ip-address', `${show(o.value)} is not an IPv4 address or CIDR block`);
    }
  },
  ipv6: (ctx, o, path) => {
    if (typeof o.value === 'string' && !isIpv6(o.value)) {
      err(ctx, at(path, 'value'), 'ip-address', `${show(o.value)} is not an IPv6 address or CIDR block`);
    }
  },
  mac: (ctx, o, path) => {
    if (typeof o.value === 'string' && !MAC_RE.test(o.value)) {
      err(ctx, at(path, 'value'), 'mac-address', 'must be a lower-case, colon-delimited MAC-48 address');
    }
  },
  'network-traffic': (ctx, o, path) => {
    atLeastOne(ctx, o, path, ['src_ref', 'dst_ref'], 'network-traffic');
    if (o.is_active === true && o.end !== undefined) {
      err(ctx, at(path, 'end'), 'exclusive', 'end must not be present when is_active is true');
    }
    notBefore(ctx, o, path, 'start', 'end');
  },
  process: (ctx, o, path) => {
    if (!hasPropertyBesides(o, ['type', 'id', 'spec_version']))
      err(
        ctx,
        path,
        'required',
        'a process requires at least one property besides type, id and spec_version',
      );
  },
  pebinary: (ctx, o, path) => {
    // §6.7.6: at least one property besides pe_type.
    if (!hasPropertyBesides(o, ['pe_type']))
      err(ctx, path, 'required', 'a windows-pebinary-ext requires at least one property besides pe_type');
  },
  'domain-name': (ctx, o, path) => {
    // A defanged value (`example[.]com`) is deliberately not a domain name: a warning then.
    if (typeof o.value === 'string' && !isDomainName(o.value))
      (o.defanged === true ? warn : err)(
        ctx,
        at(path, 'value'),
        'domain-name',
        `${show(o.value.slice(0, 80))} is not a domain name (RFC 1034, RFC 5890)`,
      );
  },
  software: (ctx, o, path) => {
    // §6.14.1: a CPE 2.3 formatted string (NISTIR 7695 §6.2).
    if (typeof o.cpe === 'string' && !CPE23_RE.test(o.cpe))
      err(ctx, at(path, 'cpe'), 'cpe', `${show(o.cpe.slice(0, 80))} is not a CPE 2.3 formatted string`);
    const langs = o.languages;
    if (!Array.isArray(langs)) return;
    for (let i = 0; i < langs.length; i++) {
      const l: unknown = langs[i];
      // §6.14.1: each an RFC 5646 language code.
      if (typeof l === 'string' && !LANG_RE.test(l))
        err(ctx, at(at(path, 'languages'), i), 'lang', `${show(l)} is not an RFC 5646 language tag`);
    }
  },
  x509: (ctx, o, path) => {
    if (!hasPropertyBesides(o, ['type', 'id', 'spec_version', 'defanged']))
      err(ctx, path, 'required', 'an x509-certificate requires at least one of its own properties');
  },
  'at-least-one': (ctx, o, path) => {
    if (Object.keys(o).length === 0) err(ctx, path, 'required', 'must contain at least one property');
  },
  'external-reference': (ctx, o, path) => {
    atLeastOne(ctx, o, path, ['description', 'url', 'external_id'], 'an external reference');
    const src = o.source_name;
    const xid = o.external_id;
    // §2.5: a CAPEC or CVE reference has source_name "capec" or "cve", lower case.
    if (
      typeof src === 'string' &&
      (src.toLowerCase() === 'capec' || src.toLowerCase() === 'cve') &&
      src !== src.toLowerCase()
    )
      err(
        ctx,
        at(path, 'source_name'),
        'external-id',
        `source_name must be "${src.toLowerCase()}", in lower case`,
      );
    // §2.5: a CAPEC or CVE id, when given, is in external_id in its own format (a reference by URL alone is fine).
    if (src === 'capec' || src === 'cve') {
      const re = src === 'capec' ? /^CAPEC-\d+$/ : /^CVE-\d{4}-\d{4,}$/;
      if (typeof xid === 'string' && !re.test(xid)) {
        err(
          ctx,
          at(path, 'external_id'),
          'external-id',
          `a ${src} external_id must look like ${src === 'capec' ? 'CAPEC-123' : 'CVE-2021-26855'}`,
        );
      }
    }
  },
  'kill-chain-phase': (ctx, o, path) => {
    for (const k of ['kill_chain_name', 'phase_name']) {
      const v = o[k];
      if (typeof v === 'string' && /[A-Z _]/.test(v)) {
        warn(
          ctx,
          at(path, k),
          'kill-chain-name',
          'should be lower case with hyphens instead of spaces or underscores',
        );
      }
    }
  },
  'granular-marking': (ctx, o, path) => {
    if ((o.lang === undefined) === (o.marking_ref === undefined)) {
      err(ctx, path, 'exclusive', 'a granular marking has exactly one of lang or marking_ref');
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Top level

const UUID_AT = 2; // offset of the UUID after the `--`
/** The `created` of the four TLP 1.0 marking definitions (§7.2.1.4). */
const TLP1_CREATED = '2017-01-20T00:00:00.000Z';

/** §2.9: SCOs SHOULD use the UUIDv5 computed from their ID-contributing properties. */
function checkDeterministicId(ctx: Ctx, obj: Rec, id: string, version: string, p: string): void {
  let expected: string;
  try {
    expected = computeScoId(obj);
  } catch {
    return; // no ID-contributing property present (a UUIDv4 is then right), or no JSON form (reported elsewhere)
  }
  if (version === '4') {
    warn(ctx, p, 'id-version', `SCOs should use their deterministic UUIDv5 id (${expected})`);
  } else if (id.toLowerCase() !== expected) {
    warn(ctx, p, 'sco-id', `not the deterministic id of this SCO (§2.9 gives ${expected})`);
  }
}

function checkIdProp(
  ctx: Ctx,
  type: string,
  spec: TypeSpec | undefined,
  obj: Rec,
  id: unknown,
  path: string,
): void {
  const p = at(path, 'id');
  if (id === undefined) return; // reported as required
  if (typeof id !== 'string') return err(ctx, p, 'type', `id must be a string, not ${show(id)}`);
  const n = type.length;
  if (!(id.startsWith(type) && id.charCodeAt(n) === 45 && id.charCodeAt(n + 1) === 45)) {
    return err(ctx, p, 'id-type', `id must start with "${type}--" (its type), not ${show(id)}`);
  }
  const o = type.length + UUID_AT;
  if (id.length !== o + 36 || !uuidAt(id, o)) {
    return err(ctx, p, 'id-format', `${show(id.slice(o))} is not an RFC 4122 UUID`);
  }
  const version = id.charAt(o + 14);
  if (spec?.category === 'sco') {
    const contributing = spec.idContributing ?? [];
    const allOptional = contributing.length > 0 && contributing.every((k) => !spec.required.includes(k));
    if (
      version !== '4' &&
      (contributing.length === 0 || (allOptional && contributing.every((k) => obj[k] === undefined)))
    )
      // §2.9: with none of its ID-contributing properties present, an SCO's id MUST be a UUIDv4.
      err(
        ctx,
        p,
        'id-version',
        contributing.length === 0
          ? `a ${type} has no ID-contributing properties: its id must be a UUIDv4`
          : `this ${type} has none of ${contributing.join(', ')}: its id must be a UUIDv4`,
      );
    else if (version !== '4' && version !== '5')
      // §2.9 requires only an RFC 4122 UUID; §3.4 says other algorithms MAY be used.
      warn(ctx, p, 'id-version', `SCO ids should be UUIDv5 (deterministic) or UUIDv4, not UUIDv${version}`);
    else checkDeterministicId(ctx, obj, id, version, p);
  } else if (spec !== undefined && version !== '4') {
    warn(ctx, p, 'id-version', `${type} ids should use a UUIDv4 (this is a UUIDv${version})`);
  }
}

function validateInto(value: unknown, path: string, ctx: Ctx, inBundle: boolean): void {
  if (!isRec(value)) return err(ctx, path, 'type', `a STIX object must be a JSON object, not ${show(value)}`);
  const id = value.id;
  ctx.objectId = typeof id === 'string' && id.length <= 300 ? id : undefined;
  if (!scan(value, ctx, path)) return;
  const type = value.type;
  if (typeof type !== 'string') {
    err(
      ctx,
      at(path, 'type'),
      type === undefined ? 'required' : 'type',
      'every STIX object requires a string type',
    );
    if (id === undefined) err(ctx, at(path, 'id'), 'required', 'every STIX object requires an id');
    return;
  }
  if (type === 'bundle') {
    err(ctx, at(path, 'type'), inBundle ? 'nested-bundle' : 'bundle', 'a bundle is not a STIX object here');
    return;
  }
  if (type.length < 3 || type.length > 250 || !TYPE_NAME_RE.test(type)) {
    return err(
      ctx,
      at(path, 'type'),
      'type-name',
      'a type is 3–250 characters of a–z, 0–9 and single hyphens',
    );
  }
  if (type === 'action') return err(ctx, at(path, 'type'), 'type-name', 'the type "action" is reserved');
  const spec = TYPE_SPECS.get(type);
  const objSpec: ObjSpec = spec ?? CUSTOM_COMMON;

  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === undefined) continue;
    const p = objSpec.props.get(key);
    if (p !== undefined) {
      if (v === null) err(ctx, at(path, key), 'type', 'null is not a STIX value; omit the property instead');
      else if (p.k === 'extensions') checkExtensions(ctx, type, v, at(path, key));
      else if (key !== 'id' && key !== 'type') checkProp(ctx, p, v, path, key);
    } else {
      checkCustomName(ctx, key, v, path);
      if ((RESERVED_PROPERTIES as readonly string[]).includes(key))
        err(ctx, at(path, key), 'reserved-property', `${show(key)} is a reserved property name (§3.8)`);
    }
  }
  for (const r of objSpec.required) {
    if (value[r] === undefined) err(ctx, at(path, r), 'required', `${type} requires ${r}`);
  }
  checkIdProp(ctx, type, spec, value, id, path);

  const sv = value.spec_version;
  if (sv !== undefined && sv !== '2.1') {
    err(ctx, at(path, 'spec_version'), 'spec-version', `spec_version must be "2.1", not ${show(sv)}`);
  }
  if (later(value.created, value.modified)) {
    err(ctx, at(path, 'modified'), 'modified-before-created', 'modified must not be earlier than created');
  }
  if (spec === undefined) checkCustomObject(ctx, value, path);
  else if (spec.check !== undefined) CHECKS[spec.check]?.(ctx, value, path);
  if (spec !== undefined && spec.category !== 'sco' && value.defanged !== undefined)
    err(ctx, at(path, 'defanged'), 'sco-only', 'defanged must not be used on objects other than SCOs (§3.2)');
  if (spec?.category === 'sco')
    for (const key of Object.keys(value))
      if (key.endsWith('_enc') && value[key.slice(0, -4)] === undefined)
        err(
          ctx,
          at(path, key),
          'dependency',
          `${key} must not be present without ${key.slice(0, -4)} (§3.1)`,
        );

  const gms = value.granular_markings;
  if (Array.isArray(gms)) {
    for (let i = 0; i < gms.length; i++) {
      if (type === 'marking-definition' && isRec(gms[i]) && (gms[i] as Rec).marking_ref === value.id)
        err(
          ctx,
          at(at(at(path, 'granular_markings'), i), 'marking_ref'),
          'marking-self-reference',
          'a marking definition must not mark itself (§7.2.1)',
        );
      const sels = isRec(gms[i]) ? (gms[i] as Rec).selectors : undefined;
      if (!Array.isArray(sels)) continue;
      for (let j = 0; j < sels.length; j++) {
        const s: unknown = sels[j];
        if (typeof s !== 'string') continue;
        const r = resolveSelector(value, s);
        if (r === 'ok') continue;
        const sp = at(at(at(path, 'granular_markings'), i), 'selectors') + `[${j}]`;
        if (r === 'syntax')
          err(ctx, sp, 'selector', `${show(s)} is not a valid selector (e.g. "labels.[0]")`);
        else err(ctx, sp, 'selector', `${show(s)} does not select anything in this object`);
      }
    }
  }
}

function checkCustomObject(ctx: Ctx, o: Rec, path: string): void {
  const hasCreated = o.created !== undefined;
  const hasModified = o.modified !== undefined;
  if (hasCreated || hasModified) {
    // SDO-like custom object (§11.2): the SDO common properties apply.
    if (!hasCreated)
      err(ctx, at(path, 'created'), 'required', 'a custom object with modified also requires created');
    if (!hasModified)
      err(ctx, at(path, 'modified'), 'required', 'a custom object with created also requires modified');
    if (o.spec_version === undefined)
      err(ctx, at(path, 'spec_version'), 'required', 'custom objects require spec_version');
    return;
  }
  const exts = o.extensions;
  let declaresSco = false;
  if (isRec(exts)) {
    for (const k of Object.keys(exts)) {
      const e = exts[k];
      if (isRec(e) && e.extension_type === 'new-sco') declaresSco = true;
    }
  }
  if (!declaresSco) {
    warn(
      ctx,
      path,
      'custom-object',
      'custom object without created/modified: required unless it is a custom SCO',
    );
  }
}

function newCtx(options: ValidateOptions | undefined): Ctx {
  return { problems: [], objectId: undefined, options, count: 0 };
}

/** Every problem (errors and warnings) of one STIX object, with paths relative to the object (`$.…`). */
export function validateObject(value: unknown, options?: ValidateOptions): Problem[] {
  const ctx = newCtx(options);
  validateInto(value, '$', ctx, false);
  return ctx.problems;
}

const BUNDLE_ID_RE =
  /^bundle--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

/**
 * Every problem of a bundle: its envelope, then each object with paths `$.objects[i]…`, then objects that repeat an
 * id and version with a different body.
 */
export function validateBundle(value: unknown, options?: ValidateOptions): Problem[] {
  const ctx = newCtx(options);
  if (!isRec(value)) {
    err(ctx, '$', 'type', `a bundle must be a JSON object, not ${show(value)}`);
    return ctx.problems;
  }
  const id = value.id;
  ctx.objectId = typeof id === 'string' && id.length <= 300 ? id : undefined;
  if (value.type !== 'bundle') err(ctx, '$.type', 'bundle', `type must be "bundle", not ${show(value.type)}`);
  if (id === undefined) err(ctx, '$.id', 'required', 'a bundle requires an id');
  else if (typeof id !== 'string' || !BUNDLE_ID_RE.test(id)) {
    err(ctx, '$.id', 'id-format', `${show(id)} is not a bundle identifier (bundle--UUID)`);
  } else if (id.charAt(22) !== '4') warn(ctx, '$.id', 'id-version', 'bundle ids should use a UUIDv4');
  for (const key of Object.keys(value)) {
    if (BUNDLE.props.has(key)) continue;
    if (key === 'spec_version') {
      warn(
        ctx,
        '$.spec_version',
        'bundle-spec-version',
        'STIX 2.1 bundles have no spec_version (a 2.0 leftover)',
      );
    } else {
      warn(ctx, at('$', key), 'unknown-property', `${show(key)} is not a bundle property`);
    }
  }
  const objects = value.objects;
  if (objects === undefined) return ctx.problems;
  if (!Array.isArray(objects)) {
    err(ctx, '$.objects', 'type', `objects must be a list, not ${show(objects)}`);
    return ctx.problems;
  }
  if (objects.length === 0) {
    err(ctx, '$.objects', 'empty-list', 'lists must not be empty; omit objects instead');
    return ctx.problems;
  }
  // id → index of its first occurrence; only ids that repeat (several versions) get a version → index map, so the
  // check stays linear even for a hostile bundle that repeats one id many times.
  const firstById = new Map<string, number>();
  const versionsById = new Map<string, Map<string, number>>();
  for (let i = 0; i < objects.length; i++) {
    const o: unknown = objects[i];
    const path = `$.objects[${i}]`;
    ctx.count = 0;
    validateInto(o, path, ctx, true);
    if (!isRec(o) || typeof o.id !== 'string') continue;
    const first = firstById.get(o.id);
    if (first === undefined) {
      firstById.set(o.id, i);
      continue;
    }
    let versions = versionsById.get(o.id);
    if (versions === undefined) {
      versions = new Map([[versionKey(objects[first] as Rec), first]]);
      versionsById.set(o.id, versions);
    }
    const version = versionKey(o);
    const j = versions.get(version);
    if (j === undefined) {
      versions.set(version, i);
      continue;
    }
    let same: boolean;
    try {
      same = canonicalJson(o) === canonicalJson(objects[j]);
    } catch {
      same = false;
    }
    ctx.objectId = o.id;
    if (same) warn(ctx, path, 'duplicate-object', `repeats $.objects[${j}] exactly`);
    else err(ctx, path, 'duplicate-object', `same id and version as $.objects[${j}] but a different body`);
  }
  return ctx.problems;
}

function versionKey(o: Rec): string {
  const v = typeof o.modified === 'string' ? o.modified : o.created;
  return typeof v === 'string' && timestampFraction(v) >= 0 ? timestampKey(v) : '';
}

export function hasErrors(problems: readonly Problem[]): boolean {
  for (const p of problems) if (p.severity === 'error') return true;
  return false;
}
