/**
 * Authentication and collection permissions for TAXII (and later the REST API): users with passwords (scrypt,
 * constant-time comparison), API tokens (random, stored only as SHA-256, expiring, revocable), HTTP Basic and
 * Bearer, and can_read/can_write per principal per collection. Secrets are never logged or stored in clear; a
 * token is shown once, when it is created.
 */
import { hash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { ANONYMOUS, type Principal, type Role } from '../core/access/principal.js';
import { EntenteError, invalid, notFound } from '../core/errors.js';
import type { Permission, Storage, StoredUser } from '../storage/index.js';

const ROLES: readonly Role[] = ['admin', 'analyst', 'reader', 'peer'];
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
/** scrypt cost: N=2^15, r=8, p=1 (~32 MiB, tens of ms): slow for guessing, run off the event loop. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 32 };
const BASIC_CACHE_MS = 60_000;
const BASIC_CACHE_MAX = 1000;
/**
 * The longest a checked bearer token and a principal's collection permissions are reused (docs/taxii.md). They
 * are reused only while the database is unchanged (`TaxiiRepository.generation`), so a revocation or grant made
 * by any process (e.g. the CLI next to a running server) applies to the next request.
 */
export const AUTH_CACHE_MS = 5_000;
const AUTH_CACHE_MAX = 1000;

export interface NewUser {
  readonly name: string;
  readonly password?: string | undefined;
  readonly roles?: readonly Role[] | undefined;
  readonly organizationId?: string | undefined;
}

export interface CreatedToken {
  readonly id: string;
  /** The secret: shown once, never stored. */
  readonly token: string;
  readonly expiresAt: string | null;
}

/** Password failures allowed before the lock-out starts, its cap, and how many names are tracked at most. */
const FREE_FAILURES = 5;
const MAX_LOCKOUT_MS = 15 * 60_000;
const THROTTLE_MAX_NAMES = 100_000;

export type CollectionAccess = { readonly canRead: boolean; readonly canWrite: boolean };

const NO_ACCESS: CollectionAccess = Object.freeze({ canRead: false, canWrite: false });
const FULL_ACCESS: CollectionAccess = Object.freeze({ canRead: true, canWrite: true });

function scryptAsync(password: string, salt: Buffer, p: typeof SCRYPT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      salt,
      p.keyLength,
      { N: p.N, r: p.r, p: p.p, maxmem: 128 * p.N * p.r * 2 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    keyLength: expected.length,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Hex SHA-256 of a string, with the one-shot `hash` (a third of the cost of a Hash object; it runs on every bearer
 * request), as the ingest pipeline already hashes every stored body.
 */
const sha256 = (s: string): string => hash('sha256', s, 'hex');

export class AuthService {
  /** Verified Basic credentials, keyed by the SHA-256 of the header (never the header itself). */
  private readonly basicCache = new Map<
    string,
    { principal: Principal; passwordHash: string; until: number; generation: string | undefined }
  >();
  /** Checked bearer tokens, keyed by the SHA-256 of the token (as stored), never the token itself. */
  private readonly tokenCache = new Map<
    string,
    { principal: Principal; tokenExpiresAt: string | null; until: number; generation: string }
  >();
  /** Merged permissions per set of principal ids. */
  private readonly permissionCache = new Map<
    string,
    { perms: Map<string, Permission>; until: number; generation: string }
  >();
  /** Compared against when the user does not exist, so that timing does not reveal user names. */
  private dummyHash: Promise<string> | undefined;

  private readonly now: () => Date;
  /** The time in ms: `Date.now()` unless a clock was injected, so no Date is made for a cached request. */
  private readonly nowMs: () => number;

  constructor(
    private readonly storage: Storage,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
    this.nowMs = now ? () => now().getTime() : () => Date.now();
  }

  async createUser(u: NewUser): Promise<{ id: string }> {
    if (!NAME_RE.test(u.name)) throw invalid(`user name ${JSON.stringify(u.name)}: letters, digits, . _ @ -`);
    if (u.name === 'anonymous') throw invalid('"anonymous" is reserved');
    if (await this.storage.principals.userByName(u.name))
      throw new EntenteError('CONFLICT', `user ${u.name} exists`);
    const roles = u.roles ?? ['reader'];
    for (const r of roles) if (!ROLES.includes(r)) throw invalid(`unknown role ${r}`);
    if (u.password !== undefined) checkPassword(u.password);
    const id = randomUUID();
    await this.storage.principals.createUser({
      id,
      name: u.name,
      passwordHash: u.password !== undefined ? await hashPassword(u.password) : null,
      roles,
      organizationId: u.organizationId ?? null,
      createdAt: this.now().toISOString(),
    });
    return { id };
  }

  async setPassword(name: string, password: string): Promise<void> {
    const user = await this.userNamed(name);
    checkPassword(password);
    await this.storage.principals.setPassword(user.id, await hashPassword(password));
    this.basicCache.clear();
    this.tokenCache.clear();
  }

  async createToken(userName: string, label: string, expiresInDays?: number): Promise<CreatedToken> {
    const user = await this.userNamed(userName);
    if (expiresInDays !== undefined && !(expiresInDays > 0)) throw invalid('token expiry must be > 0 days');
    const token = `ent_${randomBytes(32).toString('base64url')}`;
    const id = randomUUID();
    const now = this.now();
    const expiresAt =
      expiresInDays !== undefined ? new Date(now.getTime() + expiresInDays * 86_400_000).toISOString() : null;
    await this.storage.principals.createToken({
      id,
      userId: user.id,
      label: label || 'token',
      tokenHash: sha256(token),
      createdAt: now.toISOString(),
      expiresAt,
    });
    return { id, token, expiresAt };
  }

  async revokeToken(id: string): Promise<void> {
    const revoked = await this.storage.principals.revokeToken(id, this.now().toISOString());
    // Cached by token hash, not by id: forget them all.
    this.tokenCache.clear();
    if (!revoked) throw notFound(`no active token ${id}`);
  }

  /** Sets can_read/can_write of a user (by name), or of `anonymous`, on a collection (by id). */
  async grant(principalName: string, collectionId: string, access: CollectionAccess): Promise<void> {
    const principalId =
      principalName === 'anonymous' ? ANONYMOUS.id : (await this.userNamed(principalName)).id;
    await this.storage.principals.grant(principalId, collectionId, access);
    this.permissionCache.clear();
  }

  /** Who sent this Authorization header: ANONYMOUS without one; UNAUTHENTICATED when it does not check out. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '') return ANONYMOUS;
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    // `Token` is the scheme of taxii2-client's TokenAuth (the OASIS Python client): the same API tokens.
    if (scheme === 'bearer' || scheme === 'token') return this.bearer(value);
    if (scheme === 'basic') return this.basic(authorization, value);
    throw unauthenticated();
  }

  /** can_read / can_write of a principal on one collection. Admins may do everything. */
  async collectionAccess(principal: Principal, collectionId: string): Promise<CollectionAccess> {
    return (await this.accessMap(principal, [collectionId])).get(collectionId) ?? NO_ACCESS;
  }

  /** Access to each of `collectionIds` (absent from the map = none). */
  async accessMap(
    principal: Principal,
    collectionIds: readonly string[],
  ): Promise<Map<string, CollectionAccess>> {
    const scope = principal.collectionScope;
    const inScope = (id: string) => scope === undefined || scope.includes(id);
    if (principal.roles.includes('admin'))
      return new Map(collectionIds.filter(inScope).map((id) => [id, FULL_ACCESS]));
    const ids = principal.kind === 'anonymous' ? [ANONYMOUS.id] : [principal.id, ANONYMOUS.id];
    const perms = await this.permissions(ids);
    const out = new Map<string, CollectionAccess>();
    for (const id of collectionIds) {
      const p = perms.get(id);
      if (p && inScope(id)) out.set(id, { canRead: p.canRead, canWrite: p.canWrite });
    }
    return out;
  }

  /** Permissions of any of `ids`, merged, reused for AUTH_CACHE_MS. */
  private async permissions(ids: readonly string[]): Promise<Map<string, Permission>> {
    const key = ids.join('\n');
    const nowMs = this.nowMs();
    const generation = await this.storage.taxii.generation();
    const cached = this.permissionCache.get(key);
    if (cached && cached.until > nowMs && cached.generation === generation) return cached.perms;
    const perms = await this.storage.principals.permissions(ids);
    if (generation !== undefined) {
      if (this.permissionCache.size >= AUTH_CACHE_MAX) this.permissionCache.clear();
      this.permissionCache.set(key, { perms, until: nowMs + AUTH_CACHE_MS, generation });
    }
    return perms;
  }

  private async bearer(token: string): Promise<Principal> {
    if (!/^[A-Za-z0-9._~+/=-]{8,512}$/.test(token)) throw unauthenticated();
    const hash = sha256(token);
    const nowMs = this.nowMs();
    const generation = await this.storage.taxii.generation();
    const cached = this.tokenCache.get(hash);
    if (cached && cached.until > nowMs && cached.generation === generation) {
      // Expiry is checked on every use, cached or not (the time formatted only for a token that expires).
      if (cached.tokenExpiresAt !== null && cached.tokenExpiresAt <= new Date(nowMs).toISOString())
        throw unauthenticated();
      return cached.principal;
    }
    const now = new Date(nowMs).toISOString();
    const t = await this.storage.principals.tokenByHash(hash);
    if (!t || t.revokedAt !== null || (t.expiresAt !== null && t.expiresAt <= now) || t.user.disabled)
      throw unauthenticated();
    const principal = principalOf(t.user, 'token', `${t.user.name} (token ${t.label})`);
    if (generation !== undefined) {
      if (this.tokenCache.size >= AUTH_CACHE_MAX) this.tokenCache.clear();
      this.tokenCache.set(hash, {
        principal,
        tokenExpiresAt: t.expiresAt,
        until: nowMs + AUTH_CACHE_MS,
        generation,
      });
    }
    return principal;
  }

  /**
   * Password guessing is throttled per user name (known or not, so the throttle does not reveal which names
   * exist): after FREE_FAILURES consecutive failures, each further attempt is refused without checking the
   * password until a lock-out that doubles per failure (1 s, 2 s, 4 s … up to 15 min) has passed. A success
   * clears the count. The cost: someone who knows a user name can keep that user's password login locked;
   * API tokens are not affected.
   */
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  private checkThrottle(name: string, nowMs: number): void {
    const f = this.failures.get(name.toLowerCase());
    if (f && f.lockedUntil > nowMs) throw unauthenticated();
  }

  private recordFailure(name: string, nowMs: number): void {
    const key = name.toLowerCase();
    if (!this.failures.has(key) && this.failures.size >= THROTTLE_MAX_NAMES) this.failures.clear();
    const count = (this.failures.get(key)?.count ?? 0) + 1;
    const over = count - FREE_FAILURES;
    const lockedUntil = over > 0 ? nowMs + Math.min(1000 * 2 ** (over - 1), MAX_LOCKOUT_MS) : 0;
    this.failures.set(key, { count, lockedUntil });
  }

  private async basic(header: string, value: string): Promise<Principal> {
    const cacheKey = sha256(header);
    const cached = this.basicCache.get(cacheKey);
    const nowMs = this.nowMs();
    const generation = await this.storage.taxii.generation();
    if (cached && cached.until > nowMs && cached.generation === generation) return cached.principal;
    let decoded: string;
    try {
      decoded = Buffer.from(value, 'base64').toString('utf8');
    } catch {
      throw unauthenticated();
    }
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw unauthenticated();
    const name = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    this.checkThrottle(name, nowMs);
    const user = await this.storage.principals.userByName(name);
    // Verified before against this very stored hash: the user row is re-read (disabled, roles, organisation),
    // scrypt is not run again.
    const reverified =
      cached !== undefined &&
      cached.until > nowMs &&
      user !== undefined &&
      user.passwordHash !== null &&
      user.passwordHash === cached.passwordHash;
    if (!reverified) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      const ok = await verifyPassword(password, user?.passwordHash ?? (await this.dummyHash));
      if (!ok) {
        this.recordFailure(name, nowMs);
        throw unauthenticated();
      }
    }
    if (!user || user.passwordHash === null || user.disabled) {
      this.recordFailure(name, nowMs);
      throw unauthenticated();
    }
    this.failures.delete(name.toLowerCase());
    const principal = principalOf(user);
    if (this.basicCache.size >= BASIC_CACHE_MAX) this.basicCache.clear();
    this.basicCache.set(cacheKey, {
      principal,
      passwordHash: user.passwordHash,
      until: reverified ? cached.until : nowMs + BASIC_CACHE_MS,
      generation,
    });
    return principal;
  }

  private async userNamed(name: string): Promise<StoredUser> {
    const user = await this.storage.principals.userByName(name);
    if (!user) throw notFound(`no user ${name}`);
    return user;
  }
}

function principalOf(u: StoredUser, kind: 'user' | 'token' = 'user', name = u.name): Principal {
  return {
    id: u.id,
    kind,
    name,
    organizationId: u.organizationId,
    roles: u.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
  };
}

function checkPassword(p: string): void {
  if (p.length < 8) throw invalid('passwords must have at least 8 characters');
  if (p.length > 1024) throw invalid('password too long');
}

const unauthenticated = (): EntenteError => new EntenteError('UNAUTHENTICATED', 'invalid credentials');
