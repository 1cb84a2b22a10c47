/**
 * A bounded line splitter fed with raw chunks: it decodes (UTF-8, or UTF-16LE after a BOM), cuts at `\n`, strips
 * `\r`, and hands each line to a callback synchronously — no per-line promise, no whole-file buffer. A line longer
 * than `maxLineChars` is dropped (reported once through `onLongLine`) and reading resumes at the next newline.
 * readline is not used because it buffers an unbounded line in full before handing it over.
 */
import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;

export class BinaryInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinaryInputError';
  }
}

export class LineSplitter {
  private decoder: StringDecoder | undefined;
  private pending = '';
  private dropping = false;
  private lineNo = 0;
  /** Bytes seen so far (before decoding). */
  bytes = 0;

  constructor(
    private readonly onLine: (text: string, line: number) => void,
    private readonly onLongLine: (line: number, chars: number) => void,
    private readonly maxLineChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.decoder === undefined) {
      // Sniff the encoding on the first chunk; NUL bytes without a UTF-16 BOM mean this is not a text log.
      if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) {
        this.decoder = new StringDecoder('utf16le');
        buf = buf.subarray(2);
      } else {
        if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
        const probe = buf.subarray(0, 4096);
        if (probe.includes(0))
          throw new BinaryInputError('binary data (NUL bytes) where a text log was expected');
        this.decoder = new StringDecoder('utf8');
      }
    }
    this.bytes += chunk.length;
    this.feed(this.decoder.write(buf));
  }

  end(): void {
    if (this.decoder) this.feed(this.decoder.end());
    if (this.dropping) {
      this.dropping = false;
    } else if (this.pending.length > 0) {
      this.emit(this.pending);
    }
    this.pending = '';
  }

  private feed(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (this.dropping) {
        this.dropping = false;
        this.lineNo++;
      } else if (this.pending.length > 0) {
        const line = this.pending + text.slice(start, nl);
        this.pending = '';
        this.emitChecked(line);
      } else {
        this.emitChecked(text.slice(start, nl));
      }
      start = nl + 1;
    }
    if (start < text.length && !this.dropping) {
      this.pending += text.slice(start);
      if (this.pending.length > this.maxLineChars) {
        this.onLongLine(this.lineNo + 1, this.pending.length);
        this.pending = '';
        this.dropping = true;
      }
    }
  }

  private emitChecked(line: string): void {
    if (line.length > this.maxLineChars) {
      this.lineNo++;
      this.onLongLine(this.lineNo, line.length);
      return;
    }
    this.emit(line);
  }

  private emit(line: string): void {
    this.lineNo++;
    this.onLine(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line, this.lineNo);
  }
}
