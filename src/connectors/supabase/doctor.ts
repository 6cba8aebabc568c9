/**
 * `connections doctor` for a Supabase connection that only has the REST API (url + key): GET of
 * `<url>/rest/v1/` with the key. 2xx → ok, 401/403 → auth_failed, no answer → unreachable/timeout.
 */
import type { DoctorResult } from '../../discovery/types.js';
import type { ResolvedConnection } from '../../runtime/driver.js';
import { PostgrestClient, RestError, restSettings } from './rest.js';

export async function doctorSupabaseRest(
  connection: ResolvedConnection,
  timeoutMs: number,
): Promise<DoctorResult> {
  const label = `@${connection.family}.${connection.alias}`;
  const settings = restSettings(connection.fields, label, undefined);
  if (!settings)
    return {
      status: 'error',
      latencyMs: 0,
      message: `${label} has neither database credentials (pg_dsn or host/…) nor a REST url with key/service_role_key`,
    };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const client = new PostgrestClient(settings, {
    retries: 0,
    timeoutMs: Math.max(100, Math.floor(timeoutMs)),
  });
  try {
    const status = await client.probe();
    return {
      status: 'ok',
      latencyMs: elapsed(),
      message: `${label}: REST API at ${settings.url} answered HTTP ${status}`,
    };
  } catch (error) {
    if (!(error instanceof RestError))
      return { status: 'error', latencyMs: elapsed(), message: `${label}: ${String(error)}` };
    const status =
      error.kind === 'auth_failed'
        ? 'auth_failed'
        : error.kind === 'timeout'
          ? 'timeout'
          : error.kind === 'unreachable'
            ? 'unreachable'
            : 'error';
    return { status, latencyMs: elapsed(), message: `${label}: ${error.message}` };
  }
}
