/**
 * Import benchmark: the whole ATT&CK Enterprise bundle (24,772 objects, 48 MiB), end to end (read, split, parse,
 * validate, store), into a fresh SQLite file and a fresh PostgreSQL database, beside the reference costs measured in
 * the same run: reading the file, and reading + JSON.parse of the whole document (what any importer must pay).
 * Each case runs in its own child process (so peak RSS is that case's alone), 3 times; the median is reported.
 * `sqlite` and `postgres` parse and validate on a worker thread (what `entente import` does with three or more
 * cores), the `-inline` cases on the writing thread (what it does on two).
 *
 *   npm run bench:import            (PostgreSQL from /usr/lib/postgresql/*, started and thrown away)
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ServicesModule from '../src/services/index.js';
import type * as StorageModule from '../src/storage/index.js';
import { findPgBin, startThrowawayPostgres } from '../test/support/postgres.js';

const here = fileURLToPath(import.meta.url);
const file = resolve(here, '..', '..', '..', 'shared', 'data', 'attack', 'enterprise-attack.json');
const RUNS = 3;
const distModule = (name: string): string => resolve(here, '..', '..', 'dist', name, 'index.js');

interface Result {
  seconds: number;
  /** CPU seconds (user + system, all threads) of the measured part. */
  cpu: number;
  objects: number;
  maxRssMb: number;
}

async function runCase(name: string, arg: string | undefined): Promise<Result> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const cpuSince = (): number => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  };
  let objects = 0;
  if (name === 'read') {
    for await (const c of createReadStream(file, { highWaterMark: 1 << 20 }))
      objects += (c as Buffer).length > 0 ? 0 : 0;
    objects = 24_772;
  } else if (name === 'json-parse') {
    objects = (JSON.parse(readFileSync(file, 'utf8')) as { objects: unknown[] }).objects.length;
  } else if (
    name === 'sqlite' ||
    name === 'sqlite-inline' ||
    name === 'postgres' ||
    name === 'postgres-inline'
  ) {
    const dir = name.startsWith('sqlite') ? mkdtempSync(join(tmpdir(), 'entente-bench-')) : undefined;
    const url = dir ? `sqlite:${join(dir, 'b.db')}` : arg!;
    // The built JavaScript, as `entente import` runs it (the worker thread then starts without a TypeScript loader).
    const { openStorage } = (await import(distModule('storage'))) as typeof StorageModule;
    const { createServices } = (await import(distModule('services'))) as typeof ServicesModule;
    const storage = await openStorage(url);
    const services = createServices(storage);
    const collection = await services.collections.ensure('attack');
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const report = await services.ingest.importStream(createReadStream(file, { highWaterMark: 1 << 20 }), {
      collectionId: collection.id,
      parallel: !name.endsWith('-inline'),
    });
    // Closing is part of an import end to end (it runs the final WAL checkpoint), so it is timed too.
    await storage.close();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpuStart);
    const cpu = (used.user + used.system) / 1e6;
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (report.added !== 24_772)
      throw new Error(
        `expected 24,772 added, got ${JSON.stringify({ ...report, problems: report.problems.slice(0, 3) })}`,
      );
    return { seconds, cpu, objects: report.added, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  }
  return {
    seconds: (performance.now() - t0) / 1000,
    cpu: cpuSince(),
    objects,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function child(name: string, arg?: string): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', here, '--case', name, ...(arg ? [arg] : [])], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`case ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const i = process.argv.indexOf('--case');
  if (i >= 0) {
    const r = await runCase(process.argv[i + 1]!, process.argv[i + 2]);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const pgBin = process.env.ENTENTE_BENCH_PG_URL ? undefined : findPgBin();
  const pg = pgBin ? await startThrowawayPostgres(pgBin, { durable: true }) : undefined;
  // A failed case (or anything else) must not leave the throwaway cluster running.
  try {
    const pgBase = process.env.ENTENTE_BENCH_PG_URL ?? pg?.url;
    // Each PostgreSQL run gets a database of its own, created just before and dropped just after it: an earlier
    // run's tables left in the cluster get autovacuumed a minute later, in the middle of another case's run.
    const cases: [string, (run: number) => Promise<{ arg?: string; done?: () => Promise<void> }>][] = [
      ['read', () => Promise.resolve({})],
      ['json-parse', () => Promise.resolve({})],
      ['sqlite', () => Promise.resolve({})],
      ['sqlite-inline', () => Promise.resolve({})],
    ];
    const { default: pgm } = await import('pg');
    const client = pgBase ? new pgm.Client({ connectionString: pgBase }) : undefined;
    await client?.connect();
    if (pgBase && client)
      for (const name of ['postgres', 'postgres-inline'])
        cases.push([
          name,
          async (run) => {
            const db = `bench_${name.replace('-', '_')}_${run}`;
            await client.query(`drop database if exists ${db}`);
            await client.query(`create database ${db}`);
            const u = new URL(pgBase);
            u.pathname = `/${db}`;
            return {
              arg: u.toString(),
              done: () => client.query(`drop database ${db} with (force)`).then(() => undefined),
            };
          },
        ]);
    console.log(
      `# import benchmark — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? '?'} — node ${process.version}`,
    );
    console.log(`file: ${file} (${(readFileSync(file).length / 1048576).toFixed(1)} MiB)\n`);
    console.log(
      `load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    console.log('| case | median s | objects/s | CPU s (median) | peak RSS MiB | runs (s) |');
    console.log('|---|---:|---:|---:|---:|---|');
    const results: Record<string, number> = {};
    for (const [name, argOf] of cases) {
      const runs: Result[] = [];
      for (let run = 0; run < RUNS; run++) {
        const { arg, done } = await argOf(run);
        runs.push(child(name, arg));
        await done?.();
      }
      const s = median(runs.map((r) => r.seconds));
      results[name] = s;
      console.log(
        `| ${name} | ${s.toFixed(3)} | ${Math.round(24_772 / s).toLocaleString('en-US')} | ${median(runs.map((r) => r.cpu)).toFixed(3)} | ${Math.max(...runs.map((r) => r.maxRssMb)).toFixed(0)} | ${runs.map((r) => r.seconds.toFixed(3)).join(', ')} |`,
      );
    }
    const parse = results['json-parse']!;
    console.log(
      `\nratios: sqlite import / (read + JSON.parse of the whole file) = ${(results.sqlite! / parse).toFixed(2)}`,
    );
    if (results.postgres)
      console.log(`        postgres import / (read + JSON.parse) = ${(results.postgres / parse).toFixed(2)}`);
    await client?.end();
  } finally {
    await pg?.stop();
  }
}

await main();
