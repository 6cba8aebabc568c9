import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../src/observability/redact.js';
import {
  loadRunReportData,
  type RunReportData,
  renderRunIndex,
  renderRunReport,
} from '../../../src/observability/report/index.js';
import { fakeRun, THREE_STEPS } from './fixtures.js';

function failedRun() {
  return fakeRun({
    pipeline: 'people-broken',
    runId: '20250314T101502Z-1aa00000',
    steps: [
      THREE_STEPS[0] as (typeof THREE_STEPS)[number],
      {
        id: 'broken-transform',
        component: 'duckdb.processor',
        mode: 'transform',
        needs: ['extract-people'],
        outcome: 'failed',
        durationMs: 17,
        error: {
          code: 'transform.failed',
          message: 'Referenced column "no_such_column" not found',
          hint: 'check the column names of input_df',
        },
      },
      { id: 'write-out', component: 'filesystem.csv_writer', mode: 'write', needs: ['broken-transform'] },
    ],
  });
}

/** The element (by a unique attribute fragment) up to its end tag name, for class checks. */
function openTag(html: string, fragment: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}\\b[^>]*${fragment}[^>]*>`, 'g');
  for (const m of html.matchAll(re)) out.push(m[0]);
  return out;
}

describe('renderRunReport', () => {
  it('is a pure function: the same run renders to identical bytes', () => {
    const { project, record } = fakeRun();
    const a = renderRunReport(loadRunReportData(project, record));
    const b = renderRunReport(loadRunReportData(project, record));
    expect(a).toBe(b);
    expect(a.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('shows the overview, every step with its rows, and the charts', () => {
    const { project, record } = fakeRun({ description: 'Top scorers of the people file' });
    const html = renderRunReport(loadRunReportData(project, record));
    for (const id of ['extract-people', 'top-scorers', 'write-top']) {
      expect(html).toContain(`data-step="${id}"`);
    }
    expect(html).toContain('1,200');
    expect(html).toContain('300');
    expect(html).toContain('people-report');
    expect(html).toContain(record.run_id);
    expect(html).toContain('2c26b46');
    expect(html).toContain('Top scorers of the people file');
    expect(html).toMatch(/class="badge env env-local"/);
    expect(html).toMatch(/<svg class="chart timeline"/);
    expect(html).toMatch(/<svg class="chart dag"/);
    expect(html.match(/<svg class="chart bars"/g)).toHaveLength(2);
    expect(html).not.toContain('id="error"');
  });

  it('highlights the failed step in the banner, timeline, steps table and DAG', () => {
    const { project, record } = failedRun();
    const html = renderRunReport(loadRunReportData(project, record));
    expect(html).toContain('id="error"');
    expect(html).toContain('Run failed at step');
    expect(html).toContain('transform.failed');
    expect(html).toContain('Referenced column &quot;no_such_column&quot; not found');
    expect(html).toContain('Hint: check the column names of input_df');
    const gantt = openTag(html, 'data-step="broken-transform"', 'g');
    expect(gantt.some((t) => /class="row st-failed hl"/.test(t))).toBe(true);
    expect(gantt.some((t) => /class="node st-failed hl"/.test(t))).toBe(true);
    expect(openTag(html, 'data-step="broken-transform"', 'tr').some((t) => /class="hl"/.test(t))).toBe(true);
    // The skipped step is drawn as skipped, and the succeeded one is not highlighted.
    expect(openTag(html, 'data-step="write-out"', 'g').some((t) => /st-skipped/.test(t))).toBe(true);
    expect(openTag(html, 'data-step="extract-people"', 'g').every((t) => !/\bhl\b/.test(t))).toBe(true);
  });

  it('escapes every piece of data (no markup injection)', () => {
    const evil = '<img src=x onerror=alert(1)>"\'`&';
    const { project, record } = fakeRun({
      description: evil,
      steps: [
        {
          id: 'extract',
          component: 'filesystem.csv_extractor',
          mode: 'read',
          rowsOut: 1,
          extraEvents: [{ name: 'custom<script>', fields: { note: evil, [evil]: 1 } }],
        },
      ],
    });
    const html = renderRunReport(loadRunReportData(project, record));
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>custom');
    expect(html).not.toContain('custom<script>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;&amp;');
    // Exactly one script element: ours.
    expect(html.match(/<script\b/g)).toHaveLength(1);
  });

  it('is self-contained: nothing external, and a CSP allowing only the inline script', () => {
    const { project, record } = failedRun();
    const html = renderRunReport(loadRunReportData(project, record));
    expect(html).not.toMatch(/<(?:link|img|iframe|object|embed)\b/);
    expect(html).not.toMatch(/\bsrc=/);
    expect(html).not.toMatch(/(?:href|src)="(?:https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    const csp = (
      /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? ''
    ).replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
  });

  it('passes everything through the redactor again', () => {
    const canary = 'Canary-Secret-93f1c0de';
    const { project, record } = fakeRun({
      steps: [
        {
          id: 'extract',
          component: 'postgres.extractor',
          mode: 'read',
          rowsOut: 5,
          connection: 'postgres://app:hunter2pw@db.internal/prod',
          extraEvents: [
            {
              name: 'extract.query',
              fields: {
                // Written by a careless driver; the session redactor did not know this value.
                sql: `SELECT 1 -- ${canary}`,
                note: 'mysql://root:sup3rsecret@localhost/test',
                api_token: 'abc123',
              },
            },
          ],
        },
      ],
    });
    const data = loadRunReportData(project, record);
    const html = renderRunReport(data, { redactor: createRedactor({ secretValues: [canary] }) });
    expect(html).not.toContain(canary);
    expect(html).not.toContain('sup3rsecret');
    expect(html).not.toContain('hunter2pw');
    expect(html).not.toContain('abc123');
    expect(html).toContain('mysql://root:***@localhost/test');
    // A connection value that is not a plain @family.alias reference is masked, never shown.
    expect(data.connections).toEqual([{ step_id: 'extract', ref: '***' }]);
    // Ids and hashes survive redaction.
    expect(html).toContain(record.run_id);
  });

  it('lists @family.alias connection references', () => {
    const { project, record } = fakeRun();
    const html = renderRunReport(loadRunReportData(project, record));
    expect(html).toMatch(/<td class="mono">@filesystem\.landing<\/td>/);
  });

  it('renders the sandbox badge for a non-local adapter', () => {
    const { project, record } = fakeRun({ adapter: 'e2b' });
    const data = loadRunReportData(project, record);
    expect(data.run.environment).toBe('e2b');
    expect(renderRunReport(data)).toMatch(/class="badge env env-e2b" title="adapter: e2b"/);
  });

  it('offers event-type and step filters with one option per value', () => {
    const { project, record } = failedRun();
    const html = renderRunReport(loadRunReportData(project, record));
    const typeSelect = /<select id="filter-events-type"[\s\S]*?<\/select>/.exec(html)?.[0] ?? '';
    expect(typeSelect).toContain('<option value="step_start">step_start (2)</option>');
    expect(typeSelect).toContain('<option value="step_failed">step_failed (1)</option>');
    const stepSelect = /<select id="filter-events-step"[\s\S]*?<\/select>/.exec(html)?.[0] ?? '';
    expect(stepSelect).toContain('<option value="@none">(run level)</option>');
    expect(stepSelect).toContain('<option value="broken-transform">broken-transform</option>');
  });

  const data = (): RunReportData => ({
    run: {
      run_id: '20250314T091502Z-0kz3m8qd',
      pipeline: 'empty',
      name: null,
      description: null,
      profile: null,
      status: 'failed',
      started_at: '2025-03-14T09:15:02.000Z',
      finished_at: null,
      worker_id: null,
      duration_ms: null,
      rows_in: null,
      rows_out: null,
      rows_partial: false,
      manifest_hash: 'ab',
      manifest_short: 'ab',
      environment: 'local',
      adapter: 'local',
      run_dir: 'run_logs/empty/x',
      steps_total: 0,
      steps_succeeded: 0,
    },
    error: { code: 'RUN003', message: 'file not found' },
    steps: [],
    events: [],
    retries: [],
    events_omitted: 0,
    metrics: [],
    metrics_omitted: 0,
    connections: [],
    params: null,
    files: [],
    phases: [],
    comparison: {
      delta: { '@id': 'ev.delta.x', basis: 'previous_successful_run', first_run: true },
      report: null,
      steps: {},
    },
    warnings: ['events.jsonl not found'],
    generator: 'osiris test',
  });

  it('renders a report for data with no steps and no events', () => {
    const html = renderRunReport(data());
    expect(html).toContain('No steps recorded.');
    expect(html).toContain('Run failed</h2>');
    expect(html).toContain('events.jsonl not found');
  });

  it('lists retried attempts in a Retries section (none: no section)', () => {
    const base = renderRunReport(data());
    expect(base).not.toContain('id="retries"');
    const retry = {
      step_id: 'extract',
      attempt: 1,
      classification: 'transient',
      reason: 'deadlock',
      code: '40P01',
      error_code: 'write.failed',
      message: 'deadlock <detected>',
      delay_ms: 750,
      offset_ms: 100,
    };
    const html = renderRunReport({ ...data(), retries: [retry] });
    expect(html).toContain('<a href="#retries">Retries (1)</a>');
    expect(html).toContain('<section class="panel" id="retries"><h2>Retries <span class="count">1</span>');
    expect(html).toContain('deadlock <span class="muted">(40P01)</span>');
    expect(html).toContain('deadlock &lt;detected&gt;');
  });
});

describe('renderRunIndex', () => {
  it('links each run to its report and escapes the records', () => {
    const ok = fakeRun();
    const bad = failedRun();
    const html = renderRunIndex({
      title: 'Recent runs',
      generator: 'osiris test',
      entries: [
        {
          record: { ...bad.record, error_message: '<b>bad</b> postgres://u:pw12345678@h/db' },
          href: 'a/report.html',
        },
        { record: ok.record, href: null },
      ],
    });
    expect(html).toContain('<a class="mono" href="a/report.html">20250314T101502Z-1aa00000</a>');
    expect(html).toContain('title="run folder not found">20250314T091502Z-0kz3m8qd</span>');
    expect(html).not.toContain('<b>bad</b>');
    expect(html).not.toContain('pw12345678');
    expect(html).toContain('<option value="people-broken">people-broken (1)</option>');
    expect(renderRunIndex({ title: 'Recent runs', generator: 'g', entries: [] })).toContain(
      'No runs recorded yet.',
    );
  });
});
