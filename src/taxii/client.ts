/**
 * A TAXII 2.1 client (used by the CLI and federation): discovery, API roots, collections, objects (get, add,
 * delete), manifest, versions and status polling. Pages by `next`, falling back to `added_after` +
 * X-TAXII-Date-Added-Last when a server gives no `next` (without losing objects that share a date_added);
 * retries with exponential backoff on 429, 502-504 and network errors, also while a body is read (honouring
 * Retry-After, in seconds or as a date, and giving up when it asks for more than `maxRetryAfterMs`); splits POSTs
 * to respect the API root's `max_content_length` (and halves one the server still finds too large). Refuses
 * anything but http(s), never follows a redirect to another origin, sends credentials only to the origins it is
 * given, and reads at most `maxResponseBytes` of a response.
 */
import { EntenteError, invalid, type ErrorCode } from '../core/errors.js';
import { STATUS_CODES as STATUS_TEXT } from 'node:http';
import { TAXII_MEDIA_TYPE } from './media.js';
import type {
  ApiRoot,
  Collections,
  Discovery,
  Envelope,
  ErrorResource,
  Manifest,
  ManifestRecord,
  Status,
  StixJson,
  TaxiiCollection,
  Versions,
} from './types.js';

export type Credentials =
  { readonly username: string; readonly password: string } | { readonly token: string };

export interface TaxiiClientOptions {
  readonly credentials?: Credentials | undefined;
  /** Attempts after the first on retryable failures (default 4). */
  readonly retries?: number;
  /** First backoff delay in ms, doubled each attempt (default 250). */
  readonly backoffMs?: number;
  /** Per-request timeout in ms, the body's download included (default 60 s). */
  readonly timeoutMs?: number;
  /** Largest response body read, in bytes (default 256 MiB): a larger one is an error, never buffered whole. */
  readonly maxResponseBytes?: number;
  /** A Retry-After asking for longer than this (ms, default 60 s) is not waited for: the request fails. */
  readonly maxRetryAfterMs?: number;
  /**
   * Origins (`https://taxii.example.org`) the credentials may be sent to. Absent: any origin the caller asks for.
   * The CLI gives the origin of the URL on its command line, so that a discovery document naming another host
   * (or a federation peer's data) cannot collect them.
   */
  readonly credentialOrigins?: readonly string[] | undefined;
  readonly userAgent?: string;
  /** Injectable for tests. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ClientFilter {
  readonly addedAfter?: string | undefined;
  readonly limit?: number | undefined;
  readonly next?: string | undefined;
  readonly ids?: readonly string[] | undefined;
  readonly types?: readonly string[] | undefined;
  /** `first`, `last`, `all` or timestamps. */
  readonly versions?: readonly string[] | undefined;
  readonly specVersions?: readonly string[] | undefined;
}

export interface PageResult<T> {
  readonly more: boolean;
  readonly next: string | undefined;
  readonly items: readonly T[];
  readonly dateAddedFirst: string | undefined;
  readonly dateAddedLast: string | undefined;
}

export interface PagingOptions {
  /** `next` (default; falls back to added_after when the server sends none) or `added_after` only. */
  readonly by?: 'next' | 'added_after';
}

/** An HTTP failure from a TAXII server, with its status and error resource. */
export class TaxiiHttpError extends EntenteError {
  constructor(
    readonly httpStatus: number,
    message: string,
    readonly resource: ErrorResource | undefined,
  ) {
    super(codeOf(httpStatus), message, { httpStatus, ...(resource ? { error: resource } : {}) });
    this.name = 'TaxiiHttpError';
  }
}

const RETRYABLE = new Set([429, 502, 503, 504]);
/** Pages in a row with nothing new before paging is given up as a loop: by added_after, and by next. */
const MAX_STALLED_PAGES = 3;
const MAX_EMPTY_NEXT_PAGES = 100;
/** The page size the added_after fallback may grow to, to get past many objects sharing one date_added. */
const MAX_FALLBACK_LIMIT = 100_000;
/** When an API root does not say its max_content_length (it must): POSTs of at most this many bytes. */
const DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const ENVELOPE_OVERHEAD = Buffer.byteLength('{"objects":[]}');

function codeOf(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'INVALID';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 406:
      return 'NOT_ACCEPTABLE';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'TOO_LARGE';
    case 415:
      return 'UNSUPPORTED';
    case 422:
      return 'UNPROCESSABLE';
    default:
      return status >= 500 || status === 429 ? 'UNAVAILABLE' : 'INVALID';
  }
}

/** A URL that must be http(s); ends with `/` when `dir`. */
export function checkUrl(url: string, dir = true): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`not a URL: ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw invalid(`only http and https URLs are allowed, not ${u.protocol}`);
  if (u.username || u.password) throw invalid('put credentials in options, not in the URL');
  if (dir && !u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

function queryOf(f: ClientFilter | undefined): string {
  if (!f) return '';
  const p = new URLSearchParams();
  if (f.addedAfter !== undefined) p.set('added_after', f.addedAfter);
  if (f.limit !== undefined) p.set('limit', String(f.limit));
  if (f.next !== undefined) p.set('next', f.next);
  if (f.ids?.length) p.set('match[id]', f.ids.join(','));
  if (f.types?.length) p.set('match[type]', f.types.join(','));
  if (f.versions?.length) p.set('match[version]', f.versions.join(','));
  if (f.specVersions?.length) p.set('match[spec_version]', f.specVersions.join(','));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/** A response with its body read (within the retries). */
interface Fetched {
  readonly status: number;
  readonly headers: Headers;
  readonly url: string;
  readonly text: string;
}

export class TaxiiClient {
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxContentLength = new Map<string, number>();

  constructor(private readonly options: TaxiiClientOptions = {}) {
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async discover(serverUrl: string): Promise<Discovery> {
    const u = checkUrl(serverUrl);
    if (!u.pathname.endsWith('/taxii2/')) u.pathname = `${u.pathname.replace(/\/$/, '')}/taxii2/`;
    const d = await this.json<Discovery>('GET', u);
    // API roots may be relative URLs (§4.1.1): resolved here against the discovery URL.
    const absolute = (r: string): string => new URL(r, u).href;
    return {
      ...d,
      ...(d.default !== undefined ? { default: absolute(d.default) } : {}),
      ...(d.api_roots !== undefined ? { api_roots: d.api_roots.map(absolute) } : {}),
    };
  }

  async apiRoot(apiRootUrl: string): Promise<ApiRoot> {
    const info = await this.json<ApiRoot>('GET', checkUrl(apiRootUrl));
    const max = info.max_content_length;
    this.maxContentLength.set(
      checkUrl(apiRootUrl).href,
      typeof max === 'number' && Number.isSafeInteger(max) && max > 0 ? max : DEFAULT_MAX_CONTENT_LENGTH,
    );
    return info;
  }

  async collections(apiRootUrl: string): Promise<TaxiiCollection[]> {
    const r = await this.json<Collections>('GET', new URL('collections/', checkUrl(apiRootUrl)));
    return [...(r.collections ?? [])];
  }

  async collection(apiRootUrl: string, collectionId: string): Promise<TaxiiCollection> {
    return this.json('GET', this.collectionUrl(apiRootUrl, collectionId, ''));
  }

  /** One page of objects. */
  async getObjects(
    apiRootUrl: string,
    collectionId: string,
    filter?: ClientFilter,
  ): Promise<PageResult<StixJson>> {
    const url = this.collectionUrl(apiRootUrl, collectionId, `objects/${queryOf(filter)}`);
    return envelopePage(await this.call('GET', url));
  }

  /** Every object matching `filter`, page after page. */
  iterateObjects(
    apiRootUrl: string,
    collectionId: string,
    filter: ClientFilter = {},
    paging: PagingOptions = {},
  ): AsyncGenerator<StixJson> {
    return this.paginate((f) => this.getObjects(apiRootUrl, collectionId, f), filter, paging, objectKey);
  }

  async getObject(
    apiRootUrl: string,
    collectionId: string,
    objectId: string,
    filter?: ClientFilter,
  ): Promise<PageResult<StixJson>> {
    const url = this.collectionUrl(
      apiRootUrl,
      collectionId,
      `objects/${encodeURIComponent(objectId)}/${queryOf(filter)}`,
    );
    return envelopePage(await this.call('GET', url));
  }

  async deleteObject(
    apiRootUrl: string,
    collectionId: string,
    objectId: string,
    filter?: ClientFilter,
  ): Promise<void> {
    const url = this.collectionUrl(
      apiRootUrl,
      collectionId,
      `objects/${encodeURIComponent(objectId)}/${queryOf(filter)}`,
    );
    await this.call('DELETE', url);
  }

  async manifest(
    apiRootUrl: string,
    collectionId: string,
    filter?: ClientFilter,
  ): Promise<PageResult<ManifestRecord>> {
    const res = await this.call(
      'GET',
      this.collectionUrl(apiRootUrl, collectionId, `manifest/${queryOf(filter)}`),
    );
    const body = resourceOf(res, 'a manifest') as Manifest;
    return pageOf(res, body, listOf(res, body.objects, 'objects'));
  }

  iterateManifest(
    apiRootUrl: string,
    collectionId: string,
    filter: ClientFilter = {},
    paging: PagingOptions = {},
  ): AsyncGenerator<ManifestRecord> {
    return this.paginate((f) => this.manifest(apiRootUrl, collectionId, f), filter, paging, manifestKey);
  }

  async versions(
    apiRootUrl: string,
    collectionId: string,
    objectId: string,
    filter?: ClientFilter,
  ): Promise<PageResult<string>> {
    const url = this.collectionUrl(
      apiRootUrl,
      collectionId,
      `objects/${encodeURIComponent(objectId)}/versions/${queryOf(filter)}`,
    );
    const res = await this.call('GET', url);
    const body = resourceOf(res, 'a versions resource') as Versions;
    return pageOf(res, body, listOf(res, body.versions, 'versions'));
  }

  /** Every version of an object, page after page. */
  iterateVersions(
    apiRootUrl: string,
    collectionId: string,
    objectId: string,
    filter: ClientFilter = {},
    paging: PagingOptions = {},
  ): AsyncGenerator<string> {
    return this.paginate(
      (f) => this.versions(apiRootUrl, collectionId, objectId, f),
      filter,
      paging,
      (v) => v,
    );
  }

  async status(apiRootUrl: string, statusId: string): Promise<Status> {
    const res = await this.call(
      'GET',
      new URL(`status/${encodeURIComponent(statusId)}/`, checkUrl(apiRootUrl)),
    );
    return statusOf(res);
  }

  /** Polls a status until it is complete (or `timeoutMs` passes: UNAVAILABLE). */
  async waitForStatus(
    apiRootUrl: string,
    statusId: string,
    { intervalMs = 200, timeoutMs = 300_000 }: { intervalMs?: number; timeoutMs?: number } = {},
  ): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = intervalMs; ; wait = Math.min(wait * 2, 5000)) {
      const s = await this.status(apiRootUrl, statusId);
      if (s.status === 'complete') return s;
      if (Date.now() > deadline) throw new EntenteError('UNAVAILABLE', `status ${statusId} still pending`);
      await this.sleep(wait);
    }
  }

  /**
   * Adds objects, in as many POSTs as `max_content_length` requires (each envelope at most that many bytes); an
   * envelope the server still answers with 413 is split in two and sent again. Returns one status per POST. An
   * object that cannot fit in any envelope is passed to `onTooLarge` and the others go on; without it, it is an
   * error (after what came before it was sent).
   */
  async addObjects(
    apiRootUrl: string,
    collectionId: string,
    objects: Iterable<StixJson> | AsyncIterable<StixJson>,
    options: { onTooLarge?: (object: StixJson, envelopeBytes: number, max: number) => void } = {},
  ): Promise<Status[]> {
    const root = checkUrl(apiRootUrl).href;
    if (!this.maxContentLength.has(root)) await this.apiRoot(apiRootUrl);
    const max = this.maxContentLength.get(root) ?? DEFAULT_MAX_CONTENT_LENGTH;
    const url = this.collectionUrl(apiRootUrl, collectionId, 'objects/');
    const statuses: Status[] = [];
    const post = async (parts: readonly string[]): Promise<void> => {
      try {
        statuses.push(statusOf(await this.call('POST', url, `{"objects":[${parts.join(',')}]}`)));
      } catch (err) {
        if (!(err instanceof TaxiiHttpError && err.httpStatus === 413 && parts.length > 1)) throw err;
        const half = parts.length >> 1;
        await post(parts.slice(0, half));
        await post(parts.slice(half));
      }
    };
    let parts: string[] = [];
    let size = ENVELOPE_OVERHEAD;
    const flush = async () => {
      if (parts.length === 0) return;
      const sending = parts;
      parts = [];
      size = ENVELOPE_OVERHEAD;
      await post(sending);
    };
    for await (const o of objects) {
      const text = JSON.stringify(o);
      const bytes = Buffer.byteLength(text);
      if (bytes + ENVELOPE_OVERHEAD > max) {
        if (options.onTooLarge) {
          options.onTooLarge(o, bytes + ENVELOPE_OVERHEAD, max);
          continue;
        }
        await flush();
        throw new EntenteError(
          'TOO_LARGE',
          `object ${String(o.id)}: an envelope holding it alone is ${bytes + ENVELOPE_OVERHEAD} bytes, over the server's max_content_length of ${max}`,
        );
      }
      const sep = parts.length > 0 ? 1 : 0;
      if (size + sep + bytes > max) await flush();
      size += (parts.length > 0 ? 1 : 0) + bytes;
      parts.push(text);
    }
    await flush();
    return statuses;
  }

  /**
   * Every item, page after page: by `next` while the server gives one; otherwise by `added_after`. Then the next
   * request starts one microsecond before the page's X-TAXII-Date-Added-Last (added_after is exclusive), so that
   * the rest of a run of objects sharing that date_added is not skipped, and what the previous page already gave
   * (by `keyOf`) is not repeated. A page that ends inside a run longer than itself is asked for again with a
   * doubled limit. A server that pages without progress is an error, not an endless loop.
   */
  private async *paginate<T>(
    fetchPage: (f: ClientFilter) => Promise<PageResult<T>>,
    filter: ClientFilter,
    paging: PagingOptions,
    keyOf: (item: T) => string,
  ): AsyncGenerator<T> {
    let f: ClientFilter = filter;
    let stalled = 0;
    // added_after paging: items already given that the next page may repeat (those at its lower bound).
    let repeatable = new Set<string>();
    for (;;) {
      const page = await fetchPage(f);
      let fresh = 0;
      for (const item of page.items) {
        const k = keyOf(item);
        if (repeatable.has(k)) continue;
        fresh++;
        yield item;
      }
      if (!page.more) return;
      stalled = fresh > 0 ? 0 : stalled + 1;
      if (paging.by !== 'added_after' && page.next !== undefined) {
        if (page.next === f.next || stalled >= MAX_EMPTY_NEXT_PAGES)
          throw new EntenteError(
            'UNAVAILABLE',
            'the server pages without progress (the same next, or empty pages)',
          );
        repeatable = new Set();
        f = { ...filter, next: page.next };
        continue;
      }
      const last = page.dateAddedLast === undefined ? undefined : microsBefore(page.dateAddedLast);
      if (last === undefined)
        throw new EntenteError('UNAVAILABLE', 'the server says there is more but gives no way to page on');
      if (last !== f.addedAfter) {
        repeatable = new Set(page.items.map(keyOf));
        f = { ...filter, next: undefined, addedAfter: last };
        continue;
      }
      // The whole page shares one date_added: only a larger page gets past it.
      for (const item of page.items) repeatable.add(keyOf(item));
      const asked = f.limit ?? page.items.length;
      if (page.items.length < asked || asked * 2 > MAX_FALLBACK_LIMIT || stalled >= MAX_STALLED_PAGES)
        throw new EntenteError(
          'UNAVAILABLE',
          `more than ${page.items.length} objects share the date_added ${page.dateAddedLast ?? ''} and the server gives no next: they cannot be paged by added_after`,
        );
      f = { ...f, limit: asked * 2 };
    }
  }

  private collectionUrl(apiRootUrl: string, collectionId: string, rest: string): URL {
    return new URL(`collections/${encodeURIComponent(collectionId)}/${rest}`, checkUrl(apiRootUrl));
  }

  private async json<T>(method: string, url: URL): Promise<T> {
    return resourceOf(await this.call(method, url), 'a TAXII resource') as T;
  }

  /**
   * One request, its body read, with retries (network errors, also while the body arrives; 429 and 502-504),
   * backoff and same-origin redirects; throws TaxiiHttpError on an HTTP failure.
   */
  private async call(method: string, url: URL, body?: string): Promise<Fetched> {
    const retries = this.options.retries ?? 4;
    const backoff = this.options.backoffMs ?? 250;
    for (let attempt = 0; ; attempt++) {
      let got: Fetched;
      try {
        got = await this.fetchText(method, url, body);
      } catch (err) {
        if (err instanceof EntenteError || attempt >= retries) throw wrapNetworkError(err, url);
        await this.sleep(backoff * 2 ** attempt);
        continue;
      }
      if (RETRYABLE.has(got.status) && attempt < retries) {
        const asked = retryAfterMs(got.headers.get('retry-after'));
        const most = this.options.maxRetryAfterMs ?? 60_000;
        if (asked !== undefined && asked > most)
          throw new TaxiiHttpError(
            got.status,
            `${method} ${url.pathname}: HTTP ${got.status}, retry after ${Math.ceil(asked / 1000)} s (more than this client waits)`,
            undefined,
          );
        await this.sleep(asked ?? backoff * 2 ** attempt);
        continue;
      }
      if (got.status >= 400) throw httpError(got, method, url);
      return got;
    }
  }

  /** One exchange (redirects followed), the body read within the timeout and the size limit. */
  private async fetchText(method: string, url: URL, body: string | undefined): Promise<Fetched> {
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    const res = await this.follow(method, url, body, signal);
    const limit = this.options.maxResponseBytes ?? 256 * 1024 * 1024;
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      await res.body?.cancel();
      throw tooLarge(res.url || url.href, limit);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body)
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (size > limit) {
          await res.body.cancel().catch(() => undefined);
          throw tooLarge(res.url || url.href, limit);
        }
        chunks.push(chunk);
      }
    return {
      status: res.status,
      headers: res.headers,
      url: res.url || url.href,
      text: Buffer.concat(chunks, size).toString('utf8'),
    };
  }

  private async follow(
    method: string,
    start: URL,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<Response> {
    let url = start;
    for (let hops = 0; ; hops++) {
      const res = await this.fetchImpl(url, {
        method,
        redirect: 'manual',
        headers: this.headers(url, body !== undefined),
        ...(body !== undefined ? { body } : {}),
        signal,
      });
      if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
      const location = res.headers.get('location');
      await res.body?.cancel();
      if (!location)
        throw new TaxiiHttpError(res.status, `redirect without Location from ${url.href}`, undefined);
      const target = new URL(location, url);
      if (target.host !== url.host || (target.protocol !== url.protocol && target.protocol !== 'https:'))
        throw new EntenteError(
          'FORBIDDEN',
          `refusing a redirect from ${url.host} to another host (${target.host})`,
        );
      if (hops >= MAX_REDIRECTS)
        throw new EntenteError('UNAVAILABLE', `too many redirects from ${start.href}`);
      // 303 See Other: the answer is fetched with GET (RFC 9110 §15.4.4), not by sending the body again.
      if (res.status === 303) {
        method = 'GET';
        body = undefined;
      }
      url = target;
    }
  }

  private headers(url: URL, withBody: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: TAXII_MEDIA_TYPE };
    if (withBody) h['content-type'] = TAXII_MEDIA_TYPE;
    if (this.options.userAgent) h['user-agent'] = this.options.userAgent;
    const origins = this.options.credentialOrigins;
    if (origins !== undefined && !origins.includes(url.origin)) return h;
    const c = this.options.credentials;
    if (c && 'token' in c) h.authorization = `Bearer ${c.token}`;
    else if (c) h.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    return h;
  }
}

/** Identity of an object in a page (its id and version), for the added_after fallback. */
const objectKey = (o: StixJson): string => {
  const x = o as { id?: unknown; modified?: unknown; created?: unknown };
  const version =
    typeof x.modified === 'string' ? x.modified : typeof x.created === 'string' ? x.created : '';
  return `${typeof x.id === 'string' ? x.id : ''}\u0000${version}`;
};
const manifestKey = (r: ManifestRecord): string => `${r.id}\u0000${r.version ?? ''}\u0000${r.date_added}`;

/** One microsecond before a TAXII timestamp, as a timestamp (microsecond precision); undefined if not one. */
export function microsBefore(timestamp: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/i.exec(timestamp);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]!}Z`);
  if (Number.isNaN(seconds)) return undefined;
  const micros = seconds * 1000 + Math.floor(Number(`0.${m[2] ?? '0'}`) * 1e6 + 1e-6) - 1;
  const ms = Math.floor(micros / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(micros - ms * 1000).padStart(3, '0')}Z`;
}

/** Retry-After (RFC 9110 §10.2.3) in ms: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const tooLarge = (url: string, limit: number): EntenteError =>
  new EntenteError('TOO_LARGE', `the response from ${url} is larger than ${limit} bytes (maxResponseBytes)`);

function envelopePage(res: Fetched): PageResult<StixJson> {
  const body = resourceOf(res, 'an envelope') as Envelope;
  return pageOf(res, body, listOf(res, body.objects, 'objects'));
}

function pageOf<T>(
  res: Fetched,
  body: { more?: boolean; next?: string },
  items: readonly T[],
): PageResult<T> {
  return {
    more: body.more === true,
    next: typeof body.next === 'string' ? body.next : undefined,
    items,
    dateAddedFirst: res.headers.get('x-taxii-date-added-first') ?? undefined,
    dateAddedLast: res.headers.get('x-taxii-date-added-last') ?? undefined,
  };
}

/** A JSON media type (TAXII's, STIX's or plain JSON): anything else (an HTML error page…) is not a TAXII answer. */
const JSON_TYPE = /^application\/(?:taxii\+json|stix\+json|json)\s*(?:;|$)/i;

/** The body of a successful response as a JSON object (a TAXII resource), or a clear error. */
function resourceOf(res: Fetched, what: string): Record<string, unknown> {
  const type = res.headers.get('content-type') ?? '';
  if (!JSON_TYPE.test(type))
    throw new EntenteError(
      'UNAVAILABLE',
      `expected ${what} from ${res.url}, got ${type === '' ? 'no content type' : JSON.stringify(type.slice(0, 80))}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    throw new EntenteError('UNAVAILABLE', `the server sent invalid JSON (${res.status} from ${res.url})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new EntenteError('UNAVAILABLE', `expected ${what} (a JSON object) from ${res.url}`);
  return parsed as Record<string, unknown>;
}

/** A list member of a resource: absent is empty, anything but a list an error. */
function listOf<T>(res: Fetched, v: unknown, name: string): readonly T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v))
    throw new EntenteError('UNAVAILABLE', `"${name}" is not a list in the answer from ${res.url}`);
  return v as T[];
}

/** A status resource, as far as the client relies on it. */
function statusOf(res: Fetched): Status {
  const s = resourceOf(res, 'a status resource');
  if (typeof s.id !== 'string' || typeof s.status !== 'string')
    throw new EntenteError('UNAVAILABLE', `expected a status resource (with id and status) from ${res.url}`);
  return s as unknown as Status;
}

function httpError(res: Fetched, method: string, url: URL): TaxiiHttpError {
  let resource: ErrorResource | undefined;
  try {
    const parsed = JSON.parse(res.text) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as ErrorResource).title === 'string')
      resource = parsed as ErrorResource;
  } catch {
    // not an error resource
  }
  const what = resource
    ? `${resource.title}${resource.description ? `: ${resource.description}` : ''}`
    : (STATUS_TEXT[res.status] ?? '');
  return new TaxiiHttpError(res.status, `${method} ${url.pathname}: HTTP ${res.status} ${what}`, resource);
}

function wrapNetworkError(err: unknown, url: URL): EntenteError {
  if (err instanceof EntenteError) return err;
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return new EntenteError(
    'UNAVAILABLE',
    `cannot reach ${url.host}: ${cause ?? (err instanceof Error ? err.message : String(err))}`,
    undefined,
    { cause: err },
  );
}
