/**
 * The comparison with the previous successful run of the same pipeline and profile. The run-level numbers
 * are the AIOP's delta (`aiop/narrative.ts` buildDelta, same predecessor rule from `aiop/read.ts`); the
 * report adds each step's rows and duration from that run's status.json.
 */
import { join } from 'node:path';
import type { ProjectConfig } from '../../project/config.js';
import { buildDelta } from '../aiop/narrative.js';
import { findPreviousSuccessfulRun } from '../aiop/read.js';
import type { Delta } from '../aiop/types.js';
import { loadRunDetails } from '../logs-view.js';
import { type RunRecord, runDirOf } from '../run-index.js';
import { fileLink, type ReportLink } from './details.js';

export interface PreviousStep {
  rows_out: number | null;
  duration_ms: number | null;
}

export interface ReportComparison {
  /** `first_run` when there is nothing to compare with. */
  delta: Delta;
  /** The previous run's report, when it has one. */
  report: ReportLink | null;
  /** Step id → that step in the previous run. */
  steps: Record<string, PreviousStep>;
}

export interface CurrentTotals {
  manifest_hash: string;
  rows_in: number | null;
  rows_out: number | null;
  duration_ms: number | null;
}

export function loadComparison(
  project: ProjectConfig,
  record: RunRecord,
  current: CurrentTotals,
  errorCodes: readonly string[],
  reportDir: string,
): ReportComparison {
  const previous = findPreviousSuccessfulRun(project, record);
  const delta = buildDelta(record.run_id, current, errorCodes, previous, 'previous');
  if (!previous) return { delta, report: null, steps: {} };
  const details = loadRunDetails(project, previous.record);
  // Writers leave rows_out null in status.json; their step_complete event has the rows written (as the
  // report's own steps table reads them).
  const completed = new Map<string, number>();
  for (const e of details.events) {
    if (e.event === 'step_complete' && typeof e.step_id === 'string' && typeof e.rows_out === 'number')
      completed.set(e.step_id, e.rows_out);
  }
  const steps: Record<string, PreviousStep> = {};
  for (const s of details.status?.steps ?? []) {
    steps[s.id] = { rows_out: s.rows_out ?? completed.get(s.id) ?? null, duration_ms: s.duration_ms };
  }
  const report = fileLink(
    reportDir,
    join(runDirOf(project, previous.record), 'report.html'),
    previous.record.run_id,
  );
  return { delta, report, steps };
}
