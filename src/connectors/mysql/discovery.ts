/**
 * Discovery for MySQL/MariaDB: tables and views of the connection's database from information_schema (row
 * counts are InnoDB's estimates, never a COUNT), columns with their MySQL and DuckDB types, primary keys, and
 * sample rows read with the same exact settings as the extractor (big integers, decimals and dates as
 * strings, binary values as hex).
 */
import type { FieldPacket } from 'mysql2';
import {
  CLIENT_TIMEOUT_GRACE_MS,
  QueryTimeoutError,
  queryTimeoutMs,
  readOnlyStatement,
  rowsToFetch,
  uniqueColumnNames,
  WRAPPABLE,
  withDeadline,
  wrapWithLimit,
} from '../../discovery/query-rows.js';
import type {
  ColumnDetail,
  DiscoveryAdapter,
  DiscoveryOpenOptions,
  QueryRowsOptions,
  QueryRowsResult,
  TableDetail,
  TableRef,
  TableSummary,
} from '../../discovery/types.js';
import type { ResolvedConnection } from '../../runtime/driver.js';
import { sha256Hex } from '../../util/canonical.js';
import type { JsonValue } from '../../yaml/json.js';
import {
  MysqlClient,
  type MysqlSettings,
  mysqlErrorInfo,
  mysqlSettings,
  mysqlStepError,
  quoteMysqlIdent,
  STATEMENT_TIMEOUT_ERRNO,
  statementTimeoutSql,
} from './client.js';
import { duckdbTypeForColumnType, planColumn, UnsupportedColumnError } from './types.js';

const str = (v: unknown): string =>
  v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);

/** A value as JSON: safe integers and finite doubles as numbers, everything else exact as text, bytes as hex. */
export function jsonSafe(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value) ?? null;
}

/** Rows read with `rowsAsArray` as JSON-safe records keyed by `names` (one name per column, in order). */
function jsonRows(rows: readonly unknown[][], names: readonly string[]): Array<Record<string, JsonValue>> {
  return rows.map((row) => {
    const out: Record<string, JsonValue> = {};
    names.forEach((name, i) => {
      out[name] = jsonSafe(row[i]);
    });
    return out;
  });
}

/** The MySQL type text of a result column (`DECIMAL(12,2)`, `BIGINT UNSIGNED`, `GEOMETRY`, …). */
function resultType(field: FieldPacket): string {
  try {
    return planColumn(field).sourceType;
  } catch (error) {
    if (error instanceof UnsupportedColumnError) return error.sourceType;
    throw error;
  }
}

class MysqlDiscovery implements DiscoveryAdapter {
  readonly family = 'mysql';

  constructor(
    private readonly client: MysqlClient,
    private readonly settings: MysqlSettings,
    private readonly database: string,
    /** The session's statement timeout (restored after `queryRows` sets its own). */
    private readonly sessionTimeoutSql: string | undefined = undefined,
  ) {}

  private fail(error: unknown, table?: TableRef): never {
    throw mysqlStepError(error, {
      settings: this.settings,
      phase: 'discover',
      ...(table ? { table: `${table.schema ?? this.database}.${table.name}` } : {}),
    });
  }

  async listTables(): Promise<TableSummary[]> {
    try {
      const rows = await this.client.rows(
        `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n, TABLE_TYPE AS k, TABLE_ROWS AS r
           FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
        [this.database],
      );
      const tables = rows.map((row): TableSummary => {
        const view = /VIEW/i.test(str(row.k));
        const estimate = row.r === null || row.r === undefined || view ? null : Number(row.r);
        return {
          schema: str(row.s),
          name: str(row.n),
          kind: view ? 'view' : 'table',
          rowEstimate: estimate !== null && Number.isFinite(estimate) ? estimate : null,
        };
      });
      return tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      this.fail(error);
    }
  }

  async describeTable(table: TableRef): Promise<TableDetail> {
    const schema = table.schema ?? this.database;
    try {
      const [info] = await this.client.rows(
        `SELECT TABLE_TYPE AS k, TABLE_ROWS AS r FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
        [schema, table.name],
      );
      if (!info) {
        const missing = Object.assign(new Error(`Table '${schema}.${table.name}' doesn't exist`), {
          code: 'ER_NO_SUCH_TABLE',
          errno: 1146,
        });
        this.fail(missing, table);
      }
      const cols = await this.client.rows(
        `SELECT COLUMN_NAME AS n, DATA_TYPE AS dt, COLUMN_TYPE AS ct, IS_NULLABLE AS nl, COLUMN_DEFAULT AS d
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [schema, table.name],
      );
      const keys = await this.client.rows(
        `SELECT COLUMN_NAME AS n, ORDINAL_POSITION AS p FROM information_schema.KEY_COLUMN_USAGE
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
        [schema, table.name],
      );
      const pk = new Map(keys.map((k) => [str(k.n), Number(k.p)]));
      // MariaDB stores JSON as LONGTEXT with a json_valid() check; MySQL reports DATA_TYPE json itself.
      const jsonColumns = new Set<string>();
      const checks = await this.client
        .rows(
          `SELECT CHECK_CLAUSE AS c FROM information_schema.CHECK_CONSTRAINTS
            WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`,
          [schema, table.name],
        )
        .catch(() => [] as Record<string, unknown>[]);
      for (const check of checks) {
        const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(str(check.c).trim());
        if (m) jsonColumns.add((m[1] as string).replaceAll('``', '`'));
      }
      const columns = cols.map((c): ColumnDetail => {
        const json = jsonColumns.has(str(c.n)) && /text$/i.test(str(c.dt));
        return {
          name: str(c.n),
          sourceType: json ? 'json' : str(c.ct),
          duckdbType: json ? 'JSON' : duckdbTypeForColumnType(str(c.dt), str(c.ct)),
          nullable: str(c.nl).toUpperCase() === 'YES',
          primaryKeyPosition: pk.get(str(c.n)) ?? null,
          default: c.d === null || c.d === undefined ? null : str(c.d),
        };
      });
      const view = /VIEW/i.test(str(info.k));
      const estimate = view || info.r === null || info.r === undefined ? null : Number(info.r);
      return {
        schema,
        name: table.name,
        kind: view ? 'view' : 'table',
        rowEstimate: estimate !== null && Number.isFinite(estimate) ? estimate : null,
        columns,
        primaryKey: [...pk.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name),
      };
    } catch (error) {
      this.fail(error, table);
    }
  }

  async sampleRows(table: TableRef, limit: number): Promise<Array<Record<string, JsonValue>>> {
    const schema = table.schema ?? this.database;
    const n = Math.max(0, Math.floor(limit));
    if (n === 0) return [];
    try {
      const { rows, fields } = await this.client.rowsWithFields(
        `SELECT * FROM ${quoteMysqlIdent(schema)}.${quoteMysqlIdent(table.name)} LIMIT ${n}`,
      );
      return jsonRows(
        rows,
        fields.map((f) => f.name),
      );
    } catch (error) {
      this.fail(error, table);
    }
  }

  /**
   * One read-only statement, at most `limit` rows. The row cap is `sql_select_limit = limit + 1` for a
   * SELECT/WITH without its own LIMIT (MariaDB ignores the ORDER BY of a derived table without LIMIT, and
   * derived tables refuse repeated column names, so wrapping such a query would change its answer); a query
   * that has its own LIMIT/FETCH is wrapped in `SELECT * FROM (…) LIMIT limit + 1`. SHOW, DESCRIBE and
   * EXPLAIN run as they are and are cut here. The statement timeout is MariaDB's `max_statement_time` or
   * MySQL's `max_execution_time`, with a client-side deadline behind it that kills the connection.
   */
  async queryRows(sql: string, limit: number, options: QueryRowsOptions = {}): Promise<QueryRowsResult> {
    const shape = await readOnlyStatement(sql, 'mysql');
    const n = Math.max(0, Math.floor(limit));
    const fetch = rowsToFetch(n);
    const timeoutMs = queryTimeoutMs(options);
    const text =
      WRAPPABLE.has(shape.keyword) && shape.ownLimit ? wrapWithLimit(shape.body, fetch) : shape.body;
    const mariadb = await this.isMariadb();
    const timeoutVariable = mariadb ? 'max_statement_time' : 'max_execution_time';
    const timeoutValue = mariadb ? String(timeoutMs / 1000) : String(Math.max(1, Math.ceil(timeoutMs)));
    await this.client.query(
      `SET SESSION sql_select_limit = ${fetch}, SESSION ${timeoutVariable} = ${timeoutValue}`,
    );
    let result: { rows: unknown[][]; fields: FieldPacket[] };
    try {
      await this.client.query('START TRANSACTION READ ONLY');
      try {
        result = await withDeadline(
          this.client.rowsWithFields(text),
          timeoutMs + CLIENT_TIMEOUT_GRACE_MS,
          timeoutMs,
          () => this.client.abort(),
        );
      } finally {
        await this.client.query('ROLLBACK').catch(() => undefined);
      }
    } catch (error) {
      const info = mysqlErrorInfo(error);
      if (info.errno !== undefined && STATEMENT_TIMEOUT_ERRNO.has(info.errno))
        throw new QueryTimeoutError(timeoutMs, 'server', `${timeoutVariable}: ${info.message}`);
      throw error;
    } finally {
      await this.client
        .query(`SET SESSION sql_select_limit = DEFAULT, SESSION ${timeoutVariable} = DEFAULT`)
        .catch(() => undefined);
      if (this.sessionTimeoutSql) await this.client.query(this.sessionTimeoutSql).catch(() => undefined);
    }
    // A statement without a result set (cannot pass the read-only check, but be safe) has no fields.
    const fields = Array.isArray(result.fields) ? result.fields : [];
    const rows = Array.isArray(result.rows) ? result.rows : [];
    const names = uniqueColumnNames(fields.map((f) => f.name));
    return {
      columns: fields.map((f, i) => ({ name: names[i] as string, sourceType: resultType(f) })),
      rows: jsonRows(rows.slice(0, n), names),
      truncated: rows.length > n,
    };
  }

  private mariadb: boolean | undefined;

  /** MariaDB (max_statement_time, seconds) or MySQL (max_execution_time, milliseconds). */
  private async isMariadb(): Promise<boolean> {
    if (this.mariadb === undefined) {
      const [row] = await this.client.rows('SELECT VERSION() AS v');
      this.mariadb = /mariadb/i.test(`${str(row?.v)} ${this.client.serverVersion}`);
    }
    return this.mariadb;
  }

  async schemaFingerprint(): Promise<string> {
    try {
      const rows = await this.client.rows(
        `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, c.COLUMN_TYPE AS ty, c.IS_NULLABLE AS nl, c.COLUMN_KEY AS k
           FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = ?
          ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
        [this.database],
      );
      const tables = await this.client.rows(
        'SELECT TABLE_NAME AS t, TABLE_TYPE AS k FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
        [this.database],
      );
      const text = [
        ...tables.map((t) => `T\t${str(t.t)}\t${str(t.k)}`),
        ...rows.map((r) => `C\t${str(r.t)}\t${str(r.c)}\t${str(r.ty)}\t${str(r.nl)}\t${str(r.k)}`),
      ].join('\n');
      return sha256Hex(text);
    } catch (error) {
      this.fail(error);
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** Opens a discovery session on the connection's database. */
export async function openMysqlDiscovery(
  connection: ResolvedConnection,
  options: DiscoveryOpenOptions = {},
): Promise<DiscoveryAdapter> {
  const settings = mysqlSettings(connection, { requireDatabase: true });
  let client: MysqlClient;
  try {
    client = await MysqlClient.connect(settings);
  } catch (error) {
    throw mysqlStepError(error, { settings, phase: 'discover' });
  }
  let timeoutSql: string | undefined;
  try {
    if (options.statementTimeoutMs !== undefined) {
      timeoutSql = await statementTimeoutSql(client, options.statementTimeoutMs);
      await client.query(timeoutSql);
    }
  } catch (error) {
    await client.abort();
    throw mysqlStepError(error, { settings, phase: 'discover' });
  }
  return new MysqlDiscovery(client, settings, settings.database as string, timeoutSql);
}
