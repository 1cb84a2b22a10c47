/**
 * The CLI end to end: the built `entente` binary (bin/entente.js → dist/) against real files and a real
 * SQLite database, as a user would run it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const attack = resolve(root, '..', 'shared', 'data', 'attack', 'enterprise-attack.json');
const bin = join(root, 'bin', 'entente.js');

function entente(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'entente-cli-'));

describe('entente CLI', () => {
  const dir = tmp();
  const db = `sqlite:${join(dir, 'e.db')}`;

  it('imports the whole ATT&CK Enterprise bundle with a summary, and stats counts it', () => {
    const r = entente(['--db', db, 'import', attack, '--collection', 'attack', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ received: 24_772, added: 24_772, rejected: 0, conflicts: 0 });
    const stats = JSON.parse(entente(['--db', db, 'stats', '--json']).stdout);
    expect(stats.objects).toBe(24_772);
    expect(stats.byType.find((t: { type: string }) => t.type === 'intrusion-set').objects).toBe(187);
    expect(stats.collections[0]).toMatchObject({ alias: 'attack', objects: 24_772 });
  });

  it('re-importing is a no-op', () => {
    const r = entente(['--db', db, 'import', attack, '-c', 'attack', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ added: 0, duplicates: 24_772 });
  });

  it('exports a filtered set as a bundle that imports back unchanged', () => {
    const out = join(dir, 'groups.json');
    const r = entente([
      '--db',
      db,
      'export',
      '--collection',
      'attack',
      '--type',
      'intrusion-set',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    const b = JSON.parse(readFileSync(out, 'utf8'));
    expect(b.type).toBe('bundle');
    expect(b.objects).toHaveLength(187);
    const original = JSON.parse(readFileSync(attack, 'utf8')).objects.filter(
      (o: { type: string }) => o.type === 'intrusion-set',
    );
    expect(new Set(b.objects.map((o: { id: string }) => o.id))).toEqual(
      new Set(original.map((o: { id: string }) => o.id)),
    );
    const back = entente(['--db', `sqlite:${join(dir, 'other.db')}`, 'import', out, '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ added: 187, rejected: 0 });
  });

  it('a reader that stops early (| head) ends the output quietly, not with an EPIPE crash', async () => {
    const child = spawn(process.execPath, [bin, '--db', db, 'export', '--collection', 'attack'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('an import that stores nothing leaves no new empty collection behind', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        type: 'bundle',
        id: 'bundle--00000000-0000-4000-8000-000000000009',
        objects: [{ type: 'malware', id: 'malware--nope' }],
      }),
    );
    const r = entente(['--db', db, 'import', bad, '-c', 'never-filled', '--atomic']);
    expect(r.code).toBe(1);
    const stats = JSON.parse(entente(['--db', db, 'stats', '--json']).stdout) as {
      collections: { alias: string }[];
    };
    expect(stats.collections.map((c) => c.alias)).not.toContain('never-filled');
    // An existing collection is kept, whatever the import does.
    expect(entente(['--db', db, 'import', bad, '-c', 'attack']).code).toBe(1);
    const after = JSON.parse(entente(['--db', db, 'stats', '--json']).stdout) as {
      collections: { alias: string }[];
    };
    expect(after.collections.map((c) => c.alias)).toContain('attack');
  });

  it('an export with nothing selected is a bundle without objects (valid STIX: lists are never empty)', () => {
    const out = join(dir, 'none.json');
    expect(entente(['--db', db, 'export', '-c', 'attack', '-t', 'no-such-type', '--out', out]).code).toBe(0);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(bundle.type).toBe('bundle');
    expect(bundle.objects).toBeUndefined();
    expect(entente(['validate', out]).code).toBe(0);
  });

  it('Ctrl-C during an import says what is stored, and importing again completes it', async () => {
    const idb = `sqlite:${join(tmp(), 'i.db')}`;
    const objects = Array.from({ length: 3000 }, (_, n) =>
      JSON.stringify({
        type: 'malware',
        spec_version: '2.1',
        id: `malware--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        created: '2021-03-02T00:00:00.000Z',
        modified: '2021-03-02T00:00:00.000Z',
        name: `m${n}`,
        is_family: true,
      }),
    );
    // The database exists (migrated) before the import starts and the polling below begins.
    expect(entente(['--db', idb, 'stats', '--json']).code).toBe(0);
    const child = spawn(process.execPath, [bin, '--db', idb, 'import', '-', '-c', 'ctrlc'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    child.stdin.on('error', () => undefined); // the child may be gone before all of it is written
    child.stdin.write(`{"type":"bundle","objects":[${objects.slice(0, 2500).join(',')},`);
    // Wait until a batch has been stored (the database file holds it), then interrupt.
    for (let i = 0; i < 100; i++) {
      const n = JSON.parse(entente(['--db', idb, 'stats', '--json']).stdout || '{"objects":0}') as {
        objects: number;
      };
      if (n.objects >= 1000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await closed;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted: the first [\d,]+ objects of the bundle are stored/);
    const bundle = join(tmp(), 'all.json');
    writeFileSync(bundle, `{"type":"bundle","objects":[${objects.join(',')}]}`);
    const again = JSON.parse(entente(['--db', idb, 'import', bundle, '-c', 'ctrlc', '--json']).stdout) as {
      added: number;
      duplicates: number;
    };
    expect(again.added + again.duplicates).toBe(3000);
    expect(again.duplicates).toBeGreaterThanOrEqual(1000);
    expect(JSON.parse(entente(['--db', idb, 'stats', '--json']).stdout).objects).toBe(3000);
  });

  it('imports from stdin', () => {
    const b = JSON.stringify({
      type: 'bundle',
      id: 'bundle--6f1c9b8e-9e9e-4e3e-8d7a-1b2c3d4e5f60',
      objects: [],
    });
    const r = entente(['--db', db, 'import', '-', '--json'], b);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ received: 0 });
  });

  it('validate: exit 0 on a valid bundle, 1 with every problem on an invalid one', () => {
    const ok = entente(['validate', attack]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^valid: .*24,772 objects, 0 errors/);
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        type: 'bundle',
        id: 'bundle--6f1c9b8e-9e9e-4e3e-8d7a-1b2c3d4e5f60',
        objects: [
          {
            type: 'malware',
            id: 'malware--nope',
            spec_version: '2.1',
            created: '2021-01-01',
            modified: '2021-01-01T00:00:00Z',
            is_family: 'yes',
          },
        ],
      }),
    );
    const r = entente(['validate', bad, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    const paths = report.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['$.objects[0].id', '$.objects[0].created', '$.objects[0].is_family']),
    );
    const human = entente(['validate', bad]);
    expect(human.stdout).toMatch(/INVALID/);
    expect(human.stdout).toMatch(/malware--nope \$\.objects\[0\]\.id/);
  });

  it('clear errors for a missing file, malformed JSON and a bad database URL', () => {
    expect(entente(['import', join(dir, 'missing.json'), '--db', db])).toMatchObject({ code: 2 });
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"type":"bundle","objects":[{"a":1},');
    const r = entente(['--db', db, 'import', junk]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/truncated/);
    const u = entente(['--db', 'mysql://x', 'stats']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/DATABASE_URL must start with sqlite: or postgres/);
    expect(entente(['no-such-verb']).code).toBe(2);
  });

  it('demo loads ATT&CK and the ProxyLogon set with nothing refused, and is idempotent', () => {
    const demoDb = `sqlite:${join(tmp(), 'demo.db')}`;
    const first = entente(['--db', demoDb, 'demo', '--no-serve']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/attack: 24,772 objects \(24,772 new, 0 already stored, 0 refused\)/);
    expect(first.stdout).toMatch(
      /proxylogon: [\d,]+ objects \([\d,]+ new, [\d,]+ already stored, 0 refused\)/,
    );
    const second = entente(['--db', demoDb, 'demo', '--no-serve']);
    expect(second.stdout).toMatch(/attack: 24,772 objects \(0 new, 24,772 already stored, 0 refused\)/);
    expect(second.stdout).toMatch(/proxylogon: [\d,]+ objects \(0 new/);
  });

  it('serve answers health and stats', async () => {
    // Unmarked objects follow their collection's default (TLP:AMBER unless set), and anonymous callers count only
    // what they may see (docs/sharing.md): ATT&CK is public, so its collection is made TLP:CLEAR.
    expect(entente(['--db', db, 'group', 'default-tlp', 'attack', 'clear']).code).toBe(0);
    const child = spawn(process.execPath, [bin, '--db', db, 'serve', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((res, rej) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) res(m[1]!);
        });
        child.once('exit', (code) => rej(new Error(`serve exited ${code}`)));
      });
      const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
      expect(health.status).toBe('ok');
      const stats = (await (await fetch(`${url}/api/stats`)).json()) as { objects: number };
      expect(stats.objects).toBeGreaterThanOrEqual(24_772);
      const missing = await fetch(`${url}/api/nope`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
