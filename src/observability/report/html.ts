/** Escaping and formatting for the HTML reports. Every piece of data reaches the page through `esc`. */
import { formatCount, formatDuration } from '../progress.js';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text and attribute values: escapes `& < > " ' \``. Also fine inside SVG. */
export function esc(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] as string);
}

/** Shortens to `max` characters with an ellipsis (the full text goes into a title). */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

export const dash = '–';

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? dash : formatCount(n);
}

export function duration(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? dash : formatDuration(ms);
}

/** `+1.234 s` offset from the run start. */
export function offset(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)} s`;
}

/** `2025-03-14 09:15:02.123Z` (UTC, independent of the viewer's time zone). */
export function utc(iso: string | null | undefined): string {
  if (!iso) return dash;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().replace('T', ' ').slice(0, 23)}Z`;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${formatCount(v)} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A metric value with its unit, for people. */
export function metricValue(value: number, unit: string | null): string {
  if (unit === 'bytes') return bytes(value);
  if (unit === 'ms') return duration(value);
  if (unit === 'rows') return `${formatCount(value)} rows`;
  const text = Number.isInteger(value) ? formatCount(value) : String(value);
  return unit ? `${text} ${unit}` : text;
}

/** Compact rendering of a JSON value for tables (strings bare, everything else as JSON). */
export function compactValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

/** A CSS class token derived from a status. */
export function statusClass(status: string): string {
  return `st-${status.replace(/[^a-z]/g, '')}`;
}

/** A status pill (`succeeded`, `failed`, …). */
export function badge(status: string, text = status): string {
  return `<span class="badge ${statusClass(status)}" data-status="${esc(status)}">${esc(text)}</span>`;
}
