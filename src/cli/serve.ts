/** `entente serve`: run the node's HTTP server until interrupted. */
import type { Command } from 'commander';
import type { Node } from '../main.js';
import { configOf, openNode } from './context.js';

export interface ServeFlags {
  host?: string;
  port?: string;
}

export async function serveUntilSignal(node: Node): Promise<void> {
  const { startServer } = await import('../main.js');
  const { app, url } = await startServer(node);
  process.stdout.write(`Entente listening on ${url}  (health: ${url}/health, stats: ${url}/api/stats)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
}

export function portOf(flags: ServeFlags): { host?: string; port?: number } {
  return {
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.port !== undefined ? { port: Number(flags.port) } : {}),
  };
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Entente node (HTTP API)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, or $HOST)')
    .option('-p, --port <port>', 'port (default 8080, or $PORT; 0 = any free port)')
    .action(async (flags: ServeFlags, cmd: Command) => {
      const node = await openNode(configOf(cmd, portOf(flags)));
      try {
        await serveUntilSignal(node);
      } finally {
        await node.close();
      }
    });
}
