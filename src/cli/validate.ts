/** `entente validate FILE|-`: check a bundle against STIX 2.1 without storing it. Exit 1 when it has errors. */
import type { Command } from 'commander';
import { nodeValidateOptions as validateOptions, validateStream } from '../services/index.js';
import { EXIT } from './context.js';
import { openInput } from './input.js';
import { fmt, printProblems } from './output.js';

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('validate a STIX 2.1 bundle (every problem, with object id and JSON path)')
    .argument('<file>', 'bundle file, or - for stdin')
    .option('--json', 'machine-readable output')
    .option('--max-problems <n>', 'list at most n problems', (v) => Number(v), 10_000)
    .action(async (file: string, flags: { json?: boolean; maxProblems: number }) => {
      const input = openInput(file);
      const report = await validateStream(input.stream, {
        ...validateOptions(),
        maxProblems: flags.maxProblems,
      });
      const ok = report.errors === 0;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ file, ok, ...report }, null, 2)}\n`);
      } else {
        process.stdout.write(
          `${ok ? 'valid' : 'INVALID'}: ${file}: ${fmt(report.objects)} objects, ${fmt(report.errors)} errors, ${fmt(report.warnings)} warnings\n`,
        );
        printProblems(report.problems, report.problemsOmitted);
      }
      process.exitCode = ok ? EXIT.ok : EXIT.problems;
    });
}
