/**
 * The `partition:` block of mysql.extractor / postgres.extractor (docs/adr/0028-partitioned-copies.md):
 *
 *   partition:
 *     column: id          # the key the copy is split on (integer, date or timestamp for `count`)
 *     count: 8            # ranges computed from MIN/MAX of the key …
 *     ranges: [[null, 1000], [1000, 5000], [5000, null]]   # … or given: [lo, hi), null = open
 *     parallel: 4         # local runs: partitions at once (default min(count, cores))
 *
 * Rows whose key is NULL always go to the first partition; the first range is open below and the last open
 * above when computed, so no row falls between ranges.
 */
import { availableParallelism } from 'node:os';
import { isJsonObject, type JsonValue } from '../../yaml/json.js';
import { StepError } from '../driver.js';

/** A bound as written in YAML: a number, a date/timestamp or other text; null means open. */
export type Bound = number | string | null;

export interface PartitionSpec {
  column: string;
  /** Computed ranges (count) or the user's. */
  count: number | undefined;
  ranges: Array<[Bound, Bound]> | undefined;
  parallel: number;
}

/** Components whose `partition:` this module understands, and the family of each. */
export const PARTITION_SOURCES: Readonly<Record<string, 'mysql' | 'postgres'>> = {
  'mysql.extractor': 'mysql',
  'postgres.extractor': 'postgres',
};

/** Writers a partitioned copy may feed (they load through staging tables this module swaps in). */
export const PARTITION_TARGETS: Readonly<Record<string, 'mysql' | 'postgres'>> = {
  'mysql.writer': 'mysql',
  'postgres.writer': 'postgres',
};

export const MAX_PARTITIONS = 256;

function invalid(stepId: string, what: string, hint: string): StepError {
  return new StepError('partition.invalid', `step '${stepId}': partition: ${what}`, hint, {
    details: { key: 'partition' },
  });
}

function isBound(v: JsonValue | undefined): v is Bound {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** The step's `partition` block, checked; undefined when the step has none. */
export function partitionSpec(stepId: string, config: Record<string, JsonValue>): PartitionSpec | undefined {
  const raw = config.partition;
  if (raw === undefined || raw === null) return undefined;
  for (const key of ['limit', 'offset', 'incremental'])
    if (config[key] !== undefined)
      throw invalid(stepId, `cannot be combined with '${key}'`, `drop '${key}', or drop 'partition'`);
  const shape =
    'write it as partition: { column: id, count: 8 } or partition: { column: id, ranges: [[null, 100], [100, null]] }';
  if (!isJsonObject(raw)) throw invalid(stepId, 'must be a mapping', shape);
  const column = raw.column;
  if (typeof column !== 'string' || column.trim() === '') throw invalid(stepId, "'column' is missing", shape);
  const count = raw.count;
  const ranges = raw.ranges;
  if ((count === undefined) === (ranges === undefined))
    throw invalid(stepId, "set exactly one of 'count' or 'ranges'", shape);
  let parsedCount: number | undefined;
  let parsedRanges: Array<[Bound, Bound]> | undefined;
  if (count !== undefined) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS)
      throw invalid(stepId, `'count' must be an integer from 1 to ${MAX_PARTITIONS}`, shape);
    parsedCount = count;
  } else {
    if (!Array.isArray(ranges) || ranges.length === 0 || ranges.length > MAX_PARTITIONS)
      throw invalid(stepId, `'ranges' must be a list of 1 to ${MAX_PARTITIONS} [lo, hi) pairs`, shape);
    parsedRanges = ranges.map((r, i) => {
      if (!Array.isArray(r) || r.length !== 2 || !isBound(r[0]) || !isBound(r[1]))
        throw invalid(
          stepId,
          `range ${i + 1} must be a pair [lo, hi) of numbers, dates or null (open)`,
          shape,
        );
      return [r[0], r[1]];
    });
  }
  const parallelRaw = raw.parallel;
  const total = parsedCount ?? parsedRanges?.length ?? 1;
  let parallel = Math.max(1, Math.min(total, availableParallelism()));
  if (parallelRaw !== undefined) {
    if (typeof parallelRaw !== 'number' || !Number.isInteger(parallelRaw) || parallelRaw < 1)
      throw invalid(stepId, "'parallel' must be a positive integer", shape);
    parallel = parallelRaw;
  }
  for (const key of Object.keys(raw))
    if (!['column', 'count', 'ranges', 'parallel'].includes(key))
      throw invalid(stepId, `unknown key '${key}'`, 'keys: column, count or ranges, parallel');
  return { column, count: parsedCount, ranges: parsedRanges, parallel };
}
