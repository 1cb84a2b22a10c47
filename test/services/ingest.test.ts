import { afterEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/services/index.js';
import { openStorage, type BatchWrite, type Storage, type WriteOutcome } from '../../src/storage/index.js';
import { indicator } from '../e2e/taxii-support.js';
import { inSharingGroup, prepareVersion } from '../../src/services/ingest-pipeline.js';
import { testDatabases } from '../support/databases.js';

const enc = new TextEncoder();

async function* chunked(text: string, size = 4096): AsyncGenerator<Uint8Array> {
  const bytes = enc.encode(text);
  for (let i = 0; i < bytes.length; i += size) yield await Promise.resolve(bytes.subarray(i, i + size));
}

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function malware(n: number, extra: Record<string, unknown> = {}) {
  return {
    type: 'malware',
    spec_version: '2.1',
    id: `malware--${uuid(n)}`,
    created: '2021-03-02T00:00:00.000Z',
    modified: '2021-03-02T00:00:00.000Z',
    name: `m${n}`,
    is_family: true,
    ...extra,
  };
}

const bundle = (objects: unknown[], id = `bundle--${uuid(999)}`) =>
  JSON.stringify({ type: 'bundle', id, objects }, null, 2);

async function collect(it: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const c of it) s += c;
  return s;
}

const modes = testDatabases.flatMap((target) =>
  (target.name === 'sqlite' ? [false, true] : [false]).map((parallel) => ({ target, parallel })),
);

for (const { target, parallel } of modes) {
  describe.skipIf(!target.available)(
    `ingest and export on ${target.name}${parallel ? ', parsing on a worker thread' : ''}`,
    () => {
      let storage: Storage | undefined;
      let services: Services;
      let collectionId: string;

      async function open() {
        storage = await openStorage(await target.fresh());
        services = createServices(storage);
        collectionId = (await services.collections.ensure('test')).id;
      }

      afterEach(async () => {
        await storage?.close();
        storage = undefined;
      });

      it('stores every valid object and exports them byte for byte', async () => {
        await open();
        const objects = Array.from({ length: 2500 }, (_, i) => malware(i));
        const text = bundle(objects);
        const report = await services.ingest.importStream(chunked(text, 777), { parallel, collectionId });
        expect(report).toMatchObject({
          received: 2500,
          added: 2500,
          rejected: 0,
          conflicts: 0,
          committed: true,
          fatal: undefined,
        });
        const exported = JSON.parse(await collect(services.exports.exportBundle({ collectionId }))) as {
          objects: unknown[];
        };
        expect(exported.objects).toEqual(objects);
        const raw = await collect(services.exports.exportBundle({ collectionId, ids: [objects[5]!.id] }));
        // the stored text is the exact slice of the input, indentation included
        expect(raw).toContain(JSON.stringify(objects[5], null, 2).replace(/\n/g, '\n    '));
      });

      it('re-importing the same bundle is a no-op', async () => {
        await open();
        const text = bundle([malware(1), malware(2)]);
        await services.ingest.importStream(chunked(text), { parallel, collectionId });
        const again = await services.ingest.importStream(chunked(text), { parallel, collectionId });
        expect(again).toMatchObject({ added: 0, duplicates: 2, conflicts: 0 });
      });

      it('reports each invalid object with its id and path, and stores the rest', async () => {
        await open();
        const bad = { ...malware(2), created: 'yesterday' };
        const text = bundle([malware(1), bad, { type: 'malware' }, '{not an object', malware(3)]);
        const report = await services.ingest.importStream(chunked(text), { parallel, collectionId });
        expect(report).toMatchObject({ received: 5, added: 2, rejected: 3 });
        const paths = report.problems.filter((p) => p.severity === 'error').map((p) => p.path);
        expect(paths.some((p) => p.startsWith('$.objects[1].created'))).toBe(true);
        expect(paths.some((p) => p.startsWith('$.objects[2]'))).toBe(true);
        expect(paths).toContain('$.objects[3]');
        expect(report.problems.find((p) => p.path.startsWith('$.objects[1]'))?.objectId).toBe(bad.id);
        expect((await services.stats.stats()).objects).toBe(2);
      });

      it('duplicate ids with different bodies: the first is stored, the second is a conflict', async () => {
        await open();
        const text = bundle([malware(1, { description: 'a' }), malware(1, { description: 'b' })]);
        const report = await services.ingest.importStream(chunked(text), { parallel, collectionId });
        expect(report).toMatchObject({ added: 1, conflicts: 1 });
        expect(report.problems[0]).toMatchObject({
          path: '$.objects[1]',
          objectId: malware(1).id,
          rule: 'conflict',
        });
      });

      it('--atomic stores nothing when any object fails', async () => {
        await open();
        const text = bundle([malware(1), { ...malware(2), modified: '2020-01-01T00:00:00.000Z' }]);
        const report = await services.ingest.importStream(chunked(text), {
          parallel,
          collectionId,
          atomic: true,
        });
        expect(report).toMatchObject({ committed: false, added: 0, rejected: 1 });
        expect((await services.stats.stats()).objects).toBe(0);
      });

      it('a truncated bundle is reported with its byte offset; complete objects before it are kept unless atomic', async () => {
        await open();
        const text = bundle([malware(1), malware(2)]);
        const cut = text.slice(0, text.length - 40);
        const report = await services.ingest.importStream(chunked(cut), { parallel, collectionId });
        expect(report.fatal?.message).toMatch(/truncated/);
        expect(report.added).toBe(1);
        await storage!.close();
        await open();
        const atomic = await services.ingest.importStream(chunked(cut), {
          parallel,
          collectionId,
          atomic: true,
        });
        expect(atomic).toMatchObject({ committed: false, added: 0 });
        expect((await services.stats.stats()).objects).toBe(0);
      });

      it('JSON nested 100,000 deep is refused without crashing', async () => {
        await open();
        const deep = '['.repeat(100_000) + ']'.repeat(100_000);
        const text = `{"type":"bundle","id":"bundle--${uuid(1)}","objects":[{"x":${deep}},${JSON.stringify(malware(1))}]}`;
        const report = await services.ingest.importStream(chunked(text, 65536), { parallel, collectionId });
        expect(report).toMatchObject({ received: 2, added: 1, rejected: 1 });
        expect(report.problems[0]).toMatchObject({ path: '$.objects[0]', rule: 'too-deep' });
      });

      it('refuses what is not a bundle', async () => {
        await open();
        for (const text of [
          '',
          'null',
          '[1,2]',
          '{"type":"indicator","id":"x"}',
          '{"id":"bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8"}',
          'garbage',
        ]) {
          const report = await services.ingest.importStream(chunked(text), { parallel, collectionId });
          expect(report.fatal, text).toBeDefined();
          expect(report.added).toBe(0);
        }
        // Objects before a structural break are whole and valid: stored, and the break reported. (They used to be
        // lost when the break was in the same chunk.)
        const broken = await services.ingest.importStream(
          chunked(
            `{"type":"bundle","objects":[${JSON.stringify(malware(71))},${JSON.stringify(malware(72))} ${JSON.stringify(malware(73))}]}`,
          ),
          { parallel, collectionId },
        );
        expect(broken.fatal?.message).toMatch(/expected ','/);
        expect(broken.received).toBe(2);
        expect(broken.added).toBe(2);
        // A bundle without objects is valid STIX (§8.1: objects is optional): nothing to import, no error.
        const empty = await services.ingest.importStream(
          chunked('{"type":"bundle","id":"bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8"}'),
          { parallel, collectionId },
        );
        expect(empty.fatal).toBeUndefined();
        expect(empty.received).toBe(0);
        expect(empty.warnings).toBe(0);
        // The bundle's own rules are warnings on import (validate reports them as errors): no id, an empty list.
        const loose = await services.ingest.importStream(chunked('{"type":"bundle","objects":[]}'), {
          parallel,
          collectionId,
        });
        expect(loose.fatal).toBeUndefined();
        expect(loose.problems.map((p) => `${p.severity} ${p.rule}@${p.path}`)).toEqual([
          'warning required@$.id',
          'warning empty-list@$.objects',
        ]);
      });

      it('a 256 MiB stream is read with bounded memory: an oversized object is skipped, not buffered', async () => {
        await open();
        const chunk = enc.encode('a'.repeat(1 << 20));
        async function* huge(): AsyncGenerator<Uint8Array> {
          yield enc.encode(`{"type":"bundle","id":"bundle--${uuid(1)}","objects":[{"description":"`);
          for (let i = 0; i < 256; i++) yield await Promise.resolve(chunk);
          yield enc.encode(`"},${JSON.stringify(malware(1))}]}`);
        }
        const before = process.memoryUsage().rss;
        const report = await services.ingest.importStream(huge(), { parallel, collectionId });
        expect(report).toMatchObject({ received: 2, added: 1, rejected: 1 });
        expect(report.problems[0]?.rule).toBe('too-large');
        // the 256 MiB object was never held: growth stays far below its size
        expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024);
      });

      it('an oversized object is refused and the import goes on', async () => {
        await open();
        const text = bundle([malware(1, { description: 'x'.repeat(20_000) }), malware(2)]);
        const report = await services.ingest.importStream(chunked(text, 1000), {
          collectionId,
          limits: { maxObjectBytes: 10_000 },
        });
        expect(report).toMatchObject({ added: 1, rejected: 1 });
        expect(report.problems[0]?.rule).toBe('too-large');
      });

      it('an indicator whose STIX pattern does not parse is refused with the position of the error', async () => {
        await open();
        const text = bundle([
          indicator(1, "[ipv4-addr:value = '203.0.113.1']"),
          indicator(2, "[ipv4-addr:value = '203.0.113.1'"),
        ]);
        const report = await services.ingest.importStream(chunked(text), { parallel, collectionId });
        expect(report).toMatchObject({ added: 1, rejected: 1 });
        const p = report.problems.find((x) => x.severity === 'error');
        expect(p).toMatchObject({ objectId: indicator(2, '').id });
        expect(p?.path).toMatch(/^\$\.objects\[1\]\.pattern/);
        expect(p?.message).toMatch(/column/);
      });

      it('revocation is final: no newer version of a revoked object is stored', async () => {
        await open();
        await services.ingest.importStream(chunked(bundle([malware(1, { revoked: true })])), {
          parallel,
          collectionId,
        });
        const later = malware(1, { modified: '2022-01-01T00:00:00.000Z' });
        const report = await services.ingest.importStream(chunked(bundle([later])), {
          parallel,
          collectionId,
        });
        expect(report).toMatchObject({ added: 0, rejected: 1 });
        expect(report.problems[0]).toMatchObject({ objectId: later.id, rule: 'version' });
      });

      it('new versions supersede old ones; export gives the latest unless all versions are asked for', async () => {
        await open();
        const v1 = malware(1);
        const v2 = malware(1, { modified: '2021-04-01T00:00:00.000Z', description: 'updated' });
        await services.ingest.importStream(chunked(bundle([v1])), { parallel, collectionId });
        await services.ingest.importStream(chunked(bundle([v2])), { parallel, collectionId });
        const last = JSON.parse(await collect(services.exports.exportBundle({ collectionId }))) as {
          objects: unknown[];
        };
        expect(last.objects).toEqual([v2]);
        const all = JSON.parse(await collect(services.exports.exportBundle({ versions: 'all' }))) as {
          objects: unknown[];
        };
        expect(all.objects).toEqual([v1, v2]);
      });

      it('writes stay in order, one at a time, and the next batch is prepared meanwhile', async () => {
        await open();
        const objects = Array.from({ length: 50 }, (_, n) => malware(100 + n));
        // Slow, asynchronous writes (as on PostgreSQL): the next frame is ready before a write completes.
        const events: string[] = [];
        let writing = 0;
        let read = 0; // bytes of input read so far
        const readAtWriteEnd: number[] = [];
        wrapWrites(storage!, async (write, c, batch, policy, plan) => {
          expect(++writing).toBe(1);
          events.push(`write ${batch[0]!.id}`);
          await new Promise((r) => setTimeout(r, 5));
          const outcomes = await write(c, batch, policy, plan);
          readAtWriteEnd.push(read);
          writing--;
          return outcomes;
        });
        const text = bundle(objects);
        async function* counted(): AsyncGenerator<Uint8Array> {
          for await (const chunk of chunked(text, 512)) {
            read += chunk.length;
            yield chunk;
          }
        }
        const report = await services.ingest.importStream(counted(), {
          parallel,
          collectionId,
          batchSize: 7,
          onProgress: (p) => events.push(`progress ${p.objects}`),
        });
        expect(report).toMatchObject({ received: 50, added: 50, committed: true });
        // Each batch's progress follows its write, in order; the last (short) batch too.
        const expected: string[] = [];
        for (let i = 0; i < 50; i += 7)
          expected.push(`write ${objects[i]!.id}`, `progress ${Math.min(i + 7, 50)}`);
        expect(events).toEqual(expected);
        // While the first batch (objects 0-6) was written, the second (7-13) was read and prepared (in-process or by
        // the worker thread; on SQLite a write may wait for a checkpoint, on PostgreSQL for the server).
        const endOfSecondBatch = text.indexOf(objects[13]!.id) + JSON.stringify(objects[13]).length;
        expect(readAtWriteEnd[0]).toBeGreaterThan(endOfSecondBatch);
        const stored = JSON.parse(await collect(services.exports.exportBundle({ collectionId }))) as {
          objects: unknown[];
        };
        expect(stored.objects).toEqual(objects);
      });

      it('a failing write fails the import once the write in flight is settled', async () => {
        await open();
        const objects = Array.from({ length: 30 }, (_, n) => malware(200 + n));
        let calls = 0;
        wrapWrites(storage!, async (write, c, batch, policy, plan) => {
          if (++calls === 2) throw new Error('disk full');
          return write(c, batch, policy, plan);
        });
        await expect(
          services.ingest.importStream(chunked(bundle(objects), 512), {
            parallel,
            collectionId,
            batchSize: 10,
          }),
        ).rejects.toThrow('disk full');
        expect(calls).toBe(2);
        const stored = JSON.parse(await collect(services.exports.exportBundle({ collectionId }))) as {
          objects?: unknown[];
        };
        // What was committed before the failure stays: on SQLite each batch commits by itself; on PostgreSQL the
        // batches of an import commit in groups (of up to 5,000 versions), and the failure rolled back its group.
        expect(stored.objects ?? []).toEqual(target.name === 'postgres' ? [] : objects.slice(0, 10));
      });
    },
  );
}

/** Puts `around` between an import and its batch writes (`ObjectRepository.groupedWrites`). */
function wrapWrites(
  storage: Storage,
  around: (write: BatchWrite, ...args: Parameters<BatchWrite>) => Promise<WriteOutcome[]>,
): void {
  const grouped = storage.objects.groupedWrites.bind(storage.objects);
  storage.objects.groupedWrites = <T>(fn: (write: BatchWrite) => Promise<T>): Promise<T> =>
    grouped((write) => fn((...args) => around(write, ...args)));
}

describe('inSharingGroup', () => {
  it('gives the version with its group and every other property as it was, in the same order', () => {
    const { version, problems } = prepareVersion(
      enc.encode(JSON.stringify(malware(7, { created_by_ref: `identity--${uuid(8)}` }))),
      '$.objects[0]',
      0,
      {},
    );
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const v = version!;
    const grouped = inSharingGroup(v, 'group-a');
    const expected = { ...v, sharingGroupId: 'group-a' };
    expect(grouped).toStrictEqual(expected);
    expect(Object.keys(grouped)).toEqual(Object.keys(expected));
    expect(grouped.body).toBe(v.body);
  });
});
