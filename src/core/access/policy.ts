/**
 * The one access decision (docs/sharing.md): may this principal see this object, may it pass it on to that
 * organisation. Pure and deny-by-default: anything not positively allowed by the tables in docs/sharing.md is
 * refused. `src/storage/visibility.ts` is the same decision written as SQL; the property tests keep them equal.
 */
import { TLP1_BY_ID, TLP2_BY_ID } from '../stix/markings.js';
import type { Principal } from './principal.js';

export type TlpLevel = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';

/** Least to most restrictive. */
export const TLP_LEVELS: readonly TlpLevel[] = Object.freeze([
  'clear',
  'green',
  'amber',
  'amber+strict',
  'red',
]);

/** Rank of each level: a larger rank is more restrictive. Stored as an integer by storage. */
export const TLP_RANK: Readonly<Record<TlpLevel, number>> = Object.freeze({
  clear: 0,
  green: 1,
  amber: 2,
  'amber+strict': 3,
  red: 4,
});

/** The level a new collection gives its unmarked objects. */
export const DEFAULT_COLLECTION_LEVEL: TlpLevel = 'amber';

/** The TLP level a predefined TLP 1.0 / 2.0 marking-definition id stands for; undefined for any other id. */
export function tlpLevelOfMarking(ref: string): TlpLevel | undefined {
  const v2 = TLP2_BY_ID.get(ref);
  if (v2 !== undefined) return v2;
  const v1 = TLP1_BY_ID.get(ref);
  if (v1 === undefined) return undefined;
  return v1 === 'white' ? 'clear' : v1;
}

export function parseTlpLevel(text: string): TlpLevel | undefined {
  const t = text.trim().toLowerCase().replace(/^tlp:/, '');
  if (t === 'white') return 'clear';
  return (TLP_LEVELS as readonly string[]).includes(t) ? (t as TlpLevel) : undefined;
}

/** What storage keeps about one object version, as far as access is concerned. */
export interface ObjectAccessFacts {
  readonly id: string;
  /** Every marking reference: `object_marking_refs` and the `marking_ref` of each granular marking. */
  readonly markingRefs: readonly string[];
  readonly createdByRef: string | null;
  /** The sharing group the version was published in, or null. */
  readonly sharingGroupId: string | null;
  /** The default level of every collection that holds this version (an unmarked object takes the strictest). */
  readonly collectionDefaults: readonly TlpLevel[];
  /**
   * For a relationship (`source_ref`, `target_ref`) or a sighting (`sighting_of_ref`): each end, with the facts of
   * every version of it stored on this node (none when it is not stored here).
   */
  readonly ends?: readonly (readonly ObjectAccessFacts[])[];
}

export interface SharingGroupFacts {
  readonly id: string;
  /** Organisation (identity) ids. */
  readonly members: ReadonlySet<string>;
  /** Whether members may pass the group's objects on beyond the group. */
  readonly passOn: boolean;
}

/** What the node knows that the decision needs. */
export interface AccessContext {
  /** Ids of the `statement` marking-definitions stored on this node (TLP ids are built in). */
  readonly statementMarkings: ReadonlySet<string>;
  /** Organisations registered on this node (the community). */
  readonly organizations: ReadonlySet<string>;
  readonly groups: ReadonlyMap<string, SharingGroupFacts>;
}

/**
 * The object's effective level: the most restrictive TLP marking; unmarked → the strictest collection default
 * (RED when it is in no collection). Undefined when a marking reference is not understood (rule 1: deny).
 */
export function effectiveLevel(o: ObjectAccessFacts, ctx: AccessContext): TlpLevel | undefined {
  let rank = -1;
  for (const ref of o.markingRefs) {
    const level = tlpLevelOfMarking(ref);
    if (level !== undefined) rank = Math.max(rank, TLP_RANK[level]);
    else if (!ctx.statementMarkings.has(ref)) return undefined;
  }
  if (rank < 0) {
    if (o.collectionDefaults.length === 0) return 'red';
    for (const d of o.collectionDefaults) rank = Math.max(rank, TLP_RANK[d]);
  }
  return TLP_LEVELS[rank];
}

/** A principal with a role acting for an organisation registered on this node. */
export function isCommunityMember(p: Principal, ctx: AccessContext): boolean {
  return p.roles.length > 0 && p.organizationId !== null && ctx.organizations.has(p.organizationId);
}

const isPeer = (p: Principal): boolean => p.roles.includes('peer');

/** The decision for one version on its own, without looking at relationship ends. */
function canSeeVersion(p: Principal, o: ObjectAccessFacts, ctx: AccessContext): boolean {
  const level = effectiveLevel(o, ctx);
  if (level === undefined) return false;
  const member = isCommunityMember(p, ctx);
  if (member && o.createdByRef !== null && o.createdByRef === p.organizationId) return true;
  let group: SharingGroupFacts | undefined;
  if (o.sharingGroupId !== null) {
    group = ctx.groups.get(o.sharingGroupId);
    if (group === undefined) return false;
    if (p.organizationId === null || !group.members.has(p.organizationId)) return false;
  }
  if (level === 'clear') return true;
  if (!member) return false;
  switch (level) {
    case 'green':
      return !isPeer(p) || group === undefined || group.passOn;
    case 'amber':
    case 'amber+strict':
      return !isPeer(p);
    case 'red':
      return !isPeer(p) && group !== undefined;
  }
}

/** May `p` see `o`? Deny by default; see docs/sharing.md. */
export function canSee(p: Principal, o: ObjectAccessFacts, ctx: AccessContext): boolean {
  if (!canSeeVersion(p, o, ctx)) return false;
  for (const end of o.ends ?? []) {
    if (end.length > 0 && !end.some((v) => canSeeVersion(p, v, ctx))) return false;
  }
  return true;
}

/** A reader acting for organisation `org`: how the recipient of a share would see the object. */
export function organizationReader(org: string): Principal {
  return { id: `org:${org}`, kind: 'user', name: org, organizationId: org, roles: ['reader'] };
}

/** May `p` pass `o` on to organisation `recipientOrg`? Implies `canSee(p, o)`; see docs/sharing.md. */
export function canShare(
  p: Principal,
  o: ObjectAccessFacts,
  recipientOrg: string,
  ctx: AccessContext,
): boolean {
  if (!canSee(p, o, ctx)) return false;
  const level = effectiveLevel(o, ctx);
  if (level === undefined) return false;
  const own = p.organizationId !== null && recipientOrg === p.organizationId;
  const group = o.sharingGroupId === null ? undefined : ctx.groups.get(o.sharingGroupId);
  if (group !== undefined && !group.passOn && !own && !group.members.has(recipientOrg)) return false;
  switch (level) {
    case 'clear':
      return true;
    case 'green':
      return ctx.organizations.has(recipientOrg);
    case 'amber':
      return own || canSee(organizationReader(recipientOrg), o, ctx);
    case 'amber+strict':
      return own;
    case 'red':
      return (
        p.organizationId !== null &&
        o.createdByRef === p.organizationId &&
        group !== undefined &&
        group.members.has(recipientOrg) &&
        ctx.organizations.has(recipientOrg)
      );
  }
}
