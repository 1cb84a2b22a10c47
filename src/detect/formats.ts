/**
 * Format sniffing and record parsing. A RecordReader is fed the lines of one input; it works out which log it is
 * (from the file name and the first lines), then turns lines into LogRecords with the fields the detectors and the
 * indicator matcher need. Event-log exports (CSV with multi-line quoted messages, XML) are reassembled into one
 * record per event, bounded by `maxRecordChars`.
 */
import { isCsvRecordComplete, splitCsv } from './csv.js';
import type { LogKind, LogRecord } from './types.js';

export class UnknownFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownFormatError';
  }
}

const SNIFF_LINES = 50;
const EVENT_START = /<Event[\s>]/;
const MAX_RECORD_CHARS = 1024 * 1024;

const HTTPPROXY_WANTED = [
  'DateTime',
  'RequestId',
  'Protocol',
  'UrlHost',
  'UrlStem',
  'UrlQuery',
  'AuthenticatedUser',
  'AnchorMailbox',
  'UserAgent',
  'ClientIpAddress',
  'ServerHostName',
  'HttpStatus',
  'Method',
  'TargetServer',
  'RoutingHint',
  'BackEndCookie',
];

/** The HttpProxy schema of Exchange 2016/2019, used when a file has lost its header row. */
export const HTTPPROXY_DEFAULT_FIELDS =
  'DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,' +
  'UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,' +
  'UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,' +
  'TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,' +
  'ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,' +
  'GlsLatencyBreakup,GlsLatency,AccountForestLatencyBreakup,AccountForestLatency,ResourceForestLatencyBreakup,' +
  'ResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,SharedCacheLatency,ActivityContextLifeTime,' +
  'ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,' +
  'BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,' +
  'KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,' +
  'ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,UrlQuery,BackEndGenericInfo,' +
  'GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookup,RoutingStatus';

const IIS_WANTED = [
  'date',
  'time',
  's-sitename',
  's-ip',
  's-port',
  'cs-method',
  'cs-uri-stem',
  'cs-uri-query',
  'cs-username',
  'c-ip',
  'cs(User-Agent)',
  'cs(Cookie)',
  'cs-host',
  'sc-status',
];

/** Column index → canonical field name, for the wanted columns only. */
type ColumnMap = [number, string][];

function columnMap(header: readonly string[], wanted: readonly string[]): ColumnMap {
  const byLower = new Map(wanted.map((w) => [w.toLowerCase(), w]));
  const map: ColumnMap = [];
  header.forEach((h, i) => {
    const name = byLower.get(h.trim().toLowerCase());
    if (name) map.push([i, name]);
  });
  return map;
}

const ISO_PREFIX = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d\d):(\d\d)(?: ?([AP]M))?$/i;

/** Normalises the time formats found in these logs to ISO 8601 UTC; undefined when it cannot. */
export function normaliseTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const t = text.trim();
  const iso = ISO_PREFIX.exec(t);
  if (iso) {
    const s = iso[1]!;
    const withZone = /Z$|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`;
    const ms = Date.parse(withZone);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  const us = US_DATE.exec(t);
  if (us) {
    // Event Viewer's CSV export writes local time without a zone; read it as UTC and say so in the docs.
    let hour = Number(us[4]);
    const ampm = us[7]?.toUpperCase();
    if (ampm === 'PM' && hour < 12) hour += 12;
    if (ampm === 'AM' && hour === 12) hour = 0;
    const ms = Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2]), hour, Number(us[5]), Number(us[6]));
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  return undefined;
}

/** Decides the kind of a log from its name and one of its first lines; undefined while undecided. */
export function sniffKind(name: string, line: string): LogKind | undefined {
  const n = name.replace(/\\/g, '/').toLowerCase();
  const l = line.trimStart();
  if (/^#software: microsoft internet information services/i.test(l) || /^#fields: date time /i.test(l)) {
    return 'iis-w3c';
  }
  if (/^(#fields: )?"?datetime"?,"?requestid"?,/i.test(l) || /^#log-type: httpproxy/i.test(l))
    return 'httpproxy';
  if (/^#log-type: ecp/i.test(l) || /S:CMD=/.test(l)) return 'ecp-server';
  if (/^#log-type: oab/i.test(l) || /OABGenerator/i.test(l)) return 'oab-generator';
  if (/^(<\?xml|<Events[\s>]|<Event[\s>])/.test(l)) return 'eventlog-xml';
  if (
    /^"?Level"?,"?Date and Time"?,"?Source"?,"?Event ID"?/i.test(l) ||
    /^"?(TimeCreated|ProviderName)"?,/i.test(l)
  ) {
    return 'eventlog-csv';
  }
  if (/^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})\s+\S/i.test(l) || /^([a-z]:\\|\\\\[^\\]+\\)/i.test(l))
    return 'listing';
  // Header-less or unusual files: fall back on the folder Exchange and IIS keep them in.
  if (n.includes('/httpproxy/')) return 'httpproxy';
  if (n.includes('/ecp/server/')) return 'ecp-server';
  if (n.includes('/oabgeneratorlog/')) return 'oab-generator';
  if (/\/w3svc\d+\//.test(n)) return 'iis-w3c';
  return undefined;
}

const stripXml = (s: string): string =>
  s
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

const XML_LEVELS: Record<string, string> = {
  '1': 'Critical',
  '2': 'Error',
  '3': 'Warning',
  '4': 'Information',
};

/** Parses one `<Event>…</Event>` element (as written by wevtutil or Event Viewer's "Save as XML"). */
export function parseEventXml(xml: string): Record<string, string> {
  const provider = /<Provider\s[^>]*Name=['"]([^'"]*)['"]/.exec(xml)?.[1] ?? '';
  const eventId = /<EventID[^>]*>(\d+)<\/EventID>/.exec(xml)?.[1] ?? '';
  const level = /<Level>(\d+)<\/Level>/.exec(xml)?.[1] ?? '';
  const time = /<TimeCreated\s[^>]*SystemTime=['"]([^'"]*)['"]/.exec(xml)?.[1] ?? '';
  const data = /<EventData>([\s\S]*?)<\/EventData>/.exec(xml)?.[1] ?? '';
  const rendered = /<Message>([\s\S]*?)<\/Message>/.exec(xml)?.[1] ?? '';
  return {
    Source: provider,
    EventId: eventId,
    Level: XML_LEVELS[level] ?? level,
    Time: time,
    Message: stripXml(rendered || data),
  };
}

type Emit = (rec: LogRecord) => void;

export class RecordReader {
  kind: LogKind | undefined;
  private columns: ColumnMap | undefined;
  private csvHeader: string[] | undefined;
  private sniffed = 0;
  private pending = '';
  private pendingLine = 0;

  constructor(
    private readonly file: string,
    private readonly emit: Emit,
    private readonly onOversize: (line: number, reason: string) => void,
  ) {}

  line(text: string, lineNo: number): void {
    if (this.kind === undefined) {
      if (text.trim() === '') return;
      const kind = sniffKind(this.file, text);
      if (kind === undefined) {
        if (++this.sniffed >= SNIFF_LINES || !text.startsWith('#')) {
          throw new UnknownFormatError(`unknown log format (first line: '${text.slice(0, 60)}')`);
        }
        return;
      }
      this.kind = kind;
    }
    switch (this.kind) {
      case 'httpproxy':
        return this.httpProxy(text, lineNo);
      case 'iis-w3c':
        return this.iis(text, lineNo);
      case 'ecp-server':
      case 'oab-generator':
        return this.textLine(this.kind, text, lineNo);
      case 'eventlog-csv':
        return this.eventCsv(text, lineNo);
      case 'eventlog-xml':
        return this.eventXml(text, lineNo);
      case 'listing':
        return this.listing(text, lineNo);
    }
  }

  end(): void {
    if (this.pending !== '' && this.kind === 'eventlog-csv')
      this.eventCsvRecord(this.pending, this.pendingLine);
    this.pending = '';
  }

  private limitFor: ColumnMap | undefined;
  private limit = 0;

  /** One past the highest wanted column: the CSV splitter can stop there. */
  private columnLimit(columns: ColumnMap): number {
    if (this.limitFor !== columns) {
      this.limitFor = columns;
      this.limit = 0;
      for (const [i] of columns) if (i >= this.limit) this.limit = i + 1;
    }
    return this.limit;
  }

  private httpProxy(text: string, lineNo: number): void {
    if (text.length === 0) return;
    const c0 = text.charCodeAt(0);
    if (c0 === 35 /* # */) {
      if (/^#fields: /i.test(text)) this.columns = columnMap(splitCsv(text.slice(9)), HTTPPROXY_WANTED);
      return;
    }
    if ((c0 === 68 || c0 === 100 || c0 === 34) && /^"?datetime"?,/i.test(text)) {
      this.columns = columnMap(splitCsv(text), HTTPPROXY_WANTED);
      return;
    }
    this.columns ??= columnMap(HTTPPROXY_DEFAULT_FIELDS.split(','), HTTPPROXY_WANTED);
    const values = splitCsv(text, this.columnLimit(this.columns));
    const fields: Record<string, string> = {};
    for (const [i, name] of this.columns) fields[name] = values[i] ?? '';
    this.emit({
      kind: 'httpproxy',
      file: this.file,
      line: lineNo,
      time: fields['DateTime'],
      fields,
      raw: text,
    });
  }

  private iis(text: string, lineNo: number): void {
    if (text.length === 0) return;
    if (text.charCodeAt(0) === 35) {
      if (/^#fields: /i.test(text)) this.columns = columnMap(text.slice(9).trim().split(' '), IIS_WANTED);
      return;
    }
    if (!this.columns) return; // W3C data before any #Fields line has no meaning
    const values = text.split(' ');
    const fields: Record<string, string> = {};
    for (const [i, name] of this.columns) {
      const v = values[i];
      fields[name] = v === undefined || v === '-' ? '' : v;
    }
    const date = fields['date'];
    const time = date && fields['time'] ? `${date}T${fields['time']}Z` : undefined;
    this.emit({ kind: 'iis-w3c', file: this.file, line: lineNo, time, fields, raw: text });
  }

  private textLine(kind: 'ecp-server' | 'oab-generator', text: string, lineNo: number): void {
    if (text.length === 0 || text.charCodeAt(0) === 35) return;
    const time = ISO_PREFIX.exec(text)?.[1];
    this.emit({ kind, file: this.file, line: lineNo, time, fields: { text }, raw: text });
  }

  private listing(text: string, lineNo: number): void {
    const t = text.trim();
    if (t === '' || t.startsWith('#')) return;
    const m = /^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})\s+\*?(.+)$/i.exec(t);
    const fields: Record<string, string> = m ? { hash: m[1]!.toLowerCase(), path: m[2]! } : { path: t };
    this.emit({ kind: 'listing', file: this.file, line: lineNo, time: undefined, fields, raw: text });
  }

  private eventCsv(text: string, lineNo: number): void {
    if (this.pending === '') {
      if (text.trim() === '') return;
      this.pending = text;
      this.pendingLine = lineNo;
    } else {
      this.pending += '\n' + text;
    }
    if (this.pending.length > MAX_RECORD_CHARS) {
      this.onOversize(this.pendingLine, `event record over ${MAX_RECORD_CHARS} characters skipped`);
      this.pending = '';
      return;
    }
    if (!isCsvRecordComplete(this.pending)) return;
    const record = this.pending;
    this.pending = '';
    this.eventCsvRecord(record, this.pendingLine);
  }

  private eventCsvRecord(record: string, lineNo: number): void {
    const values = splitCsv(record);
    if (!this.csvHeader) {
      this.csvHeader = values.map((v) => v.trim());
      return;
    }
    const h = this.csvHeader;
    const get = (...names: string[]): string => {
      for (const name of names) {
        const i = h.findIndex((x) => x.toLowerCase() === name.toLowerCase());
        if (i >= 0) return values[i] ?? '';
      }
      return '';
    };
    // Event Viewer's export has five named columns and the message in an unnamed sixth.
    const message = get('Message') || (h.length === 5 || h[5] === '' ? (values[5] ?? '') : '');
    const fields = {
      Source: get('Source', 'ProviderName'),
      EventId: get('Event ID', 'Id', 'EventID'),
      Level: get('Level', 'LevelDisplayName'),
      Time: get('Date and Time', 'TimeCreated'),
      Message: message,
    };
    this.emit({
      kind: 'eventlog-csv',
      file: this.file,
      line: lineNo,
      time: normaliseTime(fields.Time),
      fields,
      raw: record,
    });
  }

  private eventXml(text: string, lineNo: number): void {
    // Until an event has started, what is pending is preamble (`<?xml …>`, `<Events>`): drop it, so the record's
    // line is the one its `<Event` is on.
    if (!EVENT_START.test(this.pending)) {
      this.pending = text;
      this.pendingLine = lineNo;
    } else {
      this.pending += '\n' + text;
    }
    for (;;) {
      const end = this.pending.indexOf('</Event>');
      if (end < 0) break;
      const start = EVENT_START.exec(this.pending)?.index ?? 0;
      const xml = this.pending.slice(start, end + 8);
      this.pending = this.pending.slice(end + 8).replace(/^\s*(<\/Events>)?\s*/, '');
      const fields = parseEventXml(xml);
      this.emit({
        kind: 'eventlog-xml',
        file: this.file,
        line: this.pendingLine,
        time: normaliseTime(fields['Time']),
        fields,
        raw: xml,
      });
      this.pendingLine = lineNo;
    }
    if (this.pending.length > MAX_RECORD_CHARS) {
      this.onOversize(this.pendingLine, `event record over ${MAX_RECORD_CHARS} characters skipped`);
      this.pending = '';
    }
  }
}
