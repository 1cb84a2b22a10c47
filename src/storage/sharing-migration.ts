/**
 * Migration 003 (sharing rules, docs/sharing.md): organisations, sharing groups, known statement markings, the
 * append-only audit log, and the per-version access facts the SQL visibility filter reads (strictest TLP rank,
 * effective rank, non-TLP marking references, sharing group, relationship ends). Existing versions are backfilled
 * from their stored bodies.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { accessOf, isStatementMarking, splitMarkings } from '../core/access/facts.js';
import { DEFAULT_COLLECTION_LEVEL, TLP_RANK } from '../core/access/policy.js';
import type { DatabaseKind } from './migrations.js';

/** Effective rank of a version that is in no collection (and of rows not yet computed): RED. */
export const NO_COLLECTION_RANK = TLP_RANK.red;

export const sharingMigration = (dialect: DatabaseKind): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('organizations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('identity', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sharing_groups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('pass_on', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sharing_group_members')
      .addColumn('group_id', 'text', (c) => c.notNull().references('sharing_groups.id').onDelete('cascade'))
      .addColumn('organization_id', 'text', (c) =>
        c.notNull().references('organizations.id').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint('sharing_group_members_pk', ['group_id', 'organization_id'])
      .execute();
    await db.schema
      .createIndex('sharing_group_members_org_idx')
      .on('sharing_group_members')
      .column('organization_id')
      .execute();
    await db.schema
      .createTable('statement_markings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .execute();
    await db.schema
      .createTable('version_marking_refs')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version_key', 'text', (c) => c.notNull())
      .addColumn('marking_ref', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('version_marking_refs_pk', ['id', 'version_key', 'marking_ref'])
      .execute();
    await db.schema
      .createTable('audit_log')
      .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('principal_id', 'text', (c) => c.notNull())
      .addColumn('principal_name', 'text', (c) => c.notNull())
      .addColumn('organization_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('object_id', 'text')
      .addColumn('collection_id', 'text')
      .addColumn('address', 'text')
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
    // Append-only, enforced by the database itself.
    if (dialect === 'sqlite') {
      await sql`create trigger audit_log_no_update before update on audit_log
        begin select raise(abort, 'the audit log is append-only'); end`.execute(db);
      await sql`create trigger audit_log_no_delete before delete on audit_log
        begin select raise(abort, 'the audit log is append-only'); end`.execute(db);
    } else {
      await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
        begin raise exception 'the audit log is append-only'; end $$`.execute(db);
      await sql`create trigger audit_log_no_change before update or delete on audit_log
        for each row execute function audit_log_append_only()`.execute(db);
      await sql`create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_log_append_only()`.execute(db);
    }

    await db.schema
      .alterTable('collections')
      .addColumn('default_rank', 'integer', (c) => c.notNull().defaultTo(TLP_RANK[DEFAULT_COLLECTION_LEVEL]))
      .execute();
    for (const [name, type] of [
      ['tlp_rank', 'integer'],
      ['sharing_group_id', 'text'],
      ['source_ref', 'text'],
      ['target_ref', 'text'],
    ] as const)
      await db.schema.alterTable('stix_versions').addColumn(name, type).execute();
    await db.schema
      .alterTable('stix_versions')
      .addColumn('eff_rank', 'integer', (c) => c.notNull().defaultTo(NO_COLLECTION_RANK))
      .execute();
    await db.schema
      .alterTable('stix_versions')
      .addColumn('other_markings', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    await backfill(db);
  },
});

interface BackfillDb {
  stix_versions: {
    id: string;
    version_key: string;
    body: string;
    tlp_rank: number | null;
    other_markings: number;
    source_ref: string | null;
    target_ref: string | null;
    eff_rank: number;
  };
  version_marking_refs: { id: string; version_key: string; marking_ref: string };
  statement_markings: { id: string };
}

async function backfill(db: Kysely<BackfillDb>): Promise<void> {
  let after: { id: string; versionKey: string } | undefined;
  for (;;) {
    let q = db.selectFrom('stix_versions').select(['id', 'version_key', 'body']);
    if (after) {
      const a = after;
      q = q.where((eb) =>
        eb.or([eb('id', '>', a.id), eb.and([eb('id', '=', a.id), eb('version_key', '>', a.versionKey)])]),
      );
    }
    const rows = await q.orderBy('id').orderBy('version_key').limit(1000).execute();
    for (const r of rows) {
      const obj = JSON.parse(r.body) as Record<string, unknown>;
      const access = accessOf(obj);
      const { tlpRank, others } = splitMarkings(access.markingRefs);
      await db
        .updateTable('stix_versions')
        .set({
          tlp_rank: tlpRank,
          other_markings: others.length,
          source_ref: access.sourceRef,
          target_ref: access.targetRef,
        })
        .where('id', '=', r.id)
        .where('version_key', '=', r.version_key)
        .execute();
      for (const m of others)
        await db
          .insertInto('version_marking_refs')
          .values({ id: r.id, version_key: r.version_key, marking_ref: m })
          .execute();
      if (isStatementMarking(obj))
        await db
          .insertInto('statement_markings')
          .values({ id: r.id })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
    }
    if (rows.length < 1000) break;
    const last = rows.at(-1)!;
    after = { id: last.id, versionKey: last.version_key };
  }
  // Effective rank: the strictest TLP marking, else the strictest default of the collections holding the version.
  await sql`update stix_versions set eff_rank = coalesce(tlp_rank, (select max(c.default_rank)
      from collection_entries e join collections c on c.id = e.collection_id
      where e.object_id = stix_versions.id and e.version_key = stix_versions.version_key), ${NO_COLLECTION_RANK})`.execute(
    db,
  );
}

/**
 * Migration 004: look collection entries up by version (object_id, version_key), for the effective-rank upkeep
 * (the strictest default of the collections holding a version) and the access facts of single objects.
 */
export const sharingIndexesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('collection_entries_version_idx')
      .on('collection_entries')
      .columns(['object_id', 'version_key'])
      .execute();
  },
};

/**
 * Migration 005: each collection entry carries its version's audience key (effective rank and sharing group) and
 * author, indexed, so that a page of visible entries is a few index range scans whatever share of the collection
 * is hidden (see `selectVisiblePage` in visibility.ts).
 */
export const audienceMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('collection_entries').addColumn('audience', 'text').execute();
    await db.schema.alterTable('collection_entries').addColumn('author', 'text').execute();
    await sql`update collection_entries set
        audience = (select ${AUDIENCE_SQL} from stix_versions v
          where v.id = collection_entries.object_id and v.version_key = collection_entries.version_key),
        author = (select v.created_by_ref from stix_versions v
          where v.id = collection_entries.object_id and v.version_key = collection_entries.version_key)`.execute(
      db,
    );
    await db.schema
      .createIndex('collection_entries_audience_idx')
      .on('collection_entries')
      .columns(['collection_id', 'audience', 'seq'])
      .execute();
    // Latest-version pages (the TAXII default) seek on is_latest too, so this one wins over (collection, is_latest, seq).
    await db.schema
      .createIndex('collection_entries_audience_latest_idx')
      .on('collection_entries')
      .columns(['collection_id', 'audience', 'is_latest', 'seq'])
      .execute();
    await db.schema
      .createIndex('collection_entries_author_idx')
      .on('collection_entries')
      .columns(['collection_id', 'author', 'is_latest', 'seq'])
      .execute();
  },
};

/** The audience key of a `stix_versions` row aliased `v`: `rank` or `rank|group`. */
export const AUDIENCE_SQL = sql.raw(`cast(v.eff_rank as text) || coalesce('|' || v.sharing_group_id, '')`);

/** The same key computed in code. */
export const audienceKey = (effRank: number, sharingGroupId: string | null): string =>
  sharingGroupId === null ? String(effRank) : `${effRank}|${sharingGroupId}`;
