/**
 * `entente demo`: the quick start. Loads ATT&CK Enterprise and the ProxyLogon demo set (both idempotent: a second
 * run stores nothing new) into collections `attack` and `proxylogon`, makes both public (default TLP:CLEAR, anonymous
 * TAXII read: the data is public), then serves.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EntenteError } from '../core/errors.js';
import { packageRoot } from '../config.js';
import { LOCAL_OPERATOR } from '../services/index.js';
import { configOf, openNode } from './context.js';
import { importFile } from './import.js';
import { fmt } from './output.js';
import { portOf, serveUntilSignal, type ServeFlags } from './serve.js';

export function demoSources(sharedDir: string): { file: string; collection: string }[] {
  return [
    { file: join(sharedDir, 'data', 'attack', 'enterprise-attack.json'), collection: 'attack' },
    { file: resolve(packageRoot, 'demo', 'proxylogon.json'), collection: 'proxylogon' },
  ];
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('load ATT&CK Enterprise and the ProxyLogon demo data, then serve')
    .option('--host <host>', 'address to listen on')
    .option('-p, --port <port>', 'port (default 8080)')
    .option('--no-serve', 'load the data and exit')
    .action(async (flags: ServeFlags & { serve: boolean }, cmd: Command) => {
      const config = configOf(cmd, portOf(flags));
      const sources = demoSources(config.sharedDir);
      for (const s of sources) {
        if (!existsSync(s.file)) {
          throw new EntenteError(
            'NOT_FOUND',
            `demo data not found: ${s.file} (set --shared or ENTENTE_SHARED_DIR)`,
          );
        }
      }
      const node = await openNode(config);
      try {
        for (const s of sources) {
          const { report, seconds, collection } = await importFile(node, s.file, {
            collection: s.collection,
          });
          // Both sets are public (ATT&CK; TLP:WHITE vendor feeds): readable by anyone, anonymous TAXII included.
          await node.services.sharing.setCollectionDefault(LOCAL_OPERATOR, collection.id, 'clear');
          await node.auth.grant('anonymous', collection.id, { canRead: true, canWrite: false });
          process.stdout.write(
            `${s.collection}: ${fmt(report.received)} objects (${fmt(report.added)} new, ${fmt(report.duplicates)} already stored, ` +
              `${fmt(report.rejected + report.conflicts)} refused) in ${seconds.toFixed(2)} s\n`,
          );
        }
        if (flags.serve) await serveUntilSignal(node);
      } finally {
        await node.close();
      }
    });
}
