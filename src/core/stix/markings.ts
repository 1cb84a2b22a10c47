/**
 * The predefined TLP marking definitions, with their fixed ids.
 *
 * TLP 1.0: STIX 2.1 OS §7.2.1.4 ("TLP Marking Object Type"), reproduced verbatim.
 * TLP 2.0: the OASIS CTI TC's extension definition for TLP 2.0, extension-definition--60a3c5c5-0d10-413e-aab3-
 * 9e08dde9e88d, in oasis-open/cti-stix-common-objects, extension-definition-specifications/tlp-2.0/
 * (`extension-definition--60a3c5c5-….json` fixes each level's id and name; `examples/tlp-clear.json` etc. give the
 * objects: created 2022-10-01T00:00:00.000Z, no created_by_ref, one property-extension carrying `tlp_2_0`).
 */
import type { StixObject } from './types.js';

export type Tlp1Level = 'white' | 'green' | 'amber' | 'red';
export type Tlp2Level = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';

export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

const tlp1 = (level: Tlp1Level, uuid: string): StixObject => ({
  type: 'marking-definition',
  spec_version: '2.1',
  id: `marking-definition--${uuid}`,
  created: '2017-01-20T00:00:00.000Z',
  definition_type: 'tlp',
  name: `TLP:${level.toUpperCase()}`,
  definition: { tlp: level },
});

const tlp2 = (level: Tlp2Level, uuid: string): StixObject => ({
  type: 'marking-definition',
  spec_version: '2.1',
  id: `marking-definition--${uuid}`,
  created: '2022-10-01T00:00:00.000Z',
  name: `TLP:${level.toUpperCase()}`,
  extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: level } },
});

export const TLP1_MARKINGS: Readonly<Record<Tlp1Level, StixObject>> = deepFreeze({
  white: tlp1('white', '613f2e26-407d-48c7-9eca-b8e91df99dc9'),
  green: tlp1('green', '34098fce-860f-48ae-8e50-ebd3cc5e41da'),
  amber: tlp1('amber', 'f88d31f6-486f-44da-b317-01333bde0b82'),
  red: tlp1('red', '5e57c739-391a-4eb3-b6be-7d15ca92d5ed'),
});

export const TLP2_MARKINGS: Readonly<Record<Tlp2Level, StixObject>> = deepFreeze({
  clear: tlp2('clear', '94868c89-83c2-464b-929b-a1a8aa3c8487'),
  green: tlp2('green', 'bab4a63c-aed9-4cf5-a766-dfca5abac2bb'),
  amber: tlp2('amber', '55d920b0-5e8b-4f79-9ee9-91f868d9b421'),
  'amber+strict': tlp2('amber+strict', '939a9414-2ddd-4d32-a0cd-375ea402b003'),
  red: tlp2('red', 'e828b379-4e03-4974-9ac4-e53a884c97c1'),
});

/** TLP 1.0 marking id → level, for the validator's "TLP markings use the predefined ids" rule. */
export const TLP1_BY_ID: ReadonlyMap<string, Tlp1Level> = new Map(
  (Object.entries(TLP1_MARKINGS) as [Tlp1Level, StixObject][]).map(([level, m]) => [m.id, level]),
);

/** TLP 2.0 marking id → level. */
export const TLP2_BY_ID: ReadonlyMap<string, Tlp2Level> = new Map(
  (Object.entries(TLP2_MARKINGS) as [Tlp2Level, StixObject][]).map(([level, m]) => [m.id, level]),
);
