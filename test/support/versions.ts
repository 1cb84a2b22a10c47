/**
 * `NewVersion`s for storage-level tests, made from a STIX object the way the ingest pipeline hands them over: the
 * body is the object's JSON text, the version key its `modified` (else `created`) as written, '' for none.
 */
import type { NewVersion } from '../../src/storage/index.js';

export interface TestObject {
  readonly type: string;
  readonly id: string;
  readonly modified?: string;
  readonly created?: string;
  readonly revoked?: boolean;
  readonly created_by_ref?: string;
  readonly object_marking_refs?: readonly string[];
  readonly [property: string]: unknown;
}

export function newVersionOf(obj: TestObject): NewVersion {
  const body = JSON.stringify(obj);
  const version = obj.modified ?? obj.created ?? null;
  return {
    id: obj.id,
    type: obj.type,
    specVersion: '2.1',
    versionKey: version ?? '',
    version,
    createdByRef: obj.created_by_ref ?? null,
    markings: obj.object_marking_refs ?? null,
    revoked: obj.revoked === true,
    body,
  };
}
