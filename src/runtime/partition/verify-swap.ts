/**
 * Load verification of a partitioned copy's swap (docs/adr/0025, 0028). Each partition's load into its
 * staging table was verified against the rows that partition read; inside the swap's transaction, before
 * COMMIT, the staged rows are aggregated again and compared with the target's rows this swap wrote: the row
 * count and, per column, the null count, the sum of integers and decimals, min/max of dates and times. Both
 * sides are computed by the same server on the same column types, so the figures must match exactly — a
 * trigger or rule that changed rows on the way in fails the swap and rolls it back.
 */
import type { JsonObject } from '../../yaml/json.js';
import { StepError } from '../driver.js';
import type { Family } from './ranges.js';

export interface SwapColumn {
  name: string;
  /** The server's data type name (`integer`, `numeric`, `timestamp without time zone`, `datetime`, …). */
  type: string;
}

export interface SwapVerifyRequest {
  family: Family;
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
  query(sql: string): Promise<Array<Record<string, unknown>>>;
}

type Check = 'sum' | 'range' | 'nulls';

function checkFor(type: string): Check {
  const t = type.toLowerCase();
  if (/^(smallint|integer|bigint|numeric|tinyint|mediumint|int|decimal)\b/.test(t)) return 'sum';
  if (/^(date|timestamp|datetime|time)\b/.test(t)) return 'range';
  return 'nulls';
}

function aggregates(family: Family, c: SwapColumn, quote: (n: string) => string): string[] {
  const x = quote(c.name);
  const text = (v: string) => (family === 'postgres' ? `(${v})::text` : `CAST(${v} AS CHAR)`);
  const check = checkFor(c.type);
  const figures =
    check === 'sum' ? [text(`SUM(${x})`)] : check === 'range' ? [text(`MIN(${x})`), text(`MAX(${x})`)] : [];
  return [text(`COUNT(*) - COUNT(${x})`), ...figures];
}

async function profile(req: SwapVerifyRequest, from: string, quote: (n: string) => string) {
  const parts = [
    req.family === 'postgres' ? 'COUNT(*)::text' : 'CAST(COUNT(*) AS CHAR)',
    ...req.columns.flatMap((c) => aggregates(req.family, c, quote)),
  ];
  const [row] = await req.query(`SELECT ${parts.map((p, i) => `${p} AS c${i}`).join(', ')} FROM ${from}`);
  return parts.map((_, i) => {
    const v = row?.[`c${i}`];
    return v === null || v === undefined ? null : String(v);
  });
}

const LABELS: Record<Check, string[]> = {
  sum: ['nulls', 'sum'],
  range: ['nulls', 'min', 'max'],
  nulls: ['nulls'],
};

/**
 * Compares the staged rows with the rows the swap wrote; returns the evidence (the `write.verified` event's
 * shape) or throws `partition.verify_failed` naming every difference.
 */
export async function verifySwap(req: SwapVerifyRequest, quote: (n: string) => string): Promise<JsonObject> {
  if (req.moved === undefined) {
    if (req.movedRows !== req.stagedRows)
      throw mismatch(req, [`row count: staged ${req.stagedRows}, moved ${req.movedRows}`]);
    return { scope: req.movedShown, rows: [req.stagedRows, req.movedRows], columns: [], matched: true };
  }
  const staged = await profile(req, `(${req.staged}) AS osiris_staged`, quote);
  const moved = await profile(req, req.moved, quote);
  const differences: string[] = [];
  if (staged[0] !== moved[0]) differences.push(`row count: staged ${staged[0]}, target holds ${moved[0]}`);
  const columns: JsonObject[] = [];
  let at = 1;
  for (const c of req.columns) {
    const check = checkFor(c.type);
    const evidence: JsonObject = { column: c.name, check };
    for (const label of LABELS[check]) {
      const [a, b] = [staged[at] ?? null, moved[at] ?? null];
      evidence[label] = [a, b];
      if (a !== b) differences.push(`column '${c.name}' ${label}: staged ${a}, target holds ${b}`);
      at++;
    }
    columns.push(evidence);
  }
  if (differences.length) throw mismatch(req, differences);
  return { scope: req.movedShown, rows: [Number(staged[0]), Number(moved[0])], columns, matched: true };
}

function mismatch(req: SwapVerifyRequest, differences: string[]): StepError {
  return new StepError(
    'partition.verify_failed',
    `step '${req.stepId}': the rows the swap wrote into ${req.table} do not match the staged rows (${differences.join('; ')}); the swap was rolled back, ${req.table} is unchanged`,
    'look for triggers, rules or defaults on the target that change rows as they arrive; set verify: false on the writer to accept them',
    { details: { table: req.table, differences } },
  );
}
