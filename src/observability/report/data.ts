/**
 * What an HTML run report shows, gathered from one run folder: the run index record, `status.json`,
 * `events.jsonl`, `metrics.jsonl`, the copied `manifest.yaml` and `cfg/<step>.json`, the output previews
 * (`preview/<step>.json`) and the previous successful run. The loader does all file access; the renderer
 * (`render.ts`) is a pure function of the `RunReportData` it returns.
 *
 * Times are kept as ISO strings plus millisecond offsets from the run start, so the rendering never needs
 * a clock or a time zone and the same run always renders to the same bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ProjectConfig } from '../../project/config.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../yaml/json.js';
import { loadRunDetails } from '../logs-view.js';
import type { RunOutcome, RunRecord } from '../run-index.js';
import type { RunErrorInfo, StepState } from '../session.js';
import { type CurrentTotals, loadComparison, type ReportComparison } from './compare.js';
import { fileLink, loadStepDetail, type ReportLink, type StepDetail } from './details.js';
import type { TimelinePhase } from './svg.js';

export type { ReportComparison } from './compare.js';
export type { ReportLink, ReportOutput, ReportPreview, StepDetail } from './details.js';
export { relativeHref } from './details.js';

export type ReportRunStatus = RunOutcome | 'running';
/** Where the run executed: the target's name (`local`, `process`, `e2b`). */
export type ReportEnvironment = string;

export interface ReportStep {
  id: string;
  component: string;
  /** OML mode (`read`, `transform`, `write`) when the manifest copy is available. */
  mode: string | null;
  needs: string[];
  /** `@family.alias` as written in the pipeline; never a resolved connection. */
  connection: string | null;
  status: StepState;
  rows_in: number | null;
  rows_out: number | null;
  duration_ms: number | null;
  /** Start and end as milliseconds after the run start (from step_start / step_complete / step_failed). */
  start_ms: number | null;
  end_ms: number | null;
  error: RunErrorInfo | null;
  /** SQL, config, output schema and preview, links. */
  detail: StepDetail;
}

/** One `step_retry` event: a failed attempt that ran again, and why (docs/reference/retries.md). */
export interface ReportRetry {
  step_id: string;
  attempt: number | null;
  /** transient (always, for a retry) */
  classification: string | null;
  reason: string | null;
  /** SQLSTATE, errno or socket code that decided. */
  code: string | null;
  error_code: string | null;
  message: string | null;
  delay_ms: number | null;
  offset_ms: number | null;
}

export interface ReportEvent {
  /** Position in events.jsonl (0-based): keeps the table in file order. */
  seq: number;
  ts: string;
  offset_ms: number | null;
  event: string;
  step_id: string | null;
  /** Every other field of the line. */
  fields: JsonObject;
}

export interface ReportMetric {
  seq: number;
  ts: string;
  offset_ms: number | null;
  metric: string;
  value: number;
  unit: string | null;
  step_id: string | null;
  /** Extra fields of the line. */
  tags: JsonObject;
}

export interface ReportConnection {
  step_id: string;
  /** `@family.alias`. */
  ref: string;
}

export interface RunReportData {
  run: {
    run_id: string;
    pipeline: string;
    /** OML `name` / `description` from the manifest copy. */
    name: string | null;
    description: string | null;
    profile: string | null;
    status: ReportRunStatus;
    started_at: string;
    finished_at: string | null;
    duration_ms: number | null;
    rows_in: number | null;
    rows_out: number | null;
    /** True when the totals were summed from the steps that ran before a failure (status.json had none). */
    rows_partial: boolean;
    manifest_hash: string;
    manifest_short: string;
    environment: ReportEnvironment;
    /** The adapter named by the run_start event (`local`, `e2b`, …). */
    adapter: string;
    /** Where a remote target ran it (run_start's `worker_id`: `e2b sandbox <id>`, `pid 1234`), else null. */
    worker_id: string | null;
    /** Run folder as recorded in the index (relative to the project root). */
    run_dir: string;
    steps_total: number;
    steps_succeeded: number;
  };
  error: RunErrorInfo | null;
  steps: ReportStep[];
  events: ReportEvent[];
  /** Every step_retry of the run, in order (never cut by `maxEvents`). */
  retries: ReportRetry[];
  /** Events left out of `events` because of `maxEvents` (the timeline still uses all of them). */
  events_omitted: number;
  metrics: ReportMetric[];
  metrics_omitted: number;
  connections: ReportConnection[];
  /** Effective params of the manifest (secret-looking names masked by the compiler). */
  params: JsonObject | null;
  /** Links to the run folder's files (manifest, status, events, metrics) that exist. */
  files: ReportLink[];
  comparison: ReportComparison;
  /** Stretches of the run that are no step (starting DuckDB), for the timeline. */
  phases: TimelinePhase[];
  /** Problems reading the run folder (e.g. removed by retention). */
  warnings: string[];
  /** `osiris <version>`, shown in the footer. */
  generator: string;
}

export interface LoadReportOptions {
  /** At most this many events / metrics in the tables (default 5000 each). */
  maxEvents?: number;
  maxMetrics?: number;
  /** Shown in the footer (default `osiris`). */
  generator?: string;
  /** Folder the page is written to: links are relative to it (default: the run folder). */
  reportDir?: string;
}

const CONNECTION_REF = /^@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?$/;

/** A connection reference safe to show: `@family.alias` only; anything else is masked. */
export function safeConnectionRef(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return CONNECTION_REF.test(value) ? value : '***';
}

const num = (v: JsonValue | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

function timeOf(iso: string | null | undefined): number {
  if (!iso) return Number.NaN;
  return new Date(iso).getTime();
}

function offsetOf(ts: string | null, t0: number): number | null {
  const t = timeOf(ts);
  return Number.isNaN(t) || Number.isNaN(t0) ? null : t - t0;
}

interface ManifestInfo {
  name: string | null;
  description: string | null;
  params: JsonObject | null;
  steps: { id: string; component: string; mode: string | null; needs: string[]; connection: unknown }[];
}

function readManifest(runDir: string, warnings: string[]): ManifestInfo | null {
  const file = join(runDir, 'manifest.yaml');
  if (!existsSync(file)) return null;
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch {
    warnings.push('manifest.yaml in the run folder could not be parsed');
    return null;
  }
  if (!isJsonObject(doc)) return null;
  const steps: ManifestInfo['steps'] = [];
  for (const s of Array.isArray(doc.steps) ? doc.steps : []) {
    if (!isJsonObject(s) || typeof s.id !== 'string') continue;
    steps.push({
      id: s.id,
      component: typeof s.component === 'string' ? s.component : '',
      mode: typeof s.mode === 'string' ? s.mode : null,
      needs: Array.isArray(s.needs) ? s.needs.filter((n): n is string => typeof n === 'string') : [],
      connection: s.connection,
    });
  }
  const params = isJsonObject(doc.params) ? doc.params : null;
  return { name: str(doc.name), description: str(doc.description), params, steps };
}

const EVENT_HEAD = new Set(['ts', 'run_id', 'event', 'step_id']);
const METRIC_HEAD = new Set(['ts', 'run_id', 'metric', 'value', 'unit', 'step_id']);

function rest(line: JsonObject, skip: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(line)) if (!skip.has(k)) out[k] = v;
  return out;
}

/** Builds the report data of one indexed run. Never throws for a damaged or removed run folder. */
export function loadRunReportData(
  project: ProjectConfig,
  record: RunRecord,
  options: LoadReportOptions = {},
): RunReportData {
  const details = loadRunDetails(project, record);
  const warnings = [...details.warnings];
  const status = details.status;
  const manifest = readManifest(details.runDir, warnings);
  const startedAt = status?.started_at ?? record.started_at;
  const t0 = timeOf(startedAt);

  // Step timing from the events (status.json has durations but no start times).
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  const eventNeeds = new Map<string, string[]>();
  const eventComponent = new Map<string, string>();
  const eventRows = new Map<string, { in: number | null; out: number | null }>();
  const eventOutputs = new Map<string, string[]>();
  const resolvedConnections = new Map<string, unknown>();
  let adapter = 'local';
  let workerId: string | null = null;
  const phases: TimelinePhase[] = [];
  const retries: ReportRetry[] = [];
  const events: ReportEvent[] = details.events.map((line, seq) => {
    const ts = str(line.ts) ?? '';
    const name = str(line.event) ?? '?';
    const stepId = str(line.step_id);
    const offset = offsetOf(ts, t0);
    if (name === 'run_start' && typeof line.adapter === 'string') adapter = line.adapter;
    if (name === 'run_start' && typeof line.worker_id === 'string') workerId = line.worker_id;
    const took = num(line.duration_ms);
    if (name === 'data_plane' && offset !== null && took !== null)
      phases.push({ label: 'start DuckDB', start_ms: offset - took, end_ms: offset });
    if (stepId !== null && offset !== null) {
      if (name === 'step_start') {
        starts.set(stepId, offset);
        if (Array.isArray(line.needs)) {
          eventNeeds.set(
            stepId,
            line.needs.filter((n): n is string => typeof n === 'string'),
          );
        }
        if (typeof line.component === 'string') eventComponent.set(stepId, line.component);
      } else if (name === 'step_complete' || name === 'step_failed') {
        const start = starts.get(stepId);
        const duration = num(line.duration_ms);
        ends.set(stepId, start !== undefined && duration !== null ? start + duration : offset);
        if (name === 'step_complete') {
          eventRows.set(stepId, { in: num(line.rows_in), out: num(line.rows_out) });
          if (Array.isArray(line.outputs))
            eventOutputs.set(
              stepId,
              line.outputs.filter((o): o is string => typeof o === 'string'),
            );
        }
      }
    }
    if (name === 'connection_resolved' && stepId !== null) resolvedConnections.set(stepId, line.connection);
    if (name === 'step_retry' && stepId !== null)
      retries.push({
        step_id: stepId,
        attempt: num(line.attempt),
        classification: str(line.classification),
        reason: str(line.reason),
        code: str(line.code),
        error_code: str(line.error_code),
        message: str(line.message),
        delay_ms: num(line.delay_ms),
        offset_ms: offset,
      });
    return { seq, ts, offset_ms: offset, event: name, step_id: stepId, fields: rest(line, EVENT_HEAD) };
  });
  const metrics: ReportMetric[] = [];
  details.metrics.forEach((line, seq) => {
    const value = num(line.value);
    if (value === null) return;
    const ts = str(line.ts) ?? '';
    metrics.push({
      seq,
      ts,
      offset_ms: offsetOf(ts, t0),
      metric: str(line.metric) ?? '?',
      value,
      unit: str(line.unit),
      step_id: str(line.step_id),
      tags: rest(line, METRIC_HEAD),
    });
  });

  // Steps in manifest (execution) order; fall back to status.json, then to the events.
  const statusSteps = new Map((status?.steps ?? []).map((s) => [s.id, s]));
  const order: string[] = manifest?.steps.map((s) => s.id) ?? [];
  for (const s of status?.steps ?? []) if (!order.includes(s.id)) order.push(s.id);
  for (const id of starts.keys()) if (!order.includes(id)) order.push(id);
  const manifestSteps = new Map((manifest?.steps ?? []).map((s) => [s.id, s]));
  const reportDir = options.reportDir ?? details.runDir;
  const steps: ReportStep[] = order.map((id) => {
    const m = manifestSteps.get(id);
    const s = statusSteps.get(id);
    const rows = eventRows.get(id);
    const start = starts.get(id) ?? null;
    const end = ends.get(id) ?? null;
    let state: StepState = s?.status ?? (end !== null ? 'succeeded' : start !== null ? 'running' : 'pending');
    // The index only records finished runs: a step still "running" there never finished.
    if (state === 'running' && status?.status !== 'running') state = 'failed';
    return {
      id,
      component: m?.component || s?.component || eventComponent.get(id) || '',
      mode: m?.mode ?? null,
      needs: [...(m?.needs ?? eventNeeds.get(id) ?? [])],
      connection: safeConnectionRef(m?.connection ?? resolvedConnections.get(id)),
      status: state,
      rows_in: s?.rows_in ?? rows?.in ?? null,
      rows_out: s?.rows_out ?? rows?.out ?? null,
      duration_ms: s?.duration_ms ?? (start !== null && end !== null ? end - start : null),
      start_ms: start,
      end_ms: end,
      error: s?.error ?? null,
      detail: loadStepDetail(details.runDir, id, eventOutputs.get(id) ?? [], reportDir),
    };
  });
  fillFailedStepInputs(steps);

  const error: RunErrorInfo | null =
    status?.error ??
    (record.error_code || record.error_message
      ? { code: record.error_code ?? 'error', message: record.error_message ?? '' }
      : null);
  const connections: ReportConnection[] = steps
    .filter((s) => s.connection !== null)
    .map((s) => ({ step_id: s.id, ref: s.connection as string }));

  const maxEvents = options.maxEvents ?? 5000;
  const maxMetrics = options.maxMetrics ?? 5000;
  const runStatus: ReportRunStatus =
    status?.status === 'running' ? 'running' : (status?.status ?? record.status);
  const recorded = {
    in: status?.rows_in ?? record.rows_in ?? null,
    out: status?.rows_out ?? record.rows_out ?? null,
  };
  const partial = runStatus !== 'succeeded' && (recorded.in === null || recorded.out === null);
  const before = partial ? rowsBeforeFailure(steps, metrics) : { in: null, out: null };
  const totals: CurrentTotals = {
    manifest_hash: record.manifest_hash,
    rows_in: recorded.in ?? before.in,
    rows_out: recorded.out ?? before.out,
    duration_ms: status?.duration_ms ?? record.duration_ms ?? null,
  };
  const codes = steps.flatMap((s) => (s.error ? [s.error.code] : []));
  const runDir = details.runDir;
  return {
    run: {
      run_id: record.run_id,
      pipeline: record.pipeline_slug,
      name: manifest?.name ?? null,
      description: manifest?.description ?? null,
      profile: record.profile,
      status: runStatus,
      started_at: startedAt,
      finished_at: status?.finished_at ?? record.finished_at ?? null,
      duration_ms: totals.duration_ms,
      rows_in: totals.rows_in,
      rows_out: totals.rows_out,
      rows_partial: partial && (totals.rows_in !== null || totals.rows_out !== null),
      manifest_hash: record.manifest_hash,
      manifest_short: record.manifest_short,
      environment: adapter,
      adapter,
      worker_id: workerId,
      run_dir: record.run_dir,
      steps_total: steps.length,
      steps_succeeded: steps.filter((s) => s.status === 'succeeded').length,
    },
    error,
    steps,
    events: events.slice(0, maxEvents),
    retries,
    events_omitted: Math.max(0, events.length - maxEvents),
    metrics: metrics.slice(0, maxMetrics),
    metrics_omitted: Math.max(0, metrics.length - maxMetrics),
    connections,
    params: manifest?.params ?? null,
    files: RUN_FILES.flatMap((f) => fileLink(reportDir, join(runDir, f), f) ?? []),
    comparison: loadComparison(project, record, totals, codes, reportDir),
    phases,
    warnings,
    generator: options.generator ?? 'osiris',
  };
}

/** Files of the run folder the report links to, when present. */
const RUN_FILES = ['manifest.yaml', 'status.json', 'events.jsonl', 'metrics.jsonl'];

/** A failed step never reports its input rows: they are what its inputs produced, when all of them did. */
function fillFailedStepInputs(steps: ReportStep[]): void {
  const byId = new Map(steps.map((s) => [s.id, s]));
  for (const step of steps) {
    if (step.status !== 'failed' || step.rows_in !== null || step.needs.length === 0) continue;
    const ins = step.needs.map((id) => byId.get(id)?.rows_out ?? null);
    if (ins.every((n) => n !== null)) step.rows_in = ins.reduce((a, b) => a + b, 0);
  }
}

/**
 * Totals of a run that stopped: what its extractors read and its writers wrote before the failure (the
 * rule of status.json: rows out are the writers' rows, else the extractors').
 */
function rowsBeforeFailure(
  steps: readonly ReportStep[],
  metrics: readonly ReportMetric[],
): { in: number | null; out: number | null } {
  const metricSum = (name: string, ids: ReadonlySet<string>): number | null => {
    let total: number | null = null;
    for (const m of metrics)
      if (m.metric === name && m.step_id !== null && ids.has(m.step_id)) total = (total ?? 0) + m.value;
    return total;
  };
  const readers = steps.filter((s) => s.mode === 'read');
  const writers = steps.filter((s) => s.mode === 'write');
  const readIds = new Set(readers.map((s) => s.id));
  const read =
    metricSum('rows_read', readIds) ??
    readers.reduce<number | null>((t, s) => (s.rows_out === null ? t : (t ?? 0) + s.rows_out), null);
  if (writers.length === 0) return { in: read, out: read };
  return { in: read, out: metricSum('rows_written', new Set(writers.map((s) => s.id))) ?? 0 };
}

/** One row of the runs index page. */
export interface IndexEntry {
  record: RunRecord;
  /** Link to the run's report relative to the index page, or null when the run folder is gone. */
  href: string | null;
}

export interface RunIndexData {
  title: string;
  entries: IndexEntry[];
  generator: string;
}
