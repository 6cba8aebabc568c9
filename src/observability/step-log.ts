/**
 * `steps.jsonl`: the step status changes of a run, appended as they happen. status.json is written only
 * at the start and the end of a run (a 10,000-step pipeline would otherwise rewrite megabytes after every
 * step); a reader that needs the current state of a run that has not finished folds this log over it.
 */
import { join } from 'node:path';
import { readJsonLines } from '../util/json-lines.js';
import type { JsonObject } from '../yaml/json.js';
import type { RunStatusDoc, StepStatus } from './session.js';

export const STEP_LOG_FILE = 'steps.jsonl';

/** Step status lines of a run folder in order; a torn last line is skipped. */
export function readStepLog(runDir: string): StepStatus[] {
  return (readJsonLines(join(runDir, STEP_LOG_FILE)) ?? []).filter(
    (value): value is JsonObject & StepStatus =>
      typeof value.id === 'string' && typeof value.status === 'string',
  );
}

/** `doc` with each step replaced by its last logged status (steps the log names but `doc` lacks are added). */
export function foldStepLog(doc: RunStatusDoc, log: readonly StepStatus[]): RunStatusDoc {
  const latest = new Map(log.map((s) => [s.id, s]));
  const steps = doc.steps.map((s) => latest.get(s.id) ?? s);
  const known = new Set(steps.map((s) => s.id));
  for (const s of latest.values()) if (!known.has(s.id)) steps.push(s);
  return { ...doc, steps };
}
