/**
 * Migration 012: drops `stix_versions.raw_hash`. A version's SHA-256 served one purpose, telling a re-imported
 * version that is the same (a duplicate) from one with other content (a conflict); the bodies themselves are now
 * compared, read only for the versions a batch brings again (`loadRepeatedBodies`), instead of hashing every
 * incoming object (4 % of an ATT&CK import). PostgreSQL drops the column at once; SQLite rewrites the table.
 */
import type { Kysely, Migration } from 'kysely';

export const bodyCompareMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('stix_versions').dropColumn('raw_hash').execute();
  },
};
