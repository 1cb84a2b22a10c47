/** What the benchmarks share: a throwaway database (a SQLite file, or a PostgreSQL cluster started for the run). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPgBin, startThrowawayPostgres } from '../test/support/postgres.js';

export interface BenchDatabase {
  readonly url: string;
  /** Stops the cluster or removes the file. */
  dispose(): Promise<void>;
}

export async function benchDatabase(usePg: boolean, name: string): Promise<BenchDatabase> {
  if (usePg) {
    const bin = findPgBin();
    if (!bin) throw new Error('PostgreSQL not found under /usr/lib/postgresql');
    const pg = await startThrowawayPostgres(bin, { durable: true });
    return { url: pg.url, dispose: () => pg.stop() };
  }
  const dir = mkdtempSync(join(tmpdir(), `entente-bench-${name}-`));
  return {
    url: `sqlite:${join(dir, 'b.db')}`,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
