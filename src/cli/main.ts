/**
 * CLI entry. Only commander and the small command-definition modules load at start-up; each action imports
 * the library code it needs, so `osiris --help` never pays for DuckDB or database drivers.
 */
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../diagnostics/diagnostic.js';
import { registerCommands } from './commands/index.js';
import { printJsonResult } from './output.js';
import { catchStrayErrors, reportFatal, tolerateClosedOutput } from './process-guards.js';
import { VERSION } from './version.js';

/** Code of a command-line usage error found by the parser (unknown option, missing argument, …). */
export const USAGE_ERROR = 'CLI001';

export function buildProgram(options: { json?: boolean } = {}): Command {
  const program = new Command('osiris')
    .description('LLM-first ETL: OML pipelines, a deterministic compiler and a DuckDB runner')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // With --json the parse error is printed as the JSON document instead (see main).
      outputError: (s, write) => {
        if (!options.json) write(s);
      },
    });
  if (options.json) program.showHelpAfterError(false);
  registerCommands(program);
  for (const cmd of program.commands) cmd.exitOverride();
  showDefaultsPlainly(program);
  let restore = () => {};
  program.hook('preAction', (_program, action) => {
    restore = shareFileOptions(action.opts());
  });
  program.hook('postAction', () => restore());
  return program;
}

/** Help shows `(default: json)` as a user types it, not commander's JSON `(default: "json")`. */
function showDefaultsPlainly(command: Command): void {
  for (const item of [...command.options, ...command.registeredArguments]) {
    if (typeof item.defaultValue === 'string' && item.defaultValueDescription === undefined)
      item.defaultValueDescription = item.defaultValue;
  }
  for (const sub of command.commands) showDefaultsPlainly(sub);
}

/** Flag → the environment variable every library reader of that file honours. */
const FILE_OPTIONS = { config: 'OSIRIS_CONFIG', connections: 'OSIRIS_CONNECTIONS' } as const;

/**
 * `--config` and `--connections` reach every reader of osiris.yaml and osiris_connections.yaml (runner,
 * discovery, agent, report redaction) through the environment they are all given. Returns the undo.
 */
function shareFileOptions(opts: Record<string, unknown>): () => void {
  const before: Record<string, string | undefined> = {};
  for (const [flag, name] of Object.entries(FILE_OPTIONS)) {
    const value = opts[flag];
    if (typeof value !== 'string' || !value) continue;
    before[name] = process.env[name];
    process.env[name] = resolve(process.cwd(), value);
  }
  return () => {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
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

/** `osiris logs show` for `osiris logs show abc --bogus`: the command a usage error belongs to. */
function commandPath(program: Command, argv: string[]): string {
  const path = [program.name()];
  let command = program;
  for (const arg of argv.slice(2)) {
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    path.push(sub.name());
    command = sub;
  }
  return path.join(' ');
}

export async function main(argv: string[]): Promise<void> {
  tolerateClosedOutput();
  catchStrayErrors();
  const json = argv.slice(2).includes('--json');
  const program = buildProgram({ json });
  const release = guardSilentExit();
  try {
    await program.parseAsync(argv);
    release();
  } catch (error) {
    release();
    if (!(error instanceof CommanderError)) {
      reportFatal(error);
      return;
    }
    // help and version exit 0; every other parse problem is a usage error.
    const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
    process.exitCode = ok ? ExitCode.ok : ExitCode.usage;
    if (!ok && json) {
      printJsonResult(
        {},
        {
          error: {
            code: USAGE_ERROR,
            message: error.message.replace(/^error: /, ''),
            hint: `run \`${commandPath(program, argv)} --help\` for usage`,
          },
        },
      );
    }
  }
}
