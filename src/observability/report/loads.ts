/**
 * The report's "Loads" panel (docs/adr/0025): per database write, the verification's evidence — rows and
 * per-column figures received against those the target holds for the load — and the schema changes the
 * writer made, from the `write.verified` / `write.verify_failed` and `schema.*` events.
 */
import type { JsonValue } from '../../yaml/json.js';
import type { ReportEvent, RunReportData } from './data.js';
import { esc } from './html.js';

const pair = (v: JsonValue | undefined): string =>
  Array.isArray(v) ? (v[0] === v[1] ? `${String(v[0])}` : `${String(v[0])} ≠ ${String(v[1])}`) : '';

function figures(column: JsonValue): string {
  if (column === null || typeof column !== 'object' || Array.isArray(column)) return '';
  const parts = [`nulls ${pair(column.nulls)}`];
  if (column.sum !== undefined) parts.push(`sum ${pair(column.sum)}`);
  if (column.min !== undefined) parts.push(`min ${pair(column.min)}`);
  if (column.max !== undefined) parts.push(`max ${pair(column.max)}`);
  return `<li><span class="mono">${esc(String(column.column))}</span>: ${esc(parts.join(', '))}</li>`;
}

function proofRow(e: ReportEvent): string {
  const f = e.fields;
  const ok = e.event === 'write.verified';
  const columns = Array.isArray(f.columns) ? f.columns : [];
  return [
    `<tr${ok ? '' : ' class="hl"'} data-event="${esc(e.event)}">`,
    `<td class="mono nowrap">${esc(e.step_id ?? '')}</td>`,
    `<td class="mono">${esc(String(f.table ?? ''))}</td>`,
    `<td>${ok ? 'verified' : '<b>mismatch — rolled back</b>'}</td>`,
    `<td class="num">${esc(pair(f.rows))}</td>`,
    `<td><ul class="plain">${columns.map(figures).join('')}</ul><span class="muted">${esc(String(f.scope ?? ''))}</span></td>`,
    '</tr>',
  ].join('');
}

function changeRow(e: ReportEvent): string {
  const f = e.fields;
  const what =
    e.event === 'schema.column_added'
      ? `added ${String(f.column)} ${String(f.type)}`
      : e.event === 'schema.column_widened'
        ? `widened ${String(f.column)} ${String(f.from)} → ${String(f.to)}`
        : `${e.event.replace('schema.', '').replace('_', ' ')}: ${Array.isArray(f.changes) ? f.changes.join(', ') : ''}`;
  return `<tr><td class="mono nowrap">${esc(e.step_id ?? '')}</td><td class="mono">${esc(String(f.table ?? ''))}</td><td>${esc(what)}</td><td class="muted">${esc(String(f.applied ?? f.message ?? ''))}</td></tr>`;
}

/** Empty when the run wrote no database table with verification or schema changes. */
export function loadsSection(data: RunReportData): string {
  const proofs = data.events.filter((e) => e.event === 'write.verified' || e.event === 'write.verify_failed');
  const changes = data.events.filter((e) => e.event.startsWith('schema.'));
  if (!proofs.length && !changes.length) return '';
  return [
    '<section class="panel" id="loads"><h2>Loads</h2>',
    proofs.length
      ? `<p class="muted">Each database load compared, before its COMMIT, the rows it received with the rows the target holds for it (received ≠ target when they differ).</p><div class="table-scroll"><table id="loads-table"><thead><tr><th>Step</th><th>Table</th><th>Verification</th><th class="num">Rows</th><th>Columns</th></tr></thead><tbody>${proofs.map(proofRow).join('')}</tbody></table></div>`
      : '',
    changes.length
      ? `<h3>Schema changes</h3><div class="table-scroll"><table id="schema-changes-table"><thead><tr><th>Step</th><th>Table</th><th>Change</th><th>How</th></tr></thead><tbody>${changes.map(changeRow).join('')}</tbody></table></div>`
      : '',
    '</section>',
  ].join('');
}
