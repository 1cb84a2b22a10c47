/**
 * The ProxyLogon detectors, one per check of proxylogon-log-checks.json: CVE-2021-26855 (HttpProxy), CVE-2021-26857
 * (Application event log), CVE-2021-26858 (OAB generator), CVE-2021-27065 (ECP server log and HttpProxy ECP),
 * suspicious IIS requests, and web-shell/post-exploitation paths from listings. Each takes a LogRecord and reports
 * Findings; none keeps state across records, so files can be scanned in any order and on any thread.
 */
import { checkPath } from './webshell.js';
import type { Finding, LogRecord, Severity } from './types.js';
import { cleanIp } from './observables.js';

export type EmitFinding = (f: Finding) => void;

export const DETECTORS = [
  'cve-2021-26855-httpproxy',
  'cve-2021-26855-probe',
  'cve-2021-26857-eventlog',
  'cve-2021-26858-oabgen',
  'cve-2021-27065-ecp',
  'cve-2021-27065-httpproxy-ecp',
  'iis-ssrf-cookie',
  'iis-static-post',
  'iis-random-script',
  'iis-backend-t-query',
  'iis-webshell-request',
  'webshell-path',
  'post-exploitation-file',
] as const;

export type DetectorId = (typeof DETECTORS)[number];

function finding(
  rec: LogRecord,
  detector: DetectorId,
  cve: string | null,
  severity: Severity,
  clientIp: string | undefined,
  reason: string,
  evidence: string,
): Finding {
  return {
    detector,
    cve,
    severity,
    file: rec.file,
    line: rec.line,
    time: rec.time,
    clientIp,
    reason,
    evidence,
  };
}

function httpProxy(rec: LogRecord, emit: EmitFinding): void {
  const anchor = rec.fields['AnchorMailbox'] ?? '';
  if (!anchor.startsWith('ServerInfo~') || !anchor.includes('/')) return;
  const f = rec.fields;
  const ip = cleanIp(f['ClientIpAddress']);
  const lower = anchor.toLowerCase();
  const status = f['HttpStatus'] ?? '';
  // CVE-2021-27065 second half: the ECP "reset virtual directory" call that writes the file.
  if (/^serverinfo~[^/]*\/.*reset.*virtualdirectory#/.test(lower)) {
    if (status === '200') {
      emit(
        finding(
          rec,
          'cve-2021-27065-httpproxy-ecp',
          'CVE-2021-27065',
          'high',
          ip,
          'ECP Reset…VirtualDirectory through a ServerInfo~ routing hint returned 200: a web shell was probably written',
          anchor,
        ),
      );
    }
  }
  if (lower.startsWith('serverinfo~localhost')) return; // Test-ProxyLogon drops these as noise
  if (/^serverinfo~[^/]*\/autodiscover/.test(lower)) {
    emit(
      finding(
        rec,
        'cve-2021-26855-probe',
        'CVE-2021-26855',
        'low',
        ip,
        'SSRF attempt against autodiscover (probing: no valid mailbox yet)',
        anchor,
      ),
    );
    return;
  }
  const user = f['AuthenticatedUser'] ?? '';
  const extra = user === '' ? '; no authenticated user' : '';
  emit(
    finding(
      rec,
      'cve-2021-26855-httpproxy',
      'CVE-2021-26855',
      'high',
      ip,
      `AnchorMailbox routes to a client-chosen back-end path (SSRF)${extra}`,
      anchor,
    ),
  );
}

const SET_VDIR = /Set-\w*VirtualDirectory/i;
const MARKUP = /<\s*(script|%|html|asp:|\/?\w+[^>]*runat)/i;

function ecpServer(rec: LogRecord, emit: EmitFinding): void {
  const text = rec.fields['text'] ?? '';
  if (!SET_VDIR.test(text)) return;
  const ip = /S:CLIENTIP=([^;]+)/.exec(text)?.[1];
  const url = /(?:External|Internal)Url='?([^']*)/i.exec(text);
  if (url && MARKUP.test(url[1]!)) {
    emit(
      finding(
        rec,
        'cve-2021-27065-ecp',
        'CVE-2021-27065',
        'high',
        cleanIp(ip),
        'Set-…VirtualDirectory with script markup in a URL property (web-shell code stored in Exchange config)',
        url[0].slice(0, 300),
      ),
    );
  } else if (
    text.includes("S:CMD=Set-OabVirtualDirectory.ExternalUrl='") &&
    url &&
    !/^https?:\/\//i.test(url[1]!)
  ) {
    emit(
      finding(
        rec,
        'cve-2021-27065-ecp',
        'CVE-2021-27065',
        'medium',
        cleanIp(ip),
        'Set-OabVirtualDirectory.ExternalUrl set to something that is not an http(s) URL',
        url[0].slice(0, 300),
      ),
    );
  }
}

const OAB_DOWNLOAD_FAILED = /Download failed and temporary file (.+?) needs to be removed/i;

function oabGenerator(rec: LogRecord, emit: EmitFinding): void {
  const m = OAB_DOWNLOAD_FAILED.exec(rec.fields['text'] ?? '');
  if (!m) return;
  const path = m[1]!.trim().replace(/^['"]|['"]$/g, '');
  if (path.replace(/\//g, '\\').toLowerCase().includes('\\clientaccess\\oab\\')) return;
  emit(
    finding(
      rec,
      'cve-2021-26858-oabgen',
      'CVE-2021-26858',
      'high',
      undefined,
      'OAB generator wrote a file outside ClientAccess\\OAB (arbitrary file write): look at that path',
      path,
    ),
  );
}

function eventLog(rec: LogRecord, emit: EmitFinding): void {
  const source = rec.fields['Source'] ?? '';
  if (source !== 'MSExchange Unified Messaging') return;
  const level = (rec.fields['Level'] ?? '').toLowerCase();
  if (level !== 'error' && level !== '2') return;
  const message = rec.fields['Message'] ?? '';
  if (!message.includes('System.InvalidCastException')) return;
  emit(
    finding(
      rec,
      'cve-2021-26857-eventlog',
      'CVE-2021-26857',
      'high',
      undefined,
      'Unified Messaging error with System.InvalidCastException (deserialization exploit attempt)',
      message.slice(0, 200),
    ),
  );
}

const OWA_THEME_RESOURCE = /^\/owa\/auth\/current\/themes\/resources\/[^/]+$/;
const ECP_STATIC = /^\/ecp\/(default\.flt|main\.css|[a-z0-9]\.js)$/;
const OWA_RANDOM_JS = /^\/owa\/auth\/[a-z0-9]{1,30}\.js$/;
const ECP_RANDOM = /^\/ecp\/[a-z0-9]{1,30}\.(js|flt|css)$/;
const SSRF_BE_COOKIE = /X-BEResource=[^;]*\/[^;]*~/i;
const SUSPICIOUS_UA = /^(antsword\/|exchangeservicesclient\/0\.0\.0\.0|python-requests\/2\.(19\.1|25\.1))/i;

export function isPrivateIp(ip: string): boolean {
  if (ip.includes(':')) return /^(::1$|fe[89ab]|f[cd])/i.test(ip);
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
}

function iis(rec: LogRecord, emit: EmitFinding): void {
  const f = rec.fields;
  const stem = (f['cs-uri-stem'] ?? '').toLowerCase();
  const method = f['cs-method'] ?? '';
  const ip = cleanIp(f['c-ip']);
  const ua = f['cs(User-Agent)'] ?? '';
  const cookie = f['cs(Cookie)'] ?? '';
  if (cookie !== '' && (cookie.includes('X-AnonResource-Backend') || SSRF_BE_COOKIE.test(cookie))) {
    // What EOMT's two URL Rewrite rules abort on; reported in addition to whatever else the line shows.
    emit(
      finding(
        rec,
        'iis-ssrf-cookie',
        'CVE-2021-26855',
        'high',
        ip,
        'request carries the X-AnonResource-Backend / X-BEResource=…/…~… cookie used for the SSRF',
        cookie.slice(0, 200),
      ),
    );
  }
  if (method === 'POST' && (OWA_THEME_RESOURCE.test(stem) || ECP_STATIC.test(stem))) {
    emit(
      finding(
        rec,
        'iis-static-post',
        'CVE-2021-26855',
        'medium',
        ip,
        'POST to a static OWA/ECP resource that never takes POSTs (SSRF exploit traffic)',
        `${method} ${stem}`,
      ),
    );
    return;
  }
  if (
    (OWA_RANDOM_JS.test(stem) || ECP_RANDOM.test(stem)) &&
    !ECP_STATIC.test(stem) &&
    ip &&
    !isPrivateIp(ip)
  ) {
    emit(
      finding(
        rec,
        'iis-random-script',
        'CVE-2021-26855',
        'medium',
        ip,
        'request from a public address for a short random-named script under /owa/auth or /ecp',
        `${method} ${stem}`,
      ),
    );
    return;
  }
  const query = f['cs-uri-query'] ?? '';
  const backEnd = f['s-port'] === '444' || (f['s-sitename'] ?? '').toLowerCase() === 'exchange back end';
  if (backEnd && query.startsWith('t=')) {
    emit(
      finding(
        rec,
        'iis-backend-t-query',
        'CVE-2021-26855',
        'medium',
        ip,
        "Exchange Back End request whose query starts with 't=' (HAFNIUM request pattern)",
        `${stem}?${query.slice(0, 100)}`,
      ),
    );
    return;
  }
  if (stem.endsWith('.aspx')) {
    const verdict = checkPath(
      stem.startsWith('/aspnet_client/') ? `\\inetpub\\wwwroot${stem}` : `\\frontend\\httpproxy${stem}`,
    );
    if (verdict?.detector === 'webshell-path') {
      const uaNote = SUSPICIOUS_UA.test(ua) ? `; user agent ${ua}` : '';
      emit(
        finding(
          rec,
          'iis-webshell-request',
          null,
          'high',
          ip,
          `request for a likely web shell: ${verdict.reason}${uaNote}`,
          `${method} ${stem}`,
        ),
      );
    }
  }
}

function listing(rec: LogRecord, emit: EmitFinding): void {
  const path = rec.fields['path'] ?? '';
  const verdict = checkPath(path);
  if (!verdict) return;
  emit(
    finding(
      rec,
      verdict.detector,
      null,
      verdict.detector === 'webshell-path' ? 'high' : 'medium',
      undefined,
      verdict.reason,
      path,
    ),
  );
}

/** Runs every detector that applies to the record's kind. */
export function detectRecord(rec: LogRecord, emit: EmitFinding): void {
  switch (rec.kind) {
    case 'httpproxy':
      return httpProxy(rec, emit);
    case 'ecp-server':
      return ecpServer(rec, emit);
    case 'oab-generator':
      return oabGenerator(rec, emit);
    case 'eventlog-csv':
    case 'eventlog-xml':
      return eventLog(rec, emit);
    case 'iis-w3c':
      return iis(rec, emit);
    case 'listing':
      return listing(rec, emit);
  }
}
