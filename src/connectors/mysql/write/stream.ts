/**
 * mysql.writer as a pass-through consumer (docs/adr/0020-mysql-writer-pass-through.md): rows from an
 * extractor are rendered in JavaScript (render.ts) and loaded exactly as an input table is — same DDL, write
 * modes, staging and transactions, same errors — through run.ts. What DuckDB checks before a table's load
 * is checked value by value here, failing the load (nothing is committed).
 */
import type { ColumnInfo } from '../../../runtime/dataplane.js';
import { StepError, type StepResult, type StreamContext } from '../../../runtime/driver.js';
import { type RowStream, UpstreamFailed } from '../../../runtime/stream.js';
import { StreamProfile, streamReceived } from '../../load-verify.js';
import { mysqlErrorInfo } from '../client.js';
import { categorize, duplicateKey, keyColumns } from './input.js';
import type { Resizing } from './modes.js';
import { planWrite } from './plan.js';
import { STREAM_CATEGORIES, StreamRenderer } from './render.js';
import { destination, emptyInput, singleInput, type WriteInput, writeToMysql } from './run.js';
import { throwIfCancelled } from './session.js';
import { categoryOf } from './text.js';

/** Type names a source may use for what DuckDB's DESCRIBE spells otherwise. */
const TYPE_ALIASES: Record<string, string> = {
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  TIMETZ: 'TIME WITH TIME ZONE',
};

const describeAs = (c: ColumnInfo): ColumnInfo => ({
  name: c.name,
  type: TYPE_ALIASES[c.type.toUpperCase().trim()] ?? c.type,
});

/** Why these columns must go through a DuckDB table first (undefined: they can stream). */
export function mysqlStreamDeclined(columns: readonly ColumnInfo[]): string | undefined {
  for (const c of columns.map(describeAs)) {
    const category = categoryOf(c.type);
    // A type the writer cannot write at all fails on the materialised path, with its error.
    if (category === undefined || !STREAM_CATEGORIES.has(category))
      return `column '${c.name}' (${c.type}) needs DuckDB to render it for MySQL`;
  }
  return undefined;
}

/** The whole writer step, loading rows passed straight from the extractor. */
export async function runMysqlStreamWrite(ctx: StreamContext, stream: RowStream): Promise<StepResult> {
  const plan = planWrite(ctx);
  throwIfCancelled(ctx);
  const upstream = singleInput(ctx).stepId;
  const started = Date.now();
  const info = stream.columns.map(describeAs);
  const columns = categorize(ctx, info);
  const keys = keyColumns(ctx, info, plan.primaryKey);
  const dest = destination(ctx, plan);
  const renderer = new StreamRenderer(ctx, columns, { notNull: plan.mode === 'upsert' ? keys : [] });
  let resizing: Resizing | undefined;
  const received = new StreamProfile(stream.columns);
  const input: WriteInput = {
    upstream,
    columns,
    keyColumns: keys,
    rowsIn: undefined,
    rows: {
      open: async (method) =>
        (async function* () {
          for await (const batch of stream.batches) {
            const lines = renderer.render(batch, method);
            if (plan.verify) received.add(batch);
            const pause = resizing?.pauseFor(renderer.stats());
            if (pause) yield pause;
            yield lines;
          }
        })(),
    },
    // A new table starts with the types of short values and widens as longer ones arrive.
    stats: async () => new Map(),
    received: streamReceived(received),
    resizing: (r) => {
      resizing = r;
    },
    loaded(sent) {
      if (sent === 0 && !plan.allowEmpty) throw emptyInput(ctx, plan, dest, upstream);
    },
    explain(error) {
      if (error instanceof UpstreamFailed)
        return new StepError(
          'runtime.dependency_failed',
          `step '${ctx.stepId}': upstream step '${upstream}' failed while its rows were streaming in; nothing was committed, ${dest.shown} is unchanged`,
          `fix step '${upstream}' (its error is above)`,
          { cause: error, details: { upstream_step: upstream, table: dest.shown } },
        );
      const { errno, message } = mysqlErrorInfo(error);
      const entry = /Duplicate entry '(.*)' for key/.exec(message)?.[1];
      // The staging table's key meets a key the input holds twice (a table's input is checked in DuckDB).
      if (plan.mode === 'upsert' && errno === 1062 && entry !== undefined)
        return duplicateKey(ctx, keys, entry, undefined);
      return error;
    },
  };
  return writeToMysql(ctx, plan, dest, started, input);
}
