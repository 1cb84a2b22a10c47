import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasErrors, validateObject } from '../../../src/core/stix/index.js';
import { TYPE_SPECS } from '../../../src/core/stix/spec.js';
import { ALL_EXAMPLES, SCO_EXAMPLES, clone, type Obj } from './fixtures.js';

const types = Object.keys(ALL_EXAMPLES);
const isSco = (t: string) => t in SCO_EXAMPLES;

const timestamp = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const customName = fc.stringMatching(/^x_[a-z][a-z0-9_]{1,20}$/);
const customValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
);

/** A valid object: an example of a random type with fresh id, timestamps, common and custom properties. */
const validObject = fc
  .record({
    type: fc.constantFrom(...types),
    uuid: fc.uuid({ version: 4 }),
    t1: timestamp,
    t2: timestamp,
    confidence: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    labels: fc.option(fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 4 }), {
      nil: undefined,
    }),
    description: fc.option(fc.string(), { nil: undefined }),
    custom: fc.dictionary(customName, customValue, { maxKeys: 3 }),
  })
  .map(({ type, uuid, t1, t2, confidence, labels, description, custom }) => {
    const o: Obj = { ...clone(ALL_EXAMPLES[type]!), ...custom, id: `${type}--${uuid}` };
    if (!isSco(type)) {
      const [created, modified] = t1 <= t2 ? [t1, t2] : [t2, t1];
      o.created = created;
      if (type !== 'marking-definition') {
        o.modified = modified;
        if (confidence !== undefined) o.confidence = confidence;
        if (labels !== undefined) o.labels = labels;
      }
      if (description !== undefined && TYPE_SPECS.get(type)?.props.has('description'))
        o.description = description;
    }
    return o;
  });

describe('property: generated valid objects validate without errors', () => {
  it('any type, any fresh id, timestamps, common and custom properties', () => {
    fc.assert(
      fc.property(validObject, (o) => {
        const errs = validateObject(o).filter((p) => p.severity === 'error');
        expect(errs).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

type Mutation = { name: string; applies: (o: Obj) => boolean; apply: (o: Obj, r: number) => void };

const MUTATIONS: Mutation[] = [
  {
    name: 'remove a required property',
    applies: () => true,
    apply: (o, r) => {
      const req = TYPE_SPECS.get(String(o.type))!.required;
      delete o[req[r % req.length]!];
    },
  },
  {
    name: 'give the id another type prefix',
    applies: () => true,
    apply: (o) => (o.id = `x-other--${String(o.id).split('--')[1]}`),
  },
  {
    name: 'break the UUID',
    applies: () => true,
    apply: (o) => (o.id = `${String(o.type)}--${String(o.id).slice(-36, -1)}g`),
  },
  { name: 'set a non-"2.1" spec_version', applies: () => true, apply: (o) => (o.spec_version = '2.0') },
  {
    name: 'make modified earlier than created',
    applies: (o) => typeof o.modified === 'string',
    apply: (o) => {
      o.created = '2020-01-01T00:00:00.001Z';
      o.modified = '2020-01-01T00:00:00.000Z';
    },
  },
  {
    name: 'drop the millisecond precision of created',
    applies: (o) => typeof o.created === 'string',
    apply: (o) => (o.created = '2020-01-01T00:00:00Z'),
  },
  {
    name: 'put confidence out of range',
    applies: (o) => typeof o.modified === 'string',
    apply: (o, r) => (o.confidence = r % 2 === 0 ? 101 : -1),
  },
  {
    name: 'add an empty list',
    applies: (o) => typeof o.modified === 'string',
    apply: (o) => (o.labels = []),
  },
  { name: 'set a property to null', applies: () => true, apply: (o) => (o.object_marking_refs = null) },
  { name: 'add a badly named custom property', applies: () => true, apply: (o) => (o['x-bad name'] = 1) },
  {
    name: 'point created_by_ref at a non-identity',
    applies: (o) => !isSco(String(o.type)),
    apply: (o) => (o.created_by_ref = 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'),
  },
];

describe('property: a mutation that breaks a MUST is caught', () => {
  it.each(MUTATIONS.map((m) => [m.name, m] as const))('%s', (_name, m) => {
    fc.assert(
      fc.property(validObject, fc.nat(), (o, r) => {
        fc.pre(m.applies(o));
        m.apply(o, r);
        expect(hasErrors(validateObject(o))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
