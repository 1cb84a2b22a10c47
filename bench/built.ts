/**
 * The code the benchmarks measure, loaded from `dist/` (what `entente serve` and `entente import` run), not from
 * `src/` through tsx: tsx transpiles with esbuild's `keepNames`, which wraps every function created at run time in
 * a `__name(…)` call, and the ingest worker thread would then load its TypeScript through tsx's loader too. Both cost
 * time production never spends (the validation worker's profile under tsx had 0.16 s of `__name` per 10,000
 * indicators). The benchmarks' own code stays TypeScript; types come from `src/`.
 *
 * Refuses to run on a stale build: the npm scripts build first (`npm run bench:…`); a direct `npx tsx bench/…`
 * after an edit is told to.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as HttpModule from '../src/http/app.js';
import type * as MainModule from '../src/main.js';
import type * as ServicesModule from '../src/services/index.js';
import type * as TaxiiServiceModule from '../src/services/taxii-service.js';
import type * as StorageModule from '../src/storage/index.js';
import type * as TaxiiModule from '../src/taxii/index.js';
import type * as TaxiiTypesModule from '../src/taxii/types.js';
import type * as AuthServiceModule from '../src/services/auth-service.js';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');

/** The newest modification time of the files under `dir` (0 for none). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function assertBuilt(): void {
  let built: number;
  try {
    built = statSync(join(root, 'dist', 'main.js')).mtimeMs;
  } catch {
    throw new Error('dist/ is missing: run `npm run build` first (the npm bench scripts do)');
  }
  if (newest(join(root, 'src')) > built)
    throw new Error('dist/ is older than src/: run `npm run build` first (the npm bench scripts do)');
}

assertBuilt();
const load = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(root, 'dist', path)).href)) as T;

export const main = await load<typeof MainModule>('main.js');
export const services = await load<typeof ServicesModule>('services/index.js');
export const taxiiService = await load<typeof TaxiiServiceModule>('services/taxii-service.js');
export const storage = await load<typeof StorageModule>('storage/index.js');
export const taxii = await load<typeof TaxiiModule>('taxii/index.js');
export const http = await load<typeof HttpModule>('http/app.js');
export const taxiiTypes = await load<typeof TaxiiTypesModule>('taxii/types.js');
export const authService = await load<typeof AuthServiceModule>('services/auth-service.js');
