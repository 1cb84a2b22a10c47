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
 *
 * Rewinding: SQLite starts the WAL over from its beginning only when a write transaction begins while every frame
 * in it has been copied. Under a bulk import's steady stream of batches that moment never comes by itself (the next
 * batch begins while the last checkpoint is still copying), so the WAL file grows to the size of the whole import
 * (about 99 MiB for ATT&CK), and every frame is appended to new file space, and the file is deleted at close: on
 * this machine's ext4 about 60 ms for that one unlink, freeing the blocks. So during a bulk import, once about
 * `rewindBytes` have been committed since the WAL was last rewound, `headroom` makes the next write wait for a
 * checkpoint that began after the last commit; the import parses its next batch meanwhile.
 */
import { statSync } from 'node:fs';
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
  let log = -1;
  let checkpointed = -1;
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    log = r.log;
    checkpointed = r.checkpointed;
  } catch (err) {
    failed = String(err && err.message);
  }
  parentPort.postMessage({ failed, log, checkpointed });
});
`;

/** What the worker reports after each checkpoint: frames in the WAL, and how many of them are in the database. */
interface CheckpointReport {
  readonly failed: string | null;
  readonly log: number;
  readonly checkpointed: number;
}

const DEFAULT_THRESHOLD = 8 * 1024 * 1024;
/**
 * During a bulk import (`bulk`): checkpoints about three times as often. Measured on an ATT&CK import (alternated
 * pairs, docs/benchmarks.md): faster in six pairs of six, by up to 0.5 s, most of it a shorter closing
 * checkpoint. Not the default: TAXII POSTs of 10,000 objects came out about 12 % slower with it, the copy
 * competing with their validation worker for the two cores.
 */
const BULK_THRESHOLD = 3 * 1024 * 1024;
/**
 * WAL file size beyond which writers wait for the checkpoints to catch up (`headroom`). Why: under a steady stream
 * of write batches a PASSIVE checkpoint never finds the WAL quiet, so the WAL is never rewound and grows until the
 * writing connection's own automatic checkpoint (at 10,000 frames, 160 MiB at 16 KiB pages) copies it all inside a
 * commit, holding the event loop for a quarter of a second and more. A rewound WAL is truncated to 64 MiB
 * (`journal_size_limit`), so a larger file means it has not been rewound since.
 */
const PRESSURE_BYTES = 96 * 1024 * 1024;
/**
 * During a bulk import: committed bytes (as counted by `wrote`) after which the WAL is rewound. Measured on an ATT&CK
 * import (docs/benchmarks.md, tenth session): 4, 8 and 16 MiB within the noise of each other, all 40–70 ms faster
 * than never; 8 MiB keeps the file near 17 MiB.
 */
const REWIND_BYTES = 8 * 1024 * 1024;

export class BackgroundCheckpointer {
  private worker: Worker | undefined;
  private sinceLast = 0;
  private running = false;
  private again = false;
  private closed = false;
  private lastError: string | undefined;
  private done = 0;

  private bulkDepth = 0;
  /** The WAL size from which writers wait for a catch-up (higher after one that could not rewind the WAL). */
  private pressureAt: number;
  /** Waiters for the running checkpoint to finish. */
  private finished: (() => void)[] = [];
  private catchingUp: Promise<void> | undefined;
  private rewinding: Promise<void> | undefined;
  /** Commits so far (`wrote` calls). */
  private commits = 0;
  /** `commits` when the running (or last) checkpoint was asked for. */
  private requestedAt = -1;
  /**
   * `requestedAt` of the last checkpoint if it copied every frame the WAL had when it started; -1 if it did not (or
   * the worker failed).
   */
  private completeAt = -1;
  /** Bytes committed since the WAL was last rewound (or since a rewind was last tried). */
  private sinceRewind = 0;
  /** The worker is gone (an error or an unexpected exit): no more checkpoints are asked for. */
  private broken = false;

  constructor(
    private readonly file: string,
    private readonly thresholdBytes = DEFAULT_THRESHOLD,
    private readonly bulkThresholdBytes = BULK_THRESHOLD,
    private readonly pressureBytes = PRESSURE_BYTES,
    private readonly rewindBytes = REWIND_BYTES,
  ) {
    this.pressureAt = pressureBytes;
  }

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
    this.commits++;
    this.sinceRewind += bytes;
    this.sinceLast += bytes;
    if (this.sinceLast < (this.bulkDepth > 0 ? this.bulkThresholdBytes : this.thresholdBytes)) return;
    this.sinceLast = 0;
    if (this.running) {
      this.again = true;
      return;
    }
    this.request();
  }

  /**
   * Before a write transaction: if the WAL has outgrown `pressureBytes`, waits (without blocking the event loop) for
   * the checkpoint under way and one more. With no write in between, that one copies the whole WAL, so the next
   * transaction rewinds it. Writes cannot outpace the disk for long anyway; this makes them wait here, now and then
   * under heavy load, instead of inside a commit. During a bulk import, it also waits every `rewindBytes` for a
   * checkpoint that began after the last commit (see the top of this file).
   */
  headroom(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // A checkpoint asked for after the last commit copied the whole WAL: the write about to begin rewinds it.
    if (this.completeAt === this.commits) this.sinceRewind = 0;
    else if (this.bulkDepth > 0 && this.sinceRewind > this.rewindBytes) {
      this.rewinding ??= this.rewind().finally(() => (this.rewinding = undefined));
      return this.rewinding;
    }
    if (this.walBytes() <= this.pressureAt) return Promise.resolve();
    this.catchingUp ??= this.catchUp().finally(() => (this.catchingUp = undefined));
    return this.catchingUp;
  }

  private walBytes(): number {
    try {
      return statSync(`${this.file}-wal`).size;
    } catch {
      return 0; // no WAL (yet)
    }
  }

  private async catchUp(): Promise<void> {
    if (this.running) await this.checkpointFinished();
    if (this.closed) return;
    this.sinceLast = 0;
    this.again = false;
    this.request();
    if (this.running) await this.checkpointFinished();
    // Copied whole: the next write rewinds the WAL. If a long read kept part of it from being copied, the file
    // stays large: wait again only once it has grown by half as much more, not before every batch.
    if (this.completeAt === -1) this.pressureAt = this.walBytes() + this.pressureBytes / 2;
  }

  /**
   * Waits for a checkpoint asked for after the last commit (asking for one if none is running): it copies every frame
   * unless a reader still uses some, and then the next write rewinds the WAL. While one asked for before the last
   * commit still runs, nothing is waited for (it cannot copy that commit's frames): the next write tries again. One
   * wait per `rewindBytes`: a reader that keeps the checkpoint from copying everything costs one wait, not one per
   * batch.
   */
  private async rewind(): Promise<void> {
    if (this.running && this.requestedAt < this.commits) return;
    this.sinceRewind = 0;
    if (!this.running) this.request();
    if (this.running) await this.checkpointFinished();
  }

  /** The running checkpoint's end. The worker keeps the process alive meanwhile: something awaits it. */
  private async checkpointFinished(): Promise<void> {
    const worker = this.worker;
    worker?.ref();
    try {
      await new Promise<void>((resolve) => this.finished.push(resolve));
    } finally {
      if (!this.closed) worker?.unref();
    }
  }

  private request(): void {
    if (this.broken) return;
    this.running = true;
    this.requestedAt = this.commits;
    this.started().postMessage('checkpoint');
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.file, module: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    worker.on('message', (r: CheckpointReport) => {
      if (r.failed !== null) this.lastError = r.failed;
      else {
        this.done++;
        const complete = r.log >= 0 && r.log === r.checkpointed;
        this.completeAt = complete ? this.requestedAt : -1;
        if (complete) this.pressureAt = this.pressureBytes;
      }
      this.running = false;
      this.wakeWaiters();
      if (this.again && !this.closed) {
        this.again = false;
        this.request();
      }
    });
    worker.on('error', (err) => {
      this.lastError = err.message;
      this.broken = true;
      this.running = false;
      this.completeAt = -1;
      this.wakeWaiters();
    });
    // Closed or gone: nobody waits for a checkpoint that will not come.
    worker.on('exit', () => {
      this.broken = true;
      this.running = false;
      this.wakeWaiters();
    });
    // Never keeps the process alive by itself.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private wakeWaiters(): void {
    const waiters = this.finished;
    this.finished = [];
    for (const wake of waiters) wake();
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
