/**
 * `osiris connections doctor`: connects to each configured connection (or the one named) with its family's
 * connector and reports ok / auth_failed / unreachable / database_missing / timeout / error, with latency and
 * server version. Families without a connector (filesystem, duckdb, …) are `skipped`. A connection whose
 * `${VAR}` references cannot be resolved is an `error` without any connection attempt.
 *
 * Every message goes through a redactor that knows the connection's secret values, so a password never
 * reaches the output even when a driver echoes it.
 */
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { DoctorStatus, FamilyConnector } from '../discovery/types.js';
import type { Registry } from '../registry/registry.js';
import type { ResolvedConnection } from '../runtime/driver.js';
import type { ConnectionEntry, ConnectionsConfig } from './config.js';

/** Default time allowed for one connection test. */
export const DEFAULT_DOCTOR_TIMEOUT_MS = 5000;
/** How many connections are tested at the same time. */
const CONCURRENCY = 4;
/** Grace on top of the timeout before the doctor gives up on a connector that ignores it. */
const GRACE_MS = 1000;

export type DoctorEntryStatus = DoctorStatus | 'skipped';

export interface DoctorEntry {
  /** `@family.alias` */
  connection: string;
  family: string;
  alias: string;
  status: DoctorEntryStatus;
  /** Wall time of the test; null when nothing was attempted. */
  latencyMs: number | null;
  /** Never contains a secret. */
  message: string;
  serverVersion: string | null;
}

export interface DoctorReport {
  /** True when nothing failed (`ok`, warnings and `skipped` only). */
  ok: boolean;
  /** The connections file that was read, or null. */
  file: string | null;
  /** In file order. */
  results: DoctorEntry[];
  summary: { ok: number; warnings: number; failed: number; skipped: number };
}

export interface DoctorOptions {
  cwd: string;
  /** Used to resolve `${VAR}` references (`.env` files already loaded into it). */
  env: NodeJS.ProcessEnv;
  /** Project root (where osiris_connections.yaml is looked for). */
  projectRoot?: string;
  /** Explicit connections file. */
  file?: string;
  /** The connections file, already loaded (then `file`/`projectRoot` are not used). */
  connections?: ConnectionsConfig;
  /** `@family.alias` / `@family`: test only that connection. */
  ref?: string;
  timeoutMs?: number;
  /** Adds the secret keys the component specs declare (for redaction). */
  registry?: Registry;
  /** Connector lookup (tests inject fakes); the real connectors by default. */
  connectors?: (family: string) => Promise<FamilyConnector | undefined>;
}

const FAILED: ReadonlySet<DoctorEntryStatus> = new Set([
  'auth_failed',
  'unreachable',
  'database_missing',
  'timeout',
  'error',
]);

export function isFailure(status: DoctorEntryStatus): boolean {
  return FAILED.has(status);
}

/** Connected, but something a run needs is missing (the schema a Postgres connection names). */
export function isWarning(status: DoctorEntryStatus): boolean {
  return status === 'schema_missing';
}

/** Human label of a status: `ok`, `auth failed`, `database missing`, … */
export function statusLabel(status: DoctorEntryStatus): string {
  return status.replace(/_/g, ' ');
}

const STATUSES: ReadonlySet<string> = new Set([
  'ok',
  'schema_missing',
  'auth_failed',
  'unreachable',
  'database_missing',
  'timeout',
  'error',
]);

async function testOne(
  entry: ConnectionEntry,
  options: DoctorOptions,
  connections: ConnectionsConfig,
  timeoutMs: number,
): Promise<DoctorEntry> {
  const reference = `@${entry.family}.${entry.alias}`;
  const base = { connection: reference, family: entry.family, alias: entry.alias, serverVersion: null };
  const { findConnector } = await import('../connectors/index.js');
  const lookup = options.connectors ?? findConnector;
  let connector: FamilyConnector | undefined;
  try {
    connector = await lookup(entry.family);
  } catch (error) {
    return {
      ...base,
      status: 'error',
      latencyMs: null,
      message: `the '${entry.family}' connector could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (!connector) {
    return {
      ...base,
      status: 'skipped',
      latencyMs: null,
      message: `no connection test for family '${entry.family}'`,
    };
  }

  const { resolveConnection } = await import('./resolve.js');
  const { connectionRedactor } = await import('../discovery/discover.js');
  let connection: ResolvedConnection;
  try {
    connection = resolveConnection(
      { family: entry.family, alias: entry.alias },
      { connections, env: options.env },
    );
  } catch (error) {
    const message =
      error instanceof OsirisError
        ? error.diagnostics.map((d) => `${d.message}${d.hint ? ` — ${d.hint}` : ''}`).join('; ')
        : String(error);
    // The text names variables, not values; literal secrets written in the file are masked all the same.
    const literal = await connectionRedactor(
      { family: entry.family, alias: entry.alias, fields: entry.fields },
      options.registry,
    );
    return { ...base, status: 'error', latencyMs: null, message: literal.redactText(message) };
  }

  const redactor = await connectionRedactor(connection, options.registry);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'guard'>((resolve) => {
    timer = setTimeout(() => resolve('guard'), timeoutMs + GRACE_MS);
    timer.unref?.();
  });
  try {
    const outcome = await Promise.race([connector.doctor(connection, timeoutMs), guard]);
    if (outcome === 'guard') {
      return {
        ...base,
        status: 'timeout',
        latencyMs: elapsed(),
        message: `no answer within ${timeoutMs} ms`,
      };
    }
    const status: DoctorEntryStatus = STATUSES.has(outcome.status) ? outcome.status : 'error';
    return {
      ...base,
      status,
      latencyMs: Number.isFinite(outcome.latencyMs) ? Math.round(outcome.latencyMs) : elapsed(),
      message: redactor.redactText(outcome.message ?? ''),
      serverVersion:
        typeof outcome.serverVersion === 'string' && outcome.serverVersion
          ? redactor.redactText(outcome.serverVersion)
          : null,
    };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ...base, status: 'error', latencyMs: elapsed(), message: redactor.redactText(text) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Tests the configured connections (or the one `ref` names). A bad or unknown `ref` and an unreadable
 * connections file throw `OsirisError` (exit 2); connection problems are results, not errors.
 */
export async function doctorConnections(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw OsirisError.of(
      'CON061',
      `timeout must be a whole number of milliseconds ≥ 1, got ${timeoutMs}`,
      {},
      {
        hint: 'e.g. --timeout 3000',
      },
    );
  }
  const { allConnections, displayPath, loadConnectionsConfig } = await import('./config.js');
  const connections =
    options.connections ??
    loadConnectionsConfig({
      cwd: options.cwd,
      env: options.env,
      ...(options.projectRoot !== undefined ? { projectRoot: options.projectRoot } : {}),
      ...(options.file !== undefined ? { file: options.file } : {}),
    }).config;

  let entries: ConnectionEntry[];
  if (options.ref !== undefined) {
    const { parseConnectionRef, selectConnection } = await import('./resolve.js');
    entries = [selectConnection(connections, parseConnectionRef(options.ref))];
  } else {
    entries = allConnections(connections);
  }

  const results: DoctorEntry[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      const r = await testOne(entries[i] as ConnectionEntry, options, connections, timeoutMs);
      // Stable key order for JSON output.
      results[i] = {
        connection: r.connection,
        family: r.family,
        alias: r.alias,
        status: r.status,
        latencyMs: r.latencyMs,
        message: r.message,
        serverVersion: r.serverVersion,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));

  const summary = { ok: 0, warnings: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    if (r.status === 'ok') summary.ok++;
    else if (isWarning(r.status)) summary.warnings++;
    else if (r.status === 'skipped') summary.skipped++;
    else summary.failed++;
  }
  return {
    ok: summary.failed === 0,
    file: connections.file ? displayPath(connections.file, options.cwd) : null,
    results,
    summary,
  };
}
