/**
 * A failed language-model call as one line a person can act on: which provider, which URL (credentials and
 * query stripped), what went wrong (connection refused, host not found, HTTP status and the provider's own
 * short message) and what to check. Never the SDK's error dump: no request body, headers or stack.
 */
import { APICallError, RetryError } from 'ai';
import { ExitCode, OsirisError, type SourceLocation } from '../diagnostics/diagnostic.js';
import type { Redactor } from '../observability/redact.js';

/** What the agent knows about the model it called, for the error line. */
export interface ModelErrorContext {
  provider: string;
  model: string;
  /** Where the base URL (or, without one, the provider) was configured. */
  location: SourceLocation;
  /** How to name that setting in a hint, e.g. `llm.base_url in osiris.yaml` or `--base-url`. */
  setting: string;
  /** The environment variable the key came from, for a 401/403 hint. */
  keyVariable: string | undefined;
}

/**
 * The server could not be reached at all. Thrown by `failFastFetch` instead of fetch's own TypeError, so
 * the AI SDK does not retry (with seconds of backoff) a connection that was refused outright.
 */
export class ModelUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`${reason} at ${url}`);
    this.name = 'ModelUnreachableError';
  }
}

/** `scheme://host:port/path`: no userinfo, query or fragment (they can hold keys). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, '').replace(/\/\/[^@/]*@/, '//');
  }
}

/** The first `code` (ECONNREFUSED, ENOTFOUND, …) and the innermost message along an error's cause chain. */
function causeOf(error: unknown): { code: string | undefined; message: string } {
  let code: string | undefined;
  let message = error instanceof Error ? error.message : String(error);
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const c = (current as { code?: unknown }).code;
    if (code === undefined && typeof c === 'string') code = c;
    message = current.message;
    current = current.cause;
  }
  return { code, message };
}

/** Connection failures a retry will not fix, in words; undefined for anything else. */
export function unreachableReason(error: unknown, url: string): string | undefined {
  const { code, message } = causeOf(error);
  const port = (() => {
    try {
      const u = new URL(url);
      return u.port || (u.protocol === 'https:' ? '443' : '80');
    } catch {
      return '?';
    }
  })();
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (code?.startsWith('ERR_TLS') || code?.includes('CERT')) return `TLS failed (${code})`;
  // Node's fetch refuses the Fetch standard's blocked ports before connecting ("bad port").
  if (message === 'bad port') return `connection refused (fetch blocks port ${port})`;
  return undefined;
}

/**
 * `fetch` for the provider clients: a connection that cannot be made fails at once as a
 * ModelUnreachableError; timeouts and resets keep the SDK's retry.
 */
export const failFastFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (error) {
    const url = input instanceof Request ? input.url : String(input);
    const reason = unreachableReason(error, url);
    if (reason) throw new ModelUnreachableError(safeUrl(url), reason);
    throw error;
  }
};

/** The last underlying error of a retried call. */
function unwrap(error: unknown): unknown {
  return RetryError.isInstance(error) ? (error.lastError ?? error) : error;
}

/** Whether `error` is a model-call failure this module can describe. */
export function isModelCallError(error: unknown): boolean {
  const inner = unwrap(error);
  return (
    RetryError.isInstance(error) || APICallError.isInstance(inner) || inner instanceof ModelUnreachableError
  );
}

/** One line, at most `max` characters. */
function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function unreachableHint(reason: string, setting: string): string {
  if (reason.startsWith('connection refused')) return `start the server, or correct ${setting}`;
  if (reason === 'host not found') return `check the host name in ${setting}`;
  if (reason.startsWith('TLS')) return `check http:// vs https:// in ${setting} and the server's certificate`;
  return `check ${setting} and the network`;
}

function statusHint(status: number, context: ModelErrorContext): string {
  if (status === 401 || status === 403) {
    return context.keyVariable
      ? `the API key was refused: check ${context.keyVariable}`
      : 'the server wants an API key: set OSIRIS_LLM_API_KEY (or llm.api_key_env)';
  }
  if (status === 404) return `check the model name '${context.model}' and ${context.setting}`;
  if (status === 429) return 'rate limited or out of quota: wait and try again, or check the plan';
  if (status >= 500) return 'the provider failed; try again, and check the server log if it persists';
  return `check ${context.setting} and the model name '${context.model}'`;
}

/** A model-call failure as AGT060 (exit 1): one located line, redacted. */
export function modelCallError(error: unknown, context: ModelErrorContext, redactor: Redactor): OsirisError {
  const inner = unwrap(error);
  const who = `${context.provider} model '${context.model}'`;
  let message: string;
  let hint: string;
  if (inner instanceof ModelUnreachableError) {
    message = `${who} is unreachable: ${inner.reason} at ${inner.url}`;
    hint = unreachableHint(inner.reason, context.setting);
  } else if (APICallError.isInstance(inner)) {
    const url = safeUrl(inner.url);
    const status = inner.statusCode;
    const reason = status === undefined ? unreachableReason(inner, inner.url) : undefined;
    if (status !== undefined) {
      // The SDK's message is the provider's own error text when it sent one (never the request).
      message = `${who} at ${url} answered HTTP ${status}: ${oneLine(inner.message)}`;
      hint = statusHint(status, context);
    } else {
      message = `${who} is unreachable: ${reason ?? oneLine(causeOf(inner).message)} at ${url}`;
      hint = `check that the server is running and ${context.setting}`;
    }
  } else {
    message = `${who} failed: ${oneLine(causeOf(inner).message)}`;
    hint = `check ${context.setting} and that the server is reachable`;
  }
  return OsirisError.of('AGT060', redactor.redactText(message), context.location, {
    hint,
    exitCode: ExitCode.runtime,
  });
}
