/**
 * Write-time upkeep of the per-version access facts that the SQL visibility filter reads (docs/sharing.md):
 * called by ObjectRepository inside its write transaction.
 */
import { sql, type Kysely } from 'kysely';
import { accessOf, isStatementMarking, splitMarkings, type VersionAccess } from '../core/access/facts.js';
import type { BulkInserter, MarkingRefRow } from './bulk-insert.js';
import { bodyText, type NewVersion } from './object-repository.js';
import type { Database } from './schema.js';
import { AUDIENCE_SQL, NO_COLLECTION_RANK, audienceKey } from './sharing-migration.js';

const CHUNK = 200;

function accessOfVersion(v: NewVersion): VersionAccess {
  return v.access ?? accessOf(JSON.parse(bodyText(v)) as Record<string, unknown>);
}

/** The access columns of a new version stored into a collection whose default rank is `defaultRank`. */
export function accessColumns(
  v: NewVersion,
  defaultRank: number,
): {
  tlp_rank: number | null;
  eff_rank: number;
  other_markings: number;
  sharing_group_id: string | null;
  source_ref: string | null;
  target_ref: string | null;
} {
  const a = accessOfVersion(v);
  const { tlpRank, others } = splitMarkings(a.markingRefs);
  return {
    tlp_rank: tlpRank,
    eff_rank: tlpRank ?? defaultRank,
    other_markings: others.length,
    sharing_group_id: v.sharingGroupId ?? null,
    source_ref: a.sourceRef,
    target_ref: a.targetRef,
  };
}

/**
 * The audience columns of a new collection entry. Exact for a version first stored by this batch; for an already
 * stored version `afterWrite` recomputes them from the stored row.
 */
export function entryAccessColumns(
  v: NewVersion,
  columns: Pick<ReturnType<typeof accessColumns>, 'eff_rank' | 'sharing_group_id'>,
): { audience: string; author: string | null } {
  return { audience: audienceKey(columns.eff_rank, columns.sharing_group_id), author: v.createdByRef };
}

export async function collectionDefaultRank(trx: Kysely<Database>, collectionId: string): Promise<number> {
  const row = await trx
    .selectFrom('collections')
    .select('default_rank')
    .where('id', '=', collectionId)
    .executeTakeFirst();
  return row ? Number(row.default_rank) : NO_COLLECTION_RANK;
}

/**
 * After a batch is written: the non-TLP marking references of new versions, newly known statement markings, and
 * the effective rank of already-stored unmarked versions that just entered one more collection (the strictest
 * default of all their collections wins).
 */
export async function afterWrite(
  trx: Kysely<Database>,
  inserter: BulkInserter,
  newVersions: readonly NewVersion[],
  /** The `row_id` of each of `newVersions`, in the same order. */
  rowIds: readonly number[],
  reenteredIds: readonly string[],
): Promise<void> {
  const refs: MarkingRefRow[] = newMarkingRefs(newVersions).map((r) => ({
    version_row: rowIds[r.version]!,
    marking_ref: r.marking_ref,
  }));
  if (refs.length > 0) await inserter.insertMarkingRefs(trx, refs);
  await insertStatementMarkings(trx, newStatementMarkings(newVersions));
  const ids = [...new Set(reenteredIds)];
  for (let i = 0; i < ids.length; i += CHUNK) await recomputeEffectiveRank(trx, ids.slice(i, i + CHUNK));
}

/** The non-TLP marking references of new versions, by index into `newVersions`, in that order, each once. */
export function newMarkingRefs(
  newVersions: readonly NewVersion[],
): { readonly version: number; readonly marking_ref: string }[] {
  const refs: { version: number; marking_ref: string }[] = [];
  for (let i = 0; i < newVersions.length; i++) {
    const others = splitMarkings(accessOfVersion(newVersions[i]!).markingRefs).others;
    for (const m of others.length > 1 ? new Set(others) : others) refs.push({ version: i, marking_ref: m });
  }
  return refs;
}

/** Ids of the new versions that are statement marking definitions. */
export function newStatementMarkings(newVersions: readonly NewVersion[]): string[] {
  const ids: string[] = [];
  for (const v of newVersions)
    if (
      v.type === 'marking-definition' &&
      isStatementMarking(JSON.parse(bodyText(v)) as Record<string, unknown>)
    )
      ids.push(v.id);
  return ids;
}

/** Records newly known statement marking definitions. */
export async function insertStatementMarkings(trx: Kysely<Database>, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK)
    await trx
      .insertInto('statement_markings')
      .values(ids.slice(i, i + CHUNK).map((id) => ({ id })))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
}

/** eff_rank of the unmarked versions of these ids (or of every version in `collectionId`) from their collections. */
export async function recomputeEffectiveRank(
  trx: Kysely<Database>,
  ids: readonly string[] | { collectionId: string },
): Promise<void> {
  const scope = Array.isArray(ids)
    ? sql`stix_versions.id in (${sql.join(ids as string[])})`
    : sql`stix_versions.row_id in (select x.version_row from collection_entries x
        where x.collection_id = ${(ids as { collectionId: string }).collectionId})`;
  await sql`update stix_versions set eff_rank = coalesce((select max(c.default_rank)
      from collection_entries e join collections c on c.id = e.collection_id
      where e.version_row = stix_versions.row_id), ${NO_COLLECTION_RANK})
    where tlp_rank is null and ${scope}`.execute(trx);
  // The entries of those versions (in every collection) carry the audience key: refresh it.
  const entryScope = Array.isArray(ids)
    ? sql`collection_entries.version_row in (select s.row_id from stix_versions s
        where s.id in (${sql.join(ids as string[])}))`
    : sql`collection_entries.version_row in (select s.row_id from stix_versions s
        where s.id in (select x.object_id from collection_entries x
          where x.collection_id = ${(ids as { collectionId: string }).collectionId}))`;
  await sql`update collection_entries set
      audience = (select ${AUDIENCE_SQL} from stix_versions v where v.row_id = collection_entries.version_row),
      author = (select v.created_by_ref from stix_versions v where v.row_id = collection_entries.version_row)
    where ${entryScope}`.execute(trx);
}
