/**
 * The SQL visibility filter (src/storage/visibility.ts) against a plain reading of docs/sharing.md, on real
 * SQLite and PostgreSQL: generated organisations, sharing groups, principals, marked objects and relationships
 * are stored, then every read path of storage is asked as each principal. (a) Everything returned is allowed;
 * (b) everything allowed and matching is returned; pages are full until the last (`more` never lies); counts
 * count exactly the visible objects. The pure policy is checked against the same stored facts.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSee, TLP_LEVELS, type TlpLevel } from '../../src/core/access/policy.js';
import type { Principal } from '../../src/core/access/principal.js';
import { openStorage, type NewVersion, type Storage, type WritePolicy } from '../../src/storage/index.js';
import type { Visibility } from '../../src/storage/visibility.js';
import { testDatabases } from '../support/databases.js';
import {
  principalArb,
  refSee,
  worldArb,
  STATEMENT_KNOWN,
  STATEMENT_KNOWN_2,
  TLP_IDS,
  UNKNOWN_MARKING,
  type Level,
  type RefObject,
  type RefWorld,
} from './reference.js';

const policy: WritePolicy = { sameContent: (a, b) => a === b, checkTransition: () => [] };
const COLLECTIONS = ['c-one', 'c-two', 'c-three'];
const ORG_NAMES = new Map<string, string>();

interface GenObject {
  readonly kind: 'indicator' | 'relationship';
  readonly markings: readonly string[];
  /** How many of `markings` go into granular_markings instead of object_marking_refs. */
  readonly granular: number;
  readonly createdBy: number | null;
  readonly group: number | null;
  readonly collections: readonly number[];
  readonly source: number;
  readonly target: number;
}

const markingArb = fc.constantFrom(
  ...Object.keys(TLP_IDS),
  STATEMENT_KNOWN,
  STATEMENT_KNOWN_2,
  UNKNOWN_MARKING,
);
const genObjectArb: fc.Arbitrary<GenObject> = fc.record({
  kind: fc.constantFrom<'indicator' | 'relationship'>('indicator', 'indicator', 'relationship'),
  markings: fc.array(markingArb, { maxLength: 3 }),
  granular: fc.nat(2),
  createdBy: fc.option(fc.nat(4), { nil: null }),
  group: fc.option(fc.nat(3), { nil: null, freq: 2 }),
  collections: fc.subarray([0, 1, 2], { minLength: 1 }),
  source: fc.nat(30),
  target: fc.nat(30),
});

const sqlScenarioArb = fc.record({
  world: worldArb,
  defaults: fc.tuple(...COLLECTIONS.map(() => fc.constantFrom<Level>(...TLP_LEVELS))),
  principals: fc.array(principalArb, { minLength: 4, maxLength: 6 }),
  objects: fc.array(genObjectArb, { minLength: 6, maxLength: 20 }),
  pageSize: fc.integer({ min: 1, max: 5 }),
});

const uuid = (n: number, salt: string): string => {
  const h = createHash('sha256').update(`${salt}:${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

function version(obj: Record<string, unknown>): NewVersion {
  const body = JSON.stringify(obj);
  const id = obj.id as string;
  return {
    id,
    type: obj.type as string,
    specVersion: '2.1',
    versionKey: (obj.modified as string | undefined) ?? '',
    version: (obj.modified as string | undefined) ?? null,
    createdByRef: (obj.created_by_ref as string | undefined) ?? null,
    markings: (obj.object_marking_refs as string[] | undefined) ?? null,
    revoked: false,
    body,
  };
}

interface Stored {
  readonly ref: RefObject;
  readonly type: string;
  readonly collections: readonly string[];
}

/** Writes the scenario; returns the reference reading of each stored object. */
async function store(
  s: Storage,
  world: RefWorld,
  defaults: readonly Level[],
  objects: readonly GenObject[],
  run: number,
): Promise<Stored[]> {
  const db = (s as unknown as { sharing: { db: import('kysely').Kysely<unknown> } }).sharing.db;
  for (const t of [
    'collection_entries',
    'stix_versions',
    'version_marking_refs',
    'statement_markings',
    'sharing_group_members',
    'sharing_groups',
    'organizations',
  ])
    await sql`delete from ${sql.table(t)}`.execute(db);
  for (const [i, c] of COLLECTIONS.entries()) {
    await s.collections.ensure({
      id: c,
      title: c,
      description: null,
      alias: null,
      createdAt: '2026-01-01T00:00:00Z',
    });
    await s.sharing.setCollectionDefault(c, defaults[i] as TlpLevel);
  }
  for (const o of world.registered) {
    if (!ORG_NAMES.has(o)) ORG_NAMES.set(o, `org-${ORG_NAMES.size}`);
    await s.sharing.addOrganization({
      id: o,
      name: ORG_NAMES.get(o)!,
      identity: '{}',
      createdAt: '2026-01-01T00:00:00Z',
    });
  }
  for (const g of world.groups) {
    await s.sharing.createGroup({
      id: g.id,
      name: g.id,
      description: null,
      passOn: g.passOn,
      createdAt: '2026-01-01',
    });
    for (const m of g.members) await s.sharing.addMember(g.id, m);
  }
  // Known statement markings are stored marking-definitions.
  await s.objects.writeBatch(
    'c-one',
    world.statements.map((id) =>
      version({
        type: 'marking-definition',
        spec_version: '2.1',
        id,
        created: '2020-01-01T00:00:00.000Z',
        definition_type: 'statement',
        definition: { statement: 'Copyright' },
      }),
    ),
    policy,
  );
  const ids = objects.map((o, i) => `${o.kind}--${uuid(i, `r${run}`)}`);
  const stored: (Stored | undefined)[] = [];
  const groupIds = [...world.groups.map((g) => g.id), 'g-missing'];
  const byCollection = new Map<string, NewVersion[]>();
  // Indicators first, then relationships (whose ends refer to indicators by index, or to unstored ids).
  const order = [...objects.keys()].sort((a, b) =>
    objects[a]!.kind === objects[b]!.kind ? a - b : objects[a]!.kind === 'indicator' ? -1 : 1,
  );
  for (const i of order) {
    const o = objects[i]!;
    const objectRefs = o.markings.slice(o.granular);
    const granular = o.markings.slice(0, o.granular);
    const endId = (n: number): string =>
      n < objects.length && objects[n]!.kind === 'indicator' ? ids[n]! : `malware--${uuid(n, 'absent')}`;
    const body: Record<string, unknown> = {
      type: o.kind,
      spec_version: '2.1',
      id: ids[i],
      created: '2020-01-01T00:00:00.000Z',
      modified: '2020-01-01T00:00:00.000Z',
      ...(o.createdBy !== null ? { created_by_ref: world.orgs[o.createdBy] } : {}),
      ...(objectRefs.length > 0 ? { object_marking_refs: objectRefs } : {}),
      ...(granular.length > 0
        ? { granular_markings: granular.map((m) => ({ marking_ref: m, selectors: ['name'] })) }
        : {}),
      ...(o.kind === 'relationship'
        ? { relationship_type: 'uses', source_ref: endId(o.source), target_ref: endId(o.target) }
        : { pattern: "[a:b = 'c']" }),
    };
    const group = o.group === null ? null : (groupIds[o.group % groupIds.length] ?? null);
    const v = { ...version(body), sharingGroupId: group };
    for (const c of o.collections) {
      const list = byCollection.get(COLLECTIONS[c]!) ?? [];
      list.push(v);
      byCollection.set(COLLECTIONS[c]!, list);
    }
    const plain = (): RefObject => ({
      id: ids[i]!,
      markingRefs: o.markings,
      createdByRef: o.createdBy === null ? null : world.orgs[o.createdBy]!,
      sharingGroupId: group,
      collectionDefaults: o.collections.map((c) => defaults[c]!),
      ends: [],
    });
    const ends =
      o.kind === 'relationship'
        ? [o.source, o.target].map((n) =>
            n < objects.length && objects[n]!.kind === 'indicator' ? [stored[n]!.ref] : [],
          )
        : [];
    stored[i] = {
      ref: { ...plain(), ends },
      type: o.kind,
      collections: o.collections.map((c) => COLLECTIONS[c]!),
    };
  }
  for (const [c, list] of byCollection) await s.objects.writeBatch(c, list, policy);
  return stored.filter((x): x is Stored => x !== undefined);
}

async function visibilityOf(s: Storage, p: Principal): Promise<Visibility> {
  return s.sharing.visibilityFacts(p.organizationId, p.roles.length > 0, p.roles.includes('peer'));
}

let cases = 0;

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`the SQL visibility filter on ${target.name}`, () => {
    let s: Storage;
    beforeAll(async () => {
      s = await openStorage(await target.fresh());
    });
    afterAll(async () => {
      await s.close();
      expect(cases).toBeGreaterThan(0);
    });

    it('returns exactly what docs/sharing.md allows, on every read path, and pages never come back short', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(sqlScenarioArb, async ({ world, defaults, principals, objects, pageSize }) => {
          const stored = await store(s, world, defaults, objects, run++);
          const ctx = await s.sharing.accessContext();
          const facts = await s.sharing.accessFacts(stored.map((o) => o.ref.id));
          for (const p of principals) {
            const vis = await visibilityOf(s, p);
            const allowed = new Set(stored.filter((o) => refSee(world, p, o.ref)).map((o) => o.ref.id));
            // The pure policy on the facts storage keeps.
            for (const o of stored) {
              cases++;
              expect(canSee(p, facts.get(o.ref.id)![0]!, ctx), o.ref.id).toBe(allowed.has(o.ref.id));
            }
            for (const c of COLLECTIONS) {
              const expected = stored
                .filter((o) => o.collections.includes(c) && allowed.has(o.ref.id))
                .map((o) => o.ref.id);
              // Paged reads: concatenated pages are exactly the allowed ones, in order; only the last is short.
              const seen: string[] = [];
              let afterSeq: number | undefined;
              for (;;) {
                const page = await s.objects.listEntries(
                  { collectionId: c, types: ['indicator', 'relationship'], afterSeq, limit: pageSize },
                  vis,
                );
                seen.push(...page.map((e) => e.id));
                if (page.length < pageSize) break;
                afterSeq = page.at(-1)!.seq;
              }
              expect(new Set(seen)).toEqual(new Set(expected));
              expect(seen).toHaveLength(expected.length);
              // The TAXII read.
              const taxii = await s.taxii.queryEntries(
                {
                  collectionId: c,
                  types: ['indicator', 'relationship'],
                  versions: { all: false, first: false, last: true, keys: [], datesAdded: [] },
                  limit: 1000,
                  withBody: false,
                },
                vis,
              );
              expect(new Set(taxii.map((e) => e.id))).toEqual(new Set(expected));
              // Counts.
              const counts = await s.objects.countByType(c, vis);
              const counted = counts
                .filter((t) => t.type !== 'marking-definition')
                .reduce((n, t) => n + t.objects, 0);
              expect(counted).toBe(expected.length);
            }
            // Global reads (export of everything, statistics).
            const all = await s.objects.listVersions(
              { types: ['indicator', 'relationship'], limit: 10_000 },
              vis,
            );
            expect(new Set(all.map((v) => v.id))).toEqual(allowed);
            const total = (await s.objects.countByType(undefined, vis)).filter(
              (t) => t.type !== 'marking-definition',
            );
            expect(total.reduce((n, t) => n + t.objects, 0)).toBe(allowed.size);
          }
        }),
        { numRuns: target.name === 'sqlite' ? 60 : 25 },
      );
    });
  });
}
