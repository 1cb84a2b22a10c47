import { describe, expect, it } from 'vitest';
import { parallelImport } from '../../src/cli/import.js';

describe('entente import: when parsing goes to a worker thread', () => {
  const MiB = 1024 * 1024;
  it('never for small inputs', () => {
    expect(parallelImport(MiB, 'sqlite', 16)).toBe(false);
    expect(parallelImport(MiB, 'postgres', 16)).toBe(false);
  });
  it('on SQLite only with a core for each of writer, parser and checkpointer', () => {
    expect(parallelImport(48 * MiB, 'sqlite', 2)).toBe(false);
    expect(parallelImport(undefined, 'sqlite', 2)).toBe(false);
    expect(parallelImport(48 * MiB, 'sqlite', 3)).toBe(true);
    expect(parallelImport(undefined, 'sqlite', 4)).toBe(true);
  });
  it('on PostgreSQL for large or unsized inputs (no checkpointer thread here)', () => {
    expect(parallelImport(48 * MiB, 'postgres', 2)).toBe(true);
    expect(parallelImport(undefined, 'postgres', 2)).toBe(true);
  });
});
