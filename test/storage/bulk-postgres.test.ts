/**
 * The PostgreSQL bulk inserter (binary array parameters through unnest) against the query-builder reference: the
 * same rows, byte for byte, in the same order with the same sequence numbers; and rolled back with its
 * transaction when a statement fails.
 */
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import {
  queryBuilderInserter,
  type BulkInserter,
  type EntryRow,
  type MarkingRefRow,
  type VersionRow,
} from '../../src/storage/bulk-insert.js';
import { lookupStoredPostgres, postgresInserter } from '../../src/storage/bulk-postgres.js';
import { openDatabase } from '../../src/storage/database.js';
import type { Database } from '../../src/storage/schema.js';
import { testDatabases } from '../support/databases.js';

const postgres = testDatabases.find((d) => d.name === 'postgres')!;

const TRICKY = [
  '',
  'plain',
  'say "hi"',
  'back\\slash \\\\ and \\"',
  '{"a":[1,2,{"b":"c\\"d"}],"e":null}',
  'NULL',
  'null',
  '{}',
  '{,}',
  '  leading and trailing  ',
  'comma, brace } { and "quote"',
  'tab\there\nnew line\r\n',
  Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join(''),
  '\u007f\u0080\u00ff',
  'unicode: é ü ß Ω 中文 日本語 한국어 עברית العربية',
  'astral: 😀 𝄞 🏳️‍🌈 👩‍👩‍👧‍👦',
  'combining: e\u0301 a\u0308 \u200d\u200b\ufeff',
  'x'.repeat(1 << 20),
  `${'{"k":"é😀\\\\\\"",'.repeat(40_000)}"end":1}`,
];

function versionRow(i: number, body: string, extra: Partial<VersionRow> = {}): VersionRow {
  return {
    id: `indicator--${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    version_key: i % 3 === 0 ? '' : `2020-01-01T00:00:00.${String(i).padStart(6, '0')}Z`,
    type: 'indicator',
    spec_version: '2.1',
    version: i % 3 === 0 ? null : '2020-01-01T00:00:00Z',
    created_by_ref: i % 2 === 0 ? null : 'identity--1',
    markings: i % 4 === 0 ? null : '["marking-definition--1"]',
    revoked: i % 5 === 0 ? 1 : 0,
    body,
    tlp_rank: i % 2 === 0 ? null : i % 5,
    eff_rank: 4,
    other_markings: i % 3,
    sharing_group_id: i % 2 === 1 ? null : `group-${i}`,
    source_ref: i % 3 === 1 ? 'a--1' : null,
    target_ref: i % 3 === 2 ? 'b--2' : null,
    ...extra,
  };
}

/** An entry of the version whose row id is `versionRow` (placeholders are mapped by `write`). */
function entryRow(i: number, objectId: string, versionKey: string, versionRow = i + 1): EntryRow {
  return {
    collection_id: 'c1',
    version_row: versionRow,
    object_id: objectId,
    version_key: versionKey,
    type: 'indicator',
    spec_version: '2.1',
    date_added: `2026-01-01T00:00:00.${String(i).padStart(6, '0')}Z`,
    is_latest: i % 2,
    audience: i % 3 === 0 ? String(i % 5) : `${i % 5}|g"\\${i}`,
    author: i % 2 === 0 ? null : `identity--${i}`,
  };
}

describe.skipIf(!postgres.available)('PostgreSQL bulk inserter', () => {
  const opened: Kysely<Database>[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
  });

  async function freshDb(): Promise<Kysely<Database>> {
    const { db } = await openDatabase(await postgres.fresh());
    opened.push(db);
    await sql`insert into collections (id, title, created_at) values ('c1', 'One', '2026-01-01T00:00:00Z')`.execute(
      db,
    );
    return db;
  }

  async function write(
    db: Kysely<Database>,
    inserter: BulkInserter,
    versions: readonly VersionRow[],
    entries: readonly EntryRow[],
    refs: readonly MarkingRefRow[],
  ): Promise<number[]> {
    // Entries and references name their version by its place in `versions`, plus one.
    return db.transaction().execute(async (trx) => {
      const rowIds = await inserter.insertVersions(trx, versions);
      const row = (place: number): number => rowIds[place - 1]!;
      const seqs = await inserter.insertEntries(
        trx,
        entries.map((e) => ({ ...e, version_row: row(e.version_row) })),
      );
      await inserter.insertMarkingRefs(
        trx,
        refs.map((r) => ({ ...r, version_row: row(r.version_row) })),
      );
      return seqs;
    });
  }

  const stored = async (db: Kysely<Database>) => ({
    versions: await db.selectFrom('stix_versions').selectAll().orderBy('id').orderBy('version_key').execute(),
    entries: await db.selectFrom('collection_entries').selectAll().orderBy('seq').execute(),
    refs: await db
      .selectFrom('version_marking_refs')
      .selectAll()
      .orderBy('version_row')
      .orderBy('marking_ref')
      .execute(),
  });

  it('stores every column byte-exact (quotes, backslashes, unicode, control characters, long strings, nulls) as the query builder does', async () => {
    const versions = TRICKY.map((body, i) =>
      versionRow(i, body, { created_by_ref: i % 2 === 0 ? null : body.slice(0, 200) || null }),
    );
    const entries = versions.map((v, i) => entryRow(i, v.id, v.version_key));
    // (An index key has a size limit: marking references stay short.)
    const refs = versions.map((_, i) => ({ version_row: i + 1, marking_ref: TRICKY[i]!.slice(0, 200) }));
    const fast = await freshDb();
    const reference = await freshDb();
    const fastSeqs = await write(fast, postgresInserter, versions, entries, refs);
    const referenceSeqs = await write(reference, queryBuilderInserter, versions, entries, refs);
    expect(fastSeqs).toEqual(referenceSeqs);
    const got = await stored(fast);
    expect(got).toEqual(await stored(reference));
    const byId = new Map(got.versions.map((v) => [v.id, v]));
    for (const v of versions) expect(byId.get(v.id)).toMatchObject(v);
    // Byte-exact, not merely equal after a round of normalisation.
    const lengths = await sql<{
      id: string;
      n: number;
    }>`select id, octet_length(body) as n from stix_versions`.execute(fast);
    for (const r of lengths.rows)
      expect(r.n).toBe(Buffer.byteLength(versions.find((v) => v.id === r.id)!.body, 'utf8'));
  });

  it('stores any NUL-free text as given (property)', async () => {
    const db = await freshDb();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => !s.includes('\u0000')),
            fc.option(
              fc.string({ unit: 'binary-ascii', maxLength: 40 }).filter((s) => !s.includes('\u0000')),
            ),
          ),
          { minLength: 1, maxLength: 20 },
        ),
        async (items) => {
          const rows = items.map(([body, author]) => versionRow(n++, body, { sharing_group_id: author }));
          await db.transaction().execute((trx) => postgresInserter.insertVersions(trx, rows));
          const back = await db
            .selectFrom('stix_versions')
            .select(['id', 'body', 'sharing_group_id'])
            .where(
              'id',
              'in',
              rows.map((r) => r.id),
            )
            .execute();
          const byId = new Map(back.map((r) => [r.id, r]));
          for (const r of rows) {
            expect(byId.get(r.id)?.body).toBe(r.body);
            expect(byId.get(r.id)?.sharing_group_id).toBe(r.sharing_group_id);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('returns the sequence numbers of entries in input order, strictly increasing, across statements and calls', async () => {
    const db = await freshDb();
    const objectId = (i: number) => `indicator--${String(12_000 - i).padStart(8, '0')}`; // not in seq order
    // More rows than one statement takes, so the seqs of several statements must line up too.
    const first = Array.from({ length: 12_000 }, (_, i) => entryRow(i, objectId(i), ''));
    const second = Array.from({ length: 10 }, (_, i) => entryRow(i, objectId(i), 'v2', 20_000 + i));
    const [a, b] = await db
      .transaction()
      .execute(async (trx) => [
        await postgresInserter.insertEntries(trx, first),
        await postgresInserter.insertEntries(trx, second),
      ]);
    const seqs = [...a, ...b];
    expect(seqs).toHaveLength(12_010);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    // Each returned seq is the row that was sent at that position.
    const rows = await db
      .selectFrom('collection_entries')
      .select(['seq', 'object_id', 'version_key', 'date_added'])
      .execute();
    const bySeq = new Map(rows.map((r) => [Number(r.seq), r]));
    [...first, ...second].forEach((e, i) => {
      const row = bySeq.get(seqs[i]!)!;
      expect([row.object_id, row.version_key, row.date_added]).toEqual([
        e.object_id,
        e.version_key,
        e.date_added,
      ]);
    });
  });

  it('ignores duplicate marking references, within one call and across calls', async () => {
    const db = await freshDb();
    const ref = (m: string): MarkingRefRow => ({ version_row: 1, marking_ref: m });
    await db.transaction().execute(async (trx) => {
      await postgresInserter.insertMarkingRefs(trx, [ref('m1'), ref('m2'), ref('m1'), ref('m1')]);
      await postgresInserter.insertMarkingRefs(trx, [ref('m2'), ref('m3')]);
    });
    const rows = await db
      .selectFrom('version_marking_refs')
      .select('marking_ref')
      .orderBy('marking_ref')
      .execute();
    expect(rows.map((r) => r.marking_ref)).toEqual(['m1', 'm2', 'm3']);
  });

  it('leaves nothing half-stored: a failing statement rolls back the whole transaction', async () => {
    const db = await freshDb();
    const good = [versionRow(1, '{"a":1}'), versionRow(2, '{"b":2}')];
    // The second version repeats the primary key of the first: the whole batch fails.
    await expect(
      db.transaction().execute(async (trx) => {
        await postgresInserter.insertVersions(trx, good);
        await postgresInserter.insertEntries(
          trx,
          good.map((v, i) => entryRow(i, v.id, v.version_key)),
        );
        await postgresInserter.insertVersions(trx, [versionRow(3, '{}'), versionRow(1, '{"other":1}')]);
      }),
    ).rejects.toThrow(/duplicate key/);
    // An entry in a collection that does not exist (foreign key) fails too.
    await expect(
      db.transaction().execute(async (trx) => {
        await postgresInserter.insertVersions(trx, good);
        await postgresInserter.insertEntries(trx, [
          { ...entryRow(0, good[0]!.id, ''), collection_id: 'nope' },
        ]);
      }),
    ).rejects.toThrow(/foreign key/);
    const after = await stored(db);
    expect(after).toEqual({ versions: [], entries: [], refs: [] });
  });

  it('refuses a number that is not a 32-bit integer, with a clear error', async () => {
    const db = await freshDb();
    await expect(
      db
        .transaction()
        .execute((trx) => postgresInserter.insertVersions(trx, [versionRow(1, '{}', { eff_rank: 1.5 })])),
    ).rejects.toThrow(/not a 32-bit integer: 1.5/);
  });

  it('looks up the stored versions of some ids and their entries in one collection', async () => {
    const db = await freshDb();
    await sql`insert into collections (id, title, created_at) values ('c2', 'Two', '2026-01-01T00:00:00Z')`.execute(
      db,
    );
    const v1 = versionRow(1, '{}');
    const v1b = versionRow(1, '{}', { version_key: '2021-01-01T00:00:00.000000Z' });
    const v2 = versionRow(2, '{}');
    const seqs = await write(
      db,
      postgresInserter,
      [v1, v1b, v2],
      [
        entryRow(0, v1.id, v1.version_key),
        entryRow(1, v1.id, v1b.version_key),
        entryRow(2, v2.id, v2.version_key),
      ],
      [],
    );
    await db
      .updateTable('collection_entries')
      .set({ collection_id: 'c2' })
      .where('seq', '=', seqs[2]!)
      .execute();
    const found = await db
      .transaction()
      .execute((trx) => lookupStoredPostgres(trx, 'c1', [v1.id, v2.id, 'indicator--absent']));
    const tuples = (xs: object[]) => xs.map((x) => JSON.stringify(Object.values(x))).sort();
    const rowIdOf = new Map(
      (await db.selectFrom('stix_versions').select(['version_key', 'row_id']).execute()).map((r) => [
        r.version_key,
        Number(r.row_id),
      ]),
    );
    expect(tuples(found.versions)).toEqual(
      tuples([
        { id: v1.id, version_key: v1.version_key, row_id: rowIdOf.get(v1.version_key) },
        { id: v1.id, version_key: v1b.version_key, row_id: rowIdOf.get(v1b.version_key) },
        { id: v2.id, version_key: v2.version_key, row_id: rowIdOf.get(v2.version_key) },
      ]),
    );
    expect(new Set(rowIdOf.values()).size).toBe(3);
    // The query-builder reference answers the same.
    const reference = await db
      .transaction()
      .execute((trx) => queryBuilderInserter.lookupStored(trx, 'c1', [v1.id, v2.id, 'indicator--absent']));
    expect(tuples(reference.versions)).toEqual(tuples(found.versions));
    expect(tuples(reference.entries)).toEqual(tuples(found.entries));
    expect(tuples(found.entries)).toEqual(
      tuples([
        { object_id: v1.id, version_key: v1.version_key, is_latest: 0, seq: seqs[0]! },
        { object_id: v1.id, version_key: v1b.version_key, is_latest: 1, seq: seqs[1]! },
      ]),
    );
  });

  it('compresses new bodies with LZ4 when the server has it (migration 007)', async () => {
    const db = await freshDb();
    const has = await sql<{
      lz4: boolean;
    }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(
      db,
    );
    const col = await sql<{
      c: string;
    }>`select attcompression as c from pg_attribute where attrelid = 'stix_versions'::regclass and attname = 'body'`.execute(
      db,
    );
    expect(col.rows[0]?.c).toBe(has.rows[0]?.lz4 ? 'l' : '');
    await db
      .transaction()
      .execute((trx) =>
        postgresInserter.insertVersions(trx, [versionRow(1, '{"x":"'.concat('ab'.repeat(5000), '"}'))]),
      );
    const method = await sql<{
      m: string | null;
    }>`select pg_column_compression(body) as m from stix_versions`.execute(db);
    expect(method.rows[0]?.m).toBe(has.rows[0]?.lz4 ? 'lz4' : 'pglz');
  });
});
