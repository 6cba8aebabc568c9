/**
 * `run-card.md`: the AIOP for humans. Rendered from the (already truncated and redacted) core document
 * only, so it is as deterministic as the core and never shows anything the core does not.
 */
import { formatCount, formatDuration } from '../progress.js';
import type { AiopDocument, DeltaValue } from './types.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function n(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : formatCount(v);
}

function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : formatDuration(v);
}

function utc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function change(
  v: DeltaValue | undefined,
  fmt: (x: number | null) => string,
  words?: [string, string],
): string[] {
  if (!v) return ['–', '–', '–'];
  let c = '–';
  if (v.change !== null) {
    const arrow = v.change > 0 ? '▲' : v.change < 0 ? '▼' : '→';
    const sign = v.change > 0 ? '+' : v.change < 0 ? '−' : '±';
    const pct = v.change_percent !== null ? ` (${v.change_percent > 0 ? '+' : ''}${v.change_percent}%)` : '';
    const word = words && v.change !== 0 ? ` ${v.change > 0 ? words[0] : words[1]}` : '';
    c = `${arrow} ${sign}${fmt(Math.abs(v.change))}${pct}${word}`;
  }
  return [fmt(v.previous), fmt(v.current), c];
}

export function renderRunCard(doc: AiopDocument): string {
  const { run, evidence, semantic, narrative, metadata } = doc;
  const out: string[] = [];
  const badge = run.status === 'succeeded' ? '✅ succeeded' : '❌ failed';
  out.push(`# ${cell(semantic.pipeline.name)} — ${badge}`, '');
  if (narrative.intent.known) out.push(`*Intent:* ${cell(narrative.intent.text)}`, '');
  out.push('| | |', '|---|---|');
  const row = (k: string, v: string) => out.push(`| ${k} | ${cell(v)} |`);
  row('Run', `\`${run.run_id}\``);
  row('Pipeline', `${run.pipeline}${run.profile ? ` (profile ${run.profile})` : ''}`);
  row('Manifest', `\`${run.manifest_short}\``);
  row('Environment', run.environment);
  row('Started', utc(run.started_at));
  row('Duration', ms(run.duration_ms));
  row(
    'Steps',
    `${run.steps.succeeded}/${run.steps.total} succeeded, ${run.steps.failed} failed, ${run.steps.skipped} skipped`,
  );
  row('Rows', `in ${n(run.rows_in)}, out ${n(run.rows_out)}`);
  if (semantic.connections.length > 0) row('Connections', semantic.connections.join(', '));
  out.push('');

  if (run.error) {
    out.push('## Error', '');
    out.push(
      `**${cell(run.error.code)}**${run.error.step_id ? ` in step \`${run.error.step_id}\`` : ''}: ${cell(run.error.message)}`,
    );
    if (run.error.hint) out.push('', `*Fix:* ${cell(run.error.hint)}`);
    out.push('');
  }

  out.push(
    '## Steps',
    '',
    '| Step | Component | Status | Rows in | Rows out | Duration |',
    '|---|---|---|---:|---:|---:|',
  );
  const metricsByStep = new Map(evidence.metrics.steps.map((s) => [s.step_id, s]));
  const completes = new Map(
    evidence.timeline.events
      .filter((t) => t.event === 'step_complete' && t.step_id !== undefined)
      .map((t) => [t.step_id as string, t]),
  );
  for (const node of semantic.dag.nodes) {
    const c = completes.get(node.id)?.data;
    const m = metricsByStep.get(node.id);
    const rowsIn = typeof c?.rows_in === 'number' ? c.rows_in : null;
    const rowsOut =
      typeof c?.rows_out === 'number' ? c.rows_out : (m?.values.rows_written ?? m?.values.rows_read ?? null);
    const dur = typeof c?.duration_ms === 'number' ? c.duration_ms : (m?.values.duration_ms ?? null);
    out.push(
      `| \`${node.id}\` | ${node.component} | ${node.status ?? '–'} | ${n(rowsIn)} | ${n(rowsOut)} | ${ms(dur)} |`,
    );
  }
  out.push('');

  const errors = evidence.errors;
  if (errors.length > 0) {
    out.push('## Errors and warnings', '');
    for (const e of errors) {
      out.push(
        `- \`${e['@id']}\` ${e.severity} **${cell(e.code)}**${e.step_id ? ` (\`${e.step_id}\`)` : ''}: ${cell(e.message)}`,
      );
    }
    out.push('');
  }

  const d = metadata.delta;
  out.push('## Since the previous successful run', '');
  if (d.basis === 'disabled') {
    out.push('*Comparison turned off (aiop.delta: none).*');
  } else if (d.first_run || !d.previous) {
    out.push('*First successful run of this pipeline in the run index — nothing to compare with.*');
  } else {
    out.push(
      `Previous: \`${d.previous.run_id}\` (${utc(d.previous.started_at)}), manifest ${d.previous.same_manifest ? 'unchanged' : 'changed'}.`,
      '',
    );
    out.push('| Metric | Previous | Current | Change |', '|---|---:|---:|---|');
    out.push(`| Rows out | ${change(d.rows_out, n).join(' | ')} |`);
    out.push(`| Rows in | ${change(d.rows_in, n).join(' | ')} |`);
    out.push(`| Duration | ${change(d.duration_ms, ms, ['slower', 'faster']).join(' | ')} |`);
    const fresh = d.errors?.new ?? [];
    out.push(
      '',
      fresh.length > 0
        ? `New error/warning codes: ${fresh.map((c) => `\`${c}\``).join(', ')}`
        : 'No new error codes.',
    );
  }
  out.push('');

  if (evidence.outputs.length > 0) {
    out.push('## Outputs', '');
    for (const o of evidence.outputs) out.push(`- \`${o.step_id}\` → ${cell(o.target)}`);
    out.push('');
  }

  out.push('## What happened', '');
  for (const p of narrative.paragraphs) out.push(p.text, '');

  out.push('---', '');
  const trunc = metadata.truncated
    ? `truncated (${metadata.truncation.map((t) => `${t.path}: ${t.dropped} dropped`).join('; ')})`
    : 'complete';
  out.push(
    `AIOP ${metadata.aiop_format} · core ${formatCount(metadata.size.core_bytes)} bytes (max ${formatCount(metadata.size.max_core_bytes)}) · ${trunc} · timeline ${evidence.timeline.events.length}/${evidence.timeline.total} events · run folder \`${run.run_dir}\``,
  );
  return `${out.join('\n')}\n`;
}
