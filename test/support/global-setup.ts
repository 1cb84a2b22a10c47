/**
 * Starts what the tests need: a throwaway PostgreSQL cluster on 127.0.0.1 unless ENTENTE_TEST_PG_URL is already
 * set. Its URL reaches every test file through the environment. On CI (CI=true) a missing PostgreSQL is a failure,
 * not a skip: the storage suite must run on both databases.
 */
import { findPgBin, startThrowawayPostgres, type ThrowawayPostgres } from './postgres.js';

let pg: ThrowawayPostgres | undefined;

export async function setup(): Promise<void> {
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
}
