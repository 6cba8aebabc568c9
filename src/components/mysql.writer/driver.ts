/**
 * mysql.writer: writes the step's input table into a MySQL/MariaDB table so that a failure leaves the target
 * exactly as it was.
 *
 * - `append`: rows go into the target inside one InnoDB transaction; any error rolls them all back.
 * - `replace`: rows go into a staging table `<table>__osiris_stage_<id>` (same definition, CREATE TABLE … LIKE);
 *   after a row-count check one `RENAME TABLE t TO old, stage TO t` swaps it in atomically (MySQL DDL commits
 *   implicitly, so a transaction cannot do it), then the old table is dropped.
 * - `upsert`: staging table, then `INSERT … SELECT … ON DUPLICATE KEY UPDATE` in one transaction.
 * - A missing target (with `create_if_missing`) is created as a staging table from the input's DuckDB types,
 *   loaded, and renamed into place, so a failed first load leaves no half-filled table behind.
 * - An empty input fails before the target is touched unless `allow_empty` is set.
 * - Two runs writing one table take turns (a GET_LOCK named after the table, write-lock.ts).
 *
 * Rows are read from DuckDB in chunks and rendered to MySQL text by DuckDB itself (escaping included); they
 * travel with `LOAD DATA LOCAL INFILE` from a stream when the server allows it (measured ~2× faster than
 * batched INSERT here) and as batched multi-row INSERTs otherwise. LOAD DATA LOCAL turns errors into warnings
 * and skips duplicate keys, so every load checks the affected-row count and the warning count and fails with
 * the server's first warning when anything was skipped or changed. The session runs in strict SQL mode with
 * time zone UTC.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  connectionRef,
  MysqlClient,
  type MysqlOk,
  type MysqlSettings,
  mysqlSettings,
  mysqlStepError,
  quoteMysqlIdent,
} from '../../connectors/mysql/client.js';
import { type ColumnStats, mysqlTypeForDuckdb } from '../../connectors/mysql/types.js';
import { lockMysqlTarget } from '../../connectors/mysql/write-lock.js';
import { type ColumnInfo, describeTable, quoteIdent, tableRowCount } from '../../runtime/dataplane.js';
import {
  type Driver,
  type StepContext,
  StepError,
  type StepResult,
  stepCancelled,
} from '../../runtime/driver.js';
import { StepConfig } from '../../runtime/step-config.js';
import type { JsonValue } from '../../yaml/json.js';

type WriteMode = 'append' | 'replace' | 'upsert';
export type LoadMethod = 'load_data' | 'insert';

interface WritePlan {
  table: string;
  mode: WriteMode;
  primaryKey: string[];
  createIfMissing: boolean;
  batchSize: number;
  allowEmpty: boolean;
  /** Forced load method (tests and benchmarks, see `forceLoadMethod`). */
  method: LoadMethod | undefined;
}

let forcedLoadMethod: LoadMethod | undefined;

/**
 * Forces the load method for the writes that follow (tests and benchmarks compare both); `undefined` restores
 * the automatic choice (LOAD DATA when the server allows it).
 */
export function forceLoadMethod(method: LoadMethod | undefined): void {
  forcedLoadMethod = method;
}

function plan(ctx: StepContext): WritePlan {
  const cfg = StepConfig.of(ctx);
  const table = cfg.requiredString('table');
  if (table.length > 64) throw cfg.invalid('table', 'a MySQL table name of at most 64 characters');
  const mode = cfg.oneOf<WriteMode>('write_mode', ['append', 'replace', 'upsert'], 'append');
  const primaryKey = cfg.stringList('primary_key') ?? [];
  if (mode === 'upsert' && primaryKey.length === 0)
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}': write_mode 'upsert' needs 'primary_key'`,
      'set primary_key: to the key column, or a list of columns for a composite key',
      { details: { key: 'primary_key' } },
    );
  return {
    table,
    mode,
    primaryKey,
    createIfMissing: cfg.boolean('create_if_missing', true),
    batchSize: cfg.integer('batch_size', 1, 10_000),
    allowEmpty: cfg.boolean('allow_empty', false),
    method: forcedLoadMethod,
  };
}

// ---------------------------------------------------------------------------------------------------------
// DuckDB → MySQL text

type Category =
  | 'number'
  | 'float'
  | 'bool'
  | 'date'
  | 'timestamp'
  | 'timestamp_ns'
  | 'timestamptz'
  | 'time'
  | 'interval'
  | 'text'
  | 'nested'
  | 'blob'
  | 'bit';

const NUMBER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
  'VARINT',
  'BIGNUM',
]);

export function categoryOf(duckType: string): Category | undefined {
  const t = duckType.toUpperCase().trim();
  if (NUMBER_TYPES.has(t) || /^DECIMAL\(\d+,\s*\d+\)$/.test(t)) return 'number';
  if (/(\[\]|\[\d+\])$/.test(t) || /^(STRUCT|MAP|UNION)\b/.test(t)) return 'nested';
  if (t.startsWith('ENUM(')) return 'text';
  switch (t) {
    case 'FLOAT':
    case 'DOUBLE':
      return 'float';
    case 'BOOLEAN':
      return 'bool';
    case 'DATE':
      return 'date';
    case 'TIMESTAMP':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_MS':
      return 'timestamp';
    case 'TIMESTAMP_NS':
      return 'timestamp_ns';
    case 'TIMESTAMP WITH TIME ZONE':
      return 'timestamptz';
    case 'TIME':
      return 'time';
    case 'INTERVAL':
      return 'interval';
    case 'VARCHAR':
    case 'JSON':
    case 'UUID':
    case 'TIME WITH TIME ZONE':
      return 'text';
    case 'BLOB':
      return 'blob';
    case 'BIT':
      return 'bit';
    default:
      return undefined;
  }
}

const SQL_NULL = "'NULL'";
const TSV_NULL = String.raw`'\N'`;
/** A DuckDB string literal holding `text` (for building MySQL text in DuckDB SQL). */
const lit = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** `replace` chains are costly per value: escape only values that hold one of `chars` (most hold none). */
const escapeIf = (e: string, chars: string[], replaced: string): string =>
  `CASE WHEN ${chars.map((c) => `contains(${e}, ${c})`).join(' OR ')} THEN ${replaced} ELSE ${e} END`;

/** MySQL string-literal escaping (backslash style; the session clears NO_BACKSLASH_ESCAPES). */
const sqlEscape = (e: string): string =>
  escapeIf(
    e,
    [lit('\\'), lit("'"), 'chr(0)'],
    `replace(replace(replace(${e}, ${lit('\\')}, ${lit('\\\\')}), ${lit("'")}, ${lit("\\'")}), chr(0), ${lit('\\0')})`,
  );

/** LOAD DATA field escaping (ESCAPED BY '\\'). */
const tsvEscape = (e: string): string =>
  escapeIf(
    e,
    [lit('\\'), 'chr(9)', 'chr(10)', 'chr(13)', 'chr(0)'],
    `replace(replace(replace(replace(replace(${e}, ${lit('\\')}, ${lit('\\\\')}), chr(9), ${lit('\\t')}), chr(10), ${lit('\\n')}), chr(13), ${lit('\\r')}), chr(0), ${lit('\\0')})`,
  );

const quoted = (e: string): string => `${lit("'")} || ${e} || ${lit("'")}`;

/** Total microseconds of an INTERVAL as MySQL TIME text `[-]H:MM:SS.ffffff`. */
function intervalText(x: string): string {
  const us = `epoch_us(${x})`;
  const a = `abs(${us})`;
  return `printf('%s%d:%02d:%02d.%06d', CASE WHEN ${us} < 0 THEN '-' ELSE '' END, ${a} // 3600000000, (${a} // 60000000) % 60, (${a} // 1000000) % 60, ${a} % 1000000)`;
}

/** Text of a value without quoting (NULL stays NULL). */
function plainText(cat: Category, x: string): string {
  switch (cat) {
    case 'number':
    case 'float':
    case 'time':
    case 'timestamp':
    case 'text':
      return `CAST(${x} AS VARCHAR)`;
    case 'bool':
      return `CAST(CAST(${x} AS TINYINT) AS VARCHAR)`;
    case 'date':
      return `strftime(${x}, '%Y-%m-%d')`;
    case 'timestamp_ns':
      return `CAST(CAST(${x} AS TIMESTAMP) AS VARCHAR)`;
    case 'timestamptz':
      return `CAST(timezone('UTC', ${x}) AS VARCHAR)`;
    case 'interval':
      return intervalText(x);
    case 'nested':
      return `CAST(to_json(${x}) AS VARCHAR)`;
    case 'blob':
      return `hex(${x})`;
    case 'bit':
      return `CAST(CAST(${x} AS UBIGINT) AS VARCHAR)`;
  }
}

/** A MySQL literal for one value (INSERT path). */
function sqlLiteral(cat: Category, x: string): string {
  switch (cat) {
    case 'number':
    case 'float':
    case 'bool':
    case 'bit':
      return `coalesce(${plainText(cat, x)}, ${SQL_NULL})`;
    case 'blob':
      return `coalesce(${lit("X'")} || hex(${x}) || ${lit("'")}, ${SQL_NULL})`;
    case 'text':
    case 'nested':
      return `coalesce(${quoted(sqlEscape(plainText(cat, x)))}, ${SQL_NULL})`;
    default:
      return `coalesce(${quoted(plainText(cat, x))}, ${SQL_NULL})`;
  }
}

/** A LOAD DATA field for one value. */
function tsvField(cat: Category, x: string): string {
  const text = plainText(cat, x);
  return `coalesce(${cat === 'text' || cat === 'nested' ? tsvEscape(text) : text}, ${TSV_NULL})`;
}

/** Bytes allowed in the socket's write buffer before the LOAD DATA stream waits for the server. */
const WRITE_BUFFER_LIMIT = 4 * 1024 * 1024;

const BINARY_TARGETS = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

export interface LoadColumn {
  /** Input column (DuckDB). */
  input: string;
  /** Target column (MySQL). */
  target: string;
  category: Category;
  /** information_schema DATA_TYPE of the target column, when the table exists. */
  targetDataType: string | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Loading

interface LoadOptions {
  ctx: StepContext;
  client: MysqlClient;
  duck: DuckDBConnection;
  inputTable: string;
  /** Quoted target (`db`.`t` or `t`). */
  target: string;
  columns: LoadColumn[];
  method: LoadMethod;
  batchSize: number;
  /** Largest packet the server takes (bytes). */
  maxPacket: number;
  setStream: (stream: Readable | undefined) => void;
  /** Rows already written by earlier loads of this step (for progress). */
  progressBase: number;
}

const STRING_TARGETS = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  ...BINARY_TARGETS,
]);

/** Target columns holding text or bytes (lower case), where "data truncated" means "value too long". */
function stringColumns(columns: LoadColumn[]): Set<string> {
  return new Set(
    columns
      .filter((c) =>
        c.targetDataType === undefined
          ? c.category === 'text' || c.category === 'blob'
          : STRING_TARGETS.has(c.targetDataType.toLowerCase()),
      )
      .map((c) => c.target.toLowerCase()),
  );
}

/**
 * The server's first warnings as an error (LOAD DATA LOCAL downgrades errors to warnings). A truncated
 * string column (warning 1265) is reported as "value too long" (1406), what a strict INSERT says.
 */
async function warningsError(
  client: MysqlClient,
  summary: string,
  strings: Set<string> = new Set(),
): Promise<Error> {
  const rows = await client.rows('SHOW WARNINGS LIMIT 5').catch(() => [] as Record<string, unknown>[]);
  const first = rows.find((r) => String(r.Level) !== 'Note') ?? rows[0];
  if (!first) return new Error(`the server reported a problem but no warning text (${summary})`);
  const more = rows.length > 1 ? ` (and ${rows.length - 1} more warning(s); ${summary})` : ` (${summary})`;
  let errno = Number(first.Code);
  const column = /column '([^']+)'/.exec(String(first.Message))?.[1];
  if (errno === 1265 && column !== undefined && strings.has(column.toLowerCase())) errno = 1406;
  return Object.assign(new Error(`${String(first.Message)}${more}`), {
    errno,
    sqlMessage: `${String(first.Message)}${more}`,
    code: Number(first.Code) === 1062 ? 'ER_DUP_ENTRY' : '',
  });
}

/** Streams the input into `target` and returns the rows sent (checked against what the server took). */
async function loadRows(o: LoadOptions): Promise<number> {
  const { ctx, client } = o;
  const x = (c: LoadColumn) => quoteIdent(c.input);
  if (o.method === 'insert') {
    const row = o.columns.map((c) => sqlLiteral(c.category, x(c))).join(` || ',' || `);
    const result = await o.duck.stream(`SELECT '(' || ${row} || ')' FROM ${o.inputTable}`);
    const prefix = `INSERT INTO ${o.target} (${o.columns.map((c) => quoteMysqlIdent(c.target)).join(', ')}) VALUES `;
    // UTF-16 length × 3 bounds the UTF-8 size; keep a statement under half the packet limit.
    const maxChars = Math.max(64 * 1024, Math.floor(o.maxPacket / 6));
    let buf: string[] = [];
    let chars = 0;
    let sent = 0;
    let inflight: { promise: Promise<MysqlOk>; rows: number } | undefined;
    const settle = async () => {
      if (!inflight) return;
      const { promise, rows } = inflight;
      inflight = undefined;
      const ok = await promise;
      if (ok.warningStatus > 0 || ok.affectedRows !== rows)
        throw await warningsError(
          client,
          `${ok.affectedRows} of ${rows} rows inserted`,
          stringColumns(o.columns),
        );
      sent += rows;
      ctx.progress(o.progressBase + sent);
    };
    const send = async () => {
      if (!buf.length) return;
      const sql = prefix + buf.join(',');
      const rows = buf.length;
      buf = [];
      chars = 0;
      await settle();
      const promise = client.run(sql);
      promise.catch(() => undefined);
      // One statement in flight: DuckDB renders the next batch while MySQL inserts this one.
      inflight = { promise, rows };
    };
    for await (const chunk of result) {
      for (const value of chunk.getColumnValues(0) as string[]) {
        buf.push(value);
        chars += value.length + 1;
        if (buf.length >= o.batchSize || chars >= maxChars) await send();
      }
    }
    await send();
    await settle();
    return sent;
  }

  // LOAD DATA LOCAL INFILE from a stream, throttled to what the server takes.
  const fields = o.columns.map((c) => tsvField(c.category, x(c))).join(' || chr(9) || ');
  const result = await o.duck.stream(`SELECT ${fields} FROM ${o.inputTable}`);
  const spec: string[] = [];
  const sets: string[] = [];
  o.columns.forEach((c, i) => {
    const target = quoteMysqlIdent(c.target);
    const dt = c.targetDataType?.toLowerCase();
    if (c.category === 'blob' && (dt === undefined || BINARY_TARGETS.has(dt))) {
      spec.push(`@v${i}`);
      sets.push(`${target} = UNHEX(@v${i})`);
    } else if (dt === 'bit') {
      spec.push(`@v${i}`);
      sets.push(`${target} = CAST(@v${i} AS UNSIGNED)`);
    } else spec.push(target);
  });
  const maxBytes = Math.max(16 * 1024, Math.min(1 << 20, Math.floor(o.maxPacket / 4)));
  let streamed = 0;
  async function* lines(): AsyncGenerator<Buffer> {
    let parts: string[] = [];
    let size = 0;
    let rows = 0;
    for await (const chunk of result) {
      for (const line of chunk.getColumnValues(0) as string[]) {
        parts.push(line);
        size += line.length * 3 + 1;
        rows += 1;
        if (rows >= o.batchSize || size >= maxBytes) {
          await client.writeBufferBelow(WRITE_BUFFER_LIMIT);
          yield Buffer.from(`${parts.join('\n')}\n`, 'utf8');
          streamed += rows;
          ctx.progress(o.progressBase + streamed);
          parts = [];
          size = 0;
          rows = 0;
        }
      }
    }
    if (parts.length) {
      yield Buffer.from(`${parts.join('\n')}\n`, 'utf8');
      streamed += rows;
      ctx.progress(o.progressBase + streamed);
    }
  }
  o.setStream(Readable.from(lines()));
  try {
    const ok = await client.run(
      `LOAD DATA LOCAL INFILE 'osiris-input' INTO TABLE ${o.target} CHARACTER SET utf8mb4 ` +
        String.raw`FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' ` +
        `(${spec.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`,
    );
    if (ok.warningStatus > 0 || ok.affectedRows !== streamed)
      throw await warningsError(
        client,
        `${ok.affectedRows} of ${streamed} rows loaded; ${ok.info.trim()}`,
        stringColumns(o.columns),
      );
    return streamed;
  } finally {
    o.setStream(undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Target inspection

interface TargetColumn {
  name: string;
  dataType: string;
  columnType: string;
}

interface TargetInfo {
  exists: boolean;
  kind: 'table' | 'view' | undefined;
  engine: string | undefined;
  columns: TargetColumn[];
}

async function inspectTarget(client: MysqlClient, table: string): Promise<TargetInfo> {
  const [t] = await client.rows(
    `SELECT TABLE_TYPE AS k, ENGINE AS e FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );
  if (!t) return { exists: false, kind: undefined, engine: undefined, columns: [] };
  const cols = await client.rows(
    `SELECT COLUMN_NAME AS n, DATA_TYPE AS dt, COLUMN_TYPE AS ct FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return {
    exists: true,
    kind: /VIEW/i.test(String(t.k)) ? 'view' : 'table',
    engine: t.e === null || t.e === undefined ? undefined : String(t.e),
    columns: cols.map((c) => ({ name: String(c.n), dataType: String(c.dt), columnType: String(c.ct) })),
  };
}

/** Unique indexes of the target: name → columns in order. */
async function uniqueKeys(client: MysqlClient, table: string): Promise<Map<string, string[]>> {
  const rows = await client.rows(
    `SELECT INDEX_NAME AS i, COLUMN_NAME AS c FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [table],
  );
  const keys = new Map<string, string[]>();
  for (const r of rows) {
    const name = String(r.i);
    keys.set(name, [...(keys.get(name) ?? []), String(r.c)]);
  }
  return keys;
}

/** What a RENAME swap would break: foreign keys to or from the table, triggers on it. */
async function swapBlockers(client: MysqlClient, table: string): Promise<string[]> {
  const found: string[] = [];
  const fks = await client.rows(
    `SELECT CONSTRAINT_SCHEMA AS s, TABLE_NAME AS t, CONSTRAINT_NAME AS c, REFERENCED_TABLE_NAME AS r
       FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE (UNIQUE_CONSTRAINT_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = ?)
         OR (CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?)`,
    [table, table],
  );
  for (const fk of fks) found.push(`foreign key ${String(fk.c)} (${String(fk.t)} → ${String(fk.r)})`);
  const triggers = await client.rows(
    `SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS
      WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?`,
    [table],
  );
  for (const t of triggers) found.push(`trigger ${String(t.n)}`);
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Input checks (DuckDB side, before the target is touched)

function findColumn(columns: ColumnInfo[], name: string): ColumnInfo | undefined {
  return (
    columns.find((c) => c.name === name) ?? columns.find((c) => c.name.toLowerCase() === name.toLowerCase())
  );
}

async function checkInput(
  ctx: StepContext,
  inputTable: string,
  columns: { info: ColumnInfo; category: Category }[],
  keyColumns: string[],
  checkDuplicates: boolean,
): Promise<void> {
  const checks: { column: string; expr: string; problem: string }[] = [];
  for (const { info, category } of columns) {
    const x = quoteIdent(info.name);
    if (category === 'float')
      checks.push({
        column: info.name,
        expr: `isinf(${x}) OR isnan(${x})`,
        problem: 'infinite or NaN values',
      });
    if (
      category === 'date' ||
      category === 'timestamp' ||
      category === 'timestamptz' ||
      category === 'timestamp_ns'
    )
      checks.push({ column: info.name, expr: `isinf(${x})`, problem: "'infinity' values" });
    if (category === 'timestamp_ns')
      checks.push({
        column: info.name,
        expr: `epoch_ns(${x}) % 1000 <> 0`,
        problem: 'nanoseconds (MySQL keeps microseconds)',
      });
    if (category === 'interval')
      checks.push({
        column: info.name,
        expr: `datepart('month', ${x}) <> 0 OR datepart('year', ${x}) <> 0`,
        problem: 'intervals with months or years (MySQL TIME holds hours, minutes and seconds)',
      });
  }
  for (const key of keyColumns)
    checks.push({ column: key, expr: `${quoteIdent(key)} IS NULL`, problem: 'NULL key values' });
  if (checks.length) {
    const select = checks.map((c, i) => `count(*) FILTER (WHERE ${c.expr}) AS c${i}`).join(', ');
    const reader = await ctx.duck.runAndReadAll(`SELECT ${select} FROM ${inputTable}`);
    const counts = reader.getRows()[0] ?? [];
    checks.forEach((c, i) => {
      const n = Number(counts[i] ?? 0);
      if (n > 0)
        throw new StepError(
          'write.value_unrepresentable',
          `step '${ctx.stepId}': input column '${c.column}' has ${n} row(s) with ${c.problem}, which MySQL cannot store`,
          'filter or convert these values upstream (e.g. in a duckdb.processor step)',
          { details: { column: c.column, rows: n } },
        );
    });
  }
  if (checkDuplicates && keyColumns.length) {
    const keys = keyColumns.map(quoteIdent).join(', ');
    const reader = await ctx.duck.runAndReadAll(
      `SELECT ${keys}, count(*) AS n FROM ${inputTable} GROUP BY ${keys} HAVING count(*) > 1 ORDER BY n DESC, ${keys} LIMIT 1`,
    );
    const dup = reader.getRowsJson()[0];
    if (dup) {
      const values = keyColumns.map((k, i) => `${k}=${JSON.stringify(dup[i])}`).join(', ');
      throw new StepError(
        'write.duplicate_key',
        `step '${ctx.stepId}': the input holds key (${values}) ${String(dup[keyColumns.length])} times; an upsert needs each key once`,
        'remove the duplicates upstream (e.g. SELECT DISTINCT ON / QUALIFY row_number() … = 1)',
        { details: { columns: keyColumns, value: values } },
      );
    }
  }
}

async function columnStats(
  ctx: StepContext,
  inputTable: string,
  columns: { info: ColumnInfo; category: Category }[],
) {
  const parts: string[] = [];
  const wanted: { name: string; field: keyof ColumnStats }[] = [];
  for (const { info, category } of columns) {
    const x = quoteIdent(info.name);
    if (category === 'text' && info.type.toUpperCase() !== 'JSON') {
      parts.push(`max(length(CAST(${x} AS VARCHAR)))`, `max(strlen(CAST(${x} AS VARCHAR)))`);
      wanted.push({ name: info.name, field: 'maxChars' }, { name: info.name, field: 'maxBytes' });
    } else if (category === 'blob') {
      parts.push(`max(octet_length(${x}))`);
      wanted.push({ name: info.name, field: 'maxBytes' });
    } else if (category === 'bit') {
      parts.push(`max(bit_length(${x}))`);
      wanted.push({ name: info.name, field: 'maxBits' });
    }
  }
  const stats = new Map<string, ColumnStats>();
  if (!parts.length) return stats;
  const reader = await ctx.duck.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${inputTable}`);
  const row = reader.getRows()[0] ?? [];
  wanted.forEach((w, i) => {
    const v = row[i];
    const s = stats.get(w.name) ?? {};
    s[w.field] = v === null || v === undefined ? null : Number(v);
    stats.set(w.name, s);
  });
  return stats;
}

// ---------------------------------------------------------------------------------------------------------

const STAGE_TAG = '__osiris_stage_';
const OLD_TAG = '__osiris_old_';

/** `<table><tag><hex>` cut to MySQL's 64 characters. */
function sideName(table: string, tag: string, id: string): string {
  const suffix = `${tag}${id}`;
  return `${table.slice(0, 64 - suffix.length)}${suffix}`;
}

async function sessionSqlMode(client: MysqlClient): Promise<void> {
  const [row] = await client.rows('SELECT @@SESSION.sql_mode AS m');
  const modes = new Set(
    String(row?.m ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean),
  );
  // Strict: a value that does not fit fails instead of being truncated. Backslash escapes: the loaders use them.
  // NO_AUTO_VALUE_ON_ZERO: an input 0 in an AUTO_INCREMENT column stays 0.
  modes.add('STRICT_ALL_TABLES');
  modes.add('NO_AUTO_VALUE_ON_ZERO');
  modes.delete('NO_BACKSLASH_ESCAPES');
  await client.query('SET SESSION sql_mode = ?', [[...modes].join(',')]);
}

function throwIfCancelled(ctx: StepContext): void {
  if (ctx.signal.aborted) throw stepCancelled(ctx.signal.reason);
}

export const driver: Driver = {
  async run(ctx: StepContext): Promise<StepResult> {
    const wp = plan(ctx);
    throwIfCancelled(ctx);
    if (ctx.inputs.length !== 1)
      throw new StepError(
        'config.invalid',
        `step '${ctx.stepId}': mysql.writer needs exactly one input (needs: [<step id>]), got ${ctx.inputs.length}`,
      );
    const input = ctx.inputs[0] as (typeof ctx.inputs)[number];
    const started = Date.now();
    const inputColumns = await describeTable(ctx.duck, input.table);
    const categorized = inputColumns.map((info) => {
      const category = categoryOf(info.type);
      if (category === undefined)
        throw new StepError(
          'write.type_unsupported',
          `step '${ctx.stepId}': input column '${info.name}' has DuckDB type ${info.type}, which mysql.writer cannot write`,
          'CAST the column to VARCHAR (or another plain type) in a duckdb.processor step',
          { details: { column: info.name, type: info.type } },
        );
      return { info, category };
    });
    const keyColumns = wp.primaryKey.map((k) => {
      const found = findColumn(inputColumns, k);
      if (!found)
        throw new StepError(
          'config.invalid',
          `step '${ctx.stepId}': primary_key column '${k}' is not in the input (columns: ${inputColumns.map((c) => c.name).join(', ')})`,
          undefined,
          { details: { key: 'primary_key', column: k } },
        );
      return found.name;
    });
    const rowsIn = await tableRowCount(ctx.duck, input.table);
    const settings: MysqlSettings = mysqlSettings(ctx.connection, {
      config: ctx.config,
      stepId: ctx.stepId,
      requireDatabase: true,
    });
    const ref = connectionRef(ctx.connection, ctx.stepId);
    const shownTable = `${settings.database}.${wp.table}`;
    if (rowsIn === 0 && !wp.allowEmpty)
      throw new StepError(
        'write.empty_input',
        `step '${ctx.stepId}': the input from '${input.stepId}' is empty; refusing to ${wp.mode === 'replace' ? 'replace' : 'write'} ${ref} table '${shownTable}' with no rows`,
        "set 'allow_empty: true' if an empty input is expected (with write_mode replace it empties the table)",
        { details: { connection: ref, table: wp.table, upstream_step: input.stepId } },
      );
    await checkInput(
      ctx,
      input.table,
      categorized,
      wp.mode === 'upsert' ? keyColumns : [],
      wp.mode === 'upsert',
    );

    const errorContext = { settings, phase: 'write' as const, stepId: ctx.stepId, table: shownTable };
    let stream: Readable | undefined;
    const setStream = (s: Readable | undefined) => {
      stream = s;
    };
    let client: MysqlClient | undefined;
    let stopWatching: (() => Promise<void>) | undefined;
    /** Tables this step created and must drop if it fails. */
    const cleanup: string[] = [];
    const id = randomBytes(4).toString('hex');
    const onAbort = () => {
      client?.abort().catch(() => undefined);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      client = await MysqlClient.connect(settings, {
        infileStreamFactory: () =>
          stream ??
          Readable.from(
            (async function* () {
              yield* [];
              throw new Error('the server asked for a local file outside a load');
            })(),
          ),
      });
      const c = client;
      // A KILL of this session is noticed within a second or two, not when the server's rollback ends.
      stopWatching = await c.watchForKill();
      throwIfCancelled(ctx);
      await lockMysqlTarget(ctx, c, {
        database: String(settings.database),
        table: wp.table,
        shown: shownTable,
        ref,
      });
      await sessionSqlMode(c);
      const [vars] = await c.rows('SELECT @@local_infile AS li, @@max_allowed_packet AS mp');
      const localInfile = String(vars?.li ?? '0') === '1' || String(vars?.li).toUpperCase() === 'ON';
      const maxPacket = Number(vars?.mp ?? 4 * 1024 * 1024) || 4 * 1024 * 1024;
      const method: LoadMethod = wp.method ?? (localInfile ? 'load_data' : 'insert');
      const target = await inspectTarget(c, wp.table);
      if (target.kind === 'view')
        throw new StepError(
          'write.schema_mismatch',
          `step '${ctx.stepId}': ${ref} '${shownTable}' is a view; mysql.writer writes tables`,
          undefined,
          { details: { connection: ref, table: wp.table } },
        );
      if (!target.exists && !wp.createIfMissing)
        throw new StepError(
          'write.table_not_found',
          `step '${ctx.stepId}': ${ref} table '${shownTable}' does not exist and create_if_missing is false`,
          "create the table first or set 'create_if_missing: true'",
          { details: { connection: ref, table: wp.table } },
        );

      // Map input columns to target columns (MySQL column names are case-insensitive).
      const columns: LoadColumn[] = categorized.map(({ info, category }) => {
        if (!target.exists)
          return { input: info.name, target: info.name, category, targetDataType: undefined };
        const t =
          target.columns.find((tc) => tc.name === info.name) ??
          target.columns.find((tc) => tc.name.toLowerCase() === info.name.toLowerCase());
        if (!t)
          throw new StepError(
            'write.schema_mismatch',
            `step '${ctx.stepId}': ${ref} table '${shownTable}' has no column '${info.name}' (it has: ${target.columns.map((tc) => tc.name).join(', ')})`,
            'add the column to the table, or drop/rename it upstream',
            { details: { connection: ref, table: wp.table, column: info.name } },
          );
        return { input: info.name, target: t.name, category, targetDataType: t.dataType };
      });
      const targetKeys = keyColumns.map((k) => columns.find((col) => col.input === k)?.target ?? k);

      if (target.exists && target.engine !== undefined && !/innodb|xtradb/i.test(target.engine))
        ctx.emit('non_transactional_target', {
          level: 'warning',
          table: shownTable,
          engine: target.engine,
          message: `${shownTable} uses ${target.engine}, which cannot roll a failed load back`,
        });

      const loadInto = async (quotedTable: string, base: number): Promise<number> => {
        await c.query('START TRANSACTION');
        try {
          const sent = await loadRows({
            ctx,
            client: c,
            duck: ctx.duck,
            inputTable: input.table,
            target: quotedTable,
            columns,
            method,
            batchSize: wp.batchSize,
            maxPacket,
            setStream,
            progressBase: base,
          });
          throwIfCancelled(ctx);
          await c.query('COMMIT');
          return sent;
        } catch (error) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      };
      const countRows = async (quotedTable: string) => {
        const [r] = await c.rows(`SELECT COUNT(*) AS n FROM ${quotedTable}`);
        return Number(r?.n ?? -1);
      };
      const stageLoaded = async (stage: string, createSql: string): Promise<number> => {
        const quotedStage = quoteMysqlIdent(stage);
        cleanup.push(stage);
        await c.query(createSql);
        const sent = await loadInto(quotedStage, 0);
        const n = await countRows(quotedStage);
        if (n !== rowsIn || sent !== rowsIn)
          throw new StepError(
            'write.failed',
            `step '${ctx.stepId}': staging table for '${shownTable}' holds ${n} rows after sending ${sent} of ${rowsIn}; the target is unchanged`,
            undefined,
            { details: { connection: ref, table: wp.table, rows_expected: rowsIn, rows_found: n } },
          );
        return sent;
      };

      let rowsWritten = 0;
      const quotedTarget = quoteMysqlIdent(wp.table);
      ctx.emit('write_started', {
        connection: ref,
        table: shownTable,
        write_mode: wp.mode,
        method,
        rows: rowsIn,
        create: !target.exists,
        // The server's id of this session (PROCESSLIST ID, CONNECTION_ID()), to find it on the server.
        connection_id: c.threadId,
      });

      if (!target.exists) {
        // Create as a staging table, load, rename into place: a failed first load leaves nothing behind.
        const stats = await columnStats(ctx, input.table, categorized);
        const defs = categorized.map(({ info }) => {
          const isKey = keyColumns.includes(info.name);
          const type = mysqlTypeForDuckdb(info.type, stats.get(info.name), isKey);
          if (type === undefined)
            throw new StepError(
              'write.type_unsupported',
              `step '${ctx.stepId}': no MySQL type for input column '${info.name}' (${info.type})`,
              'CAST the column to a plain type upstream',
              { details: { column: info.name, type: info.type } },
            );
          return `${quoteMysqlIdent(info.name)} ${type} ${isKey ? 'NOT NULL' : 'NULL'}`;
        });
        if (keyColumns.length) defs.push(`PRIMARY KEY (${keyColumns.map(quoteMysqlIdent).join(', ')})`);
        const stage = sideName(wp.table, STAGE_TAG, id);
        const ddl = `CREATE TABLE ${quoteMysqlIdent(stage)} (${defs.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
        rowsWritten = await stageLoaded(stage, ddl);
        throwIfCancelled(ctx);
        await c.query(`RENAME TABLE ${quoteMysqlIdent(stage)} TO ${quotedTarget}`);
        cleanup.splice(cleanup.indexOf(stage), 1);
        ctx.emit('table_created', { connection: ref, table: shownTable, ddl: ddl.replace(stage, wp.table) });
      } else if (wp.mode === 'append') {
        rowsWritten = await loadInto(quotedTarget, 0);
      } else if (wp.mode === 'replace') {
        const blockers = await swapBlockers(c, wp.table);
        if (blockers.length)
          throw new StepError(
            'write.replace_unsupported',
            `step '${ctx.stepId}': ${ref} table '${shownTable}' has ${blockers.join(', ')}; replace swaps in a new table, which would lose or break them`,
            "use write_mode 'upsert' (or remove the foreign keys/triggers first)",
            { details: { connection: ref, table: wp.table, blockers } },
          );
        const stage = sideName(wp.table, STAGE_TAG, id);
        const old = sideName(wp.table, OLD_TAG, id);
        rowsWritten = await stageLoaded(stage, `CREATE TABLE ${quoteMysqlIdent(stage)} LIKE ${quotedTarget}`);
        // One RENAME of both tables is atomic: readers see the old or the new table, never none.
        throwIfCancelled(ctx);
        await c.query(
          `RENAME TABLE ${quotedTarget} TO ${quoteMysqlIdent(old)}, ${quoteMysqlIdent(stage)} TO ${quotedTarget}`,
        );
        cleanup.splice(cleanup.indexOf(stage), 1);
        try {
          await c.query(`DROP TABLE ${quoteMysqlIdent(old)}`);
        } catch (error) {
          ctx.emit('cleanup_failed', {
            level: 'warning',
            table: old,
            message: `the previous contents stay in table '${old}': ${error instanceof Error ? error.message : String(error)}`,
          });
        }
      } else {
        const keys = await uniqueKeys(c, wp.table);
        const wanted = [...targetKeys].map((k) => k.toLowerCase()).sort();
        const matching = [...keys.entries()].find(
          ([, cols]) =>
            cols.length === wanted.length &&
            [...cols]
              .map((k) => k.toLowerCase())
              .sort()
              .every((k, i) => k === wanted[i]),
        );
        if (!matching)
          throw new StepError(
            'write.schema_mismatch',
            `step '${ctx.stepId}': ${ref} table '${shownTable}' has no PRIMARY or UNIQUE key on (${targetKeys.join(', ')}); an upsert needs one`,
            `add it: ALTER TABLE ${wp.table} ADD UNIQUE (${targetKeys.join(', ')})`,
            { details: { connection: ref, table: wp.table, primary_key: targetKeys } },
          );
        if (keys.size > 1)
          ctx.emit('upsert_other_unique_keys', {
            level: 'warning',
            table: shownTable,
            keys: [...keys.keys()].filter((k) => k !== matching[0]),
            message: 'ON DUPLICATE KEY UPDATE also matches these unique keys',
          });
        const stage = sideName(wp.table, STAGE_TAG, id);
        const quotedStage = quoteMysqlIdent(stage);
        await stageLoaded(stage, `CREATE TABLE ${quotedStage} LIKE ${quotedTarget}`);
        const cols = columns.map((col) => quoteMysqlIdent(col.target));
        const keySet = new Set(targetKeys.map((k) => k.toLowerCase()));
        const updates = columns
          .filter((col) => !keySet.has(col.target.toLowerCase()))
          .map((col) => `${quoteMysqlIdent(col.target)} = s.${quoteMysqlIdent(col.target)}`);
        if (!updates.length) {
          const k = quoteMysqlIdent(targetKeys[0] as string);
          updates.push(`${k} = ${quotedTarget}.${k}`);
        }
        await c.query('START TRANSACTION');
        try {
          const ok = await c.run(
            `INSERT INTO ${quotedTarget} (${cols.join(', ')}) SELECT ${cols.map((col) => `s.${col}`).join(', ')} FROM ${quotedStage} AS s ON DUPLICATE KEY UPDATE ${updates.join(', ')}`,
          );
          if (ok.warningStatus > 0) throw await warningsError(c, `${ok.affectedRows} rows affected`);
          throwIfCancelled(ctx);
          await c.query('COMMIT');
          // With CLIENT_FOUND_ROWS (mysql2's default) an insert counts 1 and a matched row 2.
          const updated = Math.max(0, ok.affectedRows - rowsIn);
          ctx.emit('upsert_counts', { table: shownTable, inserted: rowsIn - updated, updated });
        } catch (error) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        rowsWritten = rowsIn;
        cleanup.splice(cleanup.indexOf(stage), 1);
        await c.query(`DROP TABLE ${quotedStage}`).catch((error: unknown) =>
          ctx.emit('cleanup_failed', {
            level: 'warning',
            table: stage,
            message: `staging table '${stage}' was not dropped: ${error instanceof Error ? error.message : String(error)}`,
          }),
        );
      }
      ctx.progress(rowsWritten);
      ctx.metric('rows_written', rowsWritten, 'rows');
      ctx.metric('duration_ms', Date.now() - started, 'ms');
      await c.end();
      return { rowsIn, rowsWritten, outputs: [`${ref}/${shownTable}`] };
    } catch (error) {
      await client?.abort();
      if (cleanup.length) await dropLeftovers(ctx, settings, cleanup);
      if (ctx.signal.aborted) throw stepCancelled(error);
      throw mysqlStepError(error, errorContext);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await stopWatching?.();
    }
  },
};

/** Drops staging tables of a failed write on a fresh connection (the step's own may be dead). */
async function dropLeftovers(ctx: StepContext, settings: MysqlSettings, tables: string[]): Promise<void> {
  let cleaner: MysqlClient | undefined;
  try {
    cleaner = await MysqlClient.connect(settings);
    for (const t of tables) await cleaner.query(`DROP TABLE IF EXISTS ${quoteMysqlIdent(t)}`);
  } catch (error) {
    const details: Record<string, JsonValue> = {
      level: 'warning',
      tables,
      message: `could not drop staging table(s) ${tables.join(', ')}: ${error instanceof Error ? error.message : String(error)}`,
    };
    ctx.emit('cleanup_failed', details);
  } finally {
    await cleaner?.end().catch(() => undefined);
  }
}
