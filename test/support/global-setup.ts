/**
 * Starts what the tests need: a throwaway PostgreSQL cluster on 127.0.0.1 (from the Debian `postgresql` package)
 * unless ENTENTE_TEST_PG_URL is already set. Its URL is published to every test file through the environment.
 * On CI (CI=true) a missing PostgreSQL is a failure, not a skip: the storage suite must run on both databases.
 */
import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findPgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && Number(v) >= 15)
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

let proc: ChildProcess | undefined;
let dir: string | undefined;

export async function setup(): Promise<void> {
  if (process.env.ENTENTE_TEST_PG_URL) return;
  const bin = findPgBin();
  if (!bin) {
    if (process.env.CI === 'true')
      throw new Error('PostgreSQL >= 15 not found under /usr/lib/postgresql (apt-get install -y postgresql)');
    process.stderr.write(
      '\n[entente tests] PostgreSQL not found: the PostgreSQL storage suite will be skipped.\n\n',
    );
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'entente-pg-'));
  const asRoot = process.getuid?.() === 0;
  // postgres refuses to run as root: run the throwaway cluster as the `postgres` system user when we are root.
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
      : spawnSync(cmd, args, { encoding: 'utf8' });
  if (asRoot) spawnSync('chown', ['-R', 'postgres', dir]);
  const init = run(join(bin, 'initdb'), [
    '-D',
    join(dir, 'data'),
    '-U',
    'entente',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const args = [
    '-D',
    join(dir, 'data'),
    '-k',
    dir,
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ];
  // As root, start postgres directly under the postgres user's uid so that signals reach it (no runuser in between).
  const ids = asRoot ? { uid: Number(idOf('-u')), gid: Number(idOf('-g')) } : {};
  proc = spawn(join(bin, 'postgres'), args, { stdio: 'ignore', ...ids });
  const url = `postgres://entente@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not start: ${String(err)}`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  process.env.ENTENTE_TEST_PG_URL = url;
}

function idOf(flag: '-u' | '-g'): string {
  return spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim();
}

export async function teardown(): Promise<void> {
  if (proc) {
    const p = proc;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGQUIT'); // immediate shutdown: the cluster is thrown away
      setTimeout(resolve, 10_000).unref();
    });
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
