/**
 * The `entente` command line: one file per verb, registered here. Exit codes: 0 success, 1 the input has problems
 * (invalid objects, findings), 2 usage or runtime error.
 */
import { Command, CommanderError } from 'commander';
import { isEntenteError } from '../core/errors.js';
import { version } from '../config.js';
import { EXIT } from './context.js';
import { registerAuditCommand } from './audit.js';
import { registerDemoCommand } from './demo.js';
import { registerExportCommand } from './export.js';
import { registerGroupCommand } from './group.js';
import { registerImportCommand } from './import.js';
import { registerOrgCommand } from './org.js';
import { registerPatternCommands } from './pattern.js';
import { registerScanCommands } from './scan.js';
import { registerServeCommand } from './serve.js';
import { registerStatsCommand } from './stats.js';
import { registerTaxiiCommands } from './taxii.js';
import { registerValidateCommand } from './validate.js';

export function buildProgram(): Command {
  const program = new Command('entente')
    .description('Entente: threat-intelligence sharing for alliances (STIX 2.1 / TAXII 2.1)')
    .version(version)
    .option(
      '--db <url>',
      'database: sqlite:PATH or postgres://… (default $DATABASE_URL or sqlite:./data/entente.db)',
    )
    .option('--shared <dir>', 'shared reference data folder (default ../shared, or $ENTENTE_SHARED_DIR)')
    .showHelpAfterError()
    .exitOverride();
  registerImportCommand(program);
  registerExportCommand(program);
  registerValidateCommand(program);
  registerStatsCommand(program);
  registerTaxiiCommands(program);
  registerServeCommand(program);
  registerDemoCommand(program);
  registerPatternCommands(program);
  registerScanCommands(program);
  registerOrgCommand(program);
  registerGroupCommand(program);
  registerAuditCommand(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    // The reader of our output went away (`entente export | head`): not a failure of the command.
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE')
      return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
    const message = isEntenteError(err) ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`entente: ${message}\n`);
    return EXIT.error;
  }
}
