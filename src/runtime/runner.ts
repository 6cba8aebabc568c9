/**
 * Executes a compiled manifest on the local machine with DuckDB as the data plane.
 *
 * A run owns one DuckDB database (in memory, spilling to `<run dir>/scratch/spill/`; a file in scratch when
 * `keepData` asks to keep it), so tables larger than memory spill to disk. Steps run in the compiled topological order (up to `maxParallel`
 * at once when their inputs allow it); each step's output is a table named by its step id. The first failure
 * stops the run: running steps finish, the rest are marked skipped. A cancel (options.signal: SIGINT/SIGTERM)
 * stops drivers through their context and starts nothing new; the run ends `cancelled`. Every run — failed
 * and cancelled ones too — leaves events.jsonl, metrics.jsonl, steps.jsonl (step changes as they happen),
 * status.json (start and end), copies of the manifest and cfg, and a run index record.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { LoadedManifest, LoadedStep } from '../compiler/manifest.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProgressReporter } from '../observability/progress.js';
import type { Redactor } from '../observability/redact.js';
import type { RunErrorInfo, RunSession, RunStatusDoc, StepStatus } from '../observability/session.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import { assertTableExists, type DataPlane, openDataPlane, quoteIdent } from './dataplane.js';
import type {
  Driver,
  ResolvedConnection,
  StepContext,
  StepResult,
  StreamContext,
  StreamSource,
} from './driver.js';
import { StepError } from './driver.js';
import { type FusedChain, planFusedChains } from './fuse/plan.js';
import { runFusedChain } from './fuse/run-chain.js';
import { smallSourceReason } from './fuse/source-size.js';
import { isIncremental } from './incremental/spec.js';
import { type OutputPreview, previewTable, StreamPreview } from './output-preview.js';
import type { PartitionEnv, PartitionExecutor } from './partition/copy.js';
import type { PlaneLimits } from './plane-limits.js';
import { classifyError, type ErrorTable } from './retry/classify.js';
import { decideRetry, pause, type RetryVerdict, verdictFields } from './retry/decide.js';
import { type RetryPolicy, readRetry } from './retry/policy.js';
import { runDag } from './scheduler.js';
import { inputStepIds } from './step-inputs.js';
import { UpstreamFailed } from './stream.js';

export { inputStepIds } from './step-inputs.js';

/** Extractor step → its writer, where the writer is the extractor's only consumer and reads nothing else. */
export function passThroughPairs(steps: readonly LoadedStep[]): Map<string, LoadedStep> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const consumers = new Map<string, LoadedStep[]>();
  for (const step of steps)
    for (const input of inputStepIds(step, byId))
      consumers.set(input, [...(consumers.get(input) ?? []), step]);
  const pairs = new Map<string, LoadedStep>();
  for (const step of steps) {
    const only = consumers.get(step.id);
    const writer = only?.length === 1 ? only[0] : undefined;
    if (step.mode === 'read' && writer?.mode === 'write' && writer.needs.length === 1)
      pairs.set(step.id, writer);
  }
  return pairs;
}

export interface RunPipelineOptions {
  project: ProjectConfig;
  loaded: LoadedManifest;
  registry: Registry;
  /** An open run session (the caller opens it so it can also log what happened before the run). */
  session: RunSession;
  /**
   * Run-time inputs of a step: its `@family.alias` connection resolved, and `${VAR}` references in its
   * secret config fields expanded. Throws OsirisError when a connection or a variable is missing.
   */
  prepareStep: (step: LoadedStep) => PreparedStep;
  progress: ProgressReporter;
  maxParallel?: number;
  keepData?: boolean;
  /**
   * Pass rows from an extractor straight into its only consumer when that is a writer and both support it
   * (default true; never with keepData, which wants every step's table).
   */
  passThrough?: boolean;
  /**
   * Run file source → SQL transforms → file writer chains as one streaming DuckDB statement (default true;
   * never with keepData; docs/adr/0018).
   */
  fuse?: boolean;
  /** DuckDB limits for the run's database (memory_limit, threads; see plane-limits.ts); DuckDB's own by default. */
  dataPlane?: PlaneLimits;
  /** How long a writer waits for another run writing the same target (ms; `runtime.lock_timeout`). */
  lockTimeoutMs?: number;
  /** `osiris run --full-refresh`: incremental reads ignore their stored state (src/runtime/incremental). */
  fullRefresh?: boolean;
  signal?: AbortSignal;
  /**
   * Where the partitions of a partitioned copy run (docs/adr/0028): in this process by default; a queue
   * worker passes one that enqueues them as child jobs of a flow.
   */
  partitionExecutor?: (env: PartitionEnv) => PartitionExecutor;
}

/** Every step of a run, pending: the status table a run (local or on a worker) starts from. */
export function pendingStatuses(steps: readonly LoadedStep[]): Map<string, StepStatus> {
  return new Map(
    steps.map((s) => [
      s.id,
      {
        id: s.id,
        component: s.component,
        status: 'pending',
        rows_in: null,
        rows_out: null,
        duration_ms: null,
      },
    ]),
  );
}

export interface PreparedStep {
  connection: ResolvedConnection | undefined;
  config: JsonObject;
}

export interface StepOutcome {
  id: string;
  component: string;
  status: StepStatus['status'];
  result?: StepResult;
  durationMs?: number;
  error?: RunErrorInfo;
}

export interface RunPipelineResult {
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  runDir: string;
  durationMs: number;
  steps: StepOutcome[];
  /** Files and tables the writers produced. */
  outputs: string[];
  error?: RunErrorInfo;
  statusDoc: RunStatusDoc;
  /** Where the DuckDB file was kept (only with keepData). */
  dataFile?: string;
}

/** Loads a component's driver module (`driver.js` beside the spec). */
async function loadDriver(registry: Registry, step: LoadedStep): Promise<Driver> {
  const component = registry.get(step.component);
  if (!component?.driverPath) {
    throw new StepError(
      'config.invalid',
      `component '${step.component}' has no runtime driver in this version of Osiris`,
      `run \`osiris components list --runnable\` to see the components that can run`,
    );
  }
  const module = (await import(pathToFileURL(component.driverPath).href)) as { driver?: Driver };
  if (!module.driver || typeof module.driver.run !== 'function') {
    throw new StepError('config.invalid', `driver module of '${step.component}' does not export \`driver\``);
  }
  return module.driver;
}

/** Turns anything a step throws into the run's error vocabulary, redacted. */
function toRunError(error: unknown, stepId: string, redactor: Redactor): RunErrorInfo {
  let code = 'system.error';
  let message = error instanceof Error ? error.message : String(error);
  let hint: string | undefined;
  let details: Record<string, JsonValue> | undefined;
  if (error instanceof StepError) {
    code = error.code;
    hint = error.hint;
    details = error.details;
  } else if (error instanceof OsirisError) {
    const first = error.diagnostics[0];
    code = first?.code ?? 'config.invalid';
    message = first?.message ?? message;
    hint = first?.hint;
  }
  const info: RunErrorInfo = { code, message: redactor.redactText(message), step_id: stepId };
  if (hint) info.hint = redactor.redactText(hint);
  if (details) info.details = redactor.redactValue(details) as Record<string, JsonValue>;
  return info;
}

const RUN_END_EVENT = {
  succeeded: 'run_complete',
  failed: 'run_failed',
  cancelled: 'run_cancelled',
} as const;

/** The run's error when a signal stopped it: `reason` is what the caller aborted with (e.g. `SIGTERM`). */
function cancelledError(reason: unknown): RunErrorInfo {
  const why = typeof reason === 'string' ? reason : 'a cancel request';
  return {
    code: 'runtime.cancelled',
    message: `the run was stopped by ${why}; steps that had not finished were rolled back or removed`,
    hint: 'run the pipeline again when ready',
  };
}

/** Peak resident set size of this process so far, in bytes. */
function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export async function runPipeline(options: RunPipelineOptions): Promise<RunPipelineResult> {
  const { loaded, session, progress, registry } = options;
  const redactor = session.redactor;
  const started = Date.now();
  const steps = loaded.steps;
  const byId = new Map(steps.map((s) => [s.id, s]));
  const status = pendingStatuses(steps);
  const outcomes = new Map<string, StepOutcome>();
  const outputs: string[] = [];
  let firstError: RunErrorInfo | undefined;
  const statusList = () => steps.map((s) => status.get(s.id) as StepStatus);
  const incremental = steps.some(isIncremental)
    ? new (await import('./incremental/run.js')).IncrementalRun({
        pipelineId: loaded.manifest.pipeline.id,
        runId: session.runId,
        projectRoot: options.project.root,
        fullRefresh: Boolean(options.fullRefresh),
        steps,
        prepareStep: (step) => options.prepareStep(step),
        event: (name, data) => session.event(name, data),
      })
    : undefined;
  /** A step's run-time inputs; with --full-refresh an appending writer below an incremental read replaces. */
  const prepareStep = (step: LoadedStep): PreparedStep =>
    incremental ? incremental.adjustWriter(step, options.prepareStep(step)) : options.prepareStep(step);

  // Copies of what ran, next to the logs: the manifest and every cfg (cfg holds no secrets by construction).
  session.copyArtifact('manifest.yaml', readFileSync(loaded.manifestPath, 'utf8'));
  for (const step of steps) session.copyArtifact(`cfg/${step.id}.json`, readFileSync(step.cfgFile, 'utf8'));

  session.event('run_start', {
    pipeline: loaded.manifest.pipeline.id,
    manifest_hash: loaded.manifest.meta.manifest_hash,
    profile: loaded.manifest.meta.profile,
    steps: steps.length,
    max_parallel: options.maxParallel ?? 1,
    adapter: 'local',
  });
  session.writeStatus({ status: 'running', steps: statusList() });

  const scratchDir = join(session.dir, 'scratch');
  mkdirSync(scratchDir, { recursive: true });
  let plane: DataPlane | undefined;
  let opening: Promise<DataPlane> | undefined;
  /** The run's DuckDB database, opened when a step first needs it: a run made only of pass-through pairs
   *  never does, and never loads DuckDB. */
  const openPlane = (): Promise<DataPlane> => {
    if (opening) return opening;
    const { sizing, ...limits }: Partial<PlaneLimits> = options.dataPlane ?? {};
    const openedAt = Date.now();
    opening = openDataPlane(scratchDir, { ...limits, persistent: Boolean(options.keepData) }).then(
      (opened) => {
        plane = opened;
        session.event('data_plane', {
          memory_limit: limits.memoryLimit ?? null,
          threads: limits.threads ?? null,
          ...(sizing ? { sizing } : {}),
          duration_ms: Date.now() - openedAt,
        });
        return opened;
      },
    );
    return opening;
  };

  /**
   * Records what a step produced (`preview/<step id>.json` and a step_output event) for the report. Never
   * fails the run: a preview that cannot be read becomes a warning.
   */
  const recordOutput = async (step: LoadedStep, read: () => Promise<OutputPreview> | OutputPreview) => {
    try {
      const preview = await read();
      const file = `preview/${step.id}.json`;
      session.copyArtifact(file, preview as unknown as JsonValue);
      session.event('step_output', {
        step_id: step.id,
        columns: preview.columns_total,
        preview_rows: preview.rows.length,
        file,
      });
    } catch (error) {
      session.event('warning', {
        step_id: step.id,
        code: 'RUN011',
        message: redactor.redactText(
          `could not record the output preview: ${error instanceof Error ? error.message : String(error)}`,
        ),
      });
    }
  };
  const previewOf = (step: LoadedStep, duck: DuckDBConnection, table: string) =>
    recordOutput(step, () => previewTable(duck, step.id, table, redactor));

  /** Marks a step running; returns its start time. */
  const begin = (step: LoadedStep): number => {
    const stepStatus = status.get(step.id) as StepStatus;
    stepStatus.status = 'running';
    session.stepChanged(stepStatus);
    session.event('step_start', {
      step_id: step.id,
      component: step.component,
      driver: step.driver,
      needs: step.needs,
    });
    progress.stepStarted(step.id, step.component);
    return Date.now();
  };

  const succeed = (
    step: LoadedStep,
    result: StepResult,
    t0: number,
    extra: Record<string, JsonValue> = {},
  ) => {
    const stepStatus = status.get(step.id) as StepStatus;
    const durationMs = Date.now() - t0;
    stepStatus.status = 'succeeded';
    stepStatus.rows_in = result.rowsIn ?? null;
    stepStatus.rows_out = result.rowsOut ?? null;
    stepStatus.duration_ms = durationMs;
    session.stepChanged(stepStatus);
    // An output may be a database URL; redact it like any other text that leaves the run.
    if (step.mode === 'write') outputs.push(...(result.outputs ?? []).map((o) => redactor.redactText(o)));
    if (result.rowsRead !== undefined)
      session.metric('rows_read', result.rowsRead, { stepId: step.id, unit: 'rows' });
    if (result.rowsWritten !== undefined)
      session.metric('rows_written', result.rowsWritten, { stepId: step.id, unit: 'rows' });
    if (result.bytesWritten !== undefined)
      session.metric('bytes_written', result.bytesWritten, { stepId: step.id, unit: 'bytes' });
    session.metric('duration_ms', durationMs, { stepId: step.id, unit: 'ms' });
    session.metric('peak_rss_bytes', peakRssBytes(), { stepId: step.id, unit: 'bytes' });
    if (step.mode === 'write') incremental?.writerSucceeded(step.id);
    session.event('step_complete', {
      step_id: step.id,
      rows_in: result.rowsIn ?? null,
      rows_out: result.rowsOut ?? result.rowsWritten ?? null,
      duration_ms: durationMs,
      ...(result.outputs?.length ? { outputs: result.outputs } : {}),
      ...extra,
    });
    progress.stepFinished(step.id, {
      rowsOut: result.rowsOut ?? result.rowsWritten ?? null,
      durationMs,
      status: 'succeeded',
    });
    outcomes.set(step.id, {
      id: step.id,
      component: step.component,
      status: 'succeeded',
      result,
      durationMs,
    });
  };

  /** `tried`: the attempts the step made and the verdict on its last error, when it could have retried. */
  const fail = (
    step: LoadedStep,
    error: unknown,
    t0: number,
    tried?: { attempts: number; verdict: RetryVerdict },
  ) => {
    const stepStatus = status.get(step.id) as StepStatus;
    const durationMs = Date.now() - t0;
    const info = toRunError(error, step.id, redactor);
    if (tried && tried.attempts > 1) {
      // The last attempt's error is the one reported, saying how many attempts came before it.
      info.message = `${info.message} (after ${tried.attempts} attempts)`;
      info.details = { ...info.details, attempts: tried.attempts };
    }
    stepStatus.status = 'failed';
    stepStatus.duration_ms = durationMs;
    stepStatus.error = info;
    session.stepChanged(stepStatus);
    firstError ??= info;
    session.event('step_failed', {
      step_id: step.id,
      error_code: info.code,
      message: info.message,
      ...(info.hint ? { hint: info.hint } : {}),
      ...(info.details ? { details: info.details } : {}),
      ...(tried
        ? {
            attempts: tried.attempts,
            error_class: verdictFields(tried.verdict.verdict),
            ...(tried.verdict.why ? { not_retried: tried.verdict.why } : {}),
          }
        : {}),
      duration_ms: durationMs,
    });
    session.metric('duration_ms', durationMs, { stepId: step.id, unit: 'ms' });
    progress.stepFinished(step.id, { durationMs, status: 'failed', error: info.message });
    outcomes.set(step.id, {
      id: step.id,
      component: step.component,
      status: 'failed',
      durationMs,
      error: info,
    });
  };

  /** The step's context without the data plane: enough for a pass-through pair. */
  const streamContextFor = (step: LoadedStep, prepared: PreparedStep): StreamContext => ({
    stepId: step.id,
    config: prepared.config,
    connection: prepared.connection,
    inputs: inputStepIds(step, byId).map((id) => ({ stepId: id, table: quoteIdent(id) })),
    outputTable: quoteIdent(step.id),
    artifactsDir: session.stepArtifactsDir(step.id),
    scratchDir,
    projectRoot: options.project.root,
    claim: (claim) => session.claim({ ...claim, step_id: step.id }),
    emit: (event: string, data: Record<string, JsonValue> = {}) =>
      session.event(event, { ...data, step_id: step.id }),
    metric: (name: string, value: number, unit?: string) =>
      session.metric(name, value, { stepId: step.id, ...(unit ? { unit } : {}) }),
    progress: (rows: number) => progress.stepProgress(step.id, rows),
    signal: options.signal ?? new AbortController().signal,
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    openDuck: async () => (await openPlane()).connect(),
    ...(incremental ? { incremental } : {}),
  });

  const contextFor = async (step: LoadedStep, prepared: PreparedStep): Promise<StepContext> => {
    const duck = await (await openPlane()).connect();
    return { ...streamContextFor(step, prepared), duck };
  };

  const announce = (step: LoadedStep, prepared: PreparedStep): PreparedStep => {
    if (prepared.connection) {
      session.event('connection_resolved', {
        step_id: step.id,
        connection: `@${prepared.connection.family}.${prepared.connection.alias}`,
      });
    }
    return prepared;
  };

  const fuseOff = options.keepData
    ? "--keep-data keeps every step's table"
    : options.fuse === false
      ? 'runtime.fuse is false (or OSIRIS_FUSE=0)'
      : undefined;
  const fused = planFusedChains(
    steps,
    (s) => registry.get(s.component)?.spec['x-runtime']?.fuse,
    fuseOff ? { off: fuseOff } : {},
  );
  for (const d of fused.declined)
    session.event('fuse', { step_id: d.step_id, used: false, reason: d.reason });
  const pairs = options.keepData || options.passThrough === false ? new Map() : passThroughPairs(steps);
  /** A partitioned copy always runs its pair together, whatever pass-through and keep-data say. */
  const partitionPairs = passThroughPairs(steps);
  /** Writers that already ran beside their extractor (pass-through): their outcome, for the scheduler. */
  const ranAlongside = new Map<string, boolean>();

  /** The step's retry policy: its OML `retry`, else the defaults (runtime/retry/policy.ts). */
  const policyOf = (step: LoadedStep): RetryPolicy => readRetry(step.retry).policy;

  /**
   * After a failed attempt of a read or write: the verdict (docs/adr/0026); when the step runs again, its
   * step_retry event (why, and how long it waits) and the wait. A cancel during the wait ends the retries.
   */
  const retryAfter = async (
    step: LoadedStep,
    error: unknown,
    attempt: number,
    table: ErrorTable | readonly ErrorTable[] | undefined,
    extra: Record<string, JsonValue> = {},
  ): Promise<RetryVerdict> => {
    const policy = policyOf(step);
    const verdict = decideRetry({
      mode: step.mode,
      error,
      attempt,
      policy,
      tables: Array.isArray(table) ? [...table] : table ? [table as ErrorTable] : [],
      aborted: Boolean(options.signal?.aborted),
    });
    if (!verdict.retry) return verdict;
    const info = toRunError(error, step.id, redactor);
    session.event('step_retry', {
      level: 'warning',
      step_id: step.id,
      attempt,
      next_attempt: attempt + 1,
      attempts: policy.attempts,
      error_code: info.code,
      message: info.message,
      ...verdictFields(verdict.verdict),
      delay_ms: verdict.delayMs ?? 0,
      ...(step.mode === 'write' ? { rolled_back: true } : {}),
      ...extra,
    });
    const { reason, code } = verdict.verdict;
    progress.note(
      `step '${step.id}': attempt ${attempt} of ${policy.attempts} failed (${reason}${code ? ` ${code}` : ''}); trying again in ${((verdict.delayMs ?? 0) / 1000).toFixed(1)} s`,
    );
    const waited = await pause(verdict.delayMs ?? 0, options.signal);
    return waited ? verdict : { ...verdict, retry: false, why: 'the run was cancelled' };
  };

  /** What `fail` records of the attempts: only for the steps that can retry. */
  const triedOf = (step: LoadedStep, attempts: number, verdict: RetryVerdict | undefined) =>
    verdict && step.mode !== 'transform' ? { attempts, verdict } : undefined;

  /**
   * Runs an extractor and its only consumer, a writer, together: rows go from the source straight into the
   * target without a DuckDB table. Returns undefined (nothing started) when either side declines; the pair
   * then runs the usual way, one step after the other.
   *
   * Retries: the pair runs again as a unit, and only when the writer's load was rolled back whole (or never
   * started) — rows that already flowed into a committed load are never sent twice. The step whose error
   * stopped the pair decides, with its own policy and error table.
   */
  const runPassThrough = async (
    reader: LoadedStep,
    readerCtx: StreamContext,
    readerDriver: Driver,
    writer: LoadedStep,
    t0: number,
  ): Promise<boolean | undefined> => {
    if (!readerDriver.openStream) return undefined;
    let writerDriver: Driver;
    let writerPrepared: PreparedStep;
    try {
      writerDriver = await loadDriver(registry, writer);
      writerPrepared = prepareStep(writer);
    } catch {
      return undefined; // the writer fails in its own turn, with its own error
    }
    const writeStream = writerDriver.writeStream?.bind(writerDriver);
    if (!writeStream) return undefined;
    const notUsed = (reason: string) => {
      session.event('pass_through', { step_id: reader.id, writer: writer.id, used: false, reason });
      return undefined;
    };
    let t1: number | undefined;
    /** A later attempt that could not start streaming: the reader fails, and the writer (started) with it. */
    const abandon = (error: unknown, attempt: number, verdict?: RetryVerdict): boolean => {
      fail(reader, error, t0, triedOf(reader, attempt, verdict));
      fail(
        writer,
        new StepError(
          'runtime.dependency_failed',
          `step '${writer.id}': upstream step '${reader.id}' failed before its rows streamed in; nothing was written`,
          `fix step '${reader.id}' (its error is above)`,
        ),
        t1 as number,
      );
      ranAlongside.set(writer.id, false);
      return false;
    };
    for (let attempt = 1; ; attempt++) {
      let source: StreamSource | { declined: string };
      try {
        source = await readerDriver.openStream(readerCtx);
      } catch (error) {
        // Nothing reached the writer yet: the read alone decides.
        const verdict = await retryAfter(reader, error, attempt, readerDriver.errorTable, {
          pass_through: writer.id,
        });
        if (verdict.retry) continue;
        if (t1 !== undefined) return abandon(error, attempt, verdict);
        fail(reader, error, t0, triedOf(reader, attempt, verdict));
        return false;
      }
      if ('declined' in source) {
        if (t1 === undefined) return notUsed(source.declined);
        return abandon(
          new StepError('runtime.cancelled', `the read stopped streaming: ${source.declined}`),
          attempt,
        );
      }
      const declined = writerDriver.streamDeclined?.(writerPrepared, source.columns);
      if (declined !== undefined) {
        source.cancel();
        await source.result.catch(() => undefined);
        if (t1 === undefined) return notUsed(declined);
        return abandon(
          new StepError('runtime.cancelled', `the write stopped streaming: ${declined}`),
          attempt,
        );
      }
      if (t1 === undefined) {
        session.event('pass_through', { step_id: reader.id, writer: writer.id, used: true });
        t1 = begin(writer);
      }
      let writerFailedFirst = false;
      // The reader's output never becomes a table: its preview is the first rows that pass by.
      const firstRows = new StreamPreview(source.columns);
      const opened = source;
      const watched: StreamSource = {
        columns: source.columns,
        batches: firstRows.watch(source.batches),
        ...(source.lines ? { lines: firstRows.watchLines(source.lines) } : {}),
        result: source.result,
        cancel: (reason?: unknown) => opened.cancel(reason),
      };
      const writing = (async () =>
        writeStream(streamContextFor(writer, announce(writer, writerPrepared)), watched))().catch(
        (error: unknown) => {
          if (!(error instanceof StepError && error.cause instanceof UpstreamFailed))
            writerFailedFirst = true;
          opened.cancel(error);
          throw error;
        },
      );
      const [read, written] = await Promise.allSettled([source.result, writing]);
      let tried: { step: LoadedStep; attempts: number; verdict: RetryVerdict } | undefined;
      if (read.status === 'rejected' || written.status === 'rejected') {
        // The step whose failure stopped the pair; the writer's load must have been rolled back whole.
        const byWriter = writerFailedFirst || read.status === 'fulfilled';
        const cause: unknown = byWriter
          ? (written as PromiseRejectedResult).reason
          : (read as PromiseRejectedResult).reason;
        const step = byWriter ? writer : reader;
        const table = (byWriter ? writerDriver : readerDriver).errorTable;
        const rolledBack =
          written.status === 'rejected' && written.reason instanceof StepError && written.reason.rolledBack;
        const verdict: RetryVerdict = rolledBack
          ? await retryAfter(step, cause, attempt, table, { pass_through: byWriter ? reader.id : writer.id })
          : {
              retry: false,
              verdict: classifyError(cause, table ? [table] : []),
              why: 'the writer did not report a whole rollback, so rows may have been committed',
            };
        if (verdict.retry) continue;
        tried = { step, attempts: attempt, verdict };
      }
      const triedFor = (s: LoadedStep) =>
        tried?.step === s ? triedOf(s, tried.attempts, tried.verdict) : undefined;
      const extra: Record<string, JsonValue> = attempt > 1 ? { attempts: attempt } : {};
      const recordReader = () => {
        if (read.status === 'fulfilled')
          succeed(reader, read.value, t0, { pass_through: writer.id, ...extra });
        else if (writerFailedFirst)
          fail(
            reader,
            new StepError(
              'runtime.cancelled',
              `step '${reader.id}' stopped: its rows were streaming into step '${writer.id}', which failed`,
              `fix step '${writer.id}' (its error is above); nothing was kept from this read`,
            ),
            t0,
          );
        else fail(reader, read.reason, t0, triedFor(reader));
      };
      const recordWriter = () => {
        if (written.status === 'fulfilled') succeed(writer, written.value, t1 as number, extra);
        else fail(writer, written.reason, t1 as number, triedFor(writer));
      };
      // The step whose failure caused the other's is recorded first: it is the run's error.
      if (writerFailedFirst) {
        recordWriter();
        recordReader();
      } else {
        recordReader();
        recordWriter();
      }
      ranAlongside.set(writer.id, written.status === 'fulfilled');
      if (read.status === 'fulfilled') await recordOutput(reader, () => firstRows.build(reader.id, redactor));
      return read.status === 'fulfilled';
    }
  };

  /** Runs a step on the general path (its output a table), once its step_start is out; true when it succeeded. */
  const materialise = async (
    step: LoadedStep,
    t0: number,
    opened?: { driver: Driver; prepared: PreparedStep },
  ): Promise<boolean> => {
    let driver = opened?.driver;
    for (let attempt = 1; ; attempt++) {
      let ctx: StepContext | undefined;
      try {
        driver ??= await loadDriver(registry, step);
        const prepared = opened?.prepared ?? prepareStep(step);
        ctx = await contextFor(step, prepared);
        for (const input of ctx.inputs) await assertTableExists(ctx.duck, input);
        const result = await driver.run(ctx);
        if (step.mode !== 'write')
          await assertTableExists(ctx.duck, { stepId: step.id, table: ctx.outputTable });
        succeed(step, result, t0, attempt > 1 ? { attempts: attempt } : undefined);
        if (step.mode !== 'write') await previewOf(step, ctx.duck, ctx.outputTable);
        return true;
      } catch (error) {
        const verdict = driver ? await retryAfter(step, error, attempt, driver.errorTable) : undefined;
        if (verdict?.retry) {
          // The next attempt starts clean: whatever this one left of the output table goes.
          if (ctx && step.mode !== 'write')
            await ctx.duck.run(`DROP TABLE IF EXISTS ${ctx.outputTable}`).catch(() => undefined);
          continue;
        }
        fail(step, error, t0, triedOf(step, attempt, verdict));
        return false;
      }
    }
  };

  /** A fused chain from its source step (docs/adr/0018); undefined when it runs step by step after all. */
  const runChain = async (chain: FusedChain): Promise<boolean | undefined> => {
    const head = chain.steps[0] as LoadedStep;
    let small: string | undefined;
    try {
      const source = prepareStep(head);
      small = smallSourceReason(options.project.root, source.config, source.connection);
    } catch {
      // The chain's own preparation reports this step's error below.
    }
    if (small) {
      session.event('fuse', {
        step_id: head.id,
        steps: chain.steps.map((s) => s.id),
        used: false,
        reason: small,
      });
      return undefined;
    }
    const outcomes = await runFusedChain(chain, {
      loadDriver: (step) => loadDriver(registry, step),
      prepare: async (step, duck) => {
        const driver = await loadDriver(registry, step);
        const prepared = announce(step, prepareStep(step));
        return { driver, ctx: { ...streamContextFor(step, prepared), duck } };
      },
      connect: async () => (await openPlane()).connect(),
      begin,
      succeed,
      fail,
      event: (name, data) => session.event(name, data),
      preview: previewOf,
      runAlone: (step, t0) => materialise(step, t0),
      signal: options.signal,
    });
    if (!outcomes) return undefined;
    for (const [id, ok] of outcomes) ranAlongside.set(id, ok);
    return outcomes.get(chain.steps[0]?.id ?? '') ?? false;
  };

  /** An extractor with `partition:` and its writer, run as one partitioned copy (docs/adr/0028). */
  const runPartitioned = async (reader: LoadedStep, t0: number): Promise<boolean> => {
    const writer = partitionPairs.get(reader.id);
    if (!writer) {
      fail(
        reader,
        new StepError(
          'partition.invalid',
          `step '${reader.id}' has 'partition' but its rows do not go straight into one database writer`,
          'make a mysql.writer or postgres.writer the only step that reads it (and have it read nothing else)',
        ),
        t0,
      );
      return false;
    }
    const { runPartitionedCopy } = await import('./partition/copy.js');
    const jobStep = (s: LoadedStep) => ({
      id: s.id,
      component: s.component,
      config: s.config,
      ...(s.connection ? { connection: s.connection } : {}),
    });
    const prepared = new Map<string, PreparedStep>();
    const env: PartitionEnv = {
      loadDriver: (component) => loadDriver(registry, { ...reader, component }),
      prepare: (s) => {
        const known = prepared.get(s.id);
        if (known && known.config === s.config) return known;
        const step = byId.get(s.id) as LoadedStep;
        const p = options.prepareStep({ ...step, config: s.config });
        prepared.set(s.id, p);
        return p;
      },
      context: (stepId, config, connection) =>
        streamContextFor(byId.get(stepId) as LoadedStep, { config, connection }),
      scratchDir,
      emit: (event, data) => session.event(event, data),
      // A partition is one idempotent unit (its staging table starts empty), so the extractor's retry
      // policy applies to it as a read, with both drivers' error tables.
      retry: async (job, error, attempt) => {
        const tables = await Promise.all(
          [reader, writer].map(
            async (s) => (await loadDriver(registry, s).catch(() => undefined))?.errorTable,
          ),
        );
        const known = tables.filter((t): t is ErrorTable => t !== undefined);
        return (await retryAfter(reader, error, attempt, known, { partition: job.index })).retry;
      },
    };
    announce(reader, env.prepare(jobStep(reader)));
    const t1 = begin(writer);
    ranAlongside.set(writer.id, false);
    try {
      const done = await runPartitionedCopy({
        runId: session.runId,
        reader: jobStep(reader),
        writer: jobStep(writer),
        env,
        ...(options.partitionExecutor ? { executor: options.partitionExecutor(env) } : {}),
        emit: (event, data) => session.event(event, data),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const retried = done.partitions.filter((p) => p.attempts > 1).map((p) => p.index);
      const extra = {
        partitions: done.partitions.length,
        ...(retried.length ? { partitions_retried: retried } : {}),
      };
      succeed(reader, { rowsRead: done.rows, rowsOut: done.rows }, t0, { ...extra, pass_through: writer.id });
      succeed(writer, done.result, t1, extra);
      ranAlongside.set(writer.id, true);
      return true;
    } catch (error) {
      fail(reader, error, t0);
      fail(
        writer,
        new StepError(
          'runtime.dependency_failed',
          `step '${writer.id}': the partitioned copy from '${reader.id}' failed; nothing was swapped in, the target is unchanged`,
          `fix step '${reader.id}' (its error is above)`,
        ),
        t1,
      );
      return false;
    }
  };

  const executeStep = async (step: LoadedStep): Promise<boolean> => {
    const alongside = ranAlongside.get(step.id);
    if (alongside !== undefined) return alongside;
    if (step.mode === 'read' && step.config.partition !== undefined && step.config.partition !== null)
      return runPartitioned(step, begin(step));
    const chain = fused.chains.get(step.id);
    if (chain) {
      await openPlane().catch(() => undefined);
      const ran = await runChain(chain);
      if (ran !== undefined) return ran;
    }
    // DuckDB starts before the step's clock does (~0.3 s): the first step's time is its own work. An error
    // here comes back from contextFor below, as this step's failure.
    if (!pairs.has(step.id)) await openPlane().catch(() => undefined);
    let t0 = begin(step);
    try {
      const driver = await loadDriver(registry, step);
      const prepared = announce(step, prepareStep(step));
      await incremental?.prepare(step, prepared);
      const partner = pairs.get(step.id);
      if (partner) {
        const streamed = await runPassThrough(step, streamContextFor(step, prepared), driver, partner, t0);
        if (streamed !== undefined) return streamed;
        // The pair declined, so DuckDB may start only now: that time is not this read's.
        const planeStart = Date.now();
        await openPlane();
        t0 += Date.now() - planeStart;
      }
      return await materialise(step, t0, { driver, prepared });
    } catch (error) {
      fail(step, error, t0);
      return false;
    }
  };

  let dataFile: string | undefined;
  try {
    // --keep-data keeps the database file even when no step fills it.
    if (options.keepData) dataFile = (await openPlane()).dbPath;
    const result = await runDag(steps, options.maxParallel ?? 1, executeStep, () =>
      Boolean(options.signal?.aborted),
    );
    for (const [id, outcome] of result) {
      if (outcome !== 'skipped' || outcomes.has(id)) continue; // a pass-through writer has its own outcome
      const s = status.get(id) as StepStatus;
      s.status = 'skipped';
      session.event('step_skipped', {
        step_id: id,
        reason: firstError
          ? `step '${firstError.step_id}' failed`
          : options.signal?.aborted
            ? 'the run was cancelled'
            : 'not reached',
      });
      progress.stepFinished(id, { durationMs: 0, status: 'skipped' });
      outcomes.set(id, { id, component: byId.get(id)?.component ?? '', status: 'skipped' });
    }
  } catch (error) {
    firstError ??= toRunError(error, '', redactor);
    delete firstError.step_id;
  } finally {
    plane?.close();
    if (!options.keepData) {
      rmSync(scratchDir, { recursive: true, force: true });
      dataFile = undefined;
    }
  }

  const durationMs = Date.now() - started;
  // Cancelled: a signal stopped the run before every step had succeeded (its cause, not a step, is the error).
  const cancelled =
    Boolean(options.signal?.aborted) && [...status.values()].some((s) => s.status !== 'succeeded');
  if (cancelled) firstError = cancelledError(options.signal?.reason);
  const runStatus = cancelled ? 'cancelled' : firstError ? 'failed' : 'succeeded';
  // Rows of the run: what writers wrote, else what extractors read (never both: that double-counts).
  const writers = steps.filter((s) => s.mode === 'write');
  const counted = writers.length > 0 ? writers : steps.filter((s) => s.mode === 'read');
  const rowsOf = (pick: (r: StepResult) => number | undefined) => {
    let total: number | null = null;
    for (const s of counted) {
      const r = outcomes.get(s.id)?.result;
      const v = r ? pick(r) : undefined;
      if (v !== undefined) total = (total ?? 0) + v;
    }
    return total;
  };
  const rowsOut = rowsOf((r) => r.rowsWritten ?? r.rowsOut);
  const rowsIn = rowsOf((r) => r.rowsIn ?? r.rowsRead);
  session.metric('peak_rss_bytes', peakRssBytes(), { unit: 'bytes' });
  session.event(RUN_END_EVENT[runStatus], {
    status: runStatus,
    duration_ms: durationMs,
    rows_out: rowsOut,
    steps_succeeded: statusList().filter((s) => s.status === 'succeeded').length,
    steps_total: steps.length,
    ...(firstError ? { error_code: firstError.code, message: firstError.message } : {}),
  });
  const { status: statusDoc } = session.finish({
    status: runStatus,
    steps: statusList(),
    rowsIn,
    rowsOut,
    ...(firstError ? { error: firstError } : {}),
  });
  progress.runFinished({
    status: runStatus,
    durationMs,
    runId: session.runId,
    stepsTotal: steps.length,
    stepsSucceeded: statusList().filter((s) => s.status === 'succeeded').length,
    rowsOut,
  });
  const out: RunPipelineResult = {
    runId: session.runId,
    status: runStatus,
    runDir: session.dir,
    durationMs,
    steps: steps.map((s) => outcomes.get(s.id) ?? { id: s.id, component: s.component, status: 'skipped' }),
    outputs,
    statusDoc,
  };
  if (firstError) out.error = firstError;
  if (dataFile) out.dataFile = dataFile;
  return out;
}
