/**
 * mysql.extractor's materialised read (see src/components/mysql.extractor/driver.ts): rows stream from mysql2 into a DuckDB appender.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { FieldPacket } from 'mysql2';
import { quoteIdent, unquoteIdent } from '../../runtime/dataplane.js';
import { type StepContext, StepError, type StepResult, stepCancelled } from '../../runtime/driver.js';
import { recordWindowRead } from '../../runtime/incremental/read.js';
import { loadDuckDB } from '../../util/duckdb-module.js';
import { type MysqlClient, mysqlErrorInfo } from './client.js';
import {
  bitsValue,
  connectForRead,
  extractStarted,
  planResultColumns,
  prepareStatement,
  type ReadPlan,
  readFailure,
  readOutput,
  readSettings,
  ZeroDates,
} from './read.js';
import type { ColumnPlan } from './types.js';

/** Per-column state while rows stream in. */
interface ColumnState {
  plan: ColumnPlan;
  /** DuckDB type now (after any widening). */
  type: string;
  widened: boolean;
}

type Appender = (app: DuckDBAppender, value: unknown) => void;

/** `[-]HHH:MM:SS[.ffffff]` → microseconds. */
function timeMicros(s: string): bigint {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const [hms = '', frac = ''] = body.split('.');
  const [h = '0', m = '0', sec = '0'] = hms.split(':');
  const micros =
    ((BigInt(h) * 60n + BigInt(m)) * 60n + BigInt(sec)) * 1_000_000n +
    BigInt(frac.padEnd(6, '0').slice(0, 6));
  return neg ? -micros : micros;
}

/** Whether a TIME text fits DuckDB's TIME (00:00:00 – 24:00:00). */
function timeFits(s: string): boolean {
  if (s.startsWith('-')) return false;
  const colon = s.indexOf(':');
  const hours = Number(s.slice(0, colon));
  if (hours < 24) return true;
  return hours === 24 && /^24:00:00(\.0*)?$/.test(s);
}

/** Whether a DECIMAL text has at most `digits` integer digits. */
function decimalFits(s: string, digits: number): boolean {
  let start = s.startsWith('-') || s.startsWith('+') ? 1 : 0;
  const dot = s.indexOf('.');
  const end = dot === -1 ? s.length : dot;
  while (start < end - 1 && s.charCodeAt(start) === 48) start += 1;
  return end - start <= digits;
}

function appenderFor(state: ColumnState): Appender {
  const { plan } = state;
  switch (plan.kind) {
    case 'bool_tinyint':
      if (state.widened)
        return plan.unsigned
          ? (a, v) => a.appendUTinyInt(v as number)
          : (a, v) => a.appendTinyInt(v as number);
      return (a, v) => a.appendBoolean(v !== 0);
    case 'int':
      switch (plan.duckdbType) {
        case 'TINYINT':
          return (a, v) => a.appendTinyInt(v as number);
        case 'UTINYINT':
          return (a, v) => a.appendUTinyInt(v as number);
        case 'SMALLINT':
          return (a, v) => a.appendSmallInt(v as number);
        case 'USMALLINT':
          return (a, v) => a.appendUSmallInt(v as number);
        case 'UINTEGER':
          return (a, v) => a.appendUInteger(v as number);
        default:
          return (a, v) => a.appendInteger(v as number);
      }
    case 'year':
      return (a, v) => a.appendSmallInt(Number(v));
    case 'bigint':
      return (a, v) =>
        typeof v === 'string'
          ? a.appendVarchar(v)
          : plan.unsigned
            ? a.appendUBigInt(BigInt(v as number))
            : a.appendBigInt(BigInt(v as number));
    case 'float':
      return (a, v) => a.appendFloat(Number(v));
    case 'double':
      return (a, v) => a.appendDouble(Number(v));
    case 'time':
      if (state.widened) {
        const { DuckDBIntervalValue } = loadDuckDB();
        return (a, v) => a.appendInterval(new DuckDBIntervalValue(0, 0, timeMicros(String(v))));
      }
      return (a, v) => a.appendVarchar(String(v));
    case 'timestamp':
      // Session time zone is UTC: the text is a UTC time; say so explicitly.
      return (a, v) => a.appendVarchar(`${String(v)}+00`);
    case 'bit1':
      return (a, v) => a.appendBoolean(bitsValue(v as Buffer) !== 0n);
    case 'bits':
      return (a, v) => a.appendUBigInt(bitsValue(v as Buffer));
    case 'blob':
      return (a, v) => a.appendBlob(Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));
    default:
      // text, json, uuid, decimal, wide_decimal (and widened → VARCHAR), date, datetime, null
      return (a, v) =>
        a.appendVarchar(typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  }
}

/** Whether `value` forces `state`'s column to widen. */
function needsWidening(state: ColumnState, value: unknown): boolean {
  if (state.widened || value === null) return false;
  switch (state.plan.kind) {
    case 'bool_tinyint':
      return value !== 0 && value !== 1;
    case 'wide_decimal':
      return !decimalFits(String(value), state.plan.maxIntegerDigits ?? 0);
    case 'time':
      return !timeFits(String(value));
    default:
      return false;
  }
}

const WIDEN_USING: Record<string, (col: string) => string> = {
  // DuckDB has no TIME → INTERVAL cast; both print as HH:MM:SS[.ffffff].
  INTERVAL: (col) => `CAST(CAST(${col} AS VARCHAR) AS INTERVAL)`,
};

class Loader {
  private appender: DuckDBAppender | undefined;
  private appenders: Appender[] = [];
  private widenable: number[] = [];
  states: ColumnState[] = [];
  zeroDates = new ZeroDates([]);
  rows = 0;
  sinceFlush = 0;

  constructor(
    private readonly ctx: StepContext,
    private readonly duck: DuckDBConnection,
    private readonly table: string,
  ) {}

  async create(columns: ColumnPlan[]): Promise<void> {
    this.states = columns.map((plan) => ({ plan, type: plan.duckdbType, widened: false }));
    this.zeroDates = new ZeroDates(columns);
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.duckdbType}`).join(', ');
    await this.duck.run(`CREATE OR REPLACE TABLE ${this.ctx.outputTable} (${defs})`);
    this.widenable = this.states.flatMap((s, i) => (s.plan.widenTo !== undefined ? [i] : []));
    await this.open();
  }

  private async open(): Promise<void> {
    this.appender = await this.duck.createAppender(this.table);
    this.appenders = this.states.map(appenderFor);
  }

  /** Columns that `row` forces to widen (empty almost always). */
  wideningFor(row: unknown[]): number[] {
    if (this.widenable.length === 0) return [];
    return this.widenable.filter((i) => needsWidening(this.states[i] as ColumnState, row[i]));
  }

  async widen(indexes: number[]): Promise<void> {
    this.flush();
    this.appender?.closeSync();
    this.appender = undefined;
    for (const i of indexes) {
      const state = this.states[i] as ColumnState;
      const to = state.plan.widenTo as string;
      const col = quoteIdent(state.plan.name);
      const using = WIDEN_USING[to];
      await this.duck.run(
        `ALTER TABLE ${this.ctx.outputTable} ALTER COLUMN ${col} TYPE ${to}${using ? ` USING ${using(col)}` : ''}`,
      );
      const from = state.type;
      state.type = to;
      state.widened = true;
      const reason =
        state.plan.kind === 'bool_tinyint'
          ? 'a value other than 0/1'
          : state.plan.kind === 'time'
            ? 'a TIME outside 00:00:00–24:00:00'
            : `a value with more than ${state.plan.maxIntegerDigits} integer digits`;
      this.ctx.emit('column_widened', {
        level: 'warning',
        column: state.plan.name,
        source_type: state.plan.sourceType,
        from,
        to,
        at_row: this.rows + 1,
        reason,
        message: `column '${state.plan.name}' (${state.plan.sourceType}) widened from ${from} to ${to} at row ${this.rows + 1}: ${reason}`,
      });
    }
    await this.open();
  }

  append(row: unknown[]): void {
    const app = this.appender as DuckDBAppender;
    this.zeroDates.clear(row);
    let i = 0;
    try {
      for (; i < row.length; i += 1) {
        const v = row[i];
        if (v === null || v === undefined) app.appendNull();
        else (this.appenders[i] as Appender)(app, v);
      }
      app.endRow();
    } catch (error) {
      const state = this.states[i];
      const value = row[i];
      const shown = Buffer.isBuffer(value)
        ? `0x${value.toString('hex').slice(0, 40)}`
        : String(value).slice(0, 80);
      throw new StepError(
        'extract.value_unrepresentable',
        `step '${this.ctx.stepId}': column '${state?.plan.name ?? i}' (${state?.plan.sourceType ?? '?'}) row ${this.rows + 1}: value ${JSON.stringify(shown)} cannot be stored as DuckDB ${state?.type ?? '?'}: ${error instanceof Error ? error.message : String(error)}`,
        'CAST the column to a text type in a query to keep the value as text',
        { cause: error, details: { column: state?.plan.name ?? String(i), row: this.rows + 1 } },
      );
    }
    this.rows += 1;
    this.sinceFlush += 1;
  }

  flush(): void {
    this.appender?.flushSync();
    this.sinceFlush = 0;
  }

  close(): void {
    if (!this.appender) return;
    this.appender.flushSync();
    this.appender.closeSync();
    this.appender = undefined;
  }

  abandon(): void {
    try {
      this.appender?.closeSync();
    } catch {
      // the table is dropped next; a half-built chunk does not matter
    }
    this.appender = undefined;
  }
}

interface StreamOutcome {
  rows: number;
  truncated: boolean;
}

/**
 * Runs `sql` (text or binary protocol, see `prepareStatement`) and feeds every row to the loader as it arrives;
 * the connection is paused while DuckDB work that must not interleave with rows runs (creating the table,
 * widening a column). A binary-protocol statement the server refuses to prepare is retried with the text
 * protocol.
 */
function streamRows(
  ctx: StepContext,
  client: MysqlClient,
  loader: Loader,
  read: ReadPlan,
  textProtocol: boolean,
): Promise<StreamOutcome> {
  return new Promise<StreamOutcome>((resolve, reject) => {
    const conn = client.raw;
    let settled = false;
    let gotFields = false;
    let truncated = false;
    let pending: Promise<void> = Promise.resolve();
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      unsubscribe();
      if (error === undefined) resolve({ rows: loader.rows, truncated });
      else reject(error);
    };
    let stopping = false;
    const fail = (error: unknown) => {
      // The first error wins; stop the server's statement too, then report.
      if (settled || stopping) return;
      stopping = true;
      conn.pause();
      client.abort().then(
        () => finish(error),
        () => finish(error),
      );
    };
    const onAbort = () => fail(stepCancelled(ctx.signal.reason));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    /** Pauses the stream while `work` runs (table creation, widening). */
    const pauseFor = (work: () => Promise<void>) => {
      conn.pause();
      pending = pending
        .then(work)
        .then(() => {
          if (!settled && !stopping && !truncated) conn.resume();
        })
        .catch(fail);
    };
    const options = { sql: read.sql, rowsAsArray: true };
    const query = textProtocol ? conn.query(options) : conn.execute(options);
    // A dead connection is reported on the connection, not on a streamed query.
    const unsubscribe = client.onFatal((error) => {
      if (!truncated) fail(error);
    });
    query.on('error', (error: unknown) => {
      if (!settled && !gotFields && !textProtocol && mysqlErrorInfo(error).code === 'ER_UNSUPPORTED_PS') {
        settled = true;
        ctx.signal.removeEventListener('abort', onAbort);
        unsubscribe();
        streamRows(ctx, client, loader, read, true).then(resolve, reject);
        return;
      }
      if (truncated) return; // we closed the connection on purpose after `limit` rows
      fail(error);
    });
    query.on('fields', (fields: FieldPacket[]) => {
      gotFields = true;
      let columns: ColumnPlan[];
      try {
        columns = planResultColumns(ctx, fields);
      } catch (error) {
        return fail(error);
      }
      pauseFor(() => loader.create(columns));
    });
    /** Batch flush, progress and the row limit, after each appended row. */
    const afterAppend = () => {
      if (loader.sinceFlush >= read.batchSize) {
        loader.flush();
        ctx.progress(loader.rows);
      }
      if (read.limit !== undefined && loader.rows >= read.limit && !truncated) {
        // Query mode: stop the server from sending more. The connection is ours alone; closing it is the
        // cheapest way to end a running statement.
        truncated = true;
        pending.then(() => client.abort()).then(() => finish(), fail);
      }
    };
    query.on('result', (row: unknown[]) => {
      if (settled || stopping || truncated) return;
      try {
        const widen = loader.wideningFor(row);
        if (widen.length) {
          pauseFor(async () => {
            await loader.widen(widen);
            loader.append(row);
            afterAppend();
          });
          return;
        }
        loader.append(row);
        afterAppend();
      } catch (error) {
        fail(error);
      }
    });
    query.on('end', () => {
      // After an error (a statement timeout, say) mysql2 still ends the query: the failure reports it.
      if (truncated || stopping) return;
      pending.then(() => {
        if (!gotFields)
          return fail(
            new StepError(
              'extract.query_failed',
              `step '${ctx.stepId}': the statement returned no result set`,
            ),
          );
        finish();
      }, fail);
    });
  });
}

/** The materialised read: every row into the step's DuckDB table (`ctx.outputTable`). */
export async function runMysqlExtract(ctx: StepContext): Promise<StepResult> {
  const opened = await readSettings(ctx);
  const { read } = opened;
  const started = Date.now();
  const loader = new Loader(ctx, ctx.duck, unquoteIdent(ctx.outputTable));
  let client: MysqlClient | undefined;
  try {
    client = await connectForRead(opened);
    extractStarted(ctx, opened, false);
    const { textProtocol } = await prepareStatement(client, read.sql);
    const outcome = await streamRows(ctx, client, loader, read, textProtocol);
    loader.close();
    if (!outcome.truncated) {
      await client.query('COMMIT');
      await client.end();
    }
    ctx.progress(outcome.rows);
    loader.zeroDates.warn(ctx);
    ctx.metric('rows_read', outcome.rows, 'rows');
    ctx.metric('duration_ms', Date.now() - started, 'ms');
    await recordWindowRead(ctx, ctx.duck, ctx.outputTable, outcome.rows);
    return { rowsRead: outcome.rows, rowsOut: outcome.rows, outputs: [readOutput(opened)] };
  } catch (error) {
    loader.abandon();
    await client?.abort();
    await ctx.duck.run(`DROP TABLE IF EXISTS ${ctx.outputTable}`).catch(() => undefined);
    throw readFailure(ctx, error, opened);
  }
}
