/**
 * Worker-thread entry for ingest. By default it receives the input's chunks, runs the CPU half of the pipeline
 * (`prepareFrames`) and posts frames back. Started with `{ mode: 'objects' }` (`ObjectPreparer`), it instead
 * prepares batches of already-split objects on request, for as long as it is kept. No storage access here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  packBodies,
  prepareFrames,
  prepareObjectBatch,
  type FromObjectWorker,
  type FromWorker,
  type ObjectWorkerData,
  type PipelineOptions,
  type ToObjectWorker,
  type ToWorker,
} from './ingest-pipeline.js';
import { nodeValidateOptions } from './validation.js';

const port = parentPort;
if (!port) throw new Error('ingest-worker must run in a worker thread');

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

if ((workerData as Partial<ObjectWorkerData> | undefined)?.mode === 'objects') {
  const options = nodeValidateOptions();
  port.on('message', (m: ToObjectWorker) => {
    let reply: FromObjectWorker;
    try {
      reply = { type: 'prepared', id: m.id, results: prepareObjectBatch(m, options) };
    } catch (err) {
      reply = { type: 'error', id: m.id, message: errorMessage(err) };
    }
    port.postMessage(reply);
  });
} else {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;

  port.on('message', (m: ToWorker) => {
    if (m.type === 'chunk') queue.push(m.data);
    else ended = true;
    const w = wake;
    wake = undefined;
    w?.();
  });

  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        port!.postMessage({ type: 'ack' } satisfies FromWorker);
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  try {
    for await (const frame of prepareFrames(chunks(), workerData as PipelineOptions, nodeValidateOptions())) {
      // The bodies cross in one transferred buffer: no copy, and no strings on either side.
      const { versions, buffer } = packBodies(frame.versions);
      port.postMessage({ type: 'frame', frame: { ...frame, versions } } satisfies FromWorker, [buffer]);
    }
    port.postMessage({ type: 'done' } satisfies FromWorker);
  } catch (err) {
    port.postMessage({ type: 'error', message: errorMessage(err) } satisfies FromWorker);
  }
}
