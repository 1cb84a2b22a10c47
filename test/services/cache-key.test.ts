/**
 * The hand-made cache keys of the TAXII read path: `cacheKey` must be injective (two different sequences of parts
 * never share a key), and `servedKey` must tell apart every input a served page depends on — each field of the
 * query base and of the filter, the caller, the resource and the limit — as the `JSON.stringify` keys it replaced did.
 */
import { describe, expect, it } from 'vitest';
import { cacheKey, type KeyPart } from '../../src/services/cache-key.js';
import { isoClock } from '../../src/services/index.js';
import { servedKey } from '../../src/services/taxii-service.js';
import type { TaxiiEntryQuery } from '../../src/storage/index.js';
import type { TaxiiFilter } from '../../src/taxii/query.js';

describe('cacheKey', () => {
  it('gives different keys to different sequences, whatever the strings contain', () => {
    const sequences: KeyPart[][] = [
      [],
      [undefined],
      [''],
      [[]],
      [['']],
      [[], []],
      [['a', 'b']],
      [['a'], ['b']],
      [['a,b']],
      [['ab']],
      [['a'], 'b'],
      ['a', 'b'],
      ['ab'],
      ['a', undefined],
      [undefined, 'a'],
      ['1'],
      [1],
      [11],
      [1, 1],
      ['n1;'],
      ['s1:a'],
      ['_'],
      [undefined, undefined],
      [true],
      [false],
      ['T'],
      ['F'],
      [true, false],
      ['a\nb'],
      ['a', '\nb'],
      ['1:a'],
      [['1:a']],
      [['a'], ['1:a']],
      ['l1:1:a'],
      [['l1:1:a']],
      ['é'],
      ['😀'],
      [['😀', 'x']],
    ];
    const keys = sequences.map(cacheKey);
    expect(new Set(keys).size).toBe(sequences.length);
    // The same parts, the same key.
    expect(cacheKey(['a', ['b', 'c'], 3, undefined, true])).toBe(
      cacheKey(['a', ['b', 'c'], 3, undefined, true]),
    );
  });
});

describe('servedKey', () => {
  const principal = { id: 'user-1' };
  const base: Omit<TaxiiEntryQuery, 'limit' | 'afterSeq' | 'addedAfter'> = {
    collectionId: 'c1',
    ids: undefined,
    types: undefined,
    specVersions: undefined,
    versions: { all: false, first: false, last: true, keys: [], datesAdded: [] },
    withBody: true,
  };
  const filter: TaxiiFilter = {};
  const where = { e: 'objects', r: 'api', c: 'c1' };
  const key0 = servedKey(principal, base, filter, where, 100);

  it('covers every field of the query base and of its version selector (a new field must be added there)', () => {
    expect(Object.keys(base).sort()).toEqual(
      ['collectionId', 'ids', 'specVersions', 'types', 'versions', 'withBody'].sort(),
    );
    expect(Object.keys(base.versions).sort()).toEqual(['all', 'datesAdded', 'first', 'keys', 'last']);
  });

  it('tells apart every input a served page depends on', () => {
    const variants: string[] = [
      servedKey({ id: 'user-2' }, base, filter, where, 100),
      servedKey(principal, base, filter, where, 101),
      servedKey(principal, base, filter, { ...where, e: 'manifest' }, 100),
      servedKey(principal, base, filter, { ...where, r: 'other' }, 100),
      servedKey(principal, base, filter, { ...where, c: 'c2' }, 100),
      servedKey(principal, base, filter, { ...where, o: 'indicator--x' }, 100),
      servedKey(principal, base, { next: 'abc.def' }, where, 100),
      servedKey(principal, base, { addedAfter: '2020-01-01T00:00:00Z' }, where, 100),
      servedKey(principal, base, { ids: ['indicator--x'] }, where, 100),
      servedKey(principal, base, { types: ['indicator'] }, where, 100),
      servedKey(principal, base, { specVersions: ['2.1'] }, where, 100),
      servedKey(
        principal,
        base,
        { versions: { all: true, first: false, last: false, timestamps: [] } },
        where,
        100,
      ),
      servedKey(
        principal,
        base,
        { versions: { all: false, first: true, last: false, timestamps: [] } },
        where,
        100,
      ),
      servedKey(
        principal,
        base,
        { versions: { all: false, first: false, last: true, timestamps: [] } },
        where,
        100,
      ),
      servedKey(
        principal,
        base,
        { versions: { all: false, first: false, last: false, timestamps: ['2020-01-01T00:00:00Z'] } },
        where,
        100,
      ),
      servedKey(principal, { ...base, collectionId: 'c2' }, filter, where, 100),
      servedKey(principal, { ...base, ids: ['indicator--x'] }, filter, where, 100),
      servedKey(principal, { ...base, types: ['indicator'] }, filter, where, 100),
      servedKey(principal, { ...base, specVersions: ['2.1'] }, filter, where, 100),
      servedKey(principal, { ...base, versions: { ...base.versions, all: true } }, filter, where, 100),
      servedKey(principal, { ...base, versions: { ...base.versions, first: true } }, filter, where, 100),
      servedKey(principal, { ...base, versions: { ...base.versions, last: false } }, filter, where, 100),
      servedKey(principal, { ...base, versions: { ...base.versions, keys: ['k'] } }, filter, where, 100),
      servedKey(
        principal,
        { ...base, versions: { ...base.versions, datesAdded: ['d'] } },
        filter,
        where,
        100,
      ),
      servedKey(principal, { ...base, withBody: false }, filter, where, 100),
      // Absent and empty lists are different filters.
      servedKey(principal, base, { types: [] }, where, 100),
      servedKey(principal, { ...base, ids: [] }, filter, where, 100),
    ];
    expect(new Set([key0, ...variants]).size).toBe(variants.length + 1);
    // And nothing else: equal inputs, equal keys (fresh objects, as every request makes them).
    expect(servedKey({ id: 'user-1' }, { ...base }, {}, { ...where }, 100)).toBe(key0);
  });
});

describe('isoClock', () => {
  it('is new Date(ms).toISOString(), formatted again only when the millisecond changes', () => {
    let ms = Date.UTC(2026, 10, 23, 12, 0, 0, 5);
    const clock = isoClock(() => ms);
    const a = clock();
    expect(a).toBe('2026-11-23T12:00:00.005Z');
    expect(clock()).toBe(a);
    ms += 1;
    expect(clock()).toBe('2026-11-23T12:00:00.006Z');
    ms += 86_400_000;
    expect(clock()).toBe('2026-11-24T12:00:00.006Z');
  });
});
