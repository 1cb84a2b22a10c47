/** Presenters: one function per TAXII resource, shaping what goes out. Pure. */
import type { Page } from './backend.js';
import { STIX_MEDIA_TYPE } from './media.js';
import type { ErrorResource, Manifest, Versions } from './types.js';

/**
 * An envelope as text: the objects' stored JSON is spliced in as is (no re-serialisation), so what a client
 * receives is byte for byte what was added.
 */
export function envelopeText(page: Page): string {
  let out = `{"more":${page.more}`;
  if (page.next !== undefined) out += `,"next":${JSON.stringify(page.next)}`;
  if (page.items.length > 0) {
    out += ',"objects":[';
    for (let i = 0; i < page.items.length; i++) {
      if (i > 0) out += ',';
      out += page.items[i]!.body;
    }
    out += ']';
  }
  return `${out}}`;
}

export function manifest(page: Page): Manifest {
  return {
    more: page.more,
    ...(page.next !== undefined ? { next: page.next } : {}),
    ...(page.items.length > 0
      ? {
          objects: page.items.map((i) => ({
            id: i.id,
            date_added: i.dateAdded,
            version: i.version,
            media_type:
              i.specVersion === '2.1' ? STIX_MEDIA_TYPE : `application/stix+json;version=${i.specVersion}`,
          })),
        }
      : {}),
  };
}

export function versions(page: Page): Versions {
  return {
    more: page.more,
    ...(page.next !== undefined ? { next: page.next } : {}),
    ...(page.items.length > 0 ? { versions: page.items.map((i) => i.version) } : {}),
  };
}

/** The X-TAXII-Date-Added-First/Last headers of a page (none when it is empty). */
export function dateAddedHeaders(page: Page): Record<string, string> {
  const first = page.items[0];
  const last = page.items.at(-1);
  if (!first || !last) return {};
  return { 'X-TAXII-Date-Added-First': first.dateAdded, 'X-TAXII-Date-Added-Last': last.dateAdded };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorResource(
  httpStatus: number,
  message: string,
  extra: { code?: string; errorId?: string; details?: unknown } = {},
): ErrorResource {
  return {
    title: TITLES[httpStatus] ?? `HTTP ${httpStatus}`,
    description: message,
    http_status: String(httpStatus),
    ...(extra.code !== undefined ? { error_code: extra.code } : {}),
    ...(extra.errorId !== undefined ? { error_id: extra.errorId } : {}),
    ...(extra.details !== undefined
      ? {
          details: Array.isArray(extra.details)
            ? { problems: extra.details }
            : (extra.details as Record<string, unknown>),
        }
      : {}),
  };
}
