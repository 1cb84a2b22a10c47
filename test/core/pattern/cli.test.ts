import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerPatternCommands } from '../../../src/cli/pattern.js';

async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    const program = new Command('entente').exitOverride();
    registerPatternCommands(program);
    await program.parseAsync(['node', 'entente', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out, err, code };
}

const dir = mkdtempSync(join(tmpdir(), 'entente-pattern-'));
const bundle = join(dir, 'bundle.json');
writeFileSync(
  bundle,
  JSON.stringify({
    type: 'bundle',
    id: 'bundle--1',
    objects: [
      {
        type: 'observed-data',
        id: 'observed-data--1',
        first_observed: '2020-01-01T00:00:00Z',
        last_observed: '2020-01-01T00:00:00Z',
        number_observed: 1,
        object_refs: ['network-traffic--1'],
      },
      { type: 'ipv4-addr', id: 'ipv4-addr--1', value: '198.51.100.3' },
      { type: 'network-traffic', id: 'network-traffic--1', dst_ref: 'ipv4-addr--1', dst_port: 443 },
    ],
  }),
);
const plain = join(dir, 'observations.json');
writeFileSync(
  plain,
  JSON.stringify([
    {
      firstObserved: '2020-01-01T00:00:00Z',
      lastObserved: '2020-01-01T00:00:00Z',
      numberObserved: 1,
      objects: { a: { type: 'domain-name', value: 'a.example' } },
    },
    {
      id: 'line-7',
      firstObserved: '2020-01-01T00:00:05Z',
      lastObserved: '2020-01-01T00:00:05Z',
      numberObserved: 1,
      objects: { a: { type: 'domain-name', value: 'b.example' } },
    },
  ]),
);
const broken = join(dir, 'broken.json');
writeFileSync(broken, '{ not json');

afterEach(() => {
  process.exitCode = undefined;
});

describe('entente pattern validate', () => {
  it('prints the canonical form of a valid pattern and exits 0', async () => {
    const r = await run('pattern', 'validate', "[ipv4-addr:value='1.2.3.4']");
    expect(r.code).toBe(0);
    expect(r.out).toContain("valid: [ipv4-addr:value = '1.2.3.4']");
  });

  it('points at the error and exits 1', async () => {
    const r = await run('pattern', 'validate', '[file:name = ]');
    expect(r.code).toBe(1);
    expect(r.out).toContain('INVALID at 1:14: expected a constant');
    expect(r.out).toContain('             ^');
  });

  it('--json gives a machine-readable answer', async () => {
    const r = await run('pattern', 'validate', '--json', "[file:nmae = 'x']");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: true,
      warnings: [{ rule: 'unknown-property', path: '1:2' }],
    });
    const bad = await run('pattern', 'validate', '--json', '[');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ ok: false, error: { line: 1, column: 2 } });
  });
});

describe('entente pattern match', () => {
  it('matches a bundle of observed-data and SCOs (exit 0)', async () => {
    const r = await run(
      'pattern',
      'match',
      '--pattern',
      "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']",
      '--observed',
      bundle,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('observed-data--1');
  });

  it('matches a JSON array of observations; exit 1 when nothing matches', async () => {
    const yes = await run(
      'pattern',
      'match',
      '--json',
      '--pattern',
      "[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']",
      '--observed',
      plain,
    );
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.out)).toEqual({ matched: true, observations: [0, 1], ids: ['#0', 'line-7'] });
    const no = await run(
      'pattern',
      'match',
      '--pattern',
      "[domain-name:value = 'c.example']",
      '--observed',
      plain,
    );
    expect(no.code).toBe(1);
    expect(no.out).toContain('no match');
  });

  it('exits 2 on an invalid pattern, an unreadable or malformed file', async () => {
    expect((await run('pattern', 'match', '--pattern', '[x', '--observed', plain)).code).toBe(2);
    expect(
      (await run('pattern', 'match', '--pattern', "[a-b:c = 'd']", '--observed', join(dir, 'missing.json')))
        .code,
    ).toBe(2);
    const r = await run('pattern', 'match', '--pattern', "[x-a:b = 'd']", '--observed', broken);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/broken\.json/);
  });
});
