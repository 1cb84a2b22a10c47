/** Adapts the push scanner to an async stream of chunks: yields events in order, throws `ScanError` at the end. */
import { BundleScanner, ScanError, type ScanEvent, type ScannerLimits } from './bundle-scanner.js';

/**
 * The events of each chunk together (an array per chunk, possibly empty): for hot loops, where a promise per event
 * (what an async generator yielding single events costs) would be a measurable part of the work.
 *
 * A document with neither an `objects` array nor `"type": "bundle"` is not a bundle (or envelope): `ScanError` at
 * the end. A bundle without `objects` is valid STIX (§8.1: objects is optional) and yields no elements.
 * `onEnd` learns whether an `objects` array was there (to tell an empty list from none).
 */
export async function* scanStreamChunks(
  source: AsyncIterable<Uint8Array>,
  limits: Partial<ScannerLimits> = {},
  onBytes?: (n: number) => void,
  onEnd?: (hasObjects: boolean) => void,
): AsyncGenerator<ScanEvent[]> {
  const scanner = new BundleScanner(limits);
  for await (const chunk of source) {
    onBytes?.(chunk.length);
    let events: ScanEvent[];
    try {
      events = scanner.push(chunk);
    } catch (err) {
      // The objects this chunk completed before the break are delivered first: they are whole.
      if (err instanceof ScanError && err.completed.length > 0) yield err.completed;
      throw err;
    }
    yield events;
  }
  yield scanner.end();
  if (!scanner.hasObjects && !scanner.isBundle)
    throw new ScanError('not a STIX bundle: no "objects" array and no "type": "bundle"', 0);
  onEnd?.(scanner.hasObjects);
}

export async function* scanStream(
  source: AsyncIterable<Uint8Array>,
  limits: Partial<ScannerLimits> = {},
  onBytes?: (n: number) => void,
  onEnd?: (hasObjects: boolean) => void,
): AsyncGenerator<ScanEvent> {
  for await (const events of scanStreamChunks(source, limits, onBytes, onEnd)) yield* events;
}
