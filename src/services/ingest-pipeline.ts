/**
 * The CPU half of ingest — split, decode, parse, validate, prepare — as a stream of frames (a batch of prepared
 * versions plus the problems and counts seen on the way). It runs in-process, or in a worker thread so that on a
 * multi-core machine parsing and validation overlap with the database writes of the previous batch.
 */
import { Worker } from 'node:worker_threads';
import { accessOf } from '../core/access/facts.js';
import type { Problem } from '../core/errors.js';
import {
  ScanError,
  apparentObjectId,
  decodeUtf8,
  type ScanEvent,
  type ScannerLimits,
} from '../core/json/bundle-scanner.js';
import { duplicateMember } from '../core/json/duplicate-keys.js';
import { scanStreamChunks } from '../core/json/scan-stream.js';
import {
  isScoType,
  timestampKey,
  validateObject,
  type StixObject,
  type ValidateOptions,
} from '../core/stix/index.js';
import type { NewVersion } from '../storage/index.js';

export interface Frame {
  /** Prepared versions with their index in `objects`. */
  readonly versions: NewVersion[];
  readonly indexes: number[];
  readonly problems: Problem[];
  /** Elements of `objects` seen since the previous frame. */
  readonly received: number;
  /** Elements refused before storage (invalid, unparseable, over a limit) since the previous frame. */
  readonly rejected: number;
  readonly warnings: number;
  readonly bytes: number;
  readonly bundleId?: string | undefined;
  readonly fatal?: { readonly message: string; readonly offset: number } | undefined;
}

export interface PipelineOptions {
  readonly batchSize: number;
  readonly limits?: Partial<ScannerLimits> | undefined;
  /**
   * Give the event loop a turn every 64 objects (in-process only): for a caller that writes one frame
   * asynchronously (PostgreSQL round trips) while the next is prepared.
   */
  readonly yieldToWrites?: boolean | undefined;
}

const BUNDLE_ID_RE = /^bundle--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A bundle's top-level `type`, when present, must be "bundle" (a TAXII envelope has none). */
export function assertBundleType(key: string, value: unknown): void {
  if (key === 'type' && value !== 'bundle') {
    throw new ScanError(`not a STIX bundle: "type" is ${JSON.stringify(value)}, expected "bundle"`, 0);
  }
}

/**
 * Checks one top-level member of a bundle: a `type` other than "bundle" stops the document (`ScanError`); an `id`
 * that is not `bundle--UUID` is a problem (the objects are still read). Import and validate share it.
 */
export function bundleHeaderProblem(key: string, value: unknown): Problem | undefined {
  assertBundleType(key, value);
  if (key !== 'id' || (typeof value === 'string' && BUNDLE_ID_RE.test(value))) return undefined;
  return {
    path: '$.id',
    message: 'bundle id must be "bundle--" followed by a UUID',
    severity: 'error',
    rule: 'id-format',
  };
}

/** The version an object is stored under: `modified`, else `created`, as a sortable key; '' for SCOs. */
export function versionOfObject(obj: StixObject): { version: string | null; versionKey: string } {
  const o = obj as { modified?: string; created?: string };
  const version = isScoType(obj.type) ? null : (o.modified ?? o.created ?? null);
  return { version, versionKey: version === null ? '' : timestampKey(version) };
}

/** Objects prepared between two turns of the event loop (a power of two). */
const YIELD_EVERY = 64;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** In-process producer. */
export async function* prepareFrames(
  source: AsyncIterable<Uint8Array>,
  options: PipelineOptions,
  validateOptions: ValidateOptions,
): AsyncGenerator<Frame> {
  let frame = emptyFrame();
  const out = (): Frame => {
    const f = frame;
    frame = emptyFrame();
    return f;
  };
  // For the bundle's own rules (§8.1), said as warnings: the objects are what an import is about.
  let isBundle = false;
  let hasId = false;
  let hasObjects = false;
  let elements = 0;
  try {
    for await (const events of scanStreamChunks(
      source,
      options.limits,
      (n) => (frame.bytes += n),
      (seen) => (hasObjects = seen),
    ))
      for (const event of events) {
        if (event.kind === 'header') {
          if (event.key === 'type' && event.value === 'bundle') isBundle = true;
          if (event.key === 'id') hasId = true;
          const problem = bundleHeaderProblem(event.key, event.value);
          if (problem) {
            frame.problems.push(problem);
            frame.rejected++;
          } else if (event.key === 'id') frame.bundleId = event.value as string;
          continue;
        }
        elements++;
        frame.received++;
        const path = `$.objects[${event.index}]`;
        if (event.kind === 'rejected') {
          frame.rejected++;
          frame.problems.push(rejectedProblem(event, path));
          continue;
        }
        const prepared = prepareVersion(event.bytes, path, event.offset, validateOptions, event.members);
        for (const p of prepared.problems) {
          if (p.severity === 'warning') frame.warnings++;
          frame.problems.push(p);
        }
        if (!prepared.version) {
          frame.rejected++;
          continue;
        }
        frame.versions.push(prepared.version);
        frame.indexes.push(event.index);
        if (frame.versions.length >= options.batchSize) yield out();
        // A turn of the event loop every few milliseconds of work (a chunk holds about 500 ATT&CK objects): the
        // caller's write of the previous frame (PostgreSQL round trips) goes on meanwhile.
        else if (options.yieldToWrites === true && (event.index & (YIELD_EVERY - 1)) === YIELD_EVERY - 1)
          await nextTurn();
      }
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    frame.fatal = { message: err.message, offset: err.offset };
    frame.problems.push({ path: '$', message: err.message, severity: 'error', rule: 'json' });
  }
  if (frame.fatal === undefined) {
    const warn = (path: string, message: string, rule: string): void => {
      frame.problems.push({ path, message, severity: 'warning', rule });
      frame.warnings++;
    };
    if (isBundle && !hasId) warn('$.id', 'a bundle requires an id (STIX 2.1 §8.1)', 'required');
    if (hasObjects && elements === 0)
      warn('$.objects', 'lists must not be empty; a bundle with nothing omits objects', 'empty-list');
  }
  yield out();
}

type MutableFrame = { -readonly [K in keyof Frame]: Frame[K] };

function emptyFrame(): MutableFrame {
  return { versions: [], indexes: [], problems: [], received: 0, rejected: 0, warnings: 0, bytes: 0 };
}

/**
 * Decodes, parses and validates one object's bytes. `value` is set only when the object has no error; problem
 * paths are prefixed with `path` (the object's place in the bundle).
 */
export function parseAndValidate(
  bytes: Uint8Array,
  path: string,
  offset: number,
  options: ValidateOptions,
  /** How many member names the scanner counted in `bytes` (`ScanEvent.members`), when known. */
  names?: number,
): { text: string; value?: StixObject; problems: Problem[] } {
  let text: string;
  let value: unknown;
  try {
    text = decodeUtf8(bytes);
  } catch {
    return {
      text: '',
      problems: [
        { path, message: `invalid UTF-8 in object at byte ${offset}`, severity: 'error', rule: 'json' },
      ],
    };
  }
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { text, problems: [jsonProblem(text, path, offset, (err as Error).message)] };
  }
  const problems = validateObject(value, options).map((p) => ({
    ...p,
    path: path + p.path.replace(/^\$/, ''),
  }));
  // Looked for lone surrogates only where the text has such an escape.
  const surrogates = text.includes('\\u') && SURROGATE_ESCAPE.test(text);
  for (const p of textErrors(value, duplicateMember(text, value, names), surrogates))
    problems.push({ ...p, path: path + p.path.slice(1) });
  if (problems.some((p) => p.severity === 'error')) return { text, problems };
  return { text, value: value as StixObject, problems };
}

/** The problem for an element the scanner refused unparsed (too large, too deep, not an object), at `path`. */
export function rejectedProblem(event: Extract<ScanEvent, { kind: 'rejected' }>, path: string): Problem {
  return {
    path,
    ...(event.objectId !== undefined ? { objectId: event.objectId } : {}),
    message: `${event.message} (at byte ${event.offset})`,
    severity: 'error',
    rule: event.rule,
  };
}

/**
 * The errors an object's text shows that its parse hides, with paths from `$`: `duplicate`, the path of a member
 * name given twice (`duplicateMember`), and, when `surrogates` says the text may hold one, a lone surrogate.
 */
export function textErrors(value: unknown, duplicate: string | undefined, surrogates: boolean): Problem[] {
  const errors: Problem[] = [];
  const objectId = idOf(value);
  const refuse = (path: string, rule: string, message: string): void => {
    errors.push({ path, ...(objectId !== undefined ? { objectId } : {}), message, severity: 'error', rule });
  };
  // A member name twice in one object: JavaScript keeps the last value, other parsers the first.
  if (duplicate !== undefined)
    refuse(
      duplicate,
      'duplicate-member',
      'this member name appears twice in one object: refused, since parsers disagree on which value counts (I-JSON, RFC 7493 §2.3)',
    );
  // JSON can escape half a UTF-16 surrogate pair (`"\ud800"`), which is no Unicode text: refused, and never
  // stored (its canonical form, used to compare versions, does not exist).
  const bad = surrogates ? loneSurrogateAt(value, '$') : undefined;
  if (bad !== undefined)
    refuse(
      bad,
      'unicode',
      'a string holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair): not Unicode text',
    );
  return errors;
}

/**
 * The problem for an element that is not valid JSON: where the error is in the document (V8 gives a character
 * position within the element; the document's byte offset is what a user can look up), and the id the object
 * appears to have, when its text shows one.
 */
function jsonProblem(text: string, path: string, offset: number, v8Message: string): Problem {
  const m = / in JSON at position (\d+)/.exec(v8Message) ?? / at position (\d+)/.exec(v8Message);
  const at = m ? offset + Buffer.byteLength(text.slice(0, Number(m[1])), 'utf8') : offset;
  const what = m ? v8Message.slice(0, m.index).replace(/\s*\(line \d+ column \d+\)$/, '') : v8Message;
  const objectId = apparentObjectId(text);
  return {
    path,
    ...(objectId !== undefined ? { objectId } : {}),
    message: `invalid JSON at byte ${at} (the object starts at byte ${offset}): ${what}`,
    severity: 'error',
    rule: 'json',
  };
}

/** A parsed object's `id`, when it is a string. */
const idOf = (value: unknown): string | undefined => {
  const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
};

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** A surrogate not part of a pair (with the `u` flag a pair is one code point, so only a lone one matches). */
const LONE_SURROGATE = /\p{Cs}/u;

/** The path of the first key or string in `v` that is not well-formed UTF-16, if any. */
export function loneSurrogateAt(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return LONE_SURROGATE.test(v) ? path : undefined;
  if (typeof v !== 'object' || v === null) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = loneSurrogateAt(v[i], `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  for (const [k, x] of Object.entries(v)) {
    if (LONE_SURROGATE.test(k)) return `${path}[${JSON.stringify(k)}]`;
    const bad = loneSurrogateAt(x, `${path}.${k}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** Parses, validates and prepares one object. `version` is absent when it must not be stored. */
export function prepareVersion(
  bytes: Uint8Array,
  path: string,
  offset: number,
  options: ValidateOptions,
  names?: number,
): { version?: NewVersion; problems: Problem[] } {
  const parsed = parseAndValidate(bytes, path, offset, options, names);
  if (parsed.value === undefined) return { problems: parsed.problems };
  const { text, value, problems } = parsed;
  const obj = value as StixObject & {
    spec_version?: string;
    modified?: string;
    created?: string;
    created_by_ref?: string;
    object_marking_refs?: string[];
    revoked?: boolean;
  };
  const { version, versionKey } = versionOfObject(obj);
  return {
    problems,
    version: {
      id: obj.id,
      type: obj.type,
      specVersion: obj.spec_version ?? '2.1',
      versionKey,
      version,
      createdByRef: obj.created_by_ref ?? null,
      markings: obj.object_marking_refs ?? null,
      revoked: obj.revoked === true,
      // The bytes are the stored text's UTF-8 (strictly decoded; an element starts with '{', so no BOM was dropped):
      // they are stored as they are, sparing an encoding of the text.
      body: bytes[0] === 0xef ? text : bytes,
      access: accessOf(obj),
      sharingGroupId: undefined,
    },
  };
}

// ---- the worker-thread producer ----

export type ToWorker = { type: 'chunk'; data: Uint8Array } | { type: 'end' };
export type FromWorker =
  { type: 'frame'; frame: Frame } | { type: 'ack' } | { type: 'done' } | { type: 'error'; message: string };

/** Chunks posted ahead of the worker; frames queued ahead of the writer. Bounds memory on any input size. */
const MAX_CHUNKS_IN_FLIGHT = 4;
const MAX_FRAMES_QUEUED = 2;

function startWorker(options: PipelineOptions | ObjectWorkerData): Worker {
  if (import.meta.url.endsWith('.ts')) {
    // Running from source (tests, tsx): the worker is TypeScript, so register the tsx loader inside it first.
    const entry = new URL('./ingest-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: options });
  }
  return new Worker(new URL('./ingest-worker.js', import.meta.url), { workerData: options });
}

/** Worker producer: same frames as `prepareFrames`, computed on another core. */
export async function* prepareFramesInWorker(
  source: AsyncIterable<Uint8Array>,
  options: PipelineOptions,
): AsyncGenerator<Frame> {
  const worker = startWorker(options);
  const frames: Frame[] = [];
  let done = false;
  let failure: Error | undefined;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const wait = (): Promise<void> => new Promise((resolve) => (wake = resolve));

  worker.on('message', (m: FromWorker) => {
    if (m.type === 'frame') frames.push(m.frame);
    else if (m.type === 'ack') inFlight--;
    else if (m.type === 'done') done = true;
    else failure = new Error(`ingest worker: ${m.message}`);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', (code) => {
    if (!done && !failure) failure = new Error(`ingest worker exited with code ${code}`);
    notify();
  });

  let pumpWake: (() => void) | undefined;
  const pumpWait = (): Promise<void> => new Promise((resolve) => (pumpWake = resolve));
  const wakePump = (): void => {
    const w = pumpWake;
    pumpWake = undefined;
    w?.();
  };
  worker.on('message', wakePump);

  // Pump input into the worker, respecting the window, while frames are handed to the caller.
  let pumpError: Error | undefined;
  const pump = (async () => {
    try {
      for await (const chunk of source) {
        while ((inFlight >= MAX_CHUNKS_IN_FLIGHT || frames.length >= MAX_FRAMES_QUEUED) && !failure)
          await pumpWait();
        if (failure) return;
        inFlight++;
        worker.postMessage({ type: 'chunk', data: chunk } satisfies ToWorker);
      }
      worker.postMessage({ type: 'end' } satisfies ToWorker);
    } catch (err) {
      pumpError = err instanceof Error ? err : new Error(String(err));
      failure = pumpError;
      notify();
    }
  })();

  try {
    for (;;) {
      if (frames.length > 0) {
        const f = frames.shift()!;
        wakePump();
        yield f;
        continue;
      }
      if (failure) throw pumpError ?? failure;
      if (done) break;
      await wait();
    }
  } finally {
    failure ??= new Error('ingest consumer stopped');
    wakePump();
    await pump;
    await worker.terminate();
  }
}

// ---- the object-preparing worker (TAXII POST): already-split objects in, prepared versions out ----

/** What `prepareVersion` gives for one object. */
export interface PreparedObject {
  readonly version?: NewVersion | undefined;
  readonly problems: Problem[];
}

/** One object's bytes, as the scanner split them out of a bundle or envelope. */
export interface ObjectToPrepare {
  readonly bytes: Uint8Array;
  /** Where the object is in the document: its index in `objects` (problem paths are `$.objects[index]…`). */
  readonly index: number;
  /** Its byte offset in the document. */
  readonly offset: number;
  /** Member names the scanner counted in it (`ScanEvent.members`), when known. */
  readonly members?: number | undefined;
}

/** `workerData` of an ingest worker that prepares already-split objects instead of running `prepareFrames`. */
export interface ObjectWorkerData {
  readonly mode: 'objects';
}

export type ToObjectWorker = {
  type: 'prepare';
  id: number;
  /** The objects' bytes one after the other (one transferred buffer), each `lengths[k]` long. */
  data: Uint8Array;
  lengths: Uint32Array;
  indexes: Uint32Array;
  offsets: Float64Array;
  /** `ObjectToPrepare.members`, -1 for unknown. */
  members: Int32Array;
};
/** What the object worker answers for one object: `PreparedObject` without the body (the caller has its bytes). */
export interface PreparedWithoutBody {
  readonly version?: Omit<NewVersion, 'body'> | undefined;
  readonly problems: Problem[];
}

export type FromObjectWorker =
  | { type: 'prepared'; id: number; results: PreparedWithoutBody[] }
  | { type: 'error'; id: number; message: string };

/** How long an idle object worker is kept before it is stopped (it is started again on demand). */
const OBJECT_WORKER_IDLE_MS = 60_000;

/**
 * A long-lived ingest worker thread that parses, validates and prepares batches of already-split objects — the
 * same `prepareVersion` as in-process, on another core. Started on first use and kept while in use (so its
 * compiled code stays warm across requests), stopped after a minute idle or by `close()`. It does not keep the
 * process alive while idle. A batch whose worker fails is rejected; the caller may prepare it in-process instead.
 */
export class ObjectPreparer {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (r: PreparedWithoutBody[]) => void; reject: (err: Error) => void }
  >();
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Prepares `objects` on the worker thread; results in the same order. */
  prepare(objects: readonly ObjectToPrepare[]): Promise<PreparedObject[]> {
    if (this.closed) return Promise.reject(new Error('the object preparer is closed'));
    if (objects.length === 0) return Promise.resolve([]);
    const worker = this.started();
    let total = 0;
    for (const o of objects) total += o.bytes.length;
    const data = new Uint8Array(total);
    const lengths = new Uint32Array(objects.length);
    const indexes = new Uint32Array(objects.length);
    const offsets = new Float64Array(objects.length);
    const members = new Int32Array(objects.length);
    let at = 0;
    objects.forEach((o, k) => {
      data.set(o.bytes, at);
      at += o.bytes.length;
      lengths[k] = o.bytes.length;
      indexes[k] = o.index;
      offsets[k] = o.offset;
      members[k] = o.members ?? -1;
    });
    const id = this.nextId++;
    const message: ToObjectWorker = { type: 'prepare', id, data, lengths, indexes, offsets, members };
    return new Promise<PreparedObject[]>((resolve, reject) => {
      const withBodies = (results: PreparedWithoutBody[]): void =>
        resolve(
          results.map((r, k): PreparedObject =>
            r.version === undefined
              ? { problems: r.problems }
              : { problems: r.problems, version: withBody(r.version, objects[k]!.bytes) },
          ),
        );
      this.pending.set(id, { resolve: withBodies, reject });
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      worker.ref(); // work outstanding: keep the process alive until it is answered
      worker.postMessage(message, [
        data.buffer,
        lengths.buffer,
        indexes.buffer,
        offsets.buffer,
        members.buffer,
      ]);
    });
  }

  /** Starts the worker ahead of use (it takes a few hundred milliseconds to load), if it is not running. */
  start(): void {
    if (this.closed || this.worker) return;
    this.settled(this.started());
  }

  /** Stops the worker; outstanding batches are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stop(new Error('the object preparer is closed'));
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker({ mode: 'objects' } satisfies ObjectWorkerData);
    worker.on('message', (m: FromObjectWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'prepared') p.resolve(m.results);
      else p.reject(new Error(`ingest worker: ${m.message}`));
      this.settled(worker);
    });
    worker.on('error', (err) => {
      if (this.worker === worker) void this.stop(err);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) void this.stop(new Error(`ingest worker exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  /** After an answer: when nothing is outstanding, let the process exit and stop the worker once idle long. */
  private settled(worker: Worker): void {
    if (this.pending.size > 0 || this.worker !== worker) return;
    worker.unref();
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stop(), OBJECT_WORKER_IDLE_MS);
    this.idleTimer.unref();
  }

  private async stop(failure?: Error): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(failure ?? new Error('ingest worker stopped'));
    if (worker) await worker.terminate();
  }
}

/** The worker side of `ObjectPreparer`: prepares one batch (run inside the ingest worker). */
export function prepareObjectBatch(m: ToObjectWorker, options: ValidateOptions): PreparedWithoutBody[] {
  const results = new Array<PreparedWithoutBody>(m.lengths.length);
  let at = 0;
  for (let k = 0; k < m.lengths.length; k++) {
    const length = m.lengths[k]!;
    const path = `$.objects[${m.indexes[k]!}]`;
    const { version, problems } = prepareVersion(
      m.data.subarray(at, at + length),
      path,
      m.offsets[k]!,
      options,
      m.members[k]! >= 0 ? m.members[k] : undefined,
    );
    at += length;
    if (version === undefined) results[k] = { problems };
    else {
      // The body goes back as nothing: the caller still has the bytes it sent.
      const { body: _body, ...rest } = version;
      results[k] = { version: rest, problems };
    }
  }
  return results;
}

/**
 * `v` with another body, or in a sharing group: always an explicit literal in `prepareVersion`'s property order, so
 * every version the pipeline hands to the writer has one object shape, which keeps the writer's property reads
 * monomorphic. (A spread would put `body` last, and in Node 20 `{ ...v, key }` also costs several microseconds per
 * object and makes a slower object: docs/benchmarks.md, TAXII, fourth session.)
 */
function versionWith(
  v: Omit<NewVersion, 'body'>,
  body: string | Uint8Array,
  sharingGroupId: string | null | undefined,
): NewVersion {
  return {
    id: v.id,
    type: v.type,
    specVersion: v.specVersion,
    versionKey: v.versionKey,
    version: v.version,
    createdByRef: v.createdByRef,
    markings: v.markings,
    revoked: v.revoked,
    body,
    access: v.access,
    sharingGroupId,
  };
}

function withBody(v: Omit<NewVersion, 'body'>, body: Uint8Array): NewVersion {
  return versionWith(v, body, v.sharingGroupId);
}

/** `v` published in a sharing group. */
export function inSharingGroup(v: NewVersion, sharingGroupId: string): NewVersion {
  return versionWith(v, v.body, sharingGroupId);
}

/**
 * Copies the versions' bodies (bytes) one after the other into one new buffer, and gives the versions with their
 * bodies as views on it: posted with that buffer transferred, a frame's bodies cross to the writer thread without a
 * copy or a string being made of them.
 */
export function packBodies(versions: readonly NewVersion[]): { versions: NewVersion[]; buffer: ArrayBuffer } {
  const encoder = new TextEncoder();
  const bytes = versions.map((v) => (typeof v.body === 'string' ? encoder.encode(v.body) : v.body));
  let total = 0;
  for (const b of bytes) total += b.length;
  const packed = new Uint8Array(total);
  let at = 0;
  const out = versions.map((v, k) => {
    const b = bytes[k]!;
    packed.set(b, at);
    const view = packed.subarray(at, at + b.length);
    at += b.length;
    return withBody(v, view);
  });
  return { versions: out, buffer: packed.buffer };
}
