/**
 * Several processes opening one new SQLite database at once (`entente import` while `entente stats` runs, say)
 * each migrate it: without a lock they ran the same migrations and all but the first failed ("table … already
 * exists", "duplicate column name"). Real processes, the built code: the lock is SQLite's, between connections.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const storageModule = pathToFileURL(
  resolve(import.meta.dirname, '..', '..', 'dist', 'storage', 'index.js'),
).href;

function openInChild(url: string): Promise<{ code: number | null; stderr: string }> {
  const script = `const m = await import(${JSON.stringify(storageModule)});
    const s = await m.openStorage(${JSON.stringify(url)});
    if ((await s.collections.list()).length !== 0) throw new Error('not empty');
    await s.close();`;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('SQLite: a new database opened by several processes at once', () => {
  it('is migrated once, and every process gets a working store', async () => {
    for (let round = 0; round < 3; round++) {
      const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'entente-race-')), 'r.db')}`;
      const runs = await Promise.all([
        openInChild(url),
        openInChild(url),
        openInChild(url),
        openInChild(url),
      ]);
      expect(
        runs.map((r) => (r.code === 0 ? 'ok' : r.stderr.split('\n').find((l) => /Error/.test(l)))),
      ).toEqual(['ok', 'ok', 'ok', 'ok']);
    }
  });
});
