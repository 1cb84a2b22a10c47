/**
 * TAXII 2.1 URL parameters (§3.4, §3.5): `added_after`, `limit`, `next` and `match[…]`, parsed and checked per
 * endpoint. Values of one field are comma-separated and ORed; fields are ANDed. Anything malformed, and any defined
 * `match[…]` field the endpoint does not take, is an INVALID error (400); fields TAXII does not define are ignored
 * on reads (never on DELETE, where ignoring one would remove more). Pure.
 */
import { invalid } from '../core/errors.js';
import { isTimestamp } from '../core/stix/index.js';

export type Endpoint = 'objects' | 'manifest' | 'object' | 'delete' | 'versions';

export interface VersionMatch {
  readonly all: boolean;
  readonly first: boolean;
  readonly last: boolean;
  /** Explicit version timestamps, as given. */
  readonly timestamps: readonly string[];
}

export interface TaxiiFilter {
  readonly addedAfter?: string | undefined;
  readonly limit?: number | undefined;
  readonly next?: string | undefined;
  readonly ids?: readonly string[] | undefined;
  readonly types?: readonly string[] | undefined;
  readonly specVersions?: readonly string[] | undefined;
  /** Absent: the endpoint's default (`last` where versions can be chosen). */
  readonly versions?: VersionMatch | undefined;
}

const ALLOWED: Record<Endpoint, readonly string[]> = {
  objects: ['added_after', 'limit', 'next', 'id', 'type', 'version', 'spec_version'],
  manifest: ['added_after', 'limit', 'next', 'id', 'type', 'version', 'spec_version'],
  object: ['added_after', 'limit', 'next', 'version', 'spec_version'],
  delete: ['version', 'spec_version'],
  versions: ['added_after', 'limit', 'next', 'spec_version'],
};

/** The `match[…]` fields TAXII 2.1 defines (§3.4.1). */
const DEFINED_FIELDS: readonly string[] = ['id', 'type', 'version', 'spec_version'];

const ID_RE =
  /^[a-z0-9][a-z0-9-]{0,248}[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TYPE_RE = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$/;
const SPEC_VERSION_RE = /^[0-9]+\.[0-9]+$/;
const MAX_VALUES = 1000;

/** Whether `s` is a STIX identifier (`type--UUID`). */
export const isStixId = (s: string): boolean => ID_RE.test(s);

type Raw = Record<string, unknown>;

function single(raw: Raw, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    if (v.length !== 1) throw invalid(`parameter ${name} must be given once`);
    return text(v[0]);
  }
  return text(v);
}

const text = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x));

/** A `match[…]` field's comma-separated values, repeats removed. The field itself must occur once (§3.4). */
function list(raw: Raw, name: string): string[] | undefined {
  const values = listed(raw, name);
  return values && [...new Set(values)];
}

/** A `match[…]` field's comma-separated values as given. */
function listed(raw: Raw, name: string): string[] | undefined {
  const v = raw[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.length !== 1)
    throw invalid(`parameter ${name} must be given once (its values are comma-separated)`);
  const values = text(Array.isArray(v) ? v[0] : v)
    .split(',')
    .map((s) => s.trim());
  if (values.some((s) => s === '')) throw invalid(`parameter ${name} has an empty value`);
  if (values.length > MAX_VALUES) throw invalid(`parameter ${name} has more than ${MAX_VALUES} values`);
  return values;
}

/** Parses the query of one endpoint. `raw` is the decoded query string (repeated keys as arrays). */
export function parseFilter(endpoint: Endpoint, raw: Raw, limits: { maxLimit: number }): TaxiiFilter {
  const allowed = ALLOWED[endpoint];
  for (const key of Object.keys(raw)) {
    const m = /^match\[(.*)\]$/.exec(key);
    if (m) {
      const field = m[1]!;
      // §3.4: a request MAY use a field this standard does not define, and a server MAY ignore it (e.g. the
      // interoperability filters match[tlp], match[relationships-all]). A defined field this endpoint does not
      // take (match[type] on one object) is refused: answering as if it were not there would mislead.
      if (!DEFINED_FIELDS.includes(field)) {
        if (field === '') throw invalid('malformed parameter "match[]"');
        // A defined field misspelt by case is a mistake, not a field of its own; and a DELETE that ignored a
        // filter would remove more than was asked: both refused.
        if (DEFINED_FIELDS.includes(field.toLowerCase()))
          throw invalid(`match[${field}]: field names are lower case (match[${field.toLowerCase()}])`);
        if (endpoint === 'delete') throw invalid(`match[${field}] is not supported on this endpoint`);
        continue;
      }
      if (!allowed.includes(field)) throw invalid(`match[${field}] is not supported on this endpoint`);
    } else if (['added_after', 'limit', 'next'].includes(key) && !allowed.includes(key)) {
      throw invalid(`parameter ${key} is not supported on this endpoint`);
    } else if (key.startsWith('match')) {
      throw invalid(`malformed parameter ${JSON.stringify(key.slice(0, 64))}`);
    }
  }
  const addedAfter = single(raw, 'added_after');
  if (addedAfter !== undefined && !isTimestamp(addedAfter))
    throw invalid(`added_after must be a timestamp such as 2021-03-02T10:00:00.000Z`);

  const limitText = single(raw, 'limit');
  let limit: number | undefined;
  if (limitText !== undefined) {
    // Any positive integer, however long: one above the server's maximum gets the maximum (§3.4: a server MAY
    // return fewer).
    if (!/^[0-9]+$/.test(limitText) || !/[1-9]/.test(limitText))
      throw invalid('limit must be a positive integer');
    limit = Math.min(Number(limitText), limits.maxLimit);
  }

  const next = single(raw, 'next');
  if (next !== undefined && (next === '' || next.length > 1024)) throw invalid('next is not a valid cursor');

  const ids = list(raw, 'match[id]');
  for (const id of ids ?? []) if (!ID_RE.test(id)) throw invalid(`match[id]: not a STIX id: ${trim(id)}`);
  const types = list(raw, 'match[type]');
  for (const t of types ?? [])
    if (!TYPE_RE.test(t)) throw invalid(`match[type]: not a STIX type: ${trim(t)}`);
  const specVersions = list(raw, 'match[spec_version]');
  for (const s of specVersions ?? [])
    if (!SPEC_VERSION_RE.test(s)) throw invalid(`match[spec_version]: not a version: ${trim(s)}`);

  const versionValues = listed(raw, 'match[version]');
  let versions: VersionMatch | undefined;
  if (versionValues !== undefined) {
    const timestamps: string[] = [];
    for (const v of versionValues) {
      if (v !== 'first' && v !== 'last' && v !== 'all' && !isTimestamp(v))
        throw invalid(`match[version] must be first, last, all or timestamps: ${trim(v)}`);
      if (isTimestamp(v)) timestamps.push(v);
    }
    // §3.4.1: each keyword at most once, and `all` with nothing else.
    for (const k of ['first', 'last', 'all'])
      if (versionValues.filter((v) => v === k).length > 1)
        throw invalid(`match[version]: ${k} must not occur more than once`);
    if (versionValues.includes('all') && versionValues.length > 1)
      throw invalid('match[version]: all must not be combined with other versions');
    versions = {
      all: versionValues.includes('all'),
      first: versionValues.includes('first'),
      last: versionValues.includes('last'),
      timestamps: [...new Set(timestamps)],
    };
  }
  return { addedAfter, limit, next, ids, types, specVersions, versions };
}

const trim = (s: string): string => JSON.stringify(s.slice(0, 80));
