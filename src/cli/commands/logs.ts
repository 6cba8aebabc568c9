/**
 * `osiris logs list|show|last|html|gc`: runs as recorded in the run index (`.osiris/index`), never by
 * guessing paths. Library code loads inside the actions.
 */
import type { Command } from 'commander';
import type { ProjectConfig } from '../../project/config.js';
import type { SweptRun } from '../../runtime/abandoned-runs.js';
import { configOption, jsonOption, numberOption, statusOption } from '../options.js';
import { registerAiop } from './logs-aiop.js';
import { defineRunList } from './run-list.js';
import { assertRunSelector } from './run-selector.js';

interface CommonOptions {
  json?: boolean;
  config?: string;
}

interface ShowOptions extends CommonOptions {
  last?: boolean;
  pipeline?: string;
}

async function loadProject(options: CommonOptions) {
  const { loadProjectConfig } = await import('../../project/config.js');
  return loadProjectConfig({ cwd: process.cwd(), env: process.env, configFile: options.config });
}

async function showAction(runId: string | undefined, options: ShowOptions): Promise<0 | 2> {
  const [index, output, view] = await Promise.all([
    import('../../observability/run-index.js'),
    import('../output.js'),
    import('../../observability/logs-view.js'),
  ]);
  assertRunSelector('show', runId, options.last, true);
  const project = await loadProject(options);
  // A detached or scheduled fleet run: recorded here first, followed to its end when named.
  const { syncIfQueued } = await import('../../fleet/sync.js');
  await syncIfQueued(project, runId);
  const record = index.selectRun(project, runId, options.pipeline);
  const details = view.loadRunDetails(project, record);
  if (options.json) {
    output.printJsonResult(
      {
        run: details.record,
        run_dir: details.runDir,
        status: details.status,
        events: details.events,
        metrics: details.metrics,
      },
      { diagnostics: details.warnings.map((w) => output.warningOf(RUN_FOLDER_INCOMPLETE, w)) },
    );
    return 0;
  }
  for (const line of view.formatRunDetails(details)) output.printLine(line);
  return 0;
}

/** Warning: the run folder lacks a file the index promised (status.json, events.jsonl). */
const RUN_FOLDER_INCOMPLETE = 'LOG006';
/** Warning: `--open` found no program to open the page with. */
const OPEN_FAILED = 'LOG021';

interface HtmlOptions extends CommonOptions {
  last?: boolean;
  pipeline?: string;
  out?: string;
  open?: boolean;
  index?: boolean;
  limit?: string | number;
  status?: string;
}

interface GcOptions extends CommonOptions {
  days?: string;
  keep?: string;
  apply?: boolean;
}

/** The redactor every report passes through: the built-in policy plus the secret keys of all components. */
async function reportRedactor(project: { root: string }) {
  const [{ createRedactor }, { loadRegistry }] = await Promise.all([
    import('../../observability/redact.js'),
    import('../../registry/load.js'),
  ]);
  let secretKeys: string[] = [];
  try {
    secretKeys = loadRegistry({ projectRoot: project.root }).allSecretKeys();
  } catch {
    // a broken user component must not stop a report; the built-in key rules still apply
  }
  return createRedactor({ secretKeys });
}

/** Opens a file with the desktop's default program; returns a warning when that is not possible. */
async function openFile(path: string): Promise<string | undefined> {
  const { spawn } = await import('node:child_process');
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [path]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', path]]
        : ['xdg-open', [path]];
  return new Promise((resolvePromise) => {
    try {
      const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
      child.once('error', () =>
        resolvePromise(`could not open a browser (${command} not available); open ${path} yourself`),
      );
      child.once('spawn', () => {
        child.unref();
        resolvePromise(undefined);
      });
    } catch {
      resolvePromise(`could not open a browser; open ${path} yourself`);
    }
  });
}

async function htmlAction(runId: string | undefined, options: HtmlOptions): Promise<0 | 1 | 2> {
  const [{ OsirisError }, index, output, report, { VERSION }] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../observability/run-index.js'),
    import('../output.js'),
    import('../../observability/report/index.js'),
    import('../version.js'),
  ]);
  const generator = `osiris ${VERSION}`;
  if (options.index && (runId !== undefined || options.last)) {
    throw OsirisError.of(
      'LOG005',
      '--index renders the page of recent runs; it takes no run id or --last',
      {},
      {
        hint: 'osiris logs html --index  or  osiris logs html <run-id>',
      },
    );
  }
  if (options.status !== undefined && !['succeeded', 'failed'].includes(options.status)) {
    throw OsirisError.of('LOG005', `--status must be succeeded or failed, got '${options.status}'`);
  }
  let limit = 50;
  if (options.limit !== undefined) {
    const text = String(options.limit).trim();
    limit = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(limit)) {
      throw OsirisError.of(
        'LOG005',
        `--limit must be a non-negative integer, got '${options.limit}'`,
        {},
        {
          hint: 'e.g. --limit 100 (0 includes every run)',
        },
      );
    }
  }
  if (!options.index) assertRunSelector('html', runId, options.last, false);
  const project = await loadProject(options);
  const redactor = await reportRedactor(project);
  let path: string;
  if (options.index) {
    const written = report.writeRunIndexReport(project, {
      cwd: process.cwd(),
      redactor,
      generator,
      limit,
      ...(options.out !== undefined ? { out: options.out } : {}),
      ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
      ...(options.status !== undefined ? { status: options.status } : {}),
    });
    path = written.path;
    const warning = options.open ? await openFile(path) : undefined;
    if (options.json) {
      output.printJsonResult(
        { path, bytes: written.bytes, runs: written.runs, reports: written.reports },
        { diagnostics: warning ? [output.warningOf(OPEN_FAILED, warning)] : [] },
      );
    } else {
      output.printLine(
        `wrote ${path} (${written.runs} runs, ${written.reports.filter((r) => r.path).length} reports)`,
      );
      if (warning) output.printError(`warning: ${warning}`);
    }
    return 0;
  }
  const record = index.selectRun(project, runId, options.pipeline);
  const written = report.writeRunReport(project, record, {
    cwd: process.cwd(),
    redactor,
    generator,
    ...(options.out !== undefined ? { out: options.out } : {}),
  });
  path = written.path;
  const warning = options.open ? await openFile(path) : undefined;
  if (options.json) {
    output.printJsonResult(
      { run_id: written.run_id, status: written.status, path, bytes: written.bytes },
      { diagnostics: warning ? [output.warningOf(OPEN_FAILED, warning)] : [] },
    );
  } else {
    output.printLine(`wrote ${path} (run ${written.run_id}, ${written.status})`);
    if (warning) output.printError(`warning: ${warning}`);
  }
  return 0;
}

async function gcAction(options: GcOptions): Promise<0 | 1 | 2> {
  const [retention, output, view] = await Promise.all([
    import('../../observability/retention.js'),
    import('../output.js'),
    import('../../observability/logs-view.js'),
  ]);
  const overrides: { days?: number; keep?: number } = {};
  if (options.days !== undefined) {
    const v = Number(options.days);
    if (options.days.trim() === '' || !Number.isFinite(v) || v < 0)
      throw retention.badRetentionFlag('--days', options.days);
    overrides.days = v;
  }
  if (options.keep !== undefined) {
    const v = Number(options.keep);
    if (options.keep.trim() === '' || !Number.isInteger(v) || v < 0)
      throw retention.badRetentionFlag('--keep', options.keep);
    overrides.keep = v;
  }
  const project = await loadProject(options);
  const policy = retention.retentionPolicy(project, overrides);
  const abandoned = await sweepForGc(project, !options.apply);
  const plan = retention.planRetention(project, policy);
  const bytes = plan.delete.reduce((n, c) => n + c.bytes, 0);
  const describe = (p: typeof policy) =>
    `${p.days === null ? 'no age limit' : `older than ${p.days} days`}, ${p.keep === null ? 'no count limit' : `keep ${p.keep} per pipeline`}`;
  if (!options.apply) {
    if (options.json) {
      output.printJsonResult({
        dry_run: true,
        policy,
        runs_total: plan.runs_total,
        runs_kept: plan.runs_kept,
        would_delete: plan.delete,
        would_free_bytes: bytes,
        refused: plan.refused,
        abandoned,
      });
      return 0;
    }
    printSwept(output, abandoned, true);
    output.printLine(`retention: ${describe(policy)} (${plan.runs_total} runs indexed)`);
    if (plan.delete.length === 0) output.printLine('nothing to delete');
    else {
      output.printLine(`would delete ${plan.delete.length} runs (${formatBytes(bytes)}):`);
      for (const c of plan.delete) {
        output.printLine(
          `  ${c.run_id}  ${c.pipeline}${c.profile ? `/${c.profile}` : ''}  finished ${view.shortTime(c.finished_at)}  ${c.reasons.join('+')}${c.exists ? '' : '  (folder already gone)'}`,
        );
      }
      output.printLine('dry run: nothing was deleted; pass --apply to delete');
    }
    for (const r of plan.refused)
      output.printError(`warning: not deleting ${r.run_id} (${r.run_dir}): ${r.reason}`);
    return 0;
  }
  const result = retention.applyRetention(project, plan);
  if (options.json) {
    const first = result.errors[0];
    output.printJsonResult(
      {
        dry_run: false,
        policy,
        runs_total: plan.runs_total,
        deleted: result.deleted,
        deleted_count: result.deleted.length,
        freed_bytes: result.freed_bytes,
        index_records_removed: result.index_records_removed,
        failed: result.errors,
        refused: plan.refused,
        abandoned,
      },
      first
        ? {
            error: {
              code: DELETE_FAILED,
              message: `${result.errors.length} run folder(s) could not be deleted; first: ${first.run_id}: ${first.message}`,
              hint: 'see `failed` for each run; fix the permissions and run `osiris logs gc --apply` again',
            },
          }
        : {},
    );
  } else {
    printSwept(output, abandoned, false);
    output.printLine(
      `deleted ${result.deleted.length} runs (${formatBytes(result.freed_bytes)} freed); retention: ${describe(policy)}`,
    );
    for (const e of result.errors) output.printError(`error: ${e.run_id}: ${e.message}`);
    for (const r of plan.refused)
      output.printError(`warning: not deleting ${r.run_id} (${r.run_dir}): ${r.reason}`);
  }
  return result.errors.length > 0 ? 1 : 0;
}

/** A run folder `logs gc --apply` could not delete. */
const DELETE_FAILED = 'LOG032';

/** Runs whose process died, or whose own cleanup failed (runtime/abandoned-runs.ts): listed on a dry run, marked and cleaned with --apply. */
async function sweepForGc(project: ProjectConfig, dryRun: boolean): Promise<SweptRun[]> {
  const { sweepAbandonedRuns } = await import('../../runtime/abandoned-runs.js');
  const { loadRegistry } = await import('../../registry/load.js');
  const { loadDotEnv } = await import('../../connections/env.js');
  const env = process.env;
  loadDotEnv({ cwd: process.cwd(), env, projectRoot: project.root });
  return sweepAbandonedRuns({
    project,
    env,
    cwd: process.cwd(),
    registry: loadRegistry({ projectRoot: project.root }),
    dryRun,
    detectedBy: '`osiris logs gc`',
  });
}

function printSwept(output: typeof import('../output.js'), runs: SweptRun[], dryRun: boolean): void {
  for (const run of runs) {
    const r = run.removed;
    const parts = [`scratch ${formatBytes(r.scratch_bytes)}`, `${r.files.length} temp file(s)`];
    if (r.tables.length) parts.push(`staging table(s) ${r.tables.join(', ')}`);
    const removal = `${dryRun ? 'would remove' : 'removed'} ${parts.join(', ')}`;
    output.printLine(
      run.marked
        ? `${dryRun ? 'would mark' : 'marked'} run ${run.run_id} abandoned (pid ${run.pid} on ${run.host} is gone); ${removal}`
        : `leftovers of ${run.status} run ${run.run_id}: ${removal}`,
    );
    for (const left of run.left)
      output.printError(`warning: run ${run.run_id}: could not remove ${left.what}: ${left.reason}`);
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function register(program: Command): void {
  const logs = program
    .command('logs')
    .description('inspect run logs recorded in the run index (.osiris/index)');

  defineRunList(logs.command('list'));

  logs
    .command('show')
    .description('show one run: status, steps and the events timeline')
    .argument('[run-id]', 'run id or a unique prefix of it')
    .option('--last', 'the most recently finished run')
    .option('--pipeline <slug>', 'with --last: the last run of this pipeline')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (runId: string | undefined, options: ShowOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => showAction(runId, options));
    });

  logs
    .command('last')
    .description('show the most recently finished run (same as `logs show --last`)')
    .option('--pipeline <slug>', 'the last run of this pipeline')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: ShowOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => showAction(undefined, { ...options, last: true }));
    });

  logs
    .command('html')
    .description(
      'write a self-contained HTML report of a run (default: the last run), or of recent runs with --index',
    )
    .argument('[run-id]', 'run id or a unique prefix of it')
    .option('--last', 'the most recently finished run (the default without a run id)')
    .option(
      '--pipeline <slug>',
      'with --last: the last run of this pipeline; with --index: only this pipeline',
    )
    .option(
      '--out <file>',
      'write here instead of <run dir>/report.html (or <run_logs>/index.html with --index)',
    )
    .option('--open', 'open the page in the default browser')
    .option('--index', 'render an index page of recent runs linking to their reports')
    .addOption(numberOption('--limit <n>', 'with --index: at most n runs (0 = all)', 50))
    .addOption(statusOption('with --index: only runs with this status'))
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (runId: string | undefined, options: HtmlOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => htmlAction(runId, options));
    });

  logs
    .command('gc')
    .description('delete old run logs by age and by count per pipeline (dry run unless --apply)')
    .option(
      '--days <n>',
      'delete runs that finished more than n days ago (default retention.run_logs_days or 7; 0 = no age limit)',
    )
    .option(
      '--keep <n>',
      'keep the newest n runs per pipeline and profile (default retention.keep_runs_per_pipeline or 50; 0 = no limit)',
    )
    .option('--apply', 'really delete (default: only list what would be deleted)')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: GcOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => gcAction(options));
    });

  registerAiop(logs); // `logs aiop` lives in logs-aiop.ts

  for (const cmd of logs.commands) cmd.exitOverride();
  logs.exitOverride();
}
