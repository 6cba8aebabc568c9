/**
 * mysql.extractor as a pass-through source: the rows of the step's SELECT go straight to the writer that is
 * its only consumer (src/runtime/stream.ts), with the values the DuckDB table would have held — zero dates
 * as NULL (with the same warning), TIMESTAMP as UTC, BIT as numbers, BLOBs as bytes.
 *
 * The output columns must be known before the first row, so the statement is prepared first (the server
 * describes its result; the extractor does this anyway to pick the protocol). A read is materialised
 * instead when the server cannot prepare it, or when a column may widen as values arrive (TINYINT(1),
 * DECIMAL wider than 38 digits, TIME): widening changes the column type after rows were sent.
 */
import type { FieldPacket } from 'mysql2';
import { StepError, type StreamContext, type StreamSource, stepCancelled } from '../../runtime/driver.js';
import { incrementalDeclined } from '../../runtime/incremental/read.js';
import { BatchChannel, pendingResult, type StreamRow, type StreamValue } from '../../runtime/stream.js';
import {
  bitsValue,
  connectForRead,
  extractStarted,
  planResultColumns,
  prepareStatement,
  readFailure,
  readOutput,
  readSettings,
  ZeroDates,
} from './read.js';
import type { ColumnPlan } from './types.js';

/** Rows per batch handed to the writer, and batches that may wait before the source pauses. */
const BATCH_ROWS = 2048;
const QUEUED_BATCHES = 8;

type Convert = (value: unknown) => StreamValue;

/** How a mysql2 value becomes the DuckDB-typed stream value; undefined when it already is one. */
function converterFor(plan: ColumnPlan): Convert | undefined {
  switch (plan.kind) {
    case 'timestamp':
      // Session time zone is UTC: the text is a UTC time; say so explicitly.
      return (v) => `${String(v)}+00`;
    case 'bit1':
      return (v) => bitsValue(v as Buffer) !== 0n;
    case 'bits':
      return (v) => bitsValue(v as Buffer);
    case 'blob':
      return (v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));
    case 'int':
    case 'year':
    case 'bigint':
    case 'float':
    case 'double':
      return undefined; // numbers, or exact digits as text
    default:
      return (v) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  }
}

export async function openMysqlStream(ctx: StreamContext): Promise<StreamSource | { declined: string }> {
  const incremental = incrementalDeclined(ctx);
  if (incremental) return incremental;
  const opened = await readSettings(ctx);
  const { read } = opened;
  if (ctx.signal.aborted) throw stepCancelled(ctx.signal.reason);
  const client = await connectForRead(opened).catch((error: unknown) => {
    throw readFailure(ctx, error, opened);
  });
  let columns: ColumnPlan[];
  let textProtocol: boolean;
  try {
    const prepared = await prepareStatement(client, read.sql);
    if (!prepared.fields) {
      await client.end();
      return {
        declined: 'the server cannot prepare the statement, so its columns are unknown before it runs',
      };
    }
    columns = planResultColumns(ctx, prepared.fields);
    textProtocol = prepared.textProtocol;
  } catch (error) {
    await client.abort();
    throw readFailure(ctx, error, opened);
  }
  const widening = columns.filter((c) => c.widenTo !== undefined);
  if (widening.length) {
    await client.end();
    return {
      declined: `column${widening.length > 1 ? 's' : ''} ${widening
        .map((c) => `'${c.name}' (${c.sourceType})`)
        .join(', ')} may widen as values arrive`,
    };
  }

  const started = Date.now();
  const converters = columns.map(converterFor);
  const convertAt = converters.flatMap((c, i) => (c ? [i] : []));
  const zeroDates = new ZeroDates(columns);
  const conn = client.raw;
  let rows = 0;
  let batch: StreamRow[] = [];
  let stopped = false;
  const { result, resolve: resolveResult, reject: rejectResult } = pendingResult();

  /** The first failure wins: the server's statement is stopped, the consumer sees the error. */
  const stop = (error: unknown) => {
    if (stopped) return;
    stopped = true;
    conn.pause();
    channel.fail(error);
    ctx.signal.removeEventListener('abort', onAbort);
    void client.abort().finally(() => rejectResult(error));
  };
  const onAbort = () => stop(stepCancelled(ctx.signal.reason));
  const channel: BatchChannel<StreamRow[]> = new BatchChannel(ctx.stepId, QUEUED_BATCHES, {
    pause: () => conn.pause(),
    resume: () => {
      if (!stopped) conn.resume();
    },
    cancel: () => stop(stepCancelled('the consumer stopped reading')),
  });

  const finish = async (truncated: boolean) => {
    stopped = true;
    if (batch.length) channel.push(batch);
    batch = [];
    channel.end();
    ctx.signal.removeEventListener('abort', onAbort);
    // The last push may have paused the socket (a full channel); COMMIT's reply must still be read.
    conn.resume();
    try {
      if (truncated)
        await client.abort(); // closing our own connection ends the server's statement
      else {
        await client.query('COMMIT');
        await client.end();
      }
    } catch (error) {
      await client.abort();
      rejectResult(readFailure(ctx, error, opened));
      return;
    }
    ctx.progress(rows);
    zeroDates.warn(ctx);
    ctx.metric('rows_read', rows, 'rows');
    ctx.metric('duration_ms', Date.now() - started, 'ms');
    resolveResult({ rowsRead: rows, rowsOut: rows, outputs: [readOutput(opened)] });
  };

  const start = () => {
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    extractStarted(ctx, opened, true);
    const options = { sql: read.sql, rowsAsArray: true };
    const query = textProtocol ? conn.query(options) : conn.execute(options);
    const onError = (error: unknown) => stop(readFailure(ctx, error, opened));
    query.on('error', onError);
    const unsubscribe = client.onFatal(onError);
    result.then(unsubscribe, unsubscribe);
    query.on('fields', (fields: FieldPacket[]) => {
      // The statement ran as prepared; a different result shape would not match what the writer set up.
      const actual = planResultColumns(ctx, fields);
      const changed = actual.findIndex((c, i) => c.duckdbType !== columns[i]?.duckdbType);
      if (changed >= 0 || actual.length !== columns.length)
        stop(
          new StepError(
            'extract.query_failed',
            `step '${ctx.stepId}': the result's columns differ from what the server described when preparing the statement`,
            'set runtime.pass_through: false in osiris.yaml to load this query through a DuckDB table',
          ),
        );
    });
    query.on('result', (row: StreamValue[]) => {
      if (stopped) return;
      zeroDates.clear(row);
      for (const i of convertAt) {
        const v = row[i];
        if (v !== null && v !== undefined) row[i] = (converters[i] as Convert)(v);
      }
      batch.push(row);
      rows += 1;
      if (batch.length >= BATCH_ROWS) {
        channel.push(batch);
        batch = [];
        ctx.progress(rows);
      }
      if (read.limit !== undefined && rows >= read.limit) void finish(true);
    });
    query.on('end', () => {
      if (!stopped) void finish(false);
    });
  };

  let begun = false;
  async function* batches(): AsyncGenerator<StreamRow[]> {
    if (!begun) {
      begun = true;
      start();
    }
    yield* channel;
  }

  return {
    columns: columns.map((c) => ({ name: c.name, type: c.duckdbType })),
    batches: batches(),
    result,
    cancel(reason?: unknown) {
      if (!begun) {
        begun = true;
        stopped = true;
        channel.end();
        void client.end().finally(() => rejectResult(stepCancelled(reason)));
        return;
      }
      stop(stepCancelled(reason));
    },
  };
}
