/**
 * Background WAL checkpoints for a SQLite file. In WAL mode every committed page is written twice: appended to the
 * WAL, then copied into the database by a checkpoint, which also waits for both files to reach the disk. Left to
 * the writing connection, that copy and those waits happen inside a commit, or all at once when the database is
 * closed (about a quarter of a large import's time). Here a second connection on a worker thread runs PASSIVE
 * checkpoints while the writer goes on — PASSIVE never blocks the writer or readers, it copies what is committed
 * — so the disk writes overlap with the writer's CPU work and the final checkpoint on close has little left to do.
 *
 * The writer calls `wrote(bytes)` after each commit; a checkpoint is asked for once about `thresholdBytes` have
 * been written since the last one, never more than one at a time.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Plain JavaScript (no build step needed in a worker); the better-sqlite3 module path comes in workerData. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.module);
const db = new Sqlite(workerData.file);
db.pragma('busy_timeout = 1000');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let failed = null;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    failed = String(err && err.message);
  }
  parentPort.postMessage(failed);
});
`;

const DEFAULT_THRESHOLD = 8 * 1024 * 1024;
/**
 * During a bulk import (`bulk`): checkpoints about three times as often. Measured on an ATT&CK import (alternated
 * pairs, docs/benchmarks.md): faster in six pairs of six, by up to 0.5 s, most of it a shorter closing
 * checkpoint. Not the default: TAXII POSTs of 10,000 objects came out about 12 % slower with it, the copy
 * competing with their validation worker for the two cores.
 */
const BULK_THRESHOLD = 3 * 1024 * 1024;

export class BackgroundCheckpointer {
  private worker: Worker | undefined;
  private sinceLast = 0;
  private running = false;
  private again = false;
  private closed = false;
  private lastError: string | undefined;
  private done = 0;

  private bulkDepth = 0;

  constructor(
    private readonly file: string,
    private readonly thresholdBytes = DEFAULT_THRESHOLD,
    private readonly bulkThresholdBytes = BULK_THRESHOLD,
  ) {}

  /** Runs `fn` as a bulk import: checkpoints are asked for after `bulkThresholdBytes` while it runs. */
  async bulk<T>(fn: () => Promise<T>): Promise<T> {
    this.bulkDepth++;
    try {
      return await fn();
    } finally {
      this.bulkDepth--;
    }
  }

  /** The last checkpoint failure, if any (checkpoints are an optimisation: a failure loses nothing). */
  get error(): string | undefined {
    return this.lastError;
  }

  /** How many background checkpoints have finished. */
  get completed(): number {
    return this.done;
  }

  /** After a commit that wrote about `bytes` (bodies and index keys). */
  wrote(bytes: number): void {
    if (this.closed) return;
    this.sinceLast += bytes;
    if (this.sinceLast < (this.bulkDepth > 0 ? this.bulkThresholdBytes : this.thresholdBytes)) return;
    this.sinceLast = 0;
    if (this.running) {
      this.again = true;
      return;
    }
    this.request();
  }

  private request(): void {
    this.running = true;
    this.started().postMessage('checkpoint');
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.file, module: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    worker.on('message', (failed: string | null) => {
      if (failed !== null) this.lastError = failed;
      else this.done++;
      this.running = false;
      if (this.again && !this.closed) {
        this.again = false;
        this.request();
      }
    });
    worker.on('error', (err) => {
      this.lastError = err.message;
      this.running = false;
    });
    // Never keeps the process alive by itself.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Waits for a running checkpoint, then closes the worker's connection (before the writer's own close). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref(); // keeps the process alive until the worker has closed its connection
    worker.postMessage('close');
    await exited;
  }
}
