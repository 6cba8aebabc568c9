/**
 * `steps.jsonl`: the step status changes of a run, appended as they happen. status.json is written only
 * at the start and the end of a run (a 10,000-step pipeline would otherwise rewrite megabytes after every
 * step); a reader that needs the current state of a run that has not finished folds this log over it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isJsonObject } from '../yaml/json.js';
import type { RunStatusDoc, StepStatus } from './session.js';

export const STEP_LOG_FILE = 'steps.jsonl';

/** Step status lines of a run folder in order; a torn last line is skipped. */
export function readStepLog(runDir: string): StepStatus[] {
  let text: string;
  try {
    text = readFileSync(join(runDir, STEP_LOG_FILE), 'utf8');
  } catch {
    return [];
  }
  const out: StepStatus[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isJsonObject(value) && typeof value.id === 'string' && typeof value.status === 'string')
        out.push(value as unknown as StepStatus);
    } catch {
      // torn tail of a killed run
    }
  }
  return out;
}

/** `doc` with each step replaced by its last logged status (steps the log names but `doc` lacks are added). */
export function foldStepLog(doc: RunStatusDoc, log: readonly StepStatus[]): RunStatusDoc {
  const latest = new Map(log.map((s) => [s.id, s]));
  const steps = doc.steps.map((s) => latest.get(s.id) ?? s);
  const known = new Set(steps.map((s) => s.id));
  for (const s of latest.values()) if (!known.has(s.id)) steps.push(s);
  return { ...doc, steps };
}
