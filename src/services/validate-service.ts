/** Validation of a bundle stream without storing anything (the CLI `validate` verb). */
import { createHash } from 'node:crypto';
import type { Problem } from '../core/errors.js';
import { ScanError, type ScannerLimits } from '../core/json/bundle-scanner.js';
import { scanStream } from '../core/json/scan-stream.js';
import { canonicalJson, validateBundle, validateObject, type ValidateOptions } from '../core/stix/index.js';
import { duplicateMember } from '../core/json/duplicate-keys.js';
import {
  assertBundleType,
  parseAndValidate,
  rejectedProblem,
  textErrors,
  versionOfObject,
} from './ingest-pipeline.js';

export interface ValidationReport {
  readonly objects: number;
  readonly valid: number;
  readonly errors: number;
  readonly warnings: number;
  readonly fatal: { readonly message: string; readonly offset: number } | undefined;
  readonly problems: readonly Problem[];
  readonly problemsOmitted: number;
  readonly bytes: number;
}

export async function validateStream(
  source: AsyncIterable<Uint8Array>,
  options: ValidateOptions & { limits?: Partial<ScannerLimits>; maxProblems?: number } = {},
): Promise<ValidationReport> {
  const maxProblems = options.maxProblems ?? 1000;
  const problems: Problem[] = [];
  let omitted = 0;
  let objects = 0;
  let valid = 0;
  let errors = 0;
  let warnings = 0;
  let bytes = 0;
  let fatal: ValidationReport['fatal'];
  // id + version -> content hash and where it was first seen, to catch duplicate ids with different bodies.
  const seen = new Map<string, { hash: string; path: string }>();
  // The bundle's own members (`type`, `id`, …): checked at the end, as the bundle rules check a whole bundle.
  const header: Record<string, unknown> = {};
  let hasObjects = false;
  // A document whose `type` is not "bundle" is one STIX object (STIX content need not come in a bundle): its
  // members arrive as the scanner's top-level members, and it is validated as a whole at the end.
  let single = false;
  let repeated: string | undefined;
  const add = (p: Problem): void => {
    if (p.severity === 'error') errors++;
    else warnings++;
    if (problems.length < maxProblems) problems.push(p);
    else omitted++;
  };
  try {
    for await (const event of scanStream(
      source,
      options.limits,
      (n) => (bytes += n),
      (objectsSeen) => (hasObjects = objectsSeen),
    )) {
      if (event.kind === 'header') {
        if (event.key === 'type' && event.value !== 'bundle') single = true;
        if (Object.hasOwn(header, event.key)) repeated ??= `$.${event.key}`;
        else if (event.text !== undefined) {
          // A name repeated inside a member's value (e.g. in one of its external references).
          const inner = duplicateMember(event.text, event.value);
          if (inner !== undefined) repeated ??= `$.${event.key}${inner.slice(1)}`;
        }
        header[event.key] = event.value;
        continue;
      }
      if (single) assertBundleType('type', header.type);
      objects++;
      const path = `$.objects[${event.index}]`;
      if (event.kind === 'rejected') {
        add(rejectedProblem(event, path));
        continue;
      }
      const result = parseAndValidate(event.bytes, path, event.offset, options, event.members);
      result.problems.forEach(add);
      if (result.value === undefined) continue;
      const obj = result.value;
      // The same version identity as storage: `…00.000Z` and `…00.000000Z` are one version.
      const key = `${obj.id}\u0000${versionOfObject(obj).versionKey}`;
      const hash = createHash('sha256').update(canonicalJson(result.value)).digest('base64');
      const before = seen.get(key);
      if (before && before.hash !== hash) {
        add({
          path,
          objectId: obj.id,
          message: `same id and version as ${before.path} but different content`,
          severity: 'error',
          rule: 'conflict',
        });
        continue;
      }
      if (!before) seen.set(key, { hash, path });
      valid++;
    }
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    // A single object has no "objects" array: the end of its document is the end of a whole object.
    if (!(
      single &&
      !hasObjects &&
      objects === 0 &&
      err.message.startsWith('not a STIX bundle: no "objects"')
    )) {
      fatal = { message: err.message, offset: err.offset };
      add({ path: '$', message: err.message, severity: 'error', rule: 'json' });
    }
  }
  if (single && fatal === undefined && hasObjects) {
    // An "objects" array under another type: neither a bundle nor one object.
    const message = `not a STIX bundle: "type" is ${JSON.stringify(header.type)}, expected "bundle"`;
    fatal = { message, offset: 0 };
    add({ path: '$', message, severity: 'error', rule: 'json' });
  }
  if (single && fatal === undefined) {
    objects = 1;
    const ps = validateObject(header, options);
    ps.push(...textErrors(header, repeated, true));
    ps.forEach(add);
    if (!ps.some((x) => x.severity === 'error')) valid = 1;
    return { objects, valid, errors, warnings, fatal, problems, problemsOmitted: omitted, bytes };
  }
  if (fatal === undefined) {
    // §8.1: type "bundle" and an id are required; objects is optional, but a list is never empty (§2.3).
    validateBundle(header, options).forEach(add);
    if (hasObjects && objects === 0)
      add({
        path: '$.objects',
        message: 'lists must not be empty; omit objects instead',
        severity: 'error',
        rule: 'empty-list',
      });
  }
  return { objects, valid, errors, warnings, fatal, problems, problemsOmitted: omitted, bytes };
}
