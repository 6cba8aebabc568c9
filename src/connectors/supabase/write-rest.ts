/**
 * supabase.writer over the REST API (only `url` + service key in the connection): the input is rendered to
 * JSON objects by DuckDB (exact: big integers and decimals as strings, bytea as `\x…` hex, JSON embedded),
 * read in DuckDB chunks and posted in batches of `batch_size` rows with retries.
 *
 * Guarantees are weaker than over the Postgres protocol and the messages say so: each request is its own
 * transaction, so a failure after some batches leaves those rows written (upsert is idempotent: rerun it);
 * `replace` is refused because REST cannot swap a table atomically; tables cannot be created.
 */

import { closestMatch } from '../../diagnostics/suggest.js';
import { describeTable, quoteIdent, quoteLiteral, tableRowCount } from '../../runtime/dataplane.js';
import { type StepContext, StepError, type StepResult } from '../../runtime/driver.js';
import { singleInput } from '../../runtime/file-output.js';
import { StepConfig } from '../../runtime/step-config.js';
import { PostgrestClient, RestError, type RestSettings } from './rest.js';

/** Rows per REST request unless the step says otherwise. */
export const DEFAULT_REST_BATCH = 1000;

/** DuckDB expression giving a column's JSON value for PostgREST. */
export function restJsonValue(col: string, duckType: string): string {
  const t = duckType.trim().toUpperCase();
  if (t === 'BLOB') return `to_json('\\x' || hex(${col}))`;
  if (t === 'JSON') return col;
  if (/^(DECIMAL|HUGEINT|UHUGEINT|BIGINT|UBIGINT|BIGNUM|VARINT)/.test(t))
    return `to_json(CAST(${col} AS VARCHAR))`;
  if (t === 'FLOAT' || t === 'DOUBLE')
    return `CASE WHEN isfinite(${col}) THEN CAST(CAST(${col} AS VARCHAR) AS JSON) ELSE to_json(CAST(${col} AS VARCHAR)) END`;
  if (t === 'TIMESTAMP_NS') return `to_json(CAST(CAST(${col} AS TIMESTAMP) AS VARCHAR))`;
  return `to_json(${col})`;
}

export async function runSupabaseRestWrite(ctx: StepContext, settings: RestSettings): Promise<StepResult> {
  const cfg = StepConfig.of(ctx);
  const table = cfg.requiredString('table');
  const mode = cfg.oneOf('write_mode', ['append', 'replace', 'upsert'] as const, 'append');
  const shown = `${settings.schema}.${table}`;
  if (mode === 'replace')
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}': write_mode 'replace' needs the Postgres protocol; connection ${settings.label} only has the REST API (url + key), which cannot swap a table's contents atomically`,
      "add pg_dsn (Supabase dashboard → Connect) to the connection, or use write_mode 'upsert'",
      { details: { key: 'write_mode' } },
    );
  const primaryKey = cfg.stringList('primary_key') ?? [];
  if (mode === 'upsert' && primaryKey.length === 0)
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}': write_mode 'upsert' needs 'primary_key' (one column or a list)`,
      'set primary_key: id (or [col_a, col_b])',
      { details: { key: 'primary_key' } },
    );
  const batchRows = cfg.integer('batch_size', 1, DEFAULT_REST_BATCH);
  const client = new PostgrestClient(settings, {
    retries: cfg.integer('retries', 0, 3),
    timeoutMs: cfg.integer('timeout', 1, 30) * 1000,
  });
  const input = singleInput(ctx);
  const columns = await describeTable(ctx.duck, input.table);
  const names = columns.map((c) => c.name);
  for (const k of primaryKey)
    if (!names.includes(k)) {
      const near = closestMatch(k, names);
      throw new StepError(
        'config.invalid',
        `step '${ctx.stepId}': primary_key column '${k}' is not in the input from '${input.stepId}'`,
        `${near ? `did you mean '${near}'? ` : ''}input columns: ${names.join(', ')}`,
        { details: { key: 'primary_key', column: k } },
      );
    }
  const rows = await tableRowCount(ctx.duck, input.table);
  if (rows === 0) {
    ctx.emit('write.skipped', { table: shown, reason: 'empty input, nothing to write', channel: 'rest' });
    return { rowsIn: 0, rowsWritten: 0, outputs: [] };
  }
  const started = Date.now();
  ctx.emit('write.start', {
    connection: settings.label,
    table: shown,
    mode,
    rows,
    batch_size: batchRows,
    channel: 'rest',
  });
  const pairs = columns.map((c) => `${quoteLiteral(c.name)}, ${restJsonValue(quoteIdent(c.name), c.type)}`);
  const result = await ctx.duck.stream(
    `SELECT CAST(json_object(${pairs.join(', ')}) AS VARCHAR) FROM ${input.table}`,
  );
  let written = 0;
  let bytes = 0;
  let batch: string[] = [];
  let batchNo = 0;
  let retriesUsed = 0;
  const send = async () => {
    if (batch.length === 0) return;
    const body = `[${batch.join(',')}]`;
    batchNo++;
    try {
      await client.insert(table, body, {
        columns: names,
        ...(mode === 'upsert' ? { onConflict: primaryKey } : {}),
        signal: ctx.signal,
        onRetry: (n) => {
          retriesUsed++;
          ctx.emit('write.retry', {
            table: shown,
            batch: batchNo,
            attempt: n.attempt,
            status: n.status,
            delay_ms: n.delayMs,
            reason: n.reason,
          });
        },
      });
    } catch (error) {
      throw restFailure(ctx, settings, shown, mode, error, written, batchNo);
    }
    written += batch.length;
    bytes += body.length;
    batch = [];
    ctx.progress(written);
  };
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const value of chunk.getColumnValues(0)) {
      batch.push(String(value));
      if (batch.length >= batchRows) await send();
    }
  }
  await send();
  ctx.emit('write.complete', {
    connection: settings.label,
    table: shown,
    mode,
    rows_written: written,
    requests: batchNo,
    retries: retriesUsed,
    channel: 'rest',
    duration_ms: Date.now() - started,
  });
  ctx.metric('rows_written', written, 'rows');
  ctx.metric('bytes_processed', bytes, 'bytes');
  ctx.metric('duration_ms', Date.now() - started, 'ms');
  ctx.metric('errors', retriesUsed, 'count');
  return { rowsIn: rows, rowsWritten: written, bytesWritten: bytes, outputs: [`${settings.label} ${shown}`] };
}

function restFailure(
  ctx: StepContext,
  settings: RestSettings,
  shown: string,
  mode: string,
  error: unknown,
  written: number,
  batchNo: number,
): StepError {
  if (ctx.signal.aborted)
    return new StepError('runtime.cancelled', `step '${ctx.stepId}' was cancelled after ${written} rows`);
  const already =
    written > 0
      ? `; ${written} rows from earlier requests were already written (each REST request is its own transaction${mode === 'upsert' ? '; rerunning the upsert is safe' : ''})`
      : '; nothing was written';
  const details = { connection: settings.label, table: shown, batch: batchNo, rows_written: written };
  if (!(error instanceof RestError))
    return new StepError(
      'write.failed',
      `step '${ctx.stepId}': writing ${shown} through ${settings.label} failed: ${error instanceof Error ? error.message : String(error)}${already}`,
      undefined,
      { details },
    );
  const tried = error.attempts > 1 ? ` after ${error.attempts} attempts` : '';
  const base = `step '${ctx.stepId}': writing ${shown} through the REST API of ${settings.label} failed${tried}: ${error.message}${already}`;
  switch (error.kind) {
    case 'auth_failed':
      return new StepError(
        'connection.auth_failed',
        base,
        `check key / service_role_key of ${settings.label}; writes need the service_role key or a role allowed by row-level security`,
        { details },
      );
    case 'missing_table':
      return new StepError(
        'write.schema_mismatch',
        base,
        `create the table first (the REST API cannot create tables), or add pg_dsn to ${settings.label} so create_if_missing can create it`,
        { details },
      );
    case 'missing_column':
      return new StepError(
        'write.schema_mismatch',
        base,
        'the input has a column the table lacks; rename or drop it upstream',
        { details },
      );
    case 'conflict':
      return new StepError(
        'validation.constraint_violation',
        base,
        mode === 'append' ? "use write_mode 'upsert' with primary_key" : 'deduplicate the input upstream',
        { details },
      );
    case 'bad_value':
      return new StepError(
        'write.schema_mismatch',
        base,
        'make the input values fit the target column types',
        { details },
      );
    case 'too_large':
      return new StepError('write.failed', base, 'lower batch_size', { details });
    case 'unreachable':
      return new StepError('connection.failed', base, `check url of ${settings.label} and the network`, {
        details,
      });
    case 'timeout':
      return new StepError('connection.timeout', base, 'raise timeout or lower batch_size', { details });
    default:
      return new StepError('write.failed', base, undefined, { details });
  }
}
