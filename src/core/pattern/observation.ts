/** Observations as the matcher sees them: from log scanners directly, or converted from STIX observed-data. */
import { invalid } from '../errors.js';
import { timestampMillis } from './literals.js';

/** One observation as log scanners produce it, or converted from a STIX 2.1 observed-data + its SCOs. */
export interface Observation {
  readonly id?: string;
  readonly firstObserved: string;
  readonly lastObserved: string;
  readonly numberObserved: number;
  /** SCOs keyed by their id (2.1) or by a local key; `*_ref(s)` values resolve through this map. */
  readonly objects: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

type Sco = Readonly<Record<string, unknown>>;

/** The matcher's working form of an observation: objects grouped by type, times as numbers. */
export interface PreparedObservation {
  readonly first: number;
  readonly last: number;
  /** How many observations this one stands for (`number_observed`), at least 1. */
  readonly count: number;
  readonly byType: ReadonlyMap<string, readonly Sco[]>;
  readonly objects: Readonly<Record<string, Sco>>;
}

/** Upper bound on `number_observed` used as a capacity (the spec caps it at 999,999,999). */
const MAX_COUNT = 999_999_999;

export function prepareObservation(obs: Observation): PreparedObservation {
  const first = timestampMillis(obs.firstObserved);
  const last = timestampMillis(obs.lastObserved);
  if (first === undefined || last === undefined) {
    throw invalid(
      `observation${obs.id ? ` ${obs.id}` : ''} has an invalid first_observed/last_observed timestamp`,
    );
  }
  const byType = new Map<string, Sco[]>();
  const objects = obs.objects;
  for (const key in objects) {
    if (!Object.hasOwn(objects, key)) continue;
    const o = objects[key];
    if (o === null || typeof o !== 'object') continue;
    const type = o.type;
    if (typeof type !== 'string') continue;
    const list = byType.get(type);
    if (list) list.push(o);
    else byType.set(type, [o]);
  }
  const n = obs.numberObserved;
  const count = Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_COUNT) : 1;
  return { first, last, count, byType, objects };
}

const cache = new WeakMap<Observation, PreparedObservation>();
export function preparedOf(obs: Observation): PreparedObservation {
  let p = cache.get(obs);
  if (!p) {
    p = prepareObservation(obs);
    cache.set(obs, p);
  }
  return p;
}

const lookup = (
  scos: ReadonlyMap<string, Record<string, unknown>> | Readonly<Record<string, Record<string, unknown>>>,
  id: string,
): Record<string, unknown> | undefined =>
  scos instanceof Map
    ? (scos as ReadonlyMap<string, Record<string, unknown>>).get(id)
    : Object.hasOwn(scos, id)
      ? (scos as Readonly<Record<string, Record<string, unknown>>>)[id]
      : undefined;

/** Every SCO id a value refers to through `*_ref` / `*_refs` properties, at any depth. */
function collectRefs(value: unknown, key: string, out: string[]): void {
  if (typeof value === 'string') {
    if (key.endsWith('_ref') || key.endsWith('_refs')) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, key, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectRefs(v, k, out);
  }
}

/**
 * Convert an observed-data object and its SCOs. 2.1 `object_refs` are resolved through `scos` (and everything they
 * reference, transitively, is included so `_ref` paths resolve); the deprecated 2.0 `objects` dictionary is used
 * as is. Throws INVALID when required properties are missing or a referenced SCO is not given.
 */
export function observationFromObservedData(
  observedData: Record<string, unknown>,
  scos: ReadonlyMap<string, Record<string, unknown>> | Readonly<Record<string, Record<string, unknown>>>,
): Observation {
  const { id, first_observed: first, last_observed: last, number_observed: count } = observedData;
  const name = typeof id === 'string' ? id : 'observed-data';
  if (typeof first !== 'string' || timestampMillis(first) === undefined) {
    throw invalid(`${name}: first_observed must be a timestamp`);
  }
  if (typeof last !== 'string' || timestampMillis(last) === undefined) {
    throw invalid(`${name}: last_observed must be a timestamp`);
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw invalid(`${name}: number_observed must be a positive integer`);
  }
  const objects: Record<string, Record<string, unknown>> = {};
  const refs = observedData.object_refs;
  const legacy = observedData.objects;
  if (Array.isArray(refs)) {
    const queue = refs.filter((r): r is string => typeof r === 'string');
    while (queue.length > 0) {
      const ref = queue.pop() as string;
      if (Object.hasOwn(objects, ref)) continue;
      const sco = lookup(scos, ref);
      if (!sco) throw invalid(`${name}: referenced object ${ref} was not provided`);
      objects[ref] = sco;
      const more: string[] = [];
      for (const [k, v] of Object.entries(sco)) collectRefs(v, k, more);
      for (const m of more) if (!Object.hasOwn(objects, m) && lookup(scos, m)) queue.push(m);
    }
  } else if (legacy && typeof legacy === 'object' && !Array.isArray(legacy)) {
    for (const [k, v] of Object.entries(legacy as Record<string, unknown>)) {
      if (v && typeof v === 'object') objects[k] = v as Record<string, unknown>;
    }
  } else {
    throw invalid(`${name}: needs object_refs (2.1) or objects (2.0)`);
  }
  return {
    ...(typeof id === 'string' ? { id } : {}),
    firstObserved: first,
    lastObserved: last,
    numberObserved: count,
    objects,
  };
}
