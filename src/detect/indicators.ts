/**
 * Indicators for offline scans: read the STIX `indicator` objects of a bundle (or a bare array, or a TAXII
 * envelope) and keep those with a STIX pattern. Revoked and non-STIX-pattern indicators are counted, not used.
 */
import { readFile } from 'node:fs/promises';
import { EntenteError } from '../core/errors.js';
import type { IndicatorInput } from './indicator-index.js';

export interface LoadedIndicators {
  readonly indicators: IndicatorInput[];
  /** Indicator ids left out, with why. */
  readonly ignored: { id: string; reason: string }[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Picks the usable indicators out of parsed JSON. Throws INVALID when the document holds no object list. */
export function indicatorsFromJson(doc: unknown): LoadedIndicators {
  const objects = Array.isArray(doc)
    ? doc
    : isRecord(doc) && Array.isArray(doc['objects'])
      ? (doc['objects'] as unknown[])
      : undefined;
  if (!objects)
    throw new EntenteError('INVALID', 'expected a STIX bundle, a TAXII envelope or an array of objects');
  const indicators: IndicatorInput[] = [];
  const ignored: { id: string; reason: string }[] = [];
  const seen = new Map<string, { at: number; modified: string }>();
  for (const o of objects) {
    if (!isRecord(o) || o['type'] !== 'indicator') continue;
    const id = typeof o['id'] === 'string' ? o['id'] : '(no id)';
    if (o['revoked'] === true) {
      ignored.push({ id, reason: 'revoked' });
      continue;
    }
    const patternType = o['pattern_type'] ?? 'stix';
    if (patternType !== 'stix') {
      ignored.push({ id, reason: `pattern_type ${JSON.stringify(patternType)} is not stix` });
      continue;
    }
    if (typeof o['pattern'] !== 'string') {
      ignored.push({ id, reason: 'no pattern' });
      continue;
    }
    // Keep the newest version when a bundle carries several.
    const modified = typeof o['modified'] === 'string' ? o['modified'] : '';
    const prev = seen.get(id);
    if (prev !== undefined) {
      if (prev.modified < modified) {
        prev.modified = modified;
        indicators[prev.at] = { id, pattern: o['pattern'] };
      }
      continue;
    }
    seen.set(id, { at: indicators.length, modified });
    indicators.push({ id, pattern: o['pattern'] });
  }
  return { indicators, ignored };
}

export async function loadIndicatorFile(path: string): Promise<LoadedIndicators> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EntenteError(
      'INVALID',
      `cannot read indicator file ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new EntenteError(
      'INVALID',
      `indicator file ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return indicatorsFromJson(doc);
}
