import { describe, expect, it } from 'vitest';
import { EntenteError, invalid } from '../../src/core/errors.js';

describe('error catalogue', () => {
  it('carries a stable code and the problems, never an HTTP status', () => {
    const err = invalid('bad', [{ path: '$.id', message: 'x', severity: 'error', rule: 'id-format' }]);
    expect(err).toBeInstanceOf(EntenteError);
    expect(err.code).toBe('INVALID');
    expect(Object.keys(err)).not.toContain('status');
  });
});
