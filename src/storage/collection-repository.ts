/** Collections: named sets of object versions (TAXII collections). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface Collection {
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  readonly alias: string | null;
  readonly createdAt: string;
}

export class CollectionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<Collection[]> {
    const rows = await this.db
      .selectFrom('collections')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(present);
  }

  async get(idOrAlias: string): Promise<Collection | undefined> {
    const row = await this.db
      .selectFrom('collections')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrAlias), eb('alias', '=', idOrAlias)]))
      .executeTakeFirst();
    return row ? present(row) : undefined;
  }

  /** Creates the collection unless one with this id exists; returns the stored one. */
  async ensure(c: Collection): Promise<Collection> {
    await this.db
      .insertInto('collections')
      .values({
        id: c.id,
        title: c.title,
        description: c.description,
        alias: c.alias,
        created_at: c.createdAt,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const stored = await this.get(c.id);
    if (!stored) throw new Error(`collection ${c.id} vanished after insert`);
    return stored;
  }

  /**
   * Removes a collection that holds nothing (no entry, no permission, no sharing default) and was created at
   * `createdAt`, e.g. by an import that then stored nothing; whether it did. A collection anyone has since used is
   * left alone.
   */
  async removeIfUnused(id: string, createdAt: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('collections')
      .where('id', '=', id)
      .where('created_at', '=', createdAt)
      .where((eb) =>
        eb.and([
          eb.not(
            eb.exists(eb.selectFrom('collection_entries').select('seq').where('collection_id', '=', id)),
          ),
          eb.not(
            eb.exists(
              eb.selectFrom('collection_permissions').select('principal_id').where('collection_id', '=', id),
            ),
          ),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function present(r: Omit<Database['collections'], 'default_rank'>): Collection {
  return { id: r.id, title: r.title, description: r.description, alias: r.alias, createdAt: r.created_at };
}
