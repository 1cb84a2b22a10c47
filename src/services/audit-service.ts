/**
 * The audit log: who read, exported, shared, changed or deleted what, when, from where. Append-only (the database
 * refuses UPDATE and DELETE). It records ids and counts, never an object's body — so never the body of an AMBER or
 * RED object — and only admins read it.
 *
 * Two ways in: `record` writes one entry at once (changes, exports, sharing rules); `queue` buffers an entry in
 * memory and `flush` writes the buffer as one multi-row INSERT, every `flushMs` or every `maxRecords` entries,
 * whichever comes first. Reads go through `queue`: an INSERT per read would change the database on every request,
 * and the TAXII read caches are served only while the database is unchanged (`TaxiiRepository.generation()`).
 * What a crash can lose is what was queued and not yet flushed: at most `flushMs` worth of reads (docs/sharing.md).
 */
import { EntenteError } from '../core/errors.js';
import type { Principal } from '../core/access/principal.js';
import type { AuditQuery, AuditRecord, Storage } from '../storage/index.js';

type NewAuditRecord = Omit<AuditRecord, 'seq'>;

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
export const MAX_DETAIL_STRING = 200;
export const MAX_DETAIL_LIST = 100;

export interface AuditBufferOptions {
  /** Longest a queued entry waits before it is written, in ms (default 1000). */
  readonly flushMs?: number | undefined;
  /** Queued entries that are written at once, without waiting for `flushMs` (default 500). */
  readonly maxRecords?: number | undefined;
  /**
   * Entries kept in memory while the database refuses them (default 20,000). Past it `queue` fails with
   * UNAVAILABLE: a read that cannot be audited is refused rather than served unrecorded.
   */
  readonly maxPending?: number | undefined;
  /** Starts a timer and returns its cancel function (tests inject their own; the default is unref'd). */
  readonly setTimer?: ((fn: () => void, ms: number) => () => void) | undefined;
}

/** Entries queued with the same `ref` object and `key` before the next flush are written as one, with a count. */
export interface SameAs {
  readonly ref: object;
  readonly key: string;
}

interface Queued {
  readonly record: NewAuditRecord;
  times: number;
  lastAt: string;
}

const defaultTimer = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  t.unref(); // a pending flush never keeps the process alive; `flush` on close writes what is left
  return () => clearTimeout(t);
};

export class AuditService {
  private queued: Queued[] = [];
  /** Entries queued since the last flush by `SameAs.ref`, then `SameAs.key`. */
  private readonly same = new Map<object, Map<string, Queued>>();
  private cancelTimer: (() => void) | undefined;
  private flushChain: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly maxRecords: number;
  private readonly maxPending: number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  /** Where a failed background flush is reported (the HTTP logger); the entries are kept and retried. */
  onFlushError: (err: unknown, context: Record<string, unknown>) => void = () => undefined;

  constructor(
    private readonly storage: Storage,
    private readonly now: () => string,
    buffer: AuditBufferOptions = {},
  ) {
    this.flushMs = buffer.flushMs ?? 1000;
    this.maxRecords = buffer.maxRecords ?? 500;
    this.maxPending = buffer.maxPending ?? 20_000;
    this.setTimer = buffer.setTimer ?? defaultTimer;
    for (const [name, v] of Object.entries({
      flushMs: this.flushMs,
      maxRecords: this.maxRecords,
      maxPending: this.maxPending,
    }))
      if (!Number.isInteger(v) || v < 1)
        throw new EntenteError('INVALID', `audit buffer ${name} must be ≥ 1`);
  }

  async record(actor: Principal, action: AuditAction, event: AuditEvent = {}): Promise<void> {
    await this.storage.audit.append(this.entry(actor, action, event));
  }

  /**
   * Queues an entry for the next flush (see the header); its time is now, not the flush's. `event` may be a
   * function, called only for an entry that is not a repeat. With `same`, an entry equal to one already queued
   * (e.g. the same page re-polled by the same caller from the same address) only counts: the written entry
   * carries `times` (how many) and `lastAt` (the last one's time) in its detail.
   */
  queue(
    actor: Principal,
    action: AuditAction,
    event: AuditEvent | (() => AuditEvent) = {},
    same?: SameAs,
  ): void {
    if (same !== undefined) {
      const earlier = this.same.get(same.ref)?.get(same.key);
      if (earlier !== undefined) {
        earlier.times++;
        earlier.lastAt = this.now();
        return;
      }
    }
    if (this.queued.length >= this.maxPending)
      throw new EntenteError(
        'UNAVAILABLE',
        'the audit log cannot be written: requests are refused until it can be',
      );
    // Built only for an entry that is not a repeat: a re-polled page costs a lookup and a count.
    const record = this.entry(actor, action, typeof event === 'function' ? event() : event);
    const q: Queued = { record, times: 1, lastAt: record.at };
    this.queued.push(q);
    if (same !== undefined) {
      let byKey = this.same.get(same.ref);
      if (byKey === undefined) this.same.set(same.ref, (byKey = new Map<string, Queued>()));
      byKey.set(same.key, q);
    }
    if (this.queued.length >= this.maxRecords) this.flushInBackground();
    else this.cancelTimer ??= this.setTimer(() => this.flushInBackground(), this.flushMs);
  }

  /** Entries queued and not yet written. */
  get pending(): number {
    return this.queued.length;
  }

  /**
   * Writes every queued entry now, in one multi-row INSERT (graceful shutdown, tests). Flushes run one after the
   * other, in queue order. If the database refuses them, they stay queued (retried after `flushMs`) and this
   * rejects.
   */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.writeQueued());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** The log, oldest first; admins only. */
  async list(actor: Principal, q: AuditQuery): Promise<AuditRecord[]> {
    if (!actor.roles.includes('admin'))
      throw new EntenteError('FORBIDDEN', 'only admins may read the audit log');
    return this.storage.audit.list(q);
  }

  private entry(actor: Principal, action: AuditAction, event: AuditEvent): NewAuditRecord {
    return {
      at: this.now(),
      principalId: actor.id,
      principalName: actor.name,
      organizationId: actor.organizationId,
      action,
      objectId: event.objectId ?? null,
      collectionId: event.collectionId ?? null,
      address: event.address ?? null,
      detail: sanitize(event.detail ?? {}),
    };
  }

  private flushInBackground(): void {
    this.flush().catch((err: unknown) => this.onFlushError(err, { pending: this.queued.length }));
  }

  private async writeQueued(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    this.same.clear();
    try {
      await this.storage.audit.appendMany(batch.map(written));
    } catch (err) {
      // Kept, ahead of what was queued meanwhile (order is kept), and retried; `maxPending` bounds the memory.
      this.queued = batch.concat(this.queued);
      this.cancelTimer ??= this.setTimer(() => this.flushInBackground(), this.flushMs);
      throw err;
    }
  }
}

function written(q: Queued): NewAuditRecord {
  if (q.times === 1) return q.record;
  return { ...q.record, detail: { ...q.record.detail, times: q.times, lastAt: q.lastAt } };
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
