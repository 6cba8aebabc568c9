/**
 * CLI entry. Only commander and the small command-definition modules load at start-up; each action imports
 * the library code it needs, so `osiris --help` never pays for DuckDB or database drivers.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../diagnostics/diagnostic.js';
import { registerCommands } from './commands/index.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('osiris')
    .description('LLM-first ETL: OML pipelines, a deterministic compiler and a DuckDB runner')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; every other parse problem is a usage error.
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      process.exitCode = ok ? ExitCode.ok : ExitCode.usage;
      return;
    }
    throw error;
  }
}
