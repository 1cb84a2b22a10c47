/**
 * `entente user add|passwd|token|revoke|grant`: principals for the TAXII server. Passwords are read from stdin
 * (--password-stdin) or $ENTENTE_PASSWORD, never from the command line; a token is printed once, at creation.
 */
import type { Command } from 'commander';
import type { Role } from '../core/access/principal.js';
import { invalid } from '../core/errors.js';
import { withNode } from './context.js';

async function readPassword(fromStdin: boolean | undefined): Promise<string | undefined> {
  if (fromStdin) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  return process.env.ENTENTE_PASSWORD;
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('users, API tokens and collection permissions (TAXII)');

  user
    .command('add')
    .argument('<name>', 'user name')
    .description('create a user (password from --password-stdin or $ENTENTE_PASSWORD; none = tokens only)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--role <roles>', 'comma-separated: admin, analyst, reader, peer', 'reader')
    .option('--org <identity>', 'the organisation (STIX identity id) the user acts for')
    .action(
      async (name: string, flags: { passwordStdin?: boolean; role: string; org?: string }, cmd: Command) => {
        const password = await readPassword(flags.passwordStdin);
        const roles = flags.role.split(',').map((r) => r.trim()) as Role[];
        await withNode(cmd, async (node) => {
          const { id } = await node.auth.createUser({ name, password, roles, organizationId: flags.org });
          process.stdout.write(
            `created user ${name} (${id})${password === undefined ? ' without a password' : ''}\n`,
          );
        });
      },
    );

  user
    .command('passwd')
    .argument('<name>', 'user name')
    .description('set a password (from --password-stdin or $ENTENTE_PASSWORD)')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, flags: { passwordStdin?: boolean }, cmd: Command) => {
      const password = await readPassword(flags.passwordStdin);
      if (password === undefined)
        throw invalid('give the password on stdin (--password-stdin) or in $ENTENTE_PASSWORD');
      await withNode(cmd, (node) => node.auth.setPassword(name, password));
      process.stdout.write(`password of ${name} set\n`);
    });

  user
    .command('token')
    .argument('<name>', 'user name')
    .description('create an API token for a user; it is printed once and never stored in clear')
    .option('--label <label>', 'what the token is for', 'token')
    .option('--expires-days <n>', 'expiry in days (default: none)')
    .action(async (name: string, flags: { label: string; expiresDays?: string }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const t = await node.auth.createToken(
          name,
          flags.label,
          flags.expiresDays !== undefined ? Number(flags.expiresDays) : undefined,
        );
        process.stderr.write(
          `token ${t.id} for ${name}${t.expiresAt ? `, expires ${t.expiresAt}` : ''} (shown once):\n`,
        );
        process.stdout.write(`${t.token}\n`);
      });
    });

  user
    .command('revoke')
    .argument('<token-id>', 'the token id printed at creation')
    .description('revoke an API token')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      await withNode(cmd, (node) => node.auth.revokeToken(id));
      process.stdout.write(`token ${id} revoked\n`);
    });

  user
    .command('grant')
    .argument('<name>', 'user name, or "anonymous"')
    .argument('<collection>', 'collection id or name')
    .description('set can_read/can_write of a user on a collection (neither flag = no access)')
    .option('--read', 'may read')
    .option('--write', 'may write')
    .action(
      async (name: string, collection: string, flags: { read?: boolean; write?: boolean }, cmd: Command) => {
        await withNode(cmd, async (node) => {
          const c = await node.services.collections.ensure(collection);
          await node.auth.grant(name, c.id, { canRead: flags.read === true, canWrite: flags.write === true });
          process.stdout.write(
            `${name} on ${c.alias ?? c.id} (${c.id}): can_read=${flags.read === true} can_write=${flags.write === true}\n`,
          );
        });
      },
    );

  for (const c of user.commands) c.exitOverride();
  user.exitOverride();
}
