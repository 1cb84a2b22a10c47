import { createHash } from 'node:crypto';
import { invalid } from '../errors.js';

/** RFC 4122 UUID text form (any version 1–5, RFC 4122 variant); case-insensitive as RFC 4122 allows on input. */
export const UUID_RE =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

const ANY_UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The namespace the STIX 2.1 spec (section 2.9) fixes for deterministic SCO identifiers. */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

function uuidBytes(uuid: string): Buffer {
  if (!ANY_UUID_RE.test(uuid)) {
    throw invalid(`not a UUID: ${JSON.stringify(uuid.slice(0, 64))}`);
  }
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function format(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.subarray(0, 16)).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 4122 §4.3 name-based UUID, version 5 (SHA-1): namespace bytes followed by the UTF-8 bytes of `name`. */
export function uuidv5(namespace: string, name: string): string {
  const digest = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  return format(digest);
}
