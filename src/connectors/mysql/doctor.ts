/**
 * `connections doctor` for MySQL/MariaDB: connect (TLS as configured), `SELECT VERSION()`, report the status
 * class, latency and server version. Messages never contain the password.
 */
import type { DoctorResult, DoctorStatus } from '../../discovery/types.js';
import type { ResolvedConnection } from '../../runtime/driver.js';
import {
  classifyMysqlError,
  describeEndpoint,
  MysqlClient,
  type MysqlFailureKind,
  type MysqlSettings,
  mysqlSettings,
  mysqlStepError,
  scrub,
} from './client.js';

const STATUS: Partial<Record<MysqlFailureKind, DoctorStatus>> = {
  auth_failed: 'auth_failed',
  unknown_host: 'unreachable',
  unreachable: 'unreachable',
  timeout: 'timeout',
  database_missing: 'database_missing',
};

export async function doctorMysql(connection: ResolvedConnection, timeoutMs: number): Promise<DoctorResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let settings: MysqlSettings;
  try {
    settings = mysqlSettings(connection);
  } catch (error) {
    return { status: 'error', latencyMs: 0, message: error instanceof Error ? error.message : String(error) };
  }
  const connectSettings = { ...settings, connectTimeoutMs: Math.max(100, Math.floor(timeoutMs)) };
  let client: MysqlClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(100, timeoutMs));
    timer.unref();
  });
  try {
    const attempt = (async () => {
      client = await MysqlClient.connect(connectSettings);
      const rows = await client.rows('SELECT VERSION() AS v');
      return String(rows[0]?.v ?? client.serverVersion);
    })();
    attempt.catch(() => undefined);
    const outcome = await Promise.race([attempt, deadline]);
    if (outcome === 'timeout') {
      client?.destroy();
      return {
        status: 'timeout',
        latencyMs: elapsed(),
        message: `${settings.ref}: no answer from ${describeEndpoint(settings)} within ${timeoutMs} ms`,
      };
    }
    return {
      status: 'ok',
      latencyMs: elapsed(),
      message: `connected to ${describeEndpoint(settings)} as '${settings.user}'`,
      serverVersion: outcome,
    };
  } catch (error) {
    const kind = classifyMysqlError(error);
    const mapped = mysqlStepError(error, { settings, phase: 'discover' });
    return {
      status: STATUS[kind] ?? 'error',
      latencyMs: elapsed(),
      message: scrub(mapped.message, settings),
    };
  } finally {
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => undefined);
  }
}
