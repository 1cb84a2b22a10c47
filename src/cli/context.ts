/** What every CLI verb needs: the configuration from flags and environment, and a node opened on demand. */
import type { Command } from 'commander';
import { createNode, loadConfig, type Config, type Node } from '../main.js';

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

/** Opens the node, runs `fn`, and always closes it. */
export async function withNode<T>(cmd: Command, fn: (node: Node) => Promise<T>): Promise<T> {
  const node = await createNode(configOf(cmd));
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}

export const EXIT = { ok: 0, problems: 1, error: 2 } as const;
