/**
 * Inline SVG charts for the run report: the step timeline (Gantt), horizontal bar charts and the step DAG.
 * Pure functions of their inputs; colours come from CSS classes in the page stylesheet (`st-<status>`),
 * so the charts follow the page theme. Coordinates are rounded to 0.1 px for stable output.
 */
import type { ReportStep } from './data.js';
import { count, duration, esc, statusClass, truncate } from './html.js';

const r = (n: number) => Math.round(n * 10) / 10;

/** 1, 2 or 5 × 10^k at or above `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

function tickLabel(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${String(Number((ms / 1000).toFixed(2)))} s`;
  return duration(ms);
}

function stepTitle(s: ReportStep): string {
  const parts = [`${s.id} (${s.component || 'unknown component'})`, `status: ${s.status}`];
  if (s.duration_ms !== null) parts.push(`duration: ${duration(s.duration_ms)}`);
  if (s.rows_in !== null) parts.push(`rows in: ${count(s.rows_in)}`);
  if (s.rows_out !== null) parts.push(`rows out: ${count(s.rows_out)}`);
  if (s.error) parts.push(`error: ${s.error.code}: ${s.error.message}`);
  return parts.join('\n');
}

/** Step timeline: one row per step, bars from step start to end on a shared time axis. */
/** A stretch of the run that is not a step (starting DuckDB), drawn as its own row. */
export interface TimelinePhase {
  label: string;
  start_ms: number;
  end_ms: number;
}

export function timelineSvg(
  steps: readonly ReportStep[],
  runDurationMs: number | null,
  phases: readonly TimelinePhase[] = [],
): string {
  const width = 960;
  const labelW = 210;
  const rightPad = 150;
  const chartW = width - labelW - rightPad;
  const rowH = 30;
  const top = 30;
  const height = top + (phases.length + steps.length) * rowH + 12;
  const latest = Math.max(0, ...steps.map((s) => s.end_ms ?? s.start_ms ?? 0));
  const span = Math.max(1, runDurationMs ?? 0, latest);
  const tick = niceStep(span / 6);
  const x = (ms: number) => r(labelW + (Math.max(0, ms) / span) * chartW);
  const out: string[] = [];
  out.push(
    `<svg class="chart timeline" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Step timeline" xmlns="http://www.w3.org/2000/svg">`,
  );
  for (let t = 0; t <= span + 1e-9; t += tick) {
    const tx = x(t);
    out.push(
      `<line class="grid" x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${height - 8}"/>`,
      `<text class="axis" x="${tx}" y="${top - 12}" text-anchor="middle">${esc(tickLabel(t))}</text>`,
    );
  }
  phases.forEach((p, i) => {
    const y = top + i * rowH;
    const x0 = x(p.start_ms);
    const w = Math.max(3, r(x(p.end_ms) - x0));
    out.push(
      `<g class="row phase"><title>${esc(`${p.label}: ${duration(p.end_ms - p.start_ms)}`)}</title>`,
      `<text class="label muted-label" x="${labelW - 12}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(p.label)}</text>`,
      `<rect class="bar phase" x="${x0}" y="${y + 9}" width="${w}" height="${rowH - 18}" rx="3"/>`,
      `<text class="note" x="${r(x0 + w + 6)}" y="${y + rowH / 2 + 4}">${esc(duration(p.end_ms - p.start_ms))}</text>`,
      '</g>',
    );
  });
  steps.forEach((s, j) => {
    const i = phases.length + j;
    const y = top + i * rowH;
    const cls = statusClass(s.status);
    out.push(
      `<g class="row ${cls}${s.status === 'failed' ? ' hl' : ''}" data-step="${esc(s.id)}">`,
      `<title>${esc(stepTitle(s))}</title>`,
    );
    if (i % 2 === 0) out.push(`<rect class="band" x="0" y="${y}" width="${width}" height="${rowH}"/>`);
    out.push(
      `<text class="label step-link" data-step-link="${esc(s.id)}" x="${labelW - 12}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(truncate(s.id, 28))}</text>`,
    );
    if (s.start_ms !== null) {
      const end = s.end_ms ?? span;
      const x0 = x(s.start_ms);
      const w = Math.max(3, r(x(end) - x0));
      out.push(`<rect class="bar ${cls}" x="${x0}" y="${y + 7}" width="${w}" height="${rowH - 14}" rx="3"/>`);
      const note =
        s.status === 'failed'
          ? `failed · ${duration(s.duration_ms)}`
          : `${duration(s.duration_ms)}${s.rows_out !== null ? ` · ${count(s.rows_out)} rows` : ''}`;
      out.push(
        `<text class="note${s.status === 'failed' ? ' bad' : ''}" x="${r(x0 + w + 6)}" y="${y + rowH / 2 + 4}">${esc(note)}</text>`,
      );
    } else {
      out.push(`<text class="note muted" x="${labelW + 4}" y="${y + rowH / 2 + 4}">${esc(s.status)}</text>`);
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

export interface BarSeries {
  name: string;
  /** CSS class of the bars (colour). */
  cls: string;
  values: (number | null)[];
  format: (v: number) => string;
}

/** Horizontal bar chart: one group per label, one bar per series, scaled to the largest value. */
export function barChartSvg(
  labels: readonly string[],
  series: readonly BarSeries[],
  aria: string,
  width = 560,
): string {
  const labelW = Math.min(180, Math.round(width * 0.32));
  const rightPad = 96;
  const chartW = width - labelW - rightPad;
  const barH = 14;
  const gap = 4;
  const groupH = series.length * (barH + gap) + 10;
  const legendH = series.length > 1 ? 24 : 4;
  const height = legendH + labels.length * groupH + 6;
  const max = Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const out: string[] = [
    `<svg class="chart bars" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(aria)}" xmlns="http://www.w3.org/2000/svg">`,
  ];
  if (series.length > 1) {
    let lx = labelW;
    for (const s of series) {
      out.push(
        `<rect class="bar ${esc(s.cls)}" x="${lx}" y="6" width="12" height="12" rx="2"/>`,
        `<text class="axis" x="${lx + 18}" y="16">${esc(s.name)}</text>`,
      );
      lx += 30 + s.name.length * 7;
    }
  }
  labels.forEach((label, i) => {
    const y0 = legendH + i * groupH;
    out.push(
      `<g data-step="${esc(label)}"><text class="label step-link" data-step-link="${esc(label)}" x="${labelW - 12}" y="${r(y0 + groupH / 2 + 2)}" text-anchor="end">${esc(truncate(label, Math.floor(labelW / 7.2)))}<title>${esc(label)}</title></text>`,
    );
    series.forEach((s, j) => {
      const v = s.values[i] ?? null;
      const y = y0 + 5 + j * (barH + gap);
      if (v === null) {
        if (j === 0 && series.every((x) => (x.values[i] ?? null) === null)) {
          out.push(`<text class="note muted" x="${labelW + 4}" y="${y + barH - 3}">no data</text>`);
        }
        return;
      }
      const w = max > 0 ? Math.max(v > 0 ? 2 : 0, r((v / max) * chartW)) : 0;
      out.push(
        `<rect class="bar ${esc(s.cls)}" x="${labelW}" y="${y}" width="${w}" height="${barH}" rx="2"><title>${esc(`${label} — ${s.name}: ${s.format(v)}`)}</title></rect>`,
        `<text class="note" x="${r(labelW + w + 6)}" y="${y + barH - 3}">${esc(s.format(v))}</text>`,
      );
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

interface Placed {
  step: ReportStep;
  layer: number;
  x: number;
  y: number;
}

/**
 * Layers of a DAG: a step sits one layer right of its deepest input. Unknown inputs are ignored and a
 * cycle (not possible in a compiled manifest) is cut at the step that closes it.
 */
export function dagLayers(steps: readonly ReportStep[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let d = 0;
    for (const need of byId.get(id)?.needs ?? []) if (byId.has(need)) d = Math.max(d, depth(need) + 1);
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  for (const s of steps) depth(s.id);
  return layer;
}

/** The DAG of steps, left to right, one column per layer; the failed step is highlighted. */
export function dagSvg(steps: readonly ReportStep[]): string {
  const nodeW = 200;
  const nodeH = 58;
  const gapX = 64;
  const gapY = 18;
  const pad = 16;
  const layers = dagLayers(steps);
  const columns: ReportStep[][] = [];
  for (const s of steps) {
    const l = layers.get(s.id) ?? 0;
    const column = columns[l] ?? [];
    column.push(s);
    columns[l] = column;
  }
  // Order each column by the mean row of its inputs (fewer crossings), ties in manifest order.
  const row = new Map<string, number>();
  const index = new Map(steps.map((s, i) => [s.id, i]));
  columns.forEach((col, l) => {
    if (l > 0) {
      const bary = (s: ReportStep) => {
        const rows = s.needs.map((n) => row.get(n)).filter((v): v is number => v !== undefined);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Number.POSITIVE_INFINITY;
      };
      col.sort((a, b) => bary(a) - bary(b) || (index.get(a.id) as number) - (index.get(b.id) as number) || 0);
    }
    col.forEach((s, i) => {
      row.set(s.id, i);
    });
  });
  const tallest = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const totalH = pad * 2 + tallest * nodeH + (tallest - 1) * gapY;
  const totalW = pad * 2 + Math.max(1, columns.length) * nodeW + Math.max(0, columns.length - 1) * gapX;
  const placed = new Map<string, Placed>();
  columns.forEach((col, l) => {
    const colH = col.length * nodeH + (col.length - 1) * gapY;
    const y0 = (totalH - colH) / 2;
    col.forEach((s, i) => {
      placed.set(s.id, {
        step: s,
        layer: l,
        x: pad + l * (nodeW + gapX),
        y: r(y0 + i * (nodeH + gapY)),
      });
    });
  });
  const out: string[] = [
    `<svg class="chart dag" viewBox="0 0 ${totalW} ${r(totalH)}" width="${totalW}" height="${r(totalH)}" role="img" aria-label="Step graph" xmlns="http://www.w3.org/2000/svg">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrowhead" d="M0,0L10,5L0,10z"/></marker></defs>',
  ];
  for (const s of steps) {
    const to = placed.get(s.id) as Placed;
    for (const need of s.needs) {
      const from = placed.get(need);
      if (!from) continue;
      const x1 = from.x + nodeW;
      const y1 = r(from.y + nodeH / 2);
      const x2 = to.x - 2;
      const y2 = r(to.y + nodeH / 2);
      const mx = r((x1 + x2) / 2);
      const blocked = s.status === 'skipped' || from.step.status === 'failed';
      out.push(
        `<path class="edge${blocked ? ' blocked' : ''}" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" marker-end="url(#arrow)"><title>${esc(`${need} → ${s.id}`)}</title></path>`,
      );
    }
  }
  for (const s of steps) {
    const p = placed.get(s.id) as Placed;
    const cls = statusClass(s.status);
    const meta =
      s.status === 'failed'
        ? `failed · ${s.error?.code ?? 'error'}`
        : s.status === 'succeeded'
          ? `${s.rows_out !== null ? `${count(s.rows_out)} rows · ` : ''}${duration(s.duration_ms)}`
          : s.status;
    out.push(
      `<g class="node ${cls}${s.status === 'failed' ? ' hl' : ''}" data-step="${esc(s.id)}" data-step-link="${esc(s.id)}" transform="translate(${p.x},${p.y})">`,
      `<title>${esc(stepTitle(s))}</title>`,
      `<rect class="box" width="${nodeW}" height="${nodeH}" rx="8"/>`,
      `<rect class="stripe ${cls}" width="6" height="${nodeH}" rx="3"/>`,
      `<text class="id" x="16" y="20">${esc(truncate(s.id, 24))}</text>`,
      `<text class="sub" x="16" y="36">${esc(truncate(s.component, 30))}</text>`,
      `<text class="sub meta" x="16" y="51">${esc(truncate(meta, 32))}</text>`,
      '</g>',
    );
  }
  out.push('</svg>');
  return out.join('');
}
