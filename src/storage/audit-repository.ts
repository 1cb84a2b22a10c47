/** The audit log: append and read, nothing else (the database refuses UPDATE and DELETE on it). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly principalId: string;
  readonly principalName: string;
  readonly organizationId: string | null;
  readonly action: string;
  readonly objectId: string | null;
  readonly collectionId: string | null;
  readonly address: string | null;
  /** Ids and counts only. */
  readonly detail: Readonly<Record<string, unknown>>;
}

export type NewAuditRecord = Omit<AuditRecord, 'seq'>;

/** Rows per INSERT: 9 parameters each stays far below SQLite's (32,766) and PostgreSQL's (65,535) limits. */
const APPEND_MANY_CHUNK = 1000;

export interface AuditQuery {
  readonly since?: string | undefined;
  readonly action?: string | undefined;
  readonly principalId?: string | undefined;
  readonly objectId?: string | undefined;
  readonly afterSeq?: number | undefined;
  readonly limit: number;
}

export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(r: NewAuditRecord): Promise<void> {
    await this.db.insertInto('audit_log').values(auditRow(r)).execute();
  }

  /**
   * Appends many entries, in order, in as few statements as possible (one multi-row INSERT per
   * APPEND_MANY_CHUNK), so that a buffered batch of reads changes the database once, not once per read.
   */
  async appendMany(records: readonly NewAuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (records.length <= APPEND_MANY_CHUNK) {
      await this.db.insertInto('audit_log').values(records.map(auditRow)).execute();
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < records.length; i += APPEND_MANY_CHUNK)
        await tx
          .insertInto('audit_log')
          .values(records.slice(i, i + APPEND_MANY_CHUNK).map(auditRow))
          .execute();
    });
  }

  async list(q: AuditQuery): Promise<AuditRecord[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (q.since !== undefined) query = query.where('at', '>=', q.since);
    if (q.action !== undefined) query = query.where('action', '=', q.action);
    if (q.principalId !== undefined) query = query.where('principal_id', '=', q.principalId);
    if (q.objectId !== undefined) query = query.where('object_id', '=', q.objectId);
    if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
    const rows = await query.orderBy('seq').limit(q.limit).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      principalId: r.principal_id,
      principalName: r.principal_name,
      organizationId: r.organization_id,
      action: r.action,
      objectId: r.object_id,
      collectionId: r.collection_id,
      address: r.address,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}

function auditRow(r: NewAuditRecord) {
  return {
    at: r.at,
    principal_id: r.principalId,
    principal_name: r.principalName,
    organization_id: r.organizationId,
    action: r.action,
    object_id: r.objectId,
    collection_id: r.collectionId,
    address: r.address,
    detail: JSON.stringify(r.detail),
  };
}
