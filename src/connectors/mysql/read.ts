/**
 * What mysql.extractor reads and how: the step's config turned into one read-only SELECT, the session that
 * runs it, and the value rules both ways of loading share (materialised into DuckDB, or passed through).
 */
import type { FieldPacket } from 'mysql2';
import { StepError, type StreamContext } from '../../runtime/driver.js';
import { applyWindow } from '../../runtime/incremental/read.js';
import { StepConfig } from '../../runtime/step-config.js';
import type { JsonValue } from '../../yaml/json.js';
import { guardStepSql, statementTimedOut, stepStatementTimeoutMs } from '../step-sql.js';
import {
  connectionRef,
  MysqlClient,
  type MysqlSettings,
  mysqlErrorInfo,
  mysqlSettings,
  mysqlStepError,
  quoteMysqlIdent,
  STATEMENT_TIMEOUT_ERRNO,
  statementTimeoutSql,
} from './client.js';
import { type ColumnPlan, MysqlType, planColumns, UnsupportedColumnError } from './types.js';

export interface ReadPlan {
  sql: string;
  /** Stop after this many rows (query mode: the connection is closed once it is reached). */
  limit: number | undefined;
  batchSize: number;
  /** The table as the user named it (table mode), for messages. */
  table: string | undefined;
}

/** `db.table` or `table` (in the connection's database). */
function qualifiedTable(table: string): string {
  const dot = table.indexOf('.');
  if (dot > 0 && dot < table.length - 1 && table.indexOf('.', dot + 1) === -1)
    return `${quoteMysqlIdent(table.slice(0, dot))}.${quoteMysqlIdent(table.slice(dot + 1))}`;
  return quoteMysqlIdent(table);
}

export async function plan(ctx: StreamContext): Promise<ReadPlan> {
  const cfg = StepConfig.of(ctx);
  const query = cfg.string('query');
  const table = cfg.string('table');
  const batchSize = cfg.integer('batch_size', 1, 10_000);
  const limit = cfg.integer('limit', 1);
  const offset = cfg.integer('offset', 0) ?? 0;
  if ((query === undefined) === (table === undefined))
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}': set exactly one of 'query' or 'table'`,
      "use 'table' (with optional columns, where, limit) for a plain read, 'query' for joins and aggregates",
    );
  if (query !== undefined) {
    if (query.trim() === '') throw cfg.invalid('query', 'a non-empty SELECT statement');
    for (const key of ['columns', 'where']) {
      if (cfg.has(key))
        throw new StepError(
          'config.invalid',
          `step '${ctx.stepId}': '${key}' only applies with 'table', not with 'query'`,
        );
    }
    const shape = await guardStepSql(ctx, 'query', query, 'mysql');
    // The newline ends a trailing `-- comment` in the query.
    const body = applyWindow(ctx, 'mysql', shape.body);
    const sql =
      offset > 0 ? `SELECT * FROM (${body}\n) AS osiris_offset${limitOffset(undefined, offset)}` : body;
    return { sql, limit, batchSize, table: undefined };
  }
  const name = (table as string).trim();
  if (name === '') throw cfg.invalid('table', 'a table name');
  const columns = cfg.stringList('columns');
  const where = cfg.string('where');
  const select = columns?.length ? columns.map(quoteMysqlIdent).join(', ') : '*';
  let sql = `SELECT ${select} FROM ${qualifiedTable(name)}`;
  if (where !== undefined && where.trim() !== '') {
    await guardStepSql(ctx, 'where', where, 'mysql');
    // The newline ends a trailing `-- comment` in the condition.
    sql += ` WHERE (${where}\n)`;
  }
  sql = applyWindow(ctx, 'mysql', sql);
  sql += limitOffset(limit, offset);
  return { sql, limit, batchSize, table: name };
}

/** ` LIMIT n`, ` LIMIT n OFFSET m`; MySQL has no OFFSET without LIMIT, so "no limit" is the largest one. */
function limitOffset(limit: number | undefined, offset: number): string {
  if (offset === 0) return limit === undefined ? '' : ` LIMIT ${limit}`;
  return ` LIMIT ${limit ?? '18446744073709551615'} OFFSET ${offset}`;
}

const isZeroDate = (s: string): boolean =>
  (s.charCodeAt(5) === 48 && s.charCodeAt(6) === 48) || (s.charCodeAt(8) === 48 && s.charCodeAt(9) === 48);

/**
 * MySQL zero dates ('0000-00-00…', or a zero month or day) have no DuckDB value: they become NULL as rows
 * arrive, counted per column for one `zero_dates_nulled` warning at the end.
 */
export class ZeroDates {
  private readonly at: number[];
  private readonly counts: number[];

  constructor(private readonly columns: readonly ColumnPlan[]) {
    this.at = columns.flatMap((c, i) =>
      c.kind === 'date' || c.kind === 'datetime' || c.kind === 'timestamp' ? [i] : [],
    );
    this.counts = columns.map(() => 0);
  }

  /** Nulls the zero dates of one row in place. */
  clear(row: unknown[]): void {
    for (const i of this.at) {
      const v = row[i];
      if (typeof v === 'string' && isZeroDate(v)) {
        row[i] = null;
        this.counts[i] = (this.counts[i] as number) + 1;
      }
    }
  }

  /** The warning event, if any zero date was seen. */
  warn(ctx: StreamContext): void {
    const hit = this.columns.flatMap((c, i) => {
      const count = this.counts[i] as number;
      return count > 0 ? [{ name: c.name, count }] : [];
    });
    if (!hit.length) return;
    const counts: Record<string, JsonValue> = {};
    for (const c of hit) counts[c.name] = c.count;
    ctx.emit('zero_dates_nulled', {
      level: 'warning',
      columns: counts,
      total: hit.reduce((n, c) => n + c.count, 0),
      message: `MySQL zero dates (e.g. '0000-00-00') were read as NULL in ${hit
        .map((c) => `'${c.name}' (${c.count})`)
        .join(', ')}`,
    });
  }
}

/** BIT(n) bytes (big-endian) → unsigned integer. */
export function bitsValue(buf: Buffer): bigint {
  let v = 0n;
  for (const byte of buf) v = (v << 8n) | BigInt(byte);
  return v;
}

/**
 * Text or binary protocol. The text protocol is ~15% faster here (the server formats dates and decimals), but
 * MariaDB prints FLOAT with 6 significant digits (16777217 → 16777200) and bounds DOUBLE text, so a result with
 * a FLOAT or DOUBLE column goes through the binary protocol, which carries the IEEE bytes. The statement is
 * prepared once to learn its columns; statements the server cannot prepare use the text protocol.
 */
export async function prepareStatement(client: MysqlClient, sql: string): Promise<PreparedRead> {
  const columns = await new Promise<FieldPacket[] | undefined>((resolve, reject) => {
    client.raw.prepare(sql, (error, statement) => {
      if (error) {
        if (mysqlErrorInfo(error).code === 'ER_UNSUPPORTED_PS') resolve(undefined);
        else reject(error);
        return;
      }
      const cols = (statement as unknown as { columns?: FieldPacket[] }).columns ?? [];
      statement.close();
      resolve(cols);
    });
  });
  if (columns === undefined) return { textProtocol: true, fields: undefined };
  const floaty = columns.some((c) => {
    const type = c.columnType ?? c.type;
    return type === MysqlType.FLOAT || type === MysqlType.DOUBLE;
  });
  return { textProtocol: !floaty, fields: columns };
}

export interface PreparedRead {
  textProtocol: boolean;
  /** The result's columns as the server described them when preparing; undefined if it could not prepare. */
  fields: FieldPacket[] | undefined;
}

/** Output columns of a result, with a warning event for renamed duplicates; StepError if a type is unsupported. */
export function planResultColumns(ctx: StreamContext, fields: FieldPacket[]): ColumnPlan[] {
  try {
    const planned = planColumns(fields);
    if (planned.renamed.length)
      ctx.emit('columns_renamed', {
        level: 'warning',
        message: `duplicate column names renamed: ${planned.renamed.map(([from, to]) => `${from} → ${to}`).join(', ')}`,
        renamed: planned.renamed.map(([from, to]) => ({ from, to })),
        reason: 'duplicate column names in the result (DuckDB names are case-insensitive)',
      });
    return planned.columns;
  } catch (error) {
    if (error instanceof UnsupportedColumnError)
      throw new StepError('extract.type_unsupported', `step '${ctx.stepId}': ${error.message}`, error.hint, {
        details: { column: error.column, source_type: error.sourceType },
      });
    throw error;
  }
}

export interface OpenedRead {
  read: ReadPlan;
  settings: MysqlSettings;
  client: MysqlClient;
  /** For mysqlStepError: where the failure happened. */
  errorContext: { settings: MysqlSettings; phase: 'extract'; stepId: string; table?: string };
  /** The step's `statement_timeout` in milliseconds, if it has one. */
  statementTimeoutMs: number | undefined;
}

/** The step's read plan and settings (no connection yet); config errors surface here. */
export async function readSettings(ctx: StreamContext): Promise<Omit<OpenedRead, 'client'>> {
  const read = await plan(ctx);
  const cfg = StepConfig.of(ctx);
  const schema = cfg.string('schema');
  const settings: MysqlSettings = withSchema(
    mysqlSettings(ctx.connection, {
      config: ctx.config,
      stepId: ctx.stepId,
      requireDatabase: read.table !== undefined && !read.table.includes('.') && schema === undefined,
    }),
    schema,
  );
  return {
    read,
    settings,
    errorContext: {
      settings,
      phase: 'extract',
      stepId: ctx.stepId,
      ...(read.table === undefined ? {} : { table: read.table }),
    },
    statementTimeoutMs: stepStatementTimeoutMs(ctx),
  };
}

/** `schema` (the Python original's name; in MySQL a schema is a database) reads from that database. */
function withSchema(settings: MysqlSettings, schema: string | undefined): MysqlSettings {
  return schema === undefined || schema === '' ? settings : { ...settings, database: schema };
}

/** The StepError for a failed read: the step's statement timeout by name, else the server's error. */
export function readFailure(
  ctx: StreamContext,
  error: unknown,
  opened: Omit<OpenedRead, 'client'>,
): StepError {
  if (error instanceof StepError) return error;
  const { errno, message } = mysqlErrorInfo(error);
  if (opened.statementTimeoutMs !== undefined && errno !== undefined && STATEMENT_TIMEOUT_ERRNO.has(errno))
    return statementTimedOut(ctx, opened.statementTimeoutMs, message);
  return mysqlStepError(error, opened.errorContext);
}

/** Connects and opens the READ ONLY transaction the statement runs in, under the step's statement timeout. */
export async function connectForRead(
  opened: Pick<OpenedRead, 'settings' | 'statementTimeoutMs'>,
): Promise<MysqlClient> {
  const client = await MysqlClient.connect(opened.settings, {
    // A paused stream (table creation, widening, a busy consumer) must not be dropped by the server.
    sessionSql: ['SET SESSION net_write_timeout = GREATEST(@@net_write_timeout, 600)'],
  });
  try {
    if (opened.statementTimeoutMs !== undefined)
      await client.query(await statementTimeoutSql(client, opened.statementTimeoutMs));
    await client.query('START TRANSACTION READ ONLY');
  } catch (error) {
    await client.abort();
    throw error;
  }
  return client;
}

export function extractStarted(
  ctx: StreamContext,
  opened: Omit<OpenedRead, 'client'>,
  passThrough: boolean,
): void {
  const { read } = opened;
  ctx.emit('extract_started', {
    connection: connectionRef(ctx.connection, ctx.stepId),
    mode: read.table === undefined ? 'query' : 'table',
    ...(read.table === undefined ? {} : { table: read.table }),
    batch_size: read.batchSize,
    ...(passThrough ? { pass_through: true } : {}),
  });
}

/** What the step reports it read from. */
export function readOutput(opened: Omit<OpenedRead, 'client'>): string {
  const { read, settings } = opened;
  return read.table === undefined ? `${settings.ref} query` : `${settings.ref}/${read.table}`;
}
