/** Counts for the CLI `stats` verb and the health/stats endpoint. */
import type { Storage } from '../storage/index.js';

export interface StoreStats {
  readonly database: string;
  readonly objects: number;
  readonly versions: number;
  readonly byType: readonly { type: string; objects: number; versions: number }[];
  readonly collections: readonly {
    id: string;
    alias: string | null;
    title: string;
    objects: number;
    versions: number;
  }[];
}

export class StatsService {
  constructor(private readonly storage: Storage) {}

  async stats(): Promise<StoreStats> {
    const byType = await this.storage.objects.countByType();
    const collections = [];
    for (const c of await this.storage.collections.list()) {
      const counts = await this.storage.objects.countByType(c.id);
      collections.push({
        id: c.id,
        alias: c.alias,
        title: c.title,
        objects: counts.reduce((n, t) => n + t.objects, 0),
        versions: counts.reduce((n, t) => n + t.versions, 0),
      });
    }
    return {
      database: this.storage.kind,
      objects: byType.reduce((n, t) => n + t.objects, 0),
      versions: byType.reduce((n, t) => n + t.versions, 0),
      byType,
      collections,
    };
  }
}
