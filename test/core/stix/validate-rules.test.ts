import { describe, expect, it } from 'vitest';
import {
  TLP1_MARKINGS,
  TLP2_EXTENSION_ID,
  TLP2_MARKINGS,
  hasErrors,
  validateBundle,
  validateObject,
} from '../../../src/core/stix/index.js';
import {
  ALL_EXAMPLES,
  SCO_EXAMPLES,
  SDO_EXAMPLES,
  SRO_EXAMPLES,
  META_EXAMPLES,
  clone,
  type Obj,
} from './fixtures.js';
import { errorKeys, errors, warningKeys } from './helpers.js';

const v = (o: unknown) => validateObject(o);
const with_ = (base: Obj, patch: Obj): Obj => {
  const o = { ...clone(base), ...patch };
  for (const [k, val] of Object.entries(patch)) if (val === undefined) delete o[k];
  return o;
};
const IND = SDO_EXAMPLES.indicator!;
/** Edited SCOs keep their old id, which is then (rightly) no longer their deterministic one. */
const notScoId = (k: string): boolean => !k.startsWith('sco-id@');
const notScoIdProblem = (p: { rule: string }): boolean => p.rule !== 'sco-id';
const MAL = SDO_EXAMPLES.malware!;
const REL = SRO_EXAMPLES.relationship!;

describe('every spec-defined type has a valid example that validates without errors', () => {
  it.each(Object.entries(ALL_EXAMPLES))('%s', (_type, o) => {
    const ps = v(o);
    expect(errorKeys(ps)).toEqual([]);
  });
  it('covers all 19 SDOs, 2 SROs, 18 SCOs and the 3 meta objects', () => {
    expect(Object.keys(SDO_EXAMPLES)).toHaveLength(19);
    expect(Object.keys(SRO_EXAMPLES)).toHaveLength(2);
    expect(Object.keys(SCO_EXAMPLES)).toHaveLength(18);
    expect(Object.keys(META_EXAMPLES)).toHaveLength(3);
  });
});

describe('required properties', () => {
  it.each(Object.entries(SDO_EXAMPLES))(
    '%s without its id, created or modified is reported at each path',
    (_t, o) => {
      const ps = v(with_(o, { id: undefined, created: undefined, modified: undefined }));
      expect(errorKeys(ps)).toEqual(
        expect.arrayContaining(['required@$.id', 'required@$.created', 'required@$.modified']),
      );
    },
  );
  it('an indicator needs pattern, pattern_type and valid_from; all three are reported, not just the first', () => {
    const ps = v(with_(IND, { pattern: undefined, pattern_type: undefined, valid_from: undefined }));
    expect(errorKeys(ps)).toEqual(['required@$.pattern', 'required@$.pattern_type', 'required@$.valid_from']);
  });
  it('a malware requires is_family, and a family requires a name', () => {
    expect(errorKeys(v(with_(MAL, { is_family: undefined })))).toEqual(['required@$.is_family']);
    expect(errorKeys(v(with_(MAL, { is_family: true, name: undefined })))).toEqual(['required@$.name']);
  });
  it('an SCO needs no created/modified but does need its own required properties', () => {
    expect(errorKeys(v(with_(SCO_EXAMPLES['ipv4-addr']!, { value: undefined })))).toEqual([
      'required@$.value',
    ]);
  });
  it('the problem carries the object id', () => {
    const [p] = v(with_(IND, { pattern: undefined }));
    expect(p?.objectId).toBe(IND.id);
  });
});

describe('property types', () => {
  it('wrong JSON types are errors at their path', () => {
    const ps = v(with_(IND, { name: 42, revoked: 'yes', labels: 'x', confidence: 1.5 }));
    expect(errorKeys(ps)).toEqual(['type@$.name', 'type@$.revoked', 'type@$.labels', 'type@$.confidence']);
  });
  it('null is never a STIX value', () => {
    expect(errorKeys(v(with_(IND, { description: null })))).toEqual(['type@$.description']);
  });
  it('empty lists are prohibited', () => {
    expect(errorKeys(v(with_(IND, { labels: [] })))).toEqual(['empty-list@$.labels']);
  });
  it('confidence is an integer from 0 to 100', () => {
    expect(errorKeys(v(with_(IND, { confidence: 0 })))).toEqual([]);
    expect(errorKeys(v(with_(IND, { confidence: 100 })))).toEqual([]);
    expect(errorKeys(v(with_(IND, { confidence: 101 })))).toEqual(['range@$.confidence']);
    expect(errorKeys(v(with_(IND, { confidence: -1 })))).toEqual(['range@$.confidence']);
  });
  it('lang is an RFC 5646 tag', () => {
    for (const ok of ['en', 'en-US', 'zh-Hant-TW', 'de-CH-1996', 'x-klingon', 'sgn-BE-FR']) {
      expect(errorKeys(v(with_(IND, { lang: ok }))), ok).toEqual([]);
    }
    for (const bad of ['english!', 'e', 'en_US', '']) {
      expect(errorKeys(v(with_(IND, { lang: bad }))), bad).toEqual(['lang@$.lang']);
    }
  });
  it('spec_version must be "2.1"', () => {
    expect(errorKeys(v(with_(IND, { spec_version: '2.0' })))).toEqual(['spec-version@$.spec_version']);
    expect(errorKeys(v(with_(SCO_EXAMPLES.url!, { spec_version: undefined })))).toEqual([]);
  });
});

describe('identifiers', () => {
  it('the id prefix must equal the type', () => {
    expect(errorKeys(v(with_(IND, { id: 'malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' })))).toEqual([
      'id-type@$.id',
    ]);
  });
  it('the UUID must be RFC 4122 (version 1–5, variant 10xx)', () => {
    for (const bad of [
      '8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f',
      '8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f',
      'not-a-uuid',
    ]) {
      expect(errorKeys(v(with_(IND, { id: `indicator--${bad}` }))), bad).toEqual(['id-format@$.id']);
    }
  });
  it('SDOs should use UUIDv4, SCOs UUIDv5 or v4 (warnings: §2.9 asks only for an RFC 4122 UUID)', () => {
    const v1 = 'c232ff6a-5e5c-11ee-8c99-0242ac120002';
    expect(warningKeys(v(with_(IND, { id: `indicator--${v1}` })))).toEqual(['id-version@$.id']);
    expect(errorKeys(v(with_(SCO_EXAMPLES.url!, { id: `url--${v1}` })))).toEqual([]);
    expect(warningKeys(v(with_(SCO_EXAMPLES.url!, { id: `url--${v1}` })))).toEqual(['id-version@$.id']);
  });
  it('an SCO whose ID-contributing properties are all optional and all absent must use a UUIDv4 (§2.9)', () => {
    const account = { type: 'user-account', spec_version: '2.1', display_name: 'x' };
    expect(errorKeys(v({ ...account, id: 'user-account--6ba7b810-9dad-51d1-80b4-00c04fd430c8' }))).toEqual([
      'id-version@$.id',
    ]);
    expect(errorKeys(v({ ...account, id: 'user-account--6ba7b810-9dad-41d1-80b4-00c04fd430c8' }))).toEqual(
      [],
    );
  });
  it('SCOs should carry their deterministic UUIDv5 id (§2.9)', () => {
    const ip = { type: 'ipv4-addr', spec_version: '2.1', value: '198.51.100.3' };
    expect(v({ ...ip, id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4' })).toEqual([]);
    // The spec's own example id (an erratum, oasis-tcs/cti-stix2#318) is valid but not the deterministic one.
    expect(warningKeys(v({ ...ip, id: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd' }))).toEqual([
      'sco-id@$.id',
    ]);
    expect(warningKeys(v({ ...ip, id: 'ipv4-addr--9a6e0c0e-3f0b-4f3e-8f0a-2f4c1f0b6d2e' }))).toEqual([
      'id-version@$.id',
    ]);
    // No ID-contributing property: a UUIDv4 is what the spec asks for.
    expect(v({ type: 'process', id: 'process--f52a906a-0dfc-40bd-92f1-e7778ead38a9', pid: 3 })).toEqual([]);
  });
  it('embedded references must point at the types the spec allows', () => {
    const ps = v(with_(IND, { created_by_ref: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b' }));
    expect(errorKeys(ps)).toEqual(['ref-type@$.created_by_ref']);
    const ps2 = v(
      with_(IND, {
        object_marking_refs: ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 'bogus'],
      }),
    );
    expect(errorKeys(ps2)).toEqual(['identifier@$.object_marking_refs[1]']);
    const ps3 = v(with_(MAL, { sample_refs: ['url--c1477287-23ac-5971-a010-5c287877fa60'] }));
    expect(errorKeys(ps3)).toEqual(['ref-type@$.sample_refs[0]']);
  });
});

describe('timestamps', () => {
  it('must be RFC 3339 in UTC with Z and seconds', () => {
    for (const bad of [
      '2016-04-06T20:03Z',
      '2016-04-06T20:03:48+00:00',
      '2016-04-06 20:03:48Z',
      '2016-04-06t20:03:48z',
      '2016-02-30T00:00:00Z',
      '2016-04-06T20:03:48.Z',
    ]) {
      expect(errorKeys(v(with_(IND, { valid_from: bad }))), bad).toEqual(['timestamp@$.valid_from']);
    }
    expect(errorKeys(v(with_(IND, { valid_from: '2016-02-29T23:59:60.123456789Z' })))).toEqual([]);
  });
  it('created and modified must be precise to the millisecond', () => {
    const ps = v(with_(IND, { created: '2016-04-06T20:03:48Z', modified: '2016-04-06T20:03:48.1Z' }));
    expect(errorKeys(ps)).toEqual(['timestamp-precision@$.created', 'timestamp-precision@$.modified']);
  });
  it('modified must not be earlier than created', () => {
    expect(errorKeys(v(with_(IND, { modified: '2016-04-06T20:03:47.999Z' })))).toEqual([
      'modified-before-created@$.modified',
    ]);
    expect(errorKeys(v(with_(IND, { modified: '2016-04-06T20:03:48.000000Z' })))).toEqual([]);
  });
  it('valid_until must be later than valid_from', () => {
    expect(errorKeys(v(with_(IND, { valid_until: '2015-01-01T00:00:00Z' })))).toEqual([
      'time-order@$.valid_until',
    ]);
    expect(errorKeys(v(with_(IND, { valid_until: '2016-01-01T00:00:00Z' })))).toEqual([
      'time-order@$.valid_until',
    ]);
    expect(errorKeys(v(with_(IND, { valid_until: '2016-01-01T00:00:00.001Z' })))).toEqual([]);
  });
  it('last_seen must not be earlier than first_seen', () => {
    const ps = v(with_(SDO_EXAMPLES.campaign!, { last_seen: '2015-01-01T00:00:00Z' }));
    expect(errorKeys(ps)).toEqual(['time-order@$.last_seen']);
  });
});

describe('indicator patterns', () => {
  it('the injected checkPattern reports an error at $.pattern', () => {
    const ps = validateObject(IND, {
      checkPattern: (p, t) => (t === 'stix' && p.includes('file:') ? 'bad pattern' : undefined),
    });
    expect(errorKeys(ps)).toEqual(['pattern@$.pattern']);
    expect(errorKeys(validateObject(IND, { checkPattern: () => undefined }))).toEqual([]);
  });
  it('pattern_type outside pattern-type-ov is a warning', () => {
    expect(warningKeys(v(with_(IND, { pattern_type: 'kql' })))).toEqual(['vocabulary@$.pattern_type']);
  });
});

describe('vocabularies', () => {
  it('open vocabulary values outside the vocabulary are warnings', () => {
    const ps = v(with_(MAL, { malware_types: ['ransomware', 'cryptominer'] }));
    expect(errorKeys(ps)).toEqual([]);
    expect(warningKeys(ps)).toEqual(['vocabulary@$.malware_types[1]']);
  });
  it('enumerations are closed: an unknown opinion is an error', () => {
    expect(errorKeys(v(with_(SDO_EXAMPLES.opinion!, { opinion: 'maybe' })))).toEqual(['enum@$.opinion']);
  });
});

describe('external references', () => {
  it('source_name is required, and one of description, url or external_id', () => {
    const ps = v(with_(IND, { external_references: [{ description: 'x' }, { source_name: 'x' }] }));
    expect(errorKeys(ps)).toEqual([
      'required@$.external_references[0].source_name',
      'required@$.external_references[1]',
    ]);
  });
  it('a capec or cve external_id, when given, is well-formed (a reference by URL alone is fine)', () => {
    const ps = v(
      with_(IND, {
        external_references: [
          { source_name: 'capec', url: 'https://capec.mitre.org' },
          { source_name: 'cve', external_id: 'CVE-21-1' },
          { source_name: 'capec', external_id: 'CAPEC-163' },
        ],
      }),
    );
    expect(errorKeys(ps)).toEqual(['external-id@$.external_references[1].external_id']);
  });
  it('external reference hashes must use hash-algorithm-ov keys (WD07: treated as an enum) and valid values', () => {
    const ps = v(
      with_(IND, {
        external_references: [
          { source_name: 'x', url: 'https://e.x/a', hashes: { 'SHA-256': 'abc', sha256: 'ff' } },
        ],
      }),
    );
    expect(errorKeys(ps)).toEqual([
      "hash-format@$.external_references[0].hashes['SHA-256']",
      'hash-key@$.external_references[0].hashes.sha256',
    ]);
  });
  it('SCO hashes may use custom algorithm names (a warning), 3–250 characters', () => {
    const f = with_(SCO_EXAMPLES.file!, { hashes: { 'x-acme-hash': 'ab12', sha256: 'ff', ab: 'x' } });
    expect(errorKeys(v(f))).toEqual(['hash-key@$.hashes.ab']);
    expect(warningKeys(v(f)).filter(notScoId)).toEqual([
      "vocabulary@$.hashes['x-acme-hash']",
      'vocabulary@$.hashes.sha256',
    ]);
  });
  it('url must be a URL', () => {
    expect(
      errorKeys(v(with_(IND, { external_references: [{ source_name: 'x', url: 'not a url' }] }))),
    ).toEqual(['url@$.external_references[0].url']);
  });
});

describe('kill chain phases', () => {
  it('need kill_chain_name and phase_name; should be lower case with hyphens', () => {
    const ps = v(
      with_(IND, {
        kill_chain_phases: [
          { kill_chain_name: 'lockheed' },
          { kill_chain_name: 'Lockheed Martin', phase_name: 'x' },
        ],
      }),
    );
    expect(errorKeys(ps)).toEqual(['required@$.kill_chain_phases[0].phase_name']);
    expect(warningKeys(ps)).toEqual(['kill-chain-name@$.kill_chain_phases[1].kill_chain_name']);
  });
});

describe('granular markings', () => {
  const TLP = 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9';
  it('selectors that resolve within the object are valid', () => {
    const o = with_(IND, {
      labels: ['a', 'b'],
      granular_markings: [
        { marking_ref: TLP, selectors: ['description', 'labels.[1]', 'kill_chain_phases'] },
      ],
      kill_chain_phases: [{ kill_chain_name: 'k', phase_name: 'p' }],
    });
    expect(errorKeys(v(o))).toEqual([]);
  });
  it('selectors that do not resolve, or are malformed, are errors', () => {
    const o = with_(IND, {
      labels: ['a'],
      granular_markings: [{ marking_ref: TLP, selectors: ['labels.[1]', 'nothing', 'labels..x', '[0]'] }],
    });
    expect(errorKeys(v(o))).toEqual([
      'selector@$.granular_markings[0].selectors[0]',
      'selector@$.granular_markings[0].selectors[1]',
      'selector@$.granular_markings[0].selectors[2]',
      'selector@$.granular_markings[0].selectors[3]',
    ]);
  });
  it('exactly one of lang and marking_ref', () => {
    const o = with_(IND, {
      granular_markings: [
        { selectors: ['description'] },
        { lang: 'en', marking_ref: TLP, selectors: ['name'] },
      ],
    });
    expect(errorKeys(v(o))).toEqual(['exclusive@$.granular_markings[0]', 'exclusive@$.granular_markings[1]']);
  });
});

describe('extensions', () => {
  const EXT = 'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e';
  it('an extension-definition key needs extension_type from extension-type-enum', () => {
    expect(
      errorKeys(v(with_(IND, { extensions: { [EXT]: { extension_type: 'property-extension', rank: 5 } } }))),
    ).toEqual([]);
    expect(errorKeys(v(with_(IND, { extensions: { [EXT]: { rank: 5 } } })))).toEqual([
      `required@$.extensions['${EXT}'].extension_type`,
    ]);
    expect(errorKeys(v(with_(IND, { extensions: { [EXT]: { extension_type: 'other' } } })))).toEqual([
      `enum@$.extensions['${EXT}'].extension_type`,
    ]);
  });
  it('predefined SCO extensions are checked against their own tables', () => {
    const f = with_(SCO_EXAMPLES.file!, { extensions: { 'windows-pebinary-ext': { machine_hex: '14c' } } });
    expect(errorKeys(v(f))).toEqual([
      "hex@$.extensions['windows-pebinary-ext'].machine_hex",
      "required@$.extensions['windows-pebinary-ext'].pe_type",
    ]);
    const nt = with_(SCO_EXAMPLES['network-traffic']!, {
      extensions: { 'http-request-ext': { request_method: 'get' } },
    });
    expect(errorKeys(v(nt))).toEqual(["required@$.extensions['http-request-ext'].request_value"]);
  });
  it('a predefined extension on the wrong SCO type is an error; unknown names are deprecated custom extensions', () => {
    const f = with_(SCO_EXAMPLES.file!, {
      extensions: {
        'http-request-ext': { request_method: 'get', request_value: '/' },
        'x-acme-ext': { a: 1 },
      },
    });
    expect(errorKeys(v(f))).toEqual(["extension-type@$.extensions['http-request-ext']"]);
    expect(warningKeys(v(f)).filter(notScoId)).toEqual(["custom-extension@$.extensions['x-acme-ext']"]);
  });
});

describe('custom properties and custom objects', () => {
  it('property names must begin with a letter', () => {
    expect(errorKeys(v(with_(IND, { _x_private: 1, '9lives': 2 })))).toEqual([
      'custom-property-name@$._x_private',
      "custom-property-name@$['9lives']",
    ]);
  });
  it('action, severity, username and phone_number are reserved on every object (§3.8); plural forms are not', () => {
    expect(errorKeys(v(with_(SDO_EXAMPLES['course-of-action']!, { action: 'x' })))).toEqual([
      'reserved-property@$.action',
    ]);
    expect(errorKeys(v(with_(IND, { severity: 'high', username: 'x', phone_number: '1' })))).toEqual([
      'reserved-property@$.severity',
      'reserved-property@$.username',
      'reserved-property@$.phone_number',
    ]);
    expect(errorKeys(v(with_(SCO_EXAMPLES.file!, { action: true })).filter(notScoIdProblem))).toEqual([
      'reserved-property@$.action',
    ]);
    expect(errorKeys(v(with_(IND, { usernames: ['x'], phone_numbers: ['1'] })))).toEqual([]);
  });
  it('a custom property holds no empty list, at any depth (§2.12)', () => {
    expect(errorKeys(v(with_(IND, { x_acme_tags: [] })))).toEqual(['empty-list@$.x_acme_tags']);
    expect(errorKeys(v(with_(IND, { x_acme: { scores: [1, []] } })))).toEqual([
      'empty-list@$.x_acme.scores[1]',
    ]);
    expect(errorKeys(v(with_(IND, { x_acme: { scores: [1] } })))).toEqual([]);
  });
  it('custom property names are 3–250 lower-case ASCII letters, digits or underscores, from a letter', () => {
    expect(errorKeys(v(with_(IND, { x_acme_score: 5, acme_rank: 1 })))).toEqual([]);
    expect(errorKeys(v(with_(IND, { X_Upper: 1 })))).toEqual(['custom-property-name@$.X_Upper']);
    expect(errorKeys(v(with_(IND, { 'x-acme': 1, xy: 2, ['a'.repeat(251)]: 3 })))).toEqual([
      "custom-property-name@$['x-acme']",
      'custom-property-name@$.xy',
      `custom-property-name@$.${'a'.repeat(251)}`,
    ]);
  });
  it('custom object types are allowed and checked on the common properties', () => {
    const ok = {
      type: 'x-acme-widget',
      spec_version: '2.1',
      id: 'x-acme-widget--4527e5de-8572-446a-a57a-706f15467461',
      created: C0,
      modified: C0,
      x_size: 3,
    };
    expect(errorKeys(v(ok))).toEqual([]);
    expect(
      errorKeys(
        v({ ...ok, modified: undefined, created_by_ref: 'tool--4527e5de-8572-446a-a57a-706f15467461' }),
      ),
    ).toEqual(['ref-type@$.created_by_ref', 'required@$.modified']);
  });
  it('type names are a–z, 0–9 and single hyphens, 3–250 long; "action" is reserved', () => {
    expect(errorKeys(v({ type: 'X_Bad', id: 'X_Bad--4527e5de-8572-446a-a57a-706f15467461' }))).toEqual([
      'type-name@$.type',
    ]);
    expect(errorKeys(v({ type: 'action', id: 'action--4527e5de-8572-446a-a57a-706f15467461' }))).toEqual([
      'type-name@$.type',
    ]);
  });
});
const C0 = '2020-01-01T00:00:00.000Z';

describe('relationships', () => {
  it('types from the relationship tables validate without warnings', () => {
    expect(v(REL)).toEqual([]);
  });
  it('no relationship, not even a common one, starts or ends at an SRO (§5.1)', () => {
    for (const rt of ['related-to', 'derived-from', 'duplicate-of', 'uses']) {
      const from = v(
        with_(REL, { relationship_type: rt, source_ref: 'sighting--ee20065d-2555-424f-ad9e-0f8428623c75' }),
      );
      expect(errorKeys(from), rt).toEqual(['relationship-endpoint@$.source_ref']);
      const to = v(
        with_(REL, {
          relationship_type: rt,
          target_ref: 'relationship--ee20065d-2555-424f-ad9e-0f8428623c75',
        }),
      );
      expect(errorKeys(to), rt).toEqual(['relationship-endpoint@$.target_ref']);
    }
  });
  it('a custom relationship type is a warning', () => {
    expect(warningKeys(v(with_(REL, { relationship_type: 'revoked-by' })))).toEqual([
      'custom-relationship-type@$.relationship_type',
    ]);
  });
  it('a spec relationship type towards a target the table does not list is a warning', () => {
    const ps = v(with_(REL, { target_ref: 'identity--023d105b-752e-4e3c-941c-7d3f3cb15e9e' }));
    expect(errorKeys(ps)).toEqual([]);
    expect(warningKeys(ps)).toEqual(['relationship-target@$.target_ref']);
  });
  it('relationship_type is limited to a–z, 0–9 and hyphen', () => {
    expect(errorKeys(v(with_(REL, { relationship_type: 'Uses Often' })))).toEqual([
      'relationship-type@$.relationship_type',
    ]);
  });
  it('relationships cannot point at marking definitions, bundles, language content or extension definitions', () => {
    const ps = v(
      with_(REL, {
        relationship_type: 'related-to',
        target_ref: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
      }),
    );
    expect(errorKeys(ps)).toEqual(['relationship-endpoint@$.target_ref']);
  });
  it('stop_time must be later than start_time', () => {
    expect(
      errorKeys(v(with_(REL, { start_time: '2020-01-01T00:00:00Z', stop_time: '2020-01-01T00:00:00Z' }))),
    ).toEqual(['time-order@$.stop_time']);
  });
});

describe('sightings', () => {
  const S = SRO_EXAMPLES.sighting!;
  it('sighting_of_ref is an SDO; where_sighted_refs are identities or locations; count ≤ 999,999,999', () => {
    const ps = v(
      with_(S, {
        sighting_of_ref: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd',
        where_sighted_refs: ['malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'],
        count: 1_000_000_000,
      }),
    );
    expect(errorKeys(ps)).toEqual([
      'range@$.count',
      'ref-type@$.sighting_of_ref',
      'ref-type@$.where_sighted_refs[0]',
    ]);
  });
});

describe('type-specific MUSTs', () => {
  it('location: region, country, or latitude with longitude; precision needs both', () => {
    const L = SDO_EXAMPLES.location!;
    expect(errorKeys(v(with_(L, { region: undefined, country: undefined })))).toEqual(['required@$']);
    expect(errorKeys(v(with_(L, { latitude: 48.8566 })))).toEqual(['required@$.longitude']);
    expect(errorKeys(v(with_(L, { latitude: 91, longitude: 2.35 })))).toEqual(['range@$.latitude']);
    expect(errorKeys(v(with_(L, { precision: 10 })))).toEqual(['dependency@$.precision']);
  });
  it('observed-data: object_refs with at least one SCO; number_observed 1..999,999,999', () => {
    const O = SDO_EXAMPLES['observed-data']!;
    expect(errorKeys(v(with_(O, { object_refs: undefined })))).toEqual(['required@$']);
    expect(errorKeys(v(with_(O, { number_observed: 0 })))).toEqual(['range@$.number_observed']);
    expect(
      errorKeys(v(with_(O, { object_refs: ['relationship--f82356ae-fe6c-437c-9c24-6b64314ae68a'] }))),
    ).toEqual(['required@$.object_refs']);
    expect(
      errorKeys(v(with_(O, { object_refs: ['malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'] }))),
    ).toEqual(['ref-type@$.object_refs[0]']);
  });
  it('malware-analysis: result or analysis_sco_refs', () => {
    expect(
      errorKeys(
        v(with_(SDO_EXAMPLES['malware-analysis']!, { result: undefined, analysis_sco_refs: undefined })),
      ),
    ).toEqual(['required@$']);
  });
  it('file: hashes or name', () => {
    expect(errorKeys(v(with_(SCO_EXAMPLES.file!, { hashes: undefined, name: undefined })))).toEqual([
      'required@$',
    ]);
  });
  it('network-traffic: src_ref or dst_ref; no end while active; ports 0–65535', () => {
    const N = SCO_EXAMPLES['network-traffic']!;
    expect(errorKeys(v(with_(N, { src_ref: undefined, dst_ref: undefined })))).toEqual(['required@$']);
    expect(errorKeys(v(with_(N, { is_active: true, end: '2020-01-01T00:00:00Z', dst_port: 70000 })))).toEqual(
      ['range@$.dst_port', 'exclusive@$.end'],
    );
  });
  it('artifact: not both payload_bin and url; url requires hashes; payload_bin is base64', () => {
    const A = SCO_EXAMPLES.artifact!;
    expect(errorKeys(v(with_(A, { url: 'https://e.x/a' })))).toEqual([
      'exclusive@$.url',
      'required@$.hashes',
    ]);
    expect(errorKeys(v(with_(A, { payload_bin: 'not base64!' })))).toEqual(['binary@$.payload_bin']);
    // None of its (optional) ID-contributing properties left, so a UUIDv5 id is wrong too (§2.9).
    expect(errorKeys(v(with_(A, { payload_bin: undefined })))).toEqual(['id-version@$.id', 'required@$']);
  });
  it('email-message: body and body_multipart follow is_multipart', () => {
    const E = SCO_EXAMPLES['email-message']!;
    expect(errorKeys(v(with_(E, { body_multipart: [{ body: 'x' }] })))).toEqual([
      'exclusive@$.body_multipart',
    ]);
    expect(errorKeys(v(with_(E, { is_multipart: true, body: 'x' })))).toEqual(['exclusive@$.body']);
  });
  it('addresses: IPv4/IPv6 syntax and lower-case colon MAC', () => {
    expect(errorKeys(v(with_(SCO_EXAMPLES['ipv4-addr']!, { value: '10.2.4.5/24' })))).toEqual([]);
    expect(errorKeys(v(with_(SCO_EXAMPLES['ipv4-addr']!, { value: '300.1.1.1' })))).toEqual([
      'ip-address@$.value',
    ]);
    expect(errorKeys(v(with_(SCO_EXAMPLES['ipv6-addr']!, { value: '2001:db8::/32' })))).toEqual([]);
    expect(errorKeys(v(with_(SCO_EXAMPLES['ipv6-addr']!, { value: '2001:db8:::1' })))).toEqual([
      'ip-address@$.value',
    ]);
    expect(errorKeys(v(with_(SCO_EXAMPLES['mac-addr']!, { value: 'D2-FB-49-24-37-18' })))).toEqual([
      'mac-address@$.value',
    ]);
  });
  it('process and x509-certificate need at least one of their own properties', () => {
    expect(errorKeys(v({ type: 'process', id: 'process--f52a906a-0dfc-40bd-92f1-e7778ead38a9' }))).toEqual([
      'required@$',
    ]);
    expect(
      errorKeys(
        v({ type: 'x509-certificate', id: 'x509-certificate--463d7b2a-8516-4a50-a3d7-6f801465d5de' }),
      ),
    ).toEqual(['required@$']);
  });
  it('marking-definition: TLP markings use the predefined ids; statement needs a statement', () => {
    const M = META_EXAMPLES['marking-definition']!;
    expect(errorKeys(v(with_(M, { definition_type: 'tlp', definition: { tlp: 'green' } })))).toEqual([
      'tlp-id@$.id',
    ]);
    expect(errorKeys(v(with_(M, { definition: { text: 'x' } })))).toEqual([
      'required@$.definition.statement',
    ]);
    expect(errorKeys(v(with_(M, { definition: undefined, definition_type: undefined })))).toEqual([
      'required@$',
    ]);
  });
  it('language-content: contents keyed by language tags', () => {
    const LC = META_EXAMPLES['language-content']!;
    expect(errorKeys(v(with_(LC, { contents: { 'not a tag': { name: 'x' } } })))).toEqual([
      "lang@$.contents['not a tag']",
    ]);
  });
  it('extension-definition: created_by_ref, schema, version and extension_types are required', () => {
    const X = META_EXAMPLES['extension-definition']!;
    expect(errorKeys(v(with_(X, { created_by_ref: undefined, extension_types: ['new-thing'] })))).toEqual([
      'enum@$.extension_types[0]',
      'required@$.created_by_ref',
    ]);
  });
});

describe('rules an external review found unchecked (2026-11-23)', () => {
  const M = META_EXAMPLES['marking-definition']!;
  it('type names begin with a letter (§3.1)', () => {
    const o = { type: '1foo', spec_version: '2.1', id: '1foo--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' };
    expect(errorKeys(v(o))).toEqual(['type-name@$.type']);
  });
  it('defanged is for SCOs only (§3.2)', () => {
    expect(errorKeys(v(with_(IND, { defanged: true })))).toEqual(['sco-only@$.defanged']);
    expect(errorKeys(v(with_(SCO_EXAMPLES.url!, { defanged: true })))).toEqual([]);
  });
  it('an _enc property needs the property it encodes (§3.1)', () => {
    const F = SCO_EXAMPLES.file!;
    expect(errorKeys(v(with_(F, { name: undefined, name_enc: 'utf-8' }))).filter(notScoId)).toEqual([
      'dependency@$.name_enc',
    ]);
    expect(errorKeys(v(with_(F, { name_enc: 'utf-8' }))).filter(notScoId)).toEqual([]);
  });
  it('hex is lower-case (§2.8)', () => {
    const F = SCO_EXAMPLES.file!;
    expect(errorKeys(v(with_(F, { magic_number_hex: 'FFD8' }))).filter(notScoId)).toEqual([
      'hex@$.magic_number_hex',
    ]);
    expect(errorKeys(v(with_(F, { magic_number_hex: 'ffd8' }))).filter(notScoId)).toEqual([]);
  });
  it('a marking definition does not mark itself through granular markings', () => {
    const self = with_(M, { granular_markings: [{ marking_ref: M.id, selectors: ['name'] }], name: 'x' });
    expect(errorKeys(v(self))).toEqual(['marking-self-reference@$.granular_markings[0].marking_ref']);
  });
  it('TLP 2.0: the five predefined markings only, each on its own id', () => {
    for (const m of Object.values(TLP2_MARKINGS)) expect(errorKeys(v(m))).toEqual([]);
    const red = TLP2_MARKINGS.red as Obj;
    const ext = (level: string) => ({
      [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: level },
    });
    expect(errorKeys(v(with_(red, { extensions: ext('clear') })))).toEqual([
      `tlp-id@$.extensions['${TLP2_EXTENSION_ID}'].tlp_2_0`,
    ]);
    expect(errorKeys(v(with_(red, { extensions: ext('purple') })))).toEqual([
      `tlp-id@$.extensions['${TLP2_EXTENSION_ID}'].tlp_2_0`,
    ]);
    expect(
      errorKeys(v(with_(red, { id: 'marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' }))),
    ).toEqual([`tlp-id@$.extensions['${TLP2_EXTENSION_ID}']`]);
    expect(errorKeys(v(with_(IND, { extensions: ext('red') })))).toEqual([
      `tlp-id@$.extensions['${TLP2_EXTENSION_ID}']`,
    ]);
  });
  it('TLP 1.0: a predefined id is that marking only (§7.2.1.4)', () => {
    for (const m of Object.values(TLP1_MARKINGS)) expect(errorKeys(v(m))).toEqual([]);
    const white = TLP1_MARKINGS.white as Obj;
    expect(errorKeys(v(with_(white, { created: '2020-01-01T00:00:00.000Z' })))).toEqual(['tlp-id@$.id']);
    expect(
      errorKeys(v(with_(white, { definition_type: 'statement', definition: { statement: 'mine' } }))),
    ).toEqual(['tlp-id@$.id']);
  });
  it('extension definitions: extension_properties only for toplevel-property-extension (§7.3.1)', () => {
    const X = META_EXAMPLES['extension-definition']!;
    expect(
      errorKeys(v(with_(X, { extension_types: ['property-extension'], extension_properties: ['rank'] }))),
    ).toEqual(['dependency@$.extension_properties']);
    expect(
      errorKeys(
        v(with_(X, { extension_types: ['toplevel-property-extension'], extension_properties: ['rank'] })),
      ),
    ).toEqual([]);
  });
  it('property-extension properties are named like any property', () => {
    const id = 'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e';
    const ext = (props: Obj) => ({ [id]: { extension_type: 'property-extension', ...props } });
    expect(errorKeys(v(with_(IND, { extensions: ext({ rank: 5 }) })))).toEqual([]);
    expect(errorKeys(v(with_(IND, { extensions: ext({ Rank: 5 }) })))).toEqual([
      `custom-property-name@$.extensions['${id}'].Rank`,
    ]);
  });
  it('deprecated custom extensions: names end in -ext, SCOs only, at least one property (§11.3.1)', () => {
    const U = SCO_EXAMPLES.url!;
    expect(errorKeys(v(with_(U, { extensions: { 'x-acme-ext': { score: 1 } } }))).filter(notScoId)).toEqual(
      [],
    );
    expect(errorKeys(v(with_(U, { extensions: { 'x-acme-foo': { score: 1 } } }))).filter(notScoId)).toEqual([
      "custom-extension@$.extensions['x-acme-foo']",
    ]);
    expect(errorKeys(v(with_(U, { extensions: { 'x-acme-ext': {} } }))).filter(notScoId)).toEqual([
      "custom-extension@$.extensions['x-acme-ext']",
    ]);
    expect(errorKeys(v(with_(IND, { extensions: { 'x-acme-ext': { score: 1 } } })))).toEqual([
      "custom-extension@$.extensions['x-acme-ext']",
    ]);
  });
  it('language-content: each language maps to a non-empty dictionary (§2.3)', () => {
    const LC = META_EXAMPLES['language-content']!;
    expect(errorKeys(v(with_(LC, { contents: { de: {} } })))).toEqual(['empty-dictionary@$.contents.de']);
  });
});

describe('bundles', () => {
  const bundle = (objects: unknown[]) => ({
    type: 'bundle',
    id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
    objects,
  });
  it('paths of object problems are prefixed with $.objects[i]', () => {
    const ps = validateBundle(bundle([IND, with_(MAL, { is_family: undefined })]));
    expect(errorKeys(ps)).toEqual(['required@$.objects[1].is_family']);
    expect(ps[0]?.objectId).toBe(MAL.id);
  });
  it('the envelope needs type bundle and a bundle id; objects must be a non-empty list', () => {
    expect(errorKeys(validateBundle({ type: 'bundel', id: 'x', objects: [] }))).toEqual([
      'bundle@$.type',
      'id-format@$.id',
      'empty-list@$.objects',
    ]);
    expect(errorKeys(validateBundle([1]))).toEqual(['type@$']);
  });
  it('the same id and version with a different body is an error; an exact repeat a warning', () => {
    const ps = validateBundle(bundle([IND, IND, with_(IND, { name: 'other' })]));
    expect(errorKeys(ps)).toEqual(['duplicate-object@$.objects[2]']);
    expect(warningKeys(ps)).toEqual(['duplicate-object@$.objects[1]']);
  });
  it('a bundle inside a bundle is rejected', () => {
    expect(errorKeys(validateBundle(bundle([bundle([IND])])))).toEqual(['nested-bundle@$.objects[0].type']);
  });
});

describe('hostile input is bounded', () => {
  it('nesting 100,000 deep yields one too-deep error, not a stack overflow', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const ps = v(with_(IND, { x_deep: deep }));
    expect(errorKeys(ps)).toEqual([`too-deep@$.x_deep${'.a'.repeat(63)}`]);
  });
  it('a huge list is refused with too-large', () => {
    const ps = v(with_(IND, { labels: new Array(100_001).fill('a') }));
    expect(errorKeys(ps)).toEqual(['too-large@$.labels']);
  });
  it('an endless property name is refused with too-large, and its path is not echoed', () => {
    const ps = v(with_(IND, { ['x'.repeat(2000)]: 1 }));
    expect(errors(ps).map((p) => p.rule)).toEqual(['too-large']);
    expect(ps[0]!.path).toBe('$');
  });
  it('problems per object are capped', () => {
    const ps = v(with_(IND, { labels: new Array(1000).fill(1) }));
    expect(errors(ps).length).toBe(201);
    expect(ps.at(-1)?.rule).toBe('too-many-problems');
  });
  it('non-objects are reported, never thrown', () => {
    for (const x of [null, 1, 'str', [], undefined]) expect(hasErrors(v(x))).toBe(true);
  });
});

describe('SCO property formats', () => {
  const sco = (type: string, patch: Obj): string[] =>
    errorKeys(v(with_(SCO_EXAMPLES[type]!, patch)).filter(notScoIdProblem));
  const warned = (type: string, patch: Obj): string[] => warningKeys(v(with_(SCO_EXAMPLES[type]!, patch)));
  it('artifact and file mime_type should be an IANA media type (§6.1, §6.7: a SHOULD, so a warning)', () => {
    expect(sco('artifact', { mime_type: 'bla/blabla' })).toEqual([]);
    expect(warned('artifact', { mime_type: 'bla/blabla' })).toContain('media-type@$.mime_type');
    expect(warned('file', { mime_type: 'application/vnd.ms-excel' })).not.toContain('media-type@$.mime_type');
  });
  it('dictionaries hold the values the spec names, and no empty list (§6.12.1, §6.12.2, §6.12.4, §6.13)', () => {
    const nt = SCO_EXAMPLES['network-traffic']!;
    const http = (nt.extensions as Obj)['http-request-ext'] as Obj;
    expect(
      sco('network-traffic', { ipfix: { minimumIpTotalLength: true, maximumIpTotalLength: 2 } }),
    ).toEqual(['type@$.ipfix.minimumIpTotalLength']);
    expect(
      sco('network-traffic', {
        extensions: { 'http-request-ext': { ...http, request_header: { Host: 5, Accept: ['a', 'b'] } } },
      }),
    ).toEqual(["type@$.extensions['http-request-ext'].request_header.Host"]);
    expect(sco('process', { environment_variables: { PATH: [] } })).toEqual([
      'type@$.environment_variables.PATH',
    ]);
    expect(sco('process', { environment_variables: { PATH: '/bin' } })).toEqual([]);
    expect(
      errorKeys(v(with_(IND, { x_acme: { a: 1 } }))).concat(
        errorKeys(v(with_(SCO_EXAMPLES['email-message']!, { additional_header_fields: { 'X-Mailer': 5 } }))),
      ),
    ).toEqual(["type@$.additional_header_fields['X-Mailer']"]);
  });
  it('registry values, x509 v3 extensions and a PE extension each hold something (§6.17.2, §6.18.2, §6.7.6)', () => {
    expect(sco('windows-registry-key', { values: [{}] })).toEqual(['required@$.values[0]']);
    expect(sco('x509-certificate', { x509_v3_extensions: {} })).toEqual(['required@$.x509_v3_extensions']);
    expect(sco('file', { extensions: { 'windows-pebinary-ext': { pe_type: 'exe' } } })).toEqual([
      "required@$.extensions['windows-pebinary-ext']",
    ]);
  });
  it('domain names follow RFC 1034 / 5890 (§6.4.1)', () => {
    for (const bad of ['not a domain!', '-bad-.example.com', 'a..example.com', ''])
      expect(sco('domain-name', { value: bad }), bad).toContain('domain-name@$.value');
    for (const good of [
      'example.com',
      'bücher.example',
      'xn--bcher-kva.example',
      '_dmarc.example.com',
      'example.com.',
      'col\u00b7legi.cat',
      '\u0dc1\u0dca\u200d\u0dbb\u0dd3.lk',
    ])
      expect(sco('domain-name', { value: good }), good).toEqual([]);
  });
  it('a defanged domain name is not one, deliberately: a warning, not an error', () => {
    expect(sco('domain-name', { value: 'example[.]com', defanged: true })).toEqual([]);
    expect(warned('domain-name', { value: 'example[.]com', defanged: true })).toContain(
      'domain-name@$.value',
    );
  });
  it('software languages are RFC 5646 tags (§6.14.1)', () => {
    expect(sco('software', { languages: ['not a tag!'] })).toEqual(['lang@$.languages[0]']);
    expect(sco('software', { languages: ['en-US', 'fra'] })).toEqual([]);
  });
  it('no reference points at a bundle; observed-data may list sightings (§4.14)', () => {
    const lc = META_EXAMPLES['language-content']!;
    expect(errorKeys(v(with_(lc, { object_ref: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d' })))).toEqual([
      'ref-type@$.object_ref',
    ]);
  });
  it('software cpe is a CPE 2.3 formatted string (§6.14.1)', () => {
    expect(sco('software', { cpe: 'invalid' })).toEqual(['cpe@$.cpe']);
    expect(sco('software', { cpe: 'cpe:/a:microsoft:word:2000' })).toEqual(['cpe@$.cpe']);
    expect(sco('software', { cpe: 'cpe:2.3:o:microsoft:windows_10:1607:*:*:*:*:*:x64:*' })).toEqual([]);
    expect(sco('software', { cpe: 'cpe:2.3:a:acme:widget\\:pro:1.0:*:*:en-us:*:*:*:*' })).toEqual([]);
    // A long field that fails only at its end: answered at once (the NIST form of the pattern backtracked
    // exponentially here).
    expect(sco('software', { cpe: `cpe:2.3:a:a:a:a:a:a:*:a:a:a:${'a'.repeat(100_000)}!` })).toEqual([
      'cpe@$.cpe',
    ]);
  });
  it('email-addr value is the address alone, without a display name (§6.5.1)', () => {
    expect(sco('email-addr', { value: 'John Doe <jdoe@example.com>' })).toEqual(['email-address@$.value']);
    expect(sco('email-addr', { value: '"john doe"@example.com' })).toEqual([]);
    expect(sco('email-addr', { value: '"<x>"@example.com' })).toEqual([]);
  });
  it('a windows-registry-key hive is written out in full (§6.17.1)', () => {
    expect(sco('windows-registry-key', { key: 'HKLM\\system\\bar\\foo' })).toEqual(['registry-hive@$.key']);
    expect(sco('windows-registry-key', { key: 'hkcu' })).toEqual(['registry-hive@$.key']);
    expect(sco('windows-registry-key', { key: 'HKEY_LOCAL_MACHINE\\System\\Foo' })).toEqual([]);
  });
  it('a process, which has no ID-contributing properties, has a UUIDv4 id (§2.9)', () => {
    expect(
      errorKeys(v(with_(SCO_EXAMPLES.process!, { id: 'process--07bc30cad-ebe5-5ad4-8f53-f1f5f1f5f1f5' }))),
    ).toContain('id-format@$.id');
    expect(
      errorKeys(v(with_(SCO_EXAMPLES.process!, { id: 'process--f52a906a-0dfc-50bd-92f1-e7778ead38a9' }))),
    ).toEqual(['id-version@$.id']);
  });
  it('an IPv6 CIDR prefix has no leading zeros', () => {
    expect(sco('ipv6-addr', { value: '2001:db8::/00' })).toEqual(['ip-address@$.value']);
    expect(sco('ipv6-addr', { value: '2001:db8::/03' })).toEqual(['ip-address@$.value']);
    expect(sco('ipv6-addr', { value: '2001:db8::/32' })).toEqual([]);
    expect(sco('ipv6-addr', { value: '::/0' })).toEqual([]);
  });
  it('a CVE or CAPEC reference names its source in lower case (§2.5)', () => {
    const ref = (source_name: string) =>
      errorKeys(
        v(
          with_(SDO_EXAMPLES.vulnerability!, {
            external_references: [{ source_name, external_id: 'CVE-2016-1234' }],
          }),
        ),
      );
    expect(ref('CVE')).toEqual(['external-id@$.external_references[0].source_name']);
    expect(ref('cve')).toEqual([]);
  });
});
