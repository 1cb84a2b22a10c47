/**
 * What serving a large POST's status costs while it is polled: a 10,000-object POST is recorded in 10 batches of
 * 1,000 (as TAXII POSTs are stored), and after each batch the status is read and its bytes built once, as the
 * status route does on its first poll of each state. Reports the event loop's time for those 10 states per POST,
 * over `--posts` POSTs (the first, with cold code, listed apart).
 *
 *   npm run bench:taxii-status [-- --posts 8] [--pg]
 */
import { randomUUID } from 'node:crypto';
import { taxiiService, taxiiTypes } from './built.js';
import { benchDatabase, benchNode, benchToken, commandLine, median, runContext } from './support.js';

const { TaxiiService } = taxiiService;

const { option, flag } = commandLine();
const POSTS = Number(option('posts', '8'));
const usePg = flag('pg');
const OBJECTS = 10_000;
const BATCH = 1_000;

async function main(): Promise<void> {
  const database = await benchDatabase(usePg, 'taxii-status');
  const node = await benchNode(database.url);
  const collection = await node.services.collections.ensure('bench-status');
  const token = await benchToken(node.services.sharing, node.auth, 'analyst', [
    { collectionId: collection.id, canWrite: true },
  ]);
  const principal = await node.taxii.authenticate(`Bearer ${token}`);
  const svc = new TaxiiService(node.storage, node.services.ingest, node.auth, node.config.taxii);
  const perPost: number[] = [];
  for (let post = 0; post < POSTS; post++) {
    const id = randomUUID();
    const now = new Date().toISOString();
    await node.storage.taxii.createStatus(
      {
        id,
        collectionId: collection.id,
        principalId: principal.id,
        requestTimestamp: now,
        total: OBJECTS,
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
      now,
    );
    let ms = 0;
    for (let from = 0; from < OBJECTS; from += BATCH) {
      await node.storage.taxii.recordOutcomes(
        id,
        Array.from({ length: BATCH }, (_, k) => ({
          idx: from + k,
          objectId: `indicator--${randomUUID()}`,
          version: now,
          success: true,
          message: null,
        })),
        now,
      );
      const t0 = performance.now();
      const status = await svc.status(principal, 'api', id);
      Buffer.from(status[taxiiTypes.STATUS_JSON] ?? JSON.stringify(status));
      ms += performance.now() - t0;
    }
    perPost.push(Number(ms.toFixed(1)));
  }
  await svc.close();
  await node.close();
  await database.dispose();
  console.log(
    JSON.stringify(
      {
        ...runContext(usePg),
        objectsPerPost: OBJECTS,
        statesPerPost: OBJECTS / BATCH,
        firstPostMs: perPost[0],
        warmPostsMs: perPost.slice(1),
        medianWarmPostMs: median(perPost.slice(1)),
      },
      null,
      2,
    ),
  );
}

await main();
