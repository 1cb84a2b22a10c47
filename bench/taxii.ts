/**
 * TAXII benchmark: GET objects/?limit=100 (latest versions, bearer token) with many objects stored, at 16
 * connections with autocannon, measured in the same run against the ceiling: a bare node:http server returning
 * the same precomputed response bytes. Then a 10,000-object POST timed until its status is complete. Both servers
 * run in a child process; the load generator runs in this one.
 *
 *   npx tsx bench/taxii.ts [--objects 1000000] [--duration 10] [--rounds 3] [--pg] [--mix 600]
 *   npx tsx bench/taxii.ts --post-only [--post-runs 5] [--objects 0] [--pg]
 *
 * --rounds R alternates the ceiling and TAXII R times (after one warm-up) and reports every round's ratio and their
 * median: on this shared 2-core machine one pair of 10 s runs moves by ±10 points from one minute to the next.
 * --pg runs on a throwaway PostgreSQL (from /usr/lib/postgresql/*) instead of a SQLite file. --mix S adds S seconds
 * of reads and writes together, reporting the server's RSS at the start and the end. --post-only skips the GET
 * measurements (and, unless --objects is given, the fill) and POSTs --post-runs envelopes of 10,000 new objects one
 * after the other into the same server, reporting each (wall time and the server process's CPU time) and the
 * median; the first run is the cold one (validation code not yet compiled by the JIT).
 * The status is polled every --poll-ms (10) ms, without backoff, so the time to complete is not rounded up to the
 * next poll of a doubling interval.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { StixJson } from '../src/taxii/types.js';
import {
  benchDatabase,
  benchNode,
  benchToken,
  ceilingServer,
  commandLine,
  fillIndicators,
  indicatorBody,
  median,
  runContext,
  taxiiLoad,
  type Load,
} from './support.js';
import { main as built, taxii } from './built.js';

const { startServer } = built;
const { TaxiiClient, TAXII_MEDIA_TYPE } = taxii;

const args = process.argv.slice(2);
const { option, flag } = commandLine(args);
const postOnly = flag('post-only');
const OBJECTS = Number(option('objects', postOnly ? '0' : '1000000'));
const POST_RUNS = Number(option('post-runs', postOnly ? '5' : '1'));
const POLL_MS = Number(option('poll-ms', '10'));
const DURATION = Number(option('duration', '10'));
const ROUNDS = Math.max(1, Number(option('rounds', '3')));
const usePg = flag('pg');
const MIX_SECONDS = Number(option('mix', '0'));
const TAXII = TAXII_MEDIA_TYPE;

interface Served {
  target: string;
  bareUrl: string;
  root: string;
  postCollection: string;
  token: string;
  responseBytes: number;
  fillSeconds: number;
}

/** The server side (a child process, so the load generator does not share its event loop): fill, then serve. */
async function serve(): Promise<void> {
  const database = await benchDatabase(usePg, 'taxii');
  const dbUrl = database.url;
  const node = await benchNode(dbUrl);
  const collection = await node.services.collections.ensure('bench');
  const post = await node.services.collections.ensure('bench-post');

  // Fill quickly: prepared versions straight into storage in large batches (validation is not what is measured).
  const t0 = performance.now();
  await fillIndicators(node.storage.objects, collection.id, OBJECTS, (n) => indicatorBody(n));
  const fillSeconds = (performance.now() - t0) / 1000;

  // The reader acts for a registered organisation, so the sharing rules let it see the unmarked objects.
  const token = await benchToken(node.services.sharing, node.auth, 'reader', [
    { collectionId: collection.id, canWrite: true },
    { collectionId: post.id, canWrite: true },
  ]);
  const { app, url } = await startServer(node);
  const target = `${url}/taxii2/api/collections/${collection.id}/objects/?limit=100`;

  // The ceiling: the same bytes and headers from a bare node:http server, in the same process.
  const ceiling = await ceilingServer(target, token);
  const served: Served = {
    target,
    bareUrl: ceiling.url,
    root: `${url}/taxii2/api/`,
    postCollection: post.id,
    token,
    responseBytes: ceiling.responseBytes,
    fillSeconds,
  };
  process.stdout.write(`${JSON.stringify(served)}\n`);
  // Runs until the parent closes stdin.
  for await (const _ of process.stdin) void _;
  await ceiling.close();
  await app.close();
  await node.close();
  await database.dispose();
}

/** User + system CPU seconds used so far by a process (all its threads), or by its main thread, from /proc. */
const cpuSeconds = (pid: number, mainThreadOnly = false): number => {
  const path = mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
};

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface PostRun {
  seconds: number;
  /** Until the 202 (the client's serialising and sending, the server's reading and splitting of the envelope). */
  acceptedSeconds: number;
  serverCpuSeconds: number;
  /** Of which on the server's main thread (the event loop, which also answers reads). */
  serverMainThreadCpuSeconds: number;
  objectsPerSecond: number;
  stored: number;
  requests: number;
  loadAverage: string;
}

/** POSTs 10,000 new indicators and polls their status (every POLL_MS) until complete. */
async function postRun(served: Served, pid: number, run: number): Promise<PostRun> {
  const client = new TaxiiClient({ credentials: { token: served.token } });
  const objects = Array.from(
    { length: 10_000 },
    (_, i) => JSON.parse(indicatorBody(5_000_000 + run * 10_000 + i)) as StixJson,
  );
  const load = loadAverage();
  const cpu0 = cpuSeconds(pid);
  const main0 = cpuSeconds(pid, true);
  const tp = performance.now();
  const statuses = await client.addObjects(served.root, served.postCollection, objects);
  const accepted = (performance.now() - tp) / 1000;
  let stored = 0;
  for (const st of statuses) {
    for (;;) {
      const s = await client.status(served.root, st.id);
      if (s.status === 'complete') {
        stored += s.success_count;
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  const seconds = (performance.now() - tp) / 1000;
  return {
    seconds: Number(seconds.toFixed(3)),
    acceptedSeconds: Number(accepted.toFixed(3)),
    serverCpuSeconds: Number((cpuSeconds(pid) - cpu0).toFixed(2)),
    serverMainThreadCpuSeconds: Number((cpuSeconds(pid, true) - main0).toFixed(2)),
    objectsPerSecond: Math.round(stored / seconds),
    stored,
    requests: statuses.length,
    loadAverage: load,
  };
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

/**
 * The server's RSS over a read/write mix: GET objects/?limit=100 at 8 connections while 100-object envelopes are
 * POSTed back to back (each waited for to completion), for MIX_SECONDS.
 */
async function readWriteMix(served: Served, pid: number) {
  const samples: { second: number; rssMb: number }[] = [{ second: 0, rssMb: rssMb(pid) }];
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const timer = setInterval(() => samples.push({ second: Math.round(elapsed()), rssMb: rssMb(pid) }), 60_000);
  const reads = autocannon({
    url: served.target,
    connections: 8,
    duration: MIX_SECONDS,
    headers: { accept: TAXII, authorization: `Bearer ${served.token}` },
  });
  const client = new TaxiiClient({ credentials: { token: served.token } });
  let written = 0;
  for (let round = 0; elapsed() < MIX_SECONDS; round++) {
    const objects = Array.from(
      { length: 100 },
      (_, i) => JSON.parse(indicatorBody(10_000_000 + round * 100 + i)) as StixJson,
    );
    for (const st of await client.addObjects(served.root, served.postCollection, objects))
      written += (await client.waitForStatus(served.root, st.id, { intervalMs: 50 })).success_count;
  }
  const r = await reads;
  clearInterval(timer);
  samples.push({ second: Math.round(elapsed()), rssMb: rssMb(pid) });
  return {
    seconds: MIX_SECONDS,
    reads: r.requests.total,
    readsPerSecond: r.requests.average,
    readP99: r.latency.p99,
    written,
    rssStartMb: samples[0]!.rssMb,
    rssEndMb: samples.at(-1)!.rssMb,
    samples,
  };
}

async function main(): Promise<void> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve', ...args],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const served = await new Promise<Served>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as Served);
    });
    child.on('exit', (code) => reject(new Error(`server process exited (${code})`)));
  });
  const rounds: { ceiling: Load; taxii: Load; ratio: number }[] = [];
  if (!postOnly) {
    await taxiiLoad(served.target, served.token, DURATION); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const ceiling = await taxiiLoad(served.bareUrl, served.token, DURATION);
      const taxii = await taxiiLoad(served.target, served.token, DURATION);
      rounds.push({
        ceiling,
        taxii,
        ratio: Number((taxii.requestsPerSec / ceiling.requestsPerSec).toFixed(3)),
      });
    }
  }

  // 10,000-object POSTs: from the request to a complete status.
  const runs: PostRun[] = [];
  for (let run = 0; run < POST_RUNS; run++) runs.push(await postRun(served, child.pid!, run));
  const mix = MIX_SECONDS > 0 ? await readWriteMix(served, child.pid!) : undefined;
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));

  const result = {
    ...runContext(usePg),
    objects: OBJECTS,
    fillSeconds: Number(served.fillSeconds.toFixed(1)),
    responseBytes: served.responseBytes,
    ...(rounds.length > 0
      ? {
          rounds,
          ceilingMedianRequestsPerSec: median(rounds.map((r) => r.ceiling.requestsPerSec)),
          taxiiMedianRequestsPerSec: median(rounds.map((r) => r.taxii.requestsPerSec)),
          taxiiMaxP99: Math.max(...rounds.map((r) => r.taxii.p99)),
          ratio: median(rounds.map((r) => r.ratio)),
        }
      : {}),
    post: {
      objects: 10_000,
      pollMs: POLL_MS,
      runs,
      medianSeconds: median(runs.map((r) => r.seconds)),
      medianServerCpuSeconds: median(runs.map((r) => r.serverCpuSeconds)),
      medianServerMainThreadCpuSeconds: median(runs.map((r) => r.serverMainThreadCpuSeconds)),
      medianObjectsPerSecond: median(runs.map((r) => r.objectsPerSecond)),
    },
    ...(mix ? { mix } : {}),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (flag('serve')) await serve();
else await main();
