/**
 * Benchmark for `entente scan` (issue 6): scan generated mixed Exchange/IIS/event logs against 1,000 / 10,000 /
 * 100,000 indicators on worker threads, and in the same run `grep -F -f` with the same indicator strings over the
 * same files. Also scans 1/4, 1/2 and all of the input to show time grows linearly with size.
 *
 *   npx tsx bench/scan.ts [--size 1GB] [--dir /tmp/entente-scan-bench] [--threads 2] [--counts 1000,10000,100000]
 *                         [--compiled]
 *
 * With --compiled the project is first compiled with tsc into <dir>/dist and the scan runs on that JavaScript, as
 * the installed CLI does (under tsx every module, in every worker thread, is transpiled on the fly and carries
 * esbuild's keep-names helpers, which costs a noticeable share of the throughput).
 *
 * The logs are generated into --dir (never into the repository) and reused when already there.
 * Results are printed and written to bench/RESULTS-scan.md (git-ignored); the reviewed figures live in docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../src/cli/scan.js';
import * as sourceDetect from '../src/detect/index.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const size = parseSize(arg('size', '1GB'));
const dir = arg('dir', '/tmp/entente-scan-bench');
const threads = Number(arg('threads', String(availableParallelism())));
const counts = arg('counts', '1000,10000,100000').split(',').map(Number);
const compiled = process.argv.includes('--compiled');
const PARTS = 4;

type Detect = typeof sourceDetect;

async function loadDetect(): Promise<Detect> {
  if (!compiled) return sourceDetect;
  const out = join(dir, 'dist');
  const t = performance.now();
  await new Promise<void>((resolve, reject) => {
    // Emit even if unrelated files of the tree have type errors at this moment (others edit concurrently).
    const child = spawn('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  const entry = join(out, 'detect', 'index.js');
  if (!existsSync(entry)) throw new Error(`tsc produced no ${entry}`);
  console.log(`compiled into ${out} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return (await import(entry)) as Detect;
}
let detect: Detect = sourceDetect;
const MB = 1e6;

async function generate(): Promise<string[]> {
  const marker = join(dir, `generated-${size}.json`);
  const parts = Array.from({ length: PARTS }, (_, i) => join(dir, `part-${i + 1}`));
  if (existsSync(marker)) return parts;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // Import lazily so a reused data set does not load the generator.
  const { generateLogs } = await import('../src/detect/synthetic/generate.js');
  for (let i = 0; i < PARTS; i++) {
    const t = performance.now();
    const gt = await generateLogs(parts[i]!, { targetBytes: size / PARTS, seed: 100 + i });
    console.log(
      `generated ${parts[i]}: ${(gt.bytes / MB).toFixed(0)} MB, ${gt.lines} lines in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  await writeFile(marker, JSON.stringify({ size, parts }));
  return parts;
}

interface Run {
  readonly label: string;
  readonly indicators: number;
  readonly bytes: number;
  readonly records: number;
  readonly buildS: number;
  readonly totalS: number;
  readonly scanS: number;
  /** CPU seconds of the whole process (all threads, index builds included): robust to other load on the machine. */
  readonly cpuS: number;
  readonly maxRssMb: number;
  readonly findings: number;
  readonly hits: number;
}

async function ourScan(paths: string[], count: number, label: string): Promise<Run> {
  const indicators = detect.syntheticIndicators(count).map(({ id, pattern }) => ({ id, pattern }));
  const { sources } = await detect.collectSources(paths);
  let maxRss = process.memoryUsage().rss;
  const timer = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 250);
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const { result, indexBuildMs, rejected } = await detect.scanParallel(sources, {
    indicators,
    threads,
    fallbackTime: '2021-03-05T00:00:00.000Z',
  });
  const totalS = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  if (rejected.length > 0) throw new Error(`${rejected.length} indicators rejected: ${rejected[0]!.error}`);
  return {
    label,
    indicators: count,
    bytes: result.stats.bytes,
    records: result.stats.records,
    buildS: indexBuildMs / 1000,
    totalS,
    scanS: totalS - indexBuildMs / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    maxRssMb: maxRss / 1024 / 1024,
    findings: result.findings.length,
    hits: result.hits.size,
  };
}

/** Runs grep under /usr/bin/time: wall seconds and CPU seconds (user + system). */
function grepScan(paths: string[], literalsFile: string): Promise<{ wallS: number; cpuS: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/time',
      ['-f', 'TIME %e %U %S', 'grep', '-F', '-f', literalsFile, '-r', ...paths],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(err);
      if (!m) reject(new Error(`grep failed: ${err.slice(0, 300)}`));
      else resolve({ wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]) });
    });
  });
}

async function main(): Promise<void> {
  const parts = await generate();
  detect = await loadDetect();
  let bytesOnDisk = 0;
  for (const p of parts) {
    const { sources } = await detect.collectSources([p]);
    bytesOnDisk += sources.reduce((a, s) => a + s.size, 0);
  }
  console.log(`input: ${(bytesOnDisk / MB).toFixed(0)} MB in ${parts.length} folders; ${threads} threads`);
  const runs: Run[] = [];
  const greps: { count: number; seconds: number; cpuS: number }[] = [];
  for (const count of counts) {
    const lit = join(dir, `literals-${count}.txt`);
    await writeFile(
      lit,
      `${detect
        .syntheticIndicators(count)
        .map((i) => i.literal)
        .join('\n')}\n`,
    );
    const r = await ourScan(parts, count, 'all');
    runs.push(r);
    console.log(
      `entente ${count} indicators: build ${r.buildS.toFixed(1)} s, scan ${r.scanS.toFixed(1)} s (${(r.bytes / MB / r.scanS).toFixed(1)} MB/s), total ${r.totalS.toFixed(1)} s, CPU ${r.cpuS.toFixed(1)} s, RSS ${r.maxRssMb.toFixed(0)} MB, ${r.findings} findings, ${r.hits} indicators hit`,
    );
    const g = await grepScan(parts, lit);
    greps.push({ count, seconds: g.wallS, cpuS: g.cpuS });
    console.log(
      `grep -F -f (${count} strings): ${g.wallS.toFixed(1)} s (${(r.bytes / MB / g.wallS).toFixed(1)} MB/s), CPU ${g.cpuS.toFixed(1)} s`,
    );
  }
  const linCount = counts.includes(10_000) ? 10_000 : counts[0]!;
  const linear: Run[] = [];
  for (const n of [1, 2]) {
    const r = await ourScan(parts.slice(0, n), linCount, `${n}/${PARTS}`);
    linear.push(r);
    console.log(
      `entente ${n}/${PARTS} of the input, ${linCount} indicators: scan ${r.scanS.toFixed(1)} s (${(r.bytes / MB / r.scanS).toFixed(1)} MB/s)`,
    );
  }
  const full = runs.find((r) => r.indicators === linCount)!;
  linear.push({ ...full, label: `${PARTS}/${PARTS}` });

  const cpu = cpus()[0]?.model ?? 'unknown';
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpu;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const lines: string[] = [
    '# Benchmark: entente scan',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${availableParallelism()} CPUs (nproc), ${model}; load average at the end ${load} (machine shared with other benchmarks)`,
    `- command: \`npx tsx bench/scan.ts --size ${arg('size', '1GB')} --threads ${threads}${compiled ? ' --compiled' : ''}\` (Node ${process.version}; ${compiled ? 'scan code compiled by tsc' : 'scan code run through tsx'})`,
    `- input: ${(full.bytes / MB).toFixed(0)} MB of generated mixed logs (HttpProxy CSV for 10 protocols, IIS W3C front/back end, ECP, OAB, Application event log CSV+XML, listing), ${full.records.toLocaleString('en-US')} records, in ${PARTS} folders`,
    `- grep: \`LC_ALL=C grep -F -f literals.txt -r <folders> > /dev/null\`, the same indicator values as fixed strings`,
    '',
    '## Throughput against the indicator count',
    '',
    '| indicators | index build (s) | scan wall (s) | scan MB/s | grep wall (s) | grep MB/s | entente/grep throughput (wall) | entente CPU (s) | grep CPU (s) | entente/grep throughput per CPU-second | max RSS (MB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of runs) {
    const g = greps.find((x) => x.count === r.indicators)!;
    lines.push(
      `| ${r.indicators.toLocaleString('en-US')} | ${r.buildS.toFixed(1)} | ${r.scanS.toFixed(1)} | ${(r.bytes / MB / r.scanS).toFixed(1)} | ${g.seconds.toFixed(1)} | ${(r.bytes / MB / g.seconds).toFixed(1)} | ${(g.seconds / r.scanS).toFixed(2)} (incl. build ${(g.seconds / r.totalS).toFixed(2)}) | ${r.cpuS.toFixed(1)} | ${g.cpuS.toFixed(1)} | ${(g.cpuS / r.cpuS).toFixed(2)} | ${r.maxRssMb.toFixed(0)} |`,
    );
  }
  lines.push('', `## Time against input size (${linCount.toLocaleString('en-US')} indicators)`, '');
  lines.push(
    '| share of input | MB | scan wall (s) | wall s per GB | CPU (s) | CPU s per GB |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const r of linear) {
    const gb = r.bytes / 1e9;
    lines.push(
      `| ${r.label} | ${(r.bytes / MB).toFixed(0)} | ${r.scanS.toFixed(1)} | ${(r.scanS / gb).toFixed(1)} | ${r.cpuS.toFixed(1)} | ${(r.cpuS / gb).toFixed(1)} |`,
    );
  }
  const text = `${lines.join('\n')}\n`;
  console.log(`\n${text}`);
  await writeFile(new URL('./RESULTS-scan.md', import.meta.url), text);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
