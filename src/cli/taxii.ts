/**
 * `entente taxii discover|collections|pull|push URL …`: the TAXII 2.1 client from the command line. Credentials
 * come from --user with $ENTENTE_TAXII_PASSWORD, or --token / $ENTENTE_TAXII_TOKEN (never echoed).
 * Also registers the user, token and permission verbs (src/cli/user.ts) that the TAXII server needs.
 */
import { createWriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { invalid } from '../core/errors.js';
import { decodeUtf8 } from '../core/json/bundle-scanner.js';
import { scanStream } from '../core/json/scan-stream.js';
import { TaxiiClient, type ClientFilter, type Credentials } from '../taxii/client.js';
import type { StixJson } from '../taxii/types.js';
import { EXIT, withNode } from './context.js';
import { openInput } from './input.js';
import { fmt } from './output.js';
import { registerUserCommands } from './user.js';

interface ClientFlags {
  user?: string;
  token?: string;
}

interface PullFlags extends ClientFlags {
  into?: string;
  out?: string;
  type?: string;
  id?: string;
  addedAfter?: string;
  allVersions?: boolean;
  limit?: string;
}

function clientOf(flags: ClientFlags): TaxiiClient {
  let credentials: Credentials | undefined;
  const token = flags.token ?? process.env.ENTENTE_TAXII_TOKEN;
  if (flags.user !== undefined) {
    const password = process.env.ENTENTE_TAXII_PASSWORD;
    if (password === undefined) throw invalid('--user needs the password in $ENTENTE_TAXII_PASSWORD');
    credentials = { username: flags.user, password };
  } else if (token !== undefined && token !== '') {
    credentials = { token };
  }
  return new TaxiiClient({ credentials, userAgent: 'entente-taxii-client' });
}

const withCredentials = (c: Command): Command =>
  c
    .option('--user <name>', 'HTTP Basic user (password in $ENTENTE_TAXII_PASSWORD)')
    .option('--token <token>', 'API token (default $ENTENTE_TAXII_TOKEN)');

const csv = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');

async function* bundleText(
  objects: AsyncIterable<StixJson>,
  count: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  yield enc.encode(`{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`);
  let n = 0;
  for await (const o of objects) {
    yield enc.encode(`${n > 0 ? ',' : ''}\n${JSON.stringify(o)}`);
    count(++n);
  }
  yield enc.encode('\n]}\n');
}

/** The objects of a bundle or envelope file, one by one (the file is streamed, never held whole). */
async function* objectsOf(file: string): AsyncGenerator<StixJson> {
  for await (const ev of scanStream(openInput(file).stream)) {
    if (ev.kind === 'header') continue;
    if (ev.kind === 'rejected') throw invalid(`object ${ev.index}: ${ev.message}`);
    yield JSON.parse(decodeUtf8(ev.bytes)) as StixJson;
  }
}

export function registerTaxiiCommands(program: Command): void {
  const taxii = program.command('taxii').description('TAXII 2.1 client: discover, list, pull and push');

  withCredentials(taxii.command('discover').argument('<url>', 'server URL (…/taxii2/ is added if missing)'))
    .description("show a server's discovery resource and its API roots")
    .action(async (url: string, flags: ClientFlags) => {
      const client = clientOf(flags);
      const d = await client.discover(url);
      const roots = [];
      for (const r of d.api_roots ?? [])
        roots.push({ url: r, ...(await client.apiRoot(r).catch((e: Error) => ({ error: e.message }))) });
      process.stdout.write(`${JSON.stringify({ ...d, api_roots: roots }, null, 2)}\n`);
    });

  withCredentials(taxii.command('collections').argument('<api-root>', 'API root URL'))
    .description('list the collections of an API root that you may read or write')
    .action(async (url: string, flags: ClientFlags) => {
      const cols = await clientOf(flags).collections(url);
      process.stdout.write(`${JSON.stringify(cols, null, 2)}\n`);
    });

  withCredentials(
    taxii
      .command('pull')
      .argument('<api-root>', 'API root URL')
      .argument('<collection>', 'collection id on the server'),
  )
    .description(
      "fetch a collection's objects into a local collection (--into) or a bundle file (--out, - = stdout)",
    )
    .option('--into <collection>', 'local collection id or name (created if new)')
    .option('--out <file>', 'write a STIX bundle here')
    .option('--type <types>', 'only these types (comma-separated)')
    .option('--id <ids>', 'only these ids (comma-separated)')
    .option('--added-after <timestamp>', 'only objects added after this time')
    .option('--all-versions', 'every version, not only the latest')
    .option('--limit <n>', 'page size to ask for')
    .action(async (url: string, collection: string, flags: PullFlags, cmd: Command) => {
      if ((flags.into === undefined) === (flags.out === undefined))
        throw invalid('give exactly one of --into and --out');
      const filter: ClientFilter = {
        types: csv(flags.type),
        ids: csv(flags.id),
        addedAfter: flags.addedAfter,
        versions: flags.allVersions ? ['all'] : undefined,
        limit: flags.limit !== undefined ? Number(flags.limit) : undefined,
      };
      const objects = clientOf(flags).iterateObjects(url, collection, filter);
      let count = 0;
      const text = bundleText(objects, (n) => (count = n));
      if (flags.out !== undefined) {
        const out = flags.out === '-' ? process.stdout : createWriteStream(flags.out);
        for await (const chunk of text)
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        if (out !== process.stdout)
          await new Promise<void>((resolve, reject) => {
            out.once('error', reject);
            out.end(() => resolve());
          });
        process.stderr.write(`pulled ${fmt(count)} objects\n`);
        return;
      }
      await withNode(cmd, async (node) => {
        const local = await node.services.collections.ensure(flags.into!);
        const report = await node.services.ingest.importStream(text, { collectionId: local.id });
        process.stdout.write(
          `pulled ${fmt(report.received)} objects into ${local.alias ?? local.id}: ${fmt(report.added)} added, ` +
            `${fmt(report.duplicates)} unchanged, ${fmt(report.rejected + report.conflicts)} refused\n`,
        );
        process.exitCode = report.rejected + report.conflicts > 0 ? EXIT.problems : EXIT.ok;
      });
    });

  withCredentials(
    taxii
      .command('push')
      .argument('<api-root>', 'API root URL')
      .argument('<collection>', 'collection id on the server')
      .argument('<file>', 'STIX bundle or TAXII envelope (- = stdin)'),
  )
    .description("send a bundle's objects (split to respect max_content_length) and wait for the status")
    .option('--no-wait', 'do not wait for the server to finish')
    .action(async (url: string, collection: string, file: string, flags: ClientFlags & { wait: boolean }) => {
      const client = clientOf(flags);
      const statuses = await client.addObjects(url, collection, objectsOf(file));
      if (!flags.wait) {
        process.stdout.write(`${JSON.stringify(statuses.map((s) => s.id))}\n`);
        return;
      }
      let success = 0;
      let failure = 0;
      for (const st of statuses) {
        const done = await client.waitForStatus(url, st.id);
        success += done.success_count;
        failure += done.failure_count;
        for (const f of (done.failures ?? []).slice(0, 50))
          process.stdout.write(`  failed ${f.id} ${f.version}: ${f.message ?? ''}\n`);
      }
      process.stdout.write(
        `pushed ${fmt(success + failure)} objects in ${statuses.length} request(s): ${fmt(success)} stored, ${fmt(failure)} failed\n`,
      );
      process.exitCode = failure > 0 ? EXIT.problems : EXIT.ok;
    });

  for (const c of taxii.commands) c.exitOverride();
  taxii.exitOverride();
  registerUserCommands(program);
}
