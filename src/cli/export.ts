/** `entente export`: write a collection, or a filtered set of stored objects, as one STIX 2.1 bundle. */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { organizationReader } from '../core/access/policy.js';
import { withNode } from './context.js';

interface ExportFlags {
  collection?: string;
  type?: string[];
  id?: string[];
  allVersions?: boolean;
  out?: string;
  as?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').filter(Boolean),
];

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('write stored objects as a STIX 2.1 bundle (to stdout unless --out)')
    .option('-c, --collection <name>', 'only this collection (id or name)')
    .option('-t, --type <types>', 'only these types (comma-separated, repeatable)', collect)
    .option('--id <ids>', 'only these ids (comma-separated, repeatable)', collect)
    .option('--all-versions', 'every stored version, not only the latest')
    .option('-o, --out <file>', 'write to a file')
    .option('--as <org>', 'only what this organisation (id or name) may see (docs/sharing.md)')
    .action(async (flags: ExportFlags, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const collectionId = flags.collection
          ? (await node.services.collections.get(flags.collection)).id
          : undefined;
        const chunks = node.services.exports.exportBundle({
          collectionId,
          types: flags.type,
          ids: flags.id,
          versions: flags.allVersions ? 'all' : 'last',
          as:
            flags.as === undefined
              ? undefined
              : organizationReader((await node.services.sharing.organization(flags.as)).id),
        });
        const out = flags.out ? createWriteStream(flags.out) : process.stdout;
        await pipeline(Readable.from(chunks), out, { end: flags.out !== undefined });
      });
    });
}
