/**
 * Ingest: a STIX 2.1 bundle (or TAXII envelope) arriving as a byte stream is split object by object, each object is
 * parsed, validated and prepared, and valid objects are stored in batches.
 *
 * Atomicity (see docs/decisions/0001-import-atomicity.md): by default each object is its own unit — a valid object
 * is stored whole, an invalid one is reported with its path and never stored, and the rest of the bundle goes on
 * (this is also TAXII's per-object status model). `atomic: true` makes the whole import one transaction: any
 * error, conflict or structural problem and nothing at all is stored.
 */
import type { Problem } from '../core/errors.js';
import type { ScannerLimits } from '../core/json/bundle-scanner.js';
import { canonicalJson, checkNewVersion, type StixObject } from '../core/stix/index.js';
import type { BatchPlan, BatchWrite, NewVersion, Storage, WritePolicy } from '../storage/index.js';
import {
  inSharingGroup,
  prepareFrames,
  prepareFramesInWorker,
  prepareVersion,
  type Frame,
} from './ingest-pipeline.js';
import { nodeValidateOptions } from './validation.js';
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
  /** Publish every new version in this sharing group (docs/sharing.md); the caller checks that it exists. */
  readonly sharingGroupId?: string | undefined;
  /**
   * Parse and validate on a worker thread, overlapping with the database writes (for large imports: the worker
   * costs a few tens of milliseconds to start).
   */
  readonly parallel?: boolean;
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

const DEFAULT_BATCH = 1000;

class AtomicAbort extends Error {}

export class IngestService {
  constructor(private readonly storage: Storage) {}

  /** The policy the store applies when a version meets already-stored ones. */
  readonly policy: WritePolicy = {
    sameContent: (a, b) => canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b)),
    checkTransition: (bodies, _next, nextBody) => {
      const existing = bodies.map((b) => JSON.parse(b) as StixObject);
      const problems = checkNewVersion(existing, JSON.parse(nextBody) as StixObject);
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
    // A bundle import is the bulk write the storage can be tuned for (atomic imports commit once: nothing to tune).
    return this.storage.bulkWrites(() =>
      this.storage.objects.groupedWrites((write) => this.run(source, options, write)),
    );
  }

  /** Parses, validates and prepares one object (for callers that batch by themselves, e.g. TAXII POST). */
  prepare(
    bytes: Uint8Array,
    path: string,
    offset: number,
    names?: number,
  ): { version?: NewVersion; problems: Problem[] } {
    return prepareVersion(bytes, path, offset, this.validateOptions, names);
  }

  private readonly validateOptions = nodeValidateOptions();

  private async run(
    source: AsyncIterable<Uint8Array>,
    options: ImportOptions,
    write: BatchWrite,
  ): Promise<ImportReport> {
    // One batch is written while the next is prepared. PostgreSQL: the server stores a batch while this process
    // parses the next one, and plans its rows. SQLite's inserts run on this thread, synchronously, but a write may
    // first wait for a background checkpoint (so that the WAL is rewound, `BackgroundCheckpointer.headroom`): the
    // next frame is parsed meanwhile.
    const planned = this.storage.kind === 'postgres';
    const pipelineOptions = {
      batchSize: options.batchSize ?? DEFAULT_BATCH,
      limits: options.limits,
      yieldToWrites: planned && options.parallel !== true,
    };
    const frames: AsyncIterable<Frame> = options.parallel
      ? prepareFramesInWorker(source, pipelineOptions)
      : prepareFrames(source, pipelineOptions, this.validateOptions);
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

    const report = (p: Problem): void => {
      if (problems.length < maxProblems) problems.push(p);
      else problemsOmitted++;
    };

    // At most one write is in flight and one frame waits for it, which bounds memory; writes stay in order.
    let writing: Promise<void> | undefined;
    // The write in flight, observed when awaited (next frame, or below): never an unhandled rejection meanwhile.
    const track = (p: Promise<void>): void => {
      writing = p;
      p.catch(() => undefined);
    };
    const store = async (
      frame: Frame,
      versions: readonly NewVersion[],
      plan: BatchPlan | undefined,
      progress: ImportProgress,
    ): Promise<void> => {
      const outcomes = await write(options.collectionId, versions, this.policy, plan);
      outcomes.forEach((o, k) => {
        const v = frame.versions[k]!;
        const path = `$.objects[${frame.indexes[k]!}]`;
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
      options.onProgress?.(progress);
    };
    try {
      for await (const frame of frames) {
        received += frame.received;
        rejected += frame.rejected;
        warnings += frame.warnings;
        bytes += frame.bytes;
        bundleId ??= frame.bundleId;
        fatal ??= frame.fatal;
        frame.problems.forEach(report);
        const progress = { objects: received, bytes };
        if (frame.versions.length === 0) {
          if (writing === undefined) options.onProgress?.(progress);
          else track(writing.then(() => options.onProgress?.(progress)));
          continue;
        }
        // Objects before a structural failure are complete and valid; they are stored (unless atomic).
        const groupId = options.sharingGroupId;
        const versions =
          groupId === undefined ? frame.versions : frame.versions.map((v) => inSharingGroup(v, groupId));
        // This frame was prepared, and its rows are planned, while the previous one is written: once that is
        // done, write this one.
        const plan = planned
          ? await this.storage.objects.planBatch(options.collectionId, versions, this.policy)
          : undefined;
        if (writing !== undefined) await writing;
        track(store(frame, versions, plan, progress));
      }
    } finally {
      // A failed read of the input still lets the write in flight finish (or fail) before this returns.
      if (writing !== undefined) await writing.catch(() => undefined);
    }
    await writing;
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
}
