/**
 * Discovery over the Postgres catalog: tables and views (with pg_class.reltuples as the row estimate, never a
 * COUNT), columns with their Postgres and DuckDB types, primary keys, defaults, sample rows and a schema
 * fingerprint. The connection's `schema` narrows everything to one schema; Supabase connections default to
 * `public` (the others would list Supabase's internal schemas).
 */
import type pg from 'pg';
import { closestMatch } from '../../diagnostics/suggest.js';
import {
  CLIENT_TIMEOUT_GRACE_MS,
  lineCol,
  QueryTimeoutError,
  queryTimeoutMs,
  readOnlyStatement,
  rowsToFetch,
  uniqueColumnNames,
  WRAP_PREFIX,
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
import type { JsonValue } from '../../yaml/json.js';
import { loadTypes, typeOf } from './catalog.js';
import {
  classifyPgError,
  connectionFields,
  connectPg,
  describeConnectionFailure,
  hasPgFields,
  type PgSession,
  pgIdent,
  pgQualified,
  pgTarget,
  RAW_TEXT_TYPES,
  SESSION_SETTINGS,
} from './client.js';
import { duckTypeForCatalog, OID } from './types.js';

const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

interface TableRow {
  schema: string;
  name: string;
  kind: string;
  estimate: string | null;
}

const INTEGER_OIDS = new Set<number>([OID.int2, OID.int4]);
const FLOAT_OIDS = new Set<number>([OID.float4, OID.float8]);

/** A sample value as JSON: small ints and floats as numbers, booleans as booleans, the rest as exact text. */
function sampleValue(raw: unknown, oid: number): JsonValue {
  if (raw === null || raw === undefined) return null;
  const text = String(raw);
  if (oid === OID.bool) return text === 't';
  if (INTEGER_OIDS.has(oid)) return Number(text);
  if (FLOAT_OIDS.has(oid)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  return text;
}

/**
 * Rows read with `rowMode: 'array'` and RAW_TEXT_TYPES as JSON-safe records (see `sampleValue`), keyed by
 * `names` (one per field, in order).
 */
function jsonRows(
  rows: readonly unknown[][],
  fields: ReadonlyArray<{ dataTypeID: number }>,
  names: readonly string[],
): Array<Record<string, JsonValue>> {
  return rows.map((values) => {
    const out: Record<string, JsonValue> = {};
    fields.forEach((f, i) => {
      out[names[i] as string] = sampleValue(values[i], f.dataTypeID);
    });
    return out;
  });
}

/**
 * A server error of the user's query with the position it reports turned into a line and column of the
 * user's SQL (`prefix` characters were put in front of it), keeping the SQLSTATE as `code`.
 */
function queryError(error: unknown, body: string, prefix: number): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const position = Number((error as { position?: unknown }).position);
  if (!Number.isInteger(position) || position < 1) return error;
  const offset = position - 1 - prefix;
  if (offset < 0 || offset > body.length) return error;
  const { line, col } = lineCol(body, offset);
  const located = new Error(`${error.message} (at line ${line}, column ${col} of the query)`);
  return Object.assign(located, { code });
}

export async function openPostgresDiscovery(
  connection: ResolvedConnection,
  options: DiscoveryOpenOptions = {},
): Promise<DiscoveryAdapter> {
  if (connection.family === 'supabase' && !hasPgFields(connectionFields(connection)))
    throw new Error(
      `discovery of @${connection.family}.${connection.alias} needs database credentials (pg_dsn, or host/port/database/user/password); the REST API key alone is not enough`,
    );
  const target = pgTarget(connection, {}, connection.family);
  const schema = target.schema ?? (connection.family === 'supabase' ? 'public' : undefined);
  let session: PgSession;
  try {
    session = await connectPg(target, { applicationName: 'discovery' });
  } catch (error) {
    throw new Error(describeConnectionFailure(target, classifyPgError(error)));
  }
  const { client } = session;

  const timeout =
    options.statementTimeoutMs === undefined
      ? ''
      : `; SET LOCAL statement_timeout = ${Math.max(1, Math.ceil(options.statementTimeoutMs))}`;

  /** Runs `fn` in a read-only transaction with the exact-text session settings and the statement timeout. */
  const readOnly = async <T>(fn: () => Promise<T>): Promise<T> => {
    await client.query(`BEGIN READ ONLY; ${SESSION_SETTINGS}${timeout}`);
    try {
      const out = await fn();
      await client.query('COMMIT');
      return out;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  };

  const listTables = async (): Promise<TableSummary[]> => {
    const values: string[] = [];
    let filter = SYSTEM_SCHEMAS;
    if (schema !== undefined) {
      values.push(schema);
      filter = 'n.nspname = $1';
    }
    const r = await client.query<TableRow>(
      `SELECT n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
              CASE WHEN c.relkind IN ('r', 'm', 'f') AND c.reltuples >= 0 THEN c.reltuples::bigint::text END AS estimate
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND ${filter}
       ORDER BY 1, 2`,
      values,
    );
    return r.rows.map((row) => ({
      schema: row.schema,
      name: row.name,
      kind: row.kind === 'v' || row.kind === 'm' ? 'view' : 'table',
      rowEstimate: row.estimate === null ? null : Number(row.estimate),
    }));
  };

  /** The table's oid, or an error that suggests a similar name. */
  const resolve = async (table: TableRef): Promise<string> => {
    const s = table.schema ?? schema;
    const r = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::text AS oid', [
      pgQualified(s ?? undefined, table.name),
    ]);
    const oid = r.rows[0]?.oid;
    if (oid) return oid;
    const names = (await listTables()).map((t) => (t.schema === s ? t.name : `${t.schema}.${t.name}`));
    const near = closestMatch(table.name, names);
    const shown = s ? `${s}.${table.name}` : table.name;
    throw new Error(
      `table '${shown}' does not exist in ${target.label}${near ? ` (did you mean '${near}'?)` : ''}`,
    );
  };

  const describeTable = async (table: TableRef): Promise<TableDetail> => {
    const oid = await resolve(table);
    const meta = await client.query<{ schema: string; name: string; kind: string; estimate: string | null }>(
      `SELECT n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
              CASE WHEN c.relkind IN ('r', 'm', 'f') AND c.reltuples >= 0 THEN c.reltuples::bigint::text END AS estimate
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::oid`,
      [oid],
    );
    const cols = await client.query<{
      name: string;
      typid: string;
      typmod: string;
      type: string;
      nullable: boolean;
      def: string | null;
      pk: string | null;
    }>(
      `SELECT a.attname::text AS name, a.atttypid::bigint::text AS typid, a.atttypmod::text AS typmod,
              pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def,
              (SELECT k.i::text FROM pg_catalog.pg_constraint p, unnest(p.conkey) WITH ORDINALITY AS k(attnum, i)
                WHERE p.conrelid = a.attrelid AND p.contype = 'p' AND k.attnum = a.attnum) AS pk
       FROM pg_catalog.pg_attribute a
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
      [oid],
    );
    const types = await loadTypes(
      client,
      cols.rows.map((c) => Number(c.typid)),
    );
    const columns: ColumnDetail[] = cols.rows.map((c) => {
      const t = typeOf(types, Number(c.typid));
      const typmod = Number(c.typmod) === -1 ? t.domainTypmod : Number(c.typmod);
      const elem = t.info.elem ? typeOf(types, t.info.elem).info : undefined;
      return {
        name: c.name,
        sourceType: c.type,
        duckdbType: duckTypeForCatalog(t.info, typmod, elem),
        nullable: c.nullable,
        primaryKeyPosition: c.pk === null ? null : Number(c.pk),
        default: c.def,
      };
    });
    const row = meta.rows[0] as { schema: string; name: string; kind: string; estimate: string | null };
    return {
      schema: row.schema,
      name: row.name,
      kind: row.kind === 'v' || row.kind === 'm' ? 'view' : 'table',
      rowEstimate: row.estimate === null ? null : Number(row.estimate),
      columns,
      primaryKey: columns
        .filter((c) => c.primaryKeyPosition !== null)
        .sort((a, b) => (a.primaryKeyPosition as number) - (b.primaryKeyPosition as number))
        .map((c) => c.name),
    };
  };

  const sampleRows = async (table: TableRef, limit: number): Promise<Array<Record<string, JsonValue>>> => {
    const oid = await resolve(table);
    const n = Math.max(0, Math.floor(limit));
    if (n === 0) return [];
    return readOnly(async () => {
      const r = await client.query({
        text: `SELECT * FROM ${await qualifiedName(oid)} LIMIT ${n}`,
        rowMode: 'array',
        types: RAW_TEXT_TYPES,
      });
      return jsonRows(
        r.rows as unknown[][],
        r.fields,
        r.fields.map((f) => f.name),
      );
    });
  };

  /**
   * One read-only statement, at most `limit` rows: SELECT/WITH wrapped in `SELECT * FROM (…) LIMIT limit + 1`,
   * SHOW and EXPLAIN run as they are and are cut here. `BEGIN READ ONLY` … `ROLLBACK`, `SET LOCAL
   * statement_timeout`, the extended protocol (one statement per call) and the connection's schema first on
   * the search_path (as the extractor does).
   */
  const queryRows = async (
    sql: string,
    limit: number,
    options: QueryRowsOptions = {},
  ): Promise<QueryRowsResult> => {
    const shape = await readOnlyStatement(sql, 'postgres');
    const n = Math.max(0, Math.floor(limit));
    const timeoutMs = queryTimeoutMs(options);
    const wrapped = WRAPPABLE.has(shape.keyword);
    const text = wrapped ? wrapWithLimit(shape.body, rowsToFetch(n)) : shape.body;
    const searchPath = schema !== undefined ? `; SET LOCAL search_path TO ${pgIdent(schema)}, public` : '';
    await client.query(
      `BEGIN READ ONLY; ${SESSION_SETTINGS}; SET LOCAL statement_timeout = ${Math.max(1, Math.ceil(timeoutMs))}${searchPath}`,
    );
    try {
      const query = client.query({
        text,
        rowMode: 'array',
        types: RAW_TEXT_TYPES,
        queryMode: 'extended',
      } as pg.QueryArrayConfig);
      const r = await withDeadline(query, timeoutMs + CLIENT_TIMEOUT_GRACE_MS, timeoutMs, () =>
        session.close(),
      );
      const fields = r.fields ?? [];
      const names = uniqueColumnNames(fields.map((f) => f.name));
      const types =
        fields.length === 0
          ? []
          : (
              await client.query<{ t: string }>(
                `SELECT pg_catalog.format_type(u.o, u.m) AS t
                 FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS u(o, m, i) ORDER BY u.i`,
                [fields.map((f) => String(f.dataTypeID)), fields.map((f) => f.dataTypeModifier)],
              )
            ).rows.map((row) => row.t);
      const rows = r.rows as unknown[][];
      return {
        columns: fields.map((f, i) => ({
          name: names[i] as string,
          sourceType: types[i] ?? `type ${f.dataTypeID}`,
        })),
        rows: jsonRows(rows.slice(0, n), fields, names),
        truncated: rows.length > n,
      };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === '57014' && error instanceof Error && /statement timeout/i.test(error.message))
        throw new QueryTimeoutError(timeoutMs, 'server', `statement_timeout: ${error.message}`);
      throw queryError(error, shape.body, wrapped ? WRAP_PREFIX.length : 0);
    } finally {
      await client.query('ROLLBACK').catch(() => {});
    }
  };

  const qualifiedName = async (oid: string): Promise<string> => {
    const r = await client.query<{ schema: string; name: string }>(
      `SELECT n.nspname::text AS schema, c.relname::text AS name FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::oid`,
      [oid],
    );
    const row = r.rows[0] as { schema: string; name: string };
    return pgQualified(row.schema, row.name);
  };

  const schemaFingerprint = async (): Promise<string> => {
    const values: string[] = [];
    let filter = SYSTEM_SCHEMAS;
    if (schema !== undefined) {
      values.push(schema);
      filter = 'n.nspname = $1';
    }
    const r = await client.query<{ fp: string | null }>(
      `SELECT md5(string_agg(concat_ws(':', n.nspname::text, c.relname::text, c.relkind::text, a.attnum::text, a.attname::text,
                  pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull::text), E'\\n'
                  ORDER BY n.nspname, c.relname, a.attnum)) AS fp
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${filter}`,
      values,
    );
    return r.rows[0]?.fp ?? 'empty';
  };

  return {
    family: connection.family,
    listTables,
    describeTable,
    sampleRows,
    queryRows,
    schemaFingerprint,
    close: () => session.close(),
  };
}
