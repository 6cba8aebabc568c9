/**
 * `connections doctor` for Postgres (and Supabase over the Postgres protocol): connect, `SHOW
 * server_version`, check that the connection's `schema` exists (a warning when not), report status, latency
 * and version. A Supabase connection with only `url` + key is checked over its REST API instead. Messages
 * never contain the password or the connection string.
 */
import type { DoctorResult, DoctorStatus } from '../../discovery/types.js';
import type { ResolvedConnection } from '../../runtime/driver.js';
import {
  classifyPgError,
  connectionFields,
  connectPg,
  describeConnectionFailure,
  hasPgFields,
  type PgErrorKind,
  type PgSession,
  type PgTarget,
  pgIdent,
  pgTarget,
  where,
} from './client.js';

const STATUS: Partial<Record<PgErrorKind, DoctorStatus>> = {
  auth_failed: 'auth_failed',
  unreachable: 'unreachable',
  ssl: 'unreachable',
  database_missing: 'database_missing',
  timeout: 'timeout',
};

async function schemaExists(client: PgSession['client'], schema: string): Promise<boolean> {
  const r = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
  return r.rowCount === 1;
}

export async function doctorPostgres(
  connection: ResolvedConnection,
  timeoutMs: number,
): Promise<DoctorResult> {
  if (connection.family === 'supabase' && !hasPgFields(connectionFields(connection))) {
    const { doctorSupabaseRest } = await import('../supabase/doctor.js');
    return doctorSupabaseRest(connection, timeoutMs);
  }
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target: PgTarget;
  try {
    target = pgTarget(connection, {}, connection.family);
  } catch (error) {
    return { status: 'error', latencyMs: 0, message: classifyPgError(error).message };
  }
  const limit = Math.max(100, Math.floor(timeoutMs));
  let session: PgSession | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limit);
    timer.unref();
  });
  const attempt = (async () => {
    session = await connectPg(target, { timeoutMs: limit, applicationName: 'doctor' });
    const r = await session.client.query<{ server_version: string }>('SHOW server_version');
    const schemaFound = target.schema === undefined || (await schemaExists(session.client, target.schema));
    return { version: String(r.rows[0]?.server_version ?? ''), schemaFound };
  })();
  attempt.catch(() => undefined);
  try {
    const outcome = await Promise.race([attempt, deadline]);
    if (outcome === 'timeout')
      return {
        status: 'timeout',
        latencyMs: elapsed(),
        message: `${target.label}: no answer from ${where(target)} within ${limit} ms`,
      };
    const connected = `${target.label}: connected to ${where(target)} as '${target.user}' (PostgreSQL ${outcome.version})`;
    // Writers would fail (write.schema_missing) and extractors find no tables: say so before a run does.
    if (!outcome.schemaFound)
      return {
        status: 'schema_missing',
        latencyMs: elapsed(),
        message: `${connected}, but schema '${target.schema}' does not exist — create it (CREATE SCHEMA ${pgIdent(target.schema ?? '')}) or fix 'schema' of ${target.label}`,
        serverVersion: outcome.version,
      };
    return { status: 'ok', latencyMs: elapsed(), message: connected, serverVersion: outcome.version };
  } catch (error) {
    const info = classifyPgError(error);
    return {
      status: STATUS[info.kind] ?? 'error',
      latencyMs: elapsed(),
      message: describeConnectionFailure(target, info),
    };
  } finally {
    if (timer) clearTimeout(timer);
    const s = session as PgSession | undefined;
    if (s) await s.close();
    else
      void attempt.then(
        () => (session as PgSession | undefined)?.close(),
        () => undefined,
      );
  }
}
