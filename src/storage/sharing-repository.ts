/**
 * Organisations, sharing groups, collection default levels, and the access facts of stored versions
 * (docs/sharing.md). Rows never leave this module.
 */
import type { Kysely } from 'kysely';
import { accessOf } from '../core/access/facts.js';
import {
  TLP_LEVELS,
  type AccessContext,
  type ObjectAccessFacts,
  type SharingGroupFacts,
  type TlpLevel,
} from '../core/access/policy.js';
import type { Principal } from '../core/access/principal.js';
import { recomputeEffectiveRank } from './access-facts.js';
import type { Database } from './schema.js';
import { versionRowsOf, type Visibility } from './visibility.js';

export interface Organization {
  readonly id: string;
  readonly name: string;
  /** The STIX identity object (JSON text). */
  readonly identity: string;
  readonly createdAt: string;
}

export interface SharingGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly passOn: boolean;
  readonly createdAt: string;
  /** Organisation ids. */
  readonly members: readonly string[];
}

const IN_CHUNK = 500;

export class SharingRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // ---- organisations ----

  async addOrganization(o: Organization): Promise<void> {
    await this.db
      .insertInto('organizations')
      .values({ id: o.id, name: o.name, identity: o.identity, created_at: o.createdAt })
      .execute();
  }

  async listOrganizations(): Promise<Organization[]> {
    const rows = await this.db.selectFrom('organizations').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, identity: r.identity, createdAt: r.created_at }));
  }

  async getOrganization(idOrName: string): Promise<Organization | undefined> {
    const r = await this.db
      .selectFrom('organizations')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    return r ? { id: r.id, name: r.name, identity: r.identity, createdAt: r.created_at } : undefined;
  }

  /** Removes the organisation and its group memberships. */
  async removeOrganization(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sharing_group_members').where('organization_id', '=', id).execute();
      const r = await trx.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  // ---- sharing groups ----

  async createGroup(g: Omit<SharingGroup, 'members'>): Promise<void> {
    await this.db
      .insertInto('sharing_groups')
      .values({
        id: g.id,
        name: g.name,
        description: g.description,
        pass_on: g.passOn ? 1 : 0,
        created_at: g.createdAt,
      })
      .execute();
  }

  async listGroups(): Promise<SharingGroup[]> {
    const groups = await this.db.selectFrom('sharing_groups').selectAll().orderBy('name').execute();
    const members = await this.db.selectFrom('sharing_group_members').selectAll().execute();
    return groups.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      passOn: g.pass_on === 1,
      createdAt: g.created_at,
      members: members
        .filter((m) => m.group_id === g.id)
        .map((m) => m.organization_id)
        .sort(),
    }));
  }

  async getGroup(idOrName: string): Promise<SharingGroup | undefined> {
    return (await this.listGroups()).find((g) => g.id === idOrName || g.name === idOrName);
  }

  async setPassOn(groupId: string, passOn: boolean): Promise<void> {
    await this.db
      .updateTable('sharing_groups')
      .set({ pass_on: passOn ? 1 : 0 })
      .where('id', '=', groupId)
      .execute();
  }

  async addMember(groupId: string, organizationId: string): Promise<void> {
    await this.db
      .insertInto('sharing_group_members')
      .values({ group_id: groupId, organization_id: organizationId })
      .onConflict((oc) => oc.columns(['group_id', 'organization_id']).doNothing())
      .execute();
  }

  async removeMember(groupId: string, organizationId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('sharing_group_members')
      .where('group_id', '=', groupId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Deletes the group; objects published in it then deny to everyone but their author (docs/sharing.md). */
  async removeGroup(groupId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sharing_group_members').where('group_id', '=', groupId).execute();
      const r = await trx.deleteFrom('sharing_groups').where('id', '=', groupId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  // ---- collection defaults ----

  async setCollectionDefault(collectionId: string, level: TlpLevel): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('collections')
        .set({ default_rank: TLP_LEVELS.indexOf(level) })
        .where('id', '=', collectionId)
        .execute();
      await recomputeEffectiveRank(trx, { collectionId });
    });
  }

  async collectionDefault(collectionId: string): Promise<TlpLevel | undefined> {
    const r = await this.db
      .selectFrom('collections')
      .select('default_rank')
      .where('id', '=', collectionId)
      .executeTakeFirst();
    return r ? TLP_LEVELS[Number(r.default_rank)] : undefined;
  }

  // ---- what the access decision needs ----

  /** The facts about an organisation's principal that the SQL filter needs (see visibility.ts). */
  async visibilityFacts(
    organizationId: string | null,
    hasRole: boolean,
    isPeer: boolean,
  ): Promise<Visibility> {
    if (organizationId === null)
      return { organizationId: null, isMember: false, isPeer, groupIds: [], passOnGroupIds: [] };
    const registered = await this.db
      .selectFrom('organizations')
      .select('id')
      .where('id', '=', organizationId)
      .executeTakeFirst();
    const groups = await this.db
      .selectFrom('sharing_group_members as m')
      .innerJoin('sharing_groups as g', 'g.id', 'm.group_id')
      .select(['g.id', 'g.pass_on'])
      .where('m.organization_id', '=', organizationId)
      .orderBy('g.id')
      .execute();
    return {
      organizationId,
      isMember: hasRole && registered !== undefined,
      isPeer,
      groupIds: groups.map((g) => g.id),
      passOnGroupIds: groups.filter((g) => g.pass_on === 1).map((g) => g.id),
    };
  }

  /** The SQL filter's facts for a principal: every read path passes this to storage (docs/sharing.md). */
  visibilityOf(p: Principal): Promise<Visibility> {
    return this.visibilityFacts(p.organizationId, p.roles.length > 0, p.roles.includes('peer'));
  }

  /** Everything the pure policy needs to know about the node. */
  async accessContext(): Promise<AccessContext> {
    const orgs = await this.db.selectFrom('organizations').select('id').execute();
    const statements = await this.db.selectFrom('statement_markings').select('id').execute();
    const groups = new Map<string, SharingGroupFacts>();
    for (const g of await this.listGroups())
      groups.set(g.id, { id: g.id, members: new Set(g.members), passOn: g.passOn });
    return {
      organizations: new Set(orgs.map((o) => o.id)),
      statementMarkings: new Set(statements.map((s) => s.id)),
      groups,
    };
  }

  /**
   * The access facts of every stored version of these ids, ends included (one level), for the pure policy
   * (single-object decisions such as a share, and the tests).
   */
  async accessFacts(ids: readonly string[], withEnds = true): Promise<Map<string, ObjectAccessFacts[]>> {
    const out = new Map<string, ObjectAccessFacts[]>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const part = unique.slice(i, i + IN_CHUNK);
      const rows = await this.db
        .selectFrom('stix_versions')
        .select([
          'id',
          'version_key',
          'body',
          'created_by_ref',
          'sharing_group_id',
          'source_ref',
          'target_ref',
        ])
        .where('id', 'in', part)
        .orderBy('id')
        .orderBy('version_key')
        .execute();
      const defaults = await this.db
        .selectFrom('collection_entries as e')
        .innerJoin('collections as c', 'c.id', 'e.collection_id')
        .select(['e.object_id', 'e.version_key', 'c.default_rank'])
        .where('e.version_row', 'in', versionRowsOf(part))
        .execute();
      const ends = withEnds
        ? await this.accessFacts(
            rows.flatMap((r) => [r.source_ref, r.target_ref].filter((x): x is string => x !== null)),
            false,
          )
        : new Map<string, ObjectAccessFacts[]>();
      for (const r of rows) {
        const facts: ObjectAccessFacts = {
          id: r.id,
          markingRefs: accessOf(JSON.parse(r.body) as Record<string, unknown>).markingRefs,
          createdByRef: r.created_by_ref,
          sharingGroupId: r.sharing_group_id,
          collectionDefaults: defaults
            .filter((d) => d.object_id === r.id && d.version_key === r.version_key)
            .map((d) => TLP_LEVELS[Number(d.default_rank)]!),
          ends: [r.source_ref, r.target_ref]
            .filter((x): x is string => x !== null)
            .map((ref) => ends.get(ref) ?? []),
        };
        const list = out.get(r.id);
        if (list) list.push(facts);
        else out.set(r.id, [facts]);
      }
    }
    return out;
  }
}
