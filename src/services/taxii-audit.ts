/**
 * What the audit log keeps of a TAXII request: the endpoint, the collection, the object asked for, the filter and
 * what was returned — ids and counts, never a body. Everything the client chose (ids, types, timestamps) is cut to
 * the audit log's limits here, so that an odd request is recorded, never refused because of its audit entry.
 */
import { isEntenteError } from '../core/errors.js';
import type { Page } from '../taxii/backend.js';
import type { TaxiiFilter, VersionMatch } from '../taxii/query.js';
import { MAX_DETAIL_LIST, MAX_DETAIL_STRING, type AuditDetail } from './audit-service.js';

export type TaxiiAuditEndpoint = 'objects' | 'manifest' | 'object' | 'versions' | 'delete' | 'add';

/** A client-chosen string, cut to what the audit log keeps (a longer one ends with `…`). */
export function clip(s: string): string {
  return s.length <= MAX_DETAIL_STRING ? s : `${s.slice(0, MAX_DETAIL_STRING - 1)}…`;
}

/** The filter as the client gave it, each list cut to MAX_DETAIL_LIST values (with its full length when cut). */
export function filterDetail(filter: TaxiiFilter): Record<string, AuditDetail[string]> {
  const out: Record<string, AuditDetail[string]> = {};
  const list = (name: string, values: readonly string[] | undefined) => {
    if (values === undefined) return;
    out[name] = values.slice(0, MAX_DETAIL_LIST).map(clip);
    if (values.length > MAX_DETAIL_LIST) out[`${name}Total`] = values.length;
  };
  list('types', filter.types);
  list('ids', filter.ids);
  list('specVersions', filter.specVersions);
  list('versions', filter.versions ? versionWords(filter.versions) : undefined);
  if (filter.addedAfter !== undefined) out.addedAfter = clip(filter.addedAfter);
  if (filter.limit !== undefined) out.limit = filter.limit;
  // The cursor is opaque and signed; that one was used is what matters.
  if (filter.next !== undefined) out.cursor = true;
  return out;
}

/** What a page returned: how many objects, whether there is more, and — for a small page — which ids. */
export function pageDetail(page: Page): Record<string, AuditDetail[string]> {
  const out: Record<string, AuditDetail[string]> = { returned: page.items.length, more: page.more };
  if (page.items.length <= MAX_DETAIL_LIST) {
    const ids = [...new Set(page.items.map((i) => i.id))];
    out.objectIds = ids.map(clip);
  }
  return out;
}

/** How a refused or failed request ended, as its catalogue code (`NOT_FOUND`, `FORBIDDEN` …); `INTERNAL` else. */
export function outcomeOf(err: unknown): string {
  return isEntenteError(err) ? err.code : 'INTERNAL';
}

function versionWords(m: VersionMatch): string[] {
  return [
    ...(m.all ? ['all'] : []),
    ...(m.first ? ['first'] : []),
    ...(m.last ? ['last'] : []),
    ...m.timestamps,
  ];
}
