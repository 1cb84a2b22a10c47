/**
 * Scanning on one thread: stream each source through the line splitter and the record reader, run the detectors,
 * match the record's observables against the indicator index, and fold everything into one ScanResult. A source
 * that cannot be read (unreadable, binary, unknown format, corrupt archive) becomes a Skip; the scan goes on.
 */
import type { Readable } from 'node:stream';
import { detectRecord } from './detectors.js';
import { RecordReader, UnknownFormatError } from './formats.js';
import type { IndicatorIndex } from './indicator-index.js';
import { BinaryInputError, DEFAULT_MAX_LINE_CHARS, LineSplitter } from './lines.js';
import { recordObservation, type Observation } from './observables.js';
import { describeError, openSource, type SourceRef } from './sources.js';
import { emptyStats, type Finding, type LogRecord, type ScanResult } from './types.js';

export interface ScanOptions {
  readonly index?: IndicatorIndex | undefined;
  /** Time given to observations from records without one (e.g. directory listings). Passed in: detect has no clock. */
  readonly fallbackTime: string;
  readonly maxLineChars?: number;
  /** Called with the number of new bytes read, for progress bars. */
  readonly onProgress?: (bytes: number) => void;
}

const MAX_EXAMPLES = 3;

export const emptyResult = (): ScanResult => ({
  findings: [],
  hits: new Map(),
  skipped: [],
  stats: emptyStats(),
});

function recordHit(result: ScanResult, id: string, rec: LogRecord, obs: Observation): void {
  let hit = result.hits.get(id);
  if (!hit) {
    hit = {
      indicatorId: id,
      count: 0,
      firstSeen: undefined,
      lastSeen: undefined,
      examples: [],
      sample: obs.objects,
    };
    result.hits.set(id, hit);
  }
  hit.count++;
  // The observation's time: the record's, or the scan's for records without one (a listing is "seen now").
  const t = obs.firstObserved;
  if (hit.firstSeen === undefined || t < hit.firstSeen) hit.firstSeen = t;
  if (hit.lastSeen === undefined || t > hit.lastSeen) hit.lastSeen = t;
  if (hit.examples.length < MAX_EXAMPLES) hit.examples.push({ file: rec.file, line: rec.line });
}

/** Scans one source into `result`. Never throws for bad input: problems become Skips. */
export async function scanSource(src: SourceRef, opts: ScanOptions, result: ScanResult): Promise<void> {
  const { index, fallbackTime, onProgress } = opts;
  let matchErrors = 0;
  const onFinding = (f: Finding): void => {
    result.findings.push(f);
  };
  const onRecord = (rec: LogRecord): void => {
    result.stats.records++;
    result.stats.byKind[rec.kind] = (result.stats.byKind[rec.kind] ?? 0) + 1;
    detectRecord(rec, onFinding);
    if (index && index.size > 0) {
      const obs = recordObservation(rec, fallbackTime);
      if (!obs) return;
      let ids: string[];
      try {
        ids = index.matchObservation(obs);
      } catch (err) {
        // One record the matcher refuses (e.g. over its evaluation budget) must not end the file.
        if (matchErrors++ < 3) {
          result.skipped.push({
            file: src.display,
            line: rec.line,
            reason: `not matched: ${describeError(err)}`,
          });
        }
        return;
      }
      for (const id of ids) recordHit(result, id, rec, obs);
    }
  };
  const reader = new RecordReader(src.display, onRecord, (line, reason) =>
    result.skipped.push({ file: src.display, line, reason }),
  );
  const splitter = new LineSplitter(
    (text, line) => reader.line(text, line),
    (line, chars) =>
      result.skipped.push({
        file: src.display,
        line,
        reason: `line of ${chars}+ characters skipped (over the bound)`,
      }),
    opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS,
  );
  let stream: Readable | undefined;
  let reported = 0;
  try {
    stream = await openSource(src);
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      splitter.push(buf);
      if (onProgress) {
        const step = Math.min(buf.length, Math.max(0, src.size - reported));
        reported += step;
        if (step > 0) onProgress(step);
      }
    }
    splitter.end();
    reader.end();
    if (reader.kind === undefined) {
      result.skipped.push({ file: src.display, reason: 'empty or only comments: no log records' });
    }
  } catch (err) {
    const at =
      splitter.bytes > 0 ? ` (after ${splitter.bytes} bytes; findings before that point are kept)` : '';
    const why =
      err instanceof BinaryInputError || err instanceof UnknownFormatError
        ? err.message
        : `unreadable: ${describeError(err)}${at}`;
    result.skipped.push({ file: src.display, reason: why });
    stream?.destroy();
  } finally {
    result.stats.files++;
    result.stats.bytes += splitter.bytes;
    if (onProgress && src.size > reported) onProgress(src.size - reported);
  }
}

/** Folds `from` into `into` (used to combine per-thread results). */
export function mergeResults(into: ScanResult, from: ScanResult): ScanResult {
  into.findings.push(...from.findings);
  into.skipped.push(...from.skipped);
  for (const [id, h] of from.hits) {
    const mine = into.hits.get(id);
    if (!mine) {
      into.hits.set(id, { ...h, examples: [...h.examples] });
      continue;
    }
    mine.count += h.count;
    if (h.firstSeen && (!mine.firstSeen || h.firstSeen < mine.firstSeen)) mine.firstSeen = h.firstSeen;
    if (h.lastSeen && (!mine.lastSeen || h.lastSeen > mine.lastSeen)) mine.lastSeen = h.lastSeen;
    for (const e of h.examples) if (mine.examples.length < MAX_EXAMPLES) mine.examples.push(e);
  }
  into.stats.files += from.stats.files;
  into.stats.bytes += from.stats.bytes;
  into.stats.records += from.stats.records;
  for (const [k, v] of Object.entries(from.stats.byKind) as [keyof typeof from.stats.byKind, number][]) {
    into.stats.byKind[k] = (into.stats.byKind[k] ?? 0) + v;
  }
  return into;
}

/** Orders findings by file, then line, so reports read top to bottom whatever the thread split. */
export function sortResult(result: ScanResult): ScanResult {
  result.findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  result.skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  return result;
}

/** Scans every source in order on this thread. */
export async function scanSources(sources: readonly SourceRef[], opts: ScanOptions): Promise<ScanResult> {
  const result = emptyResult();
  for (const src of sources) await scanSource(src, opts, result);
  return sortResult(result);
}
