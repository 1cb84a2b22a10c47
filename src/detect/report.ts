/**
 * Presenters for a scan: a readable terminal report and the `--json` document. Pure functions of the result; the
 * CLI decides where they go.
 */
import type { BuildVerdict } from './builds.js';
import type { Finding, ScanResult } from './types.js';

export interface ReportInput {
  readonly result: ScanResult;
  readonly builds: readonly BuildVerdict[];
  readonly indicatorCount: number;
  readonly rejected: readonly { id: string; error: string }[];
  /** Indicators of the bundle left out before matching (revoked, not a STIX pattern). */
  readonly ignored?: readonly { id: string; reason: string }[];
  readonly seconds: number;
}

const n = (v: number): string => v.toLocaleString('en-US');
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** True when the scan found anything a script should act on (exit code 1). */
export function hasFindings(input: Pick<ReportInput, 'result' | 'builds'>): boolean {
  return (
    input.result.findings.length > 0 ||
    input.result.hits.size > 0 ||
    input.builds.some((b) => b.status === 'vulnerable' || b.status === 'exchange-2010')
  );
}

function findingLines(f: Finding): string[] {
  const when = f.time ? `  ${f.time}` : '';
  const who = f.clientIp ? `  from ${f.clientIp}` : '';
  return [
    `  ${f.severity.toUpperCase().padEnd(6)} ${(f.cve ?? '-').padEnd(15)} ${f.detector}`,
    `         ${f.file}:${f.line}${when}${who}`,
    `         ${f.reason}`,
    `         evidence: ${f.evidence.length > 160 ? `${f.evidence.slice(0, 160)}…` : f.evidence}`,
  ];
}

export function formatBuildVerdicts(builds: readonly BuildVerdict[]): string[] {
  const out: string[] = [];
  for (const b of builds) {
    const label = b.status === 'exchange-2010' ? 'REVIEW (2010)' : b.status.toUpperCase();
    out.push(`  ${b.input.padEnd(16)} ${label.padEnd(13)} ${b.reason}`);
    for (const g of b.guidance) out.push(`      - ${g}`);
  }
  return out;
}

export function formatReport(input: ReportInput, maxFindings = 200): string {
  const { result, builds } = input;
  const s = result.stats;
  const out: string[] = [];
  const kinds = Object.entries(s.byKind)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(', ');
  out.push(
    `Scanned ${n(s.files)} files, ${mib(s.bytes)}, ${n(s.records)} records in ${input.seconds.toFixed(1)} s` +
      (kinds ? ` (${kinds})` : ''),
  );
  out.push(
    `Indicators: ${n(input.indicatorCount)} used` +
      (input.rejected.length ? `, ${n(input.rejected.length)} rejected by the pattern engine` : '') +
      (input.ignored?.length ? `, ${n(input.ignored.length)} ignored (revoked or not STIX patterns)` : ''),
  );
  if (result.findings.length > 0) {
    const byDetector = new Map<string, number>();
    for (const f of result.findings) byDetector.set(f.detector, (byDetector.get(f.detector) ?? 0) + 1);
    out.push(
      '',
      `FINDINGS (${n(result.findings.length)}): ${[...byDetector].map(([d, c]) => `${d} ${c}`).join(', ')}`,
    );
    for (const f of result.findings.slice(0, maxFindings)) out.push(...findingLines(f));
    if (result.findings.length > maxFindings) {
      out.push(`  … and ${n(result.findings.length - maxFindings)} more (use --json for all)`);
    }
  }
  if (result.hits.size > 0) {
    out.push('', `INDICATOR HITS (${n(result.hits.size)} indicators)`);
    const hits = [...result.hits.values()].sort((a, b) => b.count - a.count);
    for (const h of hits.slice(0, maxFindings)) {
      const ex = h.examples[0];
      out.push(
        `  ${h.indicatorId}  ${n(h.count)} lines  ${h.firstSeen ?? '?'} .. ${h.lastSeen ?? '?'}` +
          (ex ? `  e.g. ${ex.file}:${ex.line}` : ''),
      );
    }
  }
  if (builds.length > 0) out.push('', 'EXCHANGE BUILDS', ...formatBuildVerdicts(builds));
  if (input.rejected.length > 0) {
    out.push('', `REJECTED INDICATORS (${n(input.rejected.length)})`);
    for (const r of input.rejected.slice(0, 20)) out.push(`  ${r.id}: ${r.error}`);
  }
  if (result.skipped.length > 0) {
    out.push('', `SKIPPED (${n(result.skipped.length)})`);
    for (const k of result.skipped.slice(0, 100))
      out.push(`  ${k.file}${k.line ? `:${k.line}` : ''}: ${k.reason}`);
    if (result.skipped.length > 100) out.push(`  … and ${n(result.skipped.length - 100)} more`);
  }
  out.push('', hasFindings(input) ? 'Result: FINDINGS — investigate (exit 1)' : 'Result: clean (exit 0)');
  return out.join('\n') + '\n';
}

export function reportJson(input: ReportInput, sightings?: readonly object[]): Record<string, unknown> {
  const { result } = input;
  return {
    status: hasFindings(input) ? 'findings' : 'clean',
    stats: { ...result.stats, seconds: input.seconds },
    indicators: { used: input.indicatorCount, rejected: input.rejected, ignored: input.ignored ?? [] },
    findings: result.findings,
    indicatorHits: [...result.hits.values()].map(({ sample: _sample, ...h }) => h),
    builds: input.builds,
    skipped: result.skipped,
    ...(sightings ? { sightings } : {}),
  };
}
