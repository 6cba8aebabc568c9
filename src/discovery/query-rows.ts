/**
 * What the connectors' `queryRows` share (the library call is `runReadOnlyQuery` in query.ts): the read-only
 * check and statement shape, the `LIMIT` wrapper, unique column names, the timeout and the two error types
 * the library maps to its own codes. Kept free of drivers so every connector can import it cheaply.
 */
import { guardSql, lineColOf, type SqlRefusal, type SqlShape } from '../connectors/sql-guard.js';

/** Statement timeout when none is given (osiris.yaml `discovery.statement_timeout` sets the project's own). */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
/** Extra time the client waits after the server's own timeout before it gives up on the connection. */
export const CLIENT_TIMEOUT_GRACE_MS = 2_000;

/** The SQL guard refused the SQL; `check` holds what it refused and where. */
export class ReadOnlySqlError extends Error {
  constructor(readonly check: SqlRefusal) {
    super(check.message);
    this.name = 'ReadOnlySqlError';
  }
}

/** The statement ran longer than `timeoutMs` and was cancelled. */
export class QueryTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    /** What cancelled it: the server's statement timeout or the client giving up. */
    readonly by: 'server' | 'client',
    detail?: string,
  ) {
    super(
      `the query ran longer than the ${timeoutMs} ms timeout and was cancelled${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'QueryTimeoutError';
  }
}

/** The timeout to use: `options.timeoutMs` when it is a positive number, else the default. */
export function queryTimeoutMs(options: { timeoutMs?: number | undefined }): number {
  const ms = options.timeoutMs;
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_QUERY_TIMEOUT_MS;
}

/** Leading keywords whose statements can be wrapped in `SELECT * FROM (…) LIMIT n`. */
export const WRAPPABLE = new Set(['SELECT', 'WITH']);

/**
 * Checks `sql` with the SQL guard under the engine's rules and returns its shape. Throws `ReadOnlySqlError`
 * when the guard refuses it.
 */
export async function readOnlyStatement(sql: string, dialect: 'mysql' | 'postgres'): Promise<SqlShape> {
  const check = await guardSql(sql, { dialect });
  if (!check.ok) throw new ReadOnlySqlError(check);
  return check.shape;
}

/** What goes before the user's SQL in `wrapWithLimit` (kept on its first line, so line numbers match). */
export const WRAP_PREFIX = 'SELECT * FROM (';

/**
 * `SELECT * FROM (<body>\n) AS osiris_q LIMIT n`. The newline ends a trailing `--` comment of the body; the
 * body starts on the first line, so the server's line numbers are those of the user's SQL.
 */
export function wrapWithLimit(body: string, rows: number): string {
  return `${WRAP_PREFIX}${body}\n) AS osiris_q LIMIT ${Math.max(0, Math.floor(rows))}`;
}

/** Rows to fetch for `limit`: one more, to tell whether there were more. */
export function rowsToFetch(limit: number): number {
  return Math.max(0, Math.floor(limit)) + 1;
}

/** Names made unique in order: a repeated name gets `_2`, `_3`, … (an empty one becomes `column`). */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((raw) => {
    const wanted = raw === '' ? 'column' : raw;
    let name = wanted;
    for (let n = 2; taken.has(name); n += 1) name = `${wanted}_${n}`;
    taken.add(name);
    return name;
  });
}

/** 1-based line and column (in characters) of a 0-based offset into `text`. */
export const lineCol = lineColOf;

/**
 * Waits for `work`, but at most `ms`: then calls `giveUp` (which should close the connection so the server
 * stops) and rejects with a client-side `QueryTimeoutError` for `timeoutMs`.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  timeoutMs: number,
  giveUp: () => Promise<void>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      giveUp()
        .catch(() => undefined)
        .finally(() => reject(new QueryTimeoutError(timeoutMs, 'client')));
    }, ms);
  });
  deadline.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    // Closing the connection also fails the work itself; that is the timeout, not a lost connection.
    if (expired) throw new QueryTimeoutError(timeoutMs, 'client');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
