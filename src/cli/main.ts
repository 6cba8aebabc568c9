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

/**
 * Node exits quietly, with code 0, when nothing is left to wait for while a promise is still pending: a
 * driver waiting on an event that never comes. Never let that pass for success.
 */
export function guardSilentExit(): () => void {
  const onBeforeExit = () => {
    process.stderr.write(
      'osiris: internal error: the command stopped before it finished (it waited for an operation that never completed). ' +
        'This is a bug; please report it with the run folder (osiris logs list).\n',
    );
    process.exitCode = ExitCode.runtime;
  };
  process.once('beforeExit', onBeforeExit);
  return () => process.off('beforeExit', onBeforeExit);
}

/**
 * `osiris … | head` closes stdout early: Node then raises EPIPE as an uncaught error and crashes with a
 * stack trace. The reader has what it wanted, so the rest of the output is dropped and the command
 * finishes normally (a run still completes and records its result).
 */
export function ignoreClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

export async function main(argv: string[]): Promise<void> {
  ignoreClosedStdout();
  const program = buildProgram();
  const release = guardSilentExit();
  try {
    await program.parseAsync(argv);
    release();
  } catch (error) {
    release();
    if (error instanceof CommanderError) {
      // help and version exit 0; every other parse problem is a usage error.
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      process.exitCode = ok ? ExitCode.ok : ExitCode.usage;
      return;
    }
    throw error;
  }
}
