/** Terminal output helpers shared by the CLI verbs: number formatting, a progress bar, problem listings. */
import type { Problem } from '../core/errors.js';

export const fmt = (n: number): string => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A one-line progress bar on stderr (only when stderr is a terminal): objects/s, bytes, ETA when the size is known. */
export class ProgressBar {
  private readonly start = performance.now();
  private last = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly totalBytes: number | undefined,
    enabled = process.stderr.isTTY === true,
  ) {
    this.enabled = enabled;
  }

  update(objects: number, bytes: number, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? objects / secs : 0;
    let line = `${fmt(objects)} objects  ${fmt(Math.round(rate))} obj/s  ${formatBytes(bytes)}`;
    if (this.totalBytes !== undefined && this.totalBytes > 0) {
      const frac = Math.min(1, bytes / this.totalBytes);
      const width = 24;
      const filled = Math.round(frac * width);
      const eta = frac > 0 ? (secs / frac) * (1 - frac) : 0;
      line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${line}  ETA ${eta.toFixed(1)}s`;
    }
    process.stderr.write(`\r${line}\u001b[K`);
  }

  done(): void {
    if (this.enabled) process.stderr.write('\r\u001b[K');
  }
}

export function printProblems(problems: readonly Problem[], omitted: number, limit = 50): void {
  const shown = problems.slice(0, limit);
  for (const p of shown) {
    const where = p.objectId ? `${p.objectId} ${p.path}` : p.path;
    process.stdout.write(
      `  ${p.severity === 'error' ? 'error  ' : 'warning'} ${where}: ${p.message} [${p.rule}]\n`,
    );
  }
  const more = problems.length - shown.length + omitted;
  if (more > 0) process.stdout.write(`  … and ${fmt(more)} more (use --json for the full list)\n`);
}
