/** The body of `osiris run`: prepare, print the plan or run, print where everything went. */
import { relative } from 'node:path';
import type { LoadedManifest } from '../../compiler/manifest.js';
import { ExitCode, type ExitCodeValue, OsirisError } from '../../diagnostics/diagnostic.js';
import {
  type ProgressReporter,
  type RunSummaryInfo,
  withoutStepPrefix,
} from '../../observability/progress.js';
import type { RunErrorInfo } from '../../observability/session.js';
import type { SweptRun } from '../../runtime/abandoned-runs.js';
import type { WorkerTransport } from '../../targets/transport.js';
import type { RunFlags } from '../commands/run.js';
import { compactLocation, type JsonError, printDiagnostics, printJsonResult, printLine } from '../output.js';

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function planJson(loaded: LoadedManifest) {
  return {
    pipeline: loaded.manifest.pipeline.id,
    manifest_path: loaded.manifestPath,
    manifest_hash: loaded.manifest.meta.manifest_hash,
    profile: loaded.manifest.meta.profile,
    steps: loaded.steps.map((s) => ({
      id: s.id,
      component: s.component,
      mode: s.mode,
      needs: s.needs,
      ...(s.connection ? { connection: s.connection } : {}),
    })),
  };
}

function printPlan(loaded: LoadedManifest): void {
  const plan = planJson(loaded);
  printLine(
    `plan for ${plan.pipeline} (manifest ${loaded.manifest.meta.manifest_short}, profile ${plan.profile ?? '-'})`,
  );
  plan.steps.forEach((s, i) => {
    const inputs = s.needs.length ? ` ← ${s.needs.join(', ')}` : '';
    const conn = s.connection ? ` via ${s.connection}` : '';
    printLine(`  ${i + 1}. ${s.id}  ${s.component} (${s.mode})${conn}${inputs}`);
  });
  printLine('dry run: no data was read or written');
}

/** The envelope's `error` for a failed run: the step that failed, and where in it when known. */
function runError(error: RunErrorInfo): JsonError {
  const details = error.details ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  // A line and column without a file are positions inside the step's SQL: they stay in the message.
  const file = text(details.file);
  const location = compactLocation({
    file,
    line: file ? num(details.line) : undefined,
    col: file ? num(details.col) : undefined,
    step: error.step_id,
  });
  return {
    code: error.code,
    message: error.message,
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    ...(location ? { location } : {}),
  };
}

function parseMaxParallel(raw: string | number): number {
  const value = String(raw);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw OsirisError.of(
      'RUN004',
      `--max-parallel must be a whole number from 1 to 64, got '${value}'`,
      {},
      {
        hint: 'e.g. --max-parallel 2',
      },
    );
  }
  return n;
}

/** `error CODE step 'id' failed: message — hint`, without repeating the step when the message names it. */
function runErrorLine(error: RunErrorInfo, cancelled: boolean): string {
  const message = error.step_id ? withoutStepPrefix(error.message, error.step_id) : error.message;
  const step = error.step_id ? `step '${error.step_id}' ` : '';
  const what = cancelled ? '' : `${step}failed: `;
  return `error ${error.code} ${what}${message}${error.hint ? ` — ${error.hint}` : ''}`;
}

/** One line per earlier run found dead, or whose own cleanup had failed: what was removed. */
export function sweptLine(run: SweptRun): string {
  const mib = (run.removed.scratch_bytes / 1024 / 1024).toFixed(1);
  const parts = [`scratch ${mib} MiB`, `${run.removed.files.length} temp file(s)`];
  if (run.removed.tables.length) parts.push(`staging table(s) ${run.removed.tables.join(', ')}`);
  if (run.marked)
    return `  run ${run.run_id} was abandoned (pid ${run.pid} on ${run.host} is gone): removed ${parts.join(', ')}`;
  return `  cleaned up after ${run.status} run ${run.run_id}: removed ${parts.join(', ')}`;
}

/** Starts the target's worker now, while this process compiles, when the target allows it. */
async function startWorkerEarly(
  target: string,
  options: Record<string, unknown>,
): Promise<{ worker: Promise<WorkerTransport> } | undefined> {
  if (target === 'local') return undefined;
  const { TARGETS } = await import('../../targets/index.js');
  const factory = TARGETS[target];
  if (!factory?.startEarly) return undefined;
  const early = factory.create({ env: process.env, cwd: process.cwd(), options });
  early.catch(() => undefined); // a failed start is reported when the run awaits it
  return { worker: early };
}

/** --target / --e2b / OSIRIS_EXECUTION_TARGET / execution.target, checked before anything runs (exit 2). */
async function chooseTarget(
  flags: RunFlags,
  env: NodeJS.ProcessEnv,
  configured: string | undefined,
): Promise<string> {
  const { selectTarget, TARGETS } = await import('../../targets/index.js');
  if (flags.e2b && flags.target !== undefined && flags.target !== 'e2b')
    throw OsirisError.of(
      'WRK003',
      `--e2b and --target ${flags.target} disagree`,
      {},
      { hint: 'give one of them' },
    );
  const target = flags.e2b
    ? selectTarget('e2b', env, configured, '--e2b')
    : flags.target === undefined && flags.queue !== undefined
      ? selectTarget('queue', env, configured, '--queue')
      : selectTarget(flags.target, env, configured);
  if ((flags.detach || flags.queue !== undefined) && target !== 'queue')
    throw OsirisError.of(
      'queue.needs_queue_target',
      `${flags.detach ? '--detach' : '--queue'} works only with --target queue (not ${target})`,
      {},
      { hint: 'add --target queue, or drop the flag' },
    );
  if (target !== 'local' && flags.keepData)
    throw OsirisError.of(
      'WRK003',
      `--keep-data keeps the DuckDB file where the run executes, so it works only with --target local (not ${target})`,
      {},
      { hint: 'drop --keep-data, or add --target local' },
    );
  const { checkE2bFlagsUnused } = await import('../../targets/e2b/cli-options.js');
  checkE2bFlagsUnused(target, flags);
  await TARGETS[target]?.check?.({ env, cwd: process.cwd(), options: flags });
  return target;
}

export async function runCommand(file: string | undefined, flags: RunFlags): Promise<ExitCodeValue> {
  const cwd = process.cwd();
  const env = process.env;
  const maxParallel = parseMaxParallel(flags.maxParallel);
  const { loadProjectConfig } = await import('../../project/config.js');
  const { loadDotEnv } = await import('../../connections/env.js');
  const { loadRegistry } = await import('../../registry/load.js');
  const { parseParamArgs } = await import('../../oml/params.js');
  const { prepareRun, executeRun } = await import('../../runtime/execute.js');

  const project = loadProjectConfig({ cwd, env, ...(flags.config ? { configFile: flags.config } : {}) });
  loadDotEnv({ cwd, env, projectRoot: project.root });
  const registry = loadRegistry({ projectRoot: project.root });
  const target = await chooseTarget(flags, env, project.execution.target);
  const base = {
    cwd,
    env,
    project,
    registry,
    params: parseParamArgs(flags.param ?? []),
    maxParallel,
    ...(file !== undefined ? { file } : {}),
    ...(flags.lastCompile ? { lastCompile: true } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
    ...(flags.keepData ? { keepData: true } : {}),
    ...(flags.fullRefresh ? { fullRefresh: true } : {}),
    target,
    // A target reads its own options (e2b: --timeout, --cpu, …) from the parsed flags.
    targetOptions: { ...flags } as Record<string, unknown>,
  };
  const early = flags.dryRun ? undefined : await startWorkerEarly(target, base.targetOptions);
  let prepared: Awaited<ReturnType<typeof prepareRun>>;
  try {
    prepared = await prepareRun(base);
  } catch (error) {
    void early?.worker.then((t) => t.close());
    throw error;
  }
  if (!flags.json && prepared.warnings.length > 0) printDiagnostics(prepared.warnings);

  if (flags.dryRun) {
    if (flags.json)
      printJsonResult({ dry_run: true, ...planJson(prepared.loaded) }, { diagnostics: prepared.warnings });
    else printPlan(prepared.loaded);
    return ExitCode.ok;
  }

  if (flags.detach) return detach(base, prepared, Boolean(flags.json));

  const { createProgressReporter, formatRunSummary } = await import('../../observability/progress.js');
  const reporter = createProgressReporter({
    tty: Boolean(process.stderr.isTTY) && !flags.json,
    stream: process.stderr,
    json: Boolean(flags.json),
  });
  // The run's summary is printed once, as the last line on stdout.
  let summary: RunSummaryInfo | undefined;
  const progress: ProgressReporter = {
    ...reporter,
    runFinished(info) {
      summary = info;
      reporter.runFinished(info);
    },
  };
  // SIGINT and SIGTERM cancel the run: running steps roll back or remove what they started, the run is
  // recorded as cancelled, and the exit code says which signal it was. A second signal ends the process at
  // once; what that leaves behind, the next run of the pipeline or `osiris logs gc` cleans up.
  // The listener stays registered (not `once`): signal-exit (used by proper-lockfile for file locks) kills
  // the process on a signal when it finds no other listener.
  const controller = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stoppedBy) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, signal);
      return;
    }
    stoppedBy = signal;
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: Awaited<ReturnType<typeof executeRun>>;
  try {
    result = await executeRun(
      { ...base, progress, signal: controller.signal, ...(early ? { transport: early.worker } : {}) },
      prepared,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.dispose();
  }

  if (flags.json) {
    printJsonResult(
      {
        run_id: result.runId,
        status: result.status,
        pipeline: prepared.loaded.manifest.pipeline.id,
        manifest_hash: prepared.loaded.manifest.meta.manifest_hash,
        duration_ms: result.durationMs,
        run_dir: result.runDir,
        ...(result.aiop.status === 'written' ? { aiop_path: result.aiop.written.corePath } : {}),
        outputs: result.outputs,
        steps: result.statusDoc.steps,
        ...(result.abandoned.length ? { abandoned_runs: result.abandoned } : {}),
      },
      {
        diagnostics: result.warnings,
        ...(result.status === 'succeeded'
          ? {}
          : {
              error: result.error
                ? runError(result.error)
                : { code: 'RUN005', message: `run ${result.runId} failed without a step error` },
            }),
      },
    );
  } else {
    for (const run of result.abandoned) printLine(sweptLine(run));
    const leftovers = result.warnings.filter((w) => w.code === 'RUN011');
    if (leftovers.length) printDiagnostics(leftovers);
    const line = formatRunSummary(
      summary ?? { status: result.status, durationMs: result.durationMs, runId: result.runId },
    );
    if (result.status === 'succeeded') {
      for (const output of result.outputs) printLine(`  output: ${shown(output)}`);
      printLine(`✓ ${line}`);
    } else {
      if (result.error)
        process.stderr.write(`${runErrorLine(result.error, result.status === 'cancelled')}\n`);
      printLine(`✗ ${line}`);
    }
    printLine(`  run log: ${shown(result.runDir)}`);
    if (result.aiop.status === 'written') printLine(`  AI package: ${shown(result.aiop.written.corePath)}`);
    if (result.dataFile) printLine(`  data kept: ${shown(result.dataFile)}`);
  }
  if (result.status === 'cancelled' && stoppedBy)
    return stoppedBy === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return result.status === 'succeeded' ? ExitCode.ok : ExitCode.runtime;
}

/** `--target queue --detach`: enqueue the run and print its id; `runs list` and `logs show` sync it later. */
async function detach(
  base: Parameters<typeof import('../../runtime/execute.js').prepareRun>[0],
  prepared: { loaded: LoadedManifest },
  json: boolean,
): Promise<ExitCodeValue> {
  const { stepPreparer } = await import('../../runtime/execute.js');
  const { createRedactor } = await import('../../observability/redact.js');
  const { newRunId } = await import('../../observability/run-id.js');
  const { fleetSettings } = await import('../../fleet/redis.js');
  const { queueUrl, runJobData, submitDetached, redactUrl } = await import('../../fleet/target.js');
  const settings = fleetSettings(queueUrl(base.targetOptions?.queue, base.project.execution.queue), base.env);
  const redactor = createRedactor({ secretKeys: base.registry.allSecretKeys() });
  // Secrets are not sent; preparing finds the input files a step's connection points at (base_dir).
  const prepareStep = await stepPreparer(base, redactor, () => undefined);
  const runId = newRunId();
  const data = await runJobData({
    project: base.project,
    registry: base.registry,
    loaded: prepared.loaded,
    prepareStep,
    runId,
    ...(base.maxParallel !== undefined ? { maxParallel: base.maxParallel } : {}),
    ...(base.fullRefresh ? { fullRefresh: true } : {}),
  });
  await submitDetached(settings, { ...data, run_id: runId }, base.project);
  const pipeline = prepared.loaded.manifest.pipeline.id;
  if (json) printJsonResult({ run_id: runId, status: 'queued', pipeline, queue: redactUrl(settings.url) });
  else {
    printLine(`queued run ${runId} of ${pipeline} on ${redactUrl(settings.url)}`);
    printLine(`  follow it: osiris logs show ${runId}   (osiris runs list shows it once it has run)`);
  }
  return ExitCode.ok;
}
