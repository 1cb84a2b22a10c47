/**
 * Scans on several worker threads. Sources go out one at a time, largest first, to whichever thread asks next;
 * each thread builds its own indicator index and returns a partial result that is merged here. With one thread
 * (or one source) it scans in-process instead.
 */
import { Worker } from 'node:worker_threads';
import { buildIndicatorIndex, type IndicatorInput } from './indicator-index.js';
import { emptyResult, mergeResults, scanSources, sortResult } from './scan.js';
import type { FromWorker, ToWorker, WorkerInit } from './scan-worker.js';
import type { SourceRef } from './sources.js';
import type { ScanResult } from './types.js';

export interface ParallelScanOptions {
  readonly indicators: readonly IndicatorInput[];
  readonly threads: number;
  readonly fallbackTime: string;
  readonly maxLineChars?: number;
  readonly onProgress?: (bytes: number) => void;
}

/**
 * Starts the worker. Built code runs `scan-worker.js` directly; under tsx (tests, benchmarks, `npx tsx`) this module
 * is `.ts`, and a worker does not inherit tsx's loader, so a small bootstrap registers tsx before importing it.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: init });
  }
  const target = new URL('./scan-worker.ts', import.meta.url).href;
  // Resolve tsx from here so the worker finds it whatever the working folder (test runners lack import.meta.resolve).
  const tsxApi =
    typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const boot =
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })` +
    `.catch((e) => { throw e; });`;
  return new Worker(boot, { eval: true, workerData: init });
}

interface WorkerOutcome {
  readonly result: ScanResult;
  readonly rejected: { id: string; error: string }[];
  readonly buildMs: number;
}

function runWorker(
  queue: SourceRef[],
  init: WorkerInit,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<WorkerOutcome> {
  const worker = startWorker(init);
  return new Promise<WorkerOutcome>((resolve, reject) => {
    let done = false;
    let rejected: { id: string; error: string }[] = [];
    let buildMs = 0;
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'progress') onProgress?.(msg.bytes);
      else if (msg.type === 'ready') {
        rejected = msg.rejected;
        buildMs = msg.buildMs;
      } else if (msg.type === 'next') {
        const source = queue.shift();
        worker.postMessage((source ? { type: 'scan', source } : { type: 'finish' }) satisfies ToWorker);
      } else {
        done = true;
        resolve({ result: msg.result, rejected, buildMs });
        void worker.terminate();
      }
    });
    worker.on('error', (err) => reject(err));
    worker.on('exit', (code) => {
      if (!done) reject(new Error(`scan worker exited with code ${code} before reporting`));
    });
  });
}

export interface ParallelScanOutcome {
  readonly result: ScanResult;
  /** Indicators the pattern engine refused, with why. */
  readonly rejected: { id: string; error: string }[];
  /** Time spent compiling the indicator index (per thread, the slowest), in milliseconds. */
  readonly indexBuildMs: number;
}

export async function scanParallel(
  sources: readonly SourceRef[],
  opts: ParallelScanOptions,
): Promise<ParallelScanOutcome> {
  const threads = Math.max(1, Math.min(opts.threads, sources.length));
  if (threads <= 1) {
    const t0 = performance.now();
    const built = buildIndicatorIndex(opts.indicators);
    const indexBuildMs = performance.now() - t0;
    const result = await scanSources(sources, {
      index: built.index,
      fallbackTime: opts.fallbackTime,
      maxLineChars: opts.maxLineChars,
      onProgress: opts.onProgress,
    });
    return { result, rejected: built.rejected, indexBuildMs };
  }
  // Largest first, handed out one at a time: the threads finish close together.
  const queue = [...sources].sort((a, b) => b.size - a.size);
  const init: WorkerInit = {
    indicators: opts.indicators,
    fallbackTime: opts.fallbackTime,
    maxLineChars: opts.maxLineChars,
  };
  const parts = await Promise.all(
    Array.from({ length: threads }, () => runWorker(queue, init, opts.onProgress)),
  );
  const result = emptyResult();
  for (const p of parts) mergeResults(result, p.result);
  return {
    result: sortResult(result),
    rejected: parts[0]!.rejected,
    indexBuildMs: Math.max(...parts.map((p) => p.buildMs)),
  };
}
