/**
 * A step's `incremental: { cursor, initial, lookback }` block, read and checked once. `lookback` is either a
 * count (subtracted from a numeric cursor) or an interval such as `2 hours` (subtracted from a date/time
 * cursor); it re-reads the tail of the last window so rows that arrived late, or were changed with the same
 * cursor value, are not missed (a writer with `primary_key` keeps one copy of each).
 */
import { isJsonObject, type JsonObject } from '../../yaml/json.js';
import { StepError } from '../driver.js';

export type LookbackUnit = 'second' | 'minute' | 'hour' | 'day';
export type Lookback = { count: number } | { amount: number; unit: LookbackUnit };

export interface IncrementalSpec {
  cursor: string;
  /** The value the first run starts from (inclusive); none: the first run reads everything. */
  initial: string | number | undefined;
  lookback: Lookback | undefined;
  /** The lookback as written, for events. */
  lookbackText: string | undefined;
}

const UNITS: Record<string, LookbackUnit> = {
  s: 'second',
  sec: 'second',
  second: 'second',
  seconds: 'second',
  m: 'minute',
  min: 'minute',
  minute: 'minute',
  minutes: 'minute',
  h: 'hour',
  hour: 'hour',
  hours: 'hour',
  d: 'day',
  day: 'day',
  days: 'day',
};

function invalid(stepId: string, message: string, hint: string): StepError {
  return new StepError('incremental.invalid_config', `step '${stepId}': incremental ${message}`, hint, {
    details: { key: 'incremental' },
  });
}

/** Parses `lookback`: a non-negative integer count, or `<n> <unit>` (seconds, minutes, hours, days). */
export function parseLookback(stepId: string, value: unknown): Lookback | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      throw invalid(stepId, `lookback ${value} is not a whole number ≥ 0`, 'write e.g. lookback: 100');
    return { count: value };
  }
  const m = typeof value === 'string' ? /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(value) : null;
  const unit = m ? UNITS[(m[2] as string).toLowerCase()] : undefined;
  if (!m || !unit)
    throw invalid(
      stepId,
      `lookback ${JSON.stringify(value)} is neither a count nor an interval`,
      "write a count (lookback: 100) or an interval in seconds, minutes, hours or days (lookback: '2 hours')",
    );
  return { amount: Number(m[1]), unit };
}

/** The step's incremental block, or undefined when the step reads everything. */
export function incrementalSpec(stepId: string, config: JsonObject): IncrementalSpec | undefined {
  const block = config.incremental;
  if (block === undefined || block === null) return undefined;
  if (!isJsonObject(block))
    throw invalid(
      stepId,
      'must be a mapping',
      'write incremental: { cursor: updated_at, initial: "2024-01-01" }',
    );
  const cursor = block.cursor;
  if (typeof cursor !== 'string' || cursor.trim() === '')
    throw invalid(
      stepId,
      "needs 'cursor', the column whose growing value marks new rows",
      'e.g. cursor: updated_at',
    );
  const initial = block.initial;
  if (initial !== undefined && initial !== null && typeof initial !== 'string' && typeof initial !== 'number')
    throw invalid(
      stepId,
      "'initial' must be a number or a string",
      "e.g. initial: '2024-01-01' or initial: 0",
    );
  for (const key of ['limit', 'offset'])
    if (config[key] !== undefined && config[key] !== null)
      throw new StepError(
        'incremental.invalid_config',
        `step '${stepId}': '${key}' cannot be combined with 'incremental' (rows beyond the limit that share the last cursor value would be skipped for good)`,
        `remove '${key}'; an incremental read already reads only the new rows`,
        { details: { key } },
      );
  const lookback = parseLookback(stepId, block.lookback);
  return {
    cursor,
    initial: initial === null ? undefined : initial,
    lookback,
    lookbackText:
      block.lookback === undefined || block.lookback === null ? undefined : String(block.lookback),
  };
}

/** Whether a step reads incrementally (the runner loads the incremental machinery only then). */
export function isIncremental(step: { mode: string; config: { incremental?: unknown } }): boolean {
  return step.mode === 'read' && step.config.incremental != null;
}
