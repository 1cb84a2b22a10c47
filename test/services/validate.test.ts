import { describe, expect, it } from 'vitest';
import { nodeValidateOptions, validateStream } from '../../src/services/index.js';

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield await Promise.resolve(new TextEncoder().encode(text));
}

const malware = (modified: string, description: string) => ({
  type: 'malware',
  spec_version: '2.1',
  id: 'malware--00000000-0000-4000-8000-000000000001',
  created: '2021-03-02T00:00:00.000Z',
  modified,
  name: 'm',
  is_family: true,
  description,
});

describe('validate (no storage)', () => {
  it('treats …00.000Z and …00.000000Z as one version, as storage does: different content is a conflict', async () => {
    const bundle = {
      type: 'bundle',
      id: 'bundle--00000000-0000-4000-8000-000000000002',
      objects: [malware('2021-03-02T00:00:00.000Z', 'a'), malware('2021-03-02T00:00:00.000000Z', 'b')],
    };
    const report = await validateStream(once(JSON.stringify(bundle)), nodeValidateOptions());
    expect(report.valid).toBe(1);
    expect(report.problems.find((p) => p.rule === 'conflict')).toMatchObject({ path: '$.objects[1]' });
  });

  it('refuses a document whose type is not "bundle" when objects comes before it', async () => {
    const report = await validateStream(once('{"objects":[],"type":"indicator"}'), nodeValidateOptions());
    expect(report.fatal?.message).toMatch(/not a STIX bundle/);
    // Once the type says it is one object, "objects" is one of its properties (here an invalid one).
    const one = await validateStream(once('{"type":"indicator","objects":[]}'), nodeValidateOptions());
    expect(one).toMatchObject({ objects: 1, valid: 0, fatal: undefined });
  });
});

describe('validate checks the bundle header as import does', () => {
  it('reports a bundle id that is not bundle--UUID, and still validates the objects', async () => {
    const report = await validateStream(
      once(
        JSON.stringify({
          type: 'bundle',
          id: 'bundle--nope',
          objects: [malware('2021-03-02T00:00:00.000Z', 'a')],
        }),
      ),
      nodeValidateOptions(),
    );
    expect(report.problems.find((p) => p.rule === 'id-format')).toMatchObject({ path: '$.id' });
    expect(report.valid).toBe(1);
    expect(report.errors).toBe(1);
  });
});

describe('validate checks the bundle itself (§8.1)', () => {
  const BUNDLE_ID = 'bundle--00000000-0000-4000-8000-000000000003';
  const keys = (r: { problems: readonly { rule: string; path: string; severity: string }[] }) =>
    r.problems.filter((p) => p.severity === 'error').map((p) => `${p.rule}@${p.path}`);

  it('type and id are required', async () => {
    const r = await validateStream(
      once(JSON.stringify({ objects: [malware('2021-03-02T00:00:00.000Z', 'a')] })),
      nodeValidateOptions(),
    );
    expect(keys(r)).toEqual(['bundle@$.type', 'required@$.id']);
    expect(r.valid).toBe(1);
  });

  it('objects is optional, but never an empty list', async () => {
    const none = await validateStream(
      once(JSON.stringify({ type: 'bundle', id: BUNDLE_ID })),
      nodeValidateOptions(),
    );
    expect(none.fatal).toBeUndefined();
    expect(none.errors).toBe(0);
    const empty = await validateStream(
      once(JSON.stringify({ type: 'bundle', id: BUNDLE_ID, objects: [] })),
      nodeValidateOptions(),
    );
    expect(keys(empty)).toEqual(['empty-list@$.objects']);
  });

  it('warns about a bundle spec_version (a STIX 2.0 leftover) and unknown bundle properties', async () => {
    const r = await validateStream(
      once(
        JSON.stringify({
          type: 'bundle',
          id: BUNDLE_ID,
          spec_version: '2.0',
          x_note: 1,
          objects: [malware('2021-03-02T00:00:00.000Z', 'a')],
        }),
      ),
      nodeValidateOptions(),
    );
    expect(r.errors).toBe(0);
    expect(r.problems.map((p) => p.rule)).toEqual(['bundle-spec-version', 'unknown-property']);
  });

  it('a lone UTF-16 surrogate in a string is an error with its path, not a crash; the other objects are still checked', async () => {
    // The mutex's name escapes half a surrogate pair; the malware's description a whole pair (an emoji): fine.
    const mutex = `{"type":"mutex","spec_version":"2.1","id":"mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"\\ud800"}`;
    const withPair = JSON.stringify(malware('2021-03-02T00:00:00.000Z', 'ok')).replace(
      '"ok"',
      '"ok \\ud83d\\ude00"',
    );
    const text = `{"type":"bundle","id":"${BUNDLE_ID}","objects":[${mutex},${withPair}]}`;
    expect(text).toContain('\\ud83d\\ude00');
    const r = await validateStream(once(text), nodeValidateOptions());
    expect(keys(r)).toEqual(['unicode@$.objects[0].name']);
    expect(r.problems[0]?.objectId).toBe('mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f');
    expect(r.valid).toBe(1);
  });
});

describe('an element that is not valid JSON', () => {
  it('is reported at the byte where the error is, with the id the object shows', async () => {
    const head = '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000004","objects":[';
    const obj =
      '{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-000000000005","name":"é","is_family":true "x":1}';
    const r = await validateStream(once(`${head}${obj}]}`), nodeValidateOptions());
    const p = r.problems.find((x) => x.rule === 'json')!;
    const errorAt = Buffer.byteLength(head) + Buffer.byteLength(obj.slice(0, obj.indexOf(' "x"') + 1));
    expect(p.message).toBe(
      `invalid JSON at byte ${errorAt} (the object starts at byte ${Buffer.byteLength(head)}): Expected ',' or '}' after property value`,
    );
    expect(p.objectId).toBe('malware--00000000-0000-4000-8000-000000000005');
    expect(p.path).toBe('$.objects[0]');
  });
});

describe('a member name twice in one object', () => {
  it('is an error at its path (parsers disagree on which value counts), and the object is not valid', async () => {
    const obj = JSON.stringify(malware('2021-03-02T00:00:00.000Z', 'a')).replace(
      '"name":"m"',
      '"object_marking_refs":["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"],"name":"m","object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]',
    );
    const r = await validateStream(
      once(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000006","objects":[${obj}]}`),
      nodeValidateOptions(),
    );
    const p = r.problems.find((x) => x.rule === 'duplicate-member');
    expect(p).toMatchObject({ path: '$.objects[0].object_marking_refs', severity: 'error' });
    expect(p?.objectId).toBe('malware--00000000-0000-4000-8000-000000000001');
    expect(r.valid).toBe(0);
  });
});

describe('a document that is one STIX object, not a bundle', () => {
  it('is validated as that object (STIX content need not come in a bundle)', async () => {
    const ok = await validateStream(
      once(JSON.stringify(malware('2021-03-02T00:00:00.000Z', 'a'))),
      nodeValidateOptions(),
    );
    expect(ok).toMatchObject({ objects: 1, valid: 1, errors: 0, fatal: undefined });
    const bad = await validateStream(
      once(
        JSON.stringify({
          ...malware('2021-03-02T00:00:00.000Z', 'a'),
          is_family: undefined,
          confidence: 101,
        }),
      ),
      nodeValidateOptions(),
    );
    expect(bad.valid).toBe(0);
    expect(bad.problems.map((p) => `${p.rule}@${p.path}`).sort()).toEqual(
      ['range@$.confidence', 'required@$.is_family'].sort(),
    );
    const twice = await validateStream(
      once(
        JSON.stringify(malware('2021-03-02T00:00:00.000Z', 'a')).replace(
          '"name":"m"',
          '"name":"m","name":"n"',
        ),
      ),
      nodeValidateOptions(),
    );
    expect(twice.problems.map((p) => p.rule)).toContain('duplicate-member');
    expect(twice.valid).toBe(0);
  });

  it("reads observed-data's deprecated objects dictionary as a property, not as a bundle's list", async () => {
    const od = {
      type: 'observed-data',
      spec_version: '2.1',
      id: 'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf',
      created: '2016-04-06T19:58:16.000Z',
      modified: '2016-04-06T19:58:16.000Z',
      first_observed: '2015-12-21T19:00:00Z',
      last_observed: '2015-12-21T19:00:00Z',
      number_observed: 1,
      objects: { '0': { type: 'ipv4-addr', value: '198.51.100.3' } },
    };
    const r = await validateStream(once(JSON.stringify(od)), nodeValidateOptions());
    expect(r).toMatchObject({ objects: 1, valid: 1, errors: 0, fatal: undefined });
    expect(r.problems.map((p) => p.rule)).toContain('deprecated');
    // Members have no order: with sorted keys (canonical JSON), objects comes before type.
    const sorted = Object.fromEntries(Object.entries(od).sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(Object.keys(sorted).indexOf('objects')).toBeLessThan(Object.keys(sorted).indexOf('type'));
    const s = await validateStream(once(JSON.stringify(sorted)), nodeValidateOptions());
    expect(s).toMatchObject({ objects: 1, valid: 1, errors: 0, fatal: undefined });
    // Without a type at all, or with "bundle" after it, objects is a list or nothing.
    for (const doc of [
      '{"objects":{}}',
      '{"objects":{},"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}',
    ]) {
      const bad = await validateStream(once(doc), nodeValidateOptions());
      expect(bad.fatal?.message, doc).toMatch(/"objects" must be an array/);
    }
    // In a bundle, objects is still the bundle's list, and must be one.
    const bundle = await validateStream(
      once(
        JSON.stringify({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: {} }),
      ),
      nodeValidateOptions(),
    );
    expect(bundle.fatal?.message).toMatch(/"objects" must be an array/);
  });

  it('reports a name repeated inside a member, and a lone surrogate, with their paths', async () => {
    const base = {
      ...malware('2021-03-02T00:00:00.000Z', 'a'),
      external_references: [{ source_name: 'x', url: 'https://example.org/' }],
    };
    const nested = await validateStream(
      once(JSON.stringify(base).replace('"source_name":"x"', '"source_name":"x","source_name":"y"')),
      nodeValidateOptions(),
    );
    expect(nested.valid).toBe(0);
    expect(nested.problems).toContainEqual(
      expect.objectContaining({
        rule: 'duplicate-member',
        path: '$.external_references[0].source_name',
        objectId: base.id,
      }),
    );
    const lone = await validateStream(
      once(JSON.stringify(base).replace('"name":"m"', '"name":"m\\ud800"')),
      nodeValidateOptions(),
    );
    expect(lone.valid).toBe(0);
    expect(lone.problems).toContainEqual(expect.objectContaining({ rule: 'unicode', path: '$.name' }));
  });
});
