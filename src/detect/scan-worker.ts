/**
 * Worker-thread entry for parallel scans: builds its own indicator index, then asks the parent for one source at a
 * time (so fast and slow files balance out across threads), and posts its partial result when told to finish.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildIndicatorIndex, type IndicatorInput } from './indicator-index.js';
import { emptyResult, scanSource } from './scan.js';
import type { SourceRef } from './sources.js';

export interface WorkerInit {
  readonly indicators: readonly IndicatorInput[];
  readonly fallbackTime: string;
  readonly maxLineChars?: number;
}

export type ToWorker = { type: 'scan'; source: SourceRef } | { type: 'finish' };
export type FromWorker =
  | { type: 'ready'; rejected: { id: string; error: string }[]; buildMs: number }
  | { type: 'next' }
  | { type: 'progress'; bytes: number }
  | { type: 'result'; result: ReturnType<typeof emptyResult> };

const PROGRESS_STEP = 4 * 1024 * 1024;

if (parentPort) {
  const port = parentPort;
  const init = workerData as WorkerInit;
  const t0 = performance.now();
  const { index, rejected } = buildIndicatorIndex(init.indicators);
  port.postMessage({ type: 'ready', rejected, buildMs: performance.now() - t0 } satisfies FromWorker);
  const result = emptyResult();
  let unreported = 0;
  const onProgress = (bytes: number): void => {
    unreported += bytes;
    if (unreported >= PROGRESS_STEP) {
      port.postMessage({ type: 'progress', bytes: unreported } satisfies FromWorker);
      unreported = 0;
    }
  };
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'finish') {
      if (unreported > 0) port.postMessage({ type: 'progress', bytes: unreported } satisfies FromWorker);
      port.postMessage({ type: 'result', result } satisfies FromWorker);
      port.close();
      return;
    }
    void scanSource(
      msg.source,
      { index, fallbackTime: init.fallbackTime, maxLineChars: init.maxLineChars, onProgress },
      result,
    ).then(() => port.postMessage({ type: 'next' } satisfies FromWorker));
  });
  port.postMessage({ type: 'next' } satisfies FromWorker);
}
