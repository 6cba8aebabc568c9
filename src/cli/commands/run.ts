import type { Command } from 'commander';
import { type OutputOptions, runAction } from '../output.js';

export interface RunFlags extends OutputOptions {
  param: string[];
  profile?: string;
  lastCompile?: boolean;
  dryRun?: boolean;
  maxParallel: string;
  keepData?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `osiris run`: compile (if given OML) and execute a pipeline locally with DuckDB as the data plane. */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run a pipeline (OML file, compiled manifest, or --last-compile) on the local DuckDB data plane',
    )
    .argument('[file]', 'OML pipeline, manifest.yaml or build folder')
    .option('--last-compile', 'run the most recent successful `osiris compile`')
    .option('--param <key=value>', 'set a pipeline parameter (repeatable)', collect, [])
    .option('-p, --profile <name>', 'profile whose params apply')
    .option('--dry-run', 'print the plan (steps, components, inputs, connections) without touching data')
    .option('--max-parallel <n>', 'run up to n independent steps at once', '1')
    .option('--keep-data', "keep the run's DuckDB file (in the run folder's scratch/) for inspection")
    .option('--json', 'print one JSON document instead of progress lines')
    .action((file: string | undefined, flags: RunFlags) =>
      runAction(flags, async () => {
        const { runCommand } = await import('../actions/run.js');
        return runCommand(file, flags);
      }),
    );
}
