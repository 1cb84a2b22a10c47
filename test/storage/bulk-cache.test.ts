import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { bulkCache, bulkCacheKiB } from '../../src/storage/database.js';

describe('the SQLite page cache during a bulk import', () => {
  it('is a quarter of the file, between 8 MiB and the usual 128 MiB', () => {
    expect(bulkCacheKiB(0)).toBe(8 * 1024);
    expect(bulkCacheKiB(20 * 1024 * 1024)).toBe(8 * 1024);
    expect(bulkCacheKiB(80 * 1024 * 1024)).toBe(20 * 1024);
    expect(bulkCacheKiB(10 * 1024 * 1024 * 1024)).toBe(128 * 1024);
  });

  it('is set for the import and restored after it, once the last of overlapping imports ends or fails', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'entente-cache-')), 'c.db');
    const db = new Sqlite(file);
    db.pragma('cache_size = -131072');
    const cache = (): number => db.pragma('cache_size', { simple: true }) as number;
    const bulk = bulkCache(db, file);
    let release!: () => void;
    const first = bulk(async () => {
      expect(cache()).toBe(-8192);
      await new Promise<void>((resolve) => (release = resolve));
      return 'first';
    });
    await expect(bulk(() => Promise.reject(new Error('bad input')))).rejects.toThrow('bad input');
    expect(cache()).toBe(-8192); // the first import still runs
    release();
    await expect(first).resolves.toBe('first');
    expect(cache()).toBe(-131072);
    db.close();
  });
});
