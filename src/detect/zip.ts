/**
 * Minimal ZIP reader for log archives: reads the central directory (at the end of the file) and streams each entry
 * from its local header through raw inflate, so no archive or entry is ever held in memory. Stored (0) and deflate
 * (8) entries only; ZIP64, encryption and multi-disk archives are refused with a clear message. CRC-32 and sizes are
 * checked as the entry streams, so a truncated or corrupted entry is reported rather than silently half-read.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createInflateRaw, crc32 } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc: number;
  readonly localHeaderOffset: number;
  readonly encrypted: boolean;
}

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

/** Lists the entries of a ZIP file from its central directory. Throws ZipError on a damaged archive. */
export async function listZipEntries(path: string): Promise<ZipEntry[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 22) throw new ZipError('not a ZIP archive (too short for an end-of-central-directory record)');
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ZipError('corrupt or truncated ZIP archive (no end-of-central-directory record)');
    const disk = tail.readUInt16LE(eocd + 4);
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (disk !== 0) throw new ZipError('multi-disk ZIP archives are not supported');
    if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
    if (cdOffset + cdSize > size)
      throw new ZipError('corrupt or truncated ZIP archive (central directory out of range)');
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CEN_SIG) {
        throw new ZipError(`corrupt ZIP central directory (entry ${i + 1} of ${count})`);
      }
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const compressedSize = cd.readUInt32LE(p + 20);
      const uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
      if (compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        throw new ZipError(`ZIP64 entry '${name}' is not supported`);
      }
      entries.push({
        name,
        method,
        compressedSize,
        size: uncompressed,
        crc,
        localHeaderOffset,
        encrypted: (flags & 1) === 1,
      });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/** Checks CRC-32 and length of the bytes passing through, failing the stream at the end on a mismatch. */
class CrcCheck extends Transform {
  private crc = 0;
  private length = 0;
  constructor(private readonly entry: ZipEntry) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.length += chunk.length;
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.length !== this.entry.size) {
      cb(
        new ZipError(
          `ZIP entry '${this.entry.name}' is truncated (${this.length} of ${this.entry.size} bytes)`,
        ),
      );
    } else if (this.crc >>> 0 !== this.entry.crc >>> 0) {
      cb(new ZipError(`ZIP entry '${this.entry.name}' is corrupt (CRC mismatch)`));
    } else {
      cb();
    }
  }
}

/** Opens one entry as a stream of its uncompressed bytes. */
export async function openZipEntry(path: string, entry: ZipEntry): Promise<Readable> {
  if (entry.encrypted) throw new ZipError(`ZIP entry '${entry.name}' is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ZipError(`ZIP entry '${entry.name}' uses unsupported compression method ${entry.method}`);
  }
  const fh = await open(path, 'r');
  let dataStart: number;
  try {
    const head = Buffer.alloc(30);
    const { bytesRead } = await fh.read(head, 0, 30, entry.localHeaderOffset);
    if (bytesRead < 30 || head.readUInt32LE(0) !== LOC_SIG) {
      throw new ZipError(`corrupt ZIP archive (bad local header for '${entry.name}')`);
    }
    dataStart = entry.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  } finally {
    await fh.close();
  }
  const check = new CrcCheck(entry);
  if (entry.compressedSize === 0) {
    check.end();
    return check;
  }
  const raw = createReadStream(path, {
    start: dataStart,
    end: dataStart + entry.compressedSize - 1,
    highWaterMark: 256 * 1024,
  });
  const forward = (err: Error): void => {
    check.destroy(
      err instanceof ZipError ? err : new ZipError(`ZIP entry '${entry.name}' is corrupt: ${err.message}`),
    );
  };
  raw.on('error', forward);
  if (entry.method === 0) {
    raw.pipe(check);
  } else {
    const inflate = createInflateRaw();
    inflate.on('error', forward);
    raw.pipe(inflate).pipe(check);
  }
  return check;
}
