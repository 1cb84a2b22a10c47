/**
 * Stateless `next` cursors: `<payload>.<mac>`, both base64url. The payload holds the last `seq` served; the MAC
 * (HMAC-SHA256) covers the payload and a fingerprint of the query and the caller, so a cursor works on any
 * process sharing the key, across restarts, and is refused (INVALID, 400) when forged, altered, or replayed with
 * another query or by another principal.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { invalid } from '../core/errors.js';

export interface CursorContext {
  /** Everything that defines the result set: endpoint, api root, collection, object, filters, principal. */
  readonly [key: string]: string | readonly string[] | undefined;
}

/** A stable digest of a cursor context (key order and value order within lists do not matter). */
export function fingerprint(ctx: CursorContext): string {
  const keys = Object.keys(ctx).sort();
  const norm = keys.map((k) => {
    const v = ctx[k];
    return [k, Array.isArray(v) ? [...(v as string[])].sort() : (v ?? null)];
  });
  return createHash('sha256').update(JSON.stringify(norm)).digest('base64url');
}

export class CursorSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 16) throw new Error('cursor key must be at least 16 bytes');
  }

  sign(lastSeq: number, ctx: CursorContext): string {
    const payload = Buffer.from(JSON.stringify({ s: lastSeq })).toString('base64url');
    return `${payload}.${this.mac(payload, ctx)}`;
  }

  /** The last seq encoded in a cursor issued for this same context; INVALID otherwise. */
  verify(cursor: string, ctx: CursorContext): number {
    const dot = cursor.indexOf('.');
    const bad = invalid('next is not a valid cursor for this query');
    if (dot <= 0) throw bad;
    const payload = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(payload, ctx), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw bad;
    }
    const s = (parsed as { s?: unknown } | null)?.s;
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw bad;
    return s;
  }

  private mac(payload: string, ctx: CursorContext): string {
    return createHmac('sha256', this.key)
      .update(`taxii-next-v1\n${fingerprint(ctx)}\n${payload}`)
      .digest('base64url');
  }
}
