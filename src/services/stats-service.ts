/** Counts for the CLI `stats` verb and the stats endpoint; the health check. */
import type { Principal } from '../core/access/principal.js';
import type { Storage, Visibility } from '../storage/index.js';

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
  constructor(
    private readonly storage: Storage,
    private readonly visibilityFor?: (p: Principal) => Promise<Visibility>,
  ) {}

  /**
   * For health checks: the database kind, once the database has answered a trivial query. Cheap whatever the
   * store's size (a load balancer may ask every second); throws if the database does not answer.
   */
  async health(): Promise<{ database: string }> {
    await this.storage.ping();
    return { database: this.storage.kind };
  }

  /** Counts; with `as`, only what that principal may see (counts never include hidden objects). */
  async stats(as?: Principal): Promise<StoreStats> {
    let visibility: Visibility | undefined;
    if (as !== undefined) {
      if (!this.visibilityFor) throw new Error('StatsService needs visibilityFor to count as a principal');
      visibility = await this.visibilityFor(as);
    }
    const byType = await this.storage.objects.countByType(undefined, visibility);
    const collections = [];
    for (const c of await this.storage.collections.list()) {
      const counts = await this.storage.objects.countByType(c.id, visibility);
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
