/**
 * The audit log: who read, exported, shared, changed or deleted what, when, from where. Append-only (the database
 * refuses UPDATE and DELETE). It records ids and counts, never an object's body — so never the body of an AMBER or
 * RED object — and only admins read it.
 */
import { EntenteError } from '../core/errors.js';
import type { Principal } from '../core/access/principal.js';
import type { AuditQuery, AuditRecord, Storage } from '../storage/index.js';

export type AuditAction =
  | 'read'
  | 'export'
  | 'share'
  | 'change'
  | 'delete'
  | 'org.add'
  | 'org.remove'
  | 'group.create'
  | 'group.remove'
  | 'group.member.add'
  | 'group.member.remove'
  | 'group.pass-on'
  | 'collection.default-tlp';

/** Small values only: ids, names, counts, flags. */
export type AuditDetail = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

export interface AuditEvent {
  readonly objectId?: string | undefined;
  readonly collectionId?: string | undefined;
  /** Where the request came from (IP address, `cli`). */
  readonly address?: string | undefined;
  readonly detail?: AuditDetail | undefined;
}

/** Longest string kept in a detail value: ids and names fit; a body does not. */
const MAX_DETAIL_STRING = 200;
const MAX_DETAIL_LIST = 100;

export class AuditService {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => string,
  ) {}

  async record(actor: Principal, action: AuditAction, event: AuditEvent = {}): Promise<void> {
    await this.storage.audit.append({
      at: this.now(),
      principalId: actor.id,
      principalName: actor.name,
      organizationId: actor.organizationId,
      action,
      objectId: event.objectId ?? null,
      collectionId: event.collectionId ?? null,
      address: event.address ?? null,
      detail: sanitize(event.detail ?? {}),
    });
  }

  /** The log, oldest first; admins only. */
  async list(actor: Principal, q: AuditQuery): Promise<AuditRecord[]> {
    if (!actor.roles.includes('admin'))
      throw new EntenteError('FORBIDDEN', 'only admins may read the audit log');
    return this.storage.audit.list(q);
  }
}

function sanitize(detail: AuditDetail): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (typeof v === 'string') {
      if (v.length > MAX_DETAIL_STRING)
        throw new EntenteError(
          'INVALID',
          `audit detail "${k}" is too long: the audit log keeps ids and counts only`,
        );
      out[k] = v;
    } else if (Array.isArray(v)) {
      const list = v as readonly string[];
      if (list.length > MAX_DETAIL_LIST || list.some((s) => s.length > MAX_DETAIL_STRING))
        throw new EntenteError(
          'INVALID',
          `audit detail "${k}" is too large: the audit log keeps ids and counts only`,
        );
      out[k] = [...list];
    } else out[k] = v;
  }
  return out;
}
