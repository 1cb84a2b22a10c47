/**
 * Generates demo/proxylogon.json, the ProxyLogon demo STIX 2.1 bundle that `entente demo` imports next to ATT&CK.
 *
 *   npx tsx scripts/build-demo-bundle.ts [--shared DIR] [--out FILE]
 *
 * Defaults: --shared ../shared (relative to the repo root), --out demo/proxylogon.json. The output is
 * byte-for-byte deterministic; see src/services/demo/proxylogon.ts and demo/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isEntenteError } from '../src/core/errors.js';
import { loadProxyLogonInputs } from '../src/services/demo/load-proxylogon.js';
import { buildProxyLogonDemoWithReport, serializeBundle } from '../src/services/demo/proxylogon.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { shared: { type: 'string' }, out: { type: 'string' } },
    allowPositionals: false,
  });
  const sharedDir = resolve(repoRoot, values.shared ?? '../shared');
  const out = resolve(repoRoot, values.out ?? 'demo/proxylogon.json');

  const { bundle, warnings } = buildProxyLogonDemoWithReport(await loadProxyLogonInputs(sharedDir));
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);

  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, serializeBundle(bundle));

  const counts = new Map<string, number>();
  for (const o of bundle.objects) counts.set(o.type, (counts.get(o.type) ?? 0) + 1);
  const summary = [...counts].map(([type, n]) => `${type} ${n}`).join(', ');
  process.stderr.write(
    `wrote ${out}: ${bundle.objects.length} objects (${summary}); ${warnings.length} warning(s)\n`,
  );
};

main().catch((err: unknown) => {
  process.stderr.write(`build-demo-bundle: ${isEntenteError(err) ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
