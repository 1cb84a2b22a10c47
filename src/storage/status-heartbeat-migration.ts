/**
 * Migration 008: `taxii_statuses.heartbeat_at`, when the process storing a POST last showed it is alive (at
 * creation, with every stored batch, and every few seconds while it works). A status whose pending objects have
 * had no heartbeat for long belongs to a process that stopped: its pending objects are then reported as failures
 * instead of staying pending until the status expires (TaxiiRepository.getStatus). Existing rows keep null, read as
 * their request timestamp.
 */
import type { Kysely, Migration } from 'kysely';

export const statusHeartbeatMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('taxii_statuses').addColumn('heartbeat_at', 'text').execute();
  },
};
