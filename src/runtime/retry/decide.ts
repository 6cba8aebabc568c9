/**
 * Whether a failed attempt of a step runs again (docs/adr/0026): only reads and writes; only a transient
 * error; a write only when its whole load was rolled back (StepError.rolledBack); never once the run is
 * cancelled; and only while the policy has attempts left.
 */
import type { JsonValue } from '../../yaml/json.js';
import { StepError } from '../driver.js';
import { classifyError, type ErrorClass, type ErrorTable } from './classify.js';
import { backoffMs, type RetryPolicy } from './policy.js';

export interface RetryInput {
  mode: 'read' | 'write' | 'transform';
  error: unknown;
  /** The attempt that failed, 1-based. */
  attempt: number;
  policy: RetryPolicy;
  tables: readonly ErrorTable[];
  aborted: boolean;
  random?: () => number;
}

export interface RetryVerdict {
  retry: boolean;
  verdict: ErrorClass;
  /** Why it does not run again (when `retry` is false). */
  why?: string;
  /** The wait before the next attempt (when `retry` is true). */
  delayMs?: number;
}

export function decideRetry(input: RetryInput): RetryVerdict {
  const verdict = classifyError(input.error, input.tables);
  const no = (why: string): RetryVerdict => ({ retry: false, verdict, why });
  if (input.aborted) return no('the run was cancelled');
  if (input.mode === 'transform') return no('transform steps are not retried');
  if (verdict.transience === 'terminal') return no('the error is terminal');
  if (input.mode === 'write' && !(input.error instanceof StepError && input.error.rolledBack))
    return no('the write may have been committed (it did not report a whole rollback)');
  if (input.attempt >= input.policy.attempts)
    return no(input.policy.attempts === 1 ? 'retries are off for this step' : 'no attempts left');
  return { retry: true, verdict, delayMs: backoffMs(input.policy, input.attempt, input.random) };
}

/** The facts of a verdict for events: `transience`, `reason`, and the deciding `code` when there is one. */
export function verdictFields(verdict: ErrorClass): Record<string, JsonValue> {
  return {
    classification: verdict.transience,
    reason: verdict.reason,
    ...(verdict.code !== undefined ? { code: verdict.code } : {}),
  };
}

/** Waits `ms`, or less when `signal` aborts (then resolves false). */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
