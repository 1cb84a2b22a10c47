import { describe, expect, it } from 'vitest';
import { isEntenteError } from '../../src/core/errors.js';
import { parseFilter } from '../../src/taxii/query.js';

const limits = { maxLimit: 500 };
const id = 'indicator--00000000-0000-4000-8000-000000000001';

function rejects(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isEntenteError(err)) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('TAXII URL parameters', () => {
  it('comma-separated values of one field are ORed (listed once each)', () => {
    const f = parseFilter('objects', { 'match[type]': 'indicator,malware,indicator' }, limits);
    expect(f.types).toEqual(['indicator', 'malware']);
  });

  it('a match field given twice is INVALID (§3.4: each field at most once; values are comma-separated)', () => {
    expect(rejects(() => parseFilter('objects', { 'match[type]': ['indicator', 'malware'] }, limits))).toBe(
      'INVALID',
    );
    expect(rejects(() => parseFilter('objects', { 'match[type]': ['indicator'] }, limits))).toBe('accepted');
  });

  it('match[version]: a keyword at most once, and all only alone (§3.4.1)', () => {
    for (const v of [
      'all,first',
      'last,all',
      'first,first',
      'last,last',
      'all,all',
      'all,2021-01-01T00:00:00Z',
    ])
      expect(
        rejects(() => parseFilter('objects', { 'match[version]': v }, limits)),
        v,
      ).toBe('INVALID');
    for (const v of ['first,last', 'all', 'last,2021-01-01T00:00:00Z,2021-01-02T00:00:00Z'])
      expect(
        rejects(() => parseFilter('objects', { 'match[version]': v }, limits)),
        v,
      ).toBe('accepted');
  });

  it('match[version] accepts first, last, all and timestamps', () => {
    const f = parseFilter('objects', { 'match[version]': 'first,2021-01-01T00:00:00.123Z' }, limits);
    expect(f.versions).toEqual({
      all: false,
      first: true,
      last: false,
      timestamps: ['2021-01-01T00:00:00.123Z'],
    });
    expect(parseFilter('objects', {}, limits).versions).toBeUndefined();
  });

  it('limit is capped at the server maximum', () => {
    expect(parseFilter('objects', { limit: '100000' }, limits).limit).toBe(500);
    expect(parseFilter('objects', { limit: '7' }, limits).limit).toBe(7);
    // A positive integer of any length is capped, not refused.
    expect(parseFilter('objects', { limit: '10000000000000000000000' }, limits).limit).toBe(500);
    expect(parseFilter('objects', { limit: '007' }, limits).limit).toBe(7);
  });

  it('malformed values are INVALID', () => {
    for (const q of [
      { added_after: '2021-01-01' },
      { added_after: '2021-02-30T00:00:00Z' },
      { limit: '0' },
      { limit: '000' },
      { limit: '1.5' },
      { limit: '-3' },
      { 'match[id]': 'indicator--nope' },
      { 'match[id]': `${id},` },
      { 'match[type]': 'Indicator' },
      { 'match[version]': 'latest' },
      { 'match[spec_version]': '2' },
      { 'match[]': 'x' },
      { match: 'x' },
      { added_after: ['2021-01-01T00:00:00Z', '2021-01-02T00:00:00Z'] },
    ])
      expect(
        rejects(() => parseFilter('objects', q, limits)),
        JSON.stringify(q),
      ).toBe('INVALID');
  });

  it('each endpoint takes only the parameters the standard gives it', () => {
    expect(rejects(() => parseFilter('versions', { 'match[version]': 'all' }, limits))).toBe('INVALID');
    expect(rejects(() => parseFilter('object', { 'match[type]': 'indicator' }, limits))).toBe('INVALID');
    expect(rejects(() => parseFilter('object', { 'match[id]': id }, limits))).toBe('INVALID');
    expect(rejects(() => parseFilter('delete', { limit: '5' }, limits))).toBe('INVALID');
    expect(rejects(() => parseFilter('delete', { 'match[version]': 'all' }, limits))).toBe('accepted');
    expect(rejects(() => parseFilter('manifest', { 'match[id]': id }, limits))).toBe('accepted');
  });

  it('parameters outside TAXII are ignored', () => {
    expect(parseFilter('objects', { _: '123' }, limits)).toMatchObject({ types: undefined });
  });

  it('match fields TAXII does not define are ignored (§3.4) on reads; refused on DELETE, and when misspelt by case', () => {
    expect(rejects(() => parseFilter('delete', { 'match[tlp]': 'red' }, limits))).toBe('INVALID');
    expect(rejects(() => parseFilter('delete', { 'match[Version]': 'all' }, limits))).toBe('INVALID');
    expect(rejects(() => parseFilter('objects', { 'match[Type]': 'indicator' }, limits))).toBe('INVALID');
    for (const endpoint of ['objects', 'manifest', 'object', 'versions'] as const) {
      const f = parseFilter(
        endpoint,
        { 'match[tlp]': 'green', 'match[relationships-all]': id, 'match[x_acme_score]': ['1', '2'] },
        limits,
      );
      expect(f, endpoint).toEqual(parseFilter(endpoint, {}, limits));
    }
  });
});
