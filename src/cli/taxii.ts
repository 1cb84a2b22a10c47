/**
 * `entente taxii discover|collections|pull|push URL …`: the TAXII 2.1 client from the command line. Credentials
 * come from --user with $ENTENTE_TAXII_PASSWORD, or --token / $ENTENTE_TAXII_TOKEN (never echoed).
 * Also registers the user, token and permission verbs (src/cli/user.ts) that the TAXII server needs.
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { invalid } from '../core/errors.js';
import { isTimestamp } from '../core/stix/index.js';
import { decodeUtf8 } from '../core/json/bundle-scanner.js';
import { scanStream } from '../core/json/scan-stream.js';
import { TaxiiClient, checkUrl, type ClientFilter, type Credentials } from '../taxii/client.js';
import type { StixJson } from '../taxii/types.js';
import { EXIT, withNode } from './context.js';
import { openInput } from './input.js';
import { fmt } from './output.js';
import { registerUserCommands } from './user.js';

interface ClientFlags {
  user?: string;
  token?: string;
  timeout?: string;
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

/** A positive number of seconds from an option, in ms. */
function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw invalid(`${name} must be a positive number of seconds`);
  return n * 1000;
}

/**
 * The client for the server at `url`: credentials go to that origin only (not to another host a discovery
 * document or a redirect names).
 */
function clientOf(flags: ClientFlags, url: string): TaxiiClient {
  let credentials: Credentials | undefined;
  const token = flags.token ?? process.env.ENTENTE_TAXII_TOKEN;
  if (flags.user !== undefined) {
    const password = process.env.ENTENTE_TAXII_PASSWORD;
    if (password === undefined) throw invalid('--user needs the password in $ENTENTE_TAXII_PASSWORD');
    credentials = { username: flags.user, password };
  } else if (token !== undefined && token !== '') {
    credentials = { token };
  }
  return new TaxiiClient({
    credentials,
    credentialOrigins: [checkUrl(url).origin],
    userAgent: 'entente-taxii-client',
    timeoutMs: seconds(flags.timeout, '--timeout'),
  });
}

const withCredentials = (c: Command): Command =>
  c
    .option('--user <name>', 'HTTP Basic user (password in $ENTENTE_TAXII_PASSWORD)')
    .option('--token <token>', 'API token (default $ENTENTE_TAXII_TOKEN)')
    .option('--timeout <seconds>', 'per request, the download included (default 60)');

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
      const client = clientOf(flags, url);
      const d = await client.discover(url);
      const origin = checkUrl(url).origin;
      const roots = [];
      for (const r of d.api_roots ?? [])
        roots.push(
          new URL(r).origin !== origin
            ? { url: r, note: `on another origin than ${origin}: not contacted` }
            : { url: r, ...(await client.apiRoot(r).catch((e: Error) => ({ error: e.message }))) },
        );
      process.stdout.write(`${JSON.stringify({ ...d, api_roots: roots }, null, 2)}\n`);
    });

  withCredentials(taxii.command('collections').argument('<api-root>', 'API root URL'))
    .description('list the collections of an API root that you may read or write')
    .action(async (url: string, flags: ClientFlags) => {
      const cols = await clientOf(flags, url).collections(url);
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
      if (flags.limit !== undefined && !/^[1-9][0-9]*$/.test(flags.limit))
        throw invalid('--limit must be a positive integer');
      if (flags.addedAfter !== undefined && !isTimestamp(flags.addedAfter))
        throw invalid('--added-after must be a timestamp such as 2021-03-02T10:00:00.000Z');
      const filter: ClientFilter = {
        types: csv(flags.type),
        ids: csv(flags.id),
        addedAfter: flags.addedAfter,
        versions: flags.allVersions ? ['all'] : undefined,
        limit: flags.limit !== undefined ? Number(flags.limit) : undefined,
      };
      const objects = clientOf(flags, url).iterateObjects(url, collection, filter);
      let count = 0;
      const text = bundleText(objects, (n) => (count = n));
      if (flags.out === '-') {
        for await (const chunk of text)
          if (!process.stdout.write(chunk))
            await new Promise<void>((r) => process.stdout.once('drain', () => r()));
        process.stderr.write(`pulled ${fmt(count)} objects\n`);
        return;
      }
      if (flags.out !== undefined) {
        // Written beside the target and renamed into place once whole: a pull that fails half-way leaves no
        // truncated bundle behind (and an existing file untouched).
        const target = flags.out;
        const partial = join(dirname(target), `.${basename(target)}.${randomUUID()}.partial`);
        const out = createWriteStream(partial, { flags: 'wx' });
        const failed = new Promise<never>((_, reject) => out.once('error', reject));
        failed.catch(() => undefined);
        try {
          await Promise.race([new Promise<void>((r) => out.once('open', () => r())), failed]);
          for await (const chunk of text)
            if (!out.write(chunk))
              await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
          await Promise.race([new Promise<void>((r) => out.end(() => r())), failed]);
          renameSync(partial, target);
        } catch (err) {
          out.destroy();
          rmSync(partial, { force: true });
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
            throw invalid(`cannot write ${target}: ${code}`);
          throw err;
        }
        process.stderr.write(`pulled ${fmt(count)} objects into ${target}\n`);
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
    .option('--wait-timeout <seconds>', 'how long to wait for each status to complete (default 300)')
    .action(
      async (
        url: string,
        collection: string,
        file: string,
        flags: ClientFlags & { wait: boolean; waitTimeout?: string },
      ) => {
        const waitMs = seconds(flags.waitTimeout, '--wait-timeout');
        const client = clientOf(flags, url);
        // An object too large for any envelope the server takes is reported, and the others still go.
        const tooLarge: string[] = [];
        const statuses = await client.addObjects(url, collection, objectsOf(file), {
          onTooLarge: (o, bytes, max) =>
            tooLarge.push(`  not sent ${String(o.id)}: ${fmt(bytes)} bytes in an envelope, over ${fmt(max)}`),
        });
        for (const line of tooLarge) process.stdout.write(`${line}\n`);
        if (!flags.wait) {
          process.stdout.write(`${JSON.stringify(statuses.map((s) => s.id))}\n`);
          process.exitCode = tooLarge.length > 0 ? EXIT.problems : EXIT.ok;
          return;
        }
        let success = 0;
        let failure = 0;
        const pending: string[] = [];
        for (const st of statuses) {
          const done = await client
            .waitForStatus(url, st.id, waitMs !== undefined ? { timeoutMs: waitMs } : {})
            .catch(() => undefined);
          if (done === undefined) {
            pending.push(st.id);
            continue;
          }
          success += done.success_count;
          failure += done.failure_count;
          for (const f of (done.failures ?? []).slice(0, 50))
            process.stdout.write(`  failed ${f.id} ${f.version}: ${f.message ?? ''}\n`);
        }
        process.stdout.write(
          `pushed ${fmt(success + failure)} objects in ${statuses.length} request(s): ${fmt(success)} stored, ${fmt(failure)} failed` +
            (tooLarge.length > 0 ? `, ${fmt(tooLarge.length)} not sent (too large)` : '') +
            (pending.length > 0 ? `; still pending: ${pending.join(' ')}` : '') +
            '\n',
        );
        process.exitCode = failure > 0 || tooLarge.length > 0 || pending.length > 0 ? EXIT.problems : EXIT.ok;
      },
    );

  for (const c of taxii.commands) c.exitOverride();
  taxii.exitOverride();
  registerUserCommands(program);
}
