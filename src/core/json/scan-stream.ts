/** Adapts the push scanner to an async stream of chunks: yields events in order, throws `ScanError` at the end. */
import { BundleScanner, ScanError, type ScanEvent, type ScannerLimits } from './bundle-scanner.js';

export async function* scanStream(
  source: AsyncIterable<Uint8Array>,
  limits: Partial<ScannerLimits> = {},
  onBytes?: (n: number) => void,
): AsyncGenerator<ScanEvent> {
  const scanner = new BundleScanner(limits);
  for await (const chunk of source) {
    onBytes?.(chunk.length);
    yield* scanner.push(chunk);
  }
  yield* scanner.end();
  if (!scanner.hasObjects) throw new ScanError('not a STIX bundle: no "objects" array', 0);
}
