/**
 * What auditing TAXII reads costs: GET objects/?limit=100 (latest versions, bearer token, a reader of a registered
 * organisation) at 16 connections with autocannon against three servers in one child process over one database —
 * the node's TAXII server with the audit log (reads queued, flushed every second), the same without it, and a bare
 * node:http server returning the same precomputed bytes (the ceiling) — alternated over several rounds, so that
 * machine load hits all three alike. Also counts the audit entries written per second of audited load.
 *
 *   npx tsx bench/taxii-audit.ts [--objects 20000] [--duration 10] [--rounds 3] [--pg]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { authService, http, services, storage, taxii, taxiiService } from './built.js';
import {
  benchDatabase,
  benchToken,
  ceilingServer,
  commandLine,
  fillIndicators,
  indicatorBody,
  runContext,
  taxiiLoad,
  type Load,
} from './support.js';

const { buildHttpApp } = http;
const { AuthService } = authService;
const { createServices } = services;
const { TaxiiService } = taxiiService;
const { openStorage } = storage;
const { parseTaxiiConfig } = taxii;

const args = process.argv.slice(2);
const { option, flag } = commandLine(args);
const OBJECTS = Number(option('objects', '20000'));
const DURATION = Number(option('duration', '10'));
const ROUNDS = Number(option('rounds', '3'));
const usePg = flag('pg');

interface Served {
  audited: string;
  unaudited: string;
  bare: string;
  token: string;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

/** The server side: fill, serve the three, answer `count` (audit entries so far) on stdin lines, stop on EOF. */
async function serve(): Promise<void> {
  const database = await benchDatabase(usePg, 'audit');
  const dbUrl = database.url;
  const storage = await openStorage(dbUrl);
  const services = createServices(storage);
  const auth = new AuthService(storage);
  const config = parseTaxiiConfig({});
  const collection = await services.collections.ensure('bench');
  // Without indicator_types, as the figures in docs/benchmarks.md were measured.
  await fillIndicators(storage.objects, collection.id, OBJECTS, (n) =>
    indicatorBody(n, { indicator_types: undefined }),
  );
  const token = await benchToken(services.sharing, auth, 'reader', [
    { collectionId: collection.id, canWrite: false },
  ]);

  const audited = new TaxiiService(storage, services.ingest, auth, config, { audit: services.audit });
  const unaudited = new TaxiiService(storage, services.ingest, auth, config);
  const appA = buildHttpApp(services, { logLevel: 'warn', version: 'bench', taxii: audited });
  const appU = buildHttpApp(services, { logLevel: 'warn', version: 'bench', taxii: unaudited });
  const path = `/taxii2/api/collections/${collection.id}/objects/?limit=100`;
  const urlA = `${await listen(appA)}${path}`;
  const urlU = `${await listen(appU)}${path}`;
  const ceiling = await ceilingServer(urlU, token);
  const served: Served = {
    audited: urlA,
    unaudited: urlU,
    bare: ceiling.url,
    token,
  };
  process.stdout.write(`${JSON.stringify(served)}\n`);
  let buf = '';
  for await (const chunk of process.stdin) {
    buf += String(chunk);
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      buf = buf.slice(nl + 1);
      await services.audit.flush();
      const n = (await storage.audit.list({ action: 'read', limit: 1_000_000 })).length;
      process.stdout.write(`${n}\n`);
    }
  }
  await ceiling.close();
  await appA.close();
  await appU.close();
  await audited.drain();
  await storage.close();
  await database.dispose();
}

const load = (url: string, token: string): Promise<Load> => taxiiLoad(url, token, DURATION);

async function main(): Promise<void> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve', ...args],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buf = '';
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const l = lines.shift();
      if (l !== undefined) resolve(l);
      else waiters.push(resolve);
    });
  const served = JSON.parse(await nextLine()) as Served;
  const auditCount = async () => {
    child.stdin.write('count\n');
    return Number(await nextLine());
  };

  await load(served.audited, served.token); // warm-up (both servers share the database and its caches)
  await load(served.unaudited, served.token);
  const rounds: { load: string; bare: Load; unaudited: Load; audited: Load; entries: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const bare = await load(served.bare, served.token);
    const unaudited = await load(served.unaudited, served.token);
    const before = await auditCount();
    const audited = await load(served.audited, served.token);
    const entries = (await auditCount()) - before;
    rounds.push({
      load: loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
      bare,
      unaudited,
      audited,
      entries,
    });
  }
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  const mean = (f: (r: (typeof rounds)[number]) => number) =>
    rounds.reduce((s, r) => s + f(r), 0) / rounds.length;
  const result = {
    ...runContext(usePg),
    objects: OBJECTS,
    durationPerRun: DURATION,
    rounds,
    mean: {
      bareRps: Math.round(mean((r) => r.bare.requestsPerSec)),
      unauditedRps: Math.round(mean((r) => r.unaudited.requestsPerSec)),
      auditedRps: Math.round(mean((r) => r.audited.requestsPerSec)),
      unauditedOfCeiling: `${((100 * mean((r) => r.unaudited.requestsPerSec)) / mean((r) => r.bare.requestsPerSec)).toFixed(1)} %`,
      auditedOfCeiling: `${((100 * mean((r) => r.audited.requestsPerSec)) / mean((r) => r.bare.requestsPerSec)).toFixed(1)} %`,
      auditedOfUnaudited: `${((100 * mean((r) => r.audited.requestsPerSec)) / mean((r) => r.unaudited.requestsPerSec)).toFixed(1)} %`,
      auditEntriesPerSecond: Number((mean((r) => r.entries) / DURATION).toFixed(2)),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (flag('serve')) await serve();
else await main();
