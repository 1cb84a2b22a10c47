/** TAXII 2.1 media types and content negotiation (TAXII 2.1 §1.6.8, §3.1). Pure. */

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

function parseMediaRange(text: string): MediaRange | undefined {
  const [essence = '', ...rest] = text.split(';');
  const [type, subtype] = essence.trim().toLowerCase().split('/');
  if (!type || !subtype) return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name === 'q') q = Number(value);
    else params.set(name, value);
  }
  return { type, subtype, params, q: Number.isFinite(q) ? q : 0 };
}

const isTaxii21 = (m: MediaRange): boolean =>
  m.type === 'application' && m.subtype === 'taxii+json' && (m.params.get('version') ?? '2.1') === '2.1';

/**
 * Whether an Accept header admits TAXII 2.1 responses: `application/taxii+json` (version absent or 2.1), or a
 * wildcard that covers it. No Accept header at all admits anything (RFC 9110 §12.5.1).
 */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  for (const part of accept.split(',')) {
    const m = parseMediaRange(part);
    if (!m || m.q <= 0) continue;
    if (isTaxii21(m)) return true;
    if (m.type === '*' && m.subtype === '*') return true;
    if (m.type === 'application' && m.subtype === '*') return true;
  }
  return false;
}

/** Whether a request Content-Type is a TAXII 2.1 envelope (`application/taxii+json`, version absent or 2.1). */
export function isTaxiiContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const m = parseMediaRange(contentType);
  return m !== undefined && isTaxii21(m);
}
