/** `entente stats`: what the store holds, by type and by collection. */
import type { Command } from 'commander';
import { organizationReader } from '../core/access/policy.js';
import { withNode } from './context.js';
import { fmt } from './output.js';

export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('count stored objects by type and collection')
    .option('--json', 'machine-readable output')
    .option('--as <org>', 'count only what this organisation (id or name) may see (docs/sharing.md)')
    .action(async (flags: { json?: boolean; as?: string }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const s = await node.services.stats.stats(
          flags.as === undefined
            ? undefined
            : organizationReader((await node.services.sharing.organization(flags.as)).id),
        );
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${s.database}: ${fmt(s.objects)} objects, ${fmt(s.versions)} versions\n\nby type:\n`,
        );
        for (const t of s.byType)
          process.stdout.write(
            `  ${t.type.padEnd(32)} ${fmt(t.objects).padStart(10)} ${fmt(t.versions).padStart(10)}\n`,
          );
        process.stdout.write('\ncollections:\n');
        for (const c of s.collections) {
          process.stdout.write(
            `  ${(c.alias ?? c.id).padEnd(24)} ${c.id}  ${fmt(c.objects).padStart(10)} objects\n`,
          );
        }
      });
    });
}
