import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  TLP1_MARKINGS,
  checkNewVersion,
  timestampKey,
  versionOf,
  type StixObject,
} from '../../../src/core/stix/index.js';
import { EntenteError } from '../../../src/core/errors.js';
import { SCO_EXAMPLES, SDO_EXAMPLES } from './fixtures.js';

const IND = SDO_EXAMPLES.indicator as StixObject;
const next = (o: StixObject, patch: Record<string, unknown>): StixObject => ({ ...o, ...patch });
const rules = (ps: { rule: string }[]) => ps.map((p) => p.rule);

describe('timestampKey', () => {
  it('gives one fixed-width key for equal instants written with different precision', () => {
    expect(timestampKey('2016-04-06T20:03:00Z')).toBe('2016-04-06T20:03:00.000000000Z');
    expect(timestampKey('2016-04-06T20:03:00.000Z')).toBe(timestampKey('2016-04-06T20:03:00Z'));
    expect(timestampKey('2016-04-06T20:03:00.1Z')).toBe('2016-04-06T20:03:00.100000000Z');
    expect(timestampKey('2016-04-06T20:03:00.123456789123Z')).toBe('2016-04-06T20:03:00.123456789Z');
  });
  it('throws INVALID for non-timestamps', () => {
    expect(() => timestampKey('2016-04-06')).toThrow(EntenteError);
    expect(() => timestampKey('2016-04-06T20:03:00+01:00')).toThrow(EntenteError);
  });
  it('sorts lexicographically in time order (property)', () => {
    const date = fc.date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(
        date,
        date,
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        (a, b, pa, pb) => {
          const fmt = (d: Date, digits: number) => {
            const iso = d.toISOString();
            return digits === 0
              ? `${iso.slice(0, 19)}Z`
              : `${iso.slice(0, 19)}.${iso.slice(20, 23).padEnd(digits, '0').slice(0, digits)}Z`;
          };
          const ta = fmt(a, pa);
          const tb = fmt(b, pb);
          const ms = (t: string) => Date.parse(t);
          expect(Math.sign(timestampKey(ta).localeCompare(timestampKey(tb), 'en'))).toBe(
            Math.sign(ms(ta) - ms(tb)),
          );
          expect(timestampKey(ta)).toHaveLength(30);
        },
      ),
    );
  });
});

describe('versionOf', () => {
  it('is modified, or created when there is no modified, and undefined for SCOs', () => {
    expect(versionOf(IND)).toBe(IND.modified);
    expect(versionOf(TLP1_MARKINGS.green)).toBe('2017-01-20T00:00:00.000Z');
    expect(versionOf(SCO_EXAMPLES.url as StixObject)).toBeUndefined();
  });
});

describe('checkNewVersion', () => {
  it('a later version with the same created is fine; so is re-importing an identical version', () => {
    expect(checkNewVersion([IND], next(IND, { modified: '2017-01-01T00:00:00.000Z', name: 'v2' }))).toEqual(
      [],
    );
    expect(checkNewVersion([IND], IND)).toEqual([]);
  });
  it('revocation is final: nothing newer than a revoked version', () => {
    const revoked = next(IND, { modified: '2017-01-01T00:00:00.000Z', revoked: true });
    expect(
      rules(checkNewVersion([IND, revoked], next(IND, { modified: '2018-01-01T00:00:00.000Z' }))),
    ).toEqual(['revoked-final']);
    // An older version arriving late is history, not a resurrection.
    expect(checkNewVersion([revoked], next(IND, { modified: '2016-06-01T00:00:00.000Z' }))).toEqual([]);
  });
  it('created and type must not change', () => {
    expect(
      rules(
        checkNewVersion(
          [IND],
          next(IND, { modified: '2017-01-01T00:00:00.000Z', created: '2016-01-01T00:00:00.000Z' }),
        ),
      ),
    ).toEqual(['version-created']);
    expect(
      rules(checkNewVersion([IND], next(IND, { type: 'malware', modified: '2017-01-01T00:00:00.000Z' }))),
    ).toContain('version-type');
  });
  it('one id + modified has one body', () => {
    expect(rules(checkNewVersion([IND], next(IND, { name: 'changed' })))).toEqual(['version-conflict']);
    expect(
      rules(checkNewVersion([IND], next(IND, { name: 'changed', modified: '2016-04-06T20:03:48Z' }))),
    ).toEqual(['version-conflict']);
  });
  it('SCOs and marking definitions are not versioned', () => {
    const url = SCO_EXAMPLES.url as StixObject;
    expect(checkNewVersion([url], url)).toEqual([]);
    expect(rules(checkNewVersion([url], next(url, { defanged: true })))).toEqual(['unversioned']);
    const m = TLP1_MARKINGS.red;
    expect(rules(checkNewVersion([m], next(m, { name: 'renamed' })))).toEqual(['unversioned']);
  });
  it('every problem names the object', () => {
    const [p] = checkNewVersion([IND], next(IND, { name: 'changed' }));
    expect(p?.objectId).toBe(IND.id);
  });
});
