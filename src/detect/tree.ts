/**
 * Web-shell check of a mounted file tree (e.g. a server's C: drive mounted read-only at /mnt/c): every file's
 * path, seen as the Windows path it has on the server (`<drive>\…`), goes through the same checks as a directory
 * listing, and its name, folder and — for small script files — SHA-256 are matched against the indicators.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { detectRecord } from './detectors.js';
import type { IndicatorIndex } from './indicator-index.js';
import { fileScos } from './observables.js';
import { describeError } from './sources.js';
import type { LogRecord, ScanResult } from './types.js';

const HASHED = /\.(aspx|asmx|ashx|asax|asp|php|jsp|cfm|shtml|dll|exe|ps1|bat)$/i;
const MAX_HASHED_BYTES = 20 * 1024 * 1024;

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface TreeOptions {
  readonly index?: IndicatorIndex | undefined;
  /** Drive letter the tree stands for on the server (default `C:`). */
  readonly drive?: string;
  /** Observation time for indicator hits (the scan time; a file listing has no time of its own). */
  readonly time: string;
}

/** Walks `root` (without following links) and folds findings and indicator hits into `result`. */
export async function scanTree(root: string, opts: TreeOptions, result: ScanResult): Promise<void> {
  const drive = opts.drive ?? 'C:';
  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      result.skipped.push({ file: dir, reason: `cannot list folder: ${describeError(err)}` });
      return;
    }
    for (const name of names) {
      const full = join(dir, name);
      const winPath = `${rel}\\${name}`;
      let st;
      try {
        st = await lstat(full);
      } catch (err) {
        result.skipped.push({ file: full, reason: describeError(err) });
        continue;
      }
      if (st.isDirectory()) {
        await walk(full, winPath);
        continue;
      }
      if (!st.isFile()) continue;
      result.stats.files++;
      const fields: Record<string, string> = { path: `${drive}${winPath}` };
      if (opts.index && HASHED.test(name) && st.size <= MAX_HASHED_BYTES) {
        try {
          fields['hash'] = await sha256(full);
        } catch (err) {
          result.skipped.push({ file: full, reason: `not hashed: ${describeError(err)}` });
        }
      }
      const rec: LogRecord = {
        kind: 'listing',
        file: full,
        line: 0,
        time: undefined,
        fields,
        raw: fields['path']!,
      };
      result.stats.records++;
      result.stats.byKind.listing = (result.stats.byKind.listing ?? 0) + 1;
      detectRecord(rec, (f) => result.findings.push(f));
      if (opts.index && opts.index.size > 0) {
        const { file, directory } = fileScos(fields['path']!, fields['hash']);
        const objects: Record<string, Record<string, unknown>> = { '1': file };
        if (directory) {
          objects['0'] = directory;
          file['parent_directory_ref'] = '0';
        }
        const obs = { firstObserved: opts.time, lastObserved: opts.time, numberObserved: 1, objects };
        for (const id of opts.index.matchObservation(obs)) {
          let hit = result.hits.get(id);
          if (!hit) {
            hit = {
              indicatorId: id,
              count: 0,
              firstSeen: opts.time,
              lastSeen: opts.time,
              examples: [],
              sample: objects,
            };
            result.hits.set(id, hit);
          }
          hit.count++;
          if (hit.examples.length < 3) hit.examples.push({ file: full, line: 0 });
        }
      }
    }
  };
  let st;
  try {
    st = await lstat(root);
  } catch (err) {
    result.skipped.push({ file: root, reason: describeError(err) });
    return;
  }
  if (!st.isDirectory()) {
    result.skipped.push({ file: root, reason: '--tree needs a folder (the root of a mounted drive)' });
    return;
  }
  await walk(root, '');
}
