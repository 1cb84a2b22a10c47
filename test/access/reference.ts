/**
 * A plain, independent reading of the tables in docs/sharing.md, written from the document (not from
 * src/core/access/policy.ts): the TLP ids are spelled out, each table row is one line. The property tests compare
 * the policy and the SQL filter against this.
 */
import fc from 'fast-check';
import type { Principal, Role } from '../../src/core/access/principal.js';

export type Level = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';
const ORDER: readonly Level[] = ['clear', 'green', 'amber', 'amber+strict', 'red'];

/** STIX 2.1 §7.2.1.4 (TLP 1.0) and the OASIS TLP 2.0 extension's fixed ids. */
export const TLP_IDS: Readonly<Record<string, Level>> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'clear', // TLP:WHITE
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487': 'clear',
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb': 'green',
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421': 'amber',
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003': 'amber+strict',
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1': 'red',
};
export const TLP2 = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
} as const;

export const STATEMENT_KNOWN = 'marking-definition--aaaaaaaa-0000-4000-8000-000000000001';
export const STATEMENT_KNOWN_2 = 'marking-definition--aaaaaaaa-0000-4000-8000-000000000002';
export const UNKNOWN_MARKING = 'marking-definition--bbbbbbbb-0000-4000-8000-000000000003';

export interface RefGroup {
  readonly id: string;
  readonly members: readonly string[];
  readonly passOn: boolean;
}

export interface RefWorld {
  /** Every organisation id in play; `registered` are those on the node. */
  readonly orgs: readonly string[];
  readonly registered: readonly string[];
  readonly groups: readonly RefGroup[];
  readonly statements: readonly string[];
}

export interface RefObject {
  readonly id: string;
  readonly markingRefs: readonly string[];
  readonly createdByRef: string | null;
  readonly sharingGroupId: string | null;
  readonly collectionDefaults: readonly Level[];
  readonly ends: readonly (readonly RefObject[])[];
}

const strictest = (levels: readonly Level[]): Level =>
  levels.reduce<Level>((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'clear');

/** "Level" and rule 1 of docs/sharing.md; undefined = a marking nobody understands. */
export function refLevel(w: RefWorld, o: RefObject): Level | undefined {
  const tlp: Level[] = [];
  for (const m of o.markingRefs) {
    const l = TLP_IDS[m];
    if (l) tlp.push(l);
    else if (!w.statements.includes(m)) return undefined;
  }
  if (tlp.length > 0) return strictest(tlp);
  if (o.collectionDefaults.length === 0) return 'red';
  return strictest(o.collectionDefaults);
}

const member = (w: RefWorld, p: Principal): boolean =>
  p.roles.length > 0 && p.organizationId !== null && w.registered.includes(p.organizationId);
const peer = (p: Principal): boolean => p.roles.includes('peer');

/** The "Who may see" table, one row per level (after rules 1, 4 and 5). */
const SEE: Readonly<Record<Level, (m: boolean, isPeer: boolean, g: RefGroup | null) => boolean>> = {
  clear: () => true,
  green: (m, isPeer, g) => m && (!isPeer || g === null || g.passOn),
  amber: (m, isPeer) => m && !isPeer,
  'amber+strict': (m, isPeer) => m && !isPeer,
  red: (m, isPeer, g) => m && !isPeer && g !== null,
};

function refSeeOne(w: RefWorld, p: Principal, o: RefObject): boolean {
  const level = refLevel(w, o); // rule 1
  if (level === undefined) return false;
  if (member(w, p) && o.createdByRef !== null && o.createdByRef === p.organizationId) return true; // rule 4
  let g: RefGroup | null = null;
  if (o.sharingGroupId !== null) {
    // rule 5
    const found = w.groups.find((x) => x.id === o.sharingGroupId);
    if (!found) return false;
    if (p.organizationId === null || !found.members.includes(p.organizationId)) return false;
    g = found;
  }
  return SEE[level](member(w, p), peer(p), g);
}

export function refSee(w: RefWorld, p: Principal, o: RefObject): boolean {
  if (!refSeeOne(w, p, o)) return false;
  // rule 6: an end stored here of which no version is visible hides the relationship.
  return o.ends.every((end) => end.length === 0 || end.some((v) => refSeeOne(w, p, v)));
}

/** The "Who may re-share" table. */
export function refShare(w: RefWorld, p: Principal, o: RefObject, r: string): boolean {
  if (!refSee(w, p, o)) return false;
  const level = refLevel(w, o)!;
  const own = r === p.organizationId;
  const g = o.sharingGroupId === null ? null : (w.groups.find((x) => x.id === o.sharingGroupId) ?? null);
  if (g !== null && !g.passOn && !own && !g.members.includes(r)) return false;
  const asReader: Principal = { id: r, kind: 'user', name: r, organizationId: r, roles: ['reader'] };
  const row: Record<Level, () => boolean> = {
    clear: () => true,
    green: () => w.registered.includes(r),
    amber: () => own || refSee(w, asReader, o),
    'amber+strict': () => own,
    red: () =>
      o.createdByRef !== null &&
      o.createdByRef === p.organizationId &&
      g !== null &&
      g.members.includes(r) &&
      w.registered.includes(r),
  };
  return row[level]();
}

// ---- generators --------------------------------------------------------------------------------------------

const ORG_IDS = [0, 1, 2, 3, 4].map((i) => `identity--0000000${i}-0000-4000-8000-00000000000${i}`);
const GROUP_IDS = ['g-alpha', 'g-beta', 'g-gamma'];
const MISSING_GROUP = 'g-missing';
const levelArb = fc.constantFrom<Level>(...ORDER);
const markingArb = fc.constantFrom(
  ...Object.keys(TLP_IDS),
  STATEMENT_KNOWN,
  STATEMENT_KNOWN_2,
  UNKNOWN_MARKING,
);

export const worldArb: fc.Arbitrary<RefWorld> = fc
  .record({
    registered: fc.subarray(ORG_IDS.slice(0, 4)),
    groups: fc.tuple(
      ...GROUP_IDS.map((id) =>
        fc.record({ id: fc.constant(id), members: fc.subarray(ORG_IDS.slice(0, 4)), passOn: fc.boolean() }),
      ),
    ),
    groupCount: fc.integer({ min: 0, max: GROUP_IDS.length }),
    statements: fc.subarray([STATEMENT_KNOWN, STATEMENT_KNOWN_2]),
  })
  .map(({ registered, groups, groupCount, statements }) => ({
    orgs: ORG_IDS,
    registered,
    // Groups only hold registered organisations (storage enforces it with a foreign key).
    groups: groups
      .slice(0, groupCount)
      .map((g) => ({ ...g, members: g.members.filter((m) => registered.includes(m)) })),
    statements,
  }));

const roleArb = fc.subarray<Role>(['admin', 'analyst', 'reader', 'peer']);
export const principalArb: fc.Arbitrary<Principal> = fc
  .record({ org: fc.constantFrom<string | null>(...ORG_IDS, null), roles: roleArb, n: fc.nat(1e6) })
  .map(({ org, roles, n }): Principal =>
    org === null
      ? { id: 'anonymous', kind: 'anonymous', name: 'anonymous', organizationId: null, roles: [] }
      : { id: `user-${n}`, kind: 'user', name: `user-${n}`, organizationId: org, roles },
  );

const plainObjectArb = (idArb: fc.Arbitrary<string>): fc.Arbitrary<RefObject> =>
  fc.record({
    id: idArb,
    markingRefs: fc.array(markingArb, { maxLength: 3 }),
    createdByRef: fc.constantFrom<string | null>(...ORG_IDS, null, null),
    sharingGroupId: fc.constantFrom<string | null>(null, null, null, ...GROUP_IDS, MISSING_GROUP),
    collectionDefaults: fc.array(levelArb, { minLength: 1, maxLength: 2 }),
    ends: fc.constant([]),
  });

export const objectArb: fc.Arbitrary<RefObject> = fc
  .tuple(
    plainObjectArb(fc.uuid().map((u) => `indicator--${u}`)),
    fc.boolean(),
    fc.array(fc.array(plainObjectArb(fc.constant('malware--x')), { maxLength: 2 }), {
      minLength: 2,
      maxLength: 2,
    }),
  )
  .map(([o, isRelationship, ends]) => (isRelationship ? { ...o, ends } : o));
