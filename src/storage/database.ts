/** Opens the database named by a URL (`sqlite:PATH`, `sqlite::memory:`, `postgres://…`) and migrates it. */
import { statSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import { EntenteError } from '../core/errors.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import { migrationsFor, type DatabaseKind } from './migrations.js';
import type { Database } from './schema.js';

export interface OpenedDatabase {
  readonly kind: DatabaseKind;
  readonly db: Kysely<Database>;
  /** The SQLite connection under `db` (the same one: statements on it join `db`'s open transaction). */
  readonly sqlite?: Sqlite.Database;
  /** Fired when a statement that may write runs on `sqlite` through `db` (writes on `sqlite` directly fire it too). */
  readonly writes?: WriteSignal;
  /** Background WAL checkpoints of a SQLite file (absent for in-memory databases and PostgreSQL). */
  readonly checkpointer?: BackgroundCheckpointer;
  /** Runs a bulk import with a SQLite file's page cache sized for it (`bulkCache`). */
  readonly bulk?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export function parseDatabaseUrl(url: string): { kind: DatabaseKind; target: string } {
  if (url.startsWith('sqlite:')) {
    const target = url.slice('sqlite:'.length);
    if (target === '')
      throw new EntenteError(
        'INVALID',
        'DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/entente.db',
      );
    return { kind: 'sqlite', target };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return { kind: 'postgres', target: url };
  throw new EntenteError('INVALID', 'DATABASE_URL must start with sqlite: or postgres://', {
    url: redactUrl(url),
  });
}

/** A URL fit for logs and error messages: never the password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

/** How long a SQLite statement waits for another connection's write lock before failing ("database is locked"). */
const BUSY_TIMEOUT_MS = 5000;

/** How many prepared SQLite statements are kept, by SQL text (least recently used dropped first). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Told whenever a statement that may change data runs on the SQLite connection, so that what is derived from
 * reading it (the TAXII generation of this turn of the event loop) is read again after a write.
 */
export class WriteSignal {
  private readonly listeners: (() => void)[] = [];
  subscribe(listener: () => void): void {
    this.listeners.push(listener);
  }
  fire(): void {
    for (const listener of this.listeners) listener();
  }
}

type CachedStatement = ReturnType<SqliteDatabase['prepare']> & { readonly raw: Sqlite.Statement };

/**
 * The SQLite handle as Kysely's dialect sees it, with prepared statements reused by SQL text. Kysely prepares every
 * query anew, and `prepare` of the visibility-filtered page query costs more than running it. Statements are
 * reusable with new parameters; one still iterating (a stream) is never handed out twice: a fresh one is
 * prepared instead. SQLite re-prepares a cached statement by itself after a schema change. A statement that may
 * write fires `writes` as it runs.
 */
function cachingStatements(sqlite: Sqlite.Database, writes: WriteSignal): SqliteDatabase {
  const cache = new Map<string, CachedStatement>();
  const wrap = (raw: Sqlite.Statement): CachedStatement => ({
    raw,
    reader: raw.reader,
    all(parameters) {
      if (!raw.readonly) writes.fire(); // e.g. insert … returning
      return raw.all(parameters);
    },
    run(parameters) {
      if (!raw.readonly) writes.fire();
      return raw.run(parameters);
    },
    iterate(parameters) {
      return raw.iterate(parameters);
    },
  });
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit !== undefined && !hit.raw.busy) {
        // Move to the most recent end.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const stmt = wrap(sqlite.prepare(text));
      if (hit === undefined) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/** SQLite's page cache per connection, in KiB: large, for reads (a TAXII page reads index and body pages). */
const CACHE_KIB = 128 * 1024;
/** The smallest page cache a bulk import gets (`bulkCacheKiB`). */
const BULK_CACHE_MIN_KIB = 8 * 1024;

/**
 * The page cache (KiB) for a bulk import into a database file of `fileBytes`. An import writes most pages once
 * (bodies, the right edges of indexes): in a cache large enough never to recycle one, every new page takes fresh
 * memory from the kernel, zeroed on first touch (ATT&CK into a new file: 19,000 more page faults, 0.09 s more
 * system time, 73 MB more RSS, and 25–30 ms slower end to end with 128 MiB than with 8 MiB; docs/benchmarks.md,
 * tenth session). What an import reads again are index pages (the look-up of each batch's ids), about a fifth of
 * a file of this schema, so the cache shrinks for the import to a quarter of the file, between 8 MiB and the
 * usual size.
 */
export function bulkCacheKiB(fileBytes: number): number {
  return Math.max(BULK_CACHE_MIN_KIB, Math.min(CACHE_KIB, Math.ceil(fileBytes / 4 / 1024)));
}

/**
 * Runs `fn` (a bulk import) with the connection's page cache sized by `bulkCacheKiB`, then restores it; nested or
 * concurrent bulk imports share one smaller cache until the last one ends.
 */
export function bulkCache(sqlite: Sqlite.Database, file: string): <T>(fn: () => Promise<T>) => Promise<T> {
  let depth = 0;
  return async (fn) => {
    if (depth++ === 0) {
      let bytes = 0;
      try {
        bytes = statSync(file).size;
      } catch {
        // not created yet: an empty database
      }
      sqlite.pragma(`cache_size = -${bulkCacheKiB(bytes)}`);
    }
    try {
      return await fn();
    } finally {
      if (--depth === 0) sqlite.pragma(`cache_size = -${CACHE_KIB}`);
    }
  };
}

export async function openDatabase(url: string): Promise<OpenedDatabase> {
  const { kind, target } = parseDatabaseUrl(url);
  let db: Kysely<Database>;
  let sqlite: Sqlite.Database | undefined;
  let writes: WriteSignal | undefined;
  if (kind === 'sqlite') {
    sqlite = new Sqlite(target);
    // First: the pragmas below lock the file too (a new database's switch to WAL), and another process may hold it.
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    writes = new WriteSignal();
    // 16 KiB pages: chosen when smaller pages spilled bodies into overflow chains (then 2-3x slower imports). In the
    // seventh session 4 KiB pages measured a tie for imports and POSTs (docs/benchmarks.md); kept.
    sqlite.pragma('page_size = 16384');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`cache_size = -${CACHE_KIB}`);
    // Checkpoint every ~160 MiB of WAL instead of every 16 MiB: index pages touched by every batch are then copied
    // into the database once per checkpoint, not once per batch (about a quarter of an ATT&CK import's CPU time).
    // The WAL is truncated back to 64 MiB after each checkpoint.
    sqlite.pragma('wal_autocheckpoint = 10000');
    sqlite.pragma('journal_size_limit = 67108864');
    db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite, writes) }),
    });
  } else {
    // The PostgreSQL driver is loaded only when a PostgreSQL database is opened (an embedded node never needs it).
    const { default: pg } = await import('pg');
    // int8 (bigserial) as JS number: sequences stay far below 2^53.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: target, max: 10 });
    // An idle connection the server drops (a restart, pg_terminate_backend, a network cut) is an 'error' on the
    // pool: without a listener that would end the process. The pool discards the client and connects anew on the
    // next query; a query in flight fails on its own (and its request gets an error answer).
    pool.on('error', () => undefined);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  const { error, results } = await migrate(db, kind, sqlite);
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new EntenteError(
      'UNAVAILABLE',
      `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  if (!sqlite) return { kind, db };
  const inMemory = target === ':memory:' || target.startsWith('file::memory:');
  return inMemory
    ? { kind, db, sqlite, writes }
    : {
        kind,
        db,
        sqlite,
        writes,
        checkpointer: new BackgroundCheckpointer(target),
        bulk: bulkCache(sqlite, target),
      };
}

/**
 * Runs the pending migrations. On PostgreSQL, Kysely serialises processes with an advisory lock. On SQLite it takes
 * none (one connection, it assumes), so two processes opening a new database at once (`entente import` and
 * `entente stats`, say) both ran the same migrations and one failed ("table … already exists"). There, when
 * something is pending, the migrations run in one `BEGIN IMMEDIATE` transaction: another process waits for it
 * (busy_timeout) and then finds nothing left to do. Nothing pending, no write lock is taken: opening a database
 * that another process is writing to does not wait.
 */
async function migrate(
  db: Kysely<Database>,
  kind: DatabaseKind,
  sqlite: Sqlite.Database | undefined,
): Promise<Awaited<ReturnType<Migrator['migrateToLatest']>>> {
  if (!sqlite) return new Migrator({ db, provider: migrationsFor(kind) }).migrateToLatest();
  const migrator = new Migrator({ db, provider: migrationsFor(kind), disableTransactions: true });
  if ((await migrator.getMigrations()).every((m) => m.executedAt !== undefined)) return { results: [] };
  // Another process may be migrating this file right now (on a busy machine that can take seconds): wait for it
  // longer than for an ordinary write, at start-up nothing else is waiting on this thread.
  sqlite.pragma('busy_timeout = 60000');
  try {
    sqlite.exec('BEGIN IMMEDIATE');
  } finally {
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
  let outcome: Awaited<ReturnType<Migrator['migrateToLatest']>>;
  try {
    outcome = await migrator.migrateToLatest();
  } catch (err) {
    sqlite.exec('ROLLBACK');
    throw err;
  }
  sqlite.exec(outcome.error === undefined ? 'COMMIT' : 'ROLLBACK');
  return outcome;
}
