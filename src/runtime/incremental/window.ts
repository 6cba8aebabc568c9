/**
 * The SQL of an incremental read: the step's own SELECT (table or query) wrapped so only rows with the cursor
 * above the window's lower bound come back, in cursor order. The bound is a literal (a COPY cannot take
 * parameters): numbers are checked to be numbers, everything else is a quoted string the server converts to
 * the cursor column's type.
 */
import { StepError } from '../driver.js';
import type { Lookback } from './spec.js';
import type { CursorValue, IncrementalWindow } from './types.js';

export type WindowDialect = 'postgres' | 'mysql';

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

function ident(dialect: WindowDialect, name: string): string {
  return dialect === 'postgres' ? `"${name.replaceAll('"', '""')}"` : `\`${name.replaceAll('`', '``')}\``;
}

function stringLiteral(dialect: WindowDialect, value: string): string {
  if (dialect === 'mysql' && /[\\\0]/.test(value)) return `X'${Buffer.from(value, 'utf8').toString('hex')}'`;
  return `'${value.replaceAll("'", "''")}'`;
}

function lookbackError(stepId: string, from: CursorValue, lookback: Lookback): StepError {
  const what = 'count' in lookback ? `a count (${lookback.count})` : 'an interval';
  return new StepError(
    'incremental.lookback_invalid',
    `step '${stepId}': lookback is ${what} but the cursor holds ${from.kind === 'time' ? 'dates/times' : from.kind === 'number' ? 'numbers' : 'text'}`,
    from.kind === 'time'
      ? "give a date/time cursor an interval: lookback: '2 hours'"
      : from.kind === 'number'
        ? 'give a numeric cursor a count: lookback: 100'
        : 'a text cursor takes no lookback; remove it',
    { details: { key: 'incremental.lookback' } },
  );
}

/** The lower bound as SQL: the literal, minus the lookback when there is one. */
export function lowerBoundSql(
  dialect: WindowDialect,
  stepId: string,
  from: CursorValue,
  lookback: Lookback | undefined,
): string {
  if (from.kind === 'number' && !NUMBER.test(from.value))
    throw new StepError(
      'incremental.invalid_state',
      `step '${stepId}': the cursor value ${JSON.stringify(from.value)} is not a number`,
      '`osiris state reset` the step, or fix incremental.initial',
    );
  const literal = from.kind === 'number' ? from.value : stringLiteral(dialect, from.value);
  if (!lookback || ('count' in lookback && lookback.count === 0)) return literal;
  if ('count' in lookback) {
    if (from.kind !== 'number') throw lookbackError(stepId, from, lookback);
    return `(${literal} - ${lookback.count})`;
  }
  if (from.kind !== 'time') throw lookbackError(stepId, from, lookback);
  return dialect === 'postgres'
    ? `(CAST(${literal} AS timestamp) - interval '${lookback.amount} ${lookback.unit}')`
    : `(CAST(${literal} AS DATETIME(6)) - INTERVAL ${lookback.amount} ${lookback.unit.toUpperCase()})`;
}

/** `SELECT * FROM (<sql>) AS osiris_window [WHERE cursor > bound] ORDER BY cursor`. */
export function windowedSql(
  dialect: WindowDialect,
  stepId: string,
  sql: string,
  window: IncrementalWindow,
): string {
  const cursor = ident(dialect, window.cursor);
  const where = window.from
    ? ` WHERE ${cursor} ${window.inclusive ? '>=' : '>'} ${lowerBoundSql(dialect, stepId, window.from, window.inclusive ? undefined : window.lookback)}`
    : '';
  // The newline ends a trailing `-- comment` in the step's SQL.
  return `SELECT * FROM (\n${sql}\n) AS osiris_window${where} ORDER BY ${cursor}`;
}

/** The kind of a JSON `initial` value: numbers are numbers, date-like strings are times, the rest text. */
export function kindOfInitial(value: string | number): CursorValue {
  if (typeof value === 'number') return { value: String(value), kind: 'number' };
  if (/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value.trim()))
    return { value: value.trim().replace('T', ' '), kind: 'time' };
  return { value, kind: 'text' };
}

/** Compares two values of one kind (numbers exactly as decimals, times and text as strings). */
export function compareCursor(a: CursorValue, b: CursorValue): number {
  if (a.kind === 'number' && b.kind === 'number') return compareDecimal(a.value, b.value);
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

function compareDecimal(a: string, b: string): number {
  if (!/^-?\d+(\.\d+)?$/.test(a) || !/^-?\d+(\.\d+)?$/.test(b)) return Math.sign(Number(a) - Number(b));
  const neg = (s: string) => s.startsWith('-');
  if (neg(a) !== neg(b)) return neg(a) ? -1 : 1;
  const sign = neg(a) ? -1 : 1;
  const [ai = '', af = ''] = a.replace('-', '').split('.');
  const [bi = '', bf = ''] = b.replace('-', '').split('.');
  const ia = ai.replace(/^0+(?=\d)/, '');
  const ib = bi.replace(/^0+(?=\d)/, '');
  if (ia.length !== ib.length) return sign * (ia.length < ib.length ? -1 : 1);
  const width = Math.max(af.length, bf.length);
  const x = ia + af.padEnd(width, '0');
  const y = ib + bf.padEnd(width, '0');
  return sign * (x < y ? -1 : x > y ? 1 : 0);
}
