/**
 * MySQL/MariaDB client plumbing shared by the extractor, the writer, discovery and doctor: connection settings
 * from a resolved `@mysql.<alias>` connection, a small promise wrapper over a mysql2 connection with the
 * session Osiris relies on, and the mapping of mysql2/server errors to StepErrors with clear codes.
 *
 * Every connection is opened with:
 * - charset utf8mb4 (emoji survive), `time_zone = '+00:00'` (TIMESTAMP values travel as UTC);
 * - numbers and dates as text where JavaScript would round them: `supportBigNumbers` + `bigNumberStrings`
 *   (BIGINT and DECIMAL as strings), `dateStrings` (never a JS Date), `jsonStrings` (JSON as its text);
 * - `multipleStatements: false`, so one call is one statement.
 *
 * Messages name the connection (`@mysql.<alias>`), host, database, table and column where known, and never
 * contain the password.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { Connection, ConnectionOptions, FieldPacket, SslOptions } from 'mysql2';
import { type ResolvedConnection, StepError } from '../../runtime/driver.js';
import type { JsonObject, JsonValue } from '../../yaml/json.js';

type Mysql2 = typeof import('mysql2');
let mysql2Module: Mysql2 | undefined;
/**
 * mysql2 (83 modules, ~40 ms of CPU to load), required by the first connection: modules that import this one
 * for its helpers (settings, identifier quoting) load in runs that never connect to MySQL.
 */
function mysql2(): Mysql2 {
  mysql2Module ??= createRequire(import.meta.url)('mysql2') as Mysql2;
  return mysql2Module;
}

export const DEFAULT_PORT = 3306;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Everything needed to open a connection. Holds the password: never log or persist it. */
export interface MysqlSettings {
  /** `@mysql.<alias>` (or `step '<id>'` without a connection), for messages. */
  ref: string;
  host: string;
  port: number;
  database: string | undefined;
  user: string;
  password: string;
  ssl: SslOptions | undefined;
  connectTimeoutMs: number;
}

const CONNECTION_KEYS = [
  'host',
  'port',
  'database',
  'user',
  'username',
  'password',
  'ssl',
  'dsn',
  'url',
] as const;

function text(value: JsonValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function invalid(ref: string, message: string, hint?: string): StepError {
  return new StepError('connection.invalid_config', `${ref}: ${message}`, hint);
}

/** PEM text given inline, or a path to a PEM file. */
function pem(ref: string, key: string, value: JsonValue | undefined): string | undefined {
  const v = text(value);
  if (v === undefined || v === '') return undefined;
  if (v.includes('-----BEGIN')) return v;
  try {
    return readFileSync(v, 'utf8');
  } catch {
    throw invalid(
      ref,
      `cannot read '${key}' file ${JSON.stringify(v)}`,
      `give a readable PEM file path or the PEM text`,
    );
  }
}

/**
 * TLS from the connection: `ssl: true` or `ssl_mode: verify_identity` (verify the certificate and host name),
 * `ssl_mode: verify_ca` (verify the certificate only), `ssl_mode: required` (encrypt, no verification),
 * `ssl: false` / `ssl_mode: disabled`; `ssl_ca`, `ssl_cert`, `ssl_key` as PEM text or file paths.
 */
function sslOptions(ref: string, fields: Record<string, JsonValue>): SslOptions | undefined {
  const raw = fields.ssl_mode ?? fields.sslmode ?? fields.ssl;
  let mode: string;
  if (raw === undefined || raw === null || raw === false) mode = 'disabled';
  else if (raw === true) mode = 'verify_identity';
  else if (typeof raw === 'string') mode = raw.toLowerCase().replaceAll('-', '_');
  else
    throw invalid(
      ref,
      `'ssl' must be true, false or a mode`,
      'use ssl_mode: disabled | required | verify_ca | verify_identity',
    );
  if (mode === 'true') mode = 'verify_identity';
  if (mode === 'false' || mode === 'disabled' || mode === 'disable') return undefined;
  const base: SslOptions = {};
  const ca = pem(ref, 'ssl_ca', fields.ssl_ca);
  const cert = pem(ref, 'ssl_cert', fields.ssl_cert);
  const key = pem(ref, 'ssl_key', fields.ssl_key);
  if (ca !== undefined) base.ca = ca;
  if (cert !== undefined) base.cert = cert;
  if (key !== undefined) base.key = key;
  switch (mode) {
    case 'required':
    case 'require':
      return { ...base, rejectUnauthorized: false };
    case 'verify_ca':
      return { ...base, rejectUnauthorized: true, verifyIdentity: false };
    case 'verify_identity':
    case 'verify_full':
      return { ...base, rejectUnauthorized: true, verifyIdentity: true };
    default:
      throw invalid(
        ref,
        `unknown ssl mode ${JSON.stringify(raw)}`,
        'use ssl_mode: disabled | required | verify_ca | verify_identity',
      );
  }
}

/** The reference used in messages: `@mysql.<alias>`, or the step when settings come from its config. */
export function connectionRef(connection: ResolvedConnection | undefined, stepId?: string): string {
  if (connection) return `@${connection.family}.${connection.alias}`;
  return stepId === undefined ? 'mysql' : `step '${stepId}'`;
}

export interface SettingsOptions {
  /** Step config: its host/port/database/user/password are used when there is no connection. */
  config?: JsonObject;
  stepId?: string;
  /** Fail when no database is set (extractor table mode, writer, discovery). */
  requireDatabase?: boolean;
}

/**
 * Connection settings from a resolved connection (step-level overrides are already applied by connection
 * resolution) or, without one, from the step config. Accepts `dsn`/`url` (`mysql://user:pass@host:port/db`)
 * too; explicit fields win over the DSN.
 */
export function mysqlSettings(
  connection: ResolvedConnection | undefined,
  options: SettingsOptions = {},
): MysqlSettings {
  const ref = connectionRef(connection, options.stepId);
  const fields: Record<string, JsonValue> = {};
  if (connection) Object.assign(fields, connection.fields);
  else if (options.config) {
    for (const key of CONNECTION_KEYS) {
      const v = options.config[key];
      if (v !== undefined) fields[key] = v;
    }
  }
  const fromDsn: Record<string, string> = {};
  const dsn = text(fields.dsn ?? fields.url);
  if (dsn !== undefined && dsn !== '') {
    let url: URL;
    try {
      url = new URL(dsn);
    } catch {
      throw invalid(ref, 'dsn is not a valid URL', 'write it as mysql://user:password@host:3306/database');
    }
    if (!/^(mysql|mariadb)(\+\w+)?:$/.test(url.protocol))
      throw invalid(
        ref,
        `dsn scheme '${url.protocol}' is not mysql://`,
        'write it as mysql://user:password@host:3306/database',
      );
    if (url.hostname) fromDsn.host = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ''));
    if (url.port) fromDsn.port = url.port;
    if (url.username) fromDsn.user = decodeURIComponent(url.username);
    if (url.password) fromDsn.password = decodeURIComponent(url.password);
    const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (db) fromDsn.database = db;
  }
  const host = text(fields.host) ?? fromDsn.host ?? 'localhost';
  const portText = text(fields.port) ?? fromDsn.port;
  const port = portText === undefined || portText === '' ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw invalid(ref, `port must be an integer between 1 and 65535, got ${JSON.stringify(portText)}`);
  const user = text(fields.user) ?? text(fields.username) ?? fromDsn.user;
  if (user === undefined || user === '')
    throw invalid(
      ref,
      "no 'user' is set",
      `add user: (and password:) to the connection in osiris_connections.yaml`,
    );
  const password = text(fields.password) ?? fromDsn.password ?? '';
  const databaseText = text(fields.database) ?? fromDsn.database;
  const database = databaseText === undefined || databaseText === '' ? undefined : databaseText;
  if (options.requireDatabase && database === undefined)
    throw invalid(ref, "no 'database' is set", 'add database: to the connection in osiris_connections.yaml');
  const timeoutText = text(fields.connect_timeout);
  const timeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0))
    throw invalid(ref, 'connect_timeout must be a positive number of seconds');
  return {
    ref,
    host,
    port,
    database,
    user,
    password,
    ssl: sslOptions(ref, fields),
    connectTimeoutMs:
      timeoutSeconds === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : Math.round(timeoutSeconds * 1000),
  };
}

/** `host:port/database` for messages (no user, no password). */
export function describeEndpoint(s: MysqlSettings): string {
  return `${s.host}:${s.port}${s.database === undefined ? '' : `/${s.database}`}`;
}

/** A MySQL identifier in backticks: `a`b` → `` `a``b` ``. */
export function quoteMysqlIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** A MySQL string literal that is safe whatever NO_BACKSLASH_ESCAPES says (quotes doubled, backslashes as hex). */
export function quoteMysqlString(value: string): string {
  if (!/['\\\0]/.test(value)) return `'${value}'`;
  return `X'${Buffer.from(value, 'utf8').toString('hex')}'`;
}

/** What a statement that changes rows reports. */
export interface MysqlOk {
  affectedRows: number;
  warningStatus: number;
  info: string;
  insertId: number;
}

export interface ConnectOptions {
  /** Stream for `LOAD DATA LOCAL INFILE`; called with the file name the server asks for (ignored). */
  infileStreamFactory?: (path: string) => Readable;
  /** Extra statements run right after connecting (after `SET time_zone`). */
  sessionSql?: string[];
}

/** One open connection with Osiris' session settings; a thin promise layer over mysql2's callback API. */
export class MysqlClient {
  private lastError: unknown;
  private closed = false;
  private aborted = false;

  private constructor(
    readonly settings: MysqlSettings,
    readonly raw: Connection,
  ) {
    // A fatal error (connection killed, server gone) is reported through the pending query; this listener keeps
    // mysql2 from raising it again as an unhandled 'error' event.
    raw.on('error', (error) => {
      this.lastError = error;
    });
    // The server half-closed the socket: fail now, instead of when our unsent bytes have drained into it.
    raw.on('end', () => {
      if (!this.closed) this.fail('the server closed the connection');
    });
  }

  static async connect(settings: MysqlSettings, options: ConnectOptions = {}): Promise<MysqlClient> {
    const config: ConnectionOptions = {
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      charset: 'UTF8MB4_UNICODE_CI',
      connectTimeout: settings.connectTimeoutMs,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      jsonStrings: true,
      decimalNumbers: false,
      multipleStatements: false,
      timezone: 'Z',
    };
    if (settings.database !== undefined) config.database = settings.database;
    if (settings.ssl !== undefined) config.ssl = settings.ssl;
    if (options.infileStreamFactory) config.infileStreamFactory = options.infileStreamFactory;
    const raw = mysql2().createConnection(config);
    const client = new MysqlClient(settings, raw);
    try {
      await new Promise<void>((resolve, reject) => {
        raw.connect((error) => (error ? reject(error) : resolve()));
      });
      await client.query("SET time_zone = '+00:00'");
      for (const sql of options.sessionSql ?? []) await client.query(sql);
    } catch (error) {
      client.destroy();
      throw error;
    }
    return client;
  }

  /** Server thread id (what `KILL <id>` takes). */
  get threadId(): number {
    return this.raw.threadId ?? 0;
  }

  get serverVersion(): string {
    return (this.raw as unknown as { serverVersion?: string }).serverVersion ?? '';
  }

  /**
   * Calls `listener` when the connection dies (killed, server gone). mysql2 tells a query that has a callback,
   * but a streamed query (events, no callback) only hears of it here. Returns the unsubscribe.
   */
  onFatal(listener: (error: unknown) => void): () => void {
    const onError = (error: unknown) => listener(error);
    this.raw.on('error', onError);
    return () => this.raw.off('error', onError);
  }

  /** The fatal error the connection saw, if any (e.g. it was killed). */
  get fatalError(): unknown {
    return this.lastError;
  }

  /** Runs one statement (text protocol; `?` placeholders escaped by mysql2) and returns rows or the OK packet. */
  query<T = unknown>(sql: string, values?: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.raw.query({ sql, values }, (error, result) => (error ? reject(error) : resolve(result as T)));
    });
  }

  /** Rows as objects keyed by column name. */
  async rows(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
    return this.query<Record<string, unknown>[]>(sql, values);
  }

  /** A statement that changes rows: its OK packet. */
  async run(sql: string, values?: unknown[]): Promise<MysqlOk> {
    const ok = await this.query<Partial<MysqlOk>>(sql, values);
    return {
      affectedRows: Number(ok.affectedRows ?? 0),
      warningStatus: Number(ok.warningStatus ?? 0),
      info: String(ok.info ?? ''),
      insertId: Number(ok.insertId ?? 0),
    };
  }

  /** Rows with their column metadata. */
  async rowsWithFields(
    sql: string,
    values?: unknown[],
  ): Promise<{ rows: unknown[][]; fields: FieldPacket[] }> {
    return new Promise((resolve, reject) => {
      this.raw.query({ sql, values, rowsAsArray: true }, (error, rows, fields) =>
        error ? reject(error) : resolve({ rows: rows as unknown[][], fields: fields ?? [] }),
      );
    });
  }

  /**
   * Waits while more than `limit` bytes sit in the socket's write buffer. mysql2 pipes a LOAD DATA LOCAL
   * stream without write backpressure, so a producer faster than the server would otherwise pile the whole
   * input up in memory.
   */
  async writeBufferBelow(limit: number): Promise<void> {
    const socket = (
      this.raw as unknown as {
        stream?: NodeJS.EventEmitter & { writableLength?: number; destroyed?: boolean };
      }
    ).stream;
    while (socket && !socket.destroyed && (socket.writableLength ?? 0) > limit) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }

  /**
   * Watches this session from a second connection until the returned stop is called, and fails it at once
   * (its pending statement rejects with PROTOCOL_CONNECTION_LOST) when the server no longer lists it or
   * lists it as `Killed`. A KILLed session may not hear of it until the server has rolled its transaction
   * back — row by row for rows appended to a non-empty table, which took minutes — so the client cannot
   * rely on the socket. The lookup is by this session's own id only.
   */
  async watchForKill(intervalMs = 1000): Promise<() => Promise<void>> {
    const id = this.threadId;
    const watcher = await MysqlClient.connect(this.settings);
    let checking = false;
    const check = async () => {
      if (checking || this.closed) return;
      checking = true;
      try {
        const [row] = await watcher.rows(
          'SELECT COMMAND AS command FROM information_schema.PROCESSLIST WHERE ID = ?',
          [id],
        );
        if (row === undefined || String(row.command) === 'Killed')
          this.fail('the server ended this session (KILL or shutdown) while a statement was running');
      } catch {
        clearInterval(timer); // the watcher lost its own connection: the server is gone, the socket will tell
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => void check(), intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await watcher.end().catch(() => undefined);
    };
  }

  /** Fails the pending statement (and every later one) with a lost-connection error. */
  private fail(reason: string): void {
    const error = Object.assign(new Error(`Connection lost: ${reason}`), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    });
    this.lastError ??= error;
    const socket = (this.raw as unknown as { stream?: { destroy(error?: Error): void } }).stream;
    socket?.destroy(error);
  }

  /** Ends the connection politely; falls back to destroying it. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.raw.destroy();
        resolve();
      }, 2000);
      timer.unref();
      this.raw.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  destroy(): void {
    this.closed = true;
    // Through the socket, with an error, so a pending statement fails: mysql2's own destroy leaves a
    // LOAD DATA LOCAL that is sending its file waiting forever.
    const socket = (this.raw as unknown as { stream?: { destroy(error?: Error): void } }).stream;
    socket?.destroy(
      Object.assign(new Error('Connection lost: closed by Osiris'), {
        code: 'PROTOCOL_CONNECTION_LOST',
        fatal: true,
      }),
    );
    this.raw.destroy();
  }

  /**
   * Closes the connection and makes the server stop its statement: a server only notices a vanished client
   * when it next writes to it, so a long query (or one sleeping between rows) would run on. Best effort,
   * bounded by `timeoutMs`.
   */
  async abort(timeoutMs = 3000): Promise<void> {
    if (this.aborted) return;
    this.aborted = true;
    const id = this.threadId;
    const lost = this.lastError !== undefined; // destroy() records its own error
    this.destroy();
    if (!id || lost) return;
    let killer: MysqlClient | undefined;
    const attempt = (async () => {
      killer = await MysqlClient.connect({ ...this.settings, connectTimeoutMs: timeoutMs });
      await killer.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
    })();
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([attempt.catch(() => undefined), timer]);
    // A killer that connects only after the timer fired must still be closed: an open connection keeps the
    // process alive (a cancelled run that never exits). `end` is idempotent.
    void attempt.then(
      () => killer?.end(),
      () => undefined,
    );
    await (killer as MysqlClient | undefined)?.end().catch(() => undefined);
  }
}

/** What a mysql2 error carries (server errors and network errors alike). */
export interface MysqlErrorInfo {
  code: string;
  errno: number | undefined;
  sqlState: string | undefined;
  message: string;
  /** Host name of a DNS failure. */
  hostname: string | undefined;
}

export function mysqlErrorInfo(error: unknown): MysqlErrorInfo {
  const e = (error ?? {}) as Record<string, unknown>;
  const message =
    typeof e.sqlMessage === 'string' ? e.sqlMessage : error instanceof Error ? error.message : String(error);
  return {
    code: typeof e.code === 'string' ? e.code : '',
    errno: typeof e.errno === 'number' ? e.errno : undefined,
    sqlState: typeof e.sqlState === 'string' ? e.sqlState : undefined,
    message,
    hostname: typeof e.hostname === 'string' ? e.hostname : undefined,
  };
}

const NETWORK_UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
]);
const UNKNOWN_HOST = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TIMEOUT = new Set(['ETIMEDOUT', 'PROTOCOL_SEQUENCE_TIMEOUT']);
const CONNECTION_LOST = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_NET_READ_ERROR',
  'ER_NET_ERROR_ON_WRITE',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
]);
/** errno values for the same, when mysql2 has no name for them (MariaDB-only codes). */
const CONNECTION_LOST_ERRNO = new Set([1927, 1053, 1317, 2013, 2006]);

/** The classes of failure doctor and drivers tell apart. */
export type MysqlFailureKind =
  | 'auth_failed'
  | 'unknown_host'
  | 'unreachable'
  | 'timeout'
  | 'database_missing'
  | 'table_missing'
  | 'connection_lost'
  | 'duplicate_key'
  | 'value_too_long'
  | 'invalid_value'
  | 'null_value'
  | 'unknown_column'
  | 'permission_denied'
  | 'syntax'
  | 'tls'
  | 'other';

export function classifyMysqlError(error: unknown): MysqlFailureKind {
  const { code, errno, message } = mysqlErrorInfo(error);
  if (
    code === 'ER_ACCESS_DENIED_ERROR' ||
    code === 'ER_DBACCESS_DENIED_ERROR' ||
    errno === 1045 ||
    errno === 1044
  )
    return 'auth_failed';
  if (code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR' || code === 'ER_NOT_SUPPORTED_AUTH_MODE')
    return 'auth_failed';
  if (UNKNOWN_HOST.has(code)) return 'unknown_host';
  if (NETWORK_UNREACHABLE.has(code)) return 'unreachable';
  if (TIMEOUT.has(code) || /connect ETIMEDOUT|timed? ?out/i.test(message)) return 'timeout';
  if (code === 'ER_BAD_DB_ERROR' || errno === 1049) return 'database_missing';
  if (code === 'ER_NO_SUCH_TABLE' || errno === 1146) return 'table_missing';
  if (CONNECTION_LOST.has(code) || (errno !== undefined && CONNECTION_LOST_ERRNO.has(errno)))
    return 'connection_lost';
  if (code === 'ER_DUP_ENTRY' || code === 'ER_DUP_ENTRY_WITH_KEY_NAME' || errno === 1062)
    return 'duplicate_key';
  if (code === 'ER_DATA_TOO_LONG' || errno === 1406) return 'value_too_long';
  if (code === 'ER_BAD_NULL_ERROR' || errno === 1048) return 'null_value';
  if (
    code === 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD' ||
    code === 'ER_TRUNCATED_WRONG_VALUE' ||
    code === 'ER_WARN_DATA_OUT_OF_RANGE' ||
    code === 'WARN_DATA_TRUNCATED' ||
    code === 'ER_WRONG_VALUE_FOR_TYPE' ||
    code === 'ER_INVALID_JSON_TEXT' ||
    code === 'ER_CONSTRAINT_FAILED' ||
    errno === 1366 ||
    errno === 1292 ||
    errno === 1264 ||
    errno === 1265 ||
    errno === 4025
  )
    return 'invalid_value';
  if (code === 'ER_BAD_FIELD_ERROR' || errno === 1054) return 'unknown_column';
  if (
    code === 'ER_TABLEACCESS_DENIED_ERROR' ||
    code === 'ER_COLUMNACCESS_DENIED_ERROR' ||
    code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR'
  )
    return 'permission_denied';
  if (code === 'ER_PARSE_ERROR' || errno === 1064) return 'syntax';
  if (/ssl|tls|certificate|secure connection/i.test(message) || code.startsWith('HANDSHAKE_')) return 'tls';
  return 'other';
}

/** The column a server message names (`… for column 'x' at row 3`, `Unknown column 'x' in …`). */
export function columnFromMessage(message: string): string | undefined {
  const m = /column '([^']+)'/i.exec(message) ?? /column `([^`]+)`/i.exec(message);
  if (!m) return undefined;
  const name = m[1] as string;
  // `db`.`t`.`c` or t.c forms: the last part is the column.
  const parts = name.split('.');
  return parts[parts.length - 1]?.replaceAll('`', '');
}

/** Removes the password from a message, just in case a server or library echoes it. */
export function scrub(message: string, settings: Pick<MysqlSettings, 'password'> | undefined): string {
  const pw = settings?.password;
  if (pw === undefined || pw.length < 3) return message;
  return message.split(pw).join('***');
}

/** MariaDB `max_statement_time` and MySQL `max_execution_time` interruptions. */
export const STATEMENT_TIMEOUT_ERRNO: ReadonlySet<number> = new Set([1969, 3024]);

/**
 * The session statement that caps each statement at `timeoutMs`: MariaDB's `max_statement_time` (seconds)
 * or MySQL's `max_execution_time` (milliseconds, SELECT only), chosen from the server's `VERSION()`.
 */
export async function statementTimeoutSql(client: MysqlClient, timeoutMs: number): Promise<string> {
  const [row] = await client.rows('SELECT VERSION() AS v');
  const version = `${String(row?.v ?? '')} ${client.serverVersion}`;
  return /mariadb/i.test(version)
    ? `SET SESSION max_statement_time = ${timeoutMs / 1000}`
    : `SET SESSION max_execution_time = ${Math.max(1, Math.ceil(timeoutMs))}`;
}

export interface ErrorContext {
  settings: MysqlSettings | undefined;
  /** What the step was doing, for the code prefix: `extract`, `write`, `discover`. */
  phase: 'extract' | 'write' | 'discover';
  stepId?: string;
  /** The table the step read or wrote (as the user named it). */
  table?: string;
}

/**
 * A StepError for a mysql2/server error: connection problems get `connection.*` codes, table/column problems
 * `<phase>.*`; the message names the connection alias, host, database, table and column where known.
 */
export function mysqlStepError(error: unknown, ctx: ErrorContext): StepError {
  if (error instanceof StepError) return error;
  const info = mysqlErrorInfo(error);
  const kind = classifyMysqlError(error);
  const s = ctx.settings;
  const ref = s?.ref ?? 'mysql';
  const where = s === undefined ? '' : ` (${describeEndpoint(s)})`;
  const step = ctx.stepId === undefined ? '' : `step '${ctx.stepId}': `;
  const serverSays = scrub(info.message, s);
  const details: Record<string, JsonValue> = { connection: ref, reason: kind };
  if (s) {
    details.host = s.host;
    details.port = s.port;
    if (s.database !== undefined) details.database = s.database;
  }
  if (ctx.table !== undefined) details.table = ctx.table;
  if (info.code) details.driver_code = info.code;
  if (info.errno !== undefined) details.errno = info.errno;
  const column = columnFromMessage(info.message);
  if (column !== undefined) details.column = column;
  const tableText = ctx.table === undefined ? '' : ` table '${ctx.table}'`;
  const opts = { cause: error, details };
  switch (kind) {
    case 'auth_failed':
      return new StepError(
        'connection.auth_failed',
        `${step}${ref}${where}: authentication failed for user '${s?.user ?? '?'}': ${serverSays}`,
        `check user and password of ${ref} in osiris_connections.yaml (and the environment variables it references)`,
        opts,
      );
    case 'unknown_host':
      return new StepError(
        'connection.unreachable',
        `${step}${ref}: unknown host '${info.hostname ?? s?.host ?? '?'}' (DNS lookup failed)`,
        `check the host of ${ref} in osiris_connections.yaml`,
        opts,
      );
    case 'unreachable':
      return new StepError(
        'connection.unreachable',
        `${step}${ref}${where}: server unreachable (${info.code || serverSays})`,
        'check that the server is running and that host and port are right',
        opts,
      );
    case 'timeout':
      return new StepError(
        'connection.timeout',
        `${step}${ref}${where}: timed out (${info.code || serverSays})`,
        'check network access to the server, or raise connect_timeout in the connection',
        opts,
      );
    case 'database_missing':
      return new StepError(
        'connection.database_not_found',
        `${step}${ref}${where}: unknown database '${s?.database ?? '?'}'`,
        `create the database or fix 'database' of ${ref} in osiris_connections.yaml`,
        opts,
      );
    case 'table_missing':
      return new StepError(
        `${ctx.phase}.table_not_found`,
        `${step}${ref}${where}: table not found${tableText ? `:${tableText}` : ''} (${serverSays})`,
        ctx.phase === 'write'
          ? "create the table first or set 'create_if_missing: true'"
          : `check the table name; 'osiris discovery run ${ref}' lists the tables`,
        opts,
      );
    case 'connection_lost':
      return new StepError(
        'connection.lost',
        `${step}${ref}${where}: the connection was lost${tableText ? ` while working on${tableText}` : ''} (${serverSays})`,
        ctx.phase === 'write'
          ? 'the server rolled the load back; the target is unchanged. Run the pipeline again'
          : 'run the pipeline again; if it keeps happening check the server log and net_write_timeout',
        opts,
      );
    case 'duplicate_key':
      return new StepError(
        `${ctx.phase === 'write' ? 'write' : ctx.phase}.duplicate_key`,
        `${step}${ref}:${tableText} duplicate key: ${serverSays}`,
        "the input holds a key the table already has (or holds it twice); use write_mode 'upsert' or 'replace', or remove the duplicates upstream",
        opts,
      );
    case 'value_too_long':
      return new StepError(
        'write.value_too_long',
        `${step}${ref}:${tableText}${column === undefined ? '' : ` column '${column}'`}: value too long (${serverSays})`,
        'widen the column in MySQL or shorten the values upstream',
        opts,
      );
    case 'invalid_value':
      return new StepError(
        `${ctx.phase === 'write' ? 'write' : ctx.phase}.invalid_value`,
        `${step}${ref}:${tableText}${column === undefined ? '' : ` column '${column}'`}: value not accepted (${serverSays})`,
        'check the column type in MySQL against the values upstream',
        opts,
      );
    case 'null_value':
      return new StepError(
        `${ctx.phase === 'write' ? 'write' : ctx.phase}.null_violation`,
        `${step}${ref}:${tableText}${column === undefined ? '' : ` column '${column}'`}: NULL not allowed (${serverSays})`,
        'make the column nullable or fill the value upstream',
        opts,
      );
    case 'unknown_column':
      return new StepError(
        ctx.phase === 'write' ? 'write.schema_mismatch' : `${ctx.phase}.schema_mismatch`,
        `${step}${ref}:${tableText}${column === undefined ? '' : ` column '${column}'`} does not exist (${serverSays})`,
        `check the column names; 'osiris discovery run ${ref}' lists the columns`,
        opts,
      );
    case 'permission_denied':
      return new StepError(
        `${ctx.phase}.permission_denied`,
        `${step}${ref}:${tableText} permission denied (${serverSays})`,
        `grant the needed privileges to user '${s?.user ?? '?'}'`,
        opts,
      );
    case 'tls':
      return new StepError(
        'connection.failed',
        `${step}${ref}${where}: TLS problem (${serverSays})`,
        'check ssl_mode and the certificates of the connection',
        opts,
      );
    default:
      return new StepError(
        ctx.phase === 'write'
          ? 'write.failed'
          : ctx.phase === 'extract'
            ? 'extract.query_failed'
            : 'connection.failed',
        `${step}${ref}:${tableText} ${serverSays}`,
        undefined,
        opts,
      );
  }
}
