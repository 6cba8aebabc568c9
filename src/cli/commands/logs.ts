/**
 * `osiris logs list|show|last`: runs as recorded in the run index (`.osiris/index`), never by guessing
 * paths. Library code loads inside the actions.
 */
import type { Command } from 'commander';

interface CommonOptions {
  json?: boolean;
  config?: string;
}

interface ListOptions extends CommonOptions {
  pipeline?: string;
  limit?: string;
  status?: string;
  profile?: string;
}

interface ShowOptions extends CommonOptions {
  last?: boolean;
  pipeline?: string;
}

async function loadProject(options: CommonOptions) {
  const { loadProjectConfig } = await import('../../project/config.js');
  return loadProjectConfig({ cwd: process.cwd(), env: process.env, configFile: options.config });
}

async function listAction(options: ListOptions): Promise<0 | 2> {
  const [{ OsirisError }, { listRuns }, output, view] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../observability/run-index.js'),
    import('../output.js'),
    import('../../observability/logs-view.js'),
  ]);
  let limit: number | undefined = 20;
  if (options.limit !== undefined) {
    limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 0) {
      throw OsirisError.of(
        'LOG005',
        `--limit must be a non-negative integer, got '${options.limit}'`,
        {},
        {
          hint: 'e.g. --limit 50 (0 lists every run)',
        },
      );
    }
    if (limit === 0) limit = undefined;
  }
  if (options.status !== undefined && !['succeeded', 'failed'].includes(options.status)) {
    throw OsirisError.of('LOG005', `--status must be succeeded or failed, got '${options.status}'`);
  }
  const project = await loadProject(options);
  const runs = listRuns(project, {
    pipeline: options.pipeline,
    status: options.status,
    profile: options.profile,
    limit,
  });
  if (options.json) {
    output.printJson({ ok: true, runs });
    return 0;
  }
  if (runs.length === 0) {
    output.printLine(
      options.pipeline || options.status || options.profile
        ? 'no runs match'
        : 'no runs recorded yet — run a pipeline with `osiris run <pipeline.yaml>`',
    );
    return 0;
  }
  for (const line of view.formatRunTable(runs)) output.printLine(line);
  return 0;
}

async function showAction(runId: string | undefined, options: ShowOptions): Promise<0 | 2> {
  const [{ OsirisError }, index, output, view] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../observability/run-index.js'),
    import('../output.js'),
    import('../../observability/logs-view.js'),
  ]);
  if (runId !== undefined && options.last) {
    throw OsirisError.of(
      'LOG005',
      'give a run id or --last, not both',
      {},
      {
        hint: 'osiris logs show <run-id>  or  osiris logs show --last',
      },
    );
  }
  if (runId === undefined && !options.last) {
    throw OsirisError.of(
      'LOG005',
      'which run? give a run id (or a unique prefix) or --last',
      {},
      {
        hint: 'see `osiris logs list` for run ids',
      },
    );
  }
  const project = await loadProject(options);
  let record: import('../../observability/run-index.js').RunRecord | undefined;
  if (runId !== undefined) {
    record = index.findRun(project, runId);
  } else {
    record = index.latestRun(project, options.pipeline);
    if (!record) {
      const known = index.listIndexedPipelines(project);
      throw OsirisError.of(
        'LOG003',
        options.pipeline ? `no runs recorded for pipeline '${options.pipeline}'` : 'no runs recorded yet',
        { file: index.indexPaths(project).runs },
        {
          hint:
            options.pipeline && known.length > 0
              ? `pipelines with runs: ${known.join(', ')}`
              : 'run a pipeline with `osiris run <pipeline.yaml>` first',
        },
      );
    }
  }
  const details = view.loadRunDetails(project, record);
  if (options.json) {
    output.printJson({
      ok: true,
      run: details.record,
      run_dir: details.runDir,
      status: details.status,
      events: details.events,
      metrics: details.metrics,
      warnings: details.warnings,
    });
    return 0;
  }
  for (const line of view.formatRunDetails(details)) output.printLine(line);
  return 0;
}

export function register(program: Command): void {
  const logs = program
    .command('logs')
    .description('inspect run logs recorded in the run index (.osiris/index)');

  logs
    .command('list')
    .description('list recorded runs, newest first')
    .option('--pipeline <slug>', 'only runs of this pipeline')
    .option('--status <status>', 'only runs with this status (succeeded|failed)')
    .option('--profile <name>', 'only runs with this profile')
    .option('--limit <n>', 'at most n runs (default 20; 0 = all)')
    .option('--config <file>', 'osiris.yaml to use')
    .option('--json', 'print one JSON document')
    .action(async (options: ListOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => listAction(options));
    });

  logs
    .command('show')
    .description('show one run: status, steps and the events timeline')
    .argument('[run-id]', 'run id or a unique prefix of it')
    .option('--last', 'the most recently finished run')
    .option('--pipeline <slug>', 'with --last: the last run of this pipeline')
    .option('--config <file>', 'osiris.yaml to use')
    .option('--json', 'print one JSON document')
    .action(async (runId: string | undefined, options: ShowOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => showAction(runId, options));
    });

  logs
    .command('last')
    .description('show the most recently finished run (same as `logs show --last`)')
    .option('--pipeline <slug>', 'the last run of this pipeline')
    .option('--config <file>', 'osiris.yaml to use')
    .option('--json', 'print one JSON document')
    .action(async (options: ShowOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => showAction(undefined, { ...options, last: true }));
    });

  for (const cmd of logs.commands) cmd.exitOverride();
  logs.exitOverride();
}
