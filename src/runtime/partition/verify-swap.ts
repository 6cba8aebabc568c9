/**
 * Load verification of a partitioned copy's swap (docs/adr/0025, 0028). Each partition's load into its
 * staging table was verified against the rows that partition read; inside the swap's transaction, before
 * COMMIT, the staged rows are aggregated again and compared with the target's rows this swap wrote, with the
 * writers' own aggregates and comparison (connectors/load-verify.ts): the row count and, per column, the
 * null count, the sum of integers and decimals, min/max of dates and times. Both sides are computed by the
 * same server on the same column types, so the figures must match — a trigger or rule that changed rows on
 * the way in fails the swap and rolls it back.
 */
import {
  type Check,
  compareProfiles,
  type Profile,
  type VerifyColumn,
} from '../../connectors/load-verify.js';
import type { JsonObject } from '../../yaml/json.js';
import { StepError } from '../driver.js';

export interface SwapColumn {
  name: string;
  /** The server's data type name (`integer`, `numeric`, `timestamp without time zone`, `datetime`, …). */
  type: string;
}

export interface SwapVerifyRequest {
  stepId: string;
  /** The target as messages show it. */
  table: string;
  /** A query of the staged rows (`SELECT … FROM stage_0 UNION ALL …`). */
  staged: string;
  /** A FROM clause of the target rows this swap wrote; undefined when they cannot be told apart. */
  moved: string | undefined;
  /** What `moved` is, for the evidence. */
  movedShown: string;
  columns: readonly SwapColumn[];
  stagedRows: number;
  /** Rows the INSERT reported (used when `moved` is undefined). */
  movedRows: number;
  /** The family's aggregates of `checks` over a FROM clause, on the swap's connection (in its transaction). */
  profile(from: string, checks: readonly VerifyColumn[]): Promise<Profile>;
}

/** What a column of this server type is compared by; both sides share the type, so no conversion matters. */
function checkFor(type: string): Check {
  const t = type.toLowerCase();
  if (/^(smallint|integer|bigint|numeric|tinyint|mediumint|int|decimal)\b/.test(t)) return 'sum';
  if (/^(timestamp|datetime)\b/.test(t)) return 'ts';
  // Dates and times: min/max compared as the server's text.
  if (/^(date|time)\b/.test(t)) return 'date';
  return 'nulls';
}

/**
 * Compares the staged rows with the rows the swap wrote; returns the evidence (the `write.verified` event's
 * shape) or throws `partition.verify_failed` naming every difference.
 */
export async function verifySwap(req: SwapVerifyRequest): Promise<JsonObject> {
  if (req.moved === undefined) {
    if (req.movedRows !== req.stagedRows)
      throw mismatch(req, [`row count: staged ${req.stagedRows}, moved ${req.movedRows}`]);
    return { scope: req.movedShown, rows: [req.stagedRows, req.movedRows], columns: [], matched: true };
  }
  const checks = req.columns.map((c) => ({ input: c.name, target: c.name, check: checkFor(c.type) }));
  const staged = await req.profile(`(${req.staged}) AS osiris_staged`, checks);
  const moved = await req.profile(req.moved, checks);
  const { evidence, mismatches } = compareProfiles(checks, staged, moved, req.movedShown);
  if (mismatches.length)
    throw mismatch(
      req,
      mismatches.map(
        (m) =>
          `${m.column === '*' ? '' : `column '${m.column}' `}${m.what}: staged ${m.received}, target holds ${m.loaded}`,
      ),
    );
  return evidence;
}

function mismatch(req: SwapVerifyRequest, differences: string[]): StepError {
  return new StepError(
    'partition.verify_failed',
    `step '${req.stepId}': the rows the swap wrote into ${req.table} do not match the staged rows (${differences.join('; ')}); the swap was rolled back, ${req.table} is unchanged`,
    'look for triggers, rules or defaults on the target that change rows as they arrive; set verify: false on the writer to accept them',
    { details: { table: req.table, differences } },
  );
}
