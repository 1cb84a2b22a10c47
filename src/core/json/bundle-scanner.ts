/**
 * A push scanner that splits a STIX bundle (or a TAXII envelope) arriving in chunks into its member objects
 * without ever holding the whole document: it finds the byte range of each element of the top-level `objects`
 * array and hands out that slice; the caller `JSON.parse`s one object at a time.
 *
 * Why by hand: a general streaming JSON parser builds every value token by token in JavaScript and would cost
 * most of the import budget; this scanner only tracks strings and bracket depth (string bodies are skipped with
 * `indexOf`), so it runs at memory speed. It also bounds what a hostile document can do: nesting depth, the size
 * of one object and of the top-level members are limited, and every problem carries a byte offset.
 *
 * Pure: no I/O. Feed `Uint8Array` chunks, then call `end()`. An element that lies within one chunk is handed out as
 * a view on that chunk, not a copy (a copy per object was 24,772 allocations and 48 MiB copied per ATT&CK import,
 * 50–70 ms): a caller must not overwrite a chunk's memory while the events of that chunk are in use. Node's file and
 * socket streams hand out a new buffer per chunk.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

export interface ScannerLimits {
  /** Largest single member object, in bytes. */
  readonly maxObjectBytes: number;
  /** Deepest nesting inside one member object (the object itself is depth 1). */
  readonly maxDepth: number;
  /** Largest top-level non-`objects` member value (e.g. `id`, `more`), in bytes. */
  readonly maxHeaderValueBytes: number;
}

export const DEFAULT_SCANNER_LIMITS: ScannerLimits = {
  maxObjectBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxHeaderValueBytes: 64 * 1024,
};

export type ScanEvent =
  /**
   * One complete element of `objects`, exactly as it appeared (`bytes`: a view on the chunk when the element lies
   * within one chunk). `index` counts elements from 0.
   */
  | {
      readonly kind: 'object';
      readonly index: number;
      readonly offset: number;
      readonly bytes: Uint8Array;
      /**
       * How many member names the element's text has (strings followed by `:`, at any depth), to be compared with
       * what its parse holds (a repeated name is merged by `JSON.parse`); undefined when a name's colon was in the
       * next chunk.
       */
      readonly members: number | undefined;
    }
  /** An element that was skipped because it broke a limit; the scan goes on with the next element. */
  | {
      readonly kind: 'rejected';
      readonly index: number;
      readonly offset: number;
      readonly rule: 'too-large' | 'too-deep' | 'not-an-object';
      readonly message: string;
      /** The id the element appears to have (from its first bytes), to name it in the error. */
      readonly objectId?: string | undefined;
    }
  /**
   * A top-level member other than `objects` (e.g. `type`, `id`, `more`), already parsed; `text` is its JSON text
   * when the value is an object or an array (for checks the parse cannot make, such as repeated member names).
   */
  | { readonly kind: 'header'; readonly key: string; readonly value: unknown; readonly text?: string };

/** A problem with the document's structure: nothing after `offset` can be trusted. */
export class ScanError extends Error {
  readonly offset: number;
  /** Events the failing chunk completed before the break (set by `BundleScanner.push`). */
  completed: ScanEvent[] = [];
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = 'ScanError';
    this.offset = offset;
  }
}

type State =
  | 'start' // before the top-level '{'
  | 'key-or-end' // inside the top-level object, expecting a key or '}'
  | 'key' // reading a key string
  | 'colon'
  | 'value' // expecting a top-level member value
  | 'header-value' // inside a top-level member value (not `objects`)
  | 'after-value' // expecting ',' or '}'
  | 'elem-or-end' // inside `objects`, expecting an element or ']'
  | 'elem' // inside an element
  | 'after-elem' // expecting ',' or ']'
  | 'done';

/** Bytes of an element's start searched for its id when it is refused unparsed. */
const HEAD_BYTES = 4096;
const APPARENT_ID = /"id"\s*:\s*"([a-z][a-z0-9-]{0,249}--[0-9a-fA-F-]{36})"/;
const lenient = new TextDecoder('utf-8');

/**
 * The STIX id an object's text shows, if any, to name an object that could not be parsed (the first `"id"` member
 * in its first 64 KiB: a top-level one comes first in practice).
 */
export function apparentObjectId(text: string): string | undefined {
  return APPARENT_ID.exec(text.length > 65_536 ? text.slice(0, 65_536) : text)?.[1];
}

function apparentId(head: Uint8Array | undefined): string | undefined {
  return head === undefined ? undefined : apparentObjectId(lenient.decode(head));
}

/** How far past `maxObjectBytes` an over-large element is skipped to find the next one (×; 1 GiB by default). */
const SKIP_FACTOR = 64;

/** What a byte between strings means to the scanner: nothing (0), a string's start, an opening or a closing bracket. */
const STRING_START = 1;
const OPENS = 2;
const CLOSES = 3;
const BETWEEN = new Uint8Array(256);
BETWEEN[QUOTE] = STRING_START;
BETWEEN[OPEN_BRACE] = OPENS;
BETWEEN[OPEN_BRACKET] = OPENS;
BETWEEN[CLOSE_BRACE] = CLOSES;
BETWEEN[CLOSE_BRACKET] = CLOSES;

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class BundleScanner {
  private readonly limits: ScannerLimits;
  private state: State = 'start';
  /** Absolute offset of the first byte of the current chunk. */
  private base = 0;
  private sawComma = false;
  // The value being captured (key, header value or element): collected pieces of earlier chunks.
  private pieces: Uint8Array[] = [];
  private pieceBytes = 0;
  private captureStart = 0; // absolute offset where the capture began
  private depth = 0;
  private maxDepthSeen = 0;
  private inString = false;
  private escaped = false;
  private overLimit = false;
  private currentKey = '';
  private elementIndex = 0;
  private seenObjects = false;
  private bundleTyped = false;
  /**
   * A `type` other than "bundle" came first: the document is one STIX object, and an `objects` member is one of its
   * properties (observed-data's deprecated `objects` dictionary), read like any other member.
   */
  private oneObject = false;
  /** A `type` other than "bundle" was read. */
  private otherType = false;
  /** Where an `objects` member that is no array began (read as a member while the document's kind was open). */
  private objectsMemberAt: number | undefined;
  private isScalarCapture = false;
  /** The first bytes of an element dropped for its size (to name it in the error). */
  private head: Uint8Array | undefined;
  /** Member names in the element being captured, and whether every one was seen with its colon. */
  private members = 0;
  private membersKnown = true;

  constructor(limits: Partial<ScannerLimits> = {}) {
    this.limits = { ...DEFAULT_SCANNER_LIMITS, ...limits };
  }

  /** True once the `objects` array has been seen (a document without one is not a bundle). */
  get hasObjects(): boolean {
    return this.seenObjects;
  }

  /** True once a top-level `"type": "bundle"` has been seen. */
  get isBundle(): boolean {
    return this.bundleTyped;
  }

  /**
   * Consumes one chunk and returns the events it completed. Throws `ScanError` on broken structure; the events this
   * chunk completed before the break are on the error (`completed`): objects before a break are whole and valid.
   */
  push(chunk: Uint8Array): ScanEvent[] {
    const events: ScanEvent[] = [];
    try {
      this.scanInto(chunk, events);
    } catch (err) {
      if (err instanceof ScanError) err.completed = events;
      throw err;
    }
    return events;
  }

  private scanInto(chunk: Uint8Array, events: ScanEvent[]): void {
    const n = chunk.length;
    let i = 0;
    let chunkCaptureStart = -1; // start, within this chunk, of the bytes that belong to the current capture
    if (this.isCapturing()) chunkCaptureStart = 0;

    while (i < n) {
      const state = this.state;
      if (state === 'elem' || state === 'header-value' || state === 'key') {
        // Inside a captured value: find its end.
        if (this.inString) {
          // Jump to the next quote, then decide whether it is escaped by counting backslashes.
          const q = chunk.indexOf(QUOTE, i);
          if (q === -1) {
            this.escaped = endsWithOddBackslashes(chunk, i, n, this.escaped);
            break;
          }
          const odd = endsWithOddBackslashes(chunk, i, q, this.escaped);
          this.escaped = false;
          i = q + 1;
          if (odd) continue; // an escaped quote: still inside the string
          this.inString = false;
          if (state === 'elem') {
            // A member name is a string followed (after any whitespace) by a colon.
            let k = i;
            while (k < n && isWs(chunk[k]!)) k++;
            if (k === n) this.membersKnown = false;
            else if (chunk[k] === COLON) this.members++;
          }
          if (state === 'key' || (this.isScalarCapture && this.depth === 0)) {
            // A key or a top-level string value ends with its closing quote.
            events.push(...this.finishCapture(chunk, chunkCaptureStart, i));
            chunkCaptureStart = -1;
          }
          continue;
        }
        const c = chunk[i]!;
        if (c === QUOTE) {
          this.inString = true;
          i++;
          continue;
        }
        if (this.isScalarCapture) {
          // A number, true, false or null at the top level ends at a delimiter.
          if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWs(c)) {
            events.push(...this.finishCapture(chunk, chunkCaptureStart, i));
            chunkCaptureStart = -1;
            continue; // re-examine the delimiter in the new state
          }
          i++;
          continue;
        }
        // Between strings inside an object or array: whitespace, punctuation, numbers and literals. A tight loop
        // with the nesting depth in locals (pretty-printed bundles spend most bytes outside strings here).
        let depth = this.depth;
        let deepest = this.maxDepthSeen;
        let closed = false;
        for (; i < n; i++) {
          const kind = BETWEEN[chunk[i]!]!;
          if (kind === 0) continue;
          if (kind === STRING_START) break;
          if (kind === OPENS) {
            if (++depth > deepest) deepest = depth;
          } else if (--depth === 0) {
            i++;
            closed = true;
            break;
          }
        }
        this.depth = depth;
        this.maxDepthSeen = deepest;
        if (closed) {
          events.push(...this.finishCapture(chunk, chunkCaptureStart, i));
          chunkCaptureStart = -1;
        }
        continue;
      }

      const c = chunk[i]!;
      if (isWs(c)) {
        i++;
        continue;
      }
      const at = this.base + i;
      switch (state) {
        case 'start':
          // A UTF-8 byte order mark before the document (RFC 8259 §8.1: a parser MAY ignore it).
          if (at === 0 && c === 0xef && chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf) {
            i += 3;
            break;
          }
          if (c !== OPEN_BRACE)
            throw new ScanError('expected a JSON object (a STIX bundle) at the top level', at);
          this.state = 'key-or-end';
          i++;
          break;
        case 'key-or-end':
          if (c === CLOSE_BRACE && !this.sawComma) {
            this.state = 'done';
            i++;
            break;
          }
          if (c !== QUOTE) throw new ScanError('expected a member name in the top-level object', at);
          this.sawComma = false;
          this.beginCapture('key', at, false);
          chunkCaptureStart = i;
          this.inString = true;
          i++;
          break;
        case 'colon':
          if (c !== COLON) throw new ScanError(`expected ':' after "${this.currentKey}"`, at);
          this.state = 'value';
          i++;
          break;
        case 'value':
          if (this.currentKey === 'objects' && !this.oneObject) {
            if (this.seenObjects) throw new ScanError('duplicate "objects" member', at);
            if (c === OPEN_BRACKET) {
              this.seenObjects = true;
              this.state = 'elem-or-end';
              i++;
              break;
            }
            if (this.bundleTyped) throw new ScanError('"objects" must be an array', at);
            // Not yet known to be a bundle: a one-object document's `type` may come later (members have no
            // order). Read as a member; `end()` refuses it unless a type other than "bundle" turned up.
            this.objectsMemberAt = at;
          }
          this.beginCapture('header-value', at, !(c === OPEN_BRACE || c === OPEN_BRACKET || c === QUOTE));
          chunkCaptureStart = i;
          if (c === QUOTE) {
            this.isScalarCapture = true;
            this.inString = true;
          } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
            this.depth = 1;
          }
          i++;
          break;
        case 'after-value':
          if (c === COMMA) {
            this.state = 'key-or-end';
            this.sawComma = true;
            i++;
          } else if (c === CLOSE_BRACE) {
            this.state = 'done';
            i++;
          } else throw new ScanError("expected ',' or '}' in the top-level object", at);
          break;
        case 'elem-or-end':
          if (c === CLOSE_BRACKET && !this.sawComma) {
            this.state = 'after-value';
            i++;
            break;
          }
          this.sawComma = false;
          if (c === OPEN_BRACE) {
            this.beginCapture('elem', at, false);
            chunkCaptureStart = i;
            this.depth = 1;
            this.maxDepthSeen = 1;
            i++;
          } else if (c === OPEN_BRACKET || c === QUOTE || isScalarStart(c)) {
            // Not an object: capture it anyway (to skip it precisely), then report it.
            this.beginCapture('elem', at, !(c === OPEN_BRACKET || c === QUOTE));
            chunkCaptureStart = i;
            this.overLimit = true;
            if (c === OPEN_BRACKET) this.depth = 1;
            if (c === QUOTE) {
              this.isScalarCapture = true;
              this.inString = true;
            }
            i++;
          } else throw new ScanError('expected an object in "objects"', at);
          break;
        case 'after-elem':
          if (c === COMMA) {
            this.state = 'elem-or-end';
            this.sawComma = true;
            i++;
          } else if (c === CLOSE_BRACKET) {
            this.state = 'after-value';
            i++;
          } else throw new ScanError("expected ',' or ']' between objects in \"objects\"", at);
          break;
        case 'done':
          throw new ScanError('unexpected content after the end of the bundle', at);
        default:
          throw new ScanError(`scanner in unexpected state ${String(state)}`, at);
      }
    }

    if (this.isCapturing() && chunkCaptureStart >= 0) this.keepPiece(chunk, chunkCaptureStart, n);
    this.base += n;
  }

  /** Call after the last chunk. Throws if the document ended early. */
  end(): ScanEvent[] {
    if (this.state !== 'done') {
      if (this.state === 'start') throw new ScanError('empty input: expected a STIX bundle', this.base);
      throw new ScanError('unexpected end of input (truncated bundle)', this.base);
    }
    if (this.objectsMemberAt !== undefined && !this.otherType)
      throw new ScanError('"objects" must be an array', this.objectsMemberAt);
    return [];
  }

  private isCapturing(): boolean {
    return this.state === 'elem' || this.state === 'header-value' || this.state === 'key';
  }

  private beginCapture(state: 'elem' | 'header-value' | 'key', at: number, scalar: boolean): void {
    this.state = state;
    this.pieces = [];
    this.pieceBytes = 0;
    this.captureStart = at;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.overLimit = false;
    this.isScalarCapture = scalar;
    this.members = 0;
    this.membersKnown = true;
    this.head = undefined;
  }

  private limitFor(): number {
    return this.state === 'elem' ? this.limits.maxObjectBytes : this.limits.maxHeaderValueBytes;
  }

  private keepPiece(chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    this.pieceBytes += to - from;
    if (this.pieceBytes > this.limitFor()) {
      if (this.state !== 'elem') {
        throw new ScanError(
          `top-level member "${this.currentKey}" exceeds ${this.limits.maxHeaderValueBytes} bytes`,
          this.captureStart,
        );
      }
      // Too large: stop keeping bytes but keep scanning to find the element's end — up to a point: an element
      // that goes on and on (endless input) ends the document instead of the scan running forever.
      if (this.pieceBytes > SKIP_FACTOR * this.limits.maxObjectBytes)
        throw new ScanError(
          `an element of over ${SKIP_FACTOR * this.limits.maxObjectBytes} bytes in "objects": giving up on the document`,
          this.captureStart,
        );
      if (!this.overLimit) this.head = (this.pieces[0] ?? chunk.subarray(from, to)).subarray(0, HEAD_BYTES);
      this.overLimit = true;
      this.pieces = [];
      return;
    }
    if (!this.overLimit) this.pieces.push(chunk.subarray(from, to));
  }

  private finishCapture(chunk: Uint8Array, from: number, to: number): ScanEvent[] {
    const sizeBefore = this.pieceBytes;
    this.keepPiece(chunk, from, to);
    const total = sizeBefore + Math.max(0, to - from);
    const bytes = this.overLimit
      ? new Uint8Array(0)
      : this.pieces.length === 1
        ? this.pieces[0]!
        : concat(this.pieces, this.pieceBytes);
    const state = this.state;
    this.pieces = [];
    this.pieceBytes = 0;
    this.isScalarCapture = false;

    if (state === 'key') {
      this.currentKey = parseSmall(bytes, this.captureStart, 'member name').value as string;
      this.state = 'colon';
      return [];
    }
    if (state === 'header-value') {
      this.state = 'after-value';
      const { value, text } = parseSmall(bytes, this.captureStart, this.currentKey);
      if (this.currentKey === 'type') {
        if (value === 'bundle') {
          this.bundleTyped = true;
          if (this.objectsMemberAt !== undefined)
            throw new ScanError('"objects" must be an array', this.objectsMemberAt);
        } else {
          this.otherType = true;
          if (!this.seenObjects) this.oneObject = true;
        }
      }
      return [
        typeof value === 'object' && value !== null
          ? { kind: 'header', key: this.currentKey, value, text }
          : { kind: 'header', key: this.currentKey, value },
      ];
    }
    // An element of `objects`.
    this.state = 'after-elem';
    const index = this.elementIndex++;
    const offset = this.captureStart;
    if (this.overLimit) {
      if (total > this.limits.maxObjectBytes) {
        return [
          {
            kind: 'rejected',
            index,
            offset,
            rule: 'too-large',
            message: `object is ${total} bytes, over the limit of ${this.limits.maxObjectBytes}`,
            objectId: apparentId(this.head),
          },
        ];
      }
      return [
        { kind: 'rejected', index, offset, rule: 'not-an-object', message: 'element is not a JSON object' },
      ];
    }
    if (this.maxDepthSeen > this.limits.maxDepth) {
      return [
        {
          kind: 'rejected',
          index,
          offset,
          rule: 'too-deep',
          message: `object nests ${this.maxDepthSeen} levels deep, over the limit of ${this.limits.maxDepth}`,
          objectId: apparentId(bytes.subarray(0, HEAD_BYTES)),
        },
      ];
    }
    return [{ kind: 'object', index, offset, bytes, members: this.membersKnown ? this.members : undefined }];
  }
}

function isScalarStart(c: number): boolean {
  return c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
}

/** Whether the quote at `end` is escaped: the run of backslashes right before it (within [from,end)) is odd. */
function endsWithOddBackslashes(chunk: Uint8Array, from: number, end: number, carried: boolean): boolean {
  let count = 0;
  let k = end - 1;
  while (k >= from && chunk[k] === BACKSLASH) {
    count++;
    k--;
  }
  // If the whole span was backslashes, the escape state carried in from the previous chunk continues the run.
  if (k < from && carried) count++;
  return count % 2 === 1;
}

function concat(pieces: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of pieces) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseSmall(bytes: Uint8Array, offset: number, what: string): { value: unknown; text: string } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new ScanError(`invalid UTF-8 in ${what}`, offset);
  }
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch (err) {
    throw new ScanError(`invalid JSON in ${what}: ${(err as Error).message}`, offset);
  }
}

/** Decodes one element's bytes as UTF-8 (strictly) — the text that is stored verbatim. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
