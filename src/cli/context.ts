/** What every CLI verb needs: the configuration from flags and environment, and a node opened on demand. */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import type { Node } from '../main.js';

export interface GlobalOptions {
  db?: string;
  shared?: string;
}

export function configOf(cmd: Command, overrides: Partial<Config> = {}): Config {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  return loadConfig(process.env, {
    ...(g.db !== undefined ? { databaseUrl: g.db } : {}),
    ...(g.shared !== undefined ? { sharedDir: g.shared } : {}),
    ...overrides,
  });
}

/**
 * Opens a node. The composition root (storage, services, TAXII …) is loaded here, when a verb needs it, not when
 * the CLI starts: `entente --help` or `validate` never load the database drivers.
 */
export async function openNode(config: Config): Promise<Node> {
  const { createNode } = await import('../main.js');
  return createNode(config);
}

/** Opens the node, runs `fn`, and always closes it. */
export async function withNode<T>(cmd: Command, fn: (node: Node) => Promise<T>): Promise<T> {
  const node = await openNode(configOf(cmd));
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}

export const EXIT = { ok: 0, problems: 1, error: 2 } as const;
