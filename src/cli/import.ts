/** `entente import FILE|-`: validate and store a STIX 2.1 bundle, streaming, with a progress bar and a summary. */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { Node } from '../main.js';
import type { ImportReport } from '../services/index.js';
import { EXIT, withNode } from './context.js';
import { openInput } from './input.js';
import { fmt, formatBytes, printProblems, ProgressBar } from './output.js';

/** Inputs at least this large (or of unknown size, e.g. stdin) are parsed on a worker thread... */
const PARALLEL_MIN_BYTES = 4 * 1024 * 1024;
/**
 * ...given a core for each busy process or thread. On SQLite an import keeps three busy: the writer, the parsing
 * worker and the WAL checkpointer; on PostgreSQL, the writer, the parsing worker and the server, which stores one
 * batch while this process prepares the next (`IngestService`). On two cores one thread was measured faster on
 * SQLite, and as fast on PostgreSQL with about 0.7 s less CPU and 100 MB less memory (docs/benchmarks.md, import,
 * fifth and sixth sessions).
 */
const PARALLEL_MIN_CPUS = 3;

/** Whether an import of `size` bytes (undefined: unknown) parses on a worker thread. */
export function parallelImport(size: number | undefined, cpus: number): boolean {
  if (size !== undefined && size < PARALLEL_MIN_BYTES) return false;
  return cpus >= PARALLEL_MIN_CPUS;
}

interface ImportFlags {
  collection: string;
  atomic?: boolean;
  json?: boolean;
  quiet?: boolean;
  group?: string;
}

export async function importFile(
  node: Node,
  file: string,
  flags: {
    collection: string;
    atomic?: boolean | undefined;
    progress?: boolean | undefined;
    /** Sharing group (id or name) to publish the new versions in (docs/sharing.md). */
    group?: string | undefined;
  },
): Promise<{ report: ImportReport; seconds: number; collection: { id: string; alias: string | null } }> {
  const created = !(await node.services.collections.exists(flags.collection));
  const sharingGroupId =
    flags.group === undefined ? undefined : (await node.services.sharing.group(flags.group)).id;
  const collection = await node.services.collections.ensure(flags.collection);
  const input = openInput(file);
  const bar = new ProgressBar(input.size, flags.progress ?? process.stderr.isTTY === true);
  const started = performance.now();
  let report: ImportReport | undefined;
  let stored = 0;
  // Ctrl-C: what is committed stays (each batch is a transaction; an --atomic import keeps nothing). Say so, then
  // stop as an interrupted command does.
  const interrupted = (): void => {
    bar.done();
    process.stderr.write(
      flags.atomic
        ? '\ninterrupted: nothing stored (--atomic)\n'
        : `\ninterrupted: the first ${fmt(stored)} objects of the bundle are stored (or were refused); import the file again for the rest (what is stored stays unchanged)\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    report = await node.services.ingest.importStream(input.stream, {
      collectionId: collection.id,
      atomic: flags.atomic,
      // Parse and validate on a worker thread while the main thread writes, when the cores allow: below a few MiB
      // starting the worker costs more than the overlap saves (docs/benchmarks.md).
      parallel: parallelImport(input.size, availableParallelism()),
      sharingGroupId,
      onProgress: (p) => {
        stored = p.objects;
        bar.update(p.objects, p.bytes);
      },
    });
  } finally {
    process.removeListener('SIGINT', interrupted);
    bar.done();
    // An import that stored nothing (or failed) into a collection it created leaves no empty collection behind.
    if (created && (report === undefined || (report.added === 0 && report.duplicates === 0)))
      await node.services.collections.removeIfUnused(collection).catch(() => false);
  }
  return { report, seconds: (performance.now() - started) / 1000, collection };
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('validate and store a STIX 2.1 bundle (a file, or - for stdin)')
    .argument('<file>', 'bundle file, or - for stdin')
    .option('-c, --collection <name>', 'collection id or name (created if new)', 'default')
    .option('--atomic', 'all or nothing: store nothing if any object fails')
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress bar')
    .option('-g, --group <group>', 'publish in this sharing group (its members, and the author, only)')
    .action(async (file: string, flags: ImportFlags, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const { report, seconds, collection } = await importFile(node, file, {
          collection: flags.collection,
          atomic: flags.atomic,
          group: flags.group,
          progress: flags.quiet || flags.json ? false : undefined,
        });
        const failed = report.fatal !== undefined || report.rejected > 0 || report.conflicts > 0;
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({ file, collection: collection.id, seconds, ...report }, null, 2)}\n`,
          );
        } else {
          const name = collection.alias ?? collection.id;
          process.stdout.write(
            `${report.committed ? 'Imported' : 'Nothing stored from'} ${file} into collection ${name} (${collection.id})\n` +
              `  ${fmt(report.received)} objects: ${fmt(report.added)} added, ${fmt(report.duplicates)} unchanged, ` +
              `${fmt(report.conflicts)} conflicts, ${fmt(report.rejected)} rejected, ${fmt(report.warnings)} warnings\n` +
              `  ${formatBytes(report.bytes)} in ${seconds.toFixed(2)} s (${fmt(Math.round(report.received / Math.max(seconds, 1e-6)))} objects/s)\n`,
          );
          if (report.fatal) process.stdout.write(`  the bundle is broken: ${report.fatal.message}\n`);
          if (!report.committed)
            process.stdout.write('  --atomic: the import was rolled back because of the errors below\n');
          printProblems(report.problems, report.problemsOmitted);
        }
        process.exitCode = failed ? EXIT.problems : EXIT.ok;
      });
    });
}
