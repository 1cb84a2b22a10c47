/** `entente audit`: read the append-only audit log (admins; the local CLI operator is one). */
import type { Command } from 'commander';
import { EntenteError } from '../core/errors.js';
import { LOCAL_OPERATOR } from '../services/index.js';
import { withNode } from './context.js';

interface AuditFlags {
  since?: string;
  action?: string;
  principal?: string;
  object?: string;
  limit?: string;
  json?: boolean;
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('show the audit log: who read, exported, shared or changed what, when, from where')
    .option('--since <time>', 'only entries at or after this RFC 3339 time')
    .option('--action <action>', 'only this action (read, export, share, org.add, group.create …)')
    .option('--principal <id>', 'only this principal')
    .option('--object <id>', 'only this object')
    .option('--limit <n>', 'at most this many entries', '1000')
    .option('--json', 'machine-readable output')
    .action(async (flags: AuditFlags, cmd: Command) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new EntenteError('INVALID', '--limit must be a positive integer');
      await withNode(cmd, async (node) => {
        const rows = await node.services.audit.list(LOCAL_OPERATOR, {
          since: flags.since,
          action: flags.action,
          principalId: flags.principal,
          objectId: flags.object,
          limit,
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        for (const r of rows)
          process.stdout.write(
            `${r.at}  ${r.principalName} (${r.principalId})  ${r.action}  ${r.objectId ?? r.collectionId ?? '-'}  ${r.address ?? ''}  ${JSON.stringify(r.detail)}\n`,
          );
      });
    });
}
