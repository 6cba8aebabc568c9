/**
 * `connections doctor` for a `@graphql` connection: POSTs `{ __typename }` (every GraphQL server answers it)
 * with the connection's headers and auth, once, within the doctor's timeout. A `data` answer → ok,
 * 401/403 → auth_failed, no answer → unreachable/timeout, anything else → error with what came back.
 */
import type { DoctorResult } from '../../discovery/types.js';
import type { ResolvedConnection } from '../../runtime/driver.js';
import { StepError } from '../../runtime/driver.js';
import { isJsonObject, type JsonValue } from '../../yaml/json.js';
import { describeGraphQLErrors } from './http.js';
import { readSettings } from './settings.js';

export async function doctorGraphQL(
  connection: ResolvedConnection,
  timeoutMs: number,
): Promise<DoctorResult> {
  const label = `@${connection.family}.${connection.alias}`;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings({ stepId: 'doctor', config: { query: '{ __typename }' }, connection });
  } catch (error) {
    const text =
      error instanceof StepError ? error.message.replace(/^step 'doctor': config/, 'field') : String(error);
    return { status: 'error', latencyMs: 0, message: `${label}: ${text}` };
  }
  const timeout = AbortSignal.timeout(Math.max(100, Math.floor(timeoutMs)));
  let response: Response;
  let body: JsonValue = null;
  try {
    response = await fetch(settings.endpoint, {
      method: 'POST',
      headers: settings.headers,
      body: JSON.stringify({ query: settings.query }),
      signal: timeout,
    });
    body = (await response.json().catch(() => null)) as JsonValue;
  } catch (error) {
    if (timeout.aborted) return { status: 'timeout', latencyMs: elapsed(), message: `${label}: no answer` };
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return {
      status: 'unreachable',
      latencyMs: elapsed(),
      message: `${label}: ${settings.shownEndpoint}: ${cause}`,
    };
  }
  const at = `${label}: ${settings.shownEndpoint}`;
  if (response.status === 401 || response.status === 403)
    return {
      status: 'auth_failed',
      latencyMs: elapsed(),
      message: `${at} refused the credentials (HTTP ${response.status})`,
    };
  if (isJsonObject(body) && Array.isArray(body.errors) && body.errors.length > 0)
    return { status: 'error', latencyMs: elapsed(), message: `${at}: ${describeGraphQLErrors(body.errors)}` };
  if (response.ok && isJsonObject(body) && isJsonObject(body.data ?? null))
    return { status: 'ok', latencyMs: elapsed(), message: `${at} answered a GraphQL query` };
  return {
    status: 'error',
    latencyMs: elapsed(),
    message: `${at} answered HTTP ${response.status} without GraphQL data: is it a GraphQL endpoint?`,
  };
}
