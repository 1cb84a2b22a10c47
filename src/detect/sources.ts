/**
 * Input enumeration: turns the paths given on the command line (files, folders, `.gz`, `.zip`) into a flat list of
 * plain, serialisable source descriptions (so they can be handed to worker threads), and opens each one as a byte
 * stream. Anything that cannot be listed is recorded as a Skip with the reason; nothing here throws for bad input.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Skip } from './types.js';
import { listZipEntries, openZipEntry, type ZipEntry } from './zip.js';

export interface SourceRef {
  /** What the report calls it: a path, or `archive.zip!inner/name.log`. */
  readonly display: string;
  readonly path: string;
  readonly entry?: ZipEntry;
  readonly gzip: boolean;
  /** Bytes on disk (compressed size for archives), for progress and for sharing work between threads. */
  readonly size: number;
}

const errMessage = (err: unknown): string => {
  if (err && typeof err === 'object' && 'code' in err) {
    const code = err.code;
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ENOENT') return 'no such file or directory';
    if (code === 'EISDIR') return 'is a directory';
  }
  return err instanceof Error ? err.message : String(err);
};

export { errMessage as describeError };

async function addFile(path: string, size: number, out: SourceRef[], skipped: Skip[]): Promise<void> {
  const lower = path.toLowerCase();
  if (lower.endsWith('.zip')) {
    try {
      const entries = await listZipEntries(path);
      for (const entry of entries) {
        if (entry.name.endsWith('/')) continue;
        const inner = entry.name.toLowerCase();
        if (inner.endsWith('.zip')) {
          skipped.push({
            file: `${path}!${entry.name}`,
            reason: 'nested ZIP archives are not opened; extract first',
          });
          continue;
        }
        out.push({
          display: `${path}!${entry.name}`,
          path,
          entry,
          gzip: inner.endsWith('.gz'),
          size: entry.compressedSize,
        });
      }
    } catch (err) {
      skipped.push({ file: path, reason: errMessage(err) });
    }
    return;
  }
  out.push({ display: path, path, gzip: lower.endsWith('.gz'), size });
}

async function walk(path: string, out: SourceRef[], skipped: Skip[], top: boolean): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    skipped.push({ file: path, reason: errMessage(err) });
    return;
  }
  if (st.isSymbolicLink() && !top) return; // never follow links inside a tree (loops, escapes)
  if (st.isDirectory() || (top && st.isSymbolicLink())) {
    let names: string[];
    try {
      names = await readdir(path);
    } catch (err) {
      if (!st.isDirectory()) {
        await addFile(path, st.size, out, skipped);
        return;
      }
      skipped.push({ file: path, reason: `cannot list folder: ${errMessage(err)}` });
      return;
    }
    names.sort();
    for (const name of names) await walk(join(path, name), out, skipped, false);
    return;
  }
  if (!st.isFile()) {
    skipped.push({ file: path, reason: 'not a regular file' });
    return;
  }
  await addFile(path, st.size, out, skipped);
}

/** Expands files and folders (recursively) into sources; `.zip` archives into one source per entry. */
export async function collectSources(
  inputs: readonly string[],
): Promise<{ sources: SourceRef[]; skipped: Skip[] }> {
  const sources: SourceRef[] = [];
  const skipped: Skip[] = [];
  for (const input of inputs) await walk(input, sources, skipped, true);
  return { sources, skipped };
}

/** Opens a source as a stream of its (decompressed) bytes. Rejects with a readable message if it cannot. */
export async function openSource(src: SourceRef): Promise<Readable> {
  const raw = src.entry
    ? await openZipEntry(src.path, src.entry)
    : createReadStream(src.path, { highWaterMark: 256 * 1024 });
  if (!src.gzip) return raw;
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  raw.on('error', (err: Error) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}
