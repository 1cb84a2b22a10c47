/**
 * Starts what the tests need: a throwaway PostgreSQL cluster on 127.0.0.1 unless ENTENTE_TEST_PG_URL is already
 * set. Its URL reaches every test file through the environment. On CI (CI=true) a missing PostgreSQL is a failure,
 * not a skip: the storage suite must run on both databases.
 *
 * Every temporary file the tests make (databases, CLI outputs) goes into one directory, removed at the end: TMPDIR
 * points there for the test processes, which inherit the environment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPgBin, startThrowawayPostgres, type ThrowawayPostgres } from './postgres.js';

let pg: ThrowawayPostgres | undefined;
let runTmp: string | undefined;

export async function setup(): Promise<void> {
  await startPostgres();
  // After the cluster, whose data directory (in the system's temporary directory) another user may have to reach.
  runTmp = mkdtempSync(join(tmpdir(), 'entente-test-'));
  process.env.TMPDIR = runTmp;
}

async function startPostgres(): Promise<void> {
  if (process.env.ENTENTE_TEST_PG_URL) return;
  const bin = findPgBin();
  if (!bin) {
    if (process.env.CI === 'true') {
      throw new Error('PostgreSQL >= 15 not found under /usr/lib/postgresql (apt-get install -y postgresql)');
    }
    process.stderr.write(
      '\n[entente tests] PostgreSQL not found: the PostgreSQL storage suite will be skipped.\n\n',
    );
    return;
  }
  pg = await startThrowawayPostgres(bin);
  process.env.ENTENTE_TEST_PG_URL = pg.url;
}

export async function teardown(): Promise<void> {
  await pg?.stop();
  if (runTmp !== undefined) rmSync(runTmp, { recursive: true, force: true });
}
