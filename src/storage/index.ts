/**
 * Storage: the only place SQL lives. Offers `openStorage(url)` over SQLite (embedded default) or PostgreSQL,
 * with one repository per aggregate. Rows never leave this module: repositories return plain domain records.
 * Must not import services, HTTP, TAXII or CLI code.
 */
import { sql } from 'kysely';
import { openDatabase } from './database.js';
import type { DatabaseKind } from './migrations.js';
import { CollectionRepository } from './collection-repository.js';
import { ObjectRepository, type Clock } from './object-repository.js';
import { PrincipalRepository } from './principal-repository.js';
import { TaxiiRepository } from './taxii-repository.js';
import { postgresInserter } from './bulk-postgres.js';
import { sqliteInserter } from './bulk-sqlite.js';
import { PostgresStatistics } from './postgres-statistics.js';
import { AuditRepository } from './audit-repository.js';
import { SharingRepository } from './sharing-repository.js';

export { parseDatabaseUrl, redactUrl } from './database.js';
export type { DatabaseKind } from './migrations.js';
export type { Collection } from './collection-repository.js';
export { bodyText, formatMicros } from './object-repository.js';
export { StatusGivenUp } from './taxii-repository.js';
export type {
  BatchPlan,
  BatchWrite,
  Clock,
  EntryQuery,
  NewVersion,
  StoredEntry,
  StoredVersion,
  VersionQuery,
  WriteOutcome,
  WritePolicy,
} from './object-repository.js';
export type { CollectionRepository } from './collection-repository.js';
export type { ObjectRepository } from './object-repository.js';
export type { PrincipalRepository, Permission, StoredToken, StoredUser } from './principal-repository.js';
export type {
  NewStatus,
  StatusObjectOutcome,
  StoredStatus,
  TaxiiEntry,
  TaxiiEntryQuery,
  TaxiiRepository,
  VersionSelector,
} from './taxii-repository.js';
export type { Visibility } from './visibility.js';
export type { Organization, SharingGroup, SharingRepository } from './sharing-repository.js';
export type { AuditQuery, AuditRecord, AuditRepository } from './audit-repository.js';

export interface Storage {
  readonly kind: DatabaseKind;
  readonly collections: CollectionRepository;
  readonly objects: ObjectRepository;
  readonly taxii: TaxiiRepository;
  readonly principals: PrincipalRepository;
  readonly sharing: SharingRepository;
  readonly audit: AuditRepository;
  /** Whether the database answers: one trivial query (health checks; never a count or a scan). */
  ping(): Promise<void>;
  /**
   * Runs `fn`, a bulk import, with the database tuned for it (SQLite: more frequent background checkpoints, the WAL
   * rewound every few MiB, a page cache sized to the file).
   */
  bulkWrites<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** Microseconds since the epoch; injectable for tests. */
  readonly clock?: Clock;
}

/** Microseconds since the epoch: Date.now() has millisecond resolution, performance.now() adds the rest. */
export const systemClock: Clock = () => {
  const origin = performance.timeOrigin * 1000;
  return Math.floor(origin + performance.now() * 1000);
};

export async function openStorage(url: string, options: StorageOptions = {}): Promise<Storage> {
  const { kind, db, sqlite, writes, checkpointer, bulk } = await openDatabase(url);
  const statistics = kind === 'postgres' ? new PostgresStatistics(db) : undefined;
  const objects = new ObjectRepository(
    db,
    kind,
    options.clock ?? systemClock,
    sqlite ? sqliteInserter(sqlite, writes) : postgresInserter,
    checkpointer
      ? (bytes) => checkpointer.wrote(bytes)
      : statistics
        ? (_bytes, versions) => statistics.wrote(versions)
        : undefined,
    checkpointer ? () => checkpointer.headroom() : undefined,
  );
  return {
    kind,
    collections: new CollectionRepository(db),
    objects,
    taxii: new TaxiiRepository(db, objects, sqlite, writes),
    principals: new PrincipalRepository(db),
    sharing: new SharingRepository(db),
    audit: new AuditRepository(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    bulkWrites: <T>(fn: () => Promise<T>): Promise<T> => {
      const tuned = (): Promise<T> => (checkpointer ? checkpointer.bulk(fn) : fn());
      return bulk ? bulk(tuned) : tuned();
    },
    close: async () => {
      // The checkpointer's connection goes first, so that the writer's close runs the final checkpoint.
      await checkpointer?.close();
      await statistics?.close();
      await db.destroy();
    },
  };
}
