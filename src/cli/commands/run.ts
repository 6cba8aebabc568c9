import type { Command } from 'commander';
import { e2bRunOptions } from '../../targets/e2b/cli-options.js';
import {
  configOption,
  connectionsOption,
  jsonOption,
  numberOption,
  paramOption,
  profileOption,
  queueOption,
} from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

export interface RunFlags extends OutputOptions {
  param?: string[];
  profile?: string;
  lastCompile?: boolean;
  dryRun?: boolean;
  maxParallel: string | number;
  keepData?: boolean;
  fullRefresh?: boolean;
  config?: string;
  connections?: string;
  target?: string;
  e2b?: boolean;
  queue?: string;
  detach?: boolean;
  /** The e2b target's flags (src/targets/e2b/cli-options.ts). */
  [e2bFlag: string]: unknown;
}

/** `osiris run`: compile (if given OML) and execute a pipeline locally with DuckDB as the data plane. */
export function register(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run a pipeline (OML file, compiled manifest, or --last-compile) on the local DuckDB data plane',
    )
    .argument('[file]', 'OML pipeline, manifest.yaml or build folder')
    .option('--last-compile', 'run the most recent successful `osiris compile`')
    .addOption(paramOption())
    .addOption(profileOption('profile whose params apply (default: filesystem.profiles.default)'))
    .option('--dry-run', 'print the plan (steps, components, inputs, connections) without touching data')
    .addOption(numberOption('--max-parallel <n>', 'run up to n independent steps at once', 1))
    .option('--keep-data', "keep the run's DuckDB file (in the run folder's scratch/) for inspection")
    .option(
      '--full-refresh',
      "incremental reads ignore their stored cursor and start again from 'initial'; appending writers below them replace",
    )
    .option(
      '--target <name>',
      'where the run executes: local (this process), process (an isolated worker process), e2b, queue (a fleet worker) (env OSIRIS_EXECUTION_TARGET, osiris.yaml execution.target)',
    )
    .option('--e2b', 'same as --target e2b')
    .addOption(queueOption())
    .option(
      '--detach',
      'with --target queue: enqueue the run, print its id and return (runs list / logs show follow it)',
    );
  for (const option of e2bRunOptions()) command.addOption(option);
  command
    .addOption(configOption())
    .addOption(connectionsOption())
    .addOption(jsonOption())
    .action((file: string | undefined, flags: RunFlags) =>
      runAction(flags, async () => {
        const { runCommand } = await import('../actions/run.js');
        return runCommand(file, flags);
      }),
    );
}
