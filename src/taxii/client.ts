/**
 * A TAXII 2.1 client (used by the CLI and federation): discovery, API roots, collections, objects (get, add,
 * delete), manifest, versions and status polling. Pages by `next`, falling back to `added_after` +
 * X-TAXII-Date-Added-Last when a server gives no `next`; retries with exponential backoff on 429, 502-504 and
 * network errors (honouring Retry-After); splits POSTs to respect the API root's `max_content_length`. Refuses
 * anything but http(s) and never follows a redirect to another origin.
 */
import { EntenteError, invalid, type ErrorCode } from '../core/errors.js';
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
  /** Per-request timeout in ms (default 60 s). */
  readonly timeoutMs?: number;
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
    this.maxContentLength.set(checkUrl(apiRootUrl).href, info.max_content_length);
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
    return envelopePage(await this.request('GET', url));
  }

  /** Every object matching `filter`, page after page. */
  iterateObjects(
    apiRootUrl: string,
    collectionId: string,
    filter: ClientFilter = {},
    paging: PagingOptions = {},
  ): AsyncGenerator<StixJson> {
    return this.paginate((f) => this.getObjects(apiRootUrl, collectionId, f), filter, paging);
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
    return envelopePage(await this.request('GET', url));
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
    await this.request('DELETE', url);
  }

  async manifest(
    apiRootUrl: string,
    collectionId: string,
    filter?: ClientFilter,
  ): Promise<PageResult<ManifestRecord>> {
    const res = await this.request(
      'GET',
      this.collectionUrl(apiRootUrl, collectionId, `manifest/${queryOf(filter)}`),
    );
    const body = (await parseJson(res)) as Manifest;
    return pageOf(res, body, body.objects ?? []);
  }

  iterateManifest(
    apiRootUrl: string,
    collectionId: string,
    filter: ClientFilter = {},
    paging: PagingOptions = {},
  ): AsyncGenerator<ManifestRecord> {
    return this.paginate((f) => this.manifest(apiRootUrl, collectionId, f), filter, paging);
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
    const res = await this.request('GET', url);
    const body = (await parseJson(res)) as Versions;
    return pageOf(res, body, body.versions ?? []);
  }

  async status(apiRootUrl: string, statusId: string): Promise<Status> {
    return this.json('GET', new URL(`status/${encodeURIComponent(statusId)}/`, checkUrl(apiRootUrl)));
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
   * Adds objects, in as many POSTs as `max_content_length` requires (each envelope at most that many bytes).
   * Returns one status per POST.
   */
  async addObjects(
    apiRootUrl: string,
    collectionId: string,
    objects: Iterable<StixJson> | AsyncIterable<StixJson>,
  ): Promise<Status[]> {
    const root = checkUrl(apiRootUrl).href;
    const max = this.maxContentLength.get(root) ?? (await this.apiRoot(apiRootUrl)).max_content_length;
    const statuses: Status[] = [];
    let parts: string[] = [];
    let size = ENVELOPE_OVERHEAD;
    const flush = async () => {
      if (parts.length === 0) return;
      const body = `{"objects":[${parts.join(',')}]}`;
      const res = await this.request('POST', this.collectionUrl(apiRootUrl, collectionId, 'objects/'), body);
      statuses.push((await parseJson(res)) as Status);
      parts = [];
      size = ENVELOPE_OVERHEAD;
    };
    for await (const o of objects) {
      const text = JSON.stringify(o);
      const bytes = Buffer.byteLength(text);
      if (bytes + ENVELOPE_OVERHEAD > max)
        throw new EntenteError(
          'TOO_LARGE',
          `object ${o.id} (${bytes} bytes) exceeds max_content_length ${max}`,
        );
      const sep = parts.length > 0 ? 1 : 0;
      if (size + sep + bytes > max) await flush();
      size += (parts.length > 0 ? 1 : 0) + bytes;
      parts.push(text);
    }
    await flush();
    return statuses;
  }

  private async *paginate<T>(
    fetchPage: (f: ClientFilter) => Promise<PageResult<T>>,
    filter: ClientFilter,
    paging: PagingOptions,
  ): AsyncGenerator<T> {
    let f: ClientFilter = filter;
    for (;;) {
      const page = await fetchPage(f);
      yield* page.items;
      if (!page.more) return;
      if (paging.by !== 'added_after' && page.next !== undefined) {
        f = { ...filter, next: page.next };
      } else if (page.dateAddedLast !== undefined && page.dateAddedLast !== f.addedAfter) {
        f = { ...filter, next: undefined, addedAfter: page.dateAddedLast };
      } else {
        throw new EntenteError('UNAVAILABLE', 'the server says there is more but gives no way to page on');
      }
    }
  }

  private collectionUrl(apiRootUrl: string, collectionId: string, rest: string): URL {
    return new URL(`collections/${encodeURIComponent(collectionId)}/${rest}`, checkUrl(apiRootUrl));
  }

  private async json<T>(method: string, url: URL): Promise<T> {
    return (await parseJson(await this.request(method, url))) as T;
  }

  /** One request with retries, backoff and same-origin redirects; throws TaxiiHttpError on failure. */
  async request(method: string, url: URL, body?: string): Promise<Response> {
    const retries = this.options.retries ?? 4;
    const backoff = this.options.backoffMs ?? 250;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.follow(method, url, body);
      } catch (err) {
        if (err instanceof EntenteError || attempt >= retries) throw wrapNetworkError(err, url);
        await this.sleep(backoff * 2 ** attempt);
        continue;
      }
      if (RETRYABLE.has(res.status) && attempt < retries) {
        await res.body?.cancel();
        const retryAfter = Number(res.headers.get('retry-after'));
        const wait =
          Number.isFinite(retryAfter) && retryAfter > 0
            ? Math.min(retryAfter * 1000, 30_000)
            : backoff * 2 ** attempt;
        await this.sleep(wait);
        continue;
      }
      if (res.status >= 400) throw await httpError(res, method, url);
      return res;
    }
  }

  private async follow(method: string, start: URL, body: string | undefined): Promise<Response> {
    let url = start;
    for (let hops = 0; ; hops++) {
      const res = await this.fetchImpl(url, {
        method,
        redirect: 'manual',
        headers: this.headers(body !== undefined),
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
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
      url = target;
    }
  }

  private headers(withBody: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: TAXII_MEDIA_TYPE };
    if (withBody) h['content-type'] = TAXII_MEDIA_TYPE;
    if (this.options.userAgent) h['user-agent'] = this.options.userAgent;
    const c = this.options.credentials;
    if (c && 'token' in c) h.authorization = `Bearer ${c.token}`;
    else if (c) h.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    return h;
  }
}

async function envelopePage(res: Response): Promise<PageResult<StixJson>> {
  const body = (await parseJson(res)) as Envelope;
  return pageOf(res, body, body.objects ?? []);
}

function pageOf<T>(
  res: Response,
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

async function parseJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new EntenteError('UNAVAILABLE', `the server sent invalid JSON (${res.status} from ${res.url})`);
  }
}

async function httpError(res: Response, method: string, url: URL): Promise<TaxiiHttpError> {
  let resource: ErrorResource | undefined;
  try {
    const parsed = JSON.parse(await res.text()) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as ErrorResource).title === 'string')
      resource = parsed as ErrorResource;
  } catch {
    // not an error resource
  }
  const what = resource
    ? `${resource.title}${resource.description ? `: ${resource.description}` : ''}`
    : res.statusText;
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
