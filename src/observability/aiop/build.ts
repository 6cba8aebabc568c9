/**
 * Builds the full (untruncated) AIOP document from the run folder inputs. Pure: the same inputs and config
 * give the same document. Everything that came from the run passes through the redactor once more and has
 * the project root stripped from paths, so packages are safe to share and identical across machines.
 */
import { sep } from 'node:path';
import type { JsonObject, JsonValue } from '../../yaml/json.js';
import { isJsonObject } from '../../yaml/json.js';
import type { Redactor } from '../redact.js';
import type { ResolvedAiopConfig } from './config.js';
import { buildDelta, buildNarrative } from './narrative.js';
import type { AiopInputs } from './read.js';
import {
  AIOP_FORMAT,
  AIOP_SCHEMA_ID,
  type AiopDocument,
  type AiopRun,
  type ArtifactItem,
  type ComponentInfo,
  type DagNode,
  type ErrorItem,
  type EvidenceId,
  type MetricsLayer,
  type NarrativeLayer,
  type OutputItem,
  type SemanticLayer,
  type SemanticStep,
  type StepMetrics,
  type TimelineItem,
} from './types.js';

export interface ComponentFacts {
  version: string | null;
  title: string | null;
  modes: string[];
  runnable: boolean | null;
}

export interface BuildOptions {
  config: ResolvedAiopConfig;
  redactor: Redactor;
  /** Registry facts about a component (spec version, modes, driver); unknown → null fields. */
  componentFacts?: (name: string) => ComponentFacts | undefined;
  /** `osiris-etl/<version>`. */
  generator: string;
}

export interface BuiltDocument {
  document: AiopDocument;
  /** Every timeline item (density not applied): the annex writes these. */
  allTimeline: TimelineItem[];
  /** Ids the narrative and the errors point at: truncation keeps them. */
  pinned: Set<EvidenceId>;
}

/** Events kept at density `low` (plus anything an error or the narrative points at). */
export const LIFECYCLE_EVENTS = new Set([
  'run_start',
  'run_complete',
  'run_failed',
  'step_start',
  'step_complete',
  'step_failed',
  'step_skipped',
  'step_retry',
  'warning',
  // One or two per incremental step: the window read and the cursor committed are what a reader asks first.
  'incremental.window',
  'incremental.state_committed',
  'incremental.full_refresh',
]);

/** Events left out at density `medium`: high-frequency progress and debugging chatter. */
export function isNoiseEvent(name: string): boolean {
  return /(^|[._-])(progress|heartbeat|debug|trace)$/.test(name) || /^(debug|trace)([._-]|$)/.test(name);
}

function isErrorEvent(name: string): boolean {
  return /(^|[._-])(error|failed|failure)$/.test(name);
}

/** Longest string kept in a step config copy. */
const CONFIG_STRING_LIMIT = 2000;

/** Strips the project root from every string (`/home/u/proj/out/x.csv` → `out/x.csv`). */
export function relativizer(root: string): (value: JsonValue) => JsonValue {
  const prefixes = [...new Set([`${root}${sep}`, `${root}/`])];
  const fix = (text: string): string => {
    if (text === root) return '.';
    let out = text;
    for (const p of prefixes) if (out.includes(p)) out = out.split(p).join('');
    return out;
  };
  const walk = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') return fix(v);
    if (Array.isArray(v)) return v.map(walk);
    if (isJsonObject(v)) {
      const out: JsonObject = {};
      for (const [k, x] of Object.entries(v)) out[fix(k)] = walk(x);
      return out;
    }
    return v;
  };
  return walk;
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: JsonValue | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

function cutStrings(value: JsonValue, limit: number): JsonValue {
  if (typeof value === 'string') {
    return value.length > limit ? `${value.slice(0, limit)}… (+${value.length - limit} chars)` : value;
  }
  if (Array.isArray(value)) return value.map((x) => cutStrings(x, limit));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(value)) out[k] = cutStrings(x, limit);
    return out;
  }
  return value;
}

/** Aggregation of a metric over its samples: peaks and maxima take the max, everything else sums. */
function isMaxMetric(name: string): boolean {
  return /(^|_)(peak|max|high_water)(_|$)/.test(name);
}

const CONNECTION_REF = /^@[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$/;

export function buildDocument(inputs: AiopInputs, options: BuildOptions): BuiltDocument {
  const { record, status, manifest } = inputs;
  const { config, redactor } = options;
  const rel = relativizer(inputs.projectRoot);
  const clean = (v: unknown): JsonValue => rel(redactor.redactValue(v));
  const cleanText = (t: string): string => clean(t) as string;
  const runId = record.run_id;

  // ---- timeline -----------------------------------------------------------------------------------------
  const allTimeline: TimelineItem[] = inputs.events.map(({ seq, event }) => {
    const data: JsonObject = {};
    for (const [k, v] of Object.entries(event)) {
      if (k !== 'ts' && k !== 'run_id' && k !== 'event' && k !== 'step_id') data[k] = v;
    }
    const item: TimelineItem = {
      '@id': `ev.${runId}.${seq}`,
      seq,
      ts: str(event.ts) ?? '',
      event: cleanText(str(event.event) ?? 'unknown'),
      data: clean(data) as JsonObject,
    };
    const stepId = str(event.step_id);
    if (stepId !== undefined) item.step_id = cleanText(stepId);
    return item;
  });

  // ---- errors -------------------------------------------------------------------------------------------
  const errors: ErrorItem[] = [];
  const usedErrorIds = new Map<string, number>();
  const errorId = (kind: 'error' | 'warning', scope: string) => {
    const base = `ev.${kind}.${scope}`;
    const n = (usedErrorIds.get(base) ?? 0) + 1;
    usedErrorIds.set(base, n);
    return n === 1 ? base : `${base}.${n}`;
  };
  const hasStepFailure = allTimeline.some((t) => t.event === 'step_failed');
  for (const t of allTimeline) {
    const d = t.data;
    let item: Omit<ErrorItem, '@id'> | undefined;
    if (t.event === 'step_failed') {
      item = {
        code: str(d.error_code) ?? str(d.code) ?? 'system.error',
        message: str(d.message) ?? str(d.error) ?? 'step failed',
        severity: 'error',
        ts: t.ts,
        event: t['@id'],
      };
    } else if (t.event === 'run_failed') {
      if (hasStepFailure) continue; // the step failure already says it
      item = {
        code: str(d.error_code) ?? 'system.error',
        message: str(d.message) ?? 'run failed',
        severity: 'error',
        ts: t.ts,
        event: t['@id'],
      };
    } else if (t.event === 'step_retry') {
      // A failed attempt that ran again (docs/reference/retries.md): evidence even when the run succeeded.
      const why = [str(d.reason), str(d.code)].filter((x) => x !== undefined).join(' ');
      item = {
        code: 'retry.attempt_failed',
        message: `attempt ${num(d.attempt) ?? '?'} failed with ${str(d.error_code) ?? 'an error'}${why ? ` (transient: ${why})` : ''} and ran again after ${num(d.delay_ms) ?? 0} ms: ${str(d.message) ?? ''}`,
        severity: 'warning',
        ts: t.ts,
        event: t['@id'],
      };
    } else if (t.event === 'warning') {
      item = {
        code: str(d.code) ?? 'warning',
        message: str(d.message) ?? '',
        severity: 'warning',
        ts: t.ts,
        event: t['@id'],
      };
    } else if (isErrorEvent(t.event)) {
      item = {
        code: str(d.error_code) ?? str(d.code) ?? t.event,
        message: str(d.message) ?? str(d.error) ?? t.event,
        severity: 'error',
        ts: t.ts,
        event: t['@id'],
      };
    }
    if (!item) continue;
    if (t.step_id !== undefined) item.step_id = t.step_id;
    const hint = str(d.hint);
    if (hint !== undefined) item.hint = hint;
    errors.push({ '@id': errorId(item.severity, t.step_id ?? 'run'), ...item });
  }

  // ---- run ----------------------------------------------------------------------------------------------
  const stepStatuses = status?.steps ?? [];
  const count = (s: string) => stepStatuses.filter((x) => x.status === s).length;
  const manifestSteps = Array.isArray(manifest?.steps) ? manifest.steps.filter(isJsonObject) : [];
  const total = Math.max(stepStatuses.length, manifestSteps.length);
  const runStart = allTimeline.find((t) => t.event === 'run_start');
  const run: AiopRun = {
    '@id': `ev.run.${runId}`,
    run_id: runId,
    pipeline: record.pipeline_slug,
    profile: record.profile ?? null,
    status: record.status,
    environment: str(runStart?.data.adapter) ?? 'local',
    manifest_hash: record.manifest_hash,
    manifest_short: record.manifest_short,
    started_at: record.started_at,
    finished_at: record.finished_at,
    duration_ms: record.duration_ms,
    rows_in: record.rows_in ?? null,
    rows_out: record.rows_out ?? null,
    steps: {
      total,
      succeeded: count('succeeded'),
      failed: count('failed'),
      skipped: count('skipped'),
      other: total - count('succeeded') - count('failed') - count('skipped'),
    },
    // An id, not a secret (a long mixed-case path can look like a credential to the redactor).
    run_dir: rel(record.run_dir) as string,
  };
  const statusError = status?.error;
  if (statusError || record.error_code) {
    const e: NonNullable<AiopRun['error']> = {
      code: statusError?.code ?? record.error_code ?? 'system.error',
      message: cleanText(statusError?.message ?? record.error_message ?? ''),
    };
    if (statusError?.step_id) e.step_id = statusError.step_id;
    if (statusError?.hint) e.hint = cleanText(statusError.hint);
    run.error = e;
  }

  // ---- metrics ------------------------------------------------------------------------------------------
  const stepInfo = new Map(stepStatuses.map((s) => [s.id, s]));
  const perStep = new Map<string, StepMetrics>();
  const runValues: Record<string, number> = {};
  const runUnits: Record<string, string> = {};
  const add = (
    values: Record<string, number>,
    units: Record<string, string>,
    name: string,
    value: number,
    unit?: string,
  ) => {
    const prev = values[name];
    values[name] = prev === undefined ? value : isMaxMetric(name) ? Math.max(prev, value) : prev + value;
    if (unit !== undefined) units[name] = unit;
  };
  for (const { event: m } of inputs.metrics) {
    const name = str(m.metric);
    const value = num(m.value);
    if (name === undefined || value === null) continue;
    const metricName = cleanText(name);
    const unit = str(m.unit);
    const stepId = str(m.step_id);
    if (stepId === undefined) {
      add(runValues, runUnits, metricName, value, unit);
      continue;
    }
    let entry = perStep.get(stepId);
    if (!entry) {
      const info = stepInfo.get(stepId);
      entry = {
        '@id': `ev.metric.${stepId}`,
        step_id: stepId,
        component: info?.component ?? null,
        status: info?.status ?? null,
        values: {},
        units: {},
        samples: 0,
      };
      perStep.set(stepId, entry);
    }
    entry.samples++;
    add(entry.values, entry.units, metricName, value, unit);
  }
  const durationOf = (s: StepMetrics) => s.values.duration_ms ?? stepInfo.get(s.step_id)?.duration_ms ?? 0;
  const sortedSteps = [...perStep.values()].sort(
    (a, b) => durationOf(b) - durationOf(a) || (a.step_id < b.step_id ? -1 : a.step_id > b.step_id ? 1 : 0),
  );
  const topk = config.values.metrics_topk;
  const metrics: MetricsLayer = {
    total_samples: inputs.metrics.length,
    run: { '@id': `ev.metric.${runId}`, values: runValues, units: runUnits },
    totals: {
      rows_in: record.rows_in ?? null,
      rows_out: record.rows_out ?? null,
      duration_ms: record.duration_ms,
      active_duration_ms: stepStatuses.reduce((acc, s) => acc + (s.duration_ms ?? 0), 0),
    },
    steps: sortedSteps.slice(0, topk),
    truncated: sortedSteps.length > topk,
    dropped: Math.max(0, sortedSteps.length - topk),
  };

  // ---- artifacts and outputs ----------------------------------------------------------------------------
  const artifacts: ArtifactItem[] = inputs.files.map((f) => ({
    '@id': `ev.artifact.${f.path}`,
    path: f.path,
    size_bytes: f.size_bytes,
    sha256: f.sha256,
  }));
  const modeOf = new Map(manifestSteps.map((s) => [str(s.id) ?? '', str(s.mode) ?? '']));
  const outputs: OutputItem[] = [];
  for (const t of allTimeline) {
    if (t.event !== 'step_complete' || t.step_id === undefined || !Array.isArray(t.data.outputs)) continue;
    if (modeOf.size > 0 && modeOf.get(t.step_id) !== 'write') continue;
    for (const o of t.data.outputs)
      if (typeof o === 'string') outputs.push({ step_id: t.step_id, target: o });
  }

  // ---- semantic -----------------------------------------------------------------------------------------
  const steps: SemanticStep[] = [];
  const nodes: DagNode[] = [];
  const edges: SemanticLayer['dag']['edges'] = [];
  const sourceSteps: JsonObject[] =
    manifestSteps.length > 0
      ? manifestSteps
      : stepStatuses.map((s) => ({ id: s.id, component: s.component, mode: '', needs: [] }));
  for (const s of sourceSteps) {
    const id = str(s.id) ?? '';
    const component = str(s.component) ?? '';
    const mode = str(s.mode) ?? '';
    const needs = Array.isArray(s.needs)
      ? s.needs.filter((n): n is string => typeof n === 'string').sort()
      : [];
    const connection = str(s.connection);
    const cfg = inputs.cfgs[id];
    const cfgConfig: JsonObject = {};
    if (cfg) {
      for (const [k, v] of Object.entries(cfg)) {
        if (k !== 'component' && k !== 'mode' && k !== 'connection') cfgConfig[k] = v;
      }
    }
    const step: SemanticStep = {
      id,
      component,
      mode,
      needs,
      cfg_fp: str(s.cfg_fp) ?? null,
      config_keys: Object.keys(cfgConfig).sort(),
    };
    if (cfg) step.config = cutStrings(clean(cfgConfig), CONFIG_STRING_LIMIT) as JsonObject;
    const node: DagNode = { id, component, mode, status: stepInfo.get(id)?.status ?? null };
    if (connection !== undefined && CONNECTION_REF.test(connection)) {
      step.connection = connection;
      node.connection = connection;
    }
    steps.push(step);
    nodes.push(node);
    for (const n of needs) edges.push({ from: n, to: id, relation: 'needs' });
  }
  edges.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  const needed = new Set(edges.map((e) => e.from));
  const componentNames = [...new Set(steps.map((s) => s.component))].sort();
  const components: ComponentInfo[] = componentNames.map((name) => {
    const facts = options.componentFacts?.(name);
    return {
      name,
      version: facts?.version ?? null,
      title: facts?.title ?? null,
      modes: facts?.modes ?? [],
      runnable: facts?.runnable ?? null,
      used_by: steps.filter((s) => s.component === name).map((s) => s.id),
    };
  });
  const meta = isJsonObject(manifest?.meta) ? manifest.meta : {};
  const pipelineObj = isJsonObject(manifest?.pipeline) ? manifest.pipeline : {};
  const fps = isJsonObject(pipelineObj.fingerprints) ? pipelineObj.fingerprints : {};
  const fingerprints: Record<string, string | null> = {};
  for (const k of Object.keys(fps).sort()) {
    if (k === 'profile') continue;
    fingerprints[k] = str(fps[k]) ?? null;
  }
  const semantic: SemanticLayer = {
    pipeline: {
      id: str(pipelineObj.id) ?? record.pipeline_slug,
      name: cleanText(str(manifest?.name) ?? record.pipeline_slug),
      description:
        str(manifest?.description) !== undefined ? cleanText(str(manifest?.description) as string) : null,
      oml_version: str(meta.oml_version) ?? null,
      compiler: str(meta.compiler) ?? null,
      manifest_hash: record.manifest_hash,
      fingerprints,
    },
    dag: {
      nodes,
      edges,
      counts: { nodes: nodes.length, edges: edges.length },
      roots: steps.filter((s) => s.needs.length === 0).map((s) => s.id),
      leaves: steps.filter((s) => !needed.has(s.id)).map((s) => s.id),
    },
    components,
    connections: [...new Set(steps.flatMap((s) => (s.connection ? [s.connection] : [])))].sort(),
    steps,
    configs_truncated: false,
  };

  // ---- intent, delta, narrative -------------------------------------------------------------------------
  const metadataIntent = isJsonObject(manifest?.metadata) ? str(manifest.metadata.intent) : undefined;
  let intent: NarrativeLayer['intent'];
  if (metadataIntent?.trim()) {
    intent = { text: cleanText(metadataIntent.trim()), source: 'manifest.metadata.intent', known: true };
  } else if (semantic.pipeline.description?.trim()) {
    intent = { text: semantic.pipeline.description.trim(), source: 'manifest.description', known: true };
  } else {
    const by = (mode: string) => [...new Set(steps.filter((s) => s.mode === mode).map((s) => s.component))];
    const parts: string[] = [];
    if (by('read').length) parts.push(`reads with ${by('read').join(', ')}`);
    if (by('transform').length) parts.push(`transforms with ${by('transform').join(', ')}`);
    if (by('write').length) parts.push(`writes with ${by('write').join(', ')}`);
    intent = {
      text: `It ${parts.length ? parts.join(', then ') : `runs ${steps.length} steps`}.`,
      source: 'inferred',
      known: false,
    };
  }
  const currentCodes = errors.map((e) => e.code);
  const delta = buildDelta(runId, run, currentCodes, inputs.previous, config.values.delta);
  const { narrative, cited } = buildNarrative({
    run,
    semantic,
    timeline: allTimeline,
    errors,
    artifacts,
    outputs,
    delta,
    intent,
  });

  // ---- timeline by density ------------------------------------------------------------------------------
  const pinned = new Set<EvidenceId>(cited);
  for (const e of errors) {
    pinned.add(e['@id']);
    pinned.add(e.event);
  }
  const density = config.values.timeline_density;
  const keep = (t: TimelineItem) =>
    pinned.has(t['@id']) ||
    density === 'high' ||
    LIFECYCLE_EVENTS.has(t.event) ||
    (density === 'medium' && !isNoiseEvent(t.event));
  const events = allTimeline.filter(keep);

  const cv = config.sources;
  const document: AiopDocument = {
    $schema: AIOP_SCHEMA_ID,
    aiop_format: AIOP_FORMAT,
    run,
    evidence: {
      timeline: {
        total: allTimeline.length,
        density,
        excluded_by_density: allTimeline.length - events.length,
        dropped: 0,
        truncated: false,
        events,
      },
      metrics,
      errors,
      artifacts: {
        files: artifacts,
        total: artifacts.length,
        total_bytes: artifacts.reduce((a, f) => a + f.size_bytes, 0),
        truncated: false,
        dropped: 0,
      },
      outputs,
    },
    semantic,
    narrative,
    metadata: {
      aiop_format: AIOP_FORMAT,
      generator: options.generator,
      evidence_id_scheme:
        'ev.<run_id>.<seq> = line <seq> of events.jsonl; ev.metric.<step_id|run_id>; ev.error.<step_id|run>[.<n>]; ev.warning.<step_id|run>[.<n>]; ev.artifact.<path in run folder>; ev.delta.<run_id>; ev.run.<run_id>',
      config: Object.fromEntries(
        Object.keys(cv)
          .sort()
          .map((k) => [k, cv[k as keyof typeof cv]]),
      ),
      config_warnings: [...options.config.warnings],
      delta,
      truncated: false,
      truncation: [],
      size: { core_bytes: 0, max_core_bytes: config.values.max_core_bytes, within_budget: true },
      annex: {
        policy: config.values.policy,
        compress: config.values['annex.compress'],
        dir: null,
        files: [],
      },
      sources: inputs.sources,
    },
  };
  if (metrics.truncated) {
    document.metadata.truncation.push({
      path: 'evidence.metrics.steps',
      kept: metrics.steps.length,
      dropped: metrics.dropped,
      reason: `metrics_topk=${topk}`,
    });
    document.metadata.truncated = true;
  }
  return { document, allTimeline, pinned };
}
