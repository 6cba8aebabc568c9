/**
 * What an incremental extractor calls: the window around its SQL before the read, and the largest cursor value
 * actually read (a DuckDB max over the step's output table) after it. Incremental reads are materialised —
 * a pass-through pair is declined — so the new cursor always comes from the rows that were read.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { JsonValue } from '../../yaml/json.js';
import { quoteIdent } from '../dataplane.js';
import { StepError, type StreamContext } from '../driver.js';
import { incrementalSpec } from './spec.js';
import type { CursorKind, CursorValue, IncrementalWindow } from './types.js';
import { kindOfInitial, type WindowDialect, windowedSql } from './window.js';

/** The window of a step read outside a run's bookkeeping (tests, tools): from `initial`, else everything. */
function initialWindow(ctx: StreamContext): IncrementalWindow | undefined {
  const spec = incrementalSpec(ctx.stepId, ctx.config);
  if (!spec) return undefined;
  return {
    cursor: spec.cursor,
    from: spec.initial === undefined ? undefined : kindOfInitial(spec.initial),
    inclusive: true,
    lookback: spec.lookback,
    lookbackText: spec.lookbackText,
    origin: spec.initial === undefined ? 'everything' : 'initial',
  };
}

/** The step's window this run, or undefined when it is not incremental. */
export function stepWindow(ctx: StreamContext): IncrementalWindow | undefined {
  if (ctx.config.incremental === undefined || ctx.config.incremental === null) return undefined;
  return ctx.incremental?.windowFor(ctx.stepId) ?? initialWindow(ctx);
}

/** The step's SQL as this run reads it: wrapped in its window when the step is incremental. */
export function applyWindow(ctx: StreamContext, dialect: WindowDialect, sql: string): string {
  const window = stepWindow(ctx);
  return window ? windowedSql(dialect, ctx.stepId, sql, window) : sql;
}

/** Why an incremental step does not stream straight into its writer (the runner records it). */
export function incrementalDeclined(ctx: StreamContext): { declined: string } | undefined {
  return ctx.config.incremental === undefined || ctx.config.incremental === null
    ? undefined
    : { declined: 'an incremental read is materialised: its new cursor is the max over the rows read' };
}

function kindOf(duckType: string): CursorKind {
  if (
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|DECIMAL|FLOAT|DOUBLE)/.test(
      duckType,
    )
  )
    return 'number';
  if (/^(DATE|TIMESTAMP|TIME)/.test(duckType)) return 'time';
  return 'text';
}

function text(value: CursorValue | undefined): JsonValue {
  return value ? value.value : null;
}

/**
 * After the read: the largest cursor value in `table` (the step's output, quoted), handed to the run's
 * bookkeeping for the writers downstream, and the `incremental.window` event.
 */
export async function recordWindowRead(
  ctx: StreamContext,
  duck: DuckDBConnection,
  table: string,
  rows: number,
): Promise<void> {
  const window = stepWindow(ctx);
  if (!window) return;
  const columns = await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${table}`);
  const column = columns
    .getRowObjects()
    .find(
      (c) =>
        String(c.column_name) === window.cursor ||
        String(c.column_name).toLowerCase() === window.cursor.toLowerCase(),
    );
  if (!column)
    throw new StepError(
      'incremental.cursor_missing',
      `step '${ctx.stepId}': the cursor column '${window.cursor}' is not among the columns read`,
      "select the cursor column (or fix incremental.cursor); with 'columns', list it too",
      { details: { key: 'incremental.cursor' } },
    );
  const name = quoteIdent(String(column.column_name));
  const type = String(column.column_type);
  // Times are kept as naive UTC text: both engines' sessions run in UTC, and MariaDB refuses an offset.
  const expr = type.startsWith('TIMESTAMP WITH TIME ZONE') ? `timezone('UTC', max(${name}))` : `max(${name})`;
  const reader = await duck.runAndReadAll(`SELECT CAST(${expr} AS VARCHAR) FROM ${table}`);
  const max = reader.getRows()[0]?.[0];
  const to: CursorValue | undefined =
    max === null || max === undefined ? undefined : { value: String(max), kind: kindOf(type) };
  ctx.incremental?.recordRead(ctx.stepId, to, rows);
  ctx.emit('incremental.window', {
    cursor: window.cursor,
    from: text(window.from),
    inclusive: window.inclusive,
    lookback: window.lookbackText ?? null,
    to: text(to),
    rows,
    origin: window.origin,
  });
}
