/**
 * Renders run reports as single self-contained HTML documents: inline CSS, inline SVG, one inline script,
 * and a Content-Security-Policy that allows nothing else (no network, no external files), so a report
 * opens offline and stays inert even if some text escaped its escaping.
 *
 * `renderRunReport` and `renderRunIndex` are pure: the same data gives the same bytes (no clock, no random
 * ids, UTC times). Before rendering, the data passes through a redactor once more (defence in depth: the
 * run logs were redacted when written).
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../yaml/json.js';
import { createRedactor, type Redactor } from '../redact.js';
import type { RunRecord } from '../run-index.js';
import { REPORT_CSS, REPORT_JS } from './assets.js';
import type {
  IndexEntry,
  ReportEvent,
  ReportMetric,
  ReportStep,
  RunIndexData,
  RunReportData,
} from './data.js';
import {
  badge,
  compactValue,
  count,
  dash,
  duration,
  esc,
  metricValue,
  offset,
  statusClass,
  truncate,
  utc,
} from './html.js';
import { incrementalSection } from './incremental.js';
import { loadsSection } from './loads.js';
import { comparisonSection, runFilesSection, stepDetailsSection } from './render-details.js';
import { barChartSvg, dagSvg, timelineSvg } from './svg.js';

export interface RenderOptions {
  /** Applied to all data before rendering (default: the built-in policy without extra keys). */
  redactor?: Redactor;
}

/** The environment badge's tooltip: the adapter, and the worker or sandbox a remote run ran in. */
function envTitle(r: { adapter: string; worker_id?: string | null }): string {
  return `adapter: ${r.adapter}${r.worker_id ? ` · worker: ${r.worker_id}` : ''}`;
}

function scriptHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
}

function page(title: string, bodyClass: string, body: string, generator: string): string {
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${scriptHash(REPORT_JS)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="referrer" content="no-referrer">',
    `<meta name="generator" content="${esc(generator)}">`,
    `<title>${esc(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    `<body class="${esc(bodyClass)}">`,
    body,
    `<script>${REPORT_JS}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function card(
  label: string,
  value: string,
  extra: { cls?: string; title?: string; html?: boolean; note?: string } = {},
): string {
  const title = extra.title ? ` title="${esc(extra.title)}"` : '';
  const content = extra.html ? value : esc(value);
  const note = extra.note ? `<div class="note">${esc(extra.note)}</div>` : '';
  return `<div class="card"><div class="k">${esc(label)}</div><div class="v${extra.cls ? ` ${extra.cls}` : ''}"${title}>${content}</div>${note}</div>`;
}

function optionTags(values: readonly string[], counts?: Map<string, number>): string {
  return values
    .map((v) => {
      const n = counts?.get(v);
      return `<option value="${esc(v)}">${esc(v)}${n !== undefined ? ` (${n})` : ''}</option>`;
    })
    .join('');
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function tally(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** Restores ids and hashes the redactor may have touched: they identify things and are not secrets. */
function redactReport(data: RunReportData, redactor: Redactor): RunReportData {
  const clean = redactor.redactValue(data) as unknown as RunReportData;
  clean.run = {
    ...clean.run,
    run_id: data.run.run_id,
    pipeline: data.run.pipeline,
    manifest_hash: data.run.manifest_hash,
    manifest_short: data.run.manifest_short,
    run_dir: redactor.redactText(data.run.run_dir),
  };
  clean.steps = clean.steps.map((s, i) => {
    const original = data.steps[i] as ReportStep;
    return { ...s, id: original.id, needs: [...original.needs] };
  });
  return clean;
}

function eventTone(name: string): string {
  if (/(^|[._])(failed|error)$/.test(name) || name === 'run_failed') return 'bad';
  if (name === 'warning' || name.endsWith('.warning') || name === 'step_skipped' || name === 'step_retry')
    return 'warn';
  if (name === 'run_complete' || name === 'step_complete') return 'ok';
  return '';
}

function fieldsHtml(fields: JsonObject): string {
  const keys = Object.keys(fields);
  if (keys.length === 0) return '<span class="muted">—</span>';
  return keys
    .map((k) => {
      const full = compactValue(fields[k]);
      const shown = truncate(full, 300);
      const title = shown !== full ? ` title="${esc(truncate(full, 4000))}"` : '';
      return `<span class="kv"${title}><span class="k">${esc(k)}</span>=<span class="v">${esc(shown)}</span></span>`;
    })
    .join('');
}

function errorBanner(data: RunReportData): string {
  const e = data.error;
  if (!e) return '';
  const step = e.step_id
    ? ` at step <a href="#dag" class="step-link" data-step-link="${esc(e.step_id)}">${esc(e.step_id)}</a>`
    : '';
  return [
    '<section class="banner error" id="error" role="alert">',
    `<h2>Run failed${step}</h2>`,
    `<p><code class="ev bad">${esc(e.code)}</code></p>`,
    `<p class="msg">${esc(e.message)}</p>`,
    e.hint ? `<p class="hint">Hint: ${esc(e.hint)}</p>` : '',
    '</section>',
  ].join('');
}

function warningsBanner(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  return `<section class="banner warn" id="warnings"><h2>Incomplete run folder</h2>${warnings
    .map((w) => `<p>${esc(w)}</p>`)
    .join('')}</section>`;
}

/** The rows cards of a run that stopped say that their totals stop at the failure. */
function partialRows(partial: boolean, what: string): { title?: string; note?: string } {
  return partial
    ? { title: `rows ${what} by the steps that ran before the failure`, note: 'before the failure' }
    : {};
}

function overview(data: RunReportData): string {
  const r = data.run;
  const failed = data.steps.filter((s) => s.status === 'failed').length;
  const skipped = data.steps.filter((s) => s.status === 'skipped').length;
  const stepsText = `${r.steps_succeeded} / ${r.steps_total}`;
  const stepsTitle = `${r.steps_succeeded} succeeded, ${failed} failed, ${skipped} skipped`;
  return [
    '<section class="panel" id="overview"><h2>Overview</h2><div class="cards">',
    card('Status', badge(r.status), { html: true }),
    card('Duration', duration(r.duration_ms)),
    card('Rows in', count(r.rows_in), partialRows(r.rows_partial, 'read')),
    card('Rows out', count(r.rows_out), partialRows(r.rows_partial, 'written')),
    card('Steps succeeded', stepsText, { title: stepsTitle, cls: failed ? 'bad' : '' }),
    card(
      'Environment',
      `<span class="badge env env-${esc(r.environment)}" title="${esc(envTitle(r))}">${esc(r.environment)}</span>${r.worker_id ? ` <span class="small mono" id="worker-id">${esc(r.worker_id)}</span>` : ''}`,
      { html: true },
    ),
    card('Profile', r.profile ?? dash, { cls: 'small' }),
    card('Manifest', r.manifest_short, { cls: 'small mono', title: r.manifest_hash }),
    card('Started (UTC)', utc(r.started_at), { cls: 'small' }),
    card('Finished (UTC)', utc(r.finished_at), { cls: 'small' }),
    card('Run id', r.run_id, { cls: 'small mono', title: r.run_id }),
    card('Run folder', r.run_dir, { cls: 'small mono', title: r.run_dir }),
    '</div></section>',
  ].join('');
}

function stepsSection(data: RunReportData): string {
  const rows = data.steps.map((s, i) => {
    const firstLine = s.error ? (s.error.message.split('\n')[0] ?? '') : '';
    const err = s.error
      ? `<code class="ev bad">${esc(s.error.code)}</code> <span title="${esc(truncate(s.error.message, 4000))}">${esc(truncate(firstLine, 240))}</span>`
      : '';
    return [
      `<tr class="${s.status === 'failed' ? 'hl' : ''}" data-step="${esc(s.id)}" data-status="${esc(s.status)}">`,
      `<td class="num">${i + 1}</td>`,
      `<td class="step" data-sort="${esc(s.id)}"><a href="#step-${esc(s.id)}" class="mono">${esc(s.id)}</a>`,
      `<div class="what mono">${esc(s.component).replaceAll('.', '.<wbr>')}${s.mode ? ` · ${esc(s.mode)}` : ''}</div></td>`,
      `<td class="mono conn">${esc(s.connection ?? dash)}</td>`,
      `<td data-sort="${esc(s.status)}">${badge(s.status)}</td>`,
      `<td class="num" data-sort="${s.rows_in ?? ''}">${count(s.rows_in)}</td>`,
      `<td class="num" data-sort="${s.rows_out ?? ''}">${count(s.rows_out)}</td>`,
      `<td class="num" data-sort="${s.duration_ms ?? ''}">${duration(s.duration_ms)}</td>`,
      `<td class="err">${err}</td>`,
      '</tr>',
    ].join('');
  });
  const labels = data.steps.map((s) => s.id);
  const rowsChart = barChartSvg(
    labels,
    [
      {
        name: 'rows in',
        cls: 'rows-in',
        values: data.steps.map((s) => s.rows_in),
        format: (v) => `${count(v)} rows`,
      },
      {
        name: 'rows out',
        cls: 'rows-out',
        values: data.steps.map((s) => s.rows_out),
        format: (v) => `${count(v)} rows`,
      },
    ],
    'Rows per step',
  );
  const durationChart = barChartSvg(
    labels,
    [
      {
        name: 'duration',
        cls: 'dur',
        values: data.steps.map((s) => s.duration_ms),
        format: (v) => duration(v),
      },
    ],
    'Duration per step',
  );
  return [
    '<section class="panel" id="steps"><h2>Steps</h2>',
    '<div class="table-fit"><table id="steps-table"><thead><tr>',
    '<th class="num sortable">#</th><th class="sortable">Step</th><th>Connection</th><th class="sortable">Status</th>',
    '<th class="num sortable">Rows in</th><th class="num sortable">Rows out</th><th class="num sortable">Duration</th><th>Error</th>',
    '</tr></thead><tbody>',
    rows.join(''),
    '</tbody></table></div>',
    data.steps.length === 0 ? '<p class="empty">No steps recorded.</p>' : '',
    data.steps.length > 0
      ? `<div class="grid2"><div><div class="chart-title">Rows per step</div>${rowsChart}</div><div><div class="chart-title">Duration per step</div>${durationChart}</div></div>`
      : '',
    '</section>',
  ].join('');
}

function legend(): string {
  return `<div class="legend">${['succeeded', 'failed', 'skipped', 'running'].map((s) => badge(s)).join('')}</div>`;
}

function eventsSection(data: RunReportData): string {
  const events = data.events;
  const typeCounts = tally(events.map((e) => e.event));
  const stepIds = sorted(events.map((e) => e.step_id).filter((s): s is string => s !== null));
  const hasRunLevel = events.some((e) => e.step_id === null);
  const rows = events.map((e: ReportEvent) => {
    const tone = eventTone(e.event);
    const rowCls = tone === 'bad' ? 'hl' : tone === 'warn' ? 'warnrow' : '';
    return [
      `<tr${rowCls ? ` class="${rowCls}"` : ''} data-event="${esc(e.event)}" data-step="${esc(e.step_id ?? '')}">`,
      `<td class="num mono" data-sort="${e.seq}" title="${esc(utc(e.ts))}">${esc(offset(e.offset_ms) || utc(e.ts))}</td>`,
      `<td><span class="ev${tone ? ` ${tone}` : ''}">${esc(e.event)}</span></td>`,
      `<td class="mono nowrap">${e.step_id !== null ? `<span class="step-link" data-step-link="${esc(e.step_id)}">${esc(e.step_id)}</span>` : '<span class="muted">run</span>'}</td>`,
      `<td>${fieldsHtml(e.fields)}</td>`,
      '</tr>',
    ].join('');
  });
  return [
    `<section class="panel" id="events"><h2>Events <span class="count" data-count-for="events-table">${events.length} shown</span></h2>`,
    '<div class="filters">',
    `<label>Type <select id="filter-events-type" data-filter-for="events-table" data-filter-key="event"><option value="">all types</option>${optionTags(sorted(typeCounts.keys()), typeCounts)}</select></label>`,
    `<label>Step <select id="filter-events-step" data-filter-for="events-table" data-filter-key="step"><option value="">all steps</option>${hasRunLevel ? '<option value="@none">(run level)</option>' : ''}${optionTags(stepIds)}</select></label>`,
    '<label>Search <input type="search" id="filter-events-text" data-filter-for="events-table" data-filter-key="text" placeholder="text in any column"></label>',
    '<button type="button" data-reset-for="events-table">Reset</button>',
    '</div>',
    '<div class="table-scroll"><table id="events-table" data-filterable><thead><tr>',
    '<th class="num sortable">Time</th><th class="sortable">Event</th><th class="sortable">Step</th><th>Details</th>',
    '</tr></thead><tbody>',
    rows.join(''),
    '</tbody></table>',
    `<p class="empty" data-empty-for="events-table"${events.length ? ' hidden' : ''}>No events match.</p></div>`,
    data.events_omitted > 0
      ? `<p class="muted">${count(data.events_omitted)} more events are in events.jsonl but not in this report.</p>`
      : '',
    '</section>',
  ].join('');
}

function metricsSection(data: RunReportData): string {
  const metrics = data.metrics;
  const names = tally(metrics.map((m) => m.metric));
  const stepIds = sorted(metrics.map((m) => m.step_id).filter((s): s is string => s !== null));
  const hasRunLevel = metrics.some((m) => m.step_id === null);
  const rows = metrics.map((m: ReportMetric) =>
    [
      `<tr data-metric="${esc(m.metric)}" data-step="${esc(m.step_id ?? '')}">`,
      `<td class="mono">${esc(m.metric)}</td>`,
      `<td class="mono nowrap">${m.step_id !== null ? esc(m.step_id) : '<span class="muted">run</span>'}</td>`,
      `<td class="num" data-sort="${m.value}" title="${esc(String(m.value))}">${esc(metricValue(m.value, m.unit))}</td>`,
      `<td>${esc(m.unit ?? '')}</td>`,
      `<td class="num mono" data-sort="${m.seq}" title="${esc(utc(m.ts))}">${esc(offset(m.offset_ms))}</td>`,
      `<td>${Object.keys(m.tags).length ? fieldsHtml(m.tags) : ''}</td>`,
      '</tr>',
    ].join(''),
  );
  return [
    `<section class="panel" id="metrics"><h2>Metrics <span class="count" data-count-for="metrics-table">${metrics.length} shown</span></h2>`,
    '<div class="filters">',
    `<label>Metric <select id="filter-metrics-name" data-filter-for="metrics-table" data-filter-key="metric"><option value="">all metrics</option>${optionTags(sorted(names.keys()), names)}</select></label>`,
    `<label>Step <select id="filter-metrics-step" data-filter-for="metrics-table" data-filter-key="step"><option value="">all steps</option>${hasRunLevel ? '<option value="@none">(run level)</option>' : ''}${optionTags(stepIds)}</select></label>`,
    '<button type="button" data-reset-for="metrics-table">Reset</button>',
    '</div>',
    '<div class="table-scroll"><table id="metrics-table" data-filterable><thead><tr>',
    '<th class="sortable">Metric</th><th class="sortable">Step</th><th class="num sortable">Value</th><th>Unit</th><th class="num sortable">Time</th><th>Tags</th>',
    '</tr></thead><tbody>',
    rows.join(''),
    '</tbody></table>',
    `<p class="empty" data-empty-for="metrics-table"${metrics.length ? ' hidden' : ''}>No metrics match.</p></div>`,
    data.metrics_omitted > 0
      ? `<p class="muted">${count(data.metrics_omitted)} more metrics are in metrics.jsonl but not in this report.</p>`
      : '',
    '</section>',
  ].join('');
}

/** Attempts that failed with a transient error and ran again (docs/reference/retries.md); none: no section. */
function retriesSection(data: RunReportData): string {
  if (data.retries.length === 0) return '';
  const rows = data.retries
    .map(
      (r) =>
        `<tr><td class="mono"><span class="step-link" data-step-link="${esc(r.step_id)}">${esc(r.step_id)}</span></td><td class="num">${r.attempt === null ? dash : esc(String(r.attempt))}</td><td class="mono">${esc(r.reason ?? '—')}${r.code ? ` <span class="muted">(${esc(r.code)})</span>` : ''}</td><td class="mono">${esc(r.error_code ?? '—')}</td><td class="num">${esc(duration(r.delay_ms))}</td><td>${esc(truncate(r.message ?? '', 300))}</td></tr>`,
    )
    .join('');
  return [
    `<section class="panel" id="retries"><h2>Retries <span class="count">${data.retries.length}</span></h2>`,
    '<table><thead><tr><th>Step</th><th>Attempt</th><th>Why (transient)</th><th>Error</th><th>Waited</th><th>Message</th></tr></thead>',
    `<tbody>${rows}</tbody></table>`,
    '<p class="muted">Each row is an attempt that failed with a transient error and ran again; a write runs again only when its whole load was rolled back.</p>',
    '</section>',
  ].join('');
}

function connectionsSection(data: RunReportData): string {
  const rows = data.connections
    .map(
      (c) =>
        `<tr><td class="mono"><span class="step-link" data-step-link="${esc(c.step_id)}">${esc(c.step_id)}</span></td><td class="mono">${esc(c.ref)}</td></tr>`,
    )
    .join('');
  return [
    '<section class="panel" id="connections"><h2>Connections</h2>',
    data.connections.length
      ? `<table><thead><tr><th>Step</th><th>Connection</th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p class="empty">No step uses a named connection.</p>',
    '<p class="muted">Only <code>@family.alias</code> references are shown; resolved hosts, users and secrets are never written to run logs.</p>',
    '</section>',
  ].join('');
}

/** The report of one run as a complete HTML document. */
export function renderRunReport(input: RunReportData, options: RenderOptions = {}): string {
  const data = redactReport(input, options.redactor ?? createRedactor());
  const r = data.run;
  const title = `${r.pipeline} · ${r.status} · run ${r.run_id}`;
  const header = [
    '<header class="top"><div class="wrap">',
    '<div class="brand"><b>Osiris</b> run report</div>',
    `<h1><span id="pipeline-name">${esc(r.pipeline)}</span>${badge(r.status)}<span class="badge env env-${esc(r.environment)}" title="${esc(envTitle(r))}">${esc(r.environment)}</span></h1>`,
    '<div class="subtitle">',
    `<span>run <b class="mono">${esc(r.run_id)}</b></span>`,
    `<span>started <b>${esc(utc(r.started_at))}</b></span>`,
    `<span>duration <b>${esc(duration(r.duration_ms))}</b></span>`,
    `<span>rows out <b>${esc(count(r.rows_out))}</b></span>`,
    r.profile ? `<span>profile <b>${esc(r.profile)}</b></span>` : '',
    `<span>manifest <b class="mono" title="${esc(r.manifest_hash)}">${esc(r.manifest_short)}</b></span>`,
    '</div>',
    r.description ? `<p class="desc">${esc(r.description)}</p>` : '',
    '</div></header>',
  ].join('');
  const nav = [
    '<nav class="tabs"><div class="wrap">',
    ...[
      ['overview', 'Overview'],
      ['timeline', 'Timeline'],
      ['steps', 'Steps'],
      ...(data.retries.length ? [['retries', `Retries (${data.retries.length})`]] : []),
      ['details', 'Details'],
      ['comparison', 'Comparison'],
      ['dag', 'Graph'],
      ['events', `Events (${data.events.length})`],
      ['metrics', `Metrics (${data.metrics.length})`],
      ['connections', 'Connections'],
    ].map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`),
    '</div></nav>',
  ].join('');
  const hasSteps = data.steps.length > 0;
  const body = [
    header,
    nav,
    '<main class="wrap">',
    errorBanner(data),
    warningsBanner(data.warnings),
    overview(data),
    `<section class="panel" id="timeline"><h2>Timeline</h2>${hasSteps ? timelineSvg(data.steps, r.duration_ms, data.phases) : '<p class="empty">No steps recorded.</p>'}</section>`,
    stepsSection(data),
    incrementalSection(data),
    retriesSection(data),
    stepDetailsSection(data),
    loadsSection(data),
    comparisonSection(data),
    runFilesSection(data),
    `<section class="panel" id="dag"><h2>Step graph</h2>${hasSteps ? `<div class="scroll-x">${dagSvg(data.steps)}</div>${legend()}` : '<p class="empty">No steps recorded.</p>'}</section>`,
    eventsSection(data),
    metricsSection(data),
    connectionsSection(data),
    '</main>',
    `<footer class="wrap">Generated by ${esc(data.generator)} from <span class="mono">${esc(r.run_dir)}</span>. Self-contained: works offline, loads nothing from the network.</footer>`,
  ].join('\n');
  return page(title, `run-report ${statusClass(r.status)}`, body, data.generator);
}

function redactRecord(record: RunRecord, redactor: Redactor): RunRecord {
  const clean = redactor.redactValue(record) as unknown as RunRecord;
  return {
    ...clean,
    run_id: record.run_id,
    pipeline_slug: record.pipeline_slug,
    manifest_hash: record.manifest_hash,
    manifest_short: record.manifest_short,
    run_dir: record.run_dir,
  };
}

/** The index page of recent runs, each linking to its report. */
export function renderRunIndex(input: RunIndexData, options: RenderOptions = {}): string {
  const redactor = options.redactor ?? createRedactor();
  const entries: IndexEntry[] = input.entries.map((e) => ({
    ...e,
    record: redactRecord(e.record, redactor),
  }));
  const records = entries.map((e) => e.record);
  const failed = records.filter((r) => r.status === 'failed').length;
  const pipelines = sorted(records.map((r) => r.pipeline_slug));
  const pipelineCounts = tally(records.map((r) => r.pipeline_slug));
  const maxDuration = Math.max(1, ...records.map((r) => r.duration_ms ?? 0));
  const rows = entries.map(({ record: r, href }) => {
    const id = href
      ? `<a class="mono" href="${esc(href)}">${esc(r.run_id)}</a>`
      : `<span class="mono" title="run folder not found">${esc(r.run_id)}</span>`;
    const error =
      r.error_code || r.error_message
        ? `<code class="ev bad">${esc(r.error_code ?? 'error')}</code> <span title="${esc(truncate(r.error_message ?? '', 4000))}">${esc(truncate((r.error_message ?? '').split('\n')[0] ?? '', 90))}</span>`
        : '';
    const width = Math.max(2, Math.round(((r.duration_ms ?? 0) / maxDuration) * 60));
    return [
      `<tr class="${r.status === 'failed' ? 'hl' : ''}" data-pipeline="${esc(r.pipeline_slug)}" data-status="${esc(r.status)}">`,
      `<td data-sort="${esc(r.status)}">${badge(r.status)}</td>`,
      `<td class="nowrap">${id}</td>`,
      `<td class="mono nowrap">${esc(r.pipeline_slug)}</td>`,
      `<td>${esc(r.profile ?? dash)}</td>`,
      `<td class="nowrap" data-sort="${esc(r.started_at)}">${esc(utc(r.started_at))}</td>`,
      `<td class="num" data-sort="${r.duration_ms ?? ''}">${esc(duration(r.duration_ms))}<span class="durbar" style="width:${width}px"></span></td>`,
      `<td class="num" data-sort="${r.rows_in ?? ''}">${count(r.rows_in)}</td>`,
      `<td class="num" data-sort="${r.rows_out ?? ''}">${count(r.rows_out)}</td>`,
      `<td>${error}</td>`,
      '</tr>',
    ].join('');
  });
  const body = [
    '<header class="top"><div class="wrap">',
    '<div class="brand"><b>Osiris</b> run history</div>',
    `<h1>${esc(input.title)}</h1>`,
    `<div class="subtitle"><span><b>${records.length}</b> runs</span><span><b>${records.length - failed}</b> succeeded</span><span><b>${failed}</b> failed</span><span><b>${pipelines.length}</b> pipelines</span></div>`,
    '</div></header>',
    '<main class="wrap">',
    `<section class="panel" id="runs"><h2>Runs <span class="count" data-count-for="runs-table">${records.length} shown</span></h2>`,
    '<div class="filters">',
    `<label>Pipeline <select id="filter-runs-pipeline" data-filter-for="runs-table" data-filter-key="pipeline"><option value="">all pipelines</option>${optionTags(pipelines, pipelineCounts)}</select></label>`,
    `<label>Status <select id="filter-runs-status" data-filter-for="runs-table" data-filter-key="status"><option value="">any status</option>${optionTags(['succeeded', 'failed', 'cancelled', 'abandoned'])}</select></label>`,
    '<label>Search <input type="search" id="filter-runs-text" data-filter-for="runs-table" data-filter-key="text" placeholder="run id, error, …"></label>',
    '<button type="button" data-reset-for="runs-table">Reset</button>',
    '</div>',
    '<div class="table-scroll"><table id="runs-table" data-filterable><thead><tr>',
    '<th class="sortable">Status</th><th class="sortable">Run</th><th class="sortable">Pipeline</th><th class="sortable">Profile</th><th class="sortable">Started (UTC)</th>',
    '<th class="num sortable">Duration</th><th class="num sortable">Rows in</th><th class="num sortable">Rows out</th><th>Error</th>',
    '</tr></thead><tbody>',
    rows.join(''),
    '</tbody></table>',
    `<p class="empty" data-empty-for="runs-table"${records.length ? ' hidden' : ''}>${records.length ? 'No runs match.' : 'No runs recorded yet.'}</p></div>`,
    '</section>',
    '</main>',
    `<footer class="wrap">Generated by ${esc(input.generator)} from the run index. Newest first. Self-contained: works offline.</footer>`,
  ].join('\n');
  return page(input.title, 'run-index', body, input.generator);
}
