/**
 * One read-only query on a connection, with a row limit — what the chat agent calls to look at data
 * ("sample rows / run a read-only query").
 *
 * The connection is resolved like `discover()` does. Defence in depth: the SQL must pass the SQL guard
 * (src/connectors/sql-guard.ts) under the engine's parser (checked here before connecting, and again by the connector), and the
 * connector runs it in a read-only transaction that is rolled back, under a statement timeout, fetching at
 * most `limit + 1` rows (src/connectors/<family>/discovery.ts, `queryRows`). Values of columns named like
 * secrets are masked and every row goes through the connection's redactor, exactly like discovery samples.
 */

import { ACCEPTED_STATEMENTS } from '../connectors/sql-guard.js';
import { ExitCode, OsirisError } from '../diagnostics/diagnostic.js';
import type { SampleRow } from './cache.js';
import {
  type ConnectionTargetOptions,
  errorText,
  maskSampleRows,
  resolveConnectionTarget,
} from './discover.js';
import { DEFAULT_QUERY_TIMEOUT_MS, QueryTimeoutError, ReadOnlySqlError } from './query-rows.js';
import type { DiscoveryAdapter, QueryColumn, QueryRowsResult } from './types.js';

/** Rows returned when `limit` is not given. */
export const DEFAULT_QUERY_LIMIT = 20;
/** Upper bound of `limit`. */
export const MAX_QUERY_LIMIT = 200;
/** Upper bound of `timeoutMs` (10 minutes). */
export const MAX_QUERY_TIMEOUT_MS = 600_000;

export interface ReadOnlyQueryOptions extends ConnectionTargetOptions {
  /** One SELECT, WITH … SELECT, SHOW, DESCRIBE or EXPLAIN statement (a trailing semicolon is fine). */
  sql: string;
  /** Rows returned at most, 1 – 200 (default 20). */
  limit?: number;
  /** Statement timeout in milliseconds, 1 – 600 000 (default: osiris.yaml `discovery.statement_timeout`, else 30 000). */
  timeoutMs?: number;
}

export interface ReadOnlyQueryResult {
  /** `@family.alias` */
  connection: string;
  /** Result columns in order; `name` is the key in each row (a repeated name gets `_2`, `_3`, …). */
  columns: QueryColumn[];
  /** At most `limit` rows, masked and redacted; big integers and decimals as exact strings. */
  rows: SampleRow[];
  /** More than `limit` rows existed. */
  truncated: boolean;
  limit: number;
  /** Columns whose values are masked because their names look like secrets, in column order. */
  maskedColumns: string[];
  durationMs: number;
}

function checkOptions(options: ReadOnlyQueryOptions): { limit: number; timeoutMs: number } {
  const defaultTimeoutMs = options.project.discovery?.statementTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const limit = options.limit ?? DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw OsirisError.of(
      'DSC006',
      `limit must be a whole number from 1 to ${MAX_QUERY_LIMIT}, got ${String(options.limit)}`,
      {},
      { hint: `e.g. limit: ${DEFAULT_QUERY_LIMIT}; aggregate in SQL (COUNT, GROUP BY) to look at more data` },
    );
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_QUERY_TIMEOUT_MS) {
    throw OsirisError.of(
      'DSC006',
      `timeoutMs must be a whole number of milliseconds from 1 to ${MAX_QUERY_TIMEOUT_MS}, got ${String(options.timeoutMs)}`,
      {},
      { hint: `the default is osiris.yaml discovery.statement_timeout (${defaultTimeoutMs} ms)` },
    );
  }
  return { limit, timeoutMs };
}

/** DSC007 for SQL the guard refuses, with what it refused and its position. */
function notReadOnly(label: string, error: ReadOnlySqlError): OsirisError {
  return OsirisError.of(
    'DSC007',
    `query on ${label} refused by the SQL guard: ${error.check.message}`,
    {},
    {
      hint: `only ${ACCEPTED_STATEMENTS} runs, without INTO, row locks or side-effecting functions (docs/reference/security.md)`,
    },
  );
}

/**
 * Runs one read-only query on a connection and returns at most `limit` rows (see the module comment).
 * Throws `OsirisError`: exit 2 for a bad reference, unknown connection, family without a connector
 * (CON060), a bad `limit`/`timeoutMs` (DSC006) or SQL that is not read-only (DSC007); exit 1 when the server
 * cannot be reached (DSC010), the server rejects the query (DSC012, with the server's message) or the query
 * runs past the timeout (DSC013). Messages name the connection and never hold a secret.
 */
export async function runReadOnlyQuery(options: ReadOnlyQueryOptions): Promise<ReadOnlyQueryResult> {
  const started = Date.now();
  const { limit, timeoutMs } = checkOptions(options);
  const { connection, label, connector, redactor } = await resolveConnectionTarget(options);

  // Refuse before connecting; the connector checks again before it runs anything.
  const { guardSql, sqlDialectOfFamily } = await import('../connectors/sql-guard.js');
  const dialect = sqlDialectOfFamily(connection.family);
  if (dialect !== undefined) {
    const check = await guardSql(options.sql, { dialect });
    if (!check.ok) throw notReadOnly(label, new ReadOnlySqlError(check));
  }

  const runtime = (code: string, message: string, hint: string): OsirisError =>
    OsirisError.of(code, message, {}, { hint, exitCode: ExitCode.runtime });

  let adapter: DiscoveryAdapter;
  try {
    adapter = await connector.openDiscovery(connection, { statementTimeoutMs: timeoutMs });
  } catch (error) {
    const text = errorText(error, redactor);
    throw runtime(
      'DSC010',
      `query on ${label} failed (connect): ${text}`,
      `check ${label} in osiris_connections.yaml and that the server is up (\`osiris connections doctor ${label}\`)`,
    );
  }

  let raw: QueryRowsResult;
  try {
    raw = await adapter.queryRows(options.sql, limit, { timeoutMs });
  } catch (error) {
    if (error instanceof ReadOnlySqlError) throw notReadOnly(label, error);
    if (error instanceof QueryTimeoutError) {
      throw runtime(
        'DSC013',
        `query on ${label} ran longer than the ${timeoutMs} ms timeout and was cancelled`,
        'narrow it (a WHERE on an indexed column, fewer joins) or aggregate; a row limit does not make the server read fewer rows',
      );
    }
    const text = errorText(error, redactor);
    const duplicate = /ER_DUP_FIELDNAME|Duplicate column name/i.test(text);
    throw runtime(
      'DSC012',
      `query on ${label} failed: ${text}`,
      duplicate
        ? 'give the columns that share a name distinct aliases (e.g. a.id AS a_id, b.id AS b_id)'
        : `fix the SQL; \`osiris discovery run ${label} --tables <table>\` lists the tables and their columns`,
    );
  } finally {
    await adapter.close().catch(() => undefined);
  }

  const names = raw.columns.map((c) => c.name);
  const masked = maskSampleRows(raw.rows.slice(0, limit), names, redactor);
  return {
    connection: label,
    columns: raw.columns,
    rows: masked.rows,
    truncated: raw.truncated || raw.rows.length > limit,
    limit,
    maskedColumns: masked.maskedColumns,
    durationMs: Date.now() - started,
  };
}
