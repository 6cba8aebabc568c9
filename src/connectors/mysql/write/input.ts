/**
 * The writer's input columns — categorised, keys resolved — and, for an input table, the checks DuckDB runs
 * before the target is touched, the lengths CREATE TABLE sizes text by, and the rows rendered by DuckDB.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type ColumnInfo, quoteIdent } from '../../../runtime/dataplane.js';
import { type StepContext, StepError, type StreamContext } from '../../../runtime/driver.js';
import type { ColumnStats } from '../types.js';
import type { RenderedRows } from './load.js';
import { type Category, categoryOf, sqlLiteral, tsvField } from './text.js';

export interface InputColumn {
  info: ColumnInfo;
  category: Category;
}

/** The input columns with how each is written; StepError for a type mysql.writer cannot write. */
export function categorize(ctx: StreamContext, columns: readonly ColumnInfo[]): InputColumn[] {
  return columns.map((info) => {
    const category = categoryOf(info.type);
    if (category === undefined)
      throw new StepError(
        'write.type_unsupported',
        `step '${ctx.stepId}': input column '${info.name}' has DuckDB type ${info.type}, which mysql.writer cannot write`,
        'CAST the column to VARCHAR (or another plain type) in a duckdb.processor step',
        { details: { column: info.name, type: info.type } },
      );
    return { info, category };
  });
}

/** `primary_key` as input column names (matched case-insensitively when not exact). */
export function keyColumns(
  ctx: StreamContext,
  columns: readonly ColumnInfo[],
  primaryKey: string[],
): string[] {
  return primaryKey.map((k) => {
    const found =
      columns.find((c) => c.name === k) ?? columns.find((c) => c.name.toLowerCase() === k.toLowerCase());
    if (!found)
      throw new StepError(
        'config.invalid',
        `step '${ctx.stepId}': primary_key column '${k}' is not in the input (columns: ${columns.map((c) => c.name).join(', ')})`,
        undefined,
        { details: { key: 'primary_key', column: k } },
      );
    return found.name;
  });
}

interface ValueCheck {
  column: string;
  expr: string;
  problem: string;
}

/** Values MySQL cannot store, as DuckDB conditions per column. */
function valueChecks(columns: readonly InputColumn[], keys: string[]): ValueCheck[] {
  const checks: ValueCheck[] = [];
  for (const { info, category } of columns) {
    const x = quoteIdent(info.name);
    const column = info.name;
    if (category === 'float')
      checks.push({ column, expr: `isinf(${x}) OR isnan(${x})`, problem: 'infinite or NaN values' });
    if (['date', 'timestamp', 'timestamptz', 'timestamp_ns'].includes(category))
      checks.push({ column, expr: `isinf(${x})`, problem: "'infinity' values" });
    if (category === 'timestamp_ns')
      checks.push({
        column,
        expr: `epoch_ns(${x}) % 1000 <> 0`,
        problem: 'nanoseconds (MySQL keeps microseconds)',
      });
    if (category === 'interval')
      checks.push({
        column,
        expr: `datepart('month', ${x}) <> 0 OR datepart('year', ${x}) <> 0`,
        problem: 'intervals with months or years (MySQL TIME holds hours, minutes and seconds)',
      });
  }
  for (const key of keys)
    checks.push({ column: key, expr: `${quoteIdent(key)} IS NULL`, problem: 'NULL key values' });
  return checks;
}

/** `rows`: how many rows hold the value (a table) or, for a stream, the first one that does. */
export function unrepresentable(
  ctx: StreamContext,
  column: string,
  problem: string,
  rows: { count: number } | { first: number },
): StepError {
  const which = 'count' in rows ? `${rows.count} row(s)` : `row(s)`;
  const first = 'first' in rows ? ` (the first at row ${rows.first})` : '';
  return new StepError(
    'write.value_unrepresentable',
    `step '${ctx.stepId}': input column '${column}' has ${which} with ${problem}${first}, which MySQL cannot store`,
    'filter or convert these values upstream (e.g. in a duckdb.processor step)',
    { details: { column, ...('count' in rows ? { rows: rows.count } : { first_row: rows.first }) } },
  );
}

/** `times`: how often the input holds the key (a table), unknown for a stream. */
export function duplicateKey(
  ctx: StreamContext,
  keys: string[],
  values: string,
  times: string | undefined,
): StepError {
  return new StepError(
    'write.duplicate_key',
    `step '${ctx.stepId}': the input holds key (${values}) ${times === undefined ? 'more than once' : `${times} times`}; an upsert needs each key once`,
    'remove the duplicates upstream (e.g. SELECT DISTINCT ON / QUALIFY row_number() … = 1)',
    { details: { columns: keys, value: values } },
  );
}

/** Fails on values MySQL cannot store and, for an upsert, on a key the input holds twice. */
export async function checkInput(
  ctx: StepContext,
  inputTable: string,
  columns: readonly InputColumn[],
  keys: string[],
  checkDuplicates: boolean,
): Promise<void> {
  const checks = valueChecks(columns, keys);
  if (checks.length) {
    const select = checks.map((c, i) => `count(*) FILTER (WHERE ${c.expr}) AS c${i}`).join(', ');
    const reader = await ctx.duck.runAndReadAll(`SELECT ${select} FROM ${inputTable}`);
    const counts = reader.getRows()[0] ?? [];
    checks.forEach((c, i) => {
      const n = Number(counts[i] ?? 0);
      if (n > 0) throw unrepresentable(ctx, c.column, c.problem, { count: n });
    });
  }
  if (checkDuplicates && keys.length) {
    const list = keys.map(quoteIdent).join(', ');
    const reader = await ctx.duck.runAndReadAll(
      `SELECT ${list}, count(*) AS n FROM ${inputTable} GROUP BY ${list} HAVING count(*) > 1 ORDER BY n DESC, ${list} LIMIT 1`,
    );
    const dup = reader.getRowsJson()[0];
    if (dup) {
      const values = keys.map((k, i) => `${k}=${JSON.stringify(dup[i])}`).join(', ');
      throw duplicateKey(ctx, keys, values, String(dup[keys.length]));
    }
  }
}

/** Longest text, bytes and bit strings per column, which CREATE TABLE sizes the new columns by. */
export async function columnStats(
  duck: DuckDBConnection,
  inputTable: string,
  columns: readonly InputColumn[],
): Promise<Map<string, ColumnStats>> {
  const parts: string[] = [];
  const wanted: { name: string; field: keyof ColumnStats }[] = [];
  for (const { info, category } of columns) {
    const x = quoteIdent(info.name);
    if (category === 'text' && info.type.toUpperCase() !== 'JSON') {
      parts.push(`max(length(CAST(${x} AS VARCHAR)))`, `max(strlen(CAST(${x} AS VARCHAR)))`);
      wanted.push({ name: info.name, field: 'maxChars' }, { name: info.name, field: 'maxBytes' });
    } else if (category === 'blob') {
      parts.push(`max(octet_length(${x}))`);
      wanted.push({ name: info.name, field: 'maxBytes' });
    } else if (category === 'bit') {
      parts.push(`max(bit_length(${x}))`);
      wanted.push({ name: info.name, field: 'maxBits' });
    }
  }
  const stats = new Map<string, ColumnStats>();
  if (!parts.length) return stats;
  const reader = await duck.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${inputTable}`);
  const row = reader.getRows()[0] ?? [];
  wanted.forEach((w, i) => {
    const v = row[i];
    const s = stats.get(w.name) ?? {};
    s[w.field] = v === null || v === undefined ? null : Number(v);
    stats.set(w.name, s);
  });
  return stats;
}

/** The input table's rows rendered by DuckDB: one INSERT tuple or LOAD DATA line per row. */
export function duckRows(
  duck: DuckDBConnection,
  inputTable: string,
  columns: readonly InputColumn[],
): RenderedRows {
  return {
    async open(method) {
      const x = (c: InputColumn) => quoteIdent(c.info.name);
      const sql =
        method === 'insert'
          ? `SELECT '(' || ${columns.map((c) => sqlLiteral(c.category, x(c))).join(` || ',' || `)} || ')' FROM ${inputTable}`
          : `SELECT ${columns.map((c) => tsvField(c.category, x(c))).join(' || chr(9) || ')} FROM ${inputTable}`;
      const result = await duck.stream(sql);
      return (async function* () {
        for await (const chunk of result) yield chunk.getColumnValues(0) as string[];
      })();
    },
  };
}
