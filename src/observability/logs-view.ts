/**
 * Reading a run back for `osiris logs`: the index record, status.json and the events/metrics files, and
 * their plain-text rendering (a runs table; a run summary with steps and an events timeline).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfig } from '../project/config.js';
import { readJsonLines } from '../util/json-lines.js';
import { isJsonObject, type JsonObject } from '../yaml/json.js';
import { formatCount, formatDuration } from './progress.js';
import { type RunRecord, runDirOf } from './run-index.js';
import type { RunStatusDoc } from './session.js';

export interface RunDetails {
  record: RunRecord;
  /** Absolute run folder. */
  runDir: string;
  status: RunStatusDoc | null;
  events: JsonObject[];
  metrics: JsonObject[];
  /** E.g. the run folder was deleted by retention. */
  warnings: string[];
}

export function loadRunDetails(project: ProjectConfig, record: RunRecord): RunDetails {
  const runDir = runDirOf(project, record);
  const warnings: string[] = [];
  let status: RunStatusDoc | null = null;
  try {
    const value: unknown = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8'));
    if (isJsonObject(value)) status = value as unknown as RunStatusDoc;
  } catch {
    warnings.push(`status.json not found or unreadable in ${runDir}`);
  }
  const events = readJsonLines(join(runDir, 'events.jsonl'));
  if (events === undefined) warnings.push(`events.jsonl not found in ${runDir} (run folder removed?)`);
  const metrics = readJsonLines(join(runDir, 'metrics.jsonl')) ?? [];
  return { record, runDir, status, events: events ?? [], metrics, warnings };
}

/** `2025-03-14 09:15:02Z` from an ISO timestamp (UTC, seconds). */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] as number;
        return i === cells.length - 1 && !rightAligned.has(i)
          ? c
          : rightAligned.has(i)
            ? c.padStart(w)
            : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

const num = (n: number | null | undefined) => (n === null || n === undefined ? '-' : formatCount(n));
const dur = (n: number | null | undefined) => (n === null || n === undefined ? '-' : formatDuration(n));

export function formatRunTable(runs: readonly RunRecord[]): string[] {
  const showProfile = runs.some((r) => r.profile);
  const header = [
    'RUN ID',
    'PIPELINE',
    ...(showProfile ? ['PROFILE'] : []),
    'STATUS',
    'STARTED',
    'DURATION',
    'ROWS',
  ];
  const rows = runs.map((r) => [
    r.run_id,
    r.pipeline_slug,
    ...(showProfile ? [r.profile ?? '-'] : []),
    r.status,
    shortTime(r.started_at),
    dur(r.duration_ms),
    num(r.rows_out),
  ]);
  const last = header.length - 1;
  return table(header, rows, new Set([last - 1, last]));
}

const TIMELINE_SKIP = new Set(['ts', 'run_id', 'event', 'step_id']);

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** `key=value …` for the timeline, at most `width` characters. */
export function eventFields(event: JsonObject, width = 100): string {
  const text = Object.keys(event)
    .filter((k) => !TIMELINE_SKIP.has(k))
    .map((k) => `${k}=${fieldText(event[k])}`)
    .join(' ');
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

function offset(ts: unknown, start: number): string {
  if (typeof ts !== 'string') return '';
  const t = new Date(ts).getTime();
  if (Number.isNaN(t) || Number.isNaN(start)) return '';
  const s = (t - start) / 1000;
  return `${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(3)}s`;
}

export function formatRunDetails(details: RunDetails): string[] {
  const { record, status } = details;
  const out: string[] = [];
  const kv = (k: string, v: string) => out.push(`${k.padEnd(9)} ${v}`);
  kv('run', record.run_id);
  kv('pipeline', `${record.pipeline_slug}${record.profile ? ` (profile ${record.profile})` : ''}`);
  kv('status', status?.status ?? record.status);
  kv('started', shortTime(record.started_at));
  kv('finished', shortTime(record.finished_at));
  kv('duration', dur(record.duration_ms));
  kv('rows', `in ${num(record.rows_in)}, out ${num(record.rows_out)}`);
  kv('manifest', `${record.manifest_short} (${record.manifest_hash})`);
  kv('run dir', record.run_dir);
  const error = status?.error;
  if (error) {
    kv('error', `${error.code}: ${error.message}${error.step_id ? ` [step ${error.step_id}]` : ''}`);
    if (error.hint) kv('hint', error.hint);
  } else if (record.error_code || record.error_message) {
    kv('error', `${record.error_code ?? ''}${record.error_code ? ': ' : ''}${record.error_message ?? ''}`);
  }
  for (const w of details.warnings) out.push(`warning: ${w}`);

  const steps = status?.steps ?? [];
  if (steps.length > 0) {
    out.push('', 'steps');
    const rows = steps.map((s) => [
      s.id,
      s.component,
      s.status,
      num(s.rows_in),
      num(s.rows_out),
      dur(s.duration_ms),
      s.error ? `${s.error.code}: ${s.error.message}` : '',
    ]);
    for (const line of table(
      ['STEP', 'COMPONENT', 'STATUS', 'ROWS IN', 'ROWS OUT', 'DURATION', 'ERROR'],
      rows,
      new Set([3, 4, 5]),
    )) {
      out.push(`  ${line}`);
    }
  }

  if (details.events.length > 0) {
    out.push('', 'events');
    const start = new Date(record.started_at).getTime();
    const nameWidth = Math.min(24, Math.max(...details.events.map((e) => String(e.event ?? '').length)));
    const stepWidth = Math.min(24, Math.max(0, ...details.events.map((e) => String(e.step_id ?? '').length)));
    for (const e of details.events) {
      const parts = [
        offset(e.ts, start).padStart(9),
        String(e.event ?? '?').padEnd(nameWidth),
        ...(stepWidth > 0 ? [String(e.step_id ?? '').padEnd(stepWidth)] : []),
        eventFields(e),
      ];
      out.push(`  ${parts.join('  ').trimEnd()}`);
    }
  }
  return out;
}
