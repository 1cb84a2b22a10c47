import { describe, expect, it } from 'vitest';
import { acceptsTaxii, isTaxiiContentType } from '../../src/taxii/media.js';

describe('TAXII 2.1 content negotiation', () => {
  it('accepts the TAXII 2.1 media type, with or without version, and wildcards', () => {
    for (const a of [
      undefined,
      '',
      'application/taxii+json;version=2.1',
      'application/taxii+json; version="2.1"',
      'Application/TAXII+json',
      '*/*',
      'application/*',
      'text/html, application/taxii+json;version=2.1;q=0.9',
    ])
      expect(acceptsTaxii(a), String(a)).toBe(true);
  });

  it('refuses other media types, other versions and q=0', () => {
    for (const a of [
      'application/json',
      'application/stix+json;version=2.1',
      'application/taxii+json;version=2.0',
      'application/taxii+json;version=2.1;q=0',
      'text/*',
    ])
      expect(acceptsTaxii(a), a).toBe(false);
  });

  it('a POST body must be a TAXII 2.1 envelope', () => {
    expect(isTaxiiContentType('application/taxii+json;version=2.1')).toBe(true);
    expect(isTaxiiContentType('application/taxii+json')).toBe(true);
    expect(isTaxiiContentType('application/taxii+json;version=2.0')).toBe(false);
    expect(isTaxiiContentType('application/json')).toBe(false);
    expect(isTaxiiContentType(undefined)).toBe(false);
  });
});
