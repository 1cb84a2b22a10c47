import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsv } from '../../src/detect/csv.js';
import { RecordReader, sniffKind } from '../../src/detect/formats.js';
import { LineSplitter } from '../../src/detect/lines.js';
import { scanSources } from '../../src/detect/scan.js';
import { collectSources } from '../../src/detect/sources.js';
import { generateLogs, type GroundTruth } from '../../src/detect/synthetic/generate.js';
import type { LogRecord } from '../../src/detect/types.js';
import { makeZip, tempDir } from './helpers.js';

const FALLBACK = '2021-03-05T00:00:00.000Z';
const scan = async (paths: string[]) => {
  const { sources, skipped } = await collectSources(paths);
  const result = await scanSources(sources, { fallbackTime: FALLBACK });
  return { ...result, skipped: [...skipped, ...result.skipped] };
};

const HP_HEADER =
  '#Software: Microsoft Exchange Server\n#Log-type: HttpProxy Logs\n#Fields: DateTime,RequestId,Protocol,UrlHost,UrlStem,AuthenticatedUser,AnchorMailbox,UserAgent,ClientIpAddress,HttpStatus,Method\n';
const hpRow = (anchor: string, ip = '5.254.43.18'): string =>
  `2021-03-03T04:12:10.123Z,${'b'.repeat(8)},Ecp,mail.contoso.com,/ecp/y.js,,${anchor},python-requests/2.25.1,${ip},200,POST\n`;
const SSRF = 'ServerInfo~a]@EX01:444/ecp/proxyLogon.ecp#~1941962753';

describe('log readers', () => {
  let tmp: { dir: string; cleanup: () => void };
  let truth: GroundTruth;
  const gen = (): string => join(tmp.dir, 'gen');

  beforeAll(async () => {
    tmp = tempDir('readers');
    truth = await generateLogs(gen(), { targetBytes: 400_000, seed: 3 });
  });
  afterAll(() => tmp.cleanup());

  it('reads .gz files exactly as the plain files', async () => {
    const plain = await scan([gen()]);
    const gzDir = join(tmp.dir, 'gz');
    for (const f of truth.files) {
      mkdirSync(join(gzDir, f, '..'), { recursive: true });
      writeFileSync(join(gzDir, `${f}.gz`), gzipSync(readFileSync(join(gen(), f))));
    }
    const gz = await scan([gzDir]);
    expect(gz.skipped).toEqual([]);
    expect(gz.stats.records).toBe(plain.stats.records);
    const norm = (fs: typeof plain.findings, root: string, suffix: string) =>
      fs.map((f) => `${f.file.replace(root, '').replace(suffix, '')}:${f.line}:${f.detector}`).sort();
    expect(norm(gz.findings, gzDir, '.gz')).toEqual(norm(plain.findings, gen(), ''));
  });

  it('reads .zip archives (deflated, stored, and .gz inside) entry by entry', async () => {
    const plain = await scan([gen()]);
    const zipPath = join(tmp.dir, 'logs.zip');
    writeFileSync(
      zipPath,
      makeZip(
        truth.files.map((f, i) => ({
          name: i % 3 === 2 ? `${f}.gz` : f,
          data: i % 3 === 2 ? gzipSync(readFileSync(join(gen(), f))) : readFileSync(join(gen(), f)),
          store: i % 3 === 1,
        })),
      ),
    );
    const zipped = await scan([zipPath]);
    expect(zipped.skipped).toEqual([]);
    expect(zipped.stats.records).toBe(plain.stats.records);
    expect(zipped.findings.length).toBe(plain.findings.length);
    expect(zipped.findings.every((f) => f.file.startsWith(`${zipPath}!`))).toBe(true);
  });

  it('reports a truncated or corrupt archive per file and goes on with the rest', async () => {
    const dir = join(tmp.dir, 'bad-archives');
    mkdirSync(dir, { recursive: true });
    const good = HP_HEADER + hpRow(SSRF);
    const zip = makeZip([{ name: 'HttpProxy/Ecp/a.log', data: good }]);
    writeFileSync(join(dir, 'truncated.zip'), zip.subarray(0, zip.length - 30));
    const flipped = Buffer.from(zip);
    const dataAt = 30 + 'HttpProxy/Ecp/a.log'.length + 4; // inside the deflated data
    flipped[dataAt] = flipped[dataAt]! ^ 0xff;
    writeFileSync(join(dir, 'corrupt.zip'), flipped);
    const gz = gzipSync(Buffer.from(good.repeat(2000)));
    writeFileSync(join(dir, 'truncated.log.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    writeFileSync(join(dir, 'ok.log'), good);
    const r = await scan([dir]);
    const reasons = new Map(r.skipped.map((s) => [s.file.replace(`${dir}/`, ''), s.reason]));
    expect(reasons.get('truncated.zip')).toMatch(/corrupt or truncated ZIP/);
    expect(reasons.get('corrupt.zip!HttpProxy/Ecp/a.log')).toMatch(/corrupt|CRC|invalid/i);
    expect(reasons.get('truncated.log.gz')).toMatch(
      /unreadable: .*(unexpected end|incorrect header|Z_BUF_ERROR)/i,
    );
    // The readable file is still scanned, and so is the part of the gzip before the damage.
    expect(r.findings.some((f) => f.file.endsWith('ok.log'))).toBe(true);
    expect(r.findings.some((f) => f.file.endsWith('truncated.log.gz'))).toBe(true);
  });

  it('skips binary junk, unknown formats and missing paths with a clear reason', async () => {
    const dir = join(tmp.dir, 'junk');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'image.log'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3, 0]));
    writeFileSync(join(dir, 'notes.txt'), 'hello\nthis is not a log\n');
    writeFileSync(join(dir, 'empty.log'), '');
    writeFileSync(join(dir, 'ok.log'), HP_HEADER + hpRow(SSRF));
    const r = await scan([dir, join(tmp.dir, 'does-not-exist')]);
    const reasons = new Map(r.skipped.map((s) => [s.file.replace(`${tmp.dir}/`, ''), s.reason]));
    expect(reasons.get('junk/image.log')).toMatch(/binary data/);
    expect(reasons.get('junk/notes.txt')).toMatch(/unknown log format/);
    expect(reasons.get('junk/empty.log')).toMatch(/no log records/);
    expect(reasons.get('does-not-exist')).toMatch(/no such file/);
    expect(r.findings.map((f) => f.detector)).toEqual(['cve-2021-26855-httpproxy']);
  });

  it.skipIf(process.getuid?.() === 0)('skips unreadable files with "permission denied"', async () => {
    const p = join(tmp.dir, 'secret.log');
    writeFileSync(p, HP_HEADER + hpRow(SSRF));
    chmodSync(p, 0o000);
    const r = await scan([p]);
    expect(r.skipped[0]?.reason).toMatch(/permission denied/);
  });

  it('skips a 10 MB line with a note and keeps reading (line numbers stay right)', async () => {
    const p = join(tmp.dir, 'long.log');
    writeFileSync(p, HP_HEADER + hpRow('Smtp~a@b.c') + `${'x'.repeat(10 * 1024 * 1024)}\n` + hpRow(SSRF));
    const r = await scan([p]);
    expect(r.skipped).toEqual([
      { file: p, line: 5, reason: expect.stringMatching(/line of \d+\+? characters skipped/) },
    ]);
    expect(r.findings.map((f) => [f.line, f.detector])).toEqual([[6, 'cve-2021-26855-httpproxy']]);
  });

  it('reads UTF-16LE exports (with BOM) and Windows line ends', async () => {
    const p = join(tmp.dir, 'utf16.log');
    const text = (HP_HEADER + hpRow(SSRF)).replace(/\n/g, '\r\n');
    writeFileSync(p, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r = await scan([p]);
    expect(r.findings.map((f) => [f.line, f.evidence])).toEqual([[4, SSRF]]);
  });

  it('reassembles Event Viewer CSV records whose quoted message spans lines', () => {
    const records: LogRecord[] = [];
    const reader = new RecordReader(
      'Application.csv',
      (r) => records.push(r),
      () => undefined,
    );
    const lines = [
      'Level,Date and Time,Source,Event ID,Task Category',
      'Error,3/3/2021 4:12:10 PM,MSExchange Unified Messaging,1423,General,"An unhandled exception: System.InvalidCastException:',
      '   at X.Y(), ""quoted""',
      '   at Z()"',
      'Information,3/3/2021 4:13:00 AM,MSExchange ADAccess,2080,General,ok',
    ];
    lines.forEach((l, i) => reader.line(l, i + 1));
    reader.end();
    expect(records.map((r) => [r.line, r.time, r.fields['Source']])).toEqual([
      [2, '2021-03-03T16:12:10.000Z', 'MSExchange Unified Messaging'],
      [5, '2021-03-03T04:13:00.000Z', 'MSExchange ADAccess'],
    ]);
    expect(records[0]!.fields['Message']).toContain('"quoted"');
  });

  it('splits event-log XML with several events on one line', () => {
    const records: LogRecord[] = [];
    const reader = new RecordReader(
      'Application.xml',
      (r) => records.push(r),
      () => undefined,
    );
    const ev = (id: number, msg: string) =>
      `<Event xmlns='x'><System><Provider Name='MSExchange Unified Messaging'/><EventID>${id}</EventID><Level>2</Level><TimeCreated SystemTime='2021-03-03T01:02:03.000000000Z'/></System><EventData><Data>${msg}</Data></EventData></Event>`;
    reader.line(`<?xml version="1.0"?>`, 1);
    reader.line(`<Events>`, 2);
    reader.line(`${ev(1, 'a &amp; b')}${ev(2, 'System.InvalidCastException')}`, 3);
    reader.line(`${ev(3, 'c')}</Events>`, 4);
    const multi = ev(4, 'd').replace('<EventData>', '\n<EventData>').split('\n');
    reader.line(multi[0]!, 5);
    reader.line(multi[1]!, 6);
    reader.end();
    expect(records.map((r) => [r.line, r.fields['EventId'], r.fields['Message'], r.time])).toEqual([
      [3, '1', 'a & b', '2021-03-03T01:02:03.000Z'],
      [3, '2', 'System.InvalidCastException', '2021-03-03T01:02:03.000Z'],
      [4, '3', 'c', '2021-03-03T01:02:03.000Z'],
      [5, '4', 'd', '2021-03-03T01:02:03.000Z'],
    ]);
  });

  it('recognises each log kind from its first lines', () => {
    expect(sniffKind('x.log', '#Software: Microsoft Internet Information Services 10.0')).toBe('iis-w3c');
    expect(sniffKind('x.log', 'DateTime,RequestId,MajorVersion,MinorVersion')).toBe('httpproxy');
    expect(sniffKind('x.log', '#Log-type: ECP Server Logs')).toBe('ecp-server');
    expect(sniffKind('x.log', '#Log-type: OABGenerator Logs')).toBe('oab-generator');
    expect(sniffKind('x.xml', "<?xml version='1.0'?>")).toBe('eventlog-xml');
    expect(sniffKind('x.csv', '"TimeCreated","ProviderName","Id","LevelDisplayName","Message"')).toBe(
      'eventlog-csv',
    );
    expect(sniffKind('x.txt', 'C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx')).toBe('listing');
    expect(sniffKind('x.txt', 'hello')).toBeUndefined();
    // A header-less file is placed by its folder.
    expect(sniffKind('V15/Logging/OABGeneratorLog/a.log', '2021-03-03T00:00:00Z,x')).toBe('oab-generator');
    expect(sniffKind('C:\\V15\\Logging\\ECP\\Server\\a.log', '2021-03-03T00:00:00Z,x')).toBe('ecp-server');
  });

  it('the line splitter yields the same lines however the input is chunked (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '€', '𝄞', '\n', '\r\n', ',', ' ') }), {
          maxLength: 30,
        }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        (parts, cuts) => {
          const text = parts.join('');
          const bytes = Buffer.from(`x${text}`, 'utf8');
          const got: string[] = [];
          const splitter = new LineSplitter(
            (l) => got.push(l),
            () => undefined,
          );
          let at = 0;
          let i = 0;
          while (at < bytes.length) {
            const n = cuts[i++ % cuts.length]!;
            splitter.push(bytes.subarray(at, at + n));
            at += n;
          }
          splitter.end();
          const want = `x${text}`.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
          if (want[want.length - 1] === '') want.pop();
          expect(got).toEqual(want);
        },
      ),
    );
  });
});

describe('CSV splitting', () => {
  const quote = (v: string): string => (/[",]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v);
  it('splitCsv(join(quoted fields)) gives the fields back, and a limit gives a prefix of them (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', ' ', 'é') }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 14 }),
        (fields, limit) => {
          const line = fields.map(quote).join(',');
          expect(splitCsv(line)).toEqual(fields);
          expect(splitCsv(line, limit)).toEqual(fields.slice(0, limit));
        },
      ),
    );
  });
});
