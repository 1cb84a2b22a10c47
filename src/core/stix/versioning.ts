import type { Problem } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { isScoType } from './spec.js';
import { isTimestamp, timestampKey } from './timestamp.js';
import type { StixObject } from './types.js';

/**
 * The version of an object (§3.6): its `modified`; `created` for objects that have no `modified` (marking
 * definitions); undefined for SCOs, which are not versioned, and for objects that carry neither.
 */
export function versionOf(obj: StixObject): string | undefined {
  if (isScoType(obj.type)) return undefined;
  if (typeof obj.modified === 'string') return obj.modified;
  if (typeof obj.created === 'string') return obj.created;
  return undefined;
}

function sameBody(a: StixObject, b: StixObject): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

function problem(next: StixObject, path: string, rule: string, message: string): Problem {
  return { path, message, objectId: next.id, severity: 'error', rule };
}

/**
 * The problems with storing `next` beside `existing` (the versions already held for the same id, in any order):
 * the id and type must match, `created` must not change, nothing may be newer than a revoked version, SCOs and
 * marking definitions have a single version, and one version (id + modified) has one body. An exact repeat of a
 * stored version is not a problem (re-import is a no-op).
 */
export function checkNewVersion(existing: readonly StixObject[], next: StixObject): Problem[] {
  const problems: Problem[] = [];
  const unversioned = isScoType(next.type) || next.type === 'marking-definition';
  const nextVersion = versionOf(next);
  const nextKey =
    nextVersion !== undefined && isTimestamp(nextVersion) ? timestampKey(nextVersion) : undefined;
  for (const old of existing) {
    if (old.id !== next.id) {
      problems.push(problem(next, '$.id', 'version-id', `not a version of ${old.id}`));
      continue;
    }
    if (sameBody(old, next)) continue;
    if (old.type !== next.type) {
      problems.push(
        problem(next, '$.type', 'version-type', `type cannot change across versions (was ${old.type})`),
      );
    }
    if (unversioned) {
      problems.push(
        problem(
          next,
          '$',
          'unversioned',
          `${next.type === 'marking-definition' ? 'marking definitions' : 'SCOs'} are not versioned; ${next.id} already exists with a different body`,
        ),
      );
      continue;
    }
    if (old.created !== next.created) {
      problems.push(
        problem(
          next,
          '$.created',
          'version-created',
          `created cannot change across versions (was ${String(old.created)})`,
        ),
      );
    }
    const oldVersion = versionOf(old);
    const oldKey = oldVersion !== undefined && isTimestamp(oldVersion) ? timestampKey(oldVersion) : undefined;
    if (oldKey !== undefined && nextKey !== undefined) {
      if (oldKey === nextKey) {
        problems.push(
          problem(
            next,
            '$.modified',
            'version-conflict',
            `version ${String(nextVersion)} already exists with a different body`,
          ),
        );
      } else if (old.revoked === true && nextKey > oldKey) {
        problems.push(
          problem(
            next,
            '$.modified',
            'revoked-final',
            `version ${String(oldVersion)} revoked this object; no newer version may follow`,
          ),
        );
      }
    }
  }
  return problems;
}
