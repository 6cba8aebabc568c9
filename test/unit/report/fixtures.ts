/**
 * Synthetic runs written through the real session API (openRunSession) with a fixed clock and run id, the
 * same events the runner emits, so report tests read exactly the files a real run leaves.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor } from '../../../src/observability/redact.js';
import type { RunRecord } from '../../../src/observability/run-index.js';
import { openRunSession, type StepStatus } from '../../../src/observability/session.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';

export const HASH = '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';

export function tempProject(prefix = 'osiris-report-'): ProjectConfig {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return loadProjectConfig({ cwd: root, env: {} });
}

export interface FakeStep {
  id: string;
  component: string;
  mode: 'read' | 'transform' | 'write';
  needs?: string[];
  connection?: string;
  /** Outcome; default succeeded. */
  outcome?: 'succeeded' | 'failed' | 'skipped';
  rowsIn?: number;
  rowsOut?: number;
  durationMs?: number;
  error?: { code: string; message: string; hint?: string };
  /** Extra events emitted by the driver while the step runs. */
  extraEvents?: { name: string; fields: Record<string, unknown> }[];
}

export interface FakeRunOptions {
  project?: ProjectConfig;
  pipeline?: string;
  runId?: string;
  start?: string;
  steps?: FakeStep[];
  secretValues?: string[];
  adapter?: string;
  description?: string;
}

export const THREE_STEPS: FakeStep[] = [
  {
    id: 'extract-people',
    component: 'filesystem.csv_extractor',
    mode: 'read',
    rowsOut: 1200,
    durationMs: 40,
    connection: '@filesystem.landing',
  },
  {
    id: 'top-scorers',
    component: 'duckdb.processor',
    mode: 'transform',
    needs: ['extract-people'],
    rowsIn: 1200,
    rowsOut: 300,
    durationMs: 25,
  },
  {
    id: 'write-top',
    component: 'filesystem.csv_writer',
    mode: 'write',
    needs: ['top-scorers'],
    rowsIn: 300,
    rowsOut: 300,
    durationMs: 10,
  },
];

function manifestYaml(pipeline: string, steps: FakeStep[], description?: string): string {
  const lines = ['---'];
  if (description) lines.push(`description: ${JSON.stringify(description)}`);
  lines.push('meta:', `  manifest_hash: ${HASH}`, '  manifest_short: 2c26b46', '  profile: dev');
  lines.push(`name: ${pipeline}`, 'pipeline:', `  id: ${pipeline}`, 'steps:');
  for (const s of steps) {
    lines.push(`  - id: ${s.id}`, `    component: ${s.component}`, `    mode: ${s.mode}`);
    if (s.connection) lines.push(`    connection: ${JSON.stringify(s.connection)}`);
    lines.push(`    needs: [${(s.needs ?? []).join(', ')}]`);
  }
  lines.push('...', '');
  return lines.join('\n');
}

/** Writes a finished run the way the runner does and returns its index record and folder. */
export function fakeRun(options: FakeRunOptions = {}): {
  project: ProjectConfig;
  record: RunRecord;
  dir: string;
} {
  const project = options.project ?? tempProject();
  const pipeline = options.pipeline ?? 'people-report';
  const steps = options.steps ?? THREE_STEPS;
  let t = Date.parse(options.start ?? '2025-03-14T09:15:02.000Z');
  const now = () => new Date(t);
  const session = openRunSession({
    project,
    pipelineSlug: pipeline,
    manifestHash: HASH,
    manifestShort: '2c26b46',
    profile: 'dev',
    redactor: createRedactor({ secretValues: options.secretValues ?? [] }),
    now,
    runId: options.runId ?? '20250314T091502Z-0kz3m8qd',
  });
  session.copyArtifact('manifest.yaml', manifestYaml(pipeline, steps, options.description));
  t += 5;
  session.event('run_start', {
    pipeline,
    manifest_hash: HASH,
    profile: 'dev',
    steps: steps.length,
    max_parallel: 1,
    adapter: options.adapter ?? 'local',
  });
  const status: StepStatus[] = steps.map((s) => ({
    id: s.id,
    component: s.component,
    status: 'pending',
    rows_in: null,
    rows_out: null,
    duration_ms: null,
  }));
  let firstError: (FakeStep['error'] & { step_id: string }) | undefined;
  steps.forEach((s, i) => {
    const st = status[i] as StepStatus;
    if ((s.outcome ?? 'succeeded') === 'skipped' || firstError) {
      st.status = 'skipped';
      return;
    }
    t += 2;
    session.event('step_start', {
      step_id: s.id,
      component: s.component,
      driver: s.component,
      needs: s.needs ?? [],
    });
    if (s.connection) session.event('connection_resolved', { step_id: s.id, connection: s.connection });
    for (const e of s.extraEvents ?? []) session.event(e.name, { ...e.fields, step_id: s.id });
    const duration = s.durationMs ?? 10;
    t += duration;
    if (s.outcome === 'failed') {
      const error = s.error ?? { code: 'transform.failed', message: 'boom' };
      st.status = 'failed';
      st.duration_ms = duration;
      st.error = { ...error, step_id: s.id };
      firstError = { ...error, step_id: s.id };
      session.event('step_failed', {
        step_id: s.id,
        error_code: error.code,
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
        duration_ms: duration,
      });
      session.metric('duration_ms', duration, { stepId: s.id, unit: 'ms' });
      return;
    }
    st.status = 'succeeded';
    st.rows_in = s.rowsIn ?? null;
    st.rows_out = s.mode === 'write' ? null : (s.rowsOut ?? null);
    st.duration_ms = duration;
    if (s.mode === 'read') session.metric('rows_read', s.rowsOut ?? 0, { stepId: s.id, unit: 'rows' });
    if (s.mode === 'write') session.metric('rows_written', s.rowsOut ?? 0, { stepId: s.id, unit: 'rows' });
    session.metric('duration_ms', duration, { stepId: s.id, unit: 'ms' });
    session.event('step_complete', {
      step_id: s.id,
      rows_in: s.rowsIn ?? null,
      rows_out: s.rowsOut ?? null,
      duration_ms: duration,
    });
  });
  for (const st of status) {
    if (st.status === 'skipped') {
      session.event('step_skipped', {
        step_id: st.id,
        reason: firstError ? `step '${firstError.step_id}' failed` : 'not reached',
      });
    }
  }
  t += 3;
  const runStatus = firstError ? 'failed' : 'succeeded';
  const writers = steps.filter((s) => s.mode === 'write' && !firstError);
  const rowsOut = writers.length ? writers.reduce((n, s) => n + (s.rowsOut ?? 0), 0) : null;
  session.event(firstError ? 'run_failed' : 'run_complete', {
    status: runStatus,
    duration_ms: t - Date.parse(options.start ?? '2025-03-14T09:15:02.000Z'),
    rows_out: rowsOut,
    ...(firstError ? { error_code: firstError.code, message: firstError.message } : {}),
  });
  const { record } = session.finish({
    status: runStatus,
    steps: status,
    rowsIn: rowsOut,
    rowsOut,
    ...(firstError ? { error: firstError } : {}),
  });
  return { project, record, dir: session.dir };
}
