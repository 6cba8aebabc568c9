/**
 * `osiris logs list` and `osiris runs list`: one listing of the run index, with the same filters on both
 * (`--pipeline`, `--status`, `--profile`, `--since`, `--limit`). Library code loads inside the action.
 */
import type { Command } from 'commander';
import { configOption, jsonOption, numberOption, profileOption, statusOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

export interface RunListOptions extends OutputOptions {
  config?: string;
  pipeline?: string;
  status?: string;
  profile?: string;
  since?: string;
  limit?: string | number;
}

/** Bad value of a `logs`/`runs` flag. */
const BAD_FLAG = 'LOG005';
const DEFAULT_LIMIT = 20;

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

/** Adds the listing's options and action to `list` (a subcommand of `logs` or `runs`). */
export function defineRunList(list: Command): Command {
  return list
    .description('list recorded runs, newest first')
    .option('--pipeline <slug>', 'only runs of this pipeline')
    .addOption(statusOption('only runs with this status'))
    .addOption(profileOption('only runs with this profile'))
    .option('--since <when>', 'only runs started in the last 30m / 24h / 7d / 2w, or since an ISO date')
    .addOption(numberOption('--limit <n>', 'at most n runs (0 = all)', DEFAULT_LIMIT))
    .addOption(configOption())
    .addOption(jsonOption())
    .action((options: RunListOptions) => runAction(options, () => listRunsAction(options)));
}

async function listRunsAction(options: RunListOptions): Promise<0> {
  const [{ OsirisError }, { listRuns }, output, view, { loadProjectConfig }] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../observability/run-index.js'),
    import('../output.js'),
    import('../../observability/logs-view.js'),
    import('../../project/config.js'),
  ]);
  const limitText = String(options.limit ?? DEFAULT_LIMIT).trim();
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : Number.NaN;
  if (!Number.isInteger(limit)) {
    throw OsirisError.of(
      BAD_FLAG,
      `--limit must be a non-negative integer, got '${options.limit}'`,
      {},
      { hint: 'e.g. --limit 50 (0 lists every run)' },
    );
  }
  let since: Date | undefined;
  if (options.since !== undefined) {
    since = parseSince(options.since, new Date());
    if (!since) {
      throw OsirisError.of(
        BAD_FLAG,
        `--since must be a duration like 30m, 24h, 7d or an ISO date, got '${options.since}'`,
        {},
        { hint: 'e.g. --since 24h  or  --since 2025-03-01' },
      );
    }
  }
  const project = loadProjectConfig({ cwd: process.cwd(), env: process.env, configFile: options.config });
  // Detached and scheduled fleet runs that finished become records first (src/fleet/sync.ts).
  const { syncIfQueued } = await import('../../fleet/sync.js');
  const queued = await syncIfQueued(project);
  let runs = listRuns(project, {
    ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
    ...(options.status !== undefined ? { status: options.status } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  });
  if (since) {
    const from = since.getTime();
    runs = runs.filter((r) => new Date(r.started_at).getTime() >= from);
  }
  if (limit > 0) runs = runs.slice(0, limit);
  if (options.json) {
    output.printJsonResult({
      ...(since ? { since: since.toISOString() } : {}),
      runs,
      ...(queued.length ? { queued } : {}),
    });
    return 0;
  }
  for (const q of queued)
    output.printLine(`${q.run_id}  ${q.pipeline}  ${q.status}${q.worker ? ` on ${q.worker}` : ''} (fleet)`);
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
