/**
 * `osiris state list|show|reset`: the cursor states of incremental reads (docs/reference/incremental.md).
 * `list` reads the project's local store (.osiris/state), which also keeps a copy of every database
 * target's state; `show` and `reset` go to the target itself, where a database state really lives.
 */
import type { Command } from 'commander';
import { configOption, connectionsOption, jsonOption } from '../options.js';
import type { OutputOptions } from '../output.js';

interface StateOptions extends OutputOptions {
  config?: string;
  connections?: string;
  apply?: boolean;
}

export function register(program: Command): void {
  const state = program
    .command('state')
    .description('cursor states of incremental reads: list, show, reset (docs/reference/incremental.md)');
  state
    .command('list')
    .description('every stored cursor state of this project (pipeline, step, writer, value)')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: StateOptions) => {
      const { runAction } = await import('../output.js');
      const { listAction } = await import('./state-actions.js');
      await runAction(options, () => listAction(options));
    });
  state
    .command('show')
    .description("a step's cursor state, read from where it lives (the target database, or .osiris/state)")
    .argument('<pipeline>', 'pipeline id (the OML name, as `state list` shows it)')
    .argument('<step>', 'id of the incremental extractor step')
    .addOption(configOption())
    .addOption(connectionsOption())
    .addOption(jsonOption())
    .action(async (pipeline: string, step: string, options: StateOptions) => {
      const { runAction } = await import('../output.js');
      const { showAction } = await import('./state-actions.js');
      await runAction(options, () => showAction(pipeline, step, options));
    });
  state
    .command('reset')
    .description(
      "forget a step's cursor state, so its next run starts from 'initial' (dry run unless --apply)",
    )
    .argument('<pipeline>', 'pipeline id (the OML name, as `state list` shows it)')
    .argument('<step>', 'id of the incremental extractor step')
    .option('--apply', 'really delete (default: only list what would be deleted)')
    .addOption(configOption())
    .addOption(connectionsOption())
    .addOption(jsonOption())
    .action(async (pipeline: string, step: string, options: StateOptions) => {
      const { runAction } = await import('../output.js');
      const { resetAction } = await import('./state-actions.js');
      await runAction(options, () => resetAction(pipeline, step, options));
    });
  for (const cmd of state.commands) cmd.exitOverride();
  state.exitOverride();
}
