/**
 * The parts of a run report that answer "what exactly ran and what came out": each step's SQL or config,
 * output schema and preview rows, links to the files; the run's params and files; and the comparison with
 * the previous successful run. Pure functions of the (already redacted) report data.
 */

import type { DeltaValue } from '../aiop/types.js';
import type { ReportPreview, ReportStep, RunReportData } from './data.js';
import { compactValue, count, dash, duration, esc, statusClass, truncate, utc } from './html.js';

/** Steps whose details start open: all of them in a short pipeline, else only the failed ones. */
const OPEN_ALL_UP_TO = 6;

function link(href: string, label: string, cls = 'mono'): string {
  return `<a class="${cls}" href="${esc(href)}">${esc(label)}</a>`;
}

function configTable(config: Record<string, unknown>): string {
  const keys = Object.keys(config).sort();
  if (keys.length === 0) return '<p class="muted">No settings beyond the defaults.</p>';
  const rows = keys
    .map((k) => {
      const full = compactValue(config[k]);
      const shown = truncate(full, 400);
      const title = shown !== full ? ` title="${esc(truncate(full, 4000))}"` : '';
      return `<tr><th scope="row">${esc(k)}</th><td class="mono"${title}>${esc(shown)}</td></tr>`;
    })
    .join('');
  return `<table class="kvtable">${rows}</table>`;
}

function previewHtml(p: ReportPreview, stepId: string): string {
  const masked = new Set(p.masked_columns);
  const types = new Map(p.columns.map((c) => [c.name, c.type]));
  const schema = p.columns
    .map(
      (c) =>
        `<span class="col${masked.has(c.name) ? ' masked' : ''}"><b>${esc(c.name)}</b> <span class="muted">${esc(c.type)}</span></span>`,
    )
    .join('');
  const more =
    p.columns_total > p.columns.length
      ? `<span class="muted">+${p.columns_total - p.columns.length} more</span>`
      : '';
  const head = p.preview_columns.map((c) => `<th title="${esc(types.get(c) ?? '')}">${esc(c)}</th>`).join('');
  const body = p.rows
    .map(
      (r) =>
        `<tr>${p.preview_columns
          .map((_, i) => {
            const v = r[i] ?? null;
            return v === null ? '<td class="null">NULL</td>' : `<td title="${esc(v)}">${esc(v)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  const notes = [
    p.source === 'stream' ? 'first rows as they streamed to the writer' : `first ${p.rows.length} rows`,
    p.masked_columns.length ? `masked: ${p.masked_columns.join(', ')}` : '',
    p.truncated ? 'values cut to stay small' : '',
  ].filter(Boolean);
  return [
    `<div class="sub-h">Output schema <span class="muted">(${p.columns_total} columns)</span></div>`,
    `<div class="schema">${schema}${more}</div>`,
    `<div class="sub-h">Preview <span class="muted">${esc(notes.join(' · '))}</span></div>`,
    p.rows.length
      ? `<div class="table-scroll preview"><table class="preview-table" data-preview-for="${esc(stepId)}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`
      : '<p class="muted">The output has no rows.</p>',
  ].join('');
}

function stepDetail(s: ReportStep, open: boolean): string {
  const d = s.detail;
  const links = [
    d.cfg ? link(d.cfg.href, d.cfg.label) : '',
    d.preview?.file ? link(d.preview.file.href, d.preview.file.label) : '',
  ].filter(Boolean);
  const outputs = d.outputs.map((o) =>
    o.href ? link(o.href, o.text) : `<span class="mono">${esc(o.text)}</span>`,
  );
  const outputsLabel = s.mode === 'read' ? 'Source' : 'Output';
  const noPreview =
    s.mode === 'write'
      ? `<p class="muted">A writer's rows are its input's: see ${s.needs.map((n) => `<a href="#step-${esc(n)}" class="mono">${esc(n)}</a>`).join(', ') || 'its input'}.</p>`
      : s.status === 'succeeded'
        ? '<p class="muted">No preview was recorded for this step.</p>'
        : `<p class="muted">No output: the step ${esc(s.status)}.</p>`;
  return [
    `<details class="step-detail" id="step-${esc(s.id)}" data-step="${esc(s.id)}"${open ? ' open' : ''}>`,
    `<summary><span class="mono sid">${esc(s.id)}</span> <span class="muted mono">${esc(s.component)}</span> <span class="badge ${statusClass(s.status)}">${esc(s.status)}</span></summary>`,
    '<div class="detail-body">',
    d.sql !== null ? `<div class="sub-h">SQL</div><pre class="sql">${esc(d.sql)}</pre>` : '',
    '<div class="detail-grid"><div>',
    d.config
      ? `<div class="sub-h">Config</div>${configTable(d.config)}`
      : '<p class="muted">No cfg copy in the run folder.</p>',
    '</div><div>',
    outputs.length
      ? `<div class="sub-h">${outputsLabel}</div><div class="links">${outputs.join('')}</div>`
      : '',
    links.length ? `<div class="sub-h">Files</div><div class="links">${links.join('')}</div>` : '',
    '</div></div>',
    d.preview ? previewHtml(d.preview, s.id) : noPreview,
    '</div></details>',
  ].join('');
}

export function stepDetailsSection(data: RunReportData): string {
  if (data.steps.length === 0) return '';
  const openAll = data.steps.length <= OPEN_ALL_UP_TO;
  return [
    '<section class="panel" id="details"><h2>Step details</h2>',
    data.steps.map((s) => stepDetail(s, openAll || s.status === 'failed')).join(''),
    '</section>',
  ].join('');
}

/** Params of the manifest and links to the run folder's files. */
export function runFilesSection(data: RunReportData): string {
  const params = data.params && Object.keys(data.params).length ? data.params : null;
  if (!params && data.files.length === 0) return '';
  return [
    '<section class="panel" id="files"><h2>Parameters and files</h2><div class="grid2">',
    `<div><div class="sub-h">Parameters</div>${params ? configTable(params) : '<p class="muted">This pipeline has no parameters.</p>'}</div>`,
    `<div><div class="sub-h">Run folder</div><div class="links">${data.files.map((f) => link(f.href, f.label)).join('')}</div></div>`,
    '</div></section>',
  ].join('');
}

function change(v: DeltaValue | undefined, fmt: (n: number) => string): string {
  if (!v || v.change === null) return dash;
  const sign = v.change > 0 ? '+' : v.change < 0 ? '−' : '±';
  const pct = v.change_percent !== null ? ` (${sign}${Math.abs(v.change_percent)}%)` : '';
  return `${sign}${fmt(Math.abs(v.change))}${pct}`;
}

/** Before, now and the change; a longer duration reads as a warning, a shorter one as good news. */
function changeCell(
  prev: number | null,
  cur: number | null,
  fmt: (n: number | null) => string,
  kind: 'rows' | 'time',
): string {
  const d = prev !== null && cur !== null ? cur - prev : null;
  const names = kind === 'rows' ? [' up', ' down'] : [' slower', ' faster'];
  const cls = d === null || d === 0 ? '' : d > 0 ? names[0] : names[1];
  return `<td class="num">${esc(fmt(prev))}</td><td class="num">${esc(fmt(cur))}</td><td class="num delta${cls}">${d === null ? dash : esc(`${d > 0 ? '+' : d < 0 ? '−' : '±'}${fmt(Math.abs(d))}`)}</td>`;
}

export function comparisonSection(data: RunReportData): string {
  const { delta, report, steps } = data.comparison;
  const head = '<section class="panel" id="comparison"><h2>Compared with the previous run</h2>';
  if (delta.first_run || !delta.previous) {
    return `${head}<p class="muted">No earlier successful run of ${esc(data.run.pipeline)}${data.run.profile ? ` (profile ${esc(data.run.profile)})` : ''} is in the run index: nothing to compare with.</p></section>`;
  }
  const p = delta.previous;
  const prevRun = report ? link(report.href, p.run_id) : `<span class="mono">${esc(p.run_id)}</span>`;
  const fresh = delta.errors?.new ?? [];
  const totals = [
    ['Rows in', delta.rows_in, (n: number) => count(n)],
    ['Rows out', delta.rows_out, (n: number) => count(n)],
    ['Duration', delta.duration_ms, (n: number) => duration(n)],
  ] as const;
  const totalRows = totals
    .map(
      ([label, v, fmt]) =>
        `<tr><th scope="row">${label}</th><td class="num">${v?.previous != null ? esc(fmt(v.previous)) : dash}</td><td class="num">${v?.current != null ? esc(fmt(v.current)) : dash}</td><td class="num delta">${esc(change(v, fmt))}</td></tr>`,
    )
    .join('');
  const stepRows = data.steps
    .map((s) => {
      const prev = steps[s.id];
      return `<tr data-step="${esc(s.id)}"><th scope="row" class="mono">${esc(s.id)}</th>${prev ? changeCell(prev.rows_out, s.rows_out, count, 'rows') + changeCell(prev.duration_ms, s.duration_ms, duration, 'time') : `<td colspan="6" class="muted">not in the previous run</td>`}</tr>`;
    })
    .join('');
  return [
    head,
    `<p>Previous successful run: ${prevRun}, started ${esc(utc(p.started_at))}; ${p.same_manifest ? 'same manifest' : '<b>the manifest changed</b> since then'}.${fresh.length ? ` New error codes: <code class="ev bad">${fresh.map(esc).join('</code> <code class="ev bad">')}</code>.` : ''}</p>`,
    `<div class="cmp-totals"><table class="cmp" id="comparison-totals"><thead><tr><th></th><th class="num">Previous</th><th class="num">This run</th><th class="num">Change</th></tr></thead><tbody>${totalRows}</tbody></table></div>`,
    `<div class="table-fit"><table class="cmp" id="comparison-steps"><thead><tr><th>Step</th><th class="num" colspan="3">Rows out: before · now · change</th><th class="num" colspan="3">Duration: before · now · change</th></tr></thead><tbody>${stepRows}</tbody></table></div>`,
    '</section>',
  ].join('');
}
