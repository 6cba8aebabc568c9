/**
 * Size control for the core document. The core is serialised canonically (keys sorted, 2-space indent,
 * trailing newline) and must fit `max_core_bytes`. When it does not, evidence is cut in this order, each
 * stage as little as needed (binary search), each leaving an explicit marker:
 *
 * 1. timeline: keep the first N and last N events plus every pinned one (cited by the narrative or an
 *    error) → `timeline.truncated`, `timeline.dropped`, `timeline.sample {head, tail, pinned}`
 * 2. per-step metrics: keep the K slowest steps → `metrics.truncated`, `metrics.dropped`
 * 3. artifacts: keep pinned files and the first K others → `artifacts.truncated`, `artifacts.dropped`
 * 4. step config copies in the semantic layer: dropped (keys kept) → `semantic.configs_truncated`
 * 5. payloads (`data`) of the kept timeline events: emptied → marker `evidence.timeline.events[].data`
 * 6. writer outputs: keep the first K
 *
 * Every cut is listed in `metadata.truncation` and sets `metadata.truncated`. Narrative, run and semantic
 * DAG are never cut; when even the floor does not fit, `metadata.size.within_budget` is false.
 */
import { sortKeysDeep } from '../../util/canonical.js';
import type { AiopDocument, EvidenceId, TimelineItem, TruncationMarker } from './types.js';

/** The exact bytes written to summary.json. */
export function serializeCore(doc: AiopDocument): string {
  return `${JSON.stringify(sortKeysDeep(doc), null, 2)}\n`;
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Fills `metadata.size` so that `core_bytes` is the size of the document that contains it. */
export function finalizeSize(doc: AiopDocument): string {
  let text = '';
  for (let i = 0; i < 8; i++) {
    text = serializeCore(doc);
    const size = byteLength(text);
    if (size === doc.metadata.size.core_bytes) break;
    doc.metadata.size.core_bytes = size;
    doc.metadata.size.within_budget = size <= doc.metadata.size.max_core_bytes;
  }
  return serializeCore(doc);
}

/** Largest n in [lo, hi] with fits(n) true, assuming fits is monotone (true…true false…false); lo-1 if none. */
function largestFitting(lo: number, hi: number, fits: (n: number) => boolean): number {
  let best = lo - 1;
  let a = lo;
  let b = hi;
  while (a <= b) {
    const mid = Math.floor((a + b) / 2);
    if (fits(mid)) {
      best = mid;
      a = mid + 1;
    } else {
      b = mid - 1;
    }
  }
  return best;
}

/**
 * Cuts `doc` in place until its serialisation fits `max_core_bytes`. `pinned` ids survive the timeline and
 * artifact cuts. `annex` says whether the full data is available in annex shards (worded in the markers).
 */
export function fitToBudget(doc: AiopDocument, pinned: ReadonlySet<EvidenceId>, annex: boolean): void {
  const max = doc.metadata.size.max_core_bytes;
  // Room for the digits of core_bytes and the markers added below.
  const reserve = 1024;
  const budget = Math.max(0, max - reserve);
  const size = () => byteLength(serializeCore(doc));
  if (byteLength(serializeCore(doc)) <= max) return;
  const where = annex ? 'full list in the annex' : 'use --policy annex for the full list';
  const markers: TruncationMarker[] = doc.metadata.truncation;
  const mark = (m: TruncationMarker) => {
    markers.push(m);
    doc.metadata.truncated = true;
  };
  const fits = () => size() <= budget;

  // 1. timeline
  const timeline = doc.evidence.timeline;
  const all = timeline.events;
  const isPinned = (t: TimelineItem) => pinned.has(t['@id']);
  const others = all.filter((t) => !isPinned(t));
  const pinnedCount = all.length - others.length;
  const sample = (n: number) => {
    const head = others.slice(0, n);
    const tail = n > 0 && others.length > n ? others.slice(Math.max(n, others.length - n)) : [];
    const keep = new Set([...head, ...tail]);
    timeline.events = all.filter((t) => isPinned(t) || keep.has(t));
  };
  if (!fits() && others.length > 0) {
    // An event takes at least ~60 bytes: no point in trying more than the budget could ever hold.
    const hi = Math.min(Math.ceil(others.length / 2), Math.ceil(budget / 60));
    const n = Math.max(
      0,
      largestFitting(0, hi, (k) => {
        sample(k);
        return fits();
      }),
    );
    sample(n);
    const kept = timeline.events.length;
    timeline.truncated = true;
    timeline.dropped = all.length - kept;
    timeline.sample = {
      head: Math.min(n, others.length),
      tail: Math.max(0, Math.min(n, others.length - n)),
      pinned: pinnedCount,
    };
    mark({
      path: 'evidence.timeline.events',
      kept,
      dropped: timeline.dropped,
      reason: `max_core_bytes: kept the first ${timeline.sample.head} and last ${timeline.sample.tail} events plus ${pinnedCount} cited ones; ${where}`,
    });
  }

  // 2. per-step metrics (already sorted slowest first)
  const metrics = doc.evidence.metrics;
  if (!fits() && metrics.steps.length > 0) {
    const steps = metrics.steps;
    const k = Math.max(
      0,
      largestFitting(0, steps.length - 1, (n) => {
        metrics.steps = steps.slice(0, n);
        return fits();
      }),
    );
    metrics.steps = steps.slice(0, k);
    metrics.truncated = true;
    metrics.dropped += steps.length - k;
    mark({
      path: 'evidence.metrics.steps',
      kept: k,
      dropped: steps.length - k,
      reason: `max_core_bytes: kept the ${k} slowest steps; ${where}`,
    });
  }

  // 3. artifacts
  const arts = doc.evidence.artifacts;
  if (!fits() && arts.files.length > 0) {
    const files = arts.files;
    const keepPinned = files.filter((f) => pinned.has(f['@id']));
    const rest = files.filter((f) => !pinned.has(f['@id']));
    const pick = (n: number) => {
      const chosen = new Set([...keepPinned, ...rest.slice(0, n)]);
      arts.files = files.filter((f) => chosen.has(f));
    };
    const k = Math.max(
      0,
      largestFitting(0, Math.max(0, rest.length - 1), (n) => {
        pick(n);
        return fits();
      }),
    );
    pick(k);
    arts.truncated = true;
    arts.dropped = files.length - arts.files.length;
    mark({
      path: 'evidence.artifacts.files',
      kept: arts.files.length,
      dropped: arts.dropped,
      reason: 'max_core_bytes: the run folder still holds every file',
    });
  }

  // 4. config copies
  if (!fits() && doc.semantic.steps.some((s) => s.config !== undefined)) {
    let dropped = 0;
    for (const s of doc.semantic.steps) {
      if (s.config !== undefined) {
        delete s.config;
        dropped++;
      }
    }
    doc.semantic.configs_truncated = true;
    mark({
      path: 'semantic.steps[].config',
      kept: 0,
      dropped,
      reason: 'max_core_bytes: config keys kept; the run folder has cfg/<step>.json',
    });
  }

  // 5. event payloads
  if (!fits() && timeline.events.some((t) => Object.keys(t.data).length > 0)) {
    let emptied = 0;
    timeline.events = timeline.events.map((t) => {
      if (Object.keys(t.data).length === 0) return t;
      emptied++;
      return { ...t, data: {} };
    });
    timeline.truncated = true;
    mark({
      path: 'evidence.timeline.events[].data',
      kept: 0,
      dropped: emptied,
      reason: `max_core_bytes: event payloads removed; ${where}`,
    });
  }

  // 6. outputs
  const outputs = doc.evidence.outputs;
  if (!fits() && outputs.length > 0) {
    const k = Math.max(
      0,
      largestFitting(0, outputs.length - 1, (n) => {
        doc.evidence.outputs = outputs.slice(0, n);
        return fits();
      }),
    );
    doc.evidence.outputs = outputs.slice(0, k);
    mark({
      path: 'evidence.outputs',
      kept: k,
      dropped: outputs.length - k,
      reason: 'max_core_bytes',
    });
  }
}
