/**
 * `entente pattern validate '<pattern>'` and `entente pattern match --pattern '<p>' --observed FILE`.
 * validate: exit 0 valid, 1 invalid. match: exit 0 matched, 1 not matched, 2 error (bad pattern or input).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isEntenteError } from '../core/errors.js';
import {
  checkPattern,
  matchPattern,
  observationFromObservedData,
  printPattern,
} from '../core/pattern/index.js';
import type { Observation } from '../core/pattern/index.js';

const EXIT_OK = 0;
const EXIT_NO = 1;
const EXIT_ERROR = 2;

/** A caret under the column where the problem is, for one-line patterns. */
function pointAt(text: string, line: number, column: number): string {
  const src = text.split('\n')[line - 1] ?? '';
  return `  ${src}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A STIX bundle (observed-data + SCOs), a JSON array of STIX objects, or a JSON array of Observations. */
export function observationsFromJson(doc: unknown): { observations: Observation[]; labels: string[] } {
  let items: unknown[];
  if (isObject(doc) && doc.type === 'bundle') items = Array.isArray(doc.objects) ? doc.objects : [];
  else if (Array.isArray(doc)) items = doc;
  else if (isObject(doc) && doc.type === 'observed-data') items = [doc];
  else
    throw new Error('expected a STIX bundle, a JSON array of STIX objects, or a JSON array of observations');

  if (items.every((o) => isObject(o) && typeof o.firstObserved === 'string')) {
    const observations = items as Observation[];
    observations.forEach((o, i) => {
      if (
        typeof o.lastObserved !== 'string' ||
        typeof o.numberObserved !== 'number' ||
        !isObject(o.objects)
      ) {
        throw new Error(`observation ${i} needs firstObserved, lastObserved, numberObserved and objects`);
      }
    });
    return { observations, labels: observations.map((o, i) => o.id ?? `#${i}`) };
  }
  const scos = new Map<string, Json>();
  const observed: Json[] = [];
  for (const o of items) {
    if (!isObject(o) || typeof o.type !== 'string') continue;
    if (o.type === 'observed-data') observed.push(o);
    else if (typeof o.id === 'string') scos.set(o.id, o);
  }
  if (observed.length === 0) throw new Error('no observed-data objects found');
  const observations = observed.map((od) => observationFromObservedData(od, scos));
  return { observations, labels: observations.map((o, i) => o.id ?? `#${i}`) };
}

export function registerPatternCommands(program: Command): void {
  const pattern = program.command('pattern').description('STIX 2.1 patterns: validate and match');

  pattern
    .command('validate')
    .description('check a STIX 2.1 pattern: syntax, types, object paths (exit 1 when invalid)')
    .argument('<pattern>', 'the pattern text')
    .option('--json', 'machine-readable output')
    .action((text: string, flags: { json?: boolean }) => {
      const r = checkPattern(text);
      if (flags.json) {
        const out = r.ok
          ? { ok: true, canonical: printPattern(r.ast), warnings: r.warnings }
          : { ok: false, error: r.error };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else if (r.ok) {
        process.stdout.write(`valid: ${printPattern(r.ast)}\n`);
        for (const w of r.warnings) process.stdout.write(`  warning ${w.path}: ${w.message} [${w.rule}]\n`);
      } else {
        const { message, line, column } = r.error;
        process.stdout.write(`INVALID at ${line}:${column}: ${message}\n${pointAt(text, line, column)}\n`);
      }
      process.exitCode = r.ok ? EXIT_OK : EXIT_NO;
    });

  pattern
    .command('match')
    .description('match a pattern against observations (exit 0 matched, 1 not matched, 2 error)')
    .requiredOption('--pattern <pattern>', 'the pattern text')
    .requiredOption(
      '--observed <file>',
      'STIX bundle with observed-data + SCOs, or a JSON array of observations',
    )
    .option('--json', 'machine-readable output')
    .action(async (flags: { pattern: string; observed: string; json?: boolean }) => {
      const fail = (message: string): void => {
        process.stderr.write(`error: ${message}\n`);
        process.exitCode = EXIT_ERROR;
      };
      const checked = checkPattern(flags.pattern);
      if (!checked.ok) {
        const { message, line, column } = checked.error;
        fail(`invalid pattern at ${line}:${column}: ${message}\n${pointAt(flags.pattern, line, column)}`);
        return;
      }
      let input: { observations: Observation[]; labels: string[] };
      try {
        input = observationsFromJson(JSON.parse(await readFile(flags.observed, 'utf8')) as unknown);
      } catch (err) {
        fail(`${flags.observed}: ${(err as Error).message}`);
        return;
      }
      let result: { matched: boolean; observations: number[] };
      try {
        result = matchPattern(checked.ast, input.observations);
      } catch (err) {
        if (!isEntenteError(err)) throw err;
        fail(err.message);
        return;
      }
      const matchedLabels = result.observations.map((i) => input.labels[i] ?? `#${i}`);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ matched: result.matched, observations: result.observations, ids: matchedLabels }, null, 2)}\n`,
        );
      } else if (result.matched) {
        process.stdout.write(
          `matched: ${result.observations.length} of ${input.observations.length} observations\n`,
        );
        result.observations.forEach((i, k) => process.stdout.write(`  ${i}\t${matchedLabels[k] ?? ''}\n`));
      } else {
        process.stdout.write(`no match (${input.observations.length} observations)\n`);
      }
      process.exitCode = result.matched ? EXIT_OK : EXIT_NO;
    });
}
