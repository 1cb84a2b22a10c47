/** `entente org …`: the alliance's organisations on this node (each also a STIX identity). */
import type { Command } from 'commander';
import { LOCAL_OPERATOR } from '../services/index.js';
import { withNode } from './context.js';

export function registerOrgCommand(program: Command): void {
  const org = program
    .command('org')
    .description('manage organisations (alliance members, each a STIX identity)');
  org
    .command('add <name>')
    .description('register an organisation; prints its identity id')
    .option('--id <identity>', 'adopt an existing identity id (identity--UUID) instead of a new one')
    .option('--description <text>', 'a description for its STIX identity')
    .option('--json', 'print the STIX identity object')
    .action(
      async (name: string, flags: { id?: string; description?: string; json?: boolean }, cmd: Command) => {
        await withNode(cmd, async (node) => {
          const o = await node.services.sharing.addOrganization(LOCAL_OPERATOR, {
            name,
            id: flags.id,
            description: flags.description,
          });
          process.stdout.write(flags.json ? `${o.identity}\n` : `${o.id}  ${o.name}\n`);
        });
      },
    );
  org
    .command('list')
    .description('list organisations')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const orgs = await node.services.sharing.listOrganizations();
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify(
              orgs.map((o) => ({ id: o.id, name: o.name, createdAt: o.createdAt })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        for (const o of orgs) process.stdout.write(`${o.id}  ${o.name}\n`);
      });
    });
  org
    .command('show <org>')
    .description("print an organisation's STIX identity (by id or name)")
    .action(async (idOrName: string, _flags: unknown, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const o = await node.services.sharing.organization(idOrName);
        process.stdout.write(`${JSON.stringify(JSON.parse(o.identity), null, 2)}\n`);
      });
    });
  org
    .command('remove <org>')
    .description('remove an organisation (and its sharing-group memberships)')
    .action(async (idOrName: string, _flags: unknown, cmd: Command) => {
      await withNode(cmd, async (node) => {
        await node.services.sharing.removeOrganization(LOCAL_OPERATOR, idOrName);
      });
    });
}
