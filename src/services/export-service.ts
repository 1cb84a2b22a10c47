/**
 * Export: a collection, or a filtered set of all stored objects, as one STIX 2.1 bundle, streamed in pages so that
 * memory stays flat whatever the size. Each object is written exactly as it was stored.
 */
import { randomUUID } from 'node:crypto';
import type { Principal, Role } from '../core/access/principal.js';
import type { Storage, Visibility } from '../storage/index.js';
import type { AuditService } from './audit-service.js';

export interface ExportQuery {
  /** Collection id; absent = every stored object. */
  readonly collectionId?: string | undefined;
  readonly types?: readonly string[] | undefined;
  readonly ids?: readonly string[] | undefined;
  /** `last` (default) or `all` versions. */
  readonly versions?: 'last' | 'all' | undefined;
  /** Only what this principal may see (docs/sharing.md), filtered in the database; absent = the local operator. */
  readonly as?: Principal | undefined;
  /** Who asked, for the audit log (defaults to `as`, else the local operator). */
  readonly actor?: Principal | undefined;
}

const PAGE = 1000;

/** The CLI acting directly on the node's database. */
const OPERATOR_ROLES: readonly Role[] = Object.freeze<Role[]>(['admin']);
export const LOCAL_OPERATOR: Principal = Object.freeze({
  id: 'local-operator',
  kind: 'user',
  name: 'local operator (CLI)',
  organizationId: null,
  roles: OPERATOR_ROLES,
});

export class ExportService {
  constructor(
    private readonly storage: Storage,
    private readonly visibilityFor?: (p: Principal) => Promise<Visibility>,
    private readonly audit?: AuditService,
  ) {}

  /** The bundle's text, piece by piece. With nothing to export, a bundle without `objects` (lists are never empty). */
  async *exportBundle(q: ExportQuery, bundleId = `bundle--${randomUUID()}`): AsyncGenerator<string> {
    yield `{"type":"bundle","id":"${bundleId}"`;
    let count = 0;
    const visibility = await this.visibility(q);
    for await (const body of this.bodies(q, visibility)) {
      yield count === 0 ? `,"objects":[\n${body}` : `,\n${body}`;
      count++;
    }
    yield count === 0 ? '}\n' : '\n]}\n';
    // Ids and counts only: never a body (docs/sharing.md, audit log).
    await this.audit?.record(q.actor ?? q.as ?? LOCAL_OPERATOR, 'export', {
      collectionId: q.collectionId,
      detail: { bundle: bundleId, objects: count, as: q.as?.organizationId ?? null },
    });
  }

  private async visibility(q: ExportQuery): Promise<Visibility | undefined> {
    if (q.as === undefined) return undefined;
    if (!this.visibilityFor) throw new Error('ExportService needs visibilityFor to export as a principal');
    return this.visibilityFor(q.as);
  }

  private async *bodies(q: ExportQuery, visibility: Visibility | undefined): AsyncGenerator<string> {
    if (q.collectionId !== undefined) {
      let afterSeq: number | undefined;
      for (;;) {
        const page = await this.storage.objects.listEntries(
          {
            collectionId: q.collectionId,
            types: q.types,
            ids: q.ids,
            versions: q.versions,
            afterSeq,
            limit: PAGE,
          },
          visibility,
        );
        for (const e of page) yield e.body;
        if (page.length < PAGE) return;
        afterSeq = page.at(-1)!.seq;
      }
    }
    let after: { id: string; versionKey: string } | undefined;
    for (;;) {
      const page = await this.storage.objects.listVersions(
        {
          types: q.types,
          ids: q.ids,
          versions: q.versions,
          after,
          limit: PAGE,
        },
        visibility,
      );
      for (const v of page) yield v.body;
      if (page.length < PAGE) return;
      const last = page.at(-1)!;
      after = { id: last.id, versionKey: last.versionKey };
    }
  }
}
