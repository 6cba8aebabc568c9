/**
 * What a transactional writer tells the runner about a failure: whether it came before the commit point (the
 * COMMIT, or the RENAME that swaps a staging table in). Before it the server rolls the whole load back, so the
 * step may run again; once the commit point is sent its outcome may be unknown, so it never is.
 */
import { StepError } from '../driver.js';

export class CommitPoint {
  private sent = false;

  /** Call right before sending the statement that makes the load visible. */
  reached(): void {
    this.sent = true;
  }

  get passed(): boolean {
    return this.sent;
  }
}

/**
 * The writer's error, marked rolled back when the commit point was not reached. `raw` is the server's or the
 * socket's error, kept as the cause when the step error has none, so the taxonomy can classify it.
 */
export function withRollback(error: unknown, point: CommitPoint, raw?: unknown): unknown {
  if (!(error instanceof StepError)) return error;
  if (error.cause === undefined && raw !== undefined && raw !== error) error.cause = raw;
  if (point.passed || error.rolledBack) return error;
  const marked = new StepError(error.code, error.message, error.hint, {
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
    ...(error.details ? { details: error.details } : {}),
    rolledBack: true,
  });
  marked.stack = error.stack;
  return marked;
}
