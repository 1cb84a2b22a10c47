/**
 * Sharing rules (docs/sharing.md): organisations (each also a STIX identity), sharing groups, collection default
 * levels, and the one access decision applied to stored objects — `visibilityFor` for the SQL filter every read
 * path passes to storage, `canSee` / `canShare` for single-object decisions. Changes are admin-only and audited.
 */
import { randomUUID } from 'node:crypto';
import { canSee, canShare, parseTlpLevel, type AccessContext, type TlpLevel } from '../core/access/policy.js';
import type { Principal } from '../core/access/principal.js';
import { EntenteError, notFound } from '../core/errors.js';
import type { Organization, SharingGroup, Storage, Visibility } from '../storage/index.js';
import type { AuditService } from './audit-service.js';

const IDENTITY_RE = /^identity--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._&()'-]{0,99}$/;

export interface NewOrganization {
  readonly name: string;
  /** Adopt an existing identity id (e.g. the one a peer already uses); a new one otherwise. */
  readonly id?: string | undefined;
  readonly description?: string | undefined;
}

export class SharingService {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly now: () => string,
  ) {}

  // ---- organisations ----

  async addOrganization(actor: Principal, o: NewOrganization): Promise<Organization> {
    requireAdmin(actor);
    if (!NAME_RE.test(o.name))
      throw new EntenteError(
        'INVALID',
        `organisation name "${o.name}" must be 1-100 letters, digits, spaces or ._&()'-`,
      );
    const id = o.id ?? `identity--${randomUUID()}`;
    if (!IDENTITY_RE.test(id))
      throw new EntenteError('INVALID', `"${id}" is not an identity id (identity--UUID)`);
    if (await this.storage.sharing.getOrganization(id))
      throw new EntenteError('CONFLICT', `organisation ${id} exists`);
    if (await this.storage.sharing.getOrganization(o.name))
      throw new EntenteError('CONFLICT', `an organisation named "${o.name}" exists`);
    const at = this.now();
    const identity = {
      type: 'identity',
      spec_version: '2.1',
      id,
      created: at,
      modified: at,
      name: o.name,
      identity_class: 'organization',
      ...(o.description !== undefined ? { description: o.description } : {}),
    };
    const org: Organization = { id, name: o.name, identity: JSON.stringify(identity), createdAt: at };
    await this.storage.sharing.addOrganization(org);
    await this.audit.record(actor, 'org.add', { objectId: id, detail: { name: o.name } });
    return org;
  }

  listOrganizations(): Promise<Organization[]> {
    return this.storage.sharing.listOrganizations();
  }

  async organization(idOrName: string): Promise<Organization> {
    const o = await this.storage.sharing.getOrganization(idOrName);
    if (!o) throw notFound(`no organisation "${idOrName}"`);
    return o;
  }

  async removeOrganization(actor: Principal, idOrName: string): Promise<void> {
    requireAdmin(actor);
    const o = await this.organization(idOrName);
    await this.storage.sharing.removeOrganization(o.id);
    await this.audit.record(actor, 'org.remove', { objectId: o.id, detail: { name: o.name } });
  }

  // ---- sharing groups ----

  async createGroup(
    actor: Principal,
    g: { name: string; passOn: boolean; description?: string | undefined },
  ): Promise<SharingGroup> {
    requireAdmin(actor);
    if (!NAME_RE.test(g.name))
      throw new EntenteError(
        'INVALID',
        `group name "${g.name}" must be 1-100 letters, digits, spaces or ._&()'-`,
      );
    if (await this.storage.sharing.getGroup(g.name))
      throw new EntenteError('CONFLICT', `a sharing group named "${g.name}" exists`);
    const id = `sharing-group--${randomUUID()}`;
    await this.storage.sharing.createGroup({
      id,
      name: g.name,
      description: g.description ?? null,
      passOn: g.passOn,
      createdAt: this.now(),
    });
    await this.audit.record(actor, 'group.create', {
      objectId: id,
      detail: { name: g.name, passOn: g.passOn },
    });
    return this.group(id);
  }

  listGroups(): Promise<SharingGroup[]> {
    return this.storage.sharing.listGroups();
  }

  async group(idOrName: string): Promise<SharingGroup> {
    const g = await this.storage.sharing.getGroup(idOrName);
    if (!g) throw notFound(`no sharing group "${idOrName}"`);
    return g;
  }

  async addMember(actor: Principal, group: string, org: string): Promise<SharingGroup> {
    requireAdmin(actor);
    const g = await this.group(group);
    const o = await this.organization(org);
    await this.storage.sharing.addMember(g.id, o.id);
    await this.audit.record(actor, 'group.member.add', { objectId: g.id, detail: { organization: o.id } });
    return this.group(g.id);
  }

  async removeMember(actor: Principal, group: string, org: string): Promise<SharingGroup> {
    requireAdmin(actor);
    const g = await this.group(group);
    const o = await this.organization(org);
    if (!(await this.storage.sharing.removeMember(g.id, o.id)))
      throw notFound(`${o.name} is not a member of ${g.name}`);
    await this.audit.record(actor, 'group.member.remove', { objectId: g.id, detail: { organization: o.id } });
    return this.group(g.id);
  }

  async setPassOn(actor: Principal, group: string, passOn: boolean): Promise<SharingGroup> {
    requireAdmin(actor);
    const g = await this.group(group);
    await this.storage.sharing.setPassOn(g.id, passOn);
    await this.audit.record(actor, 'group.pass-on', { objectId: g.id, detail: { passOn } });
    return this.group(g.id);
  }

  async removeGroup(actor: Principal, group: string): Promise<void> {
    requireAdmin(actor);
    const g = await this.group(group);
    await this.storage.sharing.removeGroup(g.id);
    await this.audit.record(actor, 'group.remove', { objectId: g.id, detail: { name: g.name } });
  }

  // ---- collection defaults ----

  async setCollectionDefault(actor: Principal, collectionId: string, level: string): Promise<TlpLevel> {
    requireAdmin(actor);
    const parsed = parseTlpLevel(level);
    if (parsed === undefined)
      throw new EntenteError(
        'INVALID',
        `"${level}" is not a TLP level (clear, green, amber, amber+strict, red)`,
      );
    if ((await this.storage.sharing.collectionDefault(collectionId)) === undefined)
      throw notFound(`no collection "${collectionId}"`);
    await this.storage.sharing.setCollectionDefault(collectionId, parsed);
    await this.audit.record(actor, 'collection.default-tlp', { collectionId, detail: { level: parsed } });
    return parsed;
  }

  // ---- the access decision ----

  /** What the SQL filter needs about `principal` (src/storage/visibility.ts). */
  visibilityFor(principal: Principal): Promise<Visibility> {
    return this.storage.sharing.visibilityOf(principal);
  }

  accessContext(): Promise<AccessContext> {
    return this.storage.sharing.accessContext();
  }

  /** Whether `principal` may see some stored version of `objectId` (false for an id not stored). */
  async canSeeObject(principal: Principal, objectId: string): Promise<boolean> {
    const versions = (await this.storage.sharing.accessFacts([objectId])).get(objectId) ?? [];
    const ctx = await this.accessContext();
    return versions.some((v) => canSee(principal, v, ctx));
  }

  /**
   * Whether `principal` may pass `objectId` on to organisation `recipient` (every stored version of it must
   * allow it). Audited when allowed; a denied share reads as "not found" when the object is hidden.
   */
  async checkShare(principal: Principal, objectId: string, recipient: string): Promise<boolean> {
    const versions = (await this.storage.sharing.accessFacts([objectId])).get(objectId) ?? [];
    const ctx = await this.accessContext();
    if (!versions.some((v) => canSee(principal, v, ctx))) throw notFound(`no object ${objectId}`);
    const org = await this.organization(recipient);
    const allowed = versions.every((v) => !canSee(principal, v, ctx) || canShare(principal, v, org.id, ctx));
    if (allowed) await this.audit.record(principal, 'share', { objectId, detail: { recipient: org.id } });
    return allowed;
  }
}

function requireAdmin(actor: Principal): void {
  if (!actor.roles.includes('admin'))
    throw new EntenteError('FORBIDDEN', 'managing organisations, groups and defaults needs the admin role');
}
