/**
 * The pure access decision against a plain reading of docs/sharing.md (test/access/reference.ts), and the laws
 * the document states. More than 100,000 generated (principal, object) decisions per run.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  canSee,
  canShare,
  type AccessContext,
  type ObjectAccessFacts,
} from '../../src/core/access/policy.js';
import type { Principal } from '../../src/core/access/principal.js';
import {
  objectArb,
  principalArb,
  refSee,
  refShare,
  worldArb,
  TLP2,
  TLP_IDS,
  UNKNOWN_MARKING,
  type RefObject,
  type RefWorld,
} from './reference.js';

export function contextOf(w: RefWorld): AccessContext {
  return {
    statementMarkings: new Set(w.statements),
    organizations: new Set(w.registered),
    groups: new Map(w.groups.map((g) => [g.id, { id: g.id, members: new Set(g.members), passOn: g.passOn }])),
  };
}

export function factsOf(o: RefObject): ObjectAccessFacts {
  return {
    id: o.id,
    markingRefs: o.markingRefs,
    createdByRef: o.createdByRef,
    sharingGroupId: o.sharingGroupId,
    collectionDefaults: o.collectionDefaults,
    ends: o.ends.map((end) => end.map(factsOf)),
  };
}

const scenarioArb = fc.record({
  world: worldArb,
  principals: fc.array(principalArb, { minLength: 8, maxLength: 12 }),
  objects: fc.array(objectArb, { minLength: 10, maxLength: 16 }),
});

let decisions = 0;

describe('the access policy (canSee, canShare)', () => {
  afterAll(() => {
    expect(decisions).toBeGreaterThanOrEqual(100_000);
  });

  it('canSee agrees with the tables of docs/sharing.md on every generated case', () => {
    fc.assert(
      fc.property(scenarioArb, ({ world, principals, objects }) => {
        const ctx = contextOf(world);
        for (const p of principals)
          for (const o of objects) {
            decisions++;
            const got = canSee(p, factsOf(o), ctx);
            if (got !== refSee(world, p, o))
              expect.fail(
                `canSee=${got} for ${JSON.stringify(p)} on ${JSON.stringify(o)} in ${JSON.stringify(world)}`,
              );
          }
      }),
      { numRuns: 1300 },
    );
  });

  it('canShare agrees with the re-share table and implies canSee', () => {
    fc.assert(
      fc.property(scenarioArb, ({ world, principals, objects }) => {
        const ctx = contextOf(world);
        for (const p of principals.slice(0, 4))
          for (const o of objects)
            for (const r of world.orgs) {
              const shared = canShare(p, factsOf(o), r, ctx);
              expect(shared).toBe(refShare(world, p, o, r));
              if (shared) expect(canSee(p, factsOf(o), ctx)).toBe(true);
            }
      }),
      { numRuns: 300 },
    );
  });

  it('adding a marking to a marked object never widens the audience', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.constantFrom(...Object.values(TLP2), UNKNOWN_MARKING),
        ({ world, principals, objects }, extra) => {
          const ctx = contextOf(world);
          for (const p of principals)
            for (const o of objects) {
              const more = { ...o, markingRefs: [...o.markingRefs, extra] };
              const marked = o.markingRefs.some((m) => TLP_IDS[m] !== undefined);
              if (marked && canSee(p, factsOf(more), ctx)) expect(canSee(p, factsOf(o), ctx)).toBe(true);
            }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaving a sharing group never widens what an organisation sees', () => {
    fc.assert(
      fc.property(scenarioArb, ({ world, principals, objects }) => {
        const narrower: RefWorld = {
          ...world,
          groups: world.groups.map((g) => ({ ...g, members: g.members.slice(1) })),
        };
        for (const p of principals)
          for (const o of objects)
            if (canSee(p, factsOf(o), contextOf(narrower)))
              expect(canSee(p, factsOf(o), contextOf(world))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('an admin role grants no read access beyond what its organisation may see', () => {
    fc.assert(
      fc.property(scenarioArb, ({ world, principals, objects }) => {
        const ctx = contextOf(world);
        for (const p of principals) {
          if (p.organizationId === null) continue;
          const admin: Principal = { ...p, roles: ['admin'] };
          const reader: Principal = { ...p, roles: ['reader'] };
          for (const o of objects)
            expect(canSee(admin, factsOf(o), ctx)).toBe(canSee(reader, factsOf(o), ctx));
        }
      }),
      { numRuns: 200 },
    );
  });
});
