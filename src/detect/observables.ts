/**
 * Turns a log record's observables into a STIX 2.1 Observation: SCOs keyed '0', '1', … with `*_ref`s pointing at
 * those keys — addresses, domain names, URLs, HTTP requests (method, path, User-Agent, Host), files with hashes and
 * their directory. This is what indicator patterns are matched against.
 */
import type { Observation } from './indicator-index.js';
import { normaliseTime } from './formats.js';
import type { LogRecord } from './types.js';

export type { Observation };

type Sco = Record<string, unknown>;

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV4_ANY = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const HASH_ANY = /\b(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{40}|[0-9a-fA-F]{32})\b/g;
const STIX_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;
const OAB_TEMP_FILE = /temporary file (.+?) needs to be removed/i;
const WINPATH_ANY = /(?:[A-Za-z]:\\|\\\\[\w.$-]+\\)[^\s"'<>|*?,;]*[^\s"'<>|*?,;.\\]/g;

/** Client address fields may carry a port or several comma-separated hops; take the first address. */
export function cleanIp(text: string | undefined): string | undefined {
  if (!text) return undefined;
  if (IPV4.test(text)) return text; // the common case, without allocating
  const comma = text.indexOf(',');
  let t = (comma < 0 ? text : text.slice(0, comma)).trim();
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    t = close > 0 ? t.slice(1, close) : t.slice(1);
  } else {
    const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/.exec(t);
    if (v4) return v4[1];
  }
  return t.includes(':') && /^[0-9a-fA-F:.]+$/.test(t) ? t : undefined;
}

const ipSco = (ip: string): Sco => ({ type: ip.includes(':') ? 'ipv6-addr' : 'ipv4-addr', value: ip });

const hashKey = (h: string): string => (h.length === 64 ? 'SHA-256' : h.length === 40 ? 'SHA-1' : 'MD5');

/** Splits a Windows (or POSIX) path into a file SCO and its directory SCO. */
export function fileScos(path: string, hash?: string): { file: Sco; directory: Sco | undefined } {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  const name = cut >= 0 ? path.slice(cut + 1) : path;
  const dir = cut > 0 ? path.slice(0, cut) : undefined;
  const file: Sco = { type: 'file', name };
  if (hash) file['hashes'] = { [hashKey(hash)]: hash };
  return { file, directory: dir ? { type: 'directory', path: dir } : undefined };
}

function httpRequest(
  objects: Record<string, Sco>,
  ip: string | undefined,
  host: string,
  stem: string,
  query: string,
  method: string,
  userAgent: string,
): void {
  let n = 0;
  const traffic: Sco = { type: 'network-traffic', protocols: ['tcp', 'http'] };
  if (ip) {
    objects['0'] = ipSco(ip);
    traffic['src_ref'] = '0';
    n = 1;
  }
  if (host && !IPV4.test(host)) objects[String(n++)] = { type: 'domain-name', value: host };
  if (stem) {
    const q = query === '' ? '' : query.startsWith('?') ? query : `?${query}`;
    objects[String(n++)] = { type: 'url', value: `https://${host || 'localhost'}${stem}${q}` };
  }
  const header: Record<string, string> = {};
  if (userAgent) header['User-Agent'] = userAgent;
  if (host) header['Host'] = host;
  traffic['extensions'] = {
    'http-request-ext': {
      request_method: method || 'GET',
      request_value: stem || '/',
      request_header: header,
    },
  };
  objects[String(n)] = traffic;
}

function fromText(objects: Record<string, Sco>, text: string): void {
  let n = 0;
  const seen = new Set<string>();
  for (const m of text.matchAll(IPV4_ANY)) {
    if (seen.has(m[0])) continue;
    seen.add(m[0]);
    objects[String(n++)] = ipSco(m[0]);
  }
  for (const m of text.matchAll(HASH_ANY)) {
    const h = m[0].toLowerCase();
    if (seen.has(h)) continue;
    seen.add(h);
    objects[String(n++)] = { type: 'file', hashes: { [hashKey(h)]: h } };
  }
  for (const m of text.matchAll(WINPATH_ANY)) {
    if (seen.has(m[0])) continue;
    seen.add(m[0]);
    const { file, directory } = fileScos(m[0]);
    if (directory) {
      objects[String(n)] = directory;
      file['parent_directory_ref'] = String(n++);
    }
    objects[String(n++)] = file;
  }
}

/** The observables of one record, or undefined when it has none. */
export function recordObservation(rec: LogRecord, fallbackTime: string): Observation | undefined {
  const objects: Record<string, Sco> = {};
  const f = rec.fields;
  switch (rec.kind) {
    case 'httpproxy':
      httpRequest(
        objects,
        cleanIp(f['ClientIpAddress']),
        f['UrlHost'] ?? '',
        f['UrlStem'] ?? '',
        f['UrlQuery'] ?? '',
        f['Method'] ?? '',
        f['UserAgent'] ?? '',
      );
      break;
    case 'iis-w3c':
      httpRequest(
        objects,
        cleanIp(f['c-ip']),
        f['cs-host'] ?? '',
        f['cs-uri-stem'] ?? '',
        f['cs-uri-query'] ?? '',
        f['cs-method'] ?? '',
        // IIS writes spaces in the User-Agent as '+'.
        (f['cs(User-Agent)'] ?? '').replace(/\+/g, ' '),
      );
      break;
    case 'listing': {
      const { file, directory } = fileScos(f['path'] ?? '', f['hash']);
      if (directory) {
        objects['0'] = directory;
        file['parent_directory_ref'] = '0';
      }
      objects['1'] = file;
      break;
    }
    case 'oab-generator': {
      // The written path may hold spaces, so take it whole from the message rather than by pattern.
      const m = OAB_TEMP_FILE.exec(f['text'] ?? '');
      if (m) {
        const { file, directory } = fileScos(m[1]!.trim());
        if (directory) {
          objects['0'] = directory;
          file['parent_directory_ref'] = '0';
        }
        objects['1'] = file;
      }
      break;
    }
    case 'ecp-server':
      fromText(objects, f['text'] ?? '');
      break;
    case 'eventlog-csv':
    case 'eventlog-xml':
      fromText(objects, f['Message'] ?? '');
      break;
  }
  if (Object.keys(objects).length === 0) return undefined;
  // The matcher needs RFC 3339 UTC timestamps; anything else is normalised (or replaced by the fallback).
  const t = rec.time && STIX_TIME.test(rec.time) ? rec.time : (normaliseTime(rec.time) ?? fallbackTime);
  return { firstObserved: t, lastObserved: t, numberObserved: 1, objects };
}
