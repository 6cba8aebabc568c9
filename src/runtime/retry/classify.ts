/**
 * The error taxonomy (docs/adr/0026): is a failure worth another attempt? `transient` — the same work may
 * succeed in a moment (a dropped connection, a deadlock, a full server); `terminal` — it fails the same way
 * every time (syntax, permissions, constraints, bad values, a missing table). Database families give their
 * code tables (SQLSTATEs, errnos) beside their connectors; this module walks an error and its causes and asks
 * them, then Node's socket codes. Anything no table knows is terminal: an unknown error is never retried.
 */
import { StepError } from '../driver.js';

export type Transience = 'transient' | 'terminal';

export interface ErrorClass {
  transience: Transience;
  /** Why, in a word or two: `deadlock`, `connection_lost`, `permission_denied`, … */
  reason: string;
  /** The code that decided: SQLSTATE `40P01`, errno `1213`, `ECONNRESET`, a step error code. */
  code?: string;
}

/** A family's table: its verdict on one error object (not its causes), or undefined when it does not know it. */
export type ErrorTable = (error: object) => ErrorClass | undefined;

export const transient = (reason: string, code?: string): ErrorClass => ({
  transience: 'transient',
  reason,
  ...(code !== undefined ? { code } : {}),
});
export const terminal = (reason: string, code?: string): ErrorClass => ({
  transience: 'terminal',
  reason,
  ...(code !== undefined ? { code } : {}),
});

/** Node socket and DNS error codes (`error.code` of a net/tls/dns error), for every family. */
const SOCKET_CODES: Readonly<Record<string, ErrorClass>> = {
  ECONNRESET: transient('connection_reset', 'ECONNRESET'),
  ECONNREFUSED: transient('connection_refused', 'ECONNREFUSED'),
  ECONNABORTED: transient('connection_aborted', 'ECONNABORTED'),
  EPIPE: transient('connection_lost', 'EPIPE'),
  ETIMEDOUT: transient('timeout', 'ETIMEDOUT'),
  EHOSTUNREACH: transient('host_unreachable', 'EHOSTUNREACH'),
  ENETUNREACH: transient('network_unreachable', 'ENETUNREACH'),
  ENETDOWN: transient('network_down', 'ENETDOWN'),
  EHOSTDOWN: transient('host_down', 'EHOSTDOWN'),
  EAI_AGAIN: transient('dns_temporary_failure', 'EAI_AGAIN'),
  // A name that does not resolve is a typo far more often than an outage.
  ENOTFOUND: terminal('unknown_host', 'ENOTFOUND'),
  EAI_NONAME: terminal('unknown_host', 'EAI_NONAME'),
  EACCES: terminal('permission_denied', 'EACCES'),
  ENOENT: terminal('not_found', 'ENOENT'),
};

export const socketTable: ErrorTable = (error) => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? SOCKET_CODES[code] : undefined;
};

/** Step error codes whose verdict does not depend on their cause. */
const STEP_CODES: Readonly<Record<string, ErrorClass>> = {
  'runtime.cancelled': terminal('cancelled', 'runtime.cancelled'),
  'config.invalid': terminal('config', 'config.invalid'),
  'connection.invalid_config': terminal('config', 'connection.invalid_config'),
  'connection.auth_failed': terminal('auth_failed', 'connection.auth_failed'),
  'write.lock_timeout': terminal('lock_timeout', 'write.lock_timeout'),
  'write.empty_input': terminal('empty_input', 'write.empty_input'),
};

/** The errors an error stands for: itself, then its causes (and an AggregateError's errors), outermost first. */
function* chain(error: unknown): Generator<object> {
  const seen = new Set<object>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 16) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    yield e;
    if (e instanceof AggregateError) queue.push(...e.errors);
    queue.push((e as { cause?: unknown }).cause);
  }
}

/**
 * The verdict on a failure: a step error code that decides alone, else the first error in the cause chain that
 * a family table (in order) or the socket table knows; else terminal `unclassified`.
 */
export function classifyError(error: unknown, tables: readonly ErrorTable[] = []): ErrorClass {
  if (error instanceof StepError) {
    const fixed = STEP_CODES[error.code];
    if (fixed) return fixed;
  }
  for (const e of chain(error)) {
    if (e instanceof StepError) continue;
    for (const table of [...tables, socketTable]) {
      const verdict = table(e);
      if (verdict) return verdict;
    }
  }
  return terminal('unclassified');
}
