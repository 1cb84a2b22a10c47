import { describe, expect, it } from 'vitest';
import { TLP1_MARKINGS, TLP2_MARKINGS, hasErrors, validateObject } from '../../../src/core/stix/index.js';

describe('built-in TLP marking definitions', () => {
  it('TLP 1.0 uses the ids of STIX 2.1 §7.2.1.4', () => {
    expect(Object.fromEntries(Object.entries(TLP1_MARKINGS).map(([k, m]) => [k, m.id]))).toEqual({
      white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
      green: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
      amber: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
      red: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
    });
    expect(TLP1_MARKINGS.white).toEqual({
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
      created: '2017-01-20T00:00:00.000Z',
      definition_type: 'tlp',
      name: 'TLP:WHITE',
      definition: { tlp: 'white' },
    });
  });
  it('TLP 2.0 uses the ids of the OASIS TLP 2.0 extension definition', () => {
    expect(Object.fromEntries(Object.entries(TLP2_MARKINGS).map(([k, m]) => [k, m.id]))).toEqual({
      clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
      green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
      amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
      'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
      red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
    });
    expect(TLP2_MARKINGS['amber+strict']).toEqual({
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
      created: '2022-10-01T00:00:00.000Z',
      name: 'TLP:AMBER+STRICT',
      extensions: {
        'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': {
          extension_type: 'property-extension',
          tlp_2_0: 'amber+strict',
        },
      },
    });
  });
  it('all nine validate without problems and are frozen', () => {
    for (const m of [...Object.values(TLP1_MARKINGS), ...Object.values(TLP2_MARKINGS)]) {
      expect(validateObject(m)).toEqual([]);
      expect(Object.isFrozen(m)).toBe(true);
    }
  });
  it('a TLP 1.0 marking under another id, or with the wrong level, is rejected', () => {
    expect(hasErrors(validateObject({ ...TLP1_MARKINGS.green, definition: { tlp: 'red' } }))).toBe(true);
  });
});
