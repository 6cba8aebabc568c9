/**
 * One GraphQL request over HTTP (POST, JSON body, per the GraphQL-over-HTTP spec) with a per-attempt
 * timeout and retries: 429, 5xx, timeouts and network errors are retried with exponential backoff from
 * `retry_delay`, or after the server's `Retry-After` when it sends one. GraphQL errors in a response are
 * not retried (the same query fails the same way); they fail the step with their messages and paths.
 */
import { StepError, stepCancelled } from '../../runtime/driver.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../yaml/json.js';
import type { GraphQLSettings } from './settings.js';

/** Longest backoff between attempts, and longest Retry-After honoured. */
const MAX_BACKOFF_MS = 60_000;
const MAX_RETRY_AFTER_MS = 300_000;

export interface RequestContext {
  stepId: string;
  /** 1-based page number, for messages. */
  page: number;
  signal: AbortSignal;
  emit(event: string, data?: Record<string, JsonValue>): void;
}

export interface GraphQLResponse {
  body: JsonObject;
  /** HTTP requests this page took (1 + retries). */
  requests: number;
}

/** Why an attempt failed, and whether it is worth another. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(stepCancelled(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(stepCancelled(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The start of a response body for a message (servers' error pages can be long). */
function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
}

function parseBody(text: string): JsonObject | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return isJsonObject(parsed as JsonValue) ? (parsed as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** `message (at line 2, column 5 of the query; path users.edges.0.node)` for each of the first errors. */
export function describeGraphQLErrors(errors: JsonValue[]): string {
  const shown = errors.slice(0, 3).map((e) => {
    if (!isJsonObject(e)) return JSON.stringify(e);
    const where: string[] = [];
    const loc = Array.isArray(e.locations) ? e.locations[0] : undefined;
    if (isJsonObject(loc)) where.push(`at line ${loc.line}, column ${loc.column} of the query`);
    if (Array.isArray(e.path)) where.push(`path ${e.path.join('.')}`);
    const message = typeof e.message === 'string' ? e.message : 'error without a message';
    return where.length ? `${message} (${where.join('; ')})` : message;
  });
  const more = errors.length > 3 ? ` | and ${errors.length - 3} more` : '';
  return `${shown.join(' | ')}${more}`;
}

async function attempt(settings: GraphQLSettings, body: string, signal: AbortSignal): Promise<JsonObject> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(settings.endpoint, {
      method: 'POST',
      headers: settings.headers,
      body,
      signal: AbortSignal.any([signal, timeout]),
    });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw stepCancelled(signal.reason);
    if (timeout.aborted)
      throw new AttemptFailure(`no response within ${settings.timeoutMs / 1000} s (timeout)`, true);
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
    throw new AttemptFailure(
      `request failed: ${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause})` : ''}`,
      true,
    );
  }
  const parsed = parseBody(text);
  const status = response.status;
  if (status === 429 || status >= 500) {
    const why = status === 429 ? 'rate limited' : 'server error';
    throw new AttemptFailure(
      `HTTP ${status} (${why}): ${snippet(text)}`,
      true,
      retryAfterMs(response.headers.get('retry-after')),
      status,
    );
  }
  // GraphQL-over-HTTP servers answer some request errors with 4xx and a GraphQL errors body.
  if (parsed && Array.isArray(parsed.errors) && parsed.errors.length > 0) return parsed;
  if (status < 200 || status >= 300)
    throw new AttemptFailure(`HTTP ${status}: ${snippet(text)}`, false, 0, status);
  if (!parsed) throw new AttemptFailure(`the response is not a JSON object: ${snippet(text)}`, false);
  return parsed;
}

function stepFailure(
  ctx: RequestContext,
  settings: GraphQLSettings,
  failure: AttemptFailure,
  tries: number,
): StepError {
  const status = failure.status;
  const hint =
    status === 401 || status === 403
      ? 'check auth_type and the token or password in the connection'
      : failure.retryable
        ? 'the server kept failing: raise max_retries, retry_delay or timeout, or try again later'
        : 'check the endpoint and the query';
  return new StepError(
    failure.retryable ? 'extract.http_retries_exhausted' : 'extract.http_error',
    `step '${ctx.stepId}': page ${ctx.page} from ${settings.shownEndpoint} failed${tries > 1 ? ` after ${tries} attempts` : ''}: ${failure.message}`,
    hint,
    {
      details: { page: ctx.page, attempts: tries, ...(status !== undefined ? { http_status: status } : {}) },
    },
  );
}

/** POSTs the query with `variables`; retries transient failures; fails on GraphQL errors. */
export async function postGraphQL(
  ctx: RequestContext,
  settings: GraphQLSettings,
  variables: JsonObject,
): Promise<GraphQLResponse> {
  const body = JSON.stringify({ query: settings.query, variables });
  for (let tries = 1; ; tries += 1) {
    try {
      const parsed = await attempt(settings, body, ctx.signal);
      if (Array.isArray(parsed.errors) && parsed.errors.length > 0)
        throw new StepError(
          'extract.graphql_error',
          `step '${ctx.stepId}': the GraphQL server answered page ${ctx.page} with ${parsed.errors.length} error${parsed.errors.length > 1 ? 's' : ''}: ${describeGraphQLErrors(parsed.errors)}`,
          'fix the query (or its variables) against the server schema; the errors name the query location and the result path',
          { details: { page: ctx.page } },
        );
      return { body: parsed, requests: tries };
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      if (!error.retryable || tries > settings.maxRetries) throw stepFailure(ctx, settings, error, tries);
      const backoff = Math.min(settings.retryDelayMs * 2 ** (tries - 1), MAX_BACKOFF_MS);
      const waitMs = Math.min(error.retryAfterMs ?? backoff, MAX_RETRY_AFTER_MS);
      ctx.emit('http_retry', {
        level: 'warning',
        page: ctx.page,
        attempt: tries,
        ...(error.status !== undefined ? { http_status: error.status } : {}),
        wait_ms: waitMs,
        retry_after: error.retryAfterMs !== undefined,
        message: error.message,
      });
      await sleep(waitMs, ctx.signal);
    }
  }
}
