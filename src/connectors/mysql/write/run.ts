/**
 * mysql.writer's step: checks the input, opens the writer's session, maps the input onto the target and runs
 * the write mode (modes.ts), so that a failure leaves the target exactly as it was. An empty input fails
 * before the target is touched unless `allow_empty` is set.
 */
import { describeTable, tableRowCount } from '../../../runtime/dataplane.js';
import {
  type StepContext,
  StepError,
  type StepResult,
  type StreamContext,
  stepCancelled,
} from '../../../runtime/driver.js';
import { commitStateInMysql } from '../../../runtime/incremental/commit.js';
import { CommitPoint, withRollback } from '../../../runtime/retry/commit.js';
import { duckReceived, type ReceivedSide } from '../../load-verify.js';
import {
  connectionRef,
  type MysqlClient,
  type MysqlSettings,
  mysqlSettings,
  mysqlStepError,
  quoteMysqlIdent,
} from '../client.js';
import type { ColumnStats } from '../types.js';
import { evolveMysqlTarget, type MysqlEvolution } from './evolve.js';
import { categorize, checkInput, columnStats, duckRows, type InputColumn, keyColumns } from './input.js';
import { type LoadColumn, loadRows, type RenderedRows } from './load.js';
import { appendRows, createAndLoad, type Resizing, replaceRows, upsertRows, type Write } from './modes.js';
import { planWrite, type WritePlan } from './plan.js';
import {
  connectWriter,
  dropLeftovers,
  prepareSession,
  throwIfCancelled,
  type WriterConnection,
  type WriterSession,
} from './session.js';
import { SideTables } from './staging.js';
import { inspectTarget, type TargetInfo } from './target.js';
import { mysqlVerifier } from './verify.js';

/** The input of a write, whichever way its rows arrive. */
export interface WriteInput {
  upstream: string;
  columns: InputColumn[];
  keyColumns: string[];
  /** Known up front for a table. */
  rowsIn: number | undefined;
  rows: RenderedRows;
  stats(): Promise<Map<string, ColumnStats>>;
  /** The rows' aggregates for load verification (docs/adr/0025). */
  received: ReceivedSide;
  /** A stream's: a new table's columns widen as longer values arrive (modes.ts). */
  resizing?: (r: Resizing) => void;
  /** Called with the rows a load sent, before it commits: a stream refuses to be empty here. */
  loaded?(sent: number): void;
  /** A stream's own reading of a failure (a duplicate key in the input, a failed upstream). */
  explain?(error: unknown): unknown;
}

/** Where the write goes, for messages and events. */
export interface Destination {
  settings: MysqlSettings;
  ref: string;
  /** `db.table` */
  shown: string;
}

export function destination(ctx: StreamContext, plan: WritePlan): Destination {
  const settings = mysqlSettings(ctx.connection, {
    config: ctx.config,
    stepId: ctx.stepId,
    requireDatabase: true,
  });
  return {
    settings,
    ref: connectionRef(ctx.connection, ctx.stepId),
    shown: `${settings.database}.${plan.table}`,
  };
}

export function emptyInput(
  ctx: StreamContext,
  plan: WritePlan,
  dest: Destination,
  upstream: string,
): StepError {
  return new StepError(
    'write.empty_input',
    `step '${ctx.stepId}': the input from '${upstream}' is empty; refusing to ${plan.mode === 'replace' ? 'replace' : 'write'} ${dest.ref} table '${dest.shown}' with no rows`,
    "set 'allow_empty: true' if an empty input is expected (with write_mode replace it empties the table)",
    { details: { connection: dest.ref, table: plan.table, upstream_step: upstream } },
  );
}

export function singleInput(ctx: StreamContext): StepContext['inputs'][number] {
  if (ctx.inputs.length !== 1)
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}': mysql.writer needs exactly one input (needs: [<step id>]), got ${ctx.inputs.length}`,
    );
  return ctx.inputs[0] as StepContext['inputs'][number];
}

/** The whole writer step, loading the input table. */
export async function runMysqlWrite(ctx: StepContext): Promise<StepResult> {
  const plan = planWrite(ctx);
  throwIfCancelled(ctx);
  const input = singleInput(ctx);
  const started = Date.now();
  const info = await describeTable(ctx.duck, input.table);
  const columns = categorize(ctx, info);
  const keys = keyColumns(ctx, info, plan.primaryKey);
  const rowsIn = await tableRowCount(ctx.duck, input.table);
  const dest = destination(ctx, plan);
  if (rowsIn === 0 && !plan.allowEmpty) throw emptyInput(ctx, plan, dest, input.stepId);
  await checkInput(ctx, input.table, columns, plan.mode === 'upsert' ? keys : [], plan.mode === 'upsert');
  return writeToMysql(ctx, plan, dest, started, {
    upstream: input.stepId,
    columns,
    keyColumns: keys,
    rowsIn,
    rows: duckRows(ctx.duck, input.table, columns),
    stats: () => columnStats(ctx.duck, input.table, columns),
    received: duckReceived(ctx.duck, input.table),
  });
}

/** Input columns onto target columns (MySQL column names are case-insensitive). */
function mapColumns(
  ctx: StreamContext,
  plan: WritePlan,
  dest: Destination,
  columns: InputColumn[],
  target: TargetInfo,
): LoadColumn[] {
  return columns.map(({ info, category }) => {
    if (!target.exists) return { input: info.name, target: info.name, category, targetDataType: undefined };
    const t =
      target.columns.find((tc) => tc.name === info.name) ??
      target.columns.find((tc) => tc.name.toLowerCase() === info.name.toLowerCase());
    if (!t)
      throw new StepError(
        'write.schema_mismatch',
        `step '${ctx.stepId}': ${dest.ref} table '${dest.shown}' has no column '${info.name}' (it has: ${target.columns.map((tc) => tc.name).join(', ')})`,
        'add the column to the table, or drop/rename it upstream',
        { details: { connection: dest.ref, table: plan.table, column: info.name } },
      );
    return { input: info.name, target: t.name, category, targetDataType: t.dataType };
  });
}

/** A view, or a missing table without create_if_missing, is refused; a non-transactional engine warned of. */
function checkTarget(ctx: StreamContext, plan: WritePlan, dest: Destination, target: TargetInfo): void {
  if (target.kind === 'view')
    throw new StepError(
      'write.schema_mismatch',
      `step '${ctx.stepId}': ${dest.ref} '${dest.shown}' is a view; mysql.writer writes tables`,
      undefined,
      { details: { connection: dest.ref, table: plan.table } },
    );
  if (!target.exists && !plan.createIfMissing)
    throw new StepError(
      'write.table_not_found',
      `step '${ctx.stepId}': ${dest.ref} table '${dest.shown}' does not exist and create_if_missing is false`,
      "create the table first or set 'create_if_missing: true'",
      { details: { connection: dest.ref, table: plan.table } },
    );
  if (target.exists && target.engine !== undefined && !/innodb|xtradb/i.test(target.engine))
    ctx.emit('non_transactional_target', {
      level: 'warning',
      table: dest.shown,
      engine: target.engine,
      message: `${dest.shown} uses ${target.engine}, which cannot roll a failed load back`,
    });
}

/** Loads all the input rows into `quotedTable` inside one transaction; rolled back on any failure. */
async function loadInTransaction(
  w: Omit<Write, 'loadInto'>,
  input: WriteInput,
  session: Pick<WriterSession, 'method' | 'maxPacket'>,
  setStream: WriterConnection['setStream'],
  quotedTable: string,
): Promise<number> {
  const c = w.client;
  await c.query('START TRANSACTION');
  try {
    const verified = await w.verify?.begin(c, quotedTable);
    const sent = await loadRows({
      ctx: w.ctx,
      client: c,
      rows: input.rows,
      target: quotedTable,
      columns: w.columns,
      method: session.method,
      batchSize: w.plan.batchSize,
      maxPacket: session.maxPacket,
      setStream,
      progressBase: 0,
    });
    input.loaded?.(sent);
    await verified?.();
    throwIfCancelled(w.ctx);
    if (quotedTable === quoteMysqlIdent(w.plan.table)) await commitStateInMysql(w.ctx, c);
    // Into the target itself (append): this COMMIT publishes the load. Into a staging table it does not.
    if (quotedTable === quoteMysqlIdent(w.plan.table)) w.commit.reached();
    await c.query('COMMIT');
    return sent;
  } catch (error) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Connects, writes `input` with the plan's mode, and explains any failure (the target stays unchanged). */
export async function writeToMysql(
  ctx: StreamContext,
  plan: WritePlan,
  dest: Destination,
  started: number,
  input: WriteInput,
): Promise<StepResult> {
  const errorContext = {
    settings: dest.settings,
    phase: 'write' as const,
    stepId: ctx.stepId,
    table: dest.shown,
  };
  let client: MysqlClient | undefined;
  let stopWatching: (() => Promise<void>) | undefined;
  let evolution: MysqlEvolution | undefined;
  // Failures before the load is published were rolled back whole: the runner may retry them (docs/adr/0026).
  const commit = new CommitPoint();
  const tables = new SideTables(ctx, {
    connection: ctx.connection ? dest.ref : null,
    database: String(dest.settings.database),
    table: plan.table,
  });
  const onAbort = () => {
    client?.abort().catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const conn = await connectWriter(dest.settings);
    client = conn.client;
    const c = client;
    const session = await prepareSession(ctx, c, {
      database: String(dest.settings.database),
      table: plan.table,
      shown: dest.shown,
      ref: dest.ref,
      method: plan.method,
    });
    stopWatching = session.stopWatching;
    const inspected = await inspectTarget(c, plan.table);
    checkTarget(ctx, plan, dest, inspected);
    const evolve = {
      table: plan.table,
      shown: dest.shown,
      connection: dest.ref,
      writeMode: plan.mode,
      mode: plan.evolution,
    };
    evolution = await evolveMysqlTarget(ctx, c, evolve, input, inspected);
    const target = evolution.target;
    const columns = mapColumns(ctx, plan, dest, input.columns, target);
    const targetKeys = input.keyColumns.map((k) => columns.find((col) => col.input === k)?.target ?? k);
    const base = {
      ctx,
      client: c,
      tables,
      shown: dest.shown,
      ref: dest.ref,
      table: plan.table,
      rowsIn: input.rowsIn,
      plan,
      columns,
      inputColumns: input.columns.map((col) => col.info),
      keyColumns: input.keyColumns,
      targetKeys,
      stats: input.stats,
      resizing: input.resizing,
      alterStage: evolution.alterStage,
      verify: plan.verify
        ? mysqlVerifier(ctx, {
            connection: dest.ref,
            shown: dest.shown,
            table: plan.table,
            writeMode: plan.mode,
            created: !target.exists,
            columns,
            inputColumns: input.columns.map((col) => col.info),
            targetKeys,
            received: input.received,
          })
        : undefined,
      commit,
    };
    const w: Write = {
      ...base,
      loadInto: (quoted) => loadInTransaction(base, input, session, conn.setStream, quoted),
    };
    ctx.emit('write_started', {
      connection: dest.ref,
      table: dest.shown,
      write_mode: plan.mode,
      method: session.method,
      ...(input.rowsIn === undefined ? { pass_through: true } : { rows: input.rowsIn }),
      create: !target.exists,
      // The server's id of this session (PROCESSLIST ID, CONNECTION_ID()), to find it on the server.
      connection_id: c.threadId,
    });
    const rowsWritten = !target.exists
      ? await createAndLoad(w)
      : plan.mode === 'append'
        ? await appendRows(w)
        : plan.mode === 'replace'
          ? await replaceRows(w)
          : await upsertRows(w);
    evolution.done();
    ctx.progress(rowsWritten);
    ctx.metric('rows_written', rowsWritten, 'rows');
    ctx.metric('duration_ms', Date.now() - started, 'ms');
    await c.end();
    return { rowsIn: input.rowsIn ?? rowsWritten, rowsWritten, outputs: [`${dest.ref}/${dest.shown}`] };
  } catch (error) {
    // Past the commit point the load may be in: its columns stay.
    if (!commit.passed) await evolution?.undo();
    await client?.abort();
    if (tables.pending.length) await dropLeftovers(ctx, dest.settings, tables.pending);
    if (ctx.signal.aborted) throw stepCancelled(error);
    throw withRollback(mysqlStepError(input.explain ? input.explain(error) : error, errorContext), commit);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await stopWatching?.();
  }
}
