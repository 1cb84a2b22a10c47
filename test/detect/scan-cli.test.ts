import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseSize, registerScanCommands, submitToTaxii } from '../../src/cli/scan.js';
import { generateLogs, type GroundTruth } from '../../src/detect/synthetic/generate.js';
import { campaignIndicators, indicatorBundle } from '../../src/detect/synthetic/indicators.js';
import { createServices } from '../../src/services/index.js';
import { openStorage } from '../../src/storage/index.js';
import { tempDir } from './helpers.js';

const IDENTITY = 'identity--6f7c4a1e-2b3d-4c5e-8f90-a1b2c3d4e5f6';

/** Runs `entente scan …` in-process; returns the exit code the CLI would use and what it printed. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command('entente').exitOverride();
  registerScanCommands(program);
  for (const c of program.commands) c.exitOverride();
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    return { code, out, err };
  } catch (x) {
    return { code: 2, out, err: err + (x instanceof Error ? x.message : String(x)) };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

describe('entente scan --from-store', () => {
  it("matches the node's stored indicators exactly as the same indicators from a bundle file", async () => {
    const tmp = tempDir('store');
    try {
      const truth = await generateLogs(join(tmp.dir, 'logs'), { targetBytes: 200_000, seed: 7 });
      const bundle = indicatorBundle(campaignIndicators(truth.traces.flatMap((t) => t.observables)));
      const bundlePath = join(tmp.dir, 'indicators.json');
      writeFileSync(bundlePath, JSON.stringify(bundle));
      const db = `sqlite:${join(tmp.dir, 'node.db')}`;
      const storage = await openStorage(db);
      const services = createServices(storage);
      const c = await services.collections.ensure('indicators');
      const report = await services.ingest.importStream(
        (async function* () {
          yield await Promise.resolve(new TextEncoder().encode(JSON.stringify(bundle)));
        })(),
        { collectionId: c.id },
      );
      await storage.close();
      expect(report.rejected).toBe(0);
      const run = async (args: string[]) => {
        const program = new Command('entente').exitOverride().option('--db <url>');
        registerScanCommands(program);
        for (const cmd of program.commands) cmd.exitOverride();
        const o = vi.spyOn(process.stdout, 'write');
        let out = '';
        o.mockImplementation((x) => ((out += String(x)), true));
        try {
          await program.parseAsync(args, { from: 'user' });
        } finally {
          o.mockRestore();
          process.exitCode = undefined;
        }
        return JSON.parse(out) as {
          indicators: { used: number };
          indicatorHits: { indicatorId: string; count: number }[];
        };
      };
      const fromFile = await run([
        'scan',
        join(tmp.dir, 'logs'),
        '-i',
        bundlePath,
        '--json',
        '--threads',
        '1',
      ]);
      const fromStore = await run([
        '--db',
        db,
        'scan',
        join(tmp.dir, 'logs'),
        '--from-store',
        '--json',
        '--threads',
        '1',
      ]);
      expect(fromStore.indicators.used).toBe(fromFile.indicators.used);
      expect(fromStore.indicators.used).toBeGreaterThan(0);
      const hits = (r: typeof fromFile) => r.indicatorHits.map((h) => [h.indicatorId, h.count]).sort();
      expect(hits(fromStore)).toEqual(hits(fromFile));
      expect(fromStore.indicatorHits.length).toBeGreaterThan(0);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('entente scan (CLI)', () => {
  let tmp: { dir: string; cleanup: () => void };
  let truth: GroundTruth;
  let bundlePath: string;
  const attack = (): string => join(tmp.dir, 'attack');
  const benign = (): string => join(tmp.dir, 'benign');

  beforeAll(async () => {
    tmp = tempDir('cli');
    truth = await generateLogs(attack(), { targetBytes: 300_000, seed: 4 });
    await generateLogs(benign(), { targetBytes: 300_000, seed: 4, attacks: false });
    bundlePath = join(tmp.dir, 'indicators.json');
    writeFileSync(
      bundlePath,
      JSON.stringify(indicatorBundle(campaignIndicators(truth.traces.flatMap((t) => t.observables)))),
    );
  });
  afterAll(() => tmp.cleanup());

  it('exits 0 on clean logs and 1 when there are findings', async () => {
    const clean = await cli(['scan', benign(), '--indicators', bundlePath, '--threads', '1']);
    expect(clean.code).toBe(0);
    expect(clean.out).toContain('Result: clean');
    const dirty = await cli(['scan', attack(), '--indicators', bundlePath, '--threads', '1']);
    expect(dirty.code).toBe(1);
    expect(dirty.out).toContain('FINDINGS');
    expect(dirty.out).toContain('INDICATOR HITS');
  });

  it('exits 2 on bad usage: sightings without an identity, a non-http report URL, a missing indicator file', async () => {
    expect((await cli(['scan', attack(), '--sightings', join(tmp.dir, 's.json')])).err).toMatch(
      /need --identity/,
    );
    const ftp = await cli(['scan', attack(), '--identity', IDENTITY, '--report', 'ftp://example.org/x/']);
    expect(ftp.code).toBe(2);
    expect(ftp.err).toMatch(/http\(s\)/);
    expect((await cli(['scan', attack(), '--indicators', join(tmp.dir, 'nope.json')])).code).toBe(2);
  });

  it('--json gives the findings, hits and sightings as one document', async () => {
    const r = await cli([
      'scan',
      attack(),
      '--indicators',
      bundlePath,
      '--identity',
      IDENTITY,
      '--json',
      '--threads',
      '1',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { status: string; findings: unknown[]; sightings: { type: string }[] };
    expect(doc.status).toBe('findings');
    expect(doc.findings.length).toBe(truth.traces.reduce((n, t) => n + t.detectors.length, 0));
    expect(doc.sightings.length).toBeGreaterThan(0);
    expect(doc.sightings.every((s) => s.type === 'sighting')).toBe(true);
  });

  it('--sightings writes a bundle; --observed-data adds the SCOs', async () => {
    const p = join(tmp.dir, 'sightings.json');
    await cli([
      'scan',
      attack(),
      '-i',
      bundlePath,
      '--identity',
      IDENTITY,
      '--sightings',
      p,
      '--observed-data',
    ]);
    const bundle = JSON.parse(readFileSync(p, 'utf8')) as { type: string; objects: { type: string }[] };
    expect(bundle.type).toBe('bundle');
    const types = new Set(bundle.objects.map((o) => o.type));
    expect(types.has('sighting') && types.has('observed-data') && types.has('ipv4-addr')).toBe(true);
  });

  it('--report POSTs the sightings to {collection}/objects/ as a TAXII 2.1 envelope with the bearer token', async () => {
    const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(202, { 'Content-Type': 'application/taxii+json;version=2.1' });
        res.end(JSON.stringify({ id: 'status-1', status: 'complete', success_count: 3 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    try {
      const url = `http://127.0.0.1:${port}/taxii2/alliance/collections/c0ffee/`;
      const r = await cli([
        'scan',
        attack(),
        '-i',
        bundlePath,
        '--identity',
        IDENTITY,
        '--report',
        url,
        '--token',
        's3cret',
      ]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('Submitted');
      expect(seen).toHaveLength(1);
      const req = seen[0]!;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/taxii2/alliance/collections/c0ffee/objects/');
      expect(req.headers['content-type']).toBe('application/taxii+json;version=2.1');
      expect(req.headers['accept']).toBe('application/taxii+json;version=2.1');
      expect(req.headers['authorization']).toBe('Bearer s3cret');
      const env = JSON.parse(req.body) as { objects: { type: string; where_sighted_refs: string[] }[] };
      expect(env.objects.length).toBeGreaterThan(0);
      expect(env.objects.every((o) => o.type === 'sighting' && o.where_sighted_refs[0] === IDENTITY)).toBe(
        true,
      );
    } finally {
      server.close();
    }
  });

  it('submitToTaxii refuses non-http(s) URLs and reports server errors', async () => {
    await expect(submitToTaxii('file:///etc/passwd', [], undefined)).rejects.toThrow(/only http\(s\)/);
    const server = createServer((_req, res) => {
      res.writeHead(403);
      res.end('{"title":"forbidden"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(submitToTaxii(`http://127.0.0.1:${port}/c/`, [{}], undefined)).rejects.toThrow(
        /answered 403/,
      );
    } finally {
      server.close();
    }
  });

  it('scan build prints the verdict and exits 1 when a build is exposed', async () => {
    const r = await cli(['scan', 'build', '15.02.0792.003', '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.out) as { status: string }[])[0]!.status).toBe('vulnerable');
    expect((await cli(['scan', 'build', '15.2.792.10'])).code).toBe(0);
  });

  it('scan generate-logs writes logs, ground truth and an indicator bundle', async () => {
    const out = join(tmp.dir, 'gen');
    const r = await cli([
      'scan',
      'generate-logs',
      '--out',
      out,
      '--size',
      '200KB',
      '--indicator-count',
      '50',
    ]);
    expect(r.code).toBe(0);
    const gt = JSON.parse(readFileSync(`${out}.ground-truth.json`, 'utf8')) as GroundTruth;
    expect(gt.traces.length).toBeGreaterThan(20);
    const b = JSON.parse(readFileSync(`${out}.indicators.json`, 'utf8')) as { objects: unknown[] };
    expect(b.objects).toHaveLength(50);
  });

  it('parses sizes', () => {
    expect(parseSize('256MB')).toBe(256 * 1024 * 1024);
    expect(parseSize('1GB')).toBe(1024 ** 3);
    expect(parseSize('1e6')).toBe(1_000_000);
    expect(() => parseSize('lots')).toThrow(/not a size/);
  });
});

describe('entente scan --tree (a mounted server drive)', () => {
  it('flags web shells, dumps and loot by their place, and matches file hashes and paths against indicators', async () => {
    const { dir, cleanup } = tempDir('tree');
    try {
      const X = 'Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy';
      const files: Record<string, string> = {
        [`${X}/owa/auth/logon.aspx`]: '<%@ Page %>stock',
        [`${X}/owa/auth/OutlookEN.aspx`]:
          '<script language="JScript" runat="server">eval(Request["x"])</script>',
        [`${X}/ecp/auth/TimeoutLogoff.aspx`]: 'stock',
        'inetpub/wwwroot/aspnet_client/system_web/log.aspx': 'shell',
        'root/lsass.dmp': 'MDMP',
        'ProgramData/it.zip': 'PK',
        'Windows/Temp/MpCmdRun.log': 'ok',
      };
      for (const [rel, body] of Object.entries(files)) {
        mkdirSync(join(dir, 'mnt', rel, '..'), { recursive: true });
        writeFileSync(join(dir, 'mnt', rel), body);
      }
      const shellHash = createHash('sha256').update(files[`${X}/owa/auth/OutlookEN.aspx`]!).digest('hex');
      const bundle = join(dir, 'ind.json');
      writeFileSync(
        bundle,
        JSON.stringify(
          indicatorBundle([
            {
              id: 'indicator--11111111-1111-4111-8111-111111111111',
              literal: '',
              pattern: `[file:hashes.'SHA-256' = '${shellHash}']`,
            },
            {
              id: 'indicator--22222222-2222-4222-8222-222222222222',
              literal: '',
              pattern:
                "[file:name = 'log.aspx' AND file:parent_directory_ref.path = 'C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\system_web']",
            },
          ]),
        ),
      );
      const r = await cli(['scan', '--tree', join(dir, 'mnt'), '-i', bundle, '--json']);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.out) as {
        findings: { detector: string; evidence: string }[];
        indicatorHits: { indicatorId: string; count: number }[];
      };
      expect(doc.findings.map((f) => [f.detector, f.evidence]).sort()).toEqual(
        [
          ['post-exploitation-file', 'C:\\ProgramData\\it.zip'],
          ['post-exploitation-file', 'C:\\root\\lsass.dmp'],
          [
            'webshell-path',
            'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookEN.aspx',
          ],
          ['webshell-path', 'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx'],
        ].sort(),
      );
      expect(doc.indicatorHits.map((h) => [h.indicatorId, h.count]).sort()).toEqual([
        ['indicator--11111111-1111-4111-8111-111111111111', 1],
        ['indicator--22222222-2222-4222-8222-222222222222', 1],
      ]);
    } finally {
      cleanup();
    }
  });
});
