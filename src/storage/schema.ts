/**
 * The stored shape (what the database holds), apart from the STIX wire shape. Column names are snake_case as in
 * SQL; nothing outside src/storage sees these rows.
 */
import type { Generated } from 'kysely';

export interface CollectionTable {
  id: string;
  title: string;
  description: string | null;
  alias: string | null;
  created_at: string;
}

/** One version of one STIX object, globally unique by (id, version_key). */
export interface StixVersionTable {
  id: string;
  /** Fixed-width sortable key of `modified` (or `created`); '' for unversioned objects (SCOs). */
  version_key: string;
  type: string;
  spec_version: string;
  /** The version's own timestamp as written (`modified`, else `created`), or null. */
  version: string | null;
  created_by_ref: string | null;
  /** Sorted JSON array of object_marking_refs, or null when unmarked. */
  markings: string | null;
  revoked: number;
  /** SHA-256 (base64) of the exact stored text: equal hashes mean identical bytes. */
  raw_hash: string;
  /** The exact JSON text as received. */
  body: string;
}

/** The presence of one object version in one collection, in the order it was added. */
export interface CollectionEntryTable {
  seq: Generated<number>;
  collection_id: string;
  object_id: string;
  version_key: string;
  type: string;
  spec_version: string;
  /** RFC 3339 with exactly six fractional digits (microseconds), so text order is time order. */
  date_added: string;
  /** 1 while this is the newest version of object_id in the collection. */
  is_latest: number;
}

export interface Database {
  collections: CollectionTable;
  stix_versions: StixVersionTable;
  collection_entries: CollectionEntryTable;
}
