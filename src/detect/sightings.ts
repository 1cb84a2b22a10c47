/**
 * STIX 2.1 sightings from indicator hits: one `sighting` per indicator seen, with `count`, `first_seen`,
 * `last_seen`, `sighting_of_ref` and `where_sighted_refs` (the member's identity). `observed_data_refs` only when
 * asked for, because what a member's logs show may be private: then one `observed-data` per sighting carries the
 * SCOs of the first matching line, with deterministic SCO ids (STIX 2.1 §2.9). Ids and the timestamp are passed in: no
 * clock or randomness here.
 */
import { computeScoId } from '../core/stix/index.js';
import type { IndicatorHit } from './types.js';

export type StixObject = Record<string, unknown> & { readonly type: string; readonly id: string };

export interface SightingOptions {
  /** `identity--…` of the member whose logs were scanned. */
  readonly identityId: string;
  /** Creates a fresh `<type>--<uuid v4>` id. */
  readonly newId: (type: string) => string;
  /** The `created`/`modified` timestamp (and fallback for unknown times), ISO 8601 UTC. */
  readonly now: string;
  readonly includeObservedData?: boolean;
}

/** Gives the SCOs of one observation STIX ids, rewriting `*_ref` keys to those ids. */
export function identifyScos(
  objects: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): StixObject[] {
  const ids = new Map<string, string>();
  const out = new Map<string, StixObject>();
  const resolve = (key: string, depth: number): string => {
    const known = ids.get(key);
    if (known) return known;
    const src = objects[key];
    if (!src || depth > 8) throw new Error(`observation reference '${key}' does not resolve`);
    const sco: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(src)) {
      sco[k] = k.endsWith('_ref') && typeof v === 'string' ? resolve(v, depth + 1) : v;
    }
    const type = String(sco['type']);
    const id = computeScoId(sco);
    ids.set(key, id);
    out.set(id, { ...sco, type, id, spec_version: '2.1' });
    return id;
  };
  for (const key of Object.keys(objects)) resolve(key, 0);
  return [...out.values()];
}

const stamp = (t: string | undefined, fallback: string): string => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? fallback : new Date(ms).toISOString();
};

/** Sightings (and, if asked, their observed-data and SCOs) for every indicator hit, in indicator-id order. */
export function buildSightings(hits: Iterable<IndicatorHit>, opts: SightingOptions): StixObject[] {
  const objects: StixObject[] = [];
  const seenScos = new Set<string>();
  const sorted = [...hits].sort((a, b) => (a.indicatorId < b.indicatorId ? -1 : 1));
  for (const hit of sorted) {
    const first = stamp(hit.firstSeen, opts.now);
    const last = stamp(hit.lastSeen, opts.now);
    const sighting: Record<string, unknown> = {
      type: 'sighting',
      spec_version: '2.1',
      id: opts.newId('sighting'),
      created: opts.now,
      modified: opts.now,
      count: Math.min(hit.count, 999_999_999),
      first_seen: first,
      last_seen: last < first ? first : last,
      sighting_of_ref: hit.indicatorId,
      where_sighted_refs: [opts.identityId],
      created_by_ref: opts.identityId,
    };
    if (opts.includeObservedData && hit.sample) {
      const scos = identifyScos(hit.sample);
      const observed: StixObject = {
        type: 'observed-data',
        spec_version: '2.1',
        id: opts.newId('observed-data'),
        created: opts.now,
        modified: opts.now,
        created_by_ref: opts.identityId,
        first_observed: first,
        last_observed: sighting['last_seen'],
        number_observed: Math.min(hit.count, 999_999_999),
        object_refs: scos.map((s) => s.id),
      };
      sighting['observed_data_refs'] = [observed.id];
      for (const sco of scos) {
        if (seenScos.has(sco.id)) continue;
        seenScos.add(sco.id);
        objects.push(sco);
      }
      objects.push(observed);
    }
    objects.push(sighting as StixObject);
  }
  return objects;
}
