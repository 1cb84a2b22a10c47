/** Adapts the push scanner to an async stream of chunks: yields events in order, throws `ScanError` at the end. */
import { BundleScanner, ScanError, type ScanEvent, type ScannerLimits } from './bundle-scanner.js';

/**
 * The events of each chunk together (an array per chunk, possibly empty): for hot loops, where a promise per event
 * (what an async generator yielding single events costs) would be a measurable part of the work.
 */
export async function* scanStreamChunks(
  source: AsyncIterable<Uint8Array>,
  limits: Partial<ScannerLimits> = {},
  onBytes?: (n: number) => void,
): AsyncGenerator<ScanEvent[]> {
  const scanner = new BundleScanner(limits);
  for await (const chunk of source) {
    onBytes?.(chunk.length);
    yield scanner.push(chunk);
  }
  yield scanner.end();
  if (!scanner.hasObjects) throw new ScanError('not a STIX bundle: no "objects" array', 0);
}

export async function* scanStream(
  source: AsyncIterable<Uint8Array>,
  limits: Partial<ScannerLimits> = {},
  onBytes?: (n: number) => void,
): AsyncGenerator<ScanEvent> {
  for await (const events of scanStreamChunks(source, limits, onBytes)) yield* events;
}
