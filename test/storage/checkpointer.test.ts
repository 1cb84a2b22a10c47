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

  /** A WAL database with a table, written to in batches of about 250 KB, with `wrote` told after each commit. */
  const walWriter = (checkpointer: (file: string) => BackgroundCheckpointer) => {
    const file = join(mkdtempSync(join(tmpdir(), 'entente-ckpt-')), 'c.db');
    const db = new Sqlite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0'); // only the background checkpoints run
    db.exec('create table t (n integer primary key, body text)');
    const c = checkpointer(file);
    const insert = db.prepare('insert into t values (?, ?)');
    let rows = 0;
    const batch = async (): Promise<void> => {
      await c.headroom();
      db.transaction(() => {
        for (let k = 0; k < 50; k++) insert.run(rows++, 'x'.repeat(5_000));
      })();
      c.wrote(250_000);
    };
    const wal = () => statSync(`${file}-wal`).size;
    const count = () => (db.prepare('select count(*) as n from t').get() as { n: number }).n;
    return { db, file, checkpointer: c, batch, wal, count };
  };

  it('during a bulk import, rewinds the WAL every rewindBytes, so the file stays small', async () => {
    // No checkpoint asked for by the thresholds, none by the pressure size: only the rewinds.
    const rewinding = walWriter((f) => new BackgroundCheckpointer(f, 1e12, 1e12, 1e12, 1_000_000));
    const growing = walWriter((f) => new BackgroundCheckpointer(f, 1e12, 1e12, 1e12, 1e12));
    for (const w of [rewinding, growing])
      await w.checkpointer.bulk(async () => {
        for (let i = 0; i < 40; i++) await w.batch();
      });
    // 40 batches of ~260 KB: a WAL never rewound holds them all; one rewound after every ~1 MB holds a few.
    expect(growing.wal()).toBeGreaterThan(9_000_000);
    expect(rewinding.wal()).toBeLessThan(2_500_000);
    expect(growing.checkpointer.completed).toBe(0);
    // One checkpoint each time more than 1 MB was told since the last one (every 5th batch), none at the end.
    expect(rewinding.checkpointer.completed).toBe(7);
    expect(rewinding.checkpointer.error).toBeUndefined();
    for (const w of [rewinding, growing]) {
      expect(w.count()).toBe(2_000);
      await w.checkpointer.close();
      w.db.close();
    }
  });

  it('does not rewind outside a bulk import, and a reader that holds the WAL costs one wait per rewindBytes', async () => {
    const w = walWriter((f) => new BackgroundCheckpointer(f, 1e12, 1e12, 1e12, 1_000_000));
    for (let i = 0; i < 12; i++) await w.batch();
    expect(w.checkpointer.completed).toBe(0); // not a bulk import: no waits
    // A reader in the middle of a read transaction keeps the frames after its snapshot from being copied.
    const reader = new Sqlite(w.file);
    reader.exec('begin');
    reader.prepare('select count(*) from t').get();
    await w.checkpointer.bulk(async () => {
      for (let i = 0; i < 20; i++) await w.batch();
    });
    // Every ~4 batches one try, which cannot rewind: ~5 checkpoints for 20 batches, not one per batch.
    expect(w.checkpointer.completed).toBeGreaterThanOrEqual(4);
    expect(w.checkpointer.completed).toBeLessThanOrEqual(6);
    expect(w.wal()).toBeGreaterThan(7_000_000);
    reader.exec('commit');
    reader.close();
    expect(w.count()).toBe(1_600);
    await w.checkpointer.close();
    w.db.close();
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
