import { afterAll, describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../src/core/access/principal.js';
import { AuthService, hashPassword, verifyPassword } from '../../src/services/auth-service.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { testDatabases } from '../support/databases.js';

describe('passwords', () => {
  it('are stored as salted scrypt hashes that verify only the right password', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$/);
    expect(h).not.toContain('correct horse');
    expect(await hashPassword('correct horse')).not.toBe(h);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct horsf', h)).toBe(false);
  });
});

for (const target of testDatabases) {
  describe.runIf(target.available)(`authentication (${target.name})`, () => {
    let storage: Storage;
    let now = new Date('2026-01-01T00:00:00Z');
    afterAll(() => storage?.close());

    it('no header is anonymous; bad schemes and credentials are UNAUTHENTICATED', async () => {
      storage = await openStorage(await target.fresh());
      const auth = new AuthService(storage, () => now);
      await auth.createUser({ name: 'alice', password: 'correct horse' });
      expect(await auth.authenticate(undefined)).toBe(ANONYMOUS);
      const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
      expect((await auth.authenticate(basic('alice', 'correct horse'))).name).toBe('alice');
      for (const h of [
        basic('alice', 'wrong'),
        basic('nobody', 'correct horse'),
        'Digest x',
        'Bearer',
        'Basic !!!',
      ])
        await expect(auth.authenticate(h), h).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('brute-force password guessing is throttled, for unknown names alike, and lifts after the lock-out', async () => {
      const auth = new AuthService(storage, () => now);
      const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
      for (let i = 0; i < 6; i++) {
        await expect(auth.authenticate(basic('alice', `guess${i}`))).rejects.toMatchObject({
          code: 'UNAUTHENTICATED',
        });
        await expect(auth.authenticate(basic('mallory', `guess${i}`))).rejects.toMatchObject({
          code: 'UNAUTHENTICATED',
        });
      }
      // locked: even the right password is refused, without being checked
      await expect(auth.authenticate(basic('alice', 'correct horse'))).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      now = new Date(now.getTime() + 16 * 60_000);
      expect((await auth.authenticate(basic('alice', 'correct horse'))).name).toBe('alice');
      // a success clears the count: one more failure does not lock again
      await expect(auth.authenticate(basic('alice', 'nope'))).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      expect((await auth.authenticate(basic('alice', 'correct horse'))).name).toBe('alice');
    });

    it('tokens are stored hashed, expire and can be revoked', async () => {
      const auth = new AuthService(storage, () => now);
      const t = await auth.createToken('alice', 'ci', 1);
      const tokens = await storage.principals.listTokens();
      expect(JSON.stringify(tokens)).not.toContain(t.token);
      expect((await auth.authenticate(`Bearer ${t.token}`)).kind).toBe('token');
      // taxii2-client's TokenAuth sends the same token under the scheme name `Token`.
      expect((await auth.authenticate(`Token ${t.token}`)).kind).toBe('token');
      await expect(auth.authenticate(`Token ${t.token}x`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      now = new Date(now.getTime() + 2 * 86_400_000);
      await expect(auth.authenticate(`Bearer ${t.token}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      const u = await auth.createToken('alice', 'other');
      await auth.revokeToken(u.id);
      await expect(auth.authenticate(`Bearer ${u.token}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('collection access comes from grants (own and anonymous), admins have all, default none', async () => {
      const auth = new AuthService(storage, () => now);
      await storage.collections.ensure({
        id: 'c1',
        title: 'c1',
        description: null,
        alias: null,
        createdAt: '',
      });
      await storage.collections.ensure({
        id: 'c2',
        title: 'c2',
        description: null,
        alias: null,
        createdAt: '',
      });
      const alice = await auth.authenticate(`Basic ${Buffer.from('alice:correct horse').toString('base64')}`);
      expect(await auth.collectionAccess(alice, 'c1')).toEqual({ canRead: false, canWrite: false });
      await auth.grant('alice', 'c1', { canRead: true, canWrite: false });
      await auth.grant('anonymous', 'c2', { canRead: true, canWrite: false });
      expect(await auth.collectionAccess(alice, 'c1')).toEqual({ canRead: true, canWrite: false });
      expect(await auth.collectionAccess(alice, 'c2')).toEqual({ canRead: true, canWrite: false });
      expect(await auth.collectionAccess(ANONYMOUS, 'c1')).toEqual({ canRead: false, canWrite: false });
      const admin = { ...alice, roles: ['admin' as const] };
      expect(await auth.collectionAccess(admin, 'c1')).toEqual({ canRead: true, canWrite: true });
    });
  });
}
