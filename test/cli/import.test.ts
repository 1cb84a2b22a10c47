import { describe, expect, it } from 'vitest';
import { parallelImport } from '../../src/cli/import.js';

describe('entente import: when parsing goes to a worker thread', () => {
  const MiB = 1024 * 1024;
  it('never for small inputs', () => {
    expect(parallelImport(MiB, 16)).toBe(false);
  });
  it('only with a core for each busy thread or process (writer, parser, and checkpointer or server)', () => {
    expect(parallelImport(48 * MiB, 2)).toBe(false);
    expect(parallelImport(undefined, 2)).toBe(false);
    expect(parallelImport(48 * MiB, 3)).toBe(true);
    expect(parallelImport(undefined, 4)).toBe(true);
  });
});
