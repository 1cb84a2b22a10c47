/**
 * `entente taxii …` and `entente user …` end to end: the built binary against a real TAXII server (in-process,
 * port 0), as a user would run them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATOR } from '../../src/services/index.js';
import { malware, startTaxii, type Running } from './taxii-support.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'entente.js');

function entente(args: string[], env: Record<string, string> = {}, input?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

describe('entente taxii and entente user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'entente-taxii-cli-'));
  let s: Running;
  let intel: string;
  let token: string;
  const password = 'correct horse battery';

  beforeAll(async () => {
    s = await startTaxii(`sqlite:${join(dir, 'server.db')}`);
    intel = (await s.node.services.collections.ensure('intel')).id;
    const org = await s.node.services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'CLI Org' });
    await s.node.auth.createUser({ name: 'alice', password, roles: ['analyst'], organizationId: org.id });
    await s.node.auth.grant('alice', intel, { canRead: true, canWrite: true });
    token = (await s.node.auth.createToken('alice', 'cli')).token;
  });
  afterAll(() => s?.stop());

  it('push sends a bundle file and waits for the status', async () => {
    const file = join(dir, 'bundle.json');
    const objects = [malware(1), malware(2), malware(3)];
    writeFileSync(
      file,
      JSON.stringify({ type: 'bundle', id: 'bundle--00000000-0000-4000-8000-000000000001', objects }),
    );
    const r = await entente(['taxii', 'push', s.root, intel, file, '--user', 'alice'], {
      ENTENTE_TAXII_PASSWORD: password,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 stored, 0 failed/);
  });

  it('discover and collections print the resources as JSON', async () => {
    const d = await entente(['taxii', 'discover', s.url, '--token', token]);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout).api_roots[0]).toMatchObject({
      url: s.root,
      max_content_length: expect.any(Number),
    });
    const c = await entente(['taxii', 'collections', s.root], { ENTENTE_TAXII_TOKEN: token });
    expect(JSON.parse(c.stdout).map((x: { id: string }) => x.id)).toEqual([intel]);
  });

  it('pull writes a bundle, or stores into a local collection', async () => {
    const out = join(dir, 'pulled.json');
    const r = await entente(['taxii', 'pull', s.root, intel, '--out', out, '--token', token, '--limit', '2']);
    expect(r.code).toBe(0);
    const bundle = JSON.parse(readFileSync(out, 'utf8'));
    expect(bundle.type).toBe('bundle');
    expect(bundle.objects.map((o: { id: string }) => o.id).sort()).toEqual([
      malware(1).id,
      malware(2).id,
      malware(3).id,
    ]);
    const local = `sqlite:${join(dir, 'local.db')}`;
    const into = await entente([
      '--db',
      local,
      'taxii',
      'pull',
      s.root,
      intel,
      '--into',
      'mirror',
      '--token',
      token,
    ]);
    expect(into.code).toBe(0);
    expect(into.stdout).toMatch(/pulled 3 objects into mirror: 3 added/);
  });

  it('pull --out writes the bundle whole or not at all, and says why', async () => {
    const out = join(dir, 'failed.json');
    writeFileSync(out, 'kept');
    // A collection the server does not have: the pull fails, the existing file is untouched, no partial file is left.
    const missing = await entente([
      'taxii',
      'pull',
      s.root,
      'no-such-collection',
      '--out',
      out,
      '--token',
      token,
    ]);
    expect(missing.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('kept');
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    const nowhere = await entente([
      'taxii',
      'pull',
      s.root,
      intel,
      '--out',
      join(dir, 'no', 'such', 'dir', 'x.json'),
      '--token',
      token,
    ]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/cannot write .*ENOENT/);
    const bad = await entente([
      'taxii',
      'pull',
      s.root,
      intel,
      '--out',
      out,
      '--token',
      token,
      '--limit',
      'abc',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit must be a positive integer/);
  });

  it('refuses URLs that are not http(s), and wrong credentials, with exit code 2', async () => {
    const r = await entente(['taxii', 'collections', 'file:///etc/passwd']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/http/);
    const bad = await entente(['taxii', 'collections', s.root, '--token', 'ent_wrong_token_value']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/401/);
  });

  it('user add, token and grant set up a principal that the server accepts', async () => {
    const db = `sqlite:${join(dir, 'server.db')}`;
    const add = await entente(
      ['--db', db, 'user', 'add', 'carol', '--password-stdin'],
      {},
      'a long password\n',
    );
    expect(add.code).toBe(0);
    const grant = await entente(['--db', db, 'user', 'grant', 'carol', 'intel', '--read']);
    expect(grant.stdout).toMatch(/can_read=true can_write=false/);
    const tok = await entente(['--db', db, 'user', 'token', 'carol', '--label', 'ci', '--expires-days', '1']);
    expect(tok.code).toBe(0);
    const secret = tok.stdout.trim();
    expect(secret).toMatch(/^ent_/);
    expect(tok.stderr).not.toContain(secret);
    const c = await entente(['taxii', 'collections', s.root, '--token', secret]);
    expect(JSON.parse(c.stdout)[0]).toMatchObject({ id: intel, can_read: true, can_write: false });
  });
});
