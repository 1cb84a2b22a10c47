/** Schema migrations, in code, run on start. Each one works on SQLite and PostgreSQL alike. */
import { type Kysely, type Migration, type MigrationProvider } from 'kysely';

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

export const migrationsFor = (dialect: DatabaseKind): MigrationProvider => ({
  getMigrations: () => Promise.resolve({ '001_initial': m001(dialect) }),
});
