/**
 * Migration 007 (PostgreSQL only; nothing to do on SQLite): object bodies are compressed with LZ4 instead of pglz
 * when the server was built with it (PostgreSQL ≥ 14 with lz4, as Debian's and the official images are).
 *
 * Why: a body over ~2 KiB is compressed as it is stored, and pglz is slow to compress: it was about 15% of the
 * server's CPU time on an ATT&CK import. LZ4 compresses several times faster to about the same size (ATT&CK
 * bodies: 40.6 MiB against 40.0 MiB), and decompresses faster too. Only new values are affected: bodies stored
 * before stay pglz, and both read the same. See bench/RESULTS-import-postgres.md.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { DatabaseKind } from './migrations.js';

export const postgresBulkMigration = (dialect: DatabaseKind): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (dialect !== 'postgres') return;
    const lz4 = await sql<{ available: boolean }>`select 'lz4' = any(enumvals) as available
      from pg_settings where name = 'default_toast_compression'`.execute(db);
    if (lz4.rows[0]?.available === true)
      await sql`alter table stix_versions alter column body set compression lz4`.execute(db);
  },
});
