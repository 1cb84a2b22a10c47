/**
 * Export: a collection, or a filtered set of all stored objects, as one STIX 2.1 bundle, streamed in pages so that
 * memory stays flat whatever the size. Each object is written exactly as it was stored.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.js';

export interface ExportQuery {
  /** Collection id; absent = every stored object. */
  readonly collectionId?: string | undefined;
  readonly types?: readonly string[] | undefined;
  readonly ids?: readonly string[] | undefined;
  /** `last` (default) or `all` versions. */
  readonly versions?: 'last' | 'all' | undefined;
}

const PAGE = 1000;

export class ExportService {
  constructor(private readonly storage: Storage) {}

  /** The bundle's text, piece by piece. */
  async *exportBundle(q: ExportQuery, bundleId = `bundle--${randomUUID()}`): AsyncGenerator<string> {
    yield `{"type":"bundle","id":"${bundleId}","objects":[`;
    let first = true;
    for await (const body of this.bodies(q)) {
      yield first ? `\n${body}` : `,\n${body}`;
      first = false;
    }
    yield '\n]}\n';
  }

  private async *bodies(q: ExportQuery): AsyncGenerator<string> {
    if (q.collectionId !== undefined) {
      let afterSeq: number | undefined;
      for (;;) {
        const page = await this.storage.objects.listEntries({
          collectionId: q.collectionId,
          types: q.types,
          ids: q.ids,
          versions: q.versions,
          afterSeq,
          limit: PAGE,
        });
        for (const e of page) yield e.body;
        if (page.length < PAGE) return;
        afterSeq = page.at(-1)!.seq;
      }
    }
    let after: { id: string; versionKey: string } | undefined;
    for (;;) {
      const page = await this.storage.objects.listVersions({
        types: q.types,
        ids: q.ids,
        versions: q.versions,
        after,
        limit: PAGE,
      });
      for (const v of page) yield v.body;
      if (page.length < PAGE) return;
      const last = page.at(-1)!;
      after = { id: last.id, versionKey: last.versionKey };
    }
  }
}
