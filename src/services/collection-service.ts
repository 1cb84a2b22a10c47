/** Collections by id or alias; named collections are created on first use with a stable id. */
import { EntenteError, notFound } from '../core/errors.js';
import { uuidv5 } from '../core/stix/index.js';
import type { Collection, Storage } from '../storage/index.js';

/** Namespace for Entente's own name-based ids (UUIDv5). */
export const ENTENTE_NAMESPACE = '6f0c1a52-5b0e-4c53-9a57-0d4a3c1e2f10';

/**
 * A collection's id from its alias: the same on every node, and a version 4 UUID as TAXII requires of identifiers
 * (TAXII 2.1 §2). The bits are the UUIDv5 of the alias with the version digit set to 4: pseudo-random, as RFC 4122
 * §4.4 allows. (Collections created before kept their UUIDv5 ids.)
 */
export function collectionIdOf(alias: string): string {
  const v5 = uuidv5(ENTENTE_NAMESPACE, `collection:${alias}`);
  return `${v5.slice(0, 14)}4${v5.slice(15)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ALIAS_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class CollectionService {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => string,
  ) {}

  list(): Promise<Collection[]> {
    return this.storage.collections.list();
  }

  async get(idOrAlias: string): Promise<Collection> {
    const c = await this.storage.collections.get(idOrAlias);
    if (!c) throw notFound(`no collection "${idOrAlias}"`);
    return c;
  }

  /** Whether a collection with this id or alias exists. */
  async exists(idOrAlias: string): Promise<boolean> {
    return (await this.storage.collections.get(idOrAlias)) !== undefined;
  }

  /** Removes `c` if nothing has used it since it was created (an import that stored nothing); whether it did. */
  removeIfUnused(c: Collection): Promise<boolean> {
    return this.storage.collections.removeIfUnused(c.id, c.createdAt);
  }

  /** The collection with this id or alias; an unknown alias creates it (id: `collectionIdOf`). */
  async ensure(idOrAlias: string, title?: string, description?: string): Promise<Collection> {
    const existing = await this.storage.collections.get(idOrAlias);
    if (existing) return existing;
    if (UUID_RE.test(idOrAlias)) throw notFound(`no collection "${idOrAlias}"`);
    if (!ALIAS_RE.test(idOrAlias)) {
      throw new EntenteError(
        'INVALID',
        `collection name "${idOrAlias}" must be lower-case letters, digits, '.', '_' or '-' (at most 64)`,
      );
    }
    return this.storage.collections.ensure({
      id: collectionIdOf(idOrAlias),
      title: title ?? idOrAlias,
      description: description ?? null,
      alias: idOrAlias,
      createdAt: this.now(),
    });
  }
}
