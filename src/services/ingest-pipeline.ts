/**
 * The CPU half of ingest — split, decode, parse, validate, prepare — as a stream of frames (a batch of prepared
 * versions plus the problems and counts seen on the way). It runs in-process, or in a worker thread so that on a
 * multi-core machine parsing and validation overlap with the database writes of the previous batch.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { accessOf } from '../core/access/facts.js';
import type { Problem } from '../core/errors.js';
import { ScanError, decodeUtf8, type ScannerLimits } from '../core/json/bundle-scanner.js';
import { scanStream } from '../core/json/scan-stream.js';
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
}

const BUNDLE_ID_RE = /^bundle--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A bundle's top-level `type`, when present, must be "bundle" (a TAXII envelope has none). */
export function assertBundleType(key: string, value: unknown): void {
  if (key === 'type' && value !== 'bundle') {
    throw new ScanError(`not a STIX bundle: "type" is ${JSON.stringify(value)}, expected "bundle"`, 0);
  }
}

/** The version an object is stored under: `modified`, else `created`, as a sortable key; '' for SCOs. */
export function versionOfObject(obj: StixObject): { version: string | null; versionKey: string } {
  const o = obj as { modified?: string; created?: string };
  const version = isScoType(obj.type) ? null : (o.modified ?? o.created ?? null);
  return { version, versionKey: version === null ? '' : timestampKey(version) };
}

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
  try {
    for await (const event of scanStream(source, options.limits, (n) => (frame.bytes += n))) {
      if (event.kind === 'header') {
        assertBundleType(event.key, event.value);
        if (event.key === 'id') {
          if (typeof event.value === 'string' && BUNDLE_ID_RE.test(event.value)) frame.bundleId = event.value;
          else {
            frame.problems.push({
              path: '$.id',
              message: 'bundle id must be "bundle--" followed by a UUID',
              severity: 'error',
              rule: 'id-format',
            });
            frame.rejected++;
          }
        }
        continue;
      }
      frame.received++;
      const path = `$.objects[${event.index}]`;
      if (event.kind === 'rejected') {
        frame.rejected++;
        frame.problems.push({
          path,
          message: `${event.message} (at byte ${event.offset})`,
          severity: 'error',
          rule: event.rule,
        });
        continue;
      }
      const prepared = prepareVersion(event.bytes, path, event.offset, validateOptions);
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
    }
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    frame.fatal = { message: err.message, offset: err.offset };
    frame.problems.push({ path: '$', message: err.message, severity: 'error', rule: 'json' });
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
    return {
      text,
      problems: [
        {
          path,
          message: `invalid JSON at byte ${offset}: ${(err as Error).message}`,
          severity: 'error',
          rule: 'json',
        },
      ],
    };
  }
  const problems = validateObject(value, options).map((p) => ({
    ...p,
    path: path + p.path.replace(/^\$/, ''),
  }));
  if (problems.some((p) => p.severity === 'error')) return { text, problems };
  return { text, value: value as StixObject, problems };
}

/** Parses, validates and prepares one object. `version` is absent when it must not be stored. */
export function prepareVersion(
  bytes: Uint8Array,
  path: string,
  offset: number,
  options: ValidateOptions,
): { version?: NewVersion; problems: Problem[] } {
  const parsed = parseAndValidate(bytes, path, offset, options);
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
      rawHash: createHash('sha256').update(text).digest('base64'),
      body: text,
      access: accessOf(obj),
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

function startWorker(options: PipelineOptions): Worker {
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
