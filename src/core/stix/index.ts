/**
 * STIX 2.1 core: wire types, validation (every MUST as an error, SHOULDs and open vocabularies as warnings, each
 * with its path), deterministic SCO ids (UUIDv5 over RFC 8785 canonical JSON), versioning rules, and the built-in
 * TLP 1.0 / 2.0 marking definitions.
 *
 * Pure: no I/O, no clock, no randomness, no logging, and no import of the pattern engine (an indicator's pattern
 * is checked only through the injected `ValidateOptions.checkPattern`). Wire shapes only; storage keeps its own.
 */
export type * from './types.js';
export type { ValidateOptions } from './validate.js';
export { validateObject, validateBundle, hasErrors, identifierType } from './validate.js';
export { timestampKey, isTimestamp, compareTimestamps } from './timestamp.js';
export { versionOf, checkNewVersion } from './versioning.js';
export {
  isScoType,
  isSdoType,
  isSroType,
  isStixType,
  SDO_TYPES,
  SRO_TYPES,
  SCO_TYPES,
  META_TYPES,
} from './spec.js';
export { computeScoId } from './sco-id.js';
export { canonicalJson } from './canonical-json.js';
export { uuidv5, STIX_SCO_NAMESPACE } from './uuid.js';
export { TLP1_MARKINGS, TLP2_MARKINGS, TLP2_EXTENSION_ID, TLP1_BY_ID, TLP2_BY_ID } from './markings.js';
export type { Tlp1Level, Tlp2Level } from './markings.js';
export {
  MAX_DEPTH,
  MAX_STRING_LENGTH,
  MAX_ARRAY_LENGTH,
  MAX_OBJECT_KEYS,
  MAX_KEY_LENGTH,
  MAX_PROBLEMS_PER_OBJECT,
} from './limits.js';
