/**
 * Migration 013: drops `stix_versions_type_idx`. A version's type is the prefix of its id (`type--UUID`, STIX 2.1
 * §2.9, checked at ingest), so the (id, version_key) key already orders versions by type: counts by type read it
 * alone (`countByType`), and on SQLite a type filter is one range of it per type (`listVersions`). The index cost
 * every stored version an insert: 4 % of an ATT&CK import into PostgreSQL, 1 % into SQLite (docs/benchmarks.md,
 * tenth session).
 */
import type { Kysely, Migration } from 'kysely';

export const versionsTypeMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('stix_versions_type_idx').execute();
  },
};
