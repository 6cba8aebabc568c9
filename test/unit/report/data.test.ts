import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadRunReportData,
  renderRunReport,
  safeConnectionRef,
} from '../../../src/observability/report/index.js';
import { fakeRun, THREE_STEPS } from './fixtures.js';

describe('loadRunReportData', () => {
  it('builds steps in manifest order with timing, rows, needs and connections', () => {
    const { project, record } = fakeRun();
    const data = loadRunReportData(project, record);
    expect(data.run).toMatchObject({
      run_id: '20250314T091502Z-0kz3m8qd',
      pipeline: 'people-report',
      status: 'succeeded',
      profile: 'dev',
      environment: 'local',
      adapter: 'local',
      rows_out: 300,
      steps_total: 3,
      steps_succeeded: 3,
      manifest_short: '2c26b46',
    });
    expect(data.steps.map((s) => s.id)).toEqual(['extract-people', 'top-scorers', 'write-top']);
    // Clock: +5 run_start, +2 start, +40 … (see fixtures): offsets are relative to the run start.
    expect(data.steps.map((s) => [s.start_ms, s.end_ms])).toEqual([
      [7, 47],
      [49, 74],
      [76, 86],
    ]);
    expect(data.steps.map((s) => [s.rows_in, s.rows_out])).toEqual([
      [null, 1200],
      [1200, 300],
      // status.json has no rows_out for writers; the step_complete event does.
      [300, 300],
    ]);
    expect(data.steps[1]?.needs).toEqual(['extract-people']);
    expect(data.steps.map((s) => s.mode)).toEqual(['read', 'transform', 'write']);
    expect(data.connections).toEqual([{ step_id: 'extract-people', ref: '@filesystem.landing' }]);
    expect(data.events[0]).toMatchObject({ seq: 0, event: 'run_start', offset_ms: 5, step_id: null });
    expect(data.events[0]?.fields).not.toHaveProperty('ts');
    expect(data.metrics.find((m) => m.metric === 'rows_read')).toMatchObject({
      value: 1200,
      unit: 'rows',
      step_id: 'extract-people',
    });
    expect(data.warnings).toEqual([]);
    expect(data.error).toBeNull();
  });

  it('carries the error and the failed and skipped steps of a failed run', () => {
    const { project, record } = fakeRun({
      steps: [
        THREE_STEPS[0] as (typeof THREE_STEPS)[number],
        {
          id: 'load',
          component: 'filesystem.csv_writer',
          mode: 'write',
          needs: ['extract-people'],
          outcome: 'failed',
          error: { code: 'write.failed', message: 'disk full', hint: 'free some space' },
        },
        { id: 'after', component: 'duckdb.processor', mode: 'transform', needs: ['load'] },
      ],
    });
    const data = loadRunReportData(project, record);
    expect(data.run.status).toBe('failed');
    expect(data.error).toEqual({
      code: 'write.failed',
      message: 'disk full',
      hint: 'free some space',
      step_id: 'load',
    });
    expect(data.steps.map((s) => s.status)).toEqual(['succeeded', 'failed', 'skipped']);
    expect(data.steps[1]?.error?.code).toBe('write.failed');
    expect(data.steps[2]).toMatchObject({ start_ms: null, end_ms: null });
  });

  it('caps the events table but keeps the step timeline complete', () => {
    const { project, record } = fakeRun();
    const data = loadRunReportData(project, record, { maxEvents: 2, maxMetrics: 1 });
    expect(data.events).toHaveLength(2);
    expect(data.events_omitted).toBeGreaterThan(0);
    expect(data.metrics).toHaveLength(1);
    expect(data.steps.every((s) => s.end_ms !== null)).toBe(true);
  });

  it('falls back to the index record when the run folder is gone', () => {
    const { project, record, dir } = fakeRun();
    rmSync(dir, { recursive: true });
    const data = loadRunReportData(project, record);
    expect(data.warnings.join('\n')).toMatch(/events\.jsonl not found/);
    expect(data.steps).toEqual([]);
    expect(data.run).toMatchObject({ status: 'succeeded', rows_out: 300, duration_ms: record.duration_ms });
  });

  it('survives a damaged manifest copy and torn event lines', () => {
    const { project, record, dir } = fakeRun();
    writeFileSync(join(dir, 'manifest.yaml'), 'steps: [unclosed');
    writeFileSync(
      join(dir, 'events.jsonl'),
      '{"ts":"2025-03-14T09:15:02.010Z","event":"step_start","step_id":"a"}\n{"ts":',
    );
    const data = loadRunReportData(project, record);
    expect(data.warnings.join('\n')).toMatch(/manifest\.yaml/);
    // Steps come from status.json, then from the events.
    expect(data.steps.map((s) => s.id)).toEqual(['extract-people', 'top-scorers', 'write-top', 'a']);
    expect(data.events).toHaveLength(1);
  });
});

describe('what the report adds to the counters', () => {
  const failedAfterRead = () =>
    fakeRun({
      steps: [
        THREE_STEPS[0] as (typeof THREE_STEPS)[number],
        {
          id: 'top-scorers',
          component: 'duckdb.processor',
          mode: 'transform',
          needs: ['extract-people'],
          outcome: 'failed',
        },
        { id: 'write-top', component: 'filesystem.csv_writer', mode: 'write', needs: ['top-scorers'] },
      ],
    });

  it('a failed run: totals from the steps that ran before the failure, the failed step fed by its input', () => {
    const { project, record } = failedAfterRead();
    expect(record.rows_in).toBeNull();
    const data = loadRunReportData(project, record);
    expect(data.run).toMatchObject({ rows_in: 1200, rows_out: 0, rows_partial: true });
    expect(data.steps.map((s) => [s.rows_in, s.rows_out])).toEqual([
      [null, 1200],
      [1200, null],
      [null, null],
    ]);
  });

  it('reads SQL and config from cfg, the preview, and links files relative to the page', () => {
    const { project, record, dir } = fakeRun();
    mkdirSync(join(dir, 'cfg'), { recursive: true });
    mkdirSync(join(dir, 'preview'), { recursive: true });
    writeFileSync(
      join(dir, 'cfg', 'top-scorers.json'),
      JSON.stringify({ component: 'duckdb.processor', mode: 'transform', query: 'SELECT 1 AS "<b>"' }),
    );
    writeFileSync(
      join(dir, 'preview', 'top-scorers.json'),
      JSON.stringify({
        step_id: 'top-scorers',
        source: 'table',
        columns: [
          { name: '<b>', type: 'INTEGER' },
          { name: 'password', type: 'VARCHAR' },
        ],
        columns_total: 2,
        preview_columns: ['<b>', 'password'],
        rows: [['1', 'sk-live-0123456789abcdefghij']],
        masked_columns: [],
        truncated: false,
      }),
    );
    const data = loadRunReportData(project, record);
    const step = data.steps[1];
    expect(step?.detail.sql).toBe('SELECT 1 AS "<b>"');
    expect(step?.detail.config).toEqual({});
    expect(step?.detail.cfg).toEqual({ label: 'cfg/top-scorers.json', href: 'cfg/top-scorers.json' });
    expect(step?.detail.preview?.rows).toEqual([['1', 'sk-live-0123456789abcdefghij']]);
    expect(data.steps[0]?.detail).toMatchObject({ cfg: null, preview: null });
    expect(data.files.map((f) => f.href)).toEqual([
      'manifest.yaml',
      'status.json',
      'events.jsonl',
      'metrics.jsonl',
    ]);
    // A page written elsewhere links back into the run folder.
    const elsewhere = loadRunReportData(project, record, { reportDir: join(dir, 'sub') });
    expect(elsewhere.steps[1]?.detail.cfg?.href).toBe('../cfg/top-scorers.json');
    // Rendering escapes the SQL and passes the preview through the redactor once more.
    const html = renderRunReport(data);
    expect(html).toContain('<pre class="sql">SELECT 1 AS &quot;&lt;b&gt;&quot;</pre>');
    expect(html).not.toContain('sk-live-0123456789abcdefghij');
  });

  it('compares with the previous successful run of the pipeline (the AIOP delta), step by step', () => {
    const first = fakeRun({ runId: '20250314T091502Z-0kz3m8qa' });
    const second = fakeRun({
      project: first.project,
      runId: '20250314T101502Z-0kz3m8qb',
      start: '2025-03-14T10:15:02.000Z',
      steps: THREE_STEPS.map((s) => (s.id === 'top-scorers' ? { ...s, rowsOut: 250 } : s)),
    });
    const none = loadRunReportData(first.project, first.record);
    expect(none.comparison.delta.first_run).toBe(true);
    const data = loadRunReportData(second.project, second.record);
    expect(data.comparison.delta.previous?.run_id).toBe('20250314T091502Z-0kz3m8qa');
    expect(data.comparison.delta.rows_out).toMatchObject({ previous: 300, current: 300, change: 0 });
    expect(data.comparison.steps['top-scorers']).toEqual({ rows_out: 300, duration_ms: 25 });
    expect(data.comparison.steps['write-top']?.rows_out).toBe(300);
    const html = renderRunReport(data);
    expect(html).toContain('id="comparison-totals"');
    expect(html).toMatch(
      /data-step="top-scorers">.*?<td class="num">300<\/td><td class="num">250<\/td><td class="num delta down">−50<\/td>/,
    );
  });
});

describe('safeConnectionRef', () => {
  it('keeps @family.alias and masks anything else', () => {
    expect(safeConnectionRef('@mysql.primary')).toBe('@mysql.primary');
    expect(safeConnectionRef('@mysql')).toBe('@mysql');
    expect(safeConnectionRef('mysql://u:p@h/db')).toBe('***');
    expect(safeConnectionRef({ host: 'x' })).toBeNull();
    expect(safeConnectionRef(undefined)).toBeNull();
  });
});
