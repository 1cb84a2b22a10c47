import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  SCO_TYPES,
  SDO_TYPES,
  hasErrors,
  validateBundle,
  validateObject,
} from '../../../src/core/stix/index.js';
import { ALL_EXAMPLES, clone, type Obj } from './fixtures.js';
import { errorKeys } from './helpers.js';

const DATA = join(import.meta.dirname, '../../../../shared/data');
const SCHEMAS = join(DATA, 'stix2-json-schemas/schemas');
const EXAMPLES = join(DATA, 'stix2-json-schemas/examples');
const BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';

const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));

function exampleFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.json')) out.push(join(dir, e.name));
    }
  };
  walk(EXAMPLES);
  return out.sort();
}

/** The OASIS JSON schemas, compiled with Ajv (2020-12), as an independent oracle. */
function oracle(): (o: Obj) => boolean | undefined {
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false, logger: false });
  (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
  for (const dir of readdirSync(SCHEMAS)) {
    for (const f of readdirSync(join(SCHEMAS, dir))) ajv.addSchema(readJson(join(SCHEMAS, dir, f)) as object);
  }
  const byType = new Map<string, ValidateFunction>();
  const folder = (t: string): string =>
    SDO_TYPES.includes(t)
      ? 'sdos'
      : SCO_TYPES.includes(t)
        ? 'observables'
        : t === 'relationship' || t === 'sighting'
          ? 'sros'
          : 'common';
  return (o) => {
    const t = String(o.type);
    let fn = byType.get(t);
    if (fn === undefined) {
      const s = ajv.getSchema(`${BASE}${folder(t)}/${t}.json`);
      if (s === undefined) return undefined;
      fn = s;
      byType.set(t, fn);
    }
    return fn(o);
  };
}

const files = exampleFiles();
const schemaValid = oracle();

describe('the OASIS example bundles validate with zero errors', () => {
  it('there are examples to check', () => expect(files.length).toBeGreaterThanOrEqual(7));
  it.each(files.map((f) => [f.slice(EXAMPLES.length + 1), f]))('%s', (_name, f) => {
    const doc = readJson(f) as Obj;
    const ps = doc.type === 'bundle' ? validateBundle(doc) : validateObject(doc);
    expect(errorKeys(ps)).toEqual([]);
  });
});

describe('the whole ATT&CK Enterprise bundle validates with zero errors', () => {
  it('24,772 objects, x-mitre-* custom objects and x_mitre_* properties included', () => {
    const bundle = readJson(join(DATA, 'attack/enterprise-attack.json')) as { objects: Obj[] };
    expect(bundle.objects.length).toBe(24_772);
    const ps = validateBundle(bundle);
    expect(errorKeys(ps)).toEqual([]);
    // The warnings are real SHOULD/vocabulary findings (custom relationship types such as subtechnique-of).
    expect(ps.every((p) => p.severity === 'warning')).toBe(true);
  });
});

describe('agreement with the OASIS JSON schemas (Ajv 2020-12 as oracle)', () => {
  const objects: [string, Obj][] = [];
  for (const f of files) {
    const doc = readJson(f) as Obj;
    const list = doc.type === 'bundle' ? (doc.objects as Obj[]) : [doc];
    list.forEach((o, i) => objects.push([`${f.slice(EXAMPLES.length + 1)}#${i} ${String(o.type)}`, o]));
  }
  for (const [t, o] of Object.entries(ALL_EXAMPLES)) objects.push([`fixture ${t}`, o]);

  // Where the OASIS schemas are stricter than the prose spec, the prose wins (docs/stix.md lists these).
  const SCHEMA_STRICTER: Record<string, string> = {
    'fixture network-traffic':
      'the schema wants http-request-ext request_header values as lists; the spec example (§6.12.2) uses strings',
  };

  it.each(objects)('both accept %s', (name, o) => {
    expect(hasErrors(validateObject(o))).toBe(false);
    const verdict = schemaValid(o);
    if (verdict !== undefined) expect(verdict).toBe(SCHEMA_STRICTER[name] === undefined);
  });

  const mutations: [string, (o: Obj) => void][] = [
    ['without id', (o) => delete o.id],
    ['without type', (o) => delete o.type],
    ['with a malformed id', (o) => (o.id = `${String(o.type)}--1234`)],
    ['with a non-RFC 3339 created', (o) => (o.created = '2016/04/06 20:03')],
  ];
  const sdos = objects.filter(([, o]) => typeof o.created === 'string' && o.type !== 'marking-definition');
  for (const [label, mutate] of mutations) {
    it.each(sdos)(`both reject %s ${label}`, (_name, o) => {
      const bad = clone(o);
      mutate(bad);
      expect(hasErrors(validateObject(bad))).toBe(true);
      const verdict = schemaValid(bad);
      if (verdict !== undefined) expect(verdict).toBe(false);
    });
  }
});
