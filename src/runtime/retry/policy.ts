/**
 * A step's retry policy: the OML step key `retry` (docs/reference/retries.md), checked by the validator and
 * read again by the runner from the manifest.
 *
 * ```yaml
 * retry: false                       # one attempt
 * retry: { attempts: 5, backoff: 2s }
 * retry: { attempts: 4, backoff: { initial: 500ms, max: 1m } }
 * ```
 *
 * Delays grow exponentially with "equal jitter": before retry n the runner waits a random time between half
 * and all of min(max, initial × 2^(n−1)), so steps that failed together do not all come back at once, and a
 * retry never comes back at once either.
 */
import type { JsonValue } from '../../yaml/json.js';

export interface RetryPolicy {
  /** Attempts in all, the first included; 1 means no retry. */
  attempts: number;
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = { attempts: 3, initialMs: 1000, maxMs: 30_000 };
export const MAX_ATTEMPTS = 10;
/** The longest single wait a policy may ask for. */
export const MAX_BACKOFF_MS = 10 * 60_000;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/;

/** `500ms`, `2s`, `1.5s`, `1m`, or a number of seconds; undefined when it is none of these. */
export function parseDurationMs(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000);
}

export interface RetryProblem {
  /** Path below the step's `retry` key. */
  path: (string | number)[];
  message: string;
}

const isObject = (v: JsonValue | undefined): v is { [key: string]: JsonValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a `retry` value; problems say what is wrong (the policy then keeps the defaults for those parts). */
export function readRetry(value: JsonValue | undefined): { policy: RetryPolicy; problems: RetryProblem[] } {
  const policy: RetryPolicy = { ...DEFAULT_RETRY };
  const problems: RetryProblem[] = [];
  if (value === undefined || value === null || value === true) return { policy, problems };
  if (value === false) return { policy: { ...policy, attempts: 1 }, problems };
  if (!isObject(value)) {
    problems.push({ path: [], message: 'retry must be false, true or a mapping {attempts, backoff}' });
    return { policy, problems };
  }
  for (const key of Object.keys(value).sort())
    if (key !== 'attempts' && key !== 'backoff')
      problems.push({ path: [key], message: `unknown retry key '${key}' (known: attempts, backoff)` });
  const attempts = value.attempts;
  if (attempts !== undefined) {
    if (
      typeof attempts === 'number' &&
      Number.isInteger(attempts) &&
      attempts >= 1 &&
      attempts <= MAX_ATTEMPTS
    )
      policy.attempts = attempts;
    else
      problems.push({
        path: ['attempts'],
        message: `retry.attempts must be a whole number from 1 to ${MAX_ATTEMPTS} (attempts in all, the first included)`,
      });
  }
  const backoff = value.backoff;
  const duration = (v: JsonValue | undefined, path: (string | number)[], set: (ms: number) => void) => {
    if (v === undefined) return;
    const ms = parseDurationMs(v);
    if (ms === undefined || ms > MAX_BACKOFF_MS)
      problems.push({
        path,
        message: `retry.${path.join('.')} must be a duration like 500ms, 2s or 1m (at most 10m)`,
      });
    else set(ms);
  };
  if (isObject(backoff)) {
    for (const key of Object.keys(backoff).sort())
      if (key !== 'initial' && key !== 'max')
        problems.push({
          path: ['backoff', key],
          message: `unknown retry.backoff key '${key}' (known: initial, max)`,
        });
    duration(backoff.initial, ['backoff', 'initial'], (ms) => {
      policy.initialMs = ms;
    });
    duration(backoff.max, ['backoff', 'max'], (ms) => {
      policy.maxMs = ms;
    });
  } else
    duration(backoff, ['backoff'], (ms) => {
      policy.initialMs = ms;
    });
  if (policy.maxMs < policy.initialMs) policy.maxMs = policy.initialMs;
  return { policy, problems };
}

/**
 * The wait before retry `retry` (1 for the first retry), `random` in [0, 1): between half and all of
 * min(max, initial × 2^(retry−1)).
 */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
