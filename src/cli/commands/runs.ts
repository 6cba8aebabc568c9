/**
 * `osiris runs list`: recorded runs from the run index, filtered by pipeline, status and age.
 * Library code loads inside the action.
 */
import type { Command } from 'commander';

interface RunsListOptions {
  json?: boolean;
  config?: string;
  pipeline?: string;
  status?: string;
  profile?: string;
  since?: string;
  limit?: string;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `24h`, `7d`, `2w` (relative to `now`) or an ISO date/time → the earliest start time to keep. */
export function parseSince(value: string, now: Date): Date | undefined {
  const text = value.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text);
  if (rel) {
    const unit = UNITS[(rel[2] as string).toLowerCase()] as number;
    return new Date(now.getTime() - Number(rel[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return undefined;
}

async function listAction(options: RunsListOptions): Promise<0> {
  const [{ OsirisError }, { listRuns }, output, view, { loadProjectConfig }] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../observability/run-index.js'),
    import('../output.js'),
    import('../../observability/logs-view.js'),
    import('../../project/config.js'),
  ]);
  let limit: number | undefined = 20;
  if (options.limit !== undefined) {
    limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 0) {
      throw OsirisError.of(
        'LOG040',
        `--limit must be a non-negative integer, got '${options.limit}'`,
        {},
        {
          hint: 'e.g. --limit 50 (0 lists every run)',
        },
      );
    }
    if (limit === 0) limit = undefined;
  }
  const statuses = ['succeeded', 'failed', 'cancelled', 'abandoned'];
  if (options.status !== undefined && !statuses.includes(options.status)) {
    throw OsirisError.of('LOG040', `--status must be one of ${statuses.join(', ')}, got '${options.status}'`);
  }
  let since: Date | undefined;
  if (options.since !== undefined) {
    since = parseSince(options.since, new Date());
    if (!since) {
      throw OsirisError.of(
        'LOG040',
        `--since must be a duration like 30m, 24h, 7d or an ISO date, got '${options.since}'`,
        {},
        {
          hint: 'e.g. --since 24h  or  --since 2025-03-01',
        },
      );
    }
  }
  const project = loadProjectConfig({ cwd: process.cwd(), env: process.env, configFile: options.config });
  let runs = listRuns(project, {
    ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
    ...(options.status !== undefined ? { status: options.status } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  });
  if (since) {
    const from = since.getTime();
    runs = runs.filter((r) => new Date(r.started_at).getTime() >= from);
  }
  if (limit !== undefined) runs = runs.slice(0, limit);
  if (options.json) {
    output.printJson({ ok: true, ...(since ? { since: since.toISOString() } : {}), runs });
    return 0;
  }
  if (runs.length === 0) {
    output.printLine(
      options.pipeline || options.status || options.profile || options.since
        ? 'no runs match'
        : 'no runs recorded yet — run a pipeline with `osiris run <pipeline.yaml>`',
    );
    return 0;
  }
  for (const line of view.formatRunTable(runs)) output.printLine(line);
  return 0;
}

export function register(program: Command): void {
  const runs = program.command('runs').description('recorded runs from the run index (.osiris/index)');
  runs
    .command('list')
    .description('list recorded runs, newest first')
    .option('--pipeline <slug>', 'only runs of this pipeline')
    .option('--status <status>', 'only runs with this status (succeeded|failed|cancelled|abandoned)')
    .option('--profile <name>', 'only runs with this profile')
    .option('--since <when>', 'only runs started in the last 30m / 24h / 7d, or since an ISO date')
    .option('--limit <n>', 'at most n runs (default 20; 0 = all)')
    .option('--config <file>', 'osiris.yaml to use')
    .option('--json', 'print one JSON document')
    .action(async (options: RunsListOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => listAction(options));
    });
  for (const cmd of runs.commands) cmd.exitOverride();
  runs.exitOverride();
}
