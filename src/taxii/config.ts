/** The TAXII server's configuration from the environment (documented in docs/taxii.md). Pure over `env`. */
import { invalid } from '../core/errors.js';
import type { ApiRootConfig, TaxiiServerConfig } from './backend.js';

const ROOT_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function intOf(env: Record<string, string | undefined>, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw invalid(`${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

/**
 * `ENTENTE_API_ROOTS`: comma-separated `name` or `name=Title` (default `api=Entente`); the first is the default.
 * `ENTENTE_TAXII_MAX_CONTENT_LENGTH` (bytes, default 50 MiB), `ENTENTE_TAXII_DEFAULT_LIMIT` (1000),
 * `ENTENTE_TAXII_MAX_LIMIT` (10000), `ENTENTE_TAXII_STATUS_TTL_HOURS` (24, at least 24), `ENTENTE_CURSOR_SECRET`,
 * `ENTENTE_PUBLIC_URL`, `ENTENTE_TAXII_REQUIRE_AUTH` (1/true), `ENTENTE_TAXII_TITLE`, `ENTENTE_TAXII_CONTACT`.
 */
export function parseTaxiiConfig(env: Record<string, string | undefined>): TaxiiServerConfig {
  const rootsText = env.ENTENTE_API_ROOTS ?? 'api=Entente';
  const apiRoots: ApiRootConfig[] = [];
  for (const part of rootsText.split(',')) {
    const [name = '', ...title] = part.split('=');
    const n = name.trim();
    if (!ROOT_RE.test(n) || n === 'status')
      throw invalid(
        `ENTENTE_API_ROOTS: bad API root name ${JSON.stringify(n)} (lower-case letters, digits, . _ -)`,
      );
    if (apiRoots.some((r) => r.name === n)) throw invalid(`ENTENTE_API_ROOTS: ${n} given twice`);
    apiRoots.push({ name: n, title: title.join('=').trim() || n });
  }
  const maxLimit = intOf(env, 'ENTENTE_TAXII_MAX_LIMIT', 10_000, 1);
  const defaultLimit = Math.min(intOf(env, 'ENTENTE_TAXII_DEFAULT_LIMIT', 1000, 1), maxLimit);
  const secret = env.ENTENTE_CURSOR_SECRET;
  if (secret !== undefined && secret !== '' && secret.length < 16)
    throw invalid('ENTENTE_CURSOR_SECRET must be at least 16 characters');
  const publicUrl = env.ENTENTE_PUBLIC_URL;
  if (publicUrl !== undefined && publicUrl !== '' && !/^https?:\/\/[^/]+\/?$/.test(publicUrl))
    throw invalid('ENTENTE_PUBLIC_URL must be http(s)://host[:port] with no path');
  return {
    title: env.ENTENTE_TAXII_TITLE || 'Entente TAXII 2.1',
    description: 'Threat-intelligence sharing for alliances',
    contact: env.ENTENTE_TAXII_CONTACT || undefined,
    apiRoots,
    maxContentLength: intOf(env, 'ENTENTE_TAXII_MAX_CONTENT_LENGTH', 50 * 1024 * 1024, 1024),
    maxConcurrentPosts: intOf(env, 'ENTENTE_TAXII_MAX_CONCURRENT_POSTS', 4, 1),
    defaultLimit,
    maxLimit,
    statusTtlSeconds: Math.max(24, intOf(env, 'ENTENTE_TAXII_STATUS_TTL_HOURS', 24, 24)) * 3600,
    cursorSecret: secret || undefined,
    publicUrl: publicUrl ? publicUrl.replace(/\/$/, '') : undefined,
    requireAuth: /^(1|true|yes)$/i.test(env.ENTENTE_TAXII_REQUIRE_AUTH ?? ''),
  };
}
