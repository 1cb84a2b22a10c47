/**
 * Migration 010: a TAXII status's per-object outcomes are stored one row per recorded batch
 * (`taxii_status_outcomes`: the batch's first and last `idx` and its outcomes as one JSON array), instead of one row
 * per object (`taxii_status_objects`, dropped).
 *
 * Why: every stored POST batch recorded its outcomes in the same transaction, one row per object, each with the
 * status id (a UUID), the object id and version. That was 10,000 rows for a 10,000-object POST, written, committed
 * and kept 24 hours, and about a fifth of the event loop's time while a POST was stored (in-process,
 * `bench/taxii-post.ts`, alternated: main thread 0.68–0.75 s per 10,000 objects with the rows, 0.54–0.61 s
 * without). A batch's outcomes are always recorded together and read in `idx` order, so one row per batch loses
 * nothing. Existing outcomes become one row per status.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { DatabaseKind } from './migrations.js';

export const statusOutcomesMigration = (dialect: DatabaseKind): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('taxii_status_outcomes')
      .addColumn('status_id', 'text', (c) => c.notNull().references('taxii_statuses.id').onDelete('cascade'))
      .addColumn('first_idx', 'integer', (c) => c.notNull())
      .addColumn('last_idx', 'integer', (c) => c.notNull())
      // A JSON array of [idx, object id, version or null, 1 (success) or 0, message or null], in idx order.
      .addColumn('outcomes', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('taxii_status_outcomes_pk', ['status_id', 'first_idx'])
      .execute();
    // The outcomes already recorded: one row per status, in idx order.
    if (dialect === 'postgres')
      await sql`insert into taxii_status_outcomes (status_id, first_idx, last_idx, outcomes)
        select status_id, min(idx), max(idx),
          json_agg(json_build_array(idx, object_id, version, success, message) order by idx)::text
        from taxii_status_objects group by status_id`.execute(db);
    else
      // An ordered aggregate: SQLite 3.44 and later, which better-sqlite3 12 bundles.
      await sql`insert into taxii_status_outcomes (status_id, first_idx, last_idx, outcomes)
        select status_id, min(idx), max(idx),
          json_group_array(json_array(idx, object_id, version, success, message) order by idx)
        from taxii_status_objects group by status_id`.execute(db);
    await db.schema.dropTable('taxii_status_objects').execute();
  },
});
