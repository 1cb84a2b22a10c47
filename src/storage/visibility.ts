/**
 * The access decision of docs/sharing.md (`canSee` in src/core/access/policy.ts) as a SQL condition, so that
 * hidden objects are filtered inside the database query — before `limit`, counts and keyset pages — and never
 * reach a page, a count or an export. The property tests in test/access/ keep it equal to `canSee`.
 *
 * The condition reads the access columns of `stix_versions` under the alias `v` (the TAXII and object queries
 * join `collection_entries as e` with `stix_versions as v`). A relationship or sighting is also checked against
 * its stored ends (rule 6), one level deep.
 */
import {
  sql,
  type Expression,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import { TLP_RANK } from '../core/access/policy.js';
import type { Database } from './schema.js';

/** The facts about the principal that the SQL needs (built by SharingService.visibilityFor). */
export interface Visibility {
  /** The principal's organisation (identity id), or null (anonymous). */
  readonly organizationId: string | null;
  /** Has a role and its organisation is registered on this node. */
  readonly isMember: boolean;
  /** Has the `peer` role (a federation peer node). */
  readonly isPeer: boolean;
  /** Sharing groups the organisation is a member of. */
  readonly groupIds: readonly string[];
  /** Of those, the ones whose members may pass objects on. */
  readonly passOnGroupIds: readonly string[];
}

/** A condition on `v` rows that keeps only what the caller may see; undefined (no restriction) without a caller. */
export function visibilityFilter(visibility: Visibility | undefined): Expression<SqlBool> | undefined {
  return visibility === undefined ? undefined : visibleSql(visibility, 'v');
}

/** The condition for rows of `stix_versions` under `alias`, ends included. */
export function visibleSql(vis: Visibility, alias: string): RawBuilder<SqlBool> {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  const end = (c: string) =>
    sql`(${col(c)} is null or not exists (select 1 from stix_versions s0 where s0.id = ${col(c)})
      or exists (select 1 from stix_versions s1 where s1.id = ${col(c)} and ${versionSql(vis, 's1')}))`;
  return sql<SqlBool>`(${versionSql(vis, alias)} and ${end('source_ref')} and ${end('target_ref')})`;
}

const rank = (level: keyof typeof TLP_RANK) => sql.lit(TLP_RANK[level]);

/** One version on its own (rules 1, 4, 5 and the "who may see" table), without looking at ends. */
function versionSql(vis: Visibility, alias: string): RawBuilder<SqlBool> {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  const group = col('sharing_group_id');
  const effRank = col('eff_rank');
  // Rule 1: every non-TLP marking reference is a known statement marking.
  const known = sql`(${col('other_markings')} = 0 or not exists (select 1 from version_marking_refs mr
    where mr.version_row = ${col('row_id')} and mr.marking_ref not in (select sm.id from statement_markings sm)))`;
  // Rule 5: a group narrows to its members.
  const inGroup =
    vis.groupIds.length > 0
      ? sql`(${group} is null or ${group} in (${sql.join(vis.groupIds)}))`
      : sql`${group} is null`;
  const levels: RawBuilder<unknown>[] = [sql`${effRank} = ${rank('clear')}`];
  if (vis.isMember && !vis.isPeer) {
    levels.push(sql`${effRank} in (${rank('green')}, ${rank('amber')}, ${rank('amber+strict')})`);
    levels.push(sql`(${effRank} = ${rank('red')} and ${group} is not null)`);
  } else if (vis.isMember && vis.isPeer) {
    const passOn =
      vis.passOnGroupIds.length > 0
        ? sql`(${group} is null or ${group} in (${sql.join(vis.passOnGroupIds)}))`
        : sql`${group} is null`;
    levels.push(sql`(${effRank} = ${rank('green')} and ${passOn})`);
  }
  const audience = sql`(${inGroup} and (${sql.join(levels, sql` or `)}))`;
  // Rule 4: the author sees its own objects.
  const allowed =
    vis.isMember && vis.organizationId !== null
      ? sql`(${col('created_by_ref')} = ${vis.organizationId} or ${audience})`
      : audience;
  return sql<SqlBool>`(${known} and ${allowed})`;
}

/**
 * The row ids of every stored version of these objects, as a subquery: how entries of given objects are found
 * (`collection_entries.version_row in (…)`, through its unique index), since entries are keyed by version row.
 */
export function versionRowsOf(ids: readonly string[]): RawBuilder<number> {
  return sql<number>`(select vr.row_id from stix_versions vr where vr.id in (${sql.join([...ids])}))`;
}

/** The shape of a query over `collection_entries as e` joined with `stix_versions as v`. */
export type EntriesWithVersions = Database & {
  e: Database['collection_entries'];
  v: Database['stix_versions'];
};

/**
 * Entries of one collection joined with their stored versions, selecting what every entry read returns (the entry's
 * place, object, type, spec version, version key and date added, and the version as written): the base that
 * `ObjectRepository.listEntries` and the TAXII read (`TaxiiRepository.queryEntries`) filter and page.
 */
export function collectionEntries(db: Kysely<Database>, collectionId: string) {
  return db
    .selectFrom('collection_entries as e')
    .innerJoin('stix_versions as v', 'v.row_id', 'e.version_row')
    .select([
      'e.seq',
      'e.object_id',
      'e.type',
      'e.spec_version',
      'e.version_key',
      'e.date_added',
      'v.version',
    ])
    .where('e.collection_id', '=', collectionId);
}

/**
 * The audience keys (see migration 005) of every entry `vis` may possibly see: a superset, checked row by row by
 * the full condition. Author rows are found through the author index instead.
 */
export function audienceKeys(vis: Visibility): string[] {
  const keys = [String(TLP_RANK.clear), ...vis.groupIds.map((g) => `${TLP_RANK.clear}|${g}`)];
  if (vis.isMember && !vis.isPeer) {
    for (const r of [TLP_RANK.green, TLP_RANK.amber, TLP_RANK['amber+strict']]) keys.push(String(r));
    for (const g of vis.groupIds)
      for (const r of [TLP_RANK.green, TLP_RANK.amber, TLP_RANK['amber+strict'], TLP_RANK.red])
        keys.push(`${r}|${g}`);
  } else if (vis.isMember && vis.isPeer) {
    keys.push(String(TLP_RANK.green), ...vis.passOnGroupIds.map((g) => `${TLP_RANK.green}|${g}`));
  }
  return keys;
}

/**
 * A page of collection entries (`e`, joined with `v`) in `seq` order, at most `limit`, keeping only what `vis`
 * may see. Without a caller it is the plain ordered query. With one, it is the union of one ordered, limited
 * index range scan per audience key the caller may see (plus its own objects by author), each also checked by
 * the full condition, merged by `seq`: a page costs a few index seeks and `limit` rows per key, however much of
 * the collection is hidden, and a page is short only at the end.
 */
export async function selectVisiblePage<O>(
  db: Kysely<Database>,
  base: SelectQueryBuilder<EntriesWithVersions, 'e' | 'v', O>,
  vis: Visibility | undefined,
  limit: number,
): Promise<O[]> {
  if (vis === undefined) return base.orderBy('e.seq').limit(limit).execute();
  const visible = visibleSql(vis, 'v');
  const ownOrg = vis.isMember ? vis.organizationId : null;
  const arms: SelectQueryBuilder<EntriesWithVersions, 'e' | 'v', O>[] = audienceKeys(vis).map((k) => {
    let q = base.where('e.audience', '=', k).where(visible);
    // The caller's own objects come from the author arm only, so the union holds no duplicates.
    if (ownOrg !== null)
      q = q.where((eb) => eb.or([eb('e.author', 'is', null), eb('e.author', '<>', ownOrg)]));
    return q;
  });
  if (ownOrg !== null) arms.push(base.where('e.author', '=', ownOrg).where(visible));
  const wrapped = arms.map((q, i) => db.selectFrom(q.orderBy('e.seq').limit(limit).as(`p${i}`)).selectAll());
  let union = wrapped[0]!;
  for (const w of wrapped.slice(1)) union = union.unionAll(w);
  const rows = await union.orderBy(sql.ref('seq')).limit(limit).execute();
  return rows as unknown as O[];
}
