/**
 * The extractor side of the SQL guard and the statement timeout: what mysql.extractor, postgres.extractor
 * and supabase.extractor do with a step's `query` / `where` before connecting, and the step's optional
 * `statement_timeout` (seconds; off by default, since a long copy is legitimate).
 */
import { StepError, type StreamContext } from '../runtime/driver.js';
import { StepConfig } from '../runtime/step-config.js';
import { ACCEPTED_STATEMENTS, guardSql, type SqlDialect, type SqlShape } from './sql-guard.js';

/** Runs the SQL guard on a step's `query` or `where`; throws `extract.not_read_only` naming the key and position. */
export async function guardStepSql(
  ctx: StreamContext,
  key: 'query' | 'where',
  sql: string,
  dialect: SqlDialect,
): Promise<SqlShape> {
  const check = await guardSql(sql, { dialect, part: key });
  if (check.ok) return check.shape;
  throw new StepError(
    'extract.not_read_only',
    `step '${ctx.stepId}': config '${key}' refused by the SQL guard: ${check.message}`,
    key === 'where'
      ? "write only a condition in 'where' (no other statements, no side-effecting functions)"
      : `extractors only read: ${ACCEPTED_STATEMENTS}, without INTO, row locks or side-effecting functions (docs/reference/security.md)`,
    { details: { key, keyword: check.keyword, line: check.line, column: check.col } },
  );
}

/** The step's `statement_timeout` in milliseconds, or undefined when it has none. */
export function stepStatementTimeoutMs(ctx: StreamContext): number | undefined {
  const cfg = StepConfig.of(ctx);
  const seconds = cfg.integer('statement_timeout', 1);
  return seconds === undefined ? undefined : seconds * 1000;
}

/** The `extract.timeout` error for a statement the server cancelled at the step's `statement_timeout`. */
export function statementTimedOut(ctx: StreamContext, timeoutMs: number, detail: string): StepError {
  return new StepError(
    'extract.timeout',
    `step '${ctx.stepId}': the query ran longer than statement_timeout (${timeoutMs / 1000} s) and was cancelled by the server: ${detail}`,
    "raise or remove the step's statement_timeout, or make the query cheaper (a WHERE on an indexed column, fewer joins)",
    { details: { statement_timeout_s: timeoutMs / 1000 } },
  );
}
