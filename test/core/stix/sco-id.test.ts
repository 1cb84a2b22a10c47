import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { STIX_SCO_NAMESPACE, computeScoId, uuidv5 } from '../../../src/core/stix/index.js';
import { EntenteError } from '../../../src/core/errors.js';

describe('uuidv5 (RFC 4122 §4.3)', () => {
  it('reproduces the well-known DNS-namespace vector', () => {
    expect(uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });
  it('uses the namespace fixed by STIX 2.1 §2.9', () => {
    expect(STIX_SCO_NAMESPACE).toBe('00abedb4-aa42-466c-9c01-fed23315a9b7');
  });
});

/**
 * Published ids. The SCO example ids printed in the STIX 2.1 OS are NOT those §2.9's algorithm yields — an erratum
 * the OASIS CTI TC tracks in oasis-tcs/cti-stix2 issue #318, which lists, for each spec example, the id python-stix2
 * computes ("id X should be Y"). We reproduce those corrected ids for the spec's own example objects, plus the ids
 * asserted in python-stix2's test suite (stix2/test/v21/test_deterministic_ids.py).
 */
describe('computeScoId reproduces published deterministic ids', () => {
  it.each([
    [
      'ipv4-addr (spec example 198.51.100.3; #318)',
      { type: 'ipv4-addr', value: '198.51.100.3' },
      'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',
    ],
    [
      'domain-name (spec example example.com; #318)',
      { type: 'domain-name', value: 'example.com' },
      'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7',
    ],
    [
      'autonomous-system (spec example AS15139; #318)',
      { type: 'autonomous-system', number: 15139, name: 'Slime Industries', rir: 'ARIN' },
      'autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff',
    ],
    [
      'directory (spec example C:\\Windows\\System32; #318)',
      { type: 'directory', path: 'C:\\Windows\\System32' },
      'directory--0a58d0c1-59e6-5afd-8252-dcd3f13e5622',
    ],
    [
      'file with hashes, name and windows-pebinary-ext (python-stix2)',
      {
        type: 'file',
        name: 'example.exe',
        size: 68000,
        magic_number_hex: '50000000',
        hashes: { 'SHA-256': '841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649' },
        extensions: {
          'windows-pebinary-ext': {
            pe_type: 'exe',
            machine_hex: '014c',
            sections: [
              {
                name: '.data',
                size: 4096,
                entropy: 7.980693,
                hashes: { 'SHA-256': '6e3b6f3978e5cd96ba7abee35c24e867b7e64072e2ecb22d0ee7a6e6af6894d0' },
              },
            ],
          },
        },
      },
      'file--ced31cd4-bdcb-537d-aefa-92d291bfc11d',
    ],
    [
      'windows-registry-key values (python-stix2)',
      {
        type: 'windows-registry-key',
        values: [
          { name: 'Foo', data: 'qwerty' },
          { name: 'Bar', data: '42' },
        ],
      },
      'windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588',
    ],
  ])('%s', (_label, obj, id) => {
    expect(computeScoId(obj)).toBe(id);
  });
});

describe('ID-contributing properties', () => {
  it('non-contributing properties do not change the id', () => {
    const a = computeScoId({ type: 'email-addr', value: 'john@example.com', display_name: 'Johnny Doe' });
    const b = computeScoId({
      type: 'email-addr',
      value: 'john@example.com',
      display_name: 'Janey Doe',
      spec_version: '2.1',
    });
    expect(a).toBe(b);
    expect(a).not.toBe(computeScoId({ type: 'email-addr', value: 'jane@example.com' }));
  });
  it('only one hash contributes, preferring MD5, then SHA-1, SHA-256, SHA-512', () => {
    const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
    const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(computeScoId({ type: 'file', hashes: { 'SHA-256': sha256, MD5: md5 } })).toBe(
      computeScoId({ type: 'file', hashes: { MD5: md5 } }),
    );
  });
  it('is a UUIDv5 with the RFC 4122 variant', () => {
    expect(computeScoId({ type: 'url', value: 'https://example.com/' })).toMatch(
      /^url--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
  it('throws INVALID for non-SCOs and SCOs with no contributing property', () => {
    expect(() => computeScoId({ type: 'indicator' })).toThrow(EntenteError);
    expect(() => computeScoId({ type: 'x-custom', value: 'a' })).toThrow(EntenteError);
    expect(() => computeScoId({ type: 'process', pid: 4 })).toThrow(/UUIDv4/);
  });
  it('is deterministic and independent of key order (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        fc.dictionary(
          fc.constantFrom('MD5', 'SHA-1', 'SHA-256', 'x-hash'),
          fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1 }),
        ),
        (name, vendor, version, hashes) => {
          const sw: Record<string, unknown> = { type: 'software', name, vendor, version };
          const reordered = Object.fromEntries(Object.entries(sw).reverse());
          expect(computeScoId(reordered)).toBe(computeScoId(sw));
          const f1 = { type: 'file', name, hashes };
          const f2 = { hashes: Object.fromEntries(Object.entries(hashes).reverse()), name, type: 'file' };
          expect(computeScoId(f2)).toBe(computeScoId(f1));
        },
      ),
    );
  });
});
