import { invalid } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { TYPE_SPECS } from './spec.js';
import { STIX_SCO_NAMESPACE, uuidv5 } from './uuid.js';

/** §2.9: when several hashes are present only one contributes, chosen in this order. */
const HASH_PREFERENCE = ['MD5', 'SHA-1', 'SHA-256', 'SHA-512'];

function chooseOneHash(hashes: unknown): Record<string, unknown> | undefined {
  if (typeof hashes !== 'object' || hashes === null || Array.isArray(hashes)) return undefined;
  const h = hashes as Record<string, unknown>;
  for (const alg of HASH_PREFERENCE) if (h[alg] !== undefined) return { [alg]: h[alg] };
  // None of the preferred ones: the spec leaves the pick open; take the smallest key so the id never depends on
  // the order the producer wrote the keys in.
  const first = Object.keys(h).sort()[0];
  return first === undefined ? undefined : { [first]: h[first] };
}

/**
 * The deterministic id of a STIX 2.1 Cyber-observable Object (§2.9): `type--UUIDv5(namespace, JCS(contributing))`,
 * where `contributing` holds the SCO type's ID-contributing properties that are present (one hash only, references
 * as their id strings), in RFC 8785 canonical JSON, under the namespace 00abedb4-aa42-466c-9c01-fed23315a9b7.
 *
 * Throws `INVALID` when `obj` is not a spec-defined SCO, or when none of its ID-contributing properties is present
 * (the spec then says to use a UUIDv4, which is not a deterministic function of the object).
 */
export function computeScoId(obj: Record<string, unknown>): string {
  const type = obj.type;
  const spec = typeof type === 'string' ? TYPE_SPECS.get(type) : undefined;
  if (spec === undefined || spec.category !== 'sco' || typeof type !== 'string') {
    throw invalid(`computeScoId: ${JSON.stringify(String(type).slice(0, 64))} is not a STIX 2.1 SCO type`);
  }
  const contributing: Record<string, unknown> = {};
  let n = 0;
  for (const prop of spec.idContributing ?? []) {
    let v = obj[prop];
    if (prop === 'hashes' && v !== undefined) v = chooseOneHash(v);
    if (v === undefined || v === null) continue;
    contributing[prop] = v;
    n++;
  }
  if (n === 0) {
    throw invalid(
      `computeScoId: this ${type} has none of its ID-contributing properties (${(spec.idContributing ?? []).join(', ') || 'none defined'}); use a UUIDv4`,
    );
  }
  return `${type}--${uuidv5(STIX_SCO_NAMESPACE, canonicalJson(contributing))}`;
}
