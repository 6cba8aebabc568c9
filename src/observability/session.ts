/**
 * A run session: the log folder of one `osiris run`,
 * `<project.paths.runLogs>/[<profile>/]<pipeline_slug>/<run_id>/`, holding
 *
 * - `events.jsonl`   `{"ts","run_id","event",…fields}` one compact JSON object per line
 * - `metrics.jsonl`  `{"ts","run_id","metric","value","unit"?,"step_id"?,…tags}` one per line
 * - `status.json`    the run's state, written atomically at the start (`running`, every step pending) and at
 *                    the end (final); never in between, so a step costs O(1) whatever the pipeline's size
 * - `steps.jsonl`    every step status change as it happens, one StepStatus per line (step-log.ts folds
 *                    them over status.json for a run that never finished)
 * - `process.json`   the host, pid and start time of the process running the run (run-process.ts); removed
 *                    once the run is recorded (and what it claimed is checked gone), so it marks a run a
 *                    sweep must look at
 * - `claims.jsonl`   what the run creates outside this folder and must remove if it stops (run-claims.ts)
 * - copies of the inputs (`manifest.yaml`, `cfg/<step>.json`) and `artifacts/<step_id>/` folders
 *
 * Every line and every copied file passes through the session's redactor. Each line is one `write` on a file
 * opened in append mode, so lines never interleave or tear. The session writes no events by itself: the
 * runner owns the event catalogue (run_start, step_start, step_complete, step_failed, run_complete, …).
 * Sessions hold no global state; several can be open at once.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../project/config.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import type { Redactor } from './redact.js';
import { appendClaim, CLAIMS_FILE, type RunClaim } from './run-claims.js';
import { newRunId } from './run-id.js';
import { appendRunRecord, type LockOptions, type RunOutcome, type RunRecord } from './run-index.js';
import { currentRunProcess, RUN_PROCESS_FILE } from './run-process.js';
import { STEP_LOG_FILE } from './step-log.js';

/** `cancelled`: stopped by SIGINT/SIGTERM; `abandoned`: its process died mid-run (found by a later sweep). */
export type RunState = 'running' | RunOutcome;
export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface RunErrorInfo {
  /** Execution taxonomy (`extract.query_failed`, …) or a diagnostic code (`RUN003`). */
  code: string;
  message: string;
  step_id?: string;
  hint?: string;
  /** Where exactly: file, line, col, sql_line, upstream_step… (from StepError.details). */
  details?: Record<string, JsonValue>;
}

export interface StepStatus {
  id: string;
  component: string;
  status: StepState;
  rows_in: number | null;
  rows_out: number | null;
  duration_ms: number | null;
  error?: RunErrorInfo;
}

/** `status.json`. */
/** The run index's line for a finished run, from its final status. */
export function runRecordOf(status: RunStatusDoc, runDir: string): RunRecord {
  const record: RunRecord = {
    run_id: status.run_id,
    pipeline_slug: status.pipeline,
    profile: status.profile,
    manifest_hash: status.manifest_hash,
    manifest_short: status.manifest_short,
    status: status.status as RunOutcome,
    started_at: status.started_at,
    finished_at: status.finished_at as string,
    duration_ms: status.duration_ms as number,
    rows_in: status.rows_in,
    rows_out: status.rows_out,
    run_dir: runDir,
  };
  if (status.error) {
    record.error_code = status.error.code;
    record.error_message = status.error.message;
  }
  return record;
}

export interface RunStatusDoc {
  run_id: string;
  pipeline: string;
  manifest_hash: string;
  manifest_short: string;
  profile: string | null;
  status: RunState;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  rows_in: number | null;
  rows_out: number | null;
  steps: StepStatus[];
  error?: RunErrorInfo;
}

export interface StatusUpdate {
  status: RunState;
  steps: StepStatus[];
  error?: RunErrorInfo;
  /** Run totals (the runner applies the writers-else-extractors rule). */
  rowsIn?: number | null;
  rowsOut?: number | null;
  /** Defaults to `now()` once the status is final. */
  finishedAt?: Date;
}

export interface OpenRunSessionOptions {
  project: ProjectConfig;
  pipelineSlug: string;
  manifestHash: string;
  manifestShort: string;
  /** Effective profile; when profiles are enabled and none is given, the project's default is used. */
  profile?: string | null;
  redactor: Redactor;
  /** Clock (tests). */
  now?: () => Date;
  /** Explicit run id (tests, remote workers); default `newRunId(startedAt)`. */
  runId?: string;
}

export interface MetricOptions {
  unit?: string;
  stepId?: string;
  /** Extra fields written with the metric (redacted like everything else). */
  tags?: Record<string, unknown>;
}

export interface FinishResult {
  status: RunStatusDoc;
  record: RunRecord;
}

export interface RunSession {
  readonly runId: string;
  /** Absolute run log folder. */
  readonly dir: string;
  /** The folder relative to the project root (POSIX separators), as stored in the run index. */
  readonly relativeDir: string;
  readonly eventsPath: string;
  readonly metricsPath: string;
  readonly statusPath: string;
  readonly startedAt: Date;
  readonly profile: string | null;
  readonly redactor: Redactor;
  /** Appends `{ts, run_id, event, ...fields}` to events.jsonl. Fields named ts/run_id/event are ignored. */
  event(name: string, fields?: Record<string, unknown>): void;
  /** Appends `{ts, run_id, metric, value, unit?, step_id?, ...tags}` to metrics.jsonl. */
  metric(name: string, value: number, options?: MetricOptions): void;
  /**
   * Writes a redacted copy into the run folder at `name` (relative, e.g. `manifest.yaml`, `cfg/a.json`).
   * Strings are written as text; anything else as pretty JSON. Returns the absolute path.
   */
  copyArtifact(name: string, contents: string | JsonValue): string;
  /** `artifacts/<stepId>/`, created on first use: the folder a driver may keep files in. */
  stepArtifactsDir(stepId: string): string;
  /** Rewrites status.json atomically and returns what was written (O(steps): at the start and the end only). */
  writeStatus(update: StatusUpdate): RunStatusDoc;
  /** Appends one step's new status to steps.jsonl (O(1), whatever the number of steps). */
  stepChanged(step: StepStatus): void;
  /** Records something the run is about to create outside its folder (see run-claims.ts). */
  claim(claim: RunClaim): void;
  /**
   * Final status.json, one run index record (with `rows_in`/`rows_out`/error), then `close()`.
   * The session is closed even when the index write fails (the error is rethrown).
   */
  finish(
    update: StatusUpdate & { status: 'succeeded' | 'failed' | 'cancelled' },
    lock?: LockOptions,
  ): FinishResult;
  /** Flushes and closes the log files. Idempotent; events and metrics after close are dropped. */
  close(): void;
}

function isoMs(date: Date): string {
  return date.toISOString();
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** A path segment from user data: no separators, no dot-only names. */
function safeSegment(value: string, what: string): string {
  if (!value || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw OsirisError.of(
      'LOG010',
      `invalid ${what} '${value}' for a run log path`,
      {},
      {
        hint: `a ${what} must be a single path segment`,
      },
    );
  }
  return value;
}

/** Resolves the run folder of a new session (exported for tools that need to predict it). */
export function runLogDir(
  project: ProjectConfig,
  pipelineSlug: string,
  runId: string,
  profile: string | null,
): string {
  const parts = [project.paths.runLogs];
  if (profile) parts.push(safeSegment(profile, 'profile'));
  parts.push(safeSegment(pipelineSlug, 'pipeline slug'), safeSegment(runId, 'run id'));
  return join(...parts);
}

/** The profile folder a run of `profile` logs into: none unless profiles are enabled, else it or the default. */
export function sessionProfile(project: ProjectConfig, profile: string | null | undefined): string | null {
  return project.profiles.enabled ? (profile ?? project.profiles.default ?? null) : null;
}

export function openRunSession(options: OpenRunSessionOptions): RunSession {
  const { project, redactor } = options;
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const runId = options.runId ?? newRunId(startedAt);
  const profile = sessionProfile(project, options.profile);
  const dir = runLogDir(project, options.pipelineSlug, runId, profile);
  mkdirSync(join(dir, '..'), { recursive: true });
  try {
    mkdirSync(dir); // not recursive: an existing folder means a run id collision
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw OsirisError.of(
        'LOG011',
        `run log folder already exists: ${dir}`,
        { file: dir },
        {
          hint: 'run ids must be unique; pass no explicit runId or pick a new one',
        },
      );
    }
    throw error;
  }
  const rel = relative(project.root, dir);
  const relativeDir = rel.startsWith('..') || isAbsolute(rel) ? dir : toPosix(rel);
  const eventsPath = join(dir, 'events.jsonl');
  const metricsPath = join(dir, 'metrics.jsonl');
  const statusPath = join(dir, 'status.json');
  let eventsFd: number | undefined = openSync(eventsPath, 'a', 0o644);
  let metricsFd: number | undefined = openSync(metricsPath, 'a', 0o644);
  let stepsFd: number | undefined = openSync(join(dir, STEP_LOG_FILE), 'a', 0o644);
  const processPath = join(dir, RUN_PROCESS_FILE);
  writeFileAtomic(processPath, `${JSON.stringify(currentRunProcess(), null, 2)}\n`);

  const writeLine = (
    fd: number | undefined,
    head: JsonObject,
    fields: Record<string, unknown> | undefined,
  ) => {
    if (fd === undefined) return;
    const line: Record<string, unknown> = { ...head };
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        if (!(k in head) && v !== undefined) line[k] = v;
      }
    }
    writeSync(fd, Buffer.from(`${JSON.stringify(redactor.redactValue(line))}\n`, 'utf8'));
  };

  const writeStatus = (update: StatusUpdate): RunStatusDoc => {
    const final = update.status !== 'running';
    const finishedAt = final ? (update.finishedAt ?? now()) : undefined;
    const doc: RunStatusDoc = {
      run_id: runId,
      pipeline: options.pipelineSlug,
      manifest_hash: options.manifestHash,
      manifest_short: options.manifestShort,
      profile,
      status: update.status,
      started_at: isoMs(startedAt),
      finished_at: finishedAt ? isoMs(finishedAt) : null,
      duration_ms: finishedAt ? Math.max(0, finishedAt.getTime() - startedAt.getTime()) : null,
      rows_in: update.rowsIn ?? null,
      rows_out: update.rowsOut ?? null,
      steps: update.steps,
    };
    if (update.error) doc.error = update.error;
    const clean = redactor.redactValue(doc) as unknown as RunStatusDoc;
    // Ids and hashes are not secrets; keep them exact even if a short secret value collides with them.
    const written: RunStatusDoc = {
      ...clean,
      run_id: runId,
      pipeline: options.pipelineSlug,
      manifest_hash: options.manifestHash,
      manifest_short: options.manifestShort,
    };
    writeFileAtomic(statusPath, `${JSON.stringify(written, null, 2)}\n`);
    return written;
  };

  const close = () => {
    for (const fd of [eventsFd, metricsFd, stepsFd]) {
      if (fd === undefined) continue;
      try {
        fsyncSync(fd);
      } catch {
        // best effort
      }
      closeSync(fd);
    }
    eventsFd = undefined;
    metricsFd = undefined;
    stepsFd = undefined;
  };

  const session: RunSession = {
    runId,
    dir,
    relativeDir,
    eventsPath,
    metricsPath,
    statusPath,
    startedAt,
    profile,
    redactor,
    event(name, fields) {
      writeLine(eventsFd, { ts: isoMs(now()), run_id: runId, event: name }, fields);
    },
    metric(name, value, metricOptions = {}) {
      const head: JsonObject = { ts: isoMs(now()), run_id: runId, metric: name, value };
      if (metricOptions.unit !== undefined) head.unit = metricOptions.unit;
      if (metricOptions.stepId !== undefined) head.step_id = metricOptions.stepId;
      writeLine(metricsFd, head, metricOptions.tags);
    },
    copyArtifact(name, contents) {
      const norm = normalize(name);
      if (!name || isAbsolute(name) || norm.startsWith('..') || norm === '.') {
        throw OsirisError.of(
          'LOG012',
          `artifact name '${name}' must be a relative path inside the run folder`,
        );
      }
      const target = join(dir, norm);
      const text =
        typeof contents === 'string'
          ? redactor.redactText(contents)
          : `${JSON.stringify(redactor.redactValue(contents), null, 2)}\n`;
      // Copies of inputs the build keeps durably: atomic, but not fsynced one by one (see fs-atomic.ts).
      writeFileAtomic(target, text, { durable: false });
      return target;
    },
    stepArtifactsDir(stepId) {
      const path = join(dir, 'artifacts', safeSegment(stepId, 'step id'));
      mkdirSync(path, { recursive: true });
      return path;
    },
    writeStatus,
    stepChanged(step) {
      if (stepsFd === undefined) return;
      writeSync(stepsFd, Buffer.from(`${JSON.stringify(redactor.redactValue(step))}\n`, 'utf8'));
    },
    claim(claim) {
      appendClaim(dir, claim);
    },
    finish(update, lock = {}) {
      try {
        const status = writeStatus(update);
        const record = runRecordOf(status, relativeDir);
        const indexed = appendRunRecord(project, record, { ...lock, redactor });
        // Recorded and final: nothing for a later sweep to look at — unless the run claimed temp files or
        // tables, whose removal may have failed (a database that stopped mid-write); the sweep checks those.
        if (!existsSync(join(dir, CLAIMS_FILE))) rmSync(processPath, { force: true });
        return { status, record: indexed };
      } finally {
        close();
      }
    },
    close,
  };

  writeStatus({ status: 'running', steps: [] });
  return session;
}
