/**
 * The narrative layer and the delta: plain-language paragraphs in which every sentence cites the evidence
 * ids that back it, and the comparison with the previous successful run of the pipeline.
 */
import { formatCount, formatDuration } from '../progress.js';
import { loadSentences } from './loads.js';
import type { PreviousRun } from './read.js';
import type {
  AiopRun,
  ArtifactItem,
  Delta,
  DeltaValue,
  ErrorItem,
  EvidenceId,
  NarrativeLayer,
  NarrativeParagraph,
  NarrativeSentence,
  OutputItem,
  SemanticLayer,
  TimelineItem,
} from './types.js';

/** Steps described one by one; the rest are summed up in one sentence. */
export const NARRATIVE_STEP_LIMIT = 20;

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function deltaValue(
  previous: number | null | undefined,
  current: number | null | undefined,
): DeltaValue {
  const p = previous ?? null;
  const c = current ?? null;
  return {
    previous: p,
    current: c,
    change: p !== null && c !== null ? c - p : null,
    change_percent: p !== null && c !== null && p !== 0 ? round2(((c - p) / p) * 100) : null,
  };
}

export function buildDelta(
  runId: string,
  run: Pick<AiopRun, 'manifest_hash' | 'rows_in' | 'rows_out'> & { duration_ms: number | null },
  currentCodes: readonly string[],
  previous: PreviousRun | undefined,
  mode: 'previous' | 'none',
): Delta {
  const id = `ev.delta.${runId}`;
  if (mode === 'none') return { '@id': id, basis: 'disabled', first_run: false };
  if (!previous) return { '@id': id, basis: 'previous_successful_run', first_run: true };
  const p = previous.record;
  const prevCodes = [...previous.codes].sort();
  const cur = [...new Set(currentCodes)].sort();
  return {
    '@id': id,
    basis: 'previous_successful_run',
    first_run: false,
    previous: {
      run_id: p.run_id,
      started_at: p.started_at,
      manifest_hash: p.manifest_hash,
      same_manifest: p.manifest_hash === run.manifest_hash,
    },
    rows_in: deltaValue(p.rows_in, run.rows_in),
    rows_out: deltaValue(p.rows_out, run.rows_out),
    duration_ms: deltaValue(p.duration_ms, run.duration_ms),
    errors: { previous: prevCodes, current: cur, new: cur.filter((c) => !prevCodes.includes(c)) },
  };
}

// ---------------------------------------------------------------------------------------------------------

export interface NarrativeInputs {
  run: AiopRun;
  semantic: SemanticLayer;
  /** Every timeline item (before density filtering and truncation): lifecycle events are looked up here. */
  timeline: readonly TimelineItem[];
  errors: readonly ErrorItem[];
  artifacts: readonly ArtifactItem[];
  outputs: readonly OutputItem[];
  delta: Delta;
  intent: NarrativeLayer['intent'];
}

function utc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function rows(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${formatCount(n)} ${n === 1 ? word : many}`;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function signed(n: number): string {
  return n > 0 ? `+${formatCount(n)}` : n < 0 ? `−${formatCount(-n)}` : '±0';
}

function percent(v: DeltaValue): string {
  return v.change_percent === null ? '' : ` (${v.change_percent > 0 ? '+' : ''}${v.change_percent}%)`;
}

function paragraph(id: NarrativeParagraph['id'], sentences: NarrativeSentence[]): NarrativeParagraph {
  const text = sentences.map((s) => `${s.text} [${s.cites.join(', ')}]`).join(' ');
  return { id, text, sentences };
}

/**
 * Builds the narrative. Every sentence cites at least one id; the ids cited are returned so the truncation
 * step can keep them ("pinned") in the core.
 */
/** What an incremental read covered, or what cursor a writer committed (docs/reference/incremental.md). */
function incrementalSentence(
  timeline: readonly TimelineItem[],
  stepId: string,
  sentence: (text: string, ...ids: (EvidenceId | undefined)[]) => NarrativeSentence,
): NarrativeSentence | undefined {
  const window = timeline.find((t) => t.event === 'incremental.window' && t.step_id === stepId);
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  if (window) {
    const d = window.data;
    const from = text(d.from);
    const lookback = text(d.lookback);
    const bound = from
      ? `\`${text(d.cursor)}\` ${d.inclusive ? '>=' : '>'} ${from}${lookback && !d.inclusive ? ` minus a lookback of ${lookback}` : ''}`
      : `every value of \`${text(d.cursor)}\``;
    const to = text(d.to);
    return sentence(
      `It read incrementally (${text(d.origin) ?? 'state'}): ${bound}${to ? `, up to ${to}` : ', and found no new rows'}.`,
      window['@id'],
    );
  }
  const commits = timeline.filter((t) => t.event === 'incremental.state_committed' && t.step_id === stepId);
  if (!commits.length) return undefined;
  const parts = commits.map(
    (c) =>
      `\`${text(c.data.cursor)}\` = ${text(c.data.value)} for \`${text(c.data.extractor_step)}\` in ${text(c.data.store)}`,
  );
  const inTransaction = commits.every((c) => c.data.in_transaction === true);
  return sentence(
    `It committed the cursor ${parts.join('; ')}${inTransaction ? ', in the same transaction as the rows' : ', after its output was in place'}.`,
    ...commits.map((c) => c['@id']),
  );
}

export function buildNarrative(inputs: NarrativeInputs): {
  narrative: NarrativeLayer;
  cited: Set<EvidenceId>;
} {
  const { run, semantic, timeline, errors, artifacts, outputs, delta, intent } = inputs;
  const cited = new Set<EvidenceId>();
  const sentence = (text: string, ...ids: (EvidenceId | undefined)[]): NarrativeSentence => {
    const cites = [...new Set(ids.filter((x): x is EvidenceId => typeof x === 'string' && x !== ''))];
    if (cites.length === 0) cites.push(run['@id']);
    for (const c of cites) cited.add(c);
    return { text, cites };
  };
  const firstEvent = (name: string, stepId?: string) =>
    timeline.find((t) => t.event === name && (stepId === undefined || t.step_id === stepId))?.['@id'];
  const lastEvent = (names: readonly string[]) => {
    for (let i = timeline.length - 1; i >= 0; i--) {
      const t = timeline[i] as TimelineItem;
      if (names.includes(t.event) && t.step_id === undefined) return t['@id'];
    }
    return undefined;
  };
  const artifactId = (path: string) => artifacts.find((a) => a.path === path)?.['@id'];
  const manifestId = artifactId('manifest.yaml');
  const statusId = artifactId('status.json');
  const runStart = firstEvent('run_start');
  const runEnd = lastEvent(['run_complete', 'run_failed']);

  // Context
  const where = run.environment === 'local' ? 'locally' : `on ${run.environment}`;
  const profile = run.profile ? `profile ${run.profile}, ` : '';
  const context: NarrativeSentence[] = [
    sentence(
      `Pipeline ${semantic.pipeline.id} (${profile}manifest ${run.manifest_short}) ran ${where} as run ${run.run_id}, starting at ${utc(run.started_at)}.`,
      runStart,
      run['@id'],
    ),
  ];
  if (intent.known) {
    const text = intent.text.replace(/\s+/g, ' ').trim();
    context.push(sentence(`Its stated purpose: ${/[.!?]$/.test(text) ? text : `${text}.`}`, manifestId));
  } else {
    context.push(
      sentence(
        `The pipeline states no purpose; judging by its steps it ${intent.text.replace(/^It /, '').replace(/^./, (c) => c.toLowerCase())}`,
        manifestId,
      ),
    );
  }

  // Execution
  const execution: NarrativeSentence[] = [];
  const { counts, roots, leaves } = semantic.dag;
  execution.push(
    sentence(
      `The DAG has ${plural(counts.nodes, 'step')} and ${plural(counts.edges, 'dependency', 'dependencies')}; ${list(roots.map((r) => `\`${r}\``)) || 'no step'} ${roots.length === 1 ? 'starts' : 'start'} it and ${list(leaves.map((l) => `\`${l}\``)) || 'no step'} ${leaves.length === 1 ? 'ends' : 'end'} it.`,
      manifestId,
    ),
  );
  const stepById = new Map(semantic.steps.map((s) => [s.id, s]));
  const nodes = semantic.dag.nodes;
  for (const node of nodes.slice(0, NARRATIVE_STEP_LIMIT)) {
    const step = stepById.get(node.id);
    const complete = timeline.find((t) => t.event === 'step_complete' && t.step_id === node.id);
    const failed = timeline.find((t) => t.event === 'step_failed' && t.step_id === node.id);
    const skipped = timeline.find((t) => t.event === 'step_skipped' && t.step_id === node.id);
    const label = `Step \`${node.id}\` (${node.component}${step?.connection ? ` via ${step.connection}` : ''})`;
    if (failed) {
      const err = errors.find((e) => e.event === failed['@id']);
      const code =
        typeof failed.data.error_code === 'string' ? failed.data.error_code : (err?.code ?? 'error');
      const message = typeof failed.data.message === 'string' ? failed.data.message : (err?.message ?? '');
      const ms =
        typeof failed.data.duration_ms === 'number'
          ? ` after ${formatDuration(failed.data.duration_ms)}`
          : '';
      execution.push(
        sentence(
          `${label} failed${ms} with ${code}: ${message}`.trimEnd().replace(/([^.!?])$/, '$1.'),
          failed['@id'],
          err?.['@id'],
        ),
      );
    } else if (complete) {
      const d = complete.data;
      const out = typeof d.rows_out === 'number' ? d.rows_out : null;
      const inn = typeof d.rows_in === 'number' ? d.rows_in : null;
      const ms = typeof d.duration_ms === 'number' ? d.duration_ms : null;
      const what =
        node.mode === 'write'
          ? `wrote ${out !== null ? rows(out) : inn !== null ? rows(inn) : 'its input'}`
          : node.mode === 'read'
            ? `read ${out !== null ? rows(out) : 'its source'}`
            : `turned ${inn !== null ? rows(inn) : 'its inputs'} into ${out !== null ? rows(out) : 'its output'}`;
      execution.push(
        sentence(`${label} ${what}${ms !== null ? ` in ${formatDuration(ms)}` : ''}.`, complete['@id']),
      );
      const incremental = incrementalSentence(timeline, node.id, sentence);
      if (incremental) execution.push(incremental);
    } else if (skipped) {
      const reason = typeof skipped.data.reason === 'string' ? ` (${skipped.data.reason})` : '';
      execution.push(sentence(`${label} was skipped${reason}.`, skipped['@id']));
    } else if (node.status === 'succeeded' || node.status === 'failed' || node.status === 'skipped') {
      execution.push(sentence(`${label} ended as ${node.status}.`, statusId));
    } else {
      execution.push(sentence(`${label} did not run.`, statusId ?? run['@id']));
    }
  }
  if (nodes.length > NARRATIVE_STEP_LIMIT) {
    const rest = nodes.slice(NARRATIVE_STEP_LIMIT);
    const by = (s: string) => rest.filter((n) => n.status === s).length;
    execution.push(
      sentence(
        `${plural(rest.length, 'more step')} ran: ${by('succeeded')} succeeded, ${by('failed')} failed, ${by('skipped')} skipped (see the timeline and metrics).`,
        statusId,
        runEnd,
      ),
    );
  }

  // Outcome
  const outcome: NarrativeSentence[] = [];
  const s = run.steps;
  if (run.status === 'succeeded') {
    const rowsText = run.rows_out !== null ? `; ${rows(run.rows_out)} came out of the pipeline` : '';
    outcome.push(
      sentence(
        `The run succeeded in ${formatDuration(run.duration_ms)}: ${s.succeeded} of ${plural(s.total, 'step')} succeeded${rowsText}.`,
        runEnd,
        run['@id'],
      ),
    );
  } else {
    const err = run.error;
    const at = err?.step_id ? ` at step \`${err.step_id}\`` : '';
    const firstError = errors.find((e) => e.severity === 'error');
    outcome.push(
      sentence(
        `The run failed after ${formatDuration(run.duration_ms)}${at}${err ? ` with ${err.code}: ${err.message}` : ''}`.replace(
          /([^.!?])$/,
          '$1.',
        ),
        runEnd,
        firstError?.['@id'],
        run['@id'],
      ),
    );
    if (err?.hint)
      outcome.push(
        sentence(`Suggested fix: ${err.hint.replace(/([^.!?])$/, '$1.')}`, firstError?.['@id'] ?? run['@id']),
      );
    outcome.push(
      sentence(
        `${s.succeeded} of ${plural(s.total, 'step')} succeeded, ${s.failed} failed and ${s.skipped} ${s.skipped === 1 ? 'was' : 'were'} skipped.`,
        statusId,
        runEnd,
      ),
    );
  }
  if (outputs.length > 0) {
    const shown = outputs.slice(0, 5).map((o) => o.target);
    const more = outputs.length > 5 ? ` and ${outputs.length - 5} more` : '';
    const ids = [...new Set(outputs.slice(0, 5).map((o) => firstEvent('step_complete', o.step_id)))];
    outcome.push(
      sentence(`Writers produced ${plural(outputs.length, 'output')}: ${shown.join(', ')}${more}.`, ...ids),
    );
  }
  outcome.push(...loadSentences(timeline, sentence));
  const retried = timeline.filter((t) => t.event === 'step_retry');
  if (retried.length > 0) {
    const perStep = [...new Set(retried.map((t) => t.step_id ?? 'run'))].map((id) => {
      const mine = retried.filter((t) => (t.step_id ?? 'run') === id);
      const reasons = [...new Set(mine.map((t) => String(t.data.reason ?? 'transient')))].join(', ');
      return `\`${id}\` ${plural(mine.length, 'time')} (${reasons})`;
    });
    outcome.push(
      sentence(
        `After transient errors, steps ran again: ${list(perStep)}.`,
        ...retried.slice(0, 5).map((t) => t['@id']),
      ),
    );
  }
  const warnings = errors.filter((e) => e.severity === 'warning');
  if (warnings.length > 0) {
    const codes = [...new Set(warnings.map((w) => w.code))].sort();
    outcome.push(
      sentence(
        `${plural(warnings.length, 'warning')} ${warnings.length === 1 ? 'was' : 'were'} recorded (${codes.join(', ')}).`,
        ...warnings.slice(0, 5).map((w) => w['@id']),
      ),
    );
  }

  // Delta
  const deltaSentences: NarrativeSentence[] = [];
  const did = delta['@id'];
  if (delta.basis === 'disabled') {
    deltaSentences.push(sentence('Comparison with earlier runs is turned off (aiop.delta: none).', did));
  } else if (delta.first_run || !delta.previous) {
    deltaSentences.push(
      sentence(
        `No earlier successful run of ${semantic.pipeline.id}${run.profile ? ` (profile ${run.profile})` : ''} is in the run index, so there is nothing to compare with.`,
        did,
      ),
    );
  } else {
    const p = delta.previous;
    const parts: string[] = [];
    const ro = delta.rows_out;
    if (ro && (ro.previous !== null || ro.current !== null)) {
      const fmt = (n: number | null) => (n === null ? 'unknown' : formatCount(n));
      const pct =
        ro.change_percent !== null ? `, ${ro.change_percent > 0 ? '+' : ''}${ro.change_percent}%` : '';
      parts.push(
        ro.change === 0
          ? `rows out stayed at ${fmt(ro.current)}`
          : ro.current === null
            ? `no rows out were recorded (${fmt(ro.previous)} the previous time)`
            : `rows out went from ${fmt(ro.previous)} to ${fmt(ro.current)}${ro.change !== null ? ` (${signed(ro.change)}${pct})` : ''}`,
      );
    }
    const du = delta.duration_ms;
    if (du && du.previous !== null && du.current !== null) {
      parts.push(
        `duration went from ${formatDuration(du.previous)} to ${formatDuration(du.current)}${percent(du)}`,
      );
    }
    deltaSentences.push(
      sentence(
        `Compared with the previous successful run ${p.run_id} (${utc(p.started_at)}), ${parts.length ? list(parts) : 'no totals can be compared'}.`,
        did,
      ),
    );
    deltaSentences.push(
      sentence(
        p.same_manifest
          ? 'The compiled manifest is the same as then.'
          : 'The compiled manifest changed since then.',
        did,
      ),
    );
    const fresh = delta.errors?.new ?? [];
    if (fresh.length > 0)
      deltaSentences.push(sentence(`New error or warning codes: ${fresh.join(', ')}.`, did));
  }

  return {
    narrative: {
      intent,
      paragraphs: [
        paragraph('context', context),
        paragraph('execution', execution),
        paragraph('outcome', outcome),
        paragraph('delta', deltaSentences),
      ],
    },
    cited,
  };
}
