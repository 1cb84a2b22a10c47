/**
 * `entente scan PATH…`: check Exchange/IIS/event logs for ProxyLogon and for the alliance's indicators; report
 * findings, write or submit STIX sightings. Also `scan build BUILD…` (is this Exchange build patched?) and
 * `scan generate-logs` (synthetic logs with ground truth). Exit codes: 0 clean, 1 findings, 2 error.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { EntenteError } from '../core/errors.js';
import {
  buildIndicatorIndex,
  buildSightings,
  campaignIndicators,
  checkBuild,
  collectSources,
  emptyResult,
  formatBuildVerdicts,
  formatReport,
  generateLogs,
  hasFindings,
  indicatorBundle,
  indicatorsFromJson,
  loadIndicatorFile,
  reportJson,
  scanParallel,
  scanTree,
  sortResult,
  syntheticIndicators,
  type IndicatorInput,
  type StixObject,
} from '../detect/index.js';
import { EXIT, withNode } from './context.js';

/** The latest version of every indicator in the node's store, parsed (the local operator's view). */
async function storedIndicators(cmd: Command): Promise<unknown[]> {
  return withNode(cmd, async (node) => {
    const out: unknown[] = [];
    let after: { id: string; versionKey: string } | undefined;
    for (;;) {
      const page = await node.storage.objects.listVersions({
        types: ['indicator'],
        versions: 'last',
        after,
        limit: 5000,
      });
      for (const v of page) out.push(JSON.parse(v.body));
      if (page.length < 5000) return out;
      const last = page.at(-1)!;
      after = { id: last.id, versionKey: last.versionKey };
    }
  });
}

interface ScanFlags {
  indicators?: string;
  fromStore?: boolean;
  identity?: string;
  json?: boolean;
  sightings?: string;
  observedData?: boolean;
  report?: string;
  token?: string;
  threads?: number;
  maxLine: number;
  build?: string[];
  tree?: string[];
  drive: string;
  progress: boolean;
}

const IDENTITY_RE = /^identity--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Parses sizes like `256MB`, `1GB`, `500k`, `1e9`. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmg]i?b?|b)?$/i.exec(text.trim());
  if (!m) throw new EntenteError('INVALID', `not a size: '${text}' (e.g. 256MB, 1GB)`);
  const unit = (m[2] ?? '').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * mult);
}

const positiveInt =
  (name: string) =>
  (v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1)
      throw new EntenteError('INVALID', `${name} must be a positive integer, got '${v}'`);
    return x;
  };

/** Parses a `--report` URL; only http(s) is accepted. */
function reportUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EntenteError('INVALID', `--report: not a URL: '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new EntenteError(
      'INVALID',
      `--report: only http(s) collection URLs are accepted, got '${parsed.protocol}'`,
    );
  }
  return parsed;
}

/** POSTs objects to a TAXII 2.1 collection (`{url}objects/`) and returns the status resource. */
export async function submitToTaxii(
  url: string,
  objects: readonly object[],
  token: string | undefined,
): Promise<Record<string, unknown>> {
  const parsed = reportUrl(url);
  const base = parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
  const media = 'application/taxii+json;version=2.1';
  const headers: Record<string, string> = { 'Content-Type': media, Accept: media };
  if (token) headers['Authorization'] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(new URL('objects/', base), {
      method: 'POST',
      headers,
      body: JSON.stringify({ objects }),
    });
  } catch (err) {
    throw new EntenteError(
      'UNAVAILABLE',
      `--report: cannot reach ${base}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const text = await res.text();
  if (!res.ok) {
    throw new EntenteError('UNAVAILABLE', `--report: ${base} answered ${res.status}: ${text.slice(0, 300)}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { status: res.status };
  }
}

/** A one-line progress bar on stderr for large inputs. */
function progressBar(total: number, enabled: boolean): { tick: (bytes: number) => void; done: () => void } {
  if (!enabled) return { tick: () => undefined, done: () => undefined };
  const start = performance.now();
  let seen = 0;
  let last = 0;
  return {
    tick(bytes) {
      seen += bytes;
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      const frac = Math.min(1, seen / total);
      const width = 30;
      const secs = (now - start) / 1000;
      const rate = secs > 0 ? seen / secs / 1024 / 1024 : 0;
      process.stderr.write(
        `\r[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${(frac * 100).toFixed(0).padStart(3)}%  ${rate.toFixed(1)} MiB/s\u001b[K`,
      );
    },
    done() {
      process.stderr.write('\r\u001b[K');
    },
  };
}

async function runScan(paths: string[], flags: ScanFlags, cmd: Command): Promise<void> {
  const wantsSightings = flags.sightings !== undefined || flags.report !== undefined;
  if (wantsSightings && !flags.identity) {
    throw new EntenteError(
      'INVALID',
      '--sightings/--report need --identity identity--… (the member that saw them)',
    );
  }
  if (flags.identity && !IDENTITY_RE.test(flags.identity)) {
    throw new EntenteError(
      'INVALID',
      `--identity must be an identity id (identity--<uuid>), got '${flags.identity}'`,
    );
  }
  if (flags.report) reportUrl(flags.report);
  const builds = (flags.build ?? []).map((b) => checkBuild(b));
  if (paths.length === 0 && builds.length === 0 && !flags.tree?.length) {
    throw new EntenteError('INVALID', 'nothing to scan: give log files or folders (or --tree, --build)');
  }
  if (!/^[A-Za-z]:$/.test(flags.drive))
    throw new EntenteError('INVALID', `--drive must look like C:, got '${flags.drive}'`);
  let indicators: IndicatorInput[] = [];
  let ignored: { id: string; reason: string }[] = [];
  if (flags.indicators) {
    ({ indicators, ignored } = await loadIndicatorFile(flags.indicators));
  }
  if (flags.fromStore) {
    const stored = indicatorsFromJson(await storedIndicators(cmd));
    indicators = [...indicators, ...stored.indicators];
    ignored = [...ignored, ...stored.ignored];
  }
  const started = performance.now();
  const { sources, skipped } = await collectSources(paths);
  const total = sources.reduce((a, s) => a + s.size, 0);
  const bar = progressBar(
    total,
    flags.progress && !flags.json && process.stderr.isTTY === true && total > 64 * 1024 * 1024,
  );
  const now = new Date().toISOString();
  let result = emptyResult();
  let rejected: { id: string; error: string }[] = [];
  if (sources.length > 0) {
    ({ result, rejected } = await scanParallel(sources, {
      indicators,
      threads: flags.threads ?? availableParallelism(),
      fallbackTime: now,
      maxLineChars: flags.maxLine,
      onProgress: bar.tick,
    }));
  }
  bar.done();
  result.skipped.unshift(...skipped);
  if (flags.tree?.length) {
    // Mounted trees are small and walked on this thread, with an index of its own.
    const built = buildIndicatorIndex(indicators);
    if (sources.length === 0) rejected = built.rejected;
    for (const root of flags.tree) {
      await scanTree(root, { index: built.index, drive: flags.drive, time: now }, result);
    }
    sortResult(result);
  }
  const seconds = (performance.now() - started) / 1000;
  const input = {
    result,
    builds,
    indicatorCount: indicators.length - rejected.length,
    rejected,
    ignored,
    seconds,
  };

  let sightings: StixObject[] | undefined;
  if (wantsSightings || flags.json) {
    if (flags.identity) {
      sightings = buildSightings(result.hits.values(), {
        identityId: flags.identity,
        newId: (type) => `${type}--${randomUUID()}`,
        now,
        includeObservedData: flags.observedData === true,
      });
    }
  }
  if (flags.sightings && sightings) {
    await writeFile(
      flags.sightings,
      `${JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects: sightings }, null, 2)}\n`,
    );
  }
  let submitted: Record<string, unknown> | undefined;
  if (flags.report && sightings && sightings.length > 0) {
    submitted = await submitToTaxii(flags.report, sightings, flags.token);
  }
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ ...reportJson(input, sightings), ...(submitted ? { submitted } : {}) }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(formatReport(input));
    if (flags.sightings && sightings)
      process.stdout.write(`Wrote ${sightings.length} STIX objects to ${flags.sightings}\n`);
    if (flags.report) {
      process.stdout.write(
        submitted
          ? `Submitted ${sightings?.length ?? 0} objects to ${flags.report}: ${JSON.stringify(submitted)}\n`
          : 'Nothing to submit: no indicator was sighted.\n',
      );
    }
  }
  process.exitCode = hasFindings(input) ? EXIT.problems : EXIT.ok;
}

export function registerScanCommands(program: Command): void {
  const scan = program
    .command('scan')
    .description(
      'check Exchange/IIS/event logs for ProxyLogon and for shared indicators (exit 0 clean, 1 findings, 2 error)',
    )
    .argument('[paths...]', 'log files or folders (.gz and .zip are opened)')
    .option('-i, --indicators <file>', 'STIX bundle whose indicators are matched (offline use)')
    .option('--from-store', "match the indicators stored in this node's database (--db / DATABASE_URL)")
    .option('--identity <id>', 'identity--… of this member, for sightings')
    .option('--json', 'machine-readable output (includes sightings when --identity is given)')
    .option('--sightings <file>', 'write a STIX bundle with one sighting per indicator hit')
    .option('--observed-data', 'add observed-data (the matching SCOs) to sightings; may reveal log contents')
    .option('--report <url>', 'POST the sightings to this TAXII 2.1 collection URL')
    .option('--token <token>', 'bearer token for --report')
    .option('--threads <n>', 'worker threads (default: all cores)', positiveInt('--threads'))
    .option('--max-line <chars>', 'skip lines longer than this', positiveInt('--max-line'), 1024 * 1024)
    .option('--build <build...>', 'also check these Exchange build numbers (e.g. 15.2.792.3)')
    .option('--tree <dir...>', 'mounted server drive(s) to check for web shells, dumps and indicator files')
    .option('--drive <letter>', 'drive letter the --tree stands for', 'C:')
    .option('--no-progress', 'no progress bar')
    .action(async (paths: string[], flags: ScanFlags, cmd: Command) => runScan(paths, flags, cmd));

  scan
    .command('build')
    .description('say whether Exchange builds are vulnerable to ProxyLogon, with mitigation guidance')
    .argument('<builds...>', 'build numbers as Exchange prints them (15.2.792.3 or 15.02.0792.003)')
    // `--json` is parsed by `scan` itself (commander gives a parent's options precedence), so read it from there.
    .action((list: string[], _flags: unknown, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      const verdicts = list.map((b) => checkBuild(b));
      if (json) process.stdout.write(`${JSON.stringify(verdicts, null, 2)}\n`);
      else process.stdout.write(`${formatBuildVerdicts(verdicts).join('\n')}\n`);
      const exposed = verdicts.some((v) => v.status === 'vulnerable' || v.status === 'exchange-2010');
      process.exitCode = exposed ? EXIT.problems : EXIT.ok;
    });

  scan
    .command('generate-logs')
    .description(
      'write synthetic Exchange/IIS/event logs with planted ProxyLogon traces and their ground truth',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--size <size>', 'approximate total size (e.g. 50MB, 1GB)', '20MB')
    .option('--seed <n>', 'random seed', positiveInt('--seed'), 2021)
    .option('--benign-only', 'no attack traces')
    .option(
      '--indicator-count <n>',
      'also write <out>.indicators.json with n indicators (campaign ones first)',
      positiveInt('--indicator-count'),
    )
    .action(
      async (flags: {
        out: string;
        size: string;
        seed: number;
        benignOnly?: boolean;
        indicatorCount?: number;
      }) => {
        const targetBytes = parseSize(flags.size);
        await mkdir(flags.out, { recursive: true });
        const truth = await generateLogs(flags.out, {
          targetBytes,
          seed: flags.seed,
          attacks: !flags.benignOnly,
        });
        const base = flags.out.replace(/[\\/]+$/, '');
        await mkdir(dirname(base), { recursive: true });
        await writeFile(`${base}.ground-truth.json`, `${JSON.stringify(truth, null, 2)}\n`);
        if (flags.indicatorCount) {
          const planted = campaignIndicators(truth.traces.flatMap((t) => t.observables));
          const filler = syntheticIndicators(Math.max(0, flags.indicatorCount - planted.length));
          await writeFile(
            `${base}.indicators.json`,
            `${JSON.stringify(indicatorBundle([...planted, ...filler]))}\n`,
          );
        }
        process.stdout.write(
          `Wrote ${truth.files.length} files, ${truth.bytes.toLocaleString('en-US')} bytes, ${truth.traces.length} planted traces to ${flags.out}\n` +
            `Ground truth: ${base}.ground-truth.json${flags.indicatorCount ? `; indicators: ${base}.indicators.json` : ''}\n`,
        );
        process.exitCode = EXIT.ok;
      },
    );
}
