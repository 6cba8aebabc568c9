/**
 * postgres.extractor / supabase.extractor as a pass-through source (docs/adr/0006): the rows of the step's
 * `COPY (…) TO STDOUT` go straight to the writer that is its only consumer, as the values the DuckDB table
 * would have held (src/runtime/stream.ts), without a DuckDB table in between.
 *
 * The materialised read lets DuckDB cast each text field (extract.ts); here each field becomes DuckDB's text
 * for its type in JavaScript, which is exact for the types below. A read is materialised instead when a
 * column needs DuckDB: an unconstrained numeric (its DECIMAL is sized from the data), interval, bytea,
 * arrays and time with time zone; so is SHOW/EXPLAIN. The batches are pulled from the COPY stream as the
 * writer asks for them, so the socket's own flow control bounds memory.
 */
import { to as copyTo } from 'pg-copy-streams';
import { StepError, type StreamContext, type StreamSource, stepCancelled } from '../../runtime/driver.js';
import { pendingResult, type StreamRow, type StreamValue, UpstreamFailed } from '../../runtime/stream.js';
import type { PgSession, PgTarget } from './client.js';
import {
  BlockSplitter,
  beginRead,
  copySql,
  type ExtractOptions,
  planColumns,
  planSource,
  reportColumns,
  type SourcePlan,
  stepConnect,
  stepTarget,
  toExtractError,
} from './extract.js';
import type { ReadColumn } from './types.js';

/** Rows per batch handed to the writer. */
const BATCH_ROWS = 2048;

type Convert = (text: string) => StreamValue;

const asText: Convert = (t) => t;
/** Postgres writes BC dates as `0044-03-15 BC` / `… 12:00:00 BC`; DuckDB's text is `0044-03-15 (BC)` / `0044-03-15 (BC) 12:00:00`. */
const dated: Convert = (t) => (t.endsWith(' BC') ? t.replace(/^(\S+)(.*) BC$/, '$1 (BC)$2') : t);
const FLOAT_WORDS: Record<string, string> = { Infinity: 'inf', '-Infinity': '-inf', NaN: 'nan' };

/** How a column's COPY text becomes its DuckDB-typed stream value; undefined when DuckDB must cast it. */
function converterFor(col: ReadColumn, stepId: string): Convert | undefined {
  const type = col.duckType;
  if (/^DECIMAL\(\d+,\d+\)$/.test(type))
    return (t) => {
      // numeric(p,s) holds NaN and ±Infinity; DuckDB's DECIMAL does not (the materialised read fails too).
      if (!/^-?\d/.test(t))
        throw new StepError(
          'extract.type_error',
          `step '${stepId}': column '${col.name}' (${col.sourceType}): value '${t}' cannot be represented as DuckDB ${type}`,
          'cast the column in a query (e.g. col::text) to keep it as text',
        );
      return t;
    };
  switch (type) {
    case 'BOOLEAN':
      return (t) => t === 't';
    case 'FLOAT':
    case 'DOUBLE':
      return (t) => FLOAT_WORDS[t] ?? t;
    case 'DATE':
    case 'TIMESTAMP':
    case 'TIMESTAMPTZ':
      return dated;
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
    case 'UINTEGER':
    case 'TIME':
    case 'UUID':
    case 'JSON':
    case 'VARCHAR':
      return asText;
    default:
      return undefined;
  }
}

const COPY_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
};

/** Undoes COPY text-format escaping of one field. */
function unescapeField(field: string): string {
  return field.includes('\\') ? field.replace(/\\(.)/g, (_, c: string) => COPY_ESCAPES[c] ?? c) : field;
}

export async function openPostgresStream(
  ctx: StreamContext,
  options: ExtractOptions,
): Promise<StreamSource | { declined: string }> {
  const target = stepTarget(ctx, options.family);
  const plan = await planSource(ctx, target);
  if (plan.plain) return { declined: `${plan.shown} is SHOW/EXPLAIN, read as a plain query` };
  if (ctx.signal.aborted) throw stepCancelled(ctx.signal.reason);
  const session = await stepConnect(ctx, target);
  let columns: ReadColumn[];
  let converters: Convert[];
  try {
    await beginRead(ctx, session.client, target);
    columns = await planColumns(session.client, plan.sql);
    const planned = columns.map((c) => converterFor(c, ctx.stepId));
    const odd = columns.filter((_, i) => planned[i] === undefined);
    if (columns.length === 0 || odd.length > 0) {
      await session.close();
      return {
        declined:
          columns.length === 0
            ? `${plan.shown} returns no columns`
            : `column${odd.length > 1 ? 's' : ''} ${odd.map((c) => `'${c.name}' (${c.sourceType})`).join(', ')} need${odd.length > 1 ? '' : 's'} DuckDB to cast ${odd.length > 1 ? 'them' : 'it'}`,
      };
    }
    converters = planned as Convert[];
  } catch (error) {
    const mapped = await toExtractError(ctx, session, target, plan, error, plan.sql);
    await session.close();
    throw mapped;
  }
  return streamRows(ctx, session, target, plan, columns, converters);
}

function streamRows(
  ctx: StreamContext,
  session: PgSession,
  target: PgTarget,
  plan: SourcePlan,
  columns: ReadColumn[],
  converters: Convert[],
): StreamSource {
  const sql = copySql(plan.sql, columns);
  let copy: ReturnType<typeof copyTo> | undefined;
  let settled = false;
  const { result, resolve: resolveResult, reject: rejectResult } = pendingResult();
  const stop = (error: unknown) => {
    if (settled) return;
    settled = true;
    copy?.destroy();
    void session.close().finally(() => rejectResult(error));
  };
  const onAbort = () => stop(stepCancelled(ctx.signal.reason));

  const toRow = (line: string): StreamRow => {
    const fields = line.split('\t');
    if (fields.length !== columns.length)
      throw new StepError(
        'extract.query_failed',
        `step '${ctx.stepId}': a COPY row from ${target.label} has ${fields.length} fields, expected ${columns.length}`,
      );
    return fields.map((f, i) => (f === '\\N' ? null : (converters[i] as Convert)(unescapeField(f))));
  };

  async function* batches(): AsyncGenerator<StreamRow[]> {
    if (settled) return;
    const started = Date.now();
    let rows = 0;
    let bytes = 0;
    let done = false;
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      copy = session.client.query(copyTo(sql));
      const splitter = new BlockSplitter();
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        const cut = splitter.push(chunk);
        if (!cut) continue;
        const lines = cut.text.split('\n');
        for (let i = 0; i < lines.length; i += BATCH_ROWS) {
          const batch = lines.slice(i, i + BATCH_ROWS).map(toRow);
          rows += batch.length;
          yield batch;
          ctx.progress(rows);
        }
      }
      if (splitter.leftover() > 0)
        throw new StepError(
          'extract.query_failed',
          `step '${ctx.stepId}': the COPY stream from ${target.label} ended in the middle of a row`,
        );
      await session.client.query('COMMIT');
      done = true;
    } catch (error) {
      const mapped = settled ? error : await toExtractError(ctx, session, target, plan, error, sql);
      stop(mapped);
      throw new UpstreamFailed(ctx.stepId, mapped);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      if (!done) stop(stepCancelled('the consumer stopped reading'));
    }
    settled = true;
    await session.close();
    reportColumns(ctx, target, plan, columns);
    ctx.metric('rows_read', rows, 'rows');
    ctx.metric('bytes_processed', bytes, 'bytes');
    ctx.metric('duration_ms', Date.now() - started, 'ms');
    ctx.progress(rows);
    resolveResult({ rowsRead: rows, rowsOut: rows });
  }

  return {
    // As DuckDB would describe the table (its long name for the one short name the planner uses).
    columns: columns.map((c) => ({
      name: c.name,
      type: c.duckType === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : c.duckType,
    })),
    batches: batches(),
    result,
    cancel: (reason?: unknown) => stop(stepCancelled(reason)),
  };
}
