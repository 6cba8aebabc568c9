/**
 * AIOP sentences for database loads (docs/adr/0025): each verified load — the rows and the figures the
 * writer compared before COMMIT — and each schema change, citing their events so they stay in the core at
 * every timeline density.
 */
import type { JsonValue } from '../../yaml/json.js';
import type { EvidenceId, NarrativeSentence, TimelineItem } from './types.js';

type Sentence = (text: string, ...ids: (EvidenceId | undefined)[]) => NarrativeSentence;

const first = (v: JsonValue | undefined): string => (Array.isArray(v) ? String(v[0]) : String(v ?? '?'));

function checked(columns: JsonValue | undefined): string {
  if (!Array.isArray(columns)) return '';
  const kinds = columns.filter(
    (c) => c !== null && typeof c === 'object' && !Array.isArray(c) && c.check !== 'nulls',
  );
  return `null counts of ${columns.length} column${columns.length === 1 ? '' : 's'}${kinds.length ? ` and sums or min/max of ${kinds.length}` : ''}`;
}

export function loadSentences(timeline: readonly TimelineItem[], sentence: Sentence): NarrativeSentence[] {
  const out: NarrativeSentence[] = [];
  for (const t of timeline) {
    const d = t.data;
    const step = t.step_id ? `Step \`${t.step_id}\`` : 'A writer';
    if (t.event === 'write.verified')
      out.push(
        sentence(
          `${step} verified its load of ${String(d.table)} before COMMIT: ${first(d.rows)} rows received and held, with equal ${checked(d.columns)} (${String(d.scope ?? '')}).`,
          t['@id'],
        ),
      );
    else if (t.event === 'write.verify_failed')
      out.push(
        sentence(
          `${step} found the rows in ${String(d.table)} differing from the rows it received and rolled the load back.`,
          t['@id'],
        ),
      );
    else if (t.event === 'schema.column_added')
      out.push(
        sentence(
          `${step} added column ${String(d.column)} (${String(d.type)}) to ${String(d.table)}.`,
          t['@id'],
        ),
      );
    else if (t.event === 'schema.column_widened')
      out.push(
        sentence(
          `${step} widened column ${String(d.column)} of ${String(d.table)} from ${String(d.from)} to ${String(d.to)}.`,
          t['@id'],
        ),
      );
  }
  return out;
}
