/**
 * PostgreSQL row inserts for write batches: `insert … select … from unnest($1, $2, …)` statements with one array
 * parameter per column, sent in PostgreSQL's binary array format (a length-prefixed buffer, element by element)
 * through Kysely's `sql` tag on the caller's transaction. A batch whose versions are all new (`NewRowsInserter`)
 * is one statement for all three tables, its parameters built before the write transaction; any other batch is one
 * statement per table and chunk, after a look-up.
 *
 * Why: a multi-row INSERT through the query builder has 16 parameters per row, so the query builder, the driver's
 * serializer and the server's parser and planner each handle thousands of parameters per batch. Here a batch is a
 * fixed statement text with a fixed number of parameters, whatever the row count. Binary arrays need no escaping on
 * our side (JSON bodies are full of `"` and `\`, which the text array syntax must escape) and no parsing on the
 * server's (it reads each element by its length). COPY is no cheaper for the server here (measured: 0.40–0.44 s
 * against 0.38–0.42 s for ATT&CK's versions, docs/benchmarks.md), needs an extra package, and cannot draw row ids
 * and seqs for three tables in one statement.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type {
  BulkInserter,
  EntryRow,
  MarkingRefRow,
  NewRows,
  PreparedRows,
  StoredLookup,
  VersionRow,
  WriteLookup,
} from './bulk-insert.js';
import type { Database } from './schema.js';

const TEXT_OID = 25;
const INT4_OID = 23;
const INT8_OID = 20;

/** Rows per statement at most, and body bytes per statement at most (bounds the size of one message). */
const MAX_ROWS = 5000;
const MAX_BYTES = 32 * 1024 * 1024;

/**
 * One-dimensional array in the binary format of `array_send` / `array_recv`: ndim, has-nulls flag, element type,
 * length and lower bound, then each element as an int32 byte length (-1 for NULL) followed by its bytes.
 */
function binaryTextArray(values: readonly (string | Uint8Array | null)[]): Buffer {
  let size = 20;
  const lengths = new Array<number>(values.length);
  let hasNull = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      lengths[i] = -1;
      hasNull = 1;
      size += 4;
    } else {
      const n = typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
      lengths[i] = n;
      size += 4 + n;
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let at = header(buf, hasNull, TEXT_OID, values.length);
  for (let i = 0; i < values.length; i++) {
    const n = lengths[i]!;
    buf.writeInt32BE(n, at);
    at += 4;
    if (n <= 0) continue;
    const v = values[i]!;
    if (typeof v === 'string') at += buf.write(v, at, n, 'utf8');
    else {
      buf.set(v, at);
      at += n;
    }
  }
  return buf;
}

function binaryInt4Array(values: readonly (number | null)[]): Buffer {
  let hasNull = 0;
  for (const v of values) if (v === null || v === undefined) hasNull = 1;
  const buf = Buffer.allocUnsafe(20 + values.length * 8 - (hasNull ? countNulls(values) * 4 : 0));
  let at = header(buf, hasNull, INT4_OID, values.length);
  for (const v of values) {
    if (v === null || v === undefined) {
      buf.writeInt32BE(-1, at);
      at += 4;
    } else {
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)
        throw new RangeError(`not a 32-bit integer: ${String(v)}`);
      buf.writeInt32BE(4, at);
      buf.writeInt32BE(v, at + 4);
      at += 8;
    }
  }
  return buf;
}

/** An int8[] of non-null safe integers (row ids). */
function binaryInt8Array(values: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(20 + values.length * 12);
  let at = header(buf, 0, INT8_OID, values.length);
  for (const v of values) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer: ${String(v)}`);
    buf.writeInt32BE(8, at);
    buf.writeBigInt64BE(BigInt(v), at + 4);
    at += 12;
  }
  return buf;
}

function countNulls(values: readonly (number | null)[]): number {
  let n = 0;
  for (const v of values) if (v === null || v === undefined) n++;
  return n;
}

function header(buf: Buffer, hasNull: number, oid: number, length: number): number {
  buf.writeInt32BE(1, 0); // ndim
  buf.writeInt32BE(hasNull, 4);
  buf.writeInt32BE(oid, 8);
  buf.writeInt32BE(length, 12);
  buf.writeInt32BE(1, 16); // lower bound
  return 20;
}

/** A text[] parameter (the driver sends a Buffer in binary format; the cast gives the server its type). */
const texts = <R>(rows: readonly R[], pick: (r: R) => string | Uint8Array | null): RawBuilder<unknown> =>
  sql`${binaryTextArray(rows.map(pick))}::text[]`;
const ints = <R>(rows: readonly R[], pick: (r: R) => number | null): RawBuilder<unknown> =>
  sql`${binaryInt4Array(rows.map(pick))}::int4[]`;
const bigints = <R>(rows: readonly R[], pick: (r: R) => number): RawBuilder<unknown> =>
  sql`${binaryInt8Array(rows.map(pick))}::int8[]`;

/** Consecutive slices of at most MAX_ROWS rows and (but for single huge rows) MAX_BYTES of `weight`. */
function* slices<R>(rows: readonly R[], weight: (r: R) => number): Generator<readonly R[]> {
  let start = 0;
  while (start < rows.length) {
    let end = start;
    let bytes = 0;
    while (end < rows.length && end - start < MAX_ROWS) {
      bytes += weight(rows[end]!);
      if (bytes > MAX_BYTES && end > start) break;
      end++;
    }
    yield start === 0 && end === rows.length ? rows : rows.slice(start, end);
    start = end;
  }
}

const versionWeight = (r: VersionRow): number =>
  (typeof r.body === 'string' ? r.body.length * 3 : r.body.length) + 256;
const entryWeight = (): number => 256;

async function insertVersions(trx: Kysely<Database>, rows: readonly VersionRow[]): Promise<number[]> {
  // RETURNING promises no order: row ids are matched back by (id, version_key), unique per table.
  const rowIds = new Map<string, number>();
  for (const part of slices(rows, versionWeight)) {
    const { rows: out } = await sql<{
      id: string;
      version_key: string;
      row_id: number | string;
    }>`insert into stix_versions (id, version_key, type, spec_version, version, created_by_ref, markings,
        revoked, body, tlp_rank, eff_rank, other_markings, sharing_group_id, source_ref, target_ref)
      select * from unnest(${texts(part, (r) => r.id)}, ${texts(part, (r) => r.version_key)},
        ${texts(part, (r) => r.type)}, ${texts(part, (r) => r.spec_version)}, ${texts(part, (r) => r.version)},
        ${texts(part, (r) => r.created_by_ref)}, ${texts(part, (r) => r.markings)}, ${ints(part, (r) => r.revoked)},
        ${texts(part, (r) => r.body)}, ${ints(part, (r) => r.tlp_rank)},
        ${ints(part, (r) => r.eff_rank)}, ${ints(part, (r) => r.other_markings)},
        ${texts(part, (r) => r.sharing_group_id)}, ${texts(part, (r) => r.source_ref)},
        ${texts(part, (r) => r.target_ref)})
      returning id, version_key, row_id`.execute(trx);
    for (const r of out) rowIds.set(`${r.id}\u0000${r.version_key}`, Number(r.row_id));
  }
  return rows.map((r) => {
    const rowId = rowIds.get(`${r.id}\u0000${r.version_key}`);
    if (rowId === undefined) throw new Error(`stix_versions: no row id returned for ${r.id}`);
    return rowId;
  });
}

async function insertEntries(trx: Kysely<Database>, rows: readonly EntryRow[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const part of slices(rows, entryWeight)) {
    // `order by n` feeds the rows in input order, so the seq default is drawn in that order, and RETURNING
    // gives them back in insertion order.
    const { rows: out } = await sql<{ seq: number | string }>`insert into collection_entries (collection_id,
        version_row, object_id, version_key, type, spec_version, date_added, is_latest, audience, author)
      select c, r, o, k, t, s, d, l, a, w from unnest(${texts(part, (r) => r.collection_id)},
        ${bigints(part, (r) => r.version_row)}, ${texts(part, (r) => r.object_id)}, ${texts(part, (r) => r.version_key)}, ${texts(part, (r) => r.type)},
        ${texts(part, (r) => r.spec_version)}, ${texts(part, (r) => r.date_added)}, ${ints(part, (r) => r.is_latest)},
        ${texts(part, (r) => r.audience)}, ${texts(part, (r) => r.author)})
        with ordinality as x(c, r, o, k, t, s, d, l, a, w, n)
      order by n
      returning seq`.execute(trx);
    if (out.length !== part.length)
      throw new Error(`collection_entries: ${part.length} rows sent, ${out.length} seqs returned`);
    for (const r of out) {
      const seq = Number(r.seq);
      if (seqs.length > 0 && !(seq > seqs.at(-1)!))
        throw new Error('collection_entries: seqs were not assigned in input order');
      seqs.push(seq);
    }
  }
  return seqs;
}

async function insertMarkingRefs(trx: Kysely<Database>, rows: readonly MarkingRefRow[]): Promise<void> {
  for (const part of slices(rows, entryWeight))
    await sql`insert into version_marking_refs (version_row, marking_ref)
      select * from unnest(${bigints(part, (r) => r.version_row)}, ${texts(part, (r) => r.marking_ref)})
      on conflict do nothing`.execute(trx);
}

/**
 * Statement parameters of a batch of new rows, in slices of at most MAX_ROWS rows and MAX_BYTES of bodies: each
 * slice is one statement.
 */
interface PreparedSlices extends PreparedRows {
  readonly collectionId: string;
  readonly ids: RawBuilder<unknown>;
  readonly slices: readonly PreparedSlice[];
}

type Param = RawBuilder<unknown>;

/** One statement's array parameters, by the column each fills. */
interface PreparedSlice {
  readonly rows: number;
  readonly versions: Readonly<Record<(typeof VERSION_COLUMNS)[number], Param>>;
  /** Besides the versions' id, version_key, type and spec_version. */
  readonly entries: { readonly is_latest: Param; readonly audience: Param; readonly author: Param };
  readonly refVersions: Param;
  readonly refMarkings: Param;
}

/** The `stix_versions` columns of a new row, row_id aside; body last (see `insertPreparedSlices`). */
const VERSION_COLUMNS = [
  'id',
  'version_key',
  'type',
  'spec_version',
  'version',
  'created_by_ref',
  'markings',
  'revoked',
  'tlp_rank',
  'eff_rank',
  'other_markings',
  'sharing_group_id',
  'source_ref',
  'target_ref',
  'body',
] as const satisfies readonly (keyof VersionRow)[];
const INT_COLUMNS: ReadonlySet<string> = new Set(['revoked', 'tlp_rank', 'eff_rank', 'other_markings']);

async function prepareNewRows(rows: NewRows, pause: () => Promise<void>): Promise<PreparedSlices> {
  const out: PreparedSlice[] = [];
  let start = 0;
  // Marking references are sorted by version index (built in version order): each slice takes a contiguous run.
  let ref = 0;
  for (const part of slices(rows.versions, versionWeight)) {
    const end = start + part.length;
    const versions = {} as Record<(typeof VERSION_COLUMNS)[number], Param>;
    for (const c of VERSION_COLUMNS)
      versions[c] = INT_COLUMNS.has(c)
        ? ints(part, (r) => r[c] as number | null)
        : texts(part, (r) => r[c] as string | Uint8Array | null);
    await pause();
    const entries = rows.entries.slice(start, end);
    const refs: { version: number; marking_ref: string }[] = [];
    while (ref < rows.markingRefs.length && rows.markingRefs[ref]!.version < end) {
      const r = rows.markingRefs[ref++]!;
      refs.push({ version: r.version - start, marking_ref: r.marking_ref });
    }
    out.push({
      rows: part.length,
      versions,
      entries: {
        is_latest: ints(entries, (e) => e.is_latest),
        audience: texts(entries, (e) => e.audience),
        author: texts(entries, (e) => e.author),
      },
      refVersions: ints(refs, (r) => r.version),
      refMarkings: texts(refs, (r) => r.marking_ref),
    });
    start = end;
  }
  if (ref !== rows.markingRefs.length) throw new Error('marking references out of version order');
  return {
    versions: rows.versions.length,
    collectionId: rows.collectionId,
    ids: texts(rows.ids, (id) => id),
    slices: out,
  };
}

/**
 * One statement per slice stores its versions, their entries and their marking references. It reserves a block of
 * row ids and one of seqs (`setval(nextval + n - 1)`: the write lock is held, so no other writer draws from these
 * sequences meanwhile) and numbers the rows by their position, so entries get their version's row id and seqs in
 * input order without a round trip in between. The three inserts touch different tables and nothing reads what
 * another writes, so their order within the statement does not matter.
 */
async function insertPreparedSlices(
  trx: Kysely<Database>,
  prepared: PreparedSlices,
  datesAdded: readonly string[],
  guard?: { readonly defaultRank: number },
): Promise<number[] | undefined> {
  if (datesAdded.length !== prepared.versions)
    throw new Error(`${prepared.versions} entries prepared, ${datesAdded.length} dates given`);
  const seqs: number[] = [];
  let at = 0;
  for (const part of prepared.slices) {
    const n = part.rows;
    const v = part.versions;
    const dates = texts(datesAdded.slice(at, at + n), (d) => d);
    // The guard (first statement only): what the look-up under the write lock would have to find for the plan to
    // hold, checked by the statement itself, which then stores nothing if it does not hold. Each id is a lateral
    // index probe, as in `lookupPostgres`.
    const ok =
      guard === undefined || at > 0
        ? sql`true`
        : sql`not exists (select 1 from unnest(${prepared.ids}) as q(id)
            cross join lateral (select 1 from stix_versions s where s.id = q.id limit 1) s)
          and (select default_rank from collections where id = ${prepared.collectionId}) = ${guard.defaultRank}
          and coalesce((select date_added from collection_entries order by seq desc limit 1), '') < ${datesAdded[0]!}`;
    // The entries' id, version key, type and spec version are the versions' buffers, sent twice (a few bytes per
    // row, where sharing one unnest would materialize the bodies for the second insert). The versions' insert
    // comes last and its body column last, so the bodies are the statement's last parameter: the driver's message
    // buffer grows by copying what it holds, and when the bodies arrive it holds only the small parameters.
    const { rows } = await sql<{ base: number | string | null }>`with
      g as materialized (select ${ok} as ok),
      rb as materialized (select case when g.ok then setval(pg_get_serial_sequence('stix_versions', 'row_id')::regclass,
        nextval(pg_get_serial_sequence('stix_versions', 'row_id')::regclass) + ${n}::int8 - 1) - ${n}::int8 + 1 end as base
        from g),
      sb as materialized (select case when g.ok then setval(pg_get_serial_sequence('collection_entries', 'seq')::regclass,
        nextval(pg_get_serial_sequence('collection_entries', 'seq')::regclass) + ${n}::int8 - 1) - ${n}::int8 + 1 end as base
        from g),
      e as (insert into collection_entries (seq, collection_id, version_row, object_id, version_key, type,
          spec_version, date_added, is_latest, audience, author)
        select sb.base + x.n - 1, ${prepared.collectionId}, rb.base + x.n - 1, x.i, x.k, x.t, x.s, x.d, x.l, x.a, x.w
        from rb cross join sb cross join unnest(${v.id}, ${v.version_key}, ${v.type}, ${v.spec_version}, ${dates},
          ${part.entries.is_latest}, ${part.entries.audience}, ${part.entries.author})
          with ordinality as x(i, k, t, s, d, l, a, w, n)
        where sb.base is not null),
      m as (insert into version_marking_refs (version_row, marking_ref)
        select rb.base + x.i, x.r from rb cross join unnest(${part.refVersions}, ${part.refMarkings}) as x(i, r)
        where rb.base is not null),
      v as (insert into stix_versions (row_id, ${sql.raw(VERSION_COLUMNS.join(', '))}) overriding system value
        select rb.base + x.n - 1, ${sql.raw(VERSION_COLUMNS.map((c) => `x.${c}`).join(', '))}
        from rb cross join unnest(${sql.join(VERSION_COLUMNS.map((c) => v[c]))})
          with ordinality as x(${sql.raw(VERSION_COLUMNS.join(', '))}, n)
        where rb.base is not null)
      select base from sb`.execute(trx);
    if (rows[0]?.base === null || rows[0]?.base === undefined) {
      if (at === 0 && guard !== undefined) return undefined;
      throw new Error('collection_entries: no seqs reserved');
    }
    const base = Number(rows[0].base);
    for (let i = 0; i < n; i++) seqs.push(base + i);
    at += n;
  }
  return seqs;
}

export const postgresInserter: BulkInserter = {
  lookupStored: (trx, collectionId, ids) => lookupStoredPostgres(trx, collectionId, ids),
  async insertVersions(trx, rows) {
    return rows.length > 0 ? insertVersions(trx, rows) : [];
  },
  async insertEntries(trx, rows) {
    return rows.length > 0 ? insertEntries(trx, rows) : [];
  },
  async insertMarkingRefs(trx, rows) {
    if (rows.length > 0) await insertMarkingRefs(trx, rows);
  },
  newRows: {
    lookupForWrite: (trx, collectionId, ids) => lookupPostgres(trx, collectionId, ids),
    prepare: prepareNewRows,
    insertPrepared: (trx, prepared, datesAdded, guard) =>
      insertPreparedSlices(trx, prepared as PreparedSlices, datesAdded, guard),
  },
};

/**
 * The write path's look-up of what is already stored for a batch's ids, in one round trip and one array
 * parameter. Each id is a lateral index probe (`offset 0` keeps the planner from turning it into a join): with
 * `id in (…500 ids…)` and tables that have no statistics yet (any first import: autovacuum analyzes a minute
 * later), the planner takes each id for 0.5% of the table and scans the whole table on every batch. The probes'
 * estimated cost can reach the JIT threshold, so write transactions turn JIT off (`set_config` with the write lock).
 */
export async function lookupStoredPostgres(
  trx: Kysely<Database>,
  collectionId: string,
  ids: readonly string[],
): Promise<StoredLookup> {
  const { versions, entries } = await lookupPostgres(trx, collectionId, ids);
  return { versions, entries };
}

/** `lookupStoredPostgres`, with the newest date_added and the collection's default rank in the same statement. */
async function lookupPostgres(
  trx: Kysely<Database>,
  collectionId: string,
  ids: readonly string[],
): Promise<WriteLookup> {
  const { rows } = await sql<{
    kind: number;
    id: string | null;
    version_key: string | null;
    is_latest: number | null;
    seq: number | string | null;
    row_id: number | string | null;
  }>`with q(id) as materialized (select * from unnest(${sql`${binaryTextArray(ids)}::text[]`})),
    v as materialized (select s.id, s.version_key, s.row_id
      from q cross join lateral (select id, version_key, row_id from stix_versions s
        where s.id = q.id offset 0) s)
    select 0 as kind, (select date_added from collection_entries order by seq desc limit 1) as id,
      null::text as version_key,
      (select default_rank from collections where id = ${collectionId}) as is_latest, null::bigint as seq,
      null::bigint as row_id
    union all
    select 1, v.id, v.version_key, null, null, v.row_id
      from v
    union all
    select 2, v.id, v.version_key, e.is_latest, e.seq, v.row_id
      from v cross join lateral (select is_latest, seq from collection_entries e
        where e.version_row = v.row_id and e.collection_id = ${collectionId} offset 0) e`.execute(trx);
  const versions: StoredLookup['versions'] = [];
  const entries: StoredLookup['entries'] = [];
  let lastDateAdded: string | null = null;
  let defaultRank: number | null = null;
  for (const r of rows)
    if (r.kind === 0) {
      lastDateAdded = r.id;
      defaultRank = r.is_latest === null ? null : Number(r.is_latest);
    } else if (r.kind === 2)
      entries.push({
        object_id: r.id!,
        version_key: r.version_key!,
        is_latest: Number(r.is_latest),
        seq: Number(r.seq),
      });
    else
      versions.push({
        id: r.id!,
        version_key: r.version_key!,
        row_id: Number(r.row_id),
      });
  return { versions, entries, lastDateAdded, defaultRank };
}
