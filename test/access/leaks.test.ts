/**
 * One test per leak listed in issue 5 (seen in MISP and OpenCTI), showing Entente does not have it, through the
 * real ingest path and every read path storage offers (collection pages, TAXII reads, versions, counts, exports),
 * on SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../src/core/access/principal.js';
import { isEntenteError } from '../../src/core/errors.js';
import { createServices, LOCAL_OPERATOR, type Services } from '../../src/services/index.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';
import { sampleIndicator } from '../e2e/taxii-support.js';
import { TLP2, UNKNOWN_MARKING } from './reference.js';

const T = '2026-01-01T00:00:00.000Z';
const T2 = '2026-02-01T00:00:00.000Z';

function relationship(
  source: string,
  target: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'relationship',
    spec_version: '2.1',
    id: `relationship--${randomUUID()}`,
    created: T,
    modified: T,
    relationship_type: 'indicates',
    source_ref: source,
    target_ref: target,
    ...extra,
  };
}

const all = (x: Record<string, unknown>): string => x.id as string;

for (const target of testDatabases) {
  describe.skipIf(!target.available)(`sharing leaks on ${target.name}`, () => {
    let storage: Storage | undefined;

    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });

    async function node() {
      storage = await openStorage(await target.fresh());
      const services: Services = createServices(storage);
      const acme = await services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Acme CERT' });
      const beta = await services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Beta Bank' });
      const gamma = await services.sharing.addOrganization(LOCAL_OPERATOR, { name: 'Gamma Grid' });
      const intel = await services.collections.ensure('intel');
      const user = (org: string, roles: Role[] = ['reader']): Principal => ({
        id: `u-${org}-${roles.join('')}`,
        kind: 'user',
        name: `user of ${org}`,
        organizationId: org,
        roles,
      });
      const publish = async (objects: Record<string, unknown>[], group?: string) => {
        const bytes = new TextEncoder().encode(
          JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects }),
        );
        const report = await services.ingest.importStream(Readable.from([bytes]), {
          collectionId: intel.id,
          sharingGroupId: group,
        });
        expect(report.rejected, JSON.stringify(report.problems)).toBe(0);
        return report;
      };
      /** Every read path, as `p`: ids returned by each. */
      const reads = async (p: Principal) => {
        const vis = await services.sharing.visibilityFor(p);
        const page = (
          await storage!.objects.listEntries({ collectionId: intel.id, versions: 'all', limit: 1000 }, vis)
        ).map((e) => e.id);
        const taxii = (
          await storage!.taxii.queryEntries(
            {
              collectionId: intel.id,
              versions: { all: true, first: false, last: false, keys: [], datesAdded: [] },
              limit: 1000,
              withBody: true,
            },
            vis,
          )
        ).map((e) => e.id);
        const versions = (await storage!.objects.listVersions({ versions: 'all', limit: 1000 }, vis)).map(
          (v) => v.id,
        );
        let text = '';
        for await (const chunk of services.exports.exportBundle({
          collectionId: intel.id,
          versions: 'all',
          as: p,
        }))
          text += chunk;
        const exported = ((JSON.parse(text) as { objects?: { id: string }[] }).objects ?? []).map(
          (o) => o.id,
        );
        const stats = await services.stats.stats(p);
        return { page, taxii, versions, exported, text, stats };
      };
      return { services, acme, beta, gamma, intel, user, publish, reads };
    }

    it('a TLP:RED relationship is not inferable from another tab: a relationship to a hidden object is hidden', async () => {
      const n = await node();
      const red = sampleIndicator({ object_marking_refs: [TLP2.red], created_by_ref: n.acme.id });
      const malware = {
        type: 'malware',
        spec_version: '2.1',
        id: `malware--${randomUUID()}`,
        created: T,
        modified: T,
        name: 'x',
        is_family: true,
        object_marking_refs: [TLP2.green],
      };
      const rel = relationship(all(red), all(malware), { object_marking_refs: [TLP2.green] });
      await n.publish([red, malware, rel]);
      const beta = await n.reads(n.user(n.beta.id));
      for (const ids of [beta.page, beta.taxii, beta.versions, beta.exported]) {
        expect(ids).toContain(all(malware));
        expect(ids).not.toContain(all(red));
        expect(ids).not.toContain(all(rel));
      }
      expect(beta.text).not.toContain(all(red));
      expect(beta.stats.byType.find((t) => t.type === 'relationship')).toBeUndefined();
      // The author sees its RED indicator and so the relationship.
      const acme = await n.reads(n.user(n.acme.id));
      expect(acme.page).toEqual(expect.arrayContaining([all(red), all(rel), all(malware)]));
    });

    it('restricted names are not visible in history: a version one may not see is absent from every version list', async () => {
      const n = await node();
      const v1 = sampleIndicator({ object_marking_refs: [TLP2.green], name: 'public name' });
      const v2 = { ...v1, modified: T2, name: 'Operation Secret Name', object_marking_refs: [TLP2.red] };
      await n.publish([v1]);
      await n.publish([v2]);
      const beta = await n.reads(n.user(n.beta.id));
      expect(beta.text).not.toContain('Operation Secret Name');
      expect(beta.page).toEqual([all(v1)]);
      expect(beta.taxii).toEqual([all(v1)]);
      expect(beta.versions).toEqual([all(v1)]);
      // The latest-only view shows nothing rather than falling back to an older version.
      const vis = await n.services.sharing.visibilityFor(n.user(n.beta.id));
      expect(await storage!.objects.listEntries({ collectionId: n.intel.id, limit: 10 }, vis)).toEqual([]);
    });

    it('filter lists do not reveal markings or types a user cannot see', async () => {
      const n = await node();
      const secretMarking = {
        type: 'marking-definition',
        spec_version: '2.1',
        id: `marking-definition--${randomUUID()}`,
        created: T,
        definition_type: 'statement',
        definition: { statement: 'Project NIGHTJAR handling caveat' },
        object_marking_refs: [TLP2.red],
      };
      const hidden = {
        type: 'campaign',
        spec_version: '2.1',
        id: `campaign--${randomUUID()}`,
        created: T,
        modified: T,
        name: 'c',
        object_marking_refs: [TLP2.red, secretMarking.id],
      };
      await n.publish([secretMarking, hidden, sampleIndicator({ object_marking_refs: [TLP2.green] })]);
      const beta = await n.reads(n.user(n.beta.id));
      expect(beta.stats.byType.map((t) => t.type)).toEqual(['indicator']);
      expect(beta.stats.objects).toBe(1);
      expect(beta.stats.collections[0]?.objects).toBe(1);
      expect(beta.text).not.toContain('NIGHTJAR');
      expect(beta.text).not.toContain(secretMarking.id);
    });

    it('an organisation outside a sharing group receives none of its objects', async () => {
      const n = await node();
      const g = await n.services.sharing.createGroup(LOCAL_OPERATOR, { name: 'finance', passOn: false });
      await n.services.sharing.addMember(LOCAL_OPERATOR, g.id, n.acme.id);
      await n.services.sharing.addMember(LOCAL_OPERATOR, g.id, n.beta.id);
      const objects = [
        sampleIndicator({ object_marking_refs: [TLP2.clear] }),
        sampleIndicator({ object_marking_refs: [TLP2.green] }),
        sampleIndicator({ object_marking_refs: [TLP2.amber] }),
      ];
      await n.publish(objects, g.id);
      const outsider = await n.reads(n.user(n.gamma.id));
      for (const ids of [outsider.page, outsider.taxii, outsider.versions, outsider.exported])
        expect(ids).toEqual([]);
      expect(outsider.stats.objects).toBe(0);
      const anonymous = await n.reads({
        id: 'anonymous',
        kind: 'anonymous',
        name: 'anonymous',
        organizationId: null,
        roles: [],
      });
      expect(anonymous.page).toEqual([]);
      const member = await n.reads(n.user(n.beta.id));
      expect(new Set(member.page)).toEqual(new Set(objects.map(all)));
      // Members may not hand them on outside a group without pass-on.
      expect(await n.services.sharing.checkShare(n.user(n.beta.id), all(objects[1]!), n.gamma.id)).toBe(
        false,
      );
    });

    it('an empty sharing group publishes to nobody', async () => {
      const n = await node();
      const g = await n.services.sharing.createGroup(LOCAL_OPERATOR, { name: 'empty', passOn: true });
      await n.publish(
        [
          sampleIndicator({ object_marking_refs: [TLP2.clear] }),
          sampleIndicator({ object_marking_refs: [TLP2.green] }),
        ],
        g.id,
      );
      for (const org of [n.acme.id, n.beta.id, n.gamma.id]) {
        const r = await n.reads(n.user(org, ['admin', 'analyst']));
        expect([...r.page, ...r.taxii, ...r.versions, ...r.exported]).toEqual([]);
        expect(r.stats.objects).toBe(0);
      }
    });

    it('a TLP:GREEN search returns no AMBER or RED, however the stricter marking is attached', async () => {
      const n = await node();
      const green = sampleIndicator({ object_marking_refs: [TLP2.green] });
      const greenAndRed = sampleIndicator({ object_marking_refs: [TLP2.green, TLP2.red] });
      const granularRed = sampleIndicator({
        object_marking_refs: [TLP2.green],
        granular_markings: [{ marking_ref: TLP2.red, selectors: ['name'] }],
      });
      const amber = sampleIndicator({ object_marking_refs: [TLP2.amber] });
      await n.publish([green, greenAndRed, granularRed, amber]);
      // A federation peer reads what may leave the node: CLEAR and GREEN only.
      const peer = await n.reads(n.user(n.beta.id, ['peer']));
      for (const ids of [peer.page, peer.taxii, peer.versions, peer.exported])
        expect(ids).toEqual([all(green)]);
      const reader = await n.reads(n.user(n.beta.id));
      expect(new Set(reader.page)).toEqual(new Set([all(green), all(amber)]));
    });

    it('markings that reference unknown definitions deny, even to the author', async () => {
      const n = await node();
      const o = sampleIndicator({
        object_marking_refs: [TLP2.green, UNKNOWN_MARKING],
        created_by_ref: n.acme.id,
      });
      await n.publish([o]);
      expect((await n.reads(n.user(n.acme.id))).page).toEqual([]);
      await expect(n.services.sharing.checkShare(n.user(n.acme.id), all(o), n.beta.id)).rejects.toMatchObject(
        { code: 'NOT_FOUND' },
      );
    });

    it('an unmarked object follows its collection default, never public', async () => {
      const n = await node();
      const o = sampleIndicator();
      await n.publish([o]);
      const anonymous: Principal = {
        id: 'anonymous',
        kind: 'anonymous',
        name: 'anonymous',
        organizationId: null,
        roles: [],
      };
      expect((await n.reads(anonymous)).page).toEqual([]); // default TLP:AMBER
      expect((await n.reads(n.user(n.beta.id))).page).toEqual([all(o)]);
      expect((await n.reads(n.user(n.beta.id, ['peer']))).page).toEqual([]);
      await n.services.sharing.setCollectionDefault(LOCAL_OPERATOR, n.intel.id, 'red');
      expect((await n.reads(n.user(n.beta.id))).page).toEqual([]);
      await n.services.sharing.setCollectionDefault(LOCAL_OPERATOR, n.intel.id, 'clear');
      expect((await n.reads(anonymous)).page).toEqual([all(o)]);
    });

    it('TLP:RED goes only to its named recipients, and AMBER+STRICT is never passed outside the organisation', async () => {
      const n = await node();
      const named = await n.services.sharing.createGroup(LOCAL_OPERATOR, { name: 'named', passOn: false });
      await n.services.sharing.addMember(LOCAL_OPERATOR, named.id, n.beta.id);
      const redNamed = sampleIndicator({ object_marking_refs: [TLP2.red], created_by_ref: n.acme.id });
      const redUnnamed = sampleIndicator({ object_marking_refs: [TLP2.red] });
      const strict = sampleIndicator({ object_marking_refs: [TLP2['amber+strict']] });
      await n.publish([redNamed], named.id);
      await n.publish([redUnnamed, strict]);
      expect((await n.reads(n.user(n.beta.id))).page.sort()).toEqual([all(redNamed), all(strict)].sort());
      expect((await n.reads(n.user(n.gamma.id))).page).toEqual([all(strict)]);
      const sharing = n.services.sharing;
      expect(await sharing.checkShare(n.user(n.beta.id), all(redNamed), n.gamma.id)).toBe(false);
      expect(await sharing.checkShare(n.user(n.beta.id), all(strict), n.gamma.id)).toBe(false);
      expect(await sharing.checkShare(n.user(n.beta.id), all(strict), n.beta.id)).toBe(true);
      // A hidden object reads as not found, exactly like one never stored.
      const err = await sharing
        .checkShare(n.user(n.gamma.id), all(redNamed), n.beta.id)
        .catch((e: unknown) => e);
      const never = await sharing
        .checkShare(n.user(n.gamma.id), `indicator--${randomUUID()}`, n.beta.id)
        .catch((e: unknown) => e);
      expect(isEntenteError(err) && isEntenteError(never) && err.code === never.code).toBe(true);
    });

    it('the audit log records reads and exports but never holds the body of an AMBER or RED object', async () => {
      const n = await node();
      const secret = 'CANARY-7f3a-amber-body';
      await n.publish([
        sampleIndicator({ object_marking_refs: [TLP2.amber], name: secret }),
        sampleIndicator({ object_marking_refs: [TLP2.red], name: secret, created_by_ref: n.acme.id }),
      ]);
      const r = await n.reads(n.user(n.acme.id));
      expect(r.text).toContain(secret);
      const log = await n.services.audit.list(LOCAL_OPERATOR, { limit: 1000 });
      expect(log.some((e) => e.action === 'export' && e.detail.objects === 2)).toBe(true);
      expect(JSON.stringify(log)).not.toContain(secret);
      await expect(n.services.audit.list(n.user(n.acme.id), { limit: 10 })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        n.services.audit.record(LOCAL_OPERATOR, 'read', { detail: { body: secret.repeat(20) } }),
      ).rejects.toMatchObject({ code: 'INVALID' });
    });

    it('the audit log is append-only: the database refuses to change or delete an entry', async () => {
      const n = await node();
      const db = (storage as unknown as { sharing: { db: Kysely<unknown> } }).sharing.db;
      expect((await n.services.audit.list(LOCAL_OPERATOR, { limit: 10 })).length).toBeGreaterThan(0);
      await expect(sql`update audit_log set action = 'nothing'`.execute(db)).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_log`.execute(db)).rejects.toThrow(/append-only/);
    });
  });
}
