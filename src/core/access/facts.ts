/**
 * The access-relevant facts of one STIX object as received: every marking reference (object-level and granular)
 * and, for a relationship or sighting, the ends whose visibility it follows (docs/sharing.md, rule 6). Pure.
 */
import { TLP_RANK, tlpLevelOfMarking } from './policy.js';

export interface VersionAccess {
  /** Distinct, sorted: `object_marking_refs` and every granular `marking_ref`. */
  readonly markingRefs: readonly string[];
  /** Relationship `source_ref`; null otherwise. */
  readonly sourceRef: string | null;
  /** Relationship `target_ref` or sighting `sighting_of_ref`; null otherwise. */
  readonly targetRef: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function accessOf(obj: Readonly<Record<string, unknown>>): VersionAccess {
  const refs = new Set<string>();
  const omr = obj.object_marking_refs;
  if (Array.isArray(omr)) for (const r of omr) if (typeof r === 'string') refs.add(r);
  const gm = obj.granular_markings;
  if (Array.isArray(gm))
    for (const g of gm as unknown[]) {
      const ref =
        typeof g === 'object' && g !== null ? (g as { marking_ref?: unknown }).marking_ref : undefined;
      if (typeof ref === 'string') refs.add(ref);
    }
  const type = obj.type;
  return {
    markingRefs: [...refs].sort(),
    sourceRef: type === 'relationship' ? str(obj.source_ref) : null,
    targetRef:
      type === 'relationship' ? str(obj.target_ref) : type === 'sighting' ? str(obj.sighting_of_ref) : null,
  };
}

/** The rank of the strictest TLP marking among `refs` (null when none), and the refs that are not TLP. */
export function splitMarkings(refs: readonly string[]): { tlpRank: number | null; others: string[] } {
  let tlpRank: number | null = null;
  const others: string[] = [];
  for (const r of refs) {
    const level = tlpLevelOfMarking(r);
    if (level === undefined) others.push(r);
    else tlpRank = Math.max(tlpRank ?? -1, TLP_RANK[level]);
  }
  return { tlpRank, others };
}

/** Whether a stored marking-definition is a `statement` marking (known, no effect on the audience). */
export function isStatementMarking(obj: Readonly<Record<string, unknown>>): boolean {
  if (obj.type !== 'marking-definition' || obj.definition_type !== 'statement') return false;
  const def = obj.definition;
  return (
    typeof def === 'object' && def !== null && typeof (def as { statement?: unknown }).statement === 'string'
  );
}
