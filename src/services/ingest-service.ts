/**
 * Ingest: a STIX 2.1 bundle (or TAXII envelope) arriving as a byte stream is split object by object, each object is
 * parsed, validated and prepared, and valid objects are stored in batches.
 *
 * Atomicity (see docs/decisions/0001-import-atomicity.md): by default each object is its own unit — a valid object
 * is stored whole, an invalid one is reported with its path and never stored, and the rest of the bundle goes on
 * (this is also TAXII's per-object status model). `atomic: true` makes the whole import one transaction: any
 * error, conflict or structural problem and nothing at all is stored.
 */
import { createHash } from 'node:crypto';
import type { Problem } from '../core/errors.js';
import { ScanError, decodeUtf8, type ScannerLimits } from '../core/json/bundle-scanner.js';
import { scanStream } from '../core/json/scan-stream.js';
import {
  canonicalJson,
  checkNewVersion,
  isScoType,
  timestampKey,
  validateObject,
  type StixObject,
  type ValidateOptions,
} from '../core/stix/index.js';
import type { NewVersion, Storage, WriteOutcome, WritePolicy } from '../storage/index.js';

export interface ImportOptions {
  /** Collection id (the caller resolves aliases). */
  readonly collectionId: string;
  readonly atomic?: boolean;
  readonly batchSize?: number;
  readonly limits?: Partial<ScannerLimits>;
  /** Called after each stored batch and at the end. */
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Keep at most this many problems in the report (counts are always complete). */
  readonly maxProblems?: number;
}

export interface ImportProgress {
  readonly objects: number;
  readonly bytes: number;
}

export interface ImportReport {
  readonly bundleId: string | undefined;
  /** Elements seen in `objects`. */
  readonly received: number;
  readonly added: number;
  readonly duplicates: number;
  readonly conflicts: number;
  /** Objects refused: invalid, unparseable, over a limit, or against the version rules. */
  readonly rejected: number;
  readonly warnings: number;
  /** Whether anything was stored (false for a failed atomic import). */
  readonly committed: boolean;
  /** A structural failure of the document itself (truncated, not a bundle …), with the byte offset. */
  readonly fatal: { readonly message: string; readonly offset: number } | undefined;
  readonly problems: readonly Problem[];
  /** Problems not kept in `problems` because of `maxProblems`. */
  readonly problemsOmitted: number;
  readonly bytes: number;
}

export interface ObjectOutcome {
  readonly index: number;
  readonly id: string | undefined;
  readonly outcome: WriteOutcome['status'] | 'invalid';
  readonly message?: string;
}

const DEFAULT_BATCH = 1000;

class AtomicAbort extends Error {}

export class IngestService {
  constructor(
    private readonly storage: Storage,
    private readonly validateOptions: ValidateOptions = {},
  ) {}

  /** The policy the store applies when a version meets already-stored ones. */
  readonly policy: WritePolicy = {
    sameContent: (a, b) => canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b)),
    checkTransition: (bodies, next) => {
      const existing = bodies.map((b) => JSON.parse(b) as StixObject);
      const problems = checkNewVersion(existing, JSON.parse(next.body) as StixObject);
      return problems.filter((p) => p.severity === 'error').map((p) => p.message);
    },
  };

  async importStream(source: AsyncIterable<Uint8Array>, options: ImportOptions): Promise<ImportReport> {
    if (options.atomic) {
      try {
        return await this.storage.objects.inTransaction(async (write) => {
          const report = await this.run(source, options, write);
          if (report.fatal || report.rejected > 0 || report.conflicts > 0)
            throw new AtomicAbort('', { cause: report });
          return report;
        });
      } catch (err) {
        if (err instanceof AtomicAbort) {
          const report = err.cause as ImportReport;
          return { ...report, added: 0, duplicates: 0, committed: false };
        }
        throw err;
      }
    }
    return this.run(source, options, (c, b, p) => this.storage.objects.writeBatch(c, b, p));
  }

  private async run(
    source: AsyncIterable<Uint8Array>,
    options: ImportOptions,
    write: (
      collectionId: string,
      batch: readonly NewVersion[],
      policy: WritePolicy,
    ) => Promise<WriteOutcome[]>,
  ): Promise<ImportReport> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const maxProblems = options.maxProblems ?? 1000;
    const problems: Problem[] = [];
    let problemsOmitted = 0;
    let received = 0;
    let added = 0;
    let duplicates = 0;
    let conflicts = 0;
    let rejected = 0;
    let warnings = 0;
    let bytes = 0;
    let bundleId: string | undefined;
    let fatal: ImportReport['fatal'];
    let batch: NewVersion[] = [];
    let batchIndexes: number[] = [];

    const report = (p: Problem): void => {
      if (problems.length < maxProblems) problems.push(p);
      else problemsOmitted++;
    };

    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const outcomes = await write(options.collectionId, batch, this.policy);
      outcomes.forEach((o, k) => {
        const v = batch[k]!;
        const path = `$.objects[${batchIndexes[k]!}]`;
        if (o.status === 'added') added++;
        else if (o.status === 'duplicate') duplicates++;
        else if (o.status === 'conflict') {
          conflicts++;
          report({ path, objectId: v.id, message: o.message, severity: 'error', rule: 'conflict' });
        } else {
          rejected++;
          report({ path, objectId: v.id, message: o.message, severity: 'error', rule: 'version' });
        }
      });
      batch = [];
      batchIndexes = [];
      options.onProgress?.({ objects: received, bytes });
    };

    const handleHeader = (key: string, value: unknown): void => {
      if (key === 'type' && value !== 'bundle') {
        throw new ScanError(`not a STIX bundle: "type" is ${JSON.stringify(value)}, expected "bundle"`, 0);
      }
      if (key === 'id') {
        if (
          typeof value === 'string' &&
          /^bundle--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(value)
        ) {
          bundleId = value;
        } else {
          report({
            path: '$.id',
            message: 'bundle id must be "bundle--" followed by a UUID',
            severity: 'error',
            rule: 'id-format',
          });
          rejected++;
        }
      }
    };

    try {
      for await (const event of scanStream(source, options.limits, (n) => (bytes += n))) {
        if (event.kind === 'header') {
          handleHeader(event.key, event.value);
          continue;
        }
        received++;
        const path = `$.objects[${event.index}]`;
        if (event.kind === 'rejected') {
          rejected++;
          report({
            path,
            message: `${event.message} (at byte ${event.offset})`,
            severity: 'error',
            rule: event.rule,
          });
          continue;
        }
        const prepared = this.prepare(event.bytes, path, event.offset);
        for (const p of prepared.problems) {
          if (p.severity === 'warning') warnings++;
          report(p);
        }
        if (!prepared.version) {
          rejected++;
          continue;
        }
        batch.push(prepared.version);
        batchIndexes.push(event.index);
        if (batch.length >= batchSize) await flush();
      }
    } catch (err) {
      if (!(err instanceof ScanError)) throw err;
      fatal = { message: err.message, offset: err.offset };
      report({ path: '$', message: err.message, severity: 'error', rule: 'json' });
    }
    // Objects before a structural failure are complete and valid; they are stored (unless atomic).
    await flush();
    options.onProgress?.({ objects: received, bytes });
    return {
      bundleId,
      received,
      added,
      duplicates,
      conflicts,
      rejected,
      warnings,
      committed: true,
      fatal,
      problems,
      problemsOmitted,
      bytes,
    };
  }

  /** Parses, validates and prepares one object. `version` is absent when it must not be stored. */
  prepare(bytes: Uint8Array, path: string, offset: number): { version?: NewVersion; problems: Problem[] } {
    const parsed = parseAndValidate(bytes, path, offset, this.validateOptions);
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
    const version = isScoType(obj.type) ? null : (obj.modified ?? obj.created ?? null);
    return {
      problems,
      version: {
        id: obj.id,
        type: obj.type,
        specVersion: obj.spec_version ?? '2.1',
        versionKey: version === null ? '' : timestampKey(version),
        version,
        createdByRef: obj.created_by_ref ?? null,
        markings: obj.object_marking_refs ?? null,
        revoked: obj.revoked === true,
        rawHash: createHash('sha256').update(text).digest('base64'),
        body: text,
      },
    };
  }
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

export { ScanError };
