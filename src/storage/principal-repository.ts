/**
 * Principals (users), their API tokens (stored only as SHA-256 hashes) and per-collection permissions.
 * Secrets never reach this module in clear: callers pass hashes.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface StoredUser {
  readonly id: string;
  readonly name: string;
  readonly passwordHash: string | null;
  readonly roles: readonly string[];
  readonly organizationId: string | null;
  readonly disabled: boolean;
}

export interface StoredToken {
  readonly id: string;
  readonly label: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly user: StoredUser;
}

export interface Permission {
  readonly canRead: boolean;
  readonly canWrite: boolean;
}

export class PrincipalRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async createUser(u: {
    id: string;
    name: string;
    passwordHash: string | null;
    roles: readonly string[];
    organizationId: string | null;
    createdAt: string;
  }): Promise<void> {
    await this.db
      .insertInto('principals')
      .values({
        id: u.id,
        name: u.name,
        password_hash: u.passwordHash,
        roles: JSON.stringify(u.roles),
        organization_id: u.organizationId,
        created_at: u.createdAt,
        disabled: 0,
      })
      .execute();
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('principals')
      .set({ password_hash: passwordHash })
      .where('id', '=', userId)
      .execute();
  }

  async userByName(name: string): Promise<StoredUser | undefined> {
    const row = await this.db
      .selectFrom('principals')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? presentUser(row) : undefined;
  }

  async listUsers(): Promise<StoredUser[]> {
    const rows = await this.db.selectFrom('principals').selectAll().orderBy('name').execute();
    return rows.map(presentUser);
  }

  async createToken(t: {
    id: string;
    userId: string;
    label: string;
    tokenHash: string;
    createdAt: string;
    expiresAt: string | null;
  }): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: t.id,
        principal_id: t.userId,
        label: t.label,
        token_hash: t.tokenHash,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        revoked_at: null,
      })
      .execute();
  }

  async tokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    const row = await this.db
      .selectFrom('api_tokens as t')
      .innerJoin('principals as p', 'p.id', 't.principal_id')
      .select([
        't.id as token_id',
        't.label',
        't.created_at as token_created_at',
        't.expires_at',
        't.revoked_at',
        'p.id',
        'p.name',
        'p.password_hash',
        'p.roles',
        'p.organization_id',
        'p.created_at',
        'p.disabled',
      ])
      .where('t.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.token_id,
      label: row.label,
      createdAt: row.token_created_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      user: presentUser(row),
    };
  }

  async listTokens(userId?: string): Promise<Omit<StoredToken, 'user'>[]> {
    let q = this.db.selectFrom('api_tokens').selectAll();
    if (userId !== undefined) q = q.where('principal_id', '=', userId);
    const rows = await q.orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
    }));
  }

  /** Marks a token revoked; false when there is no such token. */
  async revokeToken(id: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async grant(principalId: string, collectionId: string, p: Permission): Promise<void> {
    await this.db
      .insertInto('collection_permissions')
      .values({
        principal_id: principalId,
        collection_id: collectionId,
        can_read: p.canRead ? 1 : 0,
        can_write: p.canWrite ? 1 : 0,
      })
      .onConflict((oc) =>
        oc
          .columns(['principal_id', 'collection_id'])
          .doUpdateSet({ can_read: p.canRead ? 1 : 0, can_write: p.canWrite ? 1 : 0 }),
      )
      .execute();
  }

  /** Permissions of any of `principalIds` on the collections, merged (ORed) per collection. */
  async permissions(principalIds: readonly string[]): Promise<Map<string, Permission>> {
    const rows = await this.db
      .selectFrom('collection_permissions')
      .selectAll()
      .where('principal_id', 'in', [...principalIds])
      .execute();
    const out = new Map<string, Permission>();
    for (const r of rows) {
      const prev = out.get(r.collection_id);
      out.set(r.collection_id, {
        canRead: (prev?.canRead ?? false) || r.can_read === 1,
        canWrite: (prev?.canWrite ?? false) || r.can_write === 1,
      });
    }
    return out;
  }
}

function presentUser(r: {
  id: string;
  name: string;
  password_hash: string | null;
  roles: string;
  organization_id: string | null;
  disabled: number;
}): StoredUser {
  return {
    id: r.id,
    name: r.name,
    passwordHash: r.password_hash,
    roles: JSON.parse(r.roles) as string[],
    organizationId: r.organization_id,
    disabled: r.disabled === 1,
  };
}
