/**
 * The report's "Incremental" panel: per incremental read, the window it read (cursor, from, to, rows, where
 * the bound came from) and the cursor each writer committed with its data (docs/reference/incremental.md).
 * Only present when the run has incremental steps.
 */
import type { JsonValue } from '../../yaml/json.js';
import type { ReportEvent, RunReportData } from './data.js';
import { esc } from './html.js';

const cell = (v: JsonValue | undefined) =>
  v === undefined || v === null ? '<span class="muted">—</span>' : esc(String(v));

export function incrementalSection(data: RunReportData): string {
  const windows = data.events.filter((e) => e.event === 'incremental.window');
  if (!windows.length) return '';
  const commits = data.events.filter((e) => e.event === 'incremental.state_committed');
  const committed = (w: ReportEvent) =>
    commits
      .filter((c) => c.fields.extractor_step === w.step_id)
      .map(
        (c) =>
          `${esc(String(c.fields.value))} by <span class="mono">${esc(c.step_id ?? '')}</span> in ${esc(String(c.fields.store))}${c.fields.in_transaction ? ' (with the rows)' : ''}`,
      )
      .join('<br>') || '<span class="muted">not committed (the writer failed or read nothing new)</span>';
  const rows = windows.map((w) =>
    [
      '<tr>',
      `<td class="mono">${esc(w.step_id ?? '')}</td>`,
      `<td class="mono">${cell(w.fields.cursor)}</td>`,
      `<td>${w.fields.from === null ? 'everything' : `${w.fields.inclusive ? '≥' : '>'} ${cell(w.fields.from)}`}${w.fields.lookback && !w.fields.inclusive ? ` − ${cell(w.fields.lookback)}` : ''}</td>`,
      `<td>${cell(w.fields.to)}</td>`,
      `<td class="num">${cell(w.fields.rows)}</td>`,
      `<td>${cell(w.fields.origin)}</td>`,
      `<td>${committed(w)}</td>`,
      '</tr>',
    ].join(''),
  );
  return [
    '<section class="panel" id="incremental"><h2>Incremental</h2>',
    '<div class="table-scroll"><table><thead><tr>',
    '<th>Step</th><th>Cursor</th><th>Read from</th><th>Up to</th><th class="num">Rows</th><th>Bound from</th><th>Committed</th>',
    '</tr></thead><tbody>',
    rows.join(''),
    '</tbody></table></div></section>',
  ].join('');
}
