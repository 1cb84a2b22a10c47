/** Schema migrations, in code, run on start. Each one works on SQLite and PostgreSQL alike. */
import { type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { bodyCompareMigration } from './body-compare-migration.js';
import { deletionsMigration } from './deletions-migration.js';
import { leanIndexesMigration } from './lean-indexes-migration.js';
import { postgresBulkMigration } from './postgres-migration.js';
import { audienceMigration, sharingIndexesMigration, sharingMigration } from './sharing-migration.js';
import { statusHeartbeatMigration } from './status-heartbeat-migration.js';
import { statusOutcomesMigration } from './status-outcomes-migration.js';
import { versionRowsMigration } from './version-rows-migration.js';
import { versionsTypeMigration } from './versions-type-migration.js';

export type DatabaseKind = 'sqlite' | 'postgres';

const m001 = (dialect: DatabaseKind): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('collections')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('alias', 'text', (c) => c.unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('stix_versions')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version_key', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('spec_version', 'text', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('created_by_ref', 'text')
      .addColumn('markings', 'text')
      .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('raw_hash', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('stix_versions_pk', ['id', 'version_key'])
      .execute();
    await db.schema
      .createTable('collection_entries')
      .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('collection_id', 'text', (c) => c.notNull().references('collections.id').onDelete('cascade'))
      .addColumn('object_id', 'text', (c) => c.notNull())
      .addColumn('version_key', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('spec_version', 'text', (c) => c.notNull())
      .addColumn('date_added', 'text', (c) => c.notNull())
      .addColumn('is_latest', 'integer', (c) => c.notNull())
      .addUniqueConstraint('collection_entries_version_uq', ['collection_id', 'object_id', 'version_key'])
      .execute();
    await db.schema
      .createIndex('collection_entries_latest_idx')
      .on('collection_entries')
      .columns(['collection_id', 'is_latest', 'seq'])
      .execute();
    await db.schema
      .createIndex('collection_entries_type_idx')
      .on('collection_entries')
      .columns(['collection_id', 'type', 'seq'])
      .execute();
    await db.schema.createIndex('stix_versions_type_idx').on('stix_versions').columns(['type']).execute();
  },
});

/** TAXII: status resources, principals, API tokens, collection permissions, settings; the object-id index. */
const m002: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('taxii_statuses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('collection_id', 'text', (c) => c.notNull())
      .addColumn('principal_id', 'text', (c) => c.notNull())
      .addColumn('request_timestamp', 'text', (c) => c.notNull())
      .addColumn('total_count', 'integer', (c) => c.notNull())
      .addColumn('success_count', 'integer', (c) => c.notNull())
      .addColumn('failure_count', 'integer', (c) => c.notNull())
      .addColumn('pending_count', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('taxii_statuses_expiry_idx')
      .on('taxii_statuses')
      .column('expires_at')
      .execute();
    await db.schema
      .createTable('taxii_status_objects')
      .addColumn('status_id', 'text', (c) => c.notNull().references('taxii_statuses.id').onDelete('cascade'))
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('object_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('success', 'integer', (c) => c.notNull())
      .addColumn('message', 'text')
      .addPrimaryKeyConstraint('taxii_status_objects_pk', ['status_id', 'idx'])
      .execute();
    await db.schema
      .createTable('principals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text')
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('organization_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema
      .createTable('collection_permissions')
      .addColumn('principal_id', 'text', (c) => c.notNull())
      .addColumn('collection_id', 'text', (c) => c.notNull().references('collections.id').onDelete('cascade'))
      .addColumn('can_read', 'integer', (c) => c.notNull())
      .addColumn('can_write', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('collection_permissions_pk', ['principal_id', 'collection_id'])
      .execute();
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    // objects/{id}/, versions/ and match[id] look objects up by id within a collection.
    await db.schema
      .createIndex('collection_entries_object_idx')
      .on('collection_entries')
      .columns(['collection_id', 'object_id', 'seq'])
      .execute();
  },
};

/** Sharing rules (docs/sharing.md): organisations, sharing groups, audit log, per-version access facts. */
const m003 = (dialect: DatabaseKind): Migration => sharingMigration(dialect);

/** Sharing rules: collection entries by version (effective-rank upkeep). */
const m004: Migration = sharingIndexesMigration;

/** Sharing rules: audience keys on collection entries (pages of visible objects at index speed). */
const m005: Migration = audienceMigration;

export const migrationsFor = (dialect: DatabaseKind): MigrationProvider => ({
  getMigrations: () =>
    Promise.resolve({
      '001_initial': m001(dialect),
      '002_taxii': m002,
      '003_sharing': m003(dialect),
      '004_sharing_indexes': m004,
      '005_sharing_audience': m005,
      '006_lean_indexes': leanIndexesMigration(dialect),
      '007_postgres_bulk': postgresBulkMigration(dialect),
      '008_status_heartbeat': statusHeartbeatMigration,
      '009_version_rows': versionRowsMigration(dialect),
      '010_status_outcomes': statusOutcomesMigration(dialect),
      '011_collection_deletions': deletionsMigration,
      '012_compare_bodies': bodyCompareMigration,
      '013_versions_by_id_prefix': versionsTypeMigration,
    }),
});
