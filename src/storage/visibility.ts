/**
 * The object-level access filter (sharing rules, issue 5), applied inside the SQL of every TAXII read
 * (`TaxiiRepository.queryEntries`), so that hidden objects are never counted, paged over or returned.
 *
 * Placeholder until the access module defines it: `Visibility` carries nothing yet and `visibilityFilter`
 * restricts nothing. The query aliases are `e` (collection_entries) and `v` (stix_versions).
 */
import type { Expression, SqlBool } from 'kysely';

export type Visibility = undefined;

/** A condition on `e`/`v` rows that keeps only what the caller may see, or undefined for no restriction. */
export function visibilityFilter(_visibility: Visibility): Expression<SqlBool> | undefined {
  return undefined;
}
