/**
 * PostgreSQL client plumbing shared by the postgres/supabase extractors, writers, discovery and doctor:
 * connection settings from a resolved connection (host/port/database/user/password/sslmode, or a
 * `pg_dsn` connection string such as Supabase's direct or pooler URL), connecting with a timeout, session
 * settings that make text output exact and machine-independent, and error classification into messages
 * that name the connection alias, table and column — never the password or the DSN.
 */
import type pg from 'pg';
import type { ResolvedConnection } from '../../runtime/driver.js';
import type { JsonObject, JsonValue } from '../../yaml/json.js';
import { loadPg } from './pg-module.js';

/** Everything needed to open a pg connection. `password` is a secret: never print a PgTarget. */
export interface PgTarget {
  /** `@family.alias`, or `postgres` when the step has no connection. Safe to print. */
  label: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  sslmode: string | undefined;
  /** The connection's default schema, when it names one. */
  schema: string | undefined;
}

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

/** Keys a connection may use for a Postgres connection string. */
const DSN_KEYS = ['pg_dsn', 'dsn', 'connection_string', 'database_url'];

/** An error in the connection's own settings (before any network traffic). */
export class PgConfigError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'PgConfigError';
  }
}

function str(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** The fields of a step's connection with the step-level connection fields as fallback. */
export function connectionFields(
  connection: ResolvedConnection | undefined,
  config: JsonObject = {},
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of ['host', 'port', 'database', 'user', 'password', 'sslmode', 'schema', ...DSN_KEYS]) {
    const v = config[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  const merged: Record<string, JsonValue> = { ...out, ...(connection?.fields ?? {}) };
  for (const key of PG_PREFIXED_KEYS) {
    const prefixed = merged[`pg_${key}`];
    if (str(merged[key]) === undefined && prefixed !== undefined && prefixed !== null) merged[key] = prefixed;
  }
  return merged;
}

/**
 * Supabase connections of the Python original name their Postgres settings `pg_host`, `pg_port`,
 * `pg_database`, `pg_user`, `pg_password`: read as host, port, … where those are not set.
 */
export const PG_PREFIXED_KEYS = ['host', 'port', 'database', 'user', 'password'] as const;

export function connectionLabel(connection: ResolvedConnection | undefined, family = 'postgres'): string {
  return connection ? `@${connection.family}.${connection.alias}` : family;
}

/** The connection string a connection carries, if any (`pg_dsn`, `dsn`, …, or `url` when it is postgres://). */
export function dsnOf(fields: Record<string, JsonValue>): string | undefined {
  for (const key of DSN_KEYS) {
    const v = str(fields[key]);
    if (v) return v;
  }
  const url = str(fields.url);
  if (url && /^postgres(ql)?:\/\//i.test(url)) return url;
  return undefined;
}

/** Whether the fields describe a Postgres-protocol connection (a DSN, or at least a host). */
export function hasPgFields(fields: Record<string, JsonValue>): boolean {
  return dsnOf(fields) !== undefined || str(fields.host) !== undefined;
}

interface DsnParts {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: string;
}

function decode(part: string, what: string, label: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new PgConfigError(
      `connection ${label}: the ${what} in its connection string is not valid percent-encoding`,
      'percent-encode special characters of the user and password (e.g. @ as %40)',
    );
  }
}

/** Parses `postgresql://user:pass@host:port/db?sslmode=…` or `host=… port=… dbname=…`. Never echoes it. */
export function parseDsn(dsn: string, label: string): DsnParts {
  const text = dsn.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new PgConfigError(
        `connection ${label}: its connection string is not a valid postgresql:// URL`,
        'expected postgresql://user:password@host:5432/database (percent-encode special characters)',
      );
    }
    const parts: DsnParts = {};
    const host = url.searchParams.get('host') ?? url.hostname;
    if (host) parts.host = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (url.port) parts.port = Number(url.port);
    const db = url.pathname.replace(/^\//, '');
    if (db) parts.database = decode(db, 'database name', label);
    if (url.username) parts.user = decode(url.username, 'user', label);
    if (url.password) parts.password = decode(url.password, 'password', label);
    const sslmode = url.searchParams.get('sslmode');
    if (sslmode) parts.sslmode = sslmode;
    return parts;
  }
  if (/^\s*\w+\s*=/.test(text)) {
    const parts: DsnParts = {};
    const re = /(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const key = (m[1] as string).toLowerCase();
      const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string);
      if (key === 'host' || key === 'hostaddr') parts.host = value;
      else if (key === 'port') parts.port = Number(value);
      else if (key === 'dbname') parts.database = value;
      else if (key === 'user') parts.user = value;
      else if (key === 'password') parts.password = value;
      else if (key === 'sslmode') parts.sslmode = value;
    }
    return parts;
  }
  throw new PgConfigError(
    `connection ${label}: its connection string is neither a postgresql:// URL nor key=value pairs`,
    'expected postgresql://user:password@host:5432/database',
  );
}

/**
 * Connection settings from a step's connection (and step-level fields). Explicit fields win over the parts
 * of a connection string, so a step may point a DSN at another host or database.
 */
export function pgTarget(
  connection: ResolvedConnection | undefined,
  config: JsonObject = {},
  family = 'postgres',
): PgTarget {
  const label = connectionLabel(connection, family);
  const fields = connectionFields(connection, config);
  const dsn = dsnOf(fields);
  const fromDsn = dsn ? parseDsn(dsn, label) : {};
  const host = str(fields.host) ?? fromDsn.host;
  if (!host)
    throw new PgConfigError(
      `connection ${label} has no host (and no pg_dsn connection string)`,
      'add host, port, database, user and password (or pg_dsn) to the connection in osiris_connections.yaml',
    );
  const portText = str(fields.port);
  const port = portText !== undefined ? Number(portText) : (fromDsn.port ?? 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new PgConfigError(`connection ${label}: port must be an integer from 1 to 65535`);
  const database = str(fields.database) ?? str(fields.dbname) ?? fromDsn.database ?? 'postgres';
  const user = str(fields.user) ?? str(fields.username) ?? fromDsn.user ?? 'postgres';
  const passwordField = fields.password;
  const password = typeof passwordField === 'string' ? passwordField : fromDsn.password;
  const sslmode = str(fields.sslmode) ?? fromDsn.sslmode;
  if (sslmode !== undefined && !(SSL_MODES as readonly string[]).includes(sslmode))
    throw new PgConfigError(
      `connection ${label}: sslmode '${sslmode}' is not one of ${SSL_MODES.join(', ')}`,
    );
  return { label, host, port, database, user, password, sslmode, schema: str(fields.schema) };
}

/** `host:port/database` — what the messages show about where a connection points. */
export function where(target: PgTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}/${target.database}`;
}

/** libpq sslmode → node-postgres `ssl`. `allow`/`prefer` cannot fall back in node-postgres: they mean off. */
function sslOption(sslmode: string | undefined): pg.ClientConfig['ssl'] {
  switch (sslmode) {
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      return false;
  }
}

export interface ConnectOptions {
  /** Connect timeout in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Shown in pg_stat_activity: `osiris` plus this. */
  applicationName?: string;
}

/** A connected client. Background errors (a killed backend) are recorded instead of crashing the process. */
export interface PgSession {
  client: pg.Client;
  target: PgTarget;
  /** The first error the connection raised outside a query (e.g. it was terminated), if any. */
  readonly backgroundError: Error | undefined;
  close(): Promise<void>;
}

export async function connectPg(target: PgTarget, options: ConnectOptions = {}): Promise<PgSession> {
  const client = new (loadPg().Client)({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password ?? '',
    ssl: sslOption(target.sslmode),
    connectionTimeoutMillis: options.timeoutMs ?? 10_000,
    application_name: options.applicationName ? `osiris ${options.applicationName}`.slice(0, 63) : 'osiris',
    keepAlive: true,
  });
  let background: Error | undefined;
  client.on('error', (error: Error) => {
    background ??= error;
  });
  let closed = false;
  try {
    await client.connect();
  } catch (error) {
    closed = true;
    await client.end().catch(() => {});
    throw error;
  }
  return {
    client,
    target,
    get backgroundError() {
      return background;
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.end().catch(() => {});
    },
  };
}

/**
 * `SET LOCAL` statements (valid inside a transaction, so they also hold behind a transaction pooler) that
 * make every value's text form exact and the same on every machine.
 */
export const SESSION_SETTINGS = [
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL DateStyle = 'ISO, MDY'",
  "SET LOCAL IntervalStyle = 'postgres'",
  "SET LOCAL bytea_output = 'hex'",
  'SET LOCAL extra_float_digits = 1',
].join('; ');

/** Per-query type parsers that hand every value over as the server's text (nothing becomes a JS number or Date). */
export const RAW_TEXT_TYPES = {
  getTypeParser: () => (value: string) => value,
} as unknown as pg.CustomTypesConfig;

/** A Postgres identifier, always quoted. */
export function pgIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A Postgres string literal (standard_conforming_strings on, the default since 9.1). */
export function pgLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `"schema"."table"` (or just `"table"`). */
export function pgQualified(schema: string | undefined, table: string): string {
  return schema ? `${pgIdent(schema)}.${pgIdent(table)}` : pgIdent(table);
}

/** Postgres cuts identifiers at 63 bytes (NAMEDATALEN − 1). */
export const MAX_IDENTIFIER_BYTES = 63;

export function identifierTooLong(name: string): boolean {
  return Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES;
}

// ---------------------------------------------------------------------------------------------------------
// Error classification

export type PgErrorKind =
  | 'auth_failed'
  | 'unreachable'
  | 'database_missing'
  | 'timeout'
  | 'ssl'
  | 'connection_lost'
  | 'missing_table'
  | 'missing_column'
  | 'missing_schema'
  | 'permission_denied'
  | 'duplicate_key'
  | 'value_too_long'
  | 'not_null'
  | 'foreign_key'
  | 'bad_value'
  | 'syntax'
  | 'cancelled'
  | 'config'
  | 'other';

export interface PgErrorInfo {
  kind: PgErrorKind;
  /** SQLSTATE, or a Node error code (ECONNREFUSED, …). */
  code: string | undefined;
  /** The server's (or socket's) message, first line only. Never holds a password. */
  message: string;
  detail?: string;
  hint?: string;
  table?: string;
  column?: string;
  constraint?: string;
  /** From the error's CONTEXT, e.g. `COPY t, line 3, column name: "…"`. */
  context?: string;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function field(error: object, key: string): string | undefined {
  const v = (error as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Classifies an error from pg (server errors carry a SQLSTATE) or from the socket. */
export function classifyPgError(error: unknown): PgErrorInfo {
  if (error instanceof PgConfigError)
    return { kind: 'config', code: undefined, message: error.message, hint: error.hint };
  const err = error instanceof Error ? error : new Error(String(error));
  const code = field(err, 'code') ?? field((err as { cause?: object }).cause ?? {}, 'code');
  const message = (err.message || String(error)).split('\n')[0] as string;
  const info: PgErrorInfo = { kind: 'other', code, message };
  for (const key of ['detail', 'hint', 'table', 'column', 'constraint'] as const) {
    const v = field(err, key);
    if (v) info[key] = v;
  }
  const context = field(err, 'where');
  if (context) info.context = context.split('\n')[0] as string;
  if (!info.column && context) {
    const m = /, column ([^:]+):/.exec(context);
    if (m) info.column = m[1];
  }
  switch (code) {
    case '28P01':
    case '28000':
      info.kind = 'auth_failed';
      return info;
    case '3D000':
      info.kind = 'database_missing';
      return info;
    case '42P01':
      info.kind = 'missing_table';
      info.table ??= /relation "([^"]+)"/.exec(message)?.[1];
      return info;
    case '42703':
      info.kind = 'missing_column';
      info.column ??= /column "?([^"]+?)"? (?:of relation "[^"]+" )?does not exist/.exec(message)?.[1];
      return info;
    case '3F000':
      info.kind = 'missing_schema';
      return info;
    case '42501':
      info.kind = 'permission_denied';
      return info;
    case '23505':
      info.kind = 'duplicate_key';
      return info;
    case '22001':
      info.kind = 'value_too_long';
      return info;
    case '23502':
      info.kind = 'not_null';
      return info;
    case '23503':
      info.kind = 'foreign_key';
      return info;
    case '57014':
      info.kind = 'cancelled';
      return info;
    case '57P01':
    case '57P02':
    case '57P03':
    case '08000':
    case '08003':
    case '08006':
      info.kind = 'connection_lost';
      return info;
    case '42601':
    case '42P10':
      info.kind = 'syntax';
      return info;
  }
  if (code?.startsWith('22') || code?.startsWith('23')) {
    info.kind = 'bad_value';
    return info;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    info.kind = 'connection_lost';
    return info;
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    info.kind = 'unreachable';
    return info;
  }
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(message)) {
    info.kind = 'timeout';
    return info;
  }
  if (/SSL|TLS|certificate/i.test(message)) {
    info.kind = 'ssl';
    return info;
  }
  if (/Connection terminated|connection.*(closed|ended|lost)|EPIPE|socket hang up/i.test(message)) {
    info.kind = 'connection_lost';
    return info;
  }
  return info;
}

/** Taxonomy code for a connection-level error kind, or undefined when the kind is about the data/SQL. */
export function connectionErrorCode(kind: PgErrorKind): string | undefined {
  switch (kind) {
    case 'auth_failed':
      return 'connection.auth_failed';
    case 'unreachable':
    case 'ssl':
    case 'connection_lost':
      return 'connection.failed';
    case 'database_missing':
      return 'connection.not_found';
    case 'timeout':
      return 'connection.timeout';
    case 'config':
      return 'connection.invalid_config';
    default:
      return undefined;
  }
}

/** A one-line explanation of a connection-level failure, naming the alias and where it points. */
export function describeConnectionFailure(target: PgTarget, info: PgErrorInfo): string {
  const at = `${target.label} (${where(target)})`;
  switch (info.kind) {
    case 'auth_failed':
      return `cannot log in to ${at} as '${target.user}': ${info.message}`;
    case 'unreachable':
      return `cannot reach ${at}: ${info.code ?? 'network error'} (${info.message})`;
    case 'database_missing':
      return `database '${target.database}' does not exist on ${at}`;
    case 'timeout':
      return `connecting to ${at} timed out`;
    case 'ssl':
      return `TLS negotiation with ${at} failed: ${info.message}`;
    case 'connection_lost':
      return `the connection to ${at} was lost: ${info.message}`;
    case 'config':
      return info.message;
    default:
      return `cannot connect to ${at}: ${info.message}`;
  }
}

export function connectionHint(target: PgTarget, info: PgErrorInfo): string | undefined {
  switch (info.kind) {
    case 'auth_failed':
      return `check user and password of ${target.label} in osiris_connections.yaml (and the environment variables it references)`;
    case 'unreachable':
      return `check host and port of ${target.label}, and that the server is running and reachable from here`;
    case 'database_missing':
      return `create the database or fix 'database' of ${target.label}`;
    case 'timeout':
      return 'check the network path and firewall; the server did not answer in time';
    case 'ssl':
      return `check sslmode of ${target.label} (Supabase needs sslmode: require)`;
    case 'config':
      return info.hint;
    default:
      return undefined;
  }
}
