/**
 * Key ranges of a partitioned copy and the extractor config that reads one of them.
 *
 * Computed ranges split [MIN(key), MAX(key)] evenly (integers in exact BigInt arithmetic, dates by day,
 * timestamps by millisecond); the first range is open below and the last open above, so a row inserted
 * between planning and reading is still read by exactly one partition. Rows whose key is NULL go to the first
 * partition. Bounds are rendered as SQL literals (numbers checked to be digits, text quoted by the family's
 * rules); a partition's condition is ANDed into the step's `where` (table mode) or wraps its `query`.
 */
import { quoteMysqlIdent, quoteMysqlString } from '../../connectors/mysql/client.js';
import { pgIdent, pgLiteral } from '../../connectors/postgres/client.js';
import type { JsonObject } from '../../yaml/json.js';
import { StepError } from '../driver.js';
import type { Bound, PartitionSpec } from './spec.js';

/** One bound, typed so it renders as the right literal. */
export interface Literal {
  kind: 'number' | 'text';
  value: string;
}

export interface PartitionRange {
  index: number;
  /** Inclusive lower bound; null = open. */
  lo: Literal | null;
  /** Exclusive upper bound; null = open. */
  hi: Literal | null;
  /** Whether rows with a NULL key belong here (the first partition). */
  nulls: boolean;
}

export type Family = 'mysql' | 'postgres';

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function literalOf(b: Bound): Literal | null {
  if (b === null) return null;
  if (typeof b === 'number') return { kind: 'number', value: String(b) };
  return { kind: 'text', value: b };
}

/** The user's ranges, NULL keys in the first. */
export function explicitRanges(ranges: ReadonlyArray<[Bound, Bound]>): PartitionRange[] {
  return ranges.map(([lo, hi], index) => ({
    index,
    lo: literalOf(lo),
    hi: literalOf(hi),
    nulls: index === 0,
  }));
}

/** Ranges from evenly spaced boundaries between `min` and `max` (texts as the server printed them). */
export function computedRanges(
  stepId: string,
  column: string,
  count: number,
  min: string | null,
  max: string | null,
): PartitionRange[] {
  if (min === null || max === null || count === 1) return [{ index: 0, lo: null, hi: null, nulls: true }];
  let cuts: Literal[];
  if (INTEGER.test(min) && INTEGER.test(max)) {
    const lo = BigInt(min);
    const span = BigInt(max) - lo + 1n;
    cuts = [];
    for (let i = 1; i < count; i++)
      cuts.push({ kind: 'number', value: String(lo + (span * BigInt(i)) / BigInt(count)) });
  } else if (DATE.test(min) && DATE.test(max)) {
    const day = 86_400_000;
    const a = Date.parse(`${min}T00:00:00Z`);
    const days = Math.round((Date.parse(`${max}T00:00:00Z`) - a) / day) + 1;
    cuts = [];
    for (let i = 1; i < count; i++)
      cuts.push({
        kind: 'text',
        value: new Date(a + Math.floor((days * i) / count) * day).toISOString().slice(0, 10),
      });
  } else if (TIMESTAMP.test(min) && TIMESTAMP.test(max)) {
    const ms = (s: string) => {
      const m = TIMESTAMP.exec(s) as RegExpExecArray;
      const zone = m[3] === undefined ? 'Z' : m[3] === 'Z' ? 'Z' : m[3].length === 3 ? `${m[3]}:00` : m[3];
      return Date.parse(`${m[1]}T${m[2]}${zone}`);
    };
    const a = ms(min);
    const span = ms(max) - a + 1;
    cuts = [];
    for (let i = 1; i < count; i++)
      cuts.push({
        kind: 'text',
        value: new Date(a + Math.floor((span * i) / count)).toISOString().replace('T', ' ').replace('Z', ''),
      });
  } else if (DECIMAL.test(min) && DECIMAL.test(max)) {
    const a = Number(min);
    const span = Number(max) - a;
    cuts = [];
    for (let i = 1; i < count; i++) cuts.push({ kind: 'number', value: String(a + (span * i) / count) });
  } else {
    throw new StepError(
      'partition.key_type',
      `step '${stepId}': partition column '${column}' holds values like '${min.slice(0, 40)}'; only integer, decimal, date and timestamp keys can be split by 'count'`,
      `give the ranges yourself: partition: { column: ${column}, ranges: [[null, 'm'], ['m', null]] }`,
      { details: { key: 'partition', column } },
    );
  }
  // Few distinct values: drop repeated cuts (and one at MIN), so no range is empty by construction.
  const unique: Literal[] = [];
  for (const c of cuts) if (c.value !== min && !unique.some((u) => u.value === c.value)) unique.push(c);
  const bounds: Array<Literal | null> = [null, ...unique, null];
  return bounds
    .slice(0, -1)
    .map((lo, index) => ({ index, lo, hi: bounds[index + 1] ?? null, nulls: index === 0 }));
}

function literal(family: Family, l: Literal): string {
  if (l.kind === 'number') {
    if (!DECIMAL.test(l.value)) throw new Error(`not a number: ${l.value}`);
    return l.value;
  }
  return family === 'mysql' ? quoteMysqlString(l.value) : pgLiteral(l.value);
}

export function quoteColumn(family: Family, column: string): string {
  return family === 'mysql' ? quoteMysqlIdent(column) : pgIdent(column);
}

/** The SQL condition selecting one partition's rows. */
export function rangeCondition(family: Family, column: string, range: PartitionRange): string {
  const col = quoteColumn(family, column);
  const parts: string[] = [];
  if (range.lo) parts.push(`${col} >= ${literal(family, range.lo)}`);
  if (range.hi) parts.push(`${col} < ${literal(family, range.hi)}`);
  if (parts.length === 0) return range.nulls ? '1 = 1' : `${col} IS NOT NULL`;
  const bounded = parts.join(' AND ');
  return range.nulls ? `(${bounded} OR ${col} IS NULL)` : bounded;
}

/** `[lo, hi)` for events and messages. */
export function describeRange(range: PartitionRange): string {
  const show = (l: Literal | null, open: string) => (l === null ? open : l.value);
  return `[${show(range.lo, '-inf')}, ${show(range.hi, '+inf')})${range.nulls ? ' + NULL' : ''}`;
}

/** The extractor config that reads only `range` (and no `partition` block). */
export function partitionReadConfig(
  family: Family,
  config: JsonObject,
  spec: PartitionSpec,
  range: PartitionRange,
): JsonObject {
  const { partition: _partition, ...rest } = config;
  const condition = rangeCondition(family, spec.column, range);
  if (typeof rest.query === 'string')
    return { ...rest, query: `SELECT * FROM (\n${rest.query}\n) AS osiris_partition WHERE ${condition}` };
  const where = typeof rest.where === 'string' ? `(${rest.where}\n) AND ${condition}` : condition;
  return { ...rest, where };
}
