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
  /** TLP rank (0 CLEAR … 4 RED) that unmarked objects in this collection take (docs/sharing.md). */
  default_rank: Generated<number>;
}

/** One version of one STIX object, globally unique by (id, version_key). */
export interface StixVersionTable {
  /** Assigned by the database, never reused (migration 009): what entries and marking references point at. */
  row_id: Generated<number>;
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
  /** The exact JSON text as received. */
  body: string;
  /** Access facts (docs/sharing.md), filled at write time: the strictest TLP marking's rank, or null if none. */
  tlp_rank: number | null;
  /** tlp_rank, else the strictest default of the collections holding this version. */
  eff_rank: Generated<number>;
  /** How many marking references are not TLP (listed in version_marking_refs). */
  other_markings: Generated<number>;
  sharing_group_id: string | null;
  /** Relationship source_ref; null otherwise. */
  source_ref: string | null;
  /** Relationship target_ref or sighting sighting_of_ref; null otherwise. */
  target_ref: string | null;
}

/** The presence of one object version in one collection, in the order it was added. */
export interface CollectionEntryTable {
  seq: Generated<number>;
  collection_id: string;
  /** The stored version (`stix_versions.row_id`); unique per collection. */
  version_row: number;
  /** The version's id and version key, as on the version (what pages return without a join). */
  object_id: string;
  version_key: string;
  type: string;
  spec_version: string;
  /** RFC 3339 with exactly six fractional digits (microseconds), so text order is time order. */
  date_added: string;
  /** 1 while this is the newest version of object_id in the collection. */
  is_latest: number;
  /** Audience key of the version (docs/sharing.md): `effRank` or `effRank|sharingGroupId`. */
  audience: string | null;
  /** The version's created_by_ref. */
  author: string | null;
}

/** A TAXII status resource: the outcome of one POST of objects (kept at least 24 h). */
export interface TaxiiStatusTable {
  id: string;
  collection_id: string;
  /** Who posted it: only they (or an admin) may read it. */
  principal_id: string;
  request_timestamp: string;
  total_count: number;
  success_count: number;
  failure_count: number;
  pending_count: number;
  expires_at: string;
  /** When the process storing it last showed it is alive (migration 008); null: read as `request_timestamp`. */
  heartbeat_at: string | null;
}

/**
 * The outcomes of one recorded batch of a TAXII POST (migration 010): objects `first_idx`..`last_idx` of the
 * request, as a JSON array of `[idx, object id, version | null, 1 | 0 (success), message | null]` in idx order.
 */
export interface TaxiiStatusOutcomeTable {
  status_id: string;
  first_idx: number;
  last_idx: number;
  outcomes: string;
}

/** Users who may authenticate (HTTP Basic) and own API tokens. */
export interface PrincipalTable {
  id: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash` (base64); null = no password login. */
  password_hash: string | null;
  /** JSON array of roles. */
  roles: string;
  organization_id: string | null;
  created_at: string;
  disabled: number;
}

/** API tokens: only the SHA-256 of the secret is stored. */
export interface ApiTokenTable {
  id: string;
  principal_id: string;
  label: string;
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** can_read / can_write of one principal (or 'anonymous') on one collection. */
export interface CollectionPermissionTable {
  principal_id: string;
  collection_id: string;
  can_read: number;
  can_write: number;
}

/** Small node-wide settings shared by every process on the database (e.g. the cursor signing key). */
export interface SettingTable {
  key: string;
  value: string;
}

/** An alliance member; `identity` is its STIX identity object (identity_class organization), `id` that id. */
export interface OrganizationTable {
  id: string;
  name: string;
  identity: string;
  created_at: string;
}

export interface SharingGroupTable {
  id: string;
  name: string;
  description: string | null;
  /** 1 when members may pass the group's objects on beyond the group. */
  pass_on: number;
  created_at: string;
}

export interface SharingGroupMemberTable {
  group_id: string;
  organization_id: string;
}

/** Ids of stored `statement` marking-definitions: known markings that do not restrict the audience. */
export interface StatementMarkingTable {
  id: string;
}

/** The non-TLP marking references of a version (TLP ones are summarised by tlp_rank). */
export interface VersionMarkingRefTable {
  /** The version (`stix_versions.row_id`). */
  version_row: number;
  marking_ref: string;
}

/** A version a TAXII DELETE removed from a collection (TAXII 2.1 §5.7: fetching it again is 404). */
export interface CollectionDeletionTable {
  collection_id: string;
  /** The version (`stix_versions.row_id`). */
  version_row: number;
  deleted_at: string;
}

/** Append-only (database triggers refuse UPDATE and DELETE). Never holds an object body. */
export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  principal_id: string;
  principal_name: string;
  organization_id: string | null;
  action: string;
  object_id: string | null;
  collection_id: string | null;
  address: string | null;
  /** JSON of ids and counts. */
  detail: string;
}

export interface Database {
  collections: CollectionTable;
  stix_versions: StixVersionTable;
  collection_entries: CollectionEntryTable;
  taxii_statuses: TaxiiStatusTable;
  taxii_status_outcomes: TaxiiStatusOutcomeTable;
  principals: PrincipalTable;
  api_tokens: ApiTokenTable;
  collection_permissions: CollectionPermissionTable;
  settings: SettingTable;
  organizations: OrganizationTable;
  sharing_groups: SharingGroupTable;
  sharing_group_members: SharingGroupMemberTable;
  statement_markings: StatementMarkingTable;
  version_marking_refs: VersionMarkingRefTable;
  collection_deletions: CollectionDeletionTable;
  audit_log: AuditLogTable;
}
