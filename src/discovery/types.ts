/**
 * What every database family provides for discovery and `connections doctor`. Each family implements these
 * in `src/connectors/<family>/`; `src/connectors/index.ts` maps family names to them, loaded lazily.
 */
import type { ResolvedConnection } from '../runtime/driver.js';
import type { JsonValue } from '../yaml/json.js';

export interface TableRef {
  /** Schema (Postgres) or database (MySQL); null when the engine has none. */
  schema: string | null;
  name: string;
}

export interface TableSummary extends TableRef {
  kind: 'table' | 'view';
  /** Engine statistics estimate (never a full COUNT); null when unknown. */
  rowEstimate: number | null;
}

export interface ColumnDetail {
  name: string;
  /** The engine's own type text, e.g. `decimal(12,2)`, `timestamp with time zone`. */
  sourceType: string;
  /** The DuckDB type Osiris maps it to (docs/reference/types.md). */
  duckdbType: string;
  nullable: boolean;
  /** Position in the table's primary key (1-based), or null. */
  primaryKeyPosition: number | null;
  default: string | null;
}

export interface TableDetail extends TableSummary {
  columns: ColumnDetail[];
  /** Primary key columns in key order. */
  primaryKey: string[];
}

/** A result column of `queryRows`. */
export interface QueryColumn {
  /** The key of the column in each row (made unique: a repeated name gets `_2`, `_3`, …). */
  name: string;
  /** The engine's type text, e.g. `numeric(12,2)`, `BIGINT UNSIGNED`. */
  sourceType: string;
}

export interface QueryRowsResult {
  columns: QueryColumn[];
  /** At most `limit` rows, values JSON-safe like `sampleRows` (never masked: the caller masks). */
  rows: Array<Record<string, JsonValue>>;
  /** More than `limit` rows existed. */
  truncated: boolean;
}

export interface QueryRowsOptions {
  /** Statement timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
}

export interface DiscoveryOpenOptions {
  /** Every statement of the session is cancelled by the server after this many milliseconds. */
  statementTimeoutMs?: number;
}

export interface DiscoveryAdapter {
  readonly family: string;
  /** Tables and views of the connection's database/schema, sorted by schema then name. */
  listTables(): Promise<TableSummary[]>;
  describeTable(table: TableRef): Promise<TableDetail>;
  /** At most `limit` rows, values as JSON-safe text/numbers (big ints and decimals as strings). */
  sampleRows(table: TableRef, limit: number): Promise<Array<Record<string, JsonValue>>>;
  /**
   * Runs one read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN) and returns at most `limit` rows:
   * the SQL is checked with the SQL guard (src/connectors/sql-guard.ts) first, runs in a read-only transaction that is rolled back,
   * under a statement timeout, and never more than `limit + 1` rows are fetched. Throws `ReadOnlySqlError`
   * for SQL that is not read-only and `QueryTimeoutError` when the timeout hits (src/discovery/query-rows.ts).
   */
  queryRows(sql: string, limit: number, options?: QueryRowsOptions): Promise<QueryRowsResult>;
  /** A cheap hash of the schema (tables, columns, types) used to invalidate the discovery cache. */
  schemaFingerprint(): Promise<string>;
  close(): Promise<void>;
}

/** `schema_missing` is a warning: the server answers, but the schema the connection names does not exist. */
export type DoctorStatus =
  | 'ok'
  | 'schema_missing'
  | 'auth_failed'
  | 'unreachable'
  | 'database_missing'
  | 'timeout'
  | 'error';

export interface DoctorResult {
  status: DoctorStatus;
  latencyMs: number;
  /** Human message; must never contain a secret. */
  message: string;
  /** Server version when connected. */
  serverVersion?: string;
}

/** A family's connector entry points. */
export interface FamilyConnector {
  openDiscovery(connection: ResolvedConnection, options?: DiscoveryOpenOptions): Promise<DiscoveryAdapter>;
  doctor(connection: ResolvedConnection, timeoutMs: number): Promise<DoctorResult>;
}
