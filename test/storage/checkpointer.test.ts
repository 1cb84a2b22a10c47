import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BackgroundCheckpointer } from '../../src/storage/checkpointer.js';

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('background WAL checkpoints (SQLite)', () => {
  it('copy committed pages into the database while the writer goes on, losing nothing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'entente-ckpt-')), 'c.db');
    const db = new Sqlite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0'); // only the background checkpoints run
    db.exec('create table t (n integer, body text)');
    const checkpointer = new BackgroundCheckpointer(file, 100_000);
    const insert = db.prepare('insert into t values (?, ?)');
    for (let i = 0; i < 40; i++) {
      db.transaction(() => {
        for (let k = 0; k < 10; k++) insert.run(i * 10 + k, 'x'.repeat(5_000));
      })();
      checkpointer.wrote(50_000);
    }
    await until(() => checkpointer.completed >= 1);
    expect(checkpointer.error).toBeUndefined();
    expect(checkpointer.completed).toBeGreaterThanOrEqual(1);
    // Pages reached the database file itself, not only the WAL.
    expect(statSync(file).size).toBeGreaterThan(100_000);
    await checkpointer.close();
    const { n } = db.prepare('select count(*) as n from t').get() as { n: number };
    expect(n).toBe(400);
    db.close();
    // Reopened from the file alone: everything is there.
    const again = new Sqlite(file, { readonly: true });
    expect((again.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(400);
    again.close();
  });

  it('asks for a checkpoint after the lower bulk threshold only while a bulk import runs', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'entente-ckpt-')), 'c.db');
    const db = new Sqlite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('create table t (n integer)');
    db.prepare('insert into t values (1)').run();
    const checkpointer = new BackgroundCheckpointer(file, 1_000_000, 100_000);
    checkpointer.wrote(200_000); // above the bulk threshold, below the normal one
    await new Promise((r) => setTimeout(r, 50));
    expect(checkpointer.completed).toBe(0);
    await checkpointer.bulk(async () => {
      checkpointer.wrote(200_000);
      await until(() => checkpointer.completed >= 1);
    });
    expect(checkpointer.completed).toBe(1);
    expect(checkpointer.error).toBeUndefined();
    await checkpointer.close();
    db.close();
  });

  it('makes a writer wait, once the WAL has outgrown the pressure size, until it is copied and can be rewound', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'entente-ckpt-')), 'c.db');
    const db = new Sqlite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0'); // only the background checkpoints run
    db.pragma('journal_size_limit = 262144'); // a rewound WAL is truncated to 256 KiB
    db.exec('create table t (n integer, body text)');
    // No `wrote` calls: no background checkpoint is asked for, as when writes outpace them.
    const checkpointer = new BackgroundCheckpointer(file, 1e12, 1e12, 1_000_000);
    const insert = db.prepare('insert into t values (?, ?)');
    const write = (from: number) =>
      db.transaction(() => {
        for (let k = 0; k < 50; k++) insert.run(from + k, 'x'.repeat(5_000));
      })();
    const wal = () => statSync(`${file}-wal`).size;
    write(0);
    expect(wal()).toBeLessThan(1_000_000);
    await checkpointer.headroom(); // below the pressure size: at once, no checkpoint
    expect(checkpointer.completed).toBe(0);
    for (let i = 1; i < 8; i++) write(i * 50);
    expect(wal()).toBeGreaterThan(1_000_000);
    await checkpointer.headroom();
    expect(checkpointer.completed).toBeGreaterThanOrEqual(1);
    expect(checkpointer.error).toBeUndefined();
    // The next write rewinds the WAL, and it is truncated to the size limit.
    write(400);
    expect(wal()).toBeLessThan(1_000_000);
    await checkpointer.headroom();
    await checkpointer.close();
    await checkpointer.headroom(); // closed: nothing to wait for
    expect((db.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(450);
    db.close();
  });

  it('asks for nothing below the threshold and closes cleanly without ever starting', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'entente-ckpt-')), 'c.db');
    const checkpointer = new BackgroundCheckpointer(file, 1_000_000);
    checkpointer.wrote(10);
    await checkpointer.close();
    expect(checkpointer.completed).toBe(0);
    checkpointer.wrote(10_000_000); // after close: ignored
    expect(checkpointer.completed).toBe(0);
  });
});
