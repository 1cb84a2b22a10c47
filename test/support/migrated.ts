/**
 * A store at an older schema, for migration tests: the raw database (no repositories) migrated up to one migration,
 * to fill with rows as that version wrote them before `openStorage` runs the rest.
 */
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrationsFor, type DatabaseKind } from '../../src/storage/migrations.js';

/** The database at `url` (`sqlite:PATH` or `postgres://…`), without migrating it. */
export function rawDatabase(kind: DatabaseKind, url: string): Kysely<unknown> {
  return kind === 'sqlite'
    ? new Kysely<unknown>({
        dialect: new SqliteDialect({ database: new Sqlite(url.slice('sqlite:'.length)) }),
      })
    : new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
}

/** The database at `url` migrated up to `migration` (e.g. '009_version_rows'), and no further. */
export async function migratedTo(
  kind: DatabaseKind,
  url: string,
  migration: string,
): Promise<Kysely<unknown>> {
  const db = rawDatabase(kind, url);
  const { error } = await new Migrator({ db, provider: migrationsFor(kind) }).migrateTo(migration);
  if (error !== undefined) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(`migration to ${migration} failed`, { cause: error });
  }
  return db;
}
