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
import { messageOf } from '../../runtime/duckdb-errors.js';
import { incrementalDeclined } from '../../runtime/incremental/read.js';
import {
  type LineFeed,
  pendingResult,
  type StreamRow,
  type StreamValue,
  UpstreamFailed,
} from '../../runtime/stream.js';
import { type PgSession, type PgTarget, pgIdent } from './client.js';
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

function notDecimalError(stepId: string, col: ReadColumn, text: string): StepError {
  return new StepError(
    'extract.type_error',
    `step '${stepId}': column '${col.name}' (${col.sourceType}): value '${text}' cannot be represented as DuckDB ${col.duckType}`,
    'cast the column in a query (e.g. col::text) to keep it as text',
  );
}

/** How a column's COPY text becomes its DuckDB-typed stream value; undefined when DuckDB must cast it. */
function converterFor(col: ReadColumn, stepId: string): Convert | undefined {
  const type = col.duckType;
  if (/^DECIMAL\(\d+,\d+\)$/.test(type))
    return (t) => {
      // numeric(p,s) holds NaN and ±Infinity; DuckDB's DECIMAL does not (the materialised read fails too).
      if (!/^-?\d/.test(t)) throw notDecimalError(stepId, col, t);
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

/** Column names written in a CSV header the same way by Postgres and DuckDB (neither quotes them). */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Marks a numeric NaN/Infinity in a CSV copy: the cast of this text fails the COPY with it. */
const NOT_DECIMAL = 'osiris_not_decimal';

/**
 * The Postgres expression whose CSV text is DuckDB's CSV text for the column's value (docs/adr/0019), or
 * undefined when there is none here. Integers and text print alike, and both quote a field only for a comma,
 * quote or line break, or when it is empty. A DECIMAL's digits print alike; numeric's NaN fails the COPY
 * (DuckDB's DECIMAL cannot hold it, so the general path fails too). BC dates get DuckDB's `(BC)` form.
 */
function csvExpr(col: ReadColumn, index: number, ref: string): string | undefined {
  const e = col.pgExpr(ref);
  if (/^DECIMAL\(\d+,\d+\)$/.test(col.duckType))
    // A numeric with a precision holds NaN but not ±Infinity (Postgres refuses them: field overflow).
    return `CASE WHEN ${e} = 'NaN'::numeric THEN ('${NOT_DECIMAL}:${index}:' || ${e}::text)::integer ELSE ${e} END`;
  switch (col.duckType) {
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
    case 'VARCHAR':
      return e;
    case 'DATE':
    case 'TIMESTAMP':
      return `CASE WHEN ${e} < '0001-01-01'::${col.duckType === 'DATE' ? 'date' : 'timestamp'} THEN regexp_replace(${e}::text, E'^(\\\\S+)(.*) BC$', E'\\\\1 (BC)\\\\2') ELSE ${e}::text END`;
    default:
      return undefined;
  }
}

/** The first rows of a CSV copy, parsed for the run's preview (fields as written; null for an unquoted empty one). */
class CsvHead {
  done = false;
  private text = '';
  private skip: boolean;
  constructor(
    private wanted: number,
    header: boolean,
  ) {
    this.skip = header;
  }

  push(chunk: Buffer): Array<Array<string | null>> {
    this.text += chunk.toString('utf8');
    const rows: Array<Array<string | null>> = [];
    let at = 0;
    for (;;) {
      const parsed = parseCsvRecord(this.text, at);
      if (!parsed) break;
      at = parsed.next;
      if (this.skip) this.skip = false;
      else rows.push(parsed.fields);
      if (rows.length === this.wanted) break;
    }
    this.wanted -= rows.length;
    this.text = this.text.slice(at);
    if (this.wanted === 0 || this.text.length > 1 << 20) this.done = true;
    return rows;
  }
}

/** One `\n`-terminated CSV record from `at`, or undefined when it is not complete yet. */
function parseCsvRecord(
  text: string,
  at: number,
): { fields: Array<string | null>; next: number } | undefined {
  const fields: Array<string | null> = [];
  let i = at;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return undefined;
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      if (end >= text.length) return undefined;
      fields.push(end === i ? null : text.slice(i, end));
      i = end;
    }
    if (i >= text.length) return undefined;
    if (text[i] === '\n') return { fields, next: i + 1 };
    i++; // the comma
  }
}

export async function openPostgresStream(
  ctx: StreamContext,
  options: ExtractOptions,
): Promise<StreamSource | { declined: string }> {
  const incremental = incrementalDeclined(ctx);
  if (incremental) return incremental;
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

  /** A preview row from CSV fields (null for NULL), as `toRow` makes one from COPY text. */
  /** The COPY failed on a numeric NaN/Infinity marked by `csvExpr`: the type error the general path reports. */
  const notDecimal = (error: unknown): StepError | undefined => {
    const m = new RegExp(`${NOT_DECIMAL}:(\\d+):([^"]*)`).exec(messageOf(error));
    const col = m ? columns[Number(m[1])] : undefined;
    return m && col ? notDecimalError(ctx.stepId, col, m[2] as string) : undefined;
  };

  const toPreviewRow = (fields: Array<string | null>): StreamRow =>
    fields.map((f, i) => (f === null ? null : (converters[i] as Convert)(f)));

  const toRow = (line: string): StreamRow => {
    const fields = line.split('\t');
    if (fields.length !== columns.length)
      throw new StepError(
        'extract.query_failed',
        `step '${ctx.stepId}': a COPY row from ${target.label} has ${fields.length} fields, expected ${columns.length}`,
      );
    return fields.map((f, i) => (f === '\\N' ? null : (converters[i] as Convert)(unescapeField(f))));
  };

  /**
   * Runs the COPY and yields what `pieces` makes of each chunk (with the rows it holds). The result is
   * settled when the rows end — or, when `verdict` is given, once the consumer has loaded them (line feed:
   * DuckDB may still fail to convert a field after the last byte was read).
   */
  async function* copyOut<T>(
    pieces: (chunk: Buffer) => Iterable<{ item: T; rows: number }>,
    leftover: () => number,
    verdict?: { finish?: () => void },
    csv?: { sql: string; rows(count: number): void },
  ): AsyncGenerator<T> {
    if (settled) return;
    const started = Date.now();
    let rows = 0;
    let bytes = 0;
    let done = false;
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      copy = session.client.query(copyTo(csv?.sql ?? sql));
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        for (const piece of pieces(chunk)) {
          rows += piece.rows;
          yield piece.item;
          ctx.progress(rows);
        }
      }
      if (leftover() > 0)
        throw new StepError(
          'extract.query_failed',
          `step '${ctx.stepId}': the COPY stream from ${target.label} ended in the middle of a row`,
        );
      // A quoted CSV field may hold line breaks: the server's count is the exact one.
      if (csv) {
        rows = copy.rowCount;
        csv.rows(rows);
      }
      await session.client.query('COMMIT');
      done = true;
    } catch (error) {
      const mapped = settled
        ? error
        : (notDecimal(error) ?? (await toExtractError(ctx, session, target, plan, error, csv?.sql ?? sql)));
      stop(mapped);
      throw new UpstreamFailed(ctx.stepId, mapped);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      if (!done) stop(stepCancelled('the consumer stopped reading'));
    }
    if (!verdict) settled = true;
    await session.close();
    const finish = () => {
      settled = true;
      reportColumns(ctx, target, plan, columns);
      ctx.metric('rows_read', rows, 'rows');
      ctx.metric('bytes_processed', bytes, 'bytes');
      ctx.metric('duration_ms', Date.now() - started, 'ms');
      ctx.progress(rows);
      resolveResult({ rowsRead: rows, rowsOut: rows });
    };
    if (verdict) verdict.finish = finish;
    else finish();
  }

  const batches = (): AsyncGenerator<StreamRow[]> => {
    const splitter = new BlockSplitter();
    return copyOut(
      function* (chunk) {
        const cut = splitter.push(chunk);
        if (!cut) return;
        const lines = cut.text.split('\n');
        for (let i = 0; i < lines.length; i += BATCH_ROWS) {
          const batch = lines.slice(i, i + BATCH_ROWS).map(toRow);
          yield { item: batch, rows: batch.length };
        }
      },
      () => splitter.leftover(),
    );
  };

  const verdict: { finish?: () => void } = {};
  /** The COPY text itself, for a consumer that lets DuckDB cut and convert it (see LineFeed). */
  const lines: LineFeed = {
    readOptions: `header = false, auto_detect = false, delim = '\t', quote = '', escape = '', nullstr = '\\N', new_line = '\\n'`,
    columnSql: (index, field) => (columns[index] as ReadColumn).duckExpr(field),
    chunks(preview) {
      let partial = 0;
      let wanted = preview?.rows ?? 0;
      let head = Buffer.alloc(0);
      return copyOut(
        function* (chunk) {
          let n = 0;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
          const last = chunk.lastIndexOf(10);
          partial = last < 0 ? partial + chunk.length : chunk.length - last - 1;
          if (wanted > 0 && preview) {
            head = Buffer.concat([head, chunk]);
            const end = head.lastIndexOf(10);
            if (end >= 0) {
              const rows = head.toString('utf8', 0, end).split('\n').slice(0, wanted).map(toRow);
              preview.onRows(rows);
              wanted -= rows.length;
              head = wanted > 0 ? Buffer.from(head.subarray(end + 1)) : Buffer.alloc(0);
            }
          }
          yield { item: chunk as Uint8Array, rows: n };
        },
        () => partial,
        verdict,
      );
    },
    conversionFailed(error) {
      const mapped = new StepError(
        'extract.type_error',
        `step '${ctx.stepId}': a value from ${plan.shown} cannot be converted to its DuckDB type: ${messageOf(error).split('\n')[0]}`,
        'cast the column in a query (e.g. col::text) to keep it as text',
        { cause: error },
      );
      stop(mapped);
      return mapped;
    },
    loaded: () => verdict.finish?.(),
    csv(header) {
      const exprs = columns.map((c, i) => csvExpr(c, i, pgIdent(`c${i + 1}`)));
      if (columns.length < 2 || exprs.some((e) => e === undefined)) return undefined;
      if (columns.some((c) => !PLAIN_NAME.test(c.name))) return undefined;
      const aliases = columns.map((_, i) => pgIdent(`c${i + 1}`));
      const select = exprs.map((e, i) => `${e} AS ${pgIdent((columns[i] as ReadColumn).name)}`);
      const csvSql = `COPY (SELECT ${select.join(', ')} FROM (\n${plan.sql}\n) AS osiris_src(${aliases.join(', ')})) TO STDOUT (FORMAT csv, HEADER ${header})`;
      let exact = 0;
      return {
        rows: () => exact,
        chunks(preview) {
          const head = preview && preview.rows > 0 ? new CsvHead(preview.rows, header) : undefined;
          return copyOut(
            function* (chunk) {
              if (head && !head.done) {
                const rows = head.push(chunk).map(toPreviewRow);
                if (rows.length) preview?.onRows(rows);
              }
              yield { item: chunk as Uint8Array, rows: 0 };
            },
            () => 0,
            verdict,
            { sql: csvSql, rows: (n) => (exact = n) },
          );
        },
      };
    },
  };

  return {
    // As DuckDB would describe the table (its long name for the one short name the planner uses).
    columns: columns.map((c) => ({
      name: c.name,
      type: c.duckType === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : c.duckType,
    })),
    batches: batches(),
    lines,
    result,
    cancel: (reason?: unknown) => stop(stepCancelled(reason)),
  };
}
