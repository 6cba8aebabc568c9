/**
 * Load verification shared by the database writers (docs/adr/0025): before COMMIT, the rows a writer
 * received are compared with the rows the target holds for this load — the row count and, per column,
 * aggregates that are cheap on both sides: null counts, exact sums of integers and decimals, float sums
 * (within a tolerance), min/max of dates and timestamps (as epoch microseconds, so time zones cannot blur
 * them). The received side comes from DuckDB over the input table, or is accumulated while a pass-through
 * stream goes by (row count, null counts and integer sums only: the other values arrive as text whose
 * rendering the writer does not own). Each family (postgres/verify.ts, mysql/write/verify.ts) writes the
 * target-side SQL and decides which checks its target column types allow.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type ColumnInfo, quoteIdent } from '../runtime/dataplane.js';
import { StepError, type StreamContext } from '../runtime/driver.js';
import { StepConfig } from '../runtime/step-config.js';
import type { StreamRow } from '../runtime/stream.js';
import type { JsonObject } from '../yaml/json.js';

/** What is compared for a column besides its null count. */
export type Check = 'nulls' | 'sum' | 'fsum' | 'date' | 'ts';

export interface VerifyColumn {
  /** Input column name, and the target column it was written to. */
  input: string;
  target: string;
  check: Check;
}

/** One side's numbers: `a`/`b` are sum/abs-sum (fsum), sum (sum) or min/max (date, ts), as text. */
export interface ColumnFigures {
  nulls: number;
  a: string | null;
  b: string | null;
}

export interface Profile {
  rows: number;
  columns: ColumnFigures[];
}

/** The step's `verify` switch (default on). */
export function verifyEnabled(ctx: StreamContext): boolean {
  const cfg = StepConfig.of(ctx);
  return cfg.boolean('verify', true);
}

/** The strongest check a DuckDB type allows (families may weaken it for their target column types). */
export function checkForDuckType(duckType: string): Check {
  const t = duckType.trim().toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(t)) return 'sum';
  if (/^DECIMAL\(\d+,\s*\d+\)$/.test(t)) return 'sum';
  if (t === 'FLOAT' || t === 'DOUBLE') return 'fsum';
  if (t === 'DATE') return 'date';
  if (/^(TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ)$/.test(t)) return 'ts';
  return 'nulls';
}

const isInteger = (duckType: string) =>
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(
    duckType.trim().toUpperCase(),
  );

/** Epoch microseconds of a timestamp, or its text when infinite ('infinity', '-infinity'). */
const finiteEpoch = (v: string) =>
  `CASE WHEN isfinite(${v}) THEN CAST(epoch_us(${v}) AS VARCHAR) ELSE CAST(${v} AS VARCHAR) END`;

/** Float text of either side as a number: DuckDB says 'inf', Postgres 'Infinity'. */
export function floatOf(v: string | null): number | null {
  if (v === null) return null;
  const t = v.trim().toLowerCase();
  if (/^[+-]?inf(inity)?$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

/**
 * Date text of either side with astronomical years: DuckDB writes '0044-03-15 (BC)', Postgres
 * '0044-03-15 BC' and MySQL's year 0 is 1 BC ('0000-01-01').
 */
function dateText(v: string | null): string | null {
  if (v === null) return null;
  const bc = /^(\d+)(-\d\d-\d\d)\s*\(?BC\)?$/i.exec(v.trim());
  return bc
    ? `${1 - Number(bc[1])}${bc[2]}`
    : `${v
        .trim()
        .toLowerCase()
        .replace(/^0+(?=\d)/, '')}`;
}

/** The received side from DuckDB over the input table: one aggregate query. */
export async function duckProfile(
  duck: DuckDBConnection,
  table: string,
  columns: readonly VerifyColumn[],
): Promise<Profile> {
  const parts = ['CAST(count(*) AS VARCHAR)'];
  for (const c of columns) {
    const x = quoteIdent(c.input);
    parts.push(`CAST(count(*) - count(${x}) AS VARCHAR)`);
    const [a, b] =
      c.check === 'sum'
        ? [`sum(${x})`, 'NULL']
        : c.check === 'fsum'
          ? [`sum(CAST(${x} AS DOUBLE))`, `sum(abs(CAST(${x} AS DOUBLE)))`]
          : c.check === 'date'
            ? [`min(${x})`, `max(${x})`]
            : c.check === 'ts'
              ? [finiteEpoch(`min(${x})`), finiteEpoch(`max(${x})`)]
              : ['NULL', 'NULL'];
    parts.push(`CAST(${a} AS VARCHAR)`, `CAST(${b} AS VARCHAR)`);
  }
  const reader = await duck.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${table}`);
  const row = (reader.getRows()[0] ?? []).map((v) => (v === null || v === undefined ? null : String(v)));
  return fromRow(row, columns.length);
}

/** A profile from one row: count, then (nulls, a, b) per column. */
export function fromRow(row: readonly (string | null)[], n: number): Profile {
  const columns: ColumnFigures[] = [];
  for (let i = 0; i < n; i++)
    columns.push({
      nulls: Number(row[1 + 3 * i] ?? 0),
      a: row[2 + 3 * i] ?? null,
      b: row[3 + 3 * i] ?? null,
    });
  return { rows: Number(row[0] ?? 0), columns };
}

/**
 * The received side of a pass-through stream, accumulated batch by batch: row count, null counts, and exact
 * sums of integer columns (BigInt). Other columns are checked by null count only.
 */
export class StreamProfile {
  private rows = 0;
  private readonly nulls: number[];
  /** Exact sums: a Number while it stays a safe integer (fast), carried into a BigInt when it would not. */
  private readonly sums: (bigint | undefined)[];
  private readonly small: number[];

  constructor(private readonly columns: readonly ColumnInfo[]) {
    this.nulls = columns.map(() => 0);
    this.sums = columns.map((c) => (isInteger(c.type) ? 0n : undefined));
    this.small = columns.map(() => 0);
  }

  add(batch: readonly StreamRow[]): void {
    this.rows += batch.length;
    const n = this.columns.length;
    for (const row of batch)
      for (let i = 0; i < n; i++) {
        const v = row[i] ?? null;
        if (v === null) this.nulls[i] = (this.nulls[i] ?? 0) + 1;
        else {
          const s = this.sums[i];
          if (s === undefined) continue;
          if (typeof v === 'number' && Number.isSafeInteger(v)) {
            const n = (this.small[i] as number) + v;
            if (Number.isSafeInteger(n)) this.small[i] = n;
            else {
              this.sums[i] = s + BigInt(this.small[i] as number) + BigInt(v);
              this.small[i] = 0;
            }
          } else if (typeof v === 'bigint') this.sums[i] = s + v;
          else if (typeof v === 'string' && /^-?\d+$/.test(v)) this.sums[i] = s + BigInt(v);
          else this.sums[i] = undefined;
        }
      }
  }

  /** The checks a stream can back: integer sums where every value was an integer, else null counts. */
  checks(verifyColumns: readonly VerifyColumn[]): VerifyColumn[] {
    return verifyColumns.map((c, i) => ({
      ...c,
      check: c.check === 'sum' && this.sums[i] !== undefined ? 'sum' : 'nulls',
    }));
  }

  profile(): Profile {
    return {
      rows: this.rows,
      columns: this.columns.map((_, i) => {
        const s = this.sums[i];
        const allNull = this.nulls[i] === this.rows;
        const sum = s === undefined || allNull ? null : String(s + BigInt(this.small[i] as number));
        return { nulls: this.nulls[i] ?? 0, a: sum, b: null };
      }),
    };
  }
}

/** `12.500` and `12.5`, `-0` and `0`: one spelling per decimal value. */
export function normalizeDecimal(v: string | null): string | null {
  if (v === null) return null;
  let s = v.trim();
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-0*$/.test(s)) s = '0';
  return s.replace(/^(-?)0+(?=\d)/, '$1');
}

interface Mismatch {
  column: string;
  what: string;
  received: string | number | null;
  loaded: string | number | null;
}

function compareColumn(c: VerifyColumn, r: ColumnFigures, l: ColumnFigures): Mismatch[] {
  const out: Mismatch[] = [];
  if (r.nulls !== l.nulls)
    out.push({ column: c.input, what: 'null count', received: r.nulls, loaded: l.nulls });
  // A sum over no values is NULL on one side and may be 0 on the other (a difference): the same thing.
  if (c.check === 'sum' && normalizeDecimal(r.a ?? '0') !== normalizeDecimal(l.a ?? '0'))
    out.push({ column: c.input, what: 'sum', received: r.a, loaded: l.a });
  if (c.check === 'fsum') {
    const ra = floatOf(r.a ?? '0');
    const la = floatOf(l.a ?? '0');
    // Float sums depend on the order of addition: allow the rounding of a sum over this many values.
    const scale = Math.max(Math.abs(floatOf(r.b) ?? 0), Math.abs(floatOf(l.b) ?? 0), Math.abs(ra ?? 0), 1);
    const same =
      ra === la ||
      (ra !== null &&
        la !== null &&
        (Math.abs(ra - la) <= scale * 1e-9 || (Number.isNaN(ra) && Number.isNaN(la))));
    if (!same) out.push({ column: c.input, what: 'sum', received: r.a, loaded: l.a });
  }
  if (c.check === 'date' || c.check === 'ts') {
    const same = (x: string | null, y: string | null) =>
      x === y || (c.check === 'date' && dateText(x) === dateText(y));
    if (!same(r.a, l.a)) out.push({ column: c.input, what: 'min', received: r.a, loaded: l.a });
    if (!same(r.b, l.b)) out.push({ column: c.input, what: 'max', received: r.b, loaded: l.b });
  }
  return out;
}

export interface VerifyOutcome {
  /** For the `write.verified` event, the report and AIOP. */
  evidence: JsonObject;
  mismatches: Mismatch[];
}

/** Compares both sides; `scope` says which target rows were aggregated (for the evidence). */
export function compareProfiles(
  columns: readonly VerifyColumn[],
  received: Profile,
  loaded: Profile,
  scope: string,
): VerifyOutcome {
  const mismatches: Mismatch[] = [];
  if (received.rows !== loaded.rows)
    mismatches.push({ column: '*', what: 'row count', received: received.rows, loaded: loaded.rows });
  const evidenceColumns = columns.map((c, i) => {
    const r = received.columns[i] as ColumnFigures;
    const l = loaded.columns[i] as ColumnFigures;
    mismatches.push(...compareColumn(c, r, l));
    const e: JsonObject = { column: c.target, check: c.check, nulls: [r.nulls, l.nulls] };
    if (c.check === 'sum' || c.check === 'fsum') e.sum = [r.a, l.a];
    if (c.check === 'date' || c.check === 'ts') {
      e.min = [r.a, l.a];
      e.max = [r.b, l.b];
    }
    return e;
  });
  return {
    mismatches,
    evidence: {
      scope,
      rows: [received.rows, loaded.rows],
      columns: evidenceColumns,
      matched: mismatches.length === 0,
    },
  };
}

/** Emits the evidence, or fails the load (the caller's transaction rolls back) with the differences. */
export function settleVerification(
  ctx: StreamContext,
  where: { connection: string; table: string },
  outcome: VerifyOutcome,
  started: number,
): void {
  const evidence = { ...where, ...outcome.evidence, duration_ms: Date.now() - started };
  if (outcome.mismatches.length === 0) {
    ctx.emit('write.verified', evidence);
    return;
  }
  ctx.emit('write.verify_failed', evidence);
  const shown = outcome.mismatches
    .slice(0, 5)
    .map(
      (m) =>
        `${m.column === '*' ? '' : `column '${m.column}' `}${m.what}: received ${m.received}, target holds ${m.loaded}`,
    )
    .join('; ');
  throw new StepError(
    'write.verify_mismatch',
    `step '${ctx.stepId}': the rows in ${where.table} do not match the rows received (${shown}); the load was rolled back, ${where.table} is unchanged`,
    'something on the target changes rows as they arrive (a trigger, a rule, a column default or type that rounds); look at the target table, or set verify: false to skip the check',
    {
      details: {
        table: where.table,
        connection: where.connection,
        mismatches: outcome.mismatches.map((m) => ({ ...m })),
      },
    },
  );
}

/** The received side of a load: its aggregates and, for widening varchar columns, its longest values. */
export interface ReceivedSide {
  profile(columns: VerifyColumn[]): Promise<{ checks: VerifyColumn[]; profile: Profile }>;
  maxLengths?(columns: string[]): Promise<Map<string, number>>;
}

export function duckReceived(duck: DuckDBConnection, table: string): ReceivedSide {
  return {
    profile: async (checks) => ({ checks, profile: await duckProfile(duck, table, checks) }),
    async maxLengths(columns) {
      const reader = await duck.runAndReadAll(
        `SELECT ${columns.map((c) => `CAST(max(length(${quoteIdent(c)})) AS VARCHAR)`).join(', ')} FROM ${table}`,
      );
      const row = reader.getRows()[0] ?? [];
      return new Map(columns.map((c, i) => [c, Number(row[i] ?? 0)]));
    },
  };
}

export function streamReceived(acc: StreamProfile): ReceivedSide {
  return {
    profile: async (columns) => ({ checks: acc.checks(columns), profile: acc.profile() }),
  };
}

/** `a − b` for decimal strings, exactly (BigInt at the larger scale). */
export function subtractDecimal(a: string | null, b: string | null): string | null {
  if (a === null) return b === null ? null : subtractDecimal('0', b);
  if (b === null) return a;
  const parse = (s: string): [bigint, number] => {
    const [int = '0', frac = ''] = s.trim().split('.');
    return [BigInt(`${int}${frac}` || '0'), frac.length];
  };
  const [x, xs] = parse(a);
  const [y, ys] = parse(b);
  const scale = Math.max(xs, ys);
  const d = x * 10n ** BigInt(scale - xs) - y * 10n ** BigInt(scale - ys);
  if (scale === 0) return d.toString();
  const neg = d < 0n;
  const digits = (neg ? -d : d).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function order(check: Check, x: string, y: string): number {
  if (check === 'ts' && /^-?\d+$/.test(x) && /^-?\d+$/.test(y)) return Number(BigInt(x) - BigInt(y));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The load's figures from the table's before and after the load (an append that cannot tell its rows from
 * the others): counts and sums are differences; a min/max is the received one when the table's moved
 * exactly as the received rows say it should, else the table's (which then shows as the mismatch).
 */
export function deltaProfile(
  checks: readonly VerifyColumn[],
  before: Profile,
  after: Profile,
  received: Profile,
): Profile {
  return {
    rows: after.rows - before.rows,
    columns: checks.map((c, i) => {
      const b = before.columns[i] as ColumnFigures;
      const a = after.columns[i] as ColumnFigures;
      const r = received.columns[i] as ColumnFigures;
      const nulls = a.nulls - b.nulls;
      if (c.check === 'sum') return { nulls, a: subtractDecimal(a.a, b.a), b: null };
      if (c.check === 'fsum') {
        const diff = a.a === null ? null : String((floatOf(a.a) ?? 0) - (floatOf(b.a) ?? 0));
        return { nulls, a: diff, b: String(Math.abs(floatOf(a.a) ?? 0) + Math.abs(floatOf(b.a) ?? 0)) };
      }
      if (c.check === 'date' || c.check === 'ts') {
        const pick = (x: string | null, y: string | null, lower: boolean) =>
          x === null ? y : y === null ? x : order(c.check, x, y) < 0 === lower ? x : y;
        const min = pick(b.a, r.a, true) === a.a ? r.a : a.a;
        const max = pick(b.b, r.b, false) === a.b ? r.b : a.b;
        return { nulls, a: min, b: max };
      }
      return { nulls, a: null, b: null };
    }),
  };
}
