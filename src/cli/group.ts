/** `entente group …`: sharing groups (named sets of organisations) and collection default TLP levels. */
import type { Command } from 'commander';
import { EntenteError } from '../core/errors.js';
import { LOCAL_OPERATOR } from '../services/index.js';
import type { SharingGroup } from '../storage/index.js';
import { withNode } from './context.js';

function print(g: SharingGroup, names: ReadonlyMap<string, string>): void {
  process.stdout.write(
    `${g.name}  ${g.id}  pass-on: ${g.passOn ? 'yes' : 'no'}  members: ${
      g.members.length === 0
        ? '(none: publishes to nobody)'
        : g.members.map((m) => names.get(m) ?? m).join(', ')
    }\n`,
  );
}

function yesNo(text: string): boolean {
  if (/^(yes|true|on)$/i.test(text)) return true;
  if (/^(no|false|off)$/i.test(text)) return false;
  throw new EntenteError('INVALID', `expected yes or no, got "${text}"`);
}

export function registerGroupCommand(program: Command): void {
  const group = program
    .command('group')
    .description('manage sharing groups and collection default TLP levels');
  const show = async (cmd: Command, g: SharingGroup | undefined, json?: boolean): Promise<void> =>
    withNode(cmd, async (node) => {
      const names = new Map((await node.services.sharing.listOrganizations()).map((o) => [o.id, o.name]));
      const groups = g ? [g] : await node.services.sharing.listGroups();
      if (json) process.stdout.write(`${JSON.stringify(groups, null, 2)}\n`);
      else for (const x of groups) print(x, names);
    });
  group
    .command('create <name>')
    .description('create a sharing group (empty: it publishes to nobody until members are added)')
    .option('--pass-on', 'members may pass its objects on beyond the group')
    .option('--description <text>', 'what the group is for')
    .action(async (name: string, flags: { passOn?: boolean; description?: string }, cmd: Command) => {
      const g = await withNode(cmd, (node) =>
        node.services.sharing.createGroup(LOCAL_OPERATOR, {
          name,
          passOn: flags.passOn === true,
          description: flags.description,
        }),
      );
      print(g, new Map());
    });
  group
    .command('list')
    .description('list sharing groups and their members')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => show(cmd, undefined, flags.json));
  group
    .command('show <group>')
    .description('one sharing group (by id or name)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: { json?: boolean }, cmd: Command) => {
      const g = await withNode(cmd, (node) => node.services.sharing.group(name));
      await show(cmd, g, flags.json);
    });
  group
    .command('add-member <group> <orgs...>')
    .description('add organisations (ids or names) to a group')
    .action(async (name: string, orgs: string[], _flags: unknown, cmd: Command) => {
      await withNode(cmd, async (node) => {
        for (const o of orgs) await node.services.sharing.addMember(LOCAL_OPERATOR, name, o);
      });
    });
  group
    .command('remove-member <group> <orgs...>')
    .description('remove organisations from a group')
    .action(async (name: string, orgs: string[], _flags: unknown, cmd: Command) => {
      await withNode(cmd, async (node) => {
        for (const o of orgs) await node.services.sharing.removeMember(LOCAL_OPERATOR, name, o);
      });
    });
  group
    .command('pass-on <group> <yes|no>')
    .description('whether members may pass the group objects on beyond the group')
    .action(async (name: string, value: string, _flags: unknown, cmd: Command) => {
      const passOn = yesNo(value);
      await withNode(cmd, (node) => node.services.sharing.setPassOn(LOCAL_OPERATOR, name, passOn));
    });
  group
    .command('remove <group>')
    .description('delete a group (its objects are then seen by their authors only)')
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      await withNode(cmd, (node) => node.services.sharing.removeGroup(LOCAL_OPERATOR, name));
    });
  group
    .command('default-tlp <collection> <level>')
    .description(
      'set the TLP level unmarked objects of a collection take (clear|green|amber|amber+strict|red)',
    )
    .action(async (collection: string, level: string, _flags: unknown, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const c = await node.services.collections.get(collection);
        const set = await node.services.sharing.setCollectionDefault(LOCAL_OPERATOR, c.id, level);
        process.stdout.write(`${c.alias ?? c.id}: unmarked objects are TLP:${set.toUpperCase()}\n`);
      });
    });
}
