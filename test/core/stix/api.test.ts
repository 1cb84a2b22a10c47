import { describe, expect, it } from 'vitest';
import * as stix from '../../../src/core/stix/index.js';

describe('public API of src/core/stix', () => {
  it('offers the names the rest of Entente relies on', () => {
    for (const name of [
      'validateObject',
      'validateBundle',
      'hasErrors',
      'timestampKey',
      'versionOf',
      'isScoType',
      'isSdoType',
      'isSroType',
      'isStixType',
      'computeScoId',
      'canonicalJson',
      'uuidv5',
      'checkNewVersion',
      'TLP1_MARKINGS',
      'TLP2_MARKINGS',
    ]) {
      expect(stix, name).toHaveProperty(name);
    }
  });
  it('classifies the spec-defined types', () => {
    expect(stix.SDO_TYPES).toHaveLength(19);
    expect(stix.SRO_TYPES).toHaveLength(2);
    expect(stix.SCO_TYPES).toHaveLength(18);
    expect(stix.isSdoType('grouping')).toBe(true);
    expect(stix.isSroType('sighting')).toBe(true);
    expect(stix.isScoType('x509-certificate')).toBe(true);
    expect(stix.isScoType('indicator')).toBe(false);
    for (const t of [
      'bundle',
      'marking-definition',
      'language-content',
      'extension-definition',
      'malware-analysis',
    ]) {
      expect(stix.isStixType(t), t).toBe(true);
    }
    expect(stix.isStixType('x-mitre-tactic')).toBe(false);
  });
  it('reads the type out of an identifier', () => {
    expect(stix.identifierType('attack-pattern--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061')).toBe(
      'attack-pattern',
    );
    expect(stix.identifierType('attack-pattern--0c7b5b88')).toBeUndefined();
    expect(stix.identifierType(42)).toBeUndefined();
  });
  it('hasErrors ignores warnings', () => {
    expect(stix.hasErrors([{ path: '$', message: 'm', severity: 'warning', rule: 'r' }])).toBe(false);
    expect(stix.hasErrors([{ path: '$', message: 'm', severity: 'error', rule: 'r' }])).toBe(true);
  });
});
