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

  it('refuses a document whose type is not "bundle"', async () => {
    const report = await validateStream(once('{"type":"indicator","objects":[]}'), nodeValidateOptions());
    expect(report.fatal?.message).toMatch(/not a STIX bundle/);
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
