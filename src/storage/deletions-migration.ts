/**
 * Migration 011: `collection_deletions`, the versions a TAXII DELETE removed from a collection (one row per
 * collection and stored version). TAXII 2.1 asks for two answers that look alike: after a DELETE, fetching that
 * object version MUST be 404 (§5.7), while a request for an object that matches nothing is an empty envelope, a
 * 200 (§5.4, which `objects/{id}/` follows as a search by id, §5.6). With the entries gone, only this record tells
 * the two apart. It holds the version's row (the stored version stays, other collections may hold it), so that
 * the same access decision as every read decides whether the caller may learn of it.
 */
import type { Kysely, Migration } from 'kysely';

export const deletionsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('collection_deletions')
      .addColumn('collection_id', 'text', (c) => c.notNull().references('collections.id').onDelete('cascade'))
      .addColumn('version_row', 'bigint', (c) => c.notNull())
      .addColumn('deleted_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('collection_deletions_pk', ['collection_id', 'version_row'])
      .execute();
  },
};
