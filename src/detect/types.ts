/** Shared shapes of the detection module: what a reader yields, what a detector reports, what a scan returns. */

/** The log formats the readers understand. `listing` is a directory listing (one path per line, optional hash). */
export type LogKind =
  'httpproxy' | 'ecp-server' | 'oab-generator' | 'eventlog-csv' | 'eventlog-xml' | 'iis-w3c' | 'listing';

/** One parsed record: its place in the input, its time (ISO 8601, UTC) when known, and its named fields. */
export interface LogRecord {
  readonly kind: LogKind;
  /** Display name of the input: a path, or `archive.zip!inner/path.log`. */
  readonly file: string;
  /** 1-based line on which the record starts. */
  readonly line: number;
  readonly time: string | undefined;
  readonly fields: Readonly<Record<string, string>>;
  /** The raw text of the record (for event logs, the whole event). */
  readonly raw: string;
}

export type Severity = 'high' | 'medium' | 'low';

/** What a detector reports: where, when, who, and why it fired. */
export interface Finding {
  readonly detector: string;
  readonly cve: string | null;
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly time: string | undefined;
  readonly clientIp: string | undefined;
  readonly reason: string;
  /** The offending value (an AnchorMailbox, a path, a URL); never the whole line, which may be private. */
  readonly evidence: string;
}

/** Why an input (or part of it) was not scanned. */
export interface Skip {
  readonly file: string;
  readonly line?: number;
  readonly reason: string;
}

/** What was seen of one indicator across the scan. */
export interface IndicatorHit {
  readonly indicatorId: string;
  count: number;
  firstSeen: string | undefined;
  lastSeen: string | undefined;
  /** Up to a few example places, for the report. */
  readonly examples: { file: string; line: number }[];
  /** The SCOs of the first matching record (for observed-data, only when asked for). */
  sample: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
}

export interface ScanStats {
  files: number;
  bytes: number;
  records: number;
  /** Records per kind. */
  readonly byKind: Partial<Record<LogKind, number>>;
}

export interface ScanResult {
  readonly findings: Finding[];
  readonly hits: Map<string, IndicatorHit>;
  readonly skipped: Skip[];
  readonly stats: ScanStats;
}

export const emptyStats = (): ScanStats => ({ files: 0, bytes: 0, records: 0, byKind: {} });
