/**
 * filesystem.csv_extractor: reads a delimited text file into the step's output table with DuckDB's CSV
 * reader (type inference, strict mode: a row with the wrong number of fields fails the step with the
 * file and line instead of being padded or dropped).
 *
 * Exact decimals: DuckDB's sniffer reads fractional numbers as DOUBLE. With `exact_decimals` (default) such
 * columns are loaded as text and then converted to DECIMAL(p,s) sized to the data, when every value is a
 * plain decimal of at most 38 digits; otherwise to DOUBLE.
 */
import { existsSync, statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  type ColumnInfo,
  describeTable,
  quoteIdent,
  quoteLiteral,
  runTracked,
  tableRowCount,
} from '../../runtime/dataplane.js';
import { type Driver, type StepContext, StepError, type StepResult } from '../../runtime/driver.js';
import { messageOf, parseDuckDBError } from '../../runtime/duckdb-errors.js';
import { displayPath, resolveStepPath } from '../../runtime/file-output.js';
import { StepConfig } from '../../runtime/step-config.js';

const ENCODINGS: Record<string, string> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  ascii: 'utf-8',
  'latin-1': 'latin-1',
  latin1: 'latin-1',
  'iso-8859-1': 'latin-1',
  'utf-16': 'utf-16',
};

/** DuckDB's type candidates without DATE, TIME and TIMESTAMP (`parse_dates: false`). */
const TEXT_DATES = "['BOOLEAN', 'BIGINT', 'DOUBLE', 'VARCHAR']";

/** pandas dtype names (the Python Osiris's `dtype`) → DuckDB types; anything else is taken as a DuckDB type. */
const PANDAS_TYPES: Record<string, string> = {
  str: 'VARCHAR',
  string: 'VARCHAR',
  object: 'VARCHAR',
  category: 'VARCHAR',
  int: 'BIGINT',
  int64: 'BIGINT',
  int32: 'INTEGER',
  int16: 'SMALLINT',
  int8: 'TINYINT',
  uint64: 'UBIGINT',
  uint32: 'UINTEGER',
  float: 'DOUBLE',
  float64: 'DOUBLE',
  float32: 'FLOAT',
  bool: 'BOOLEAN',
  boolean: 'BOOLEAN',
  datetime64: 'TIMESTAMP',
  'datetime64[ns]': 'TIMESTAMP',
  'datetime64[us]': 'TIMESTAMP',
  'datetime64[ms]': 'TIMESTAMP',
  'datetime64[s]': 'TIMESTAMP',
};

function pandasTypes(dtype: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(dtype).map(([column, type]) => [column, PANDAS_TYPES[type.toLowerCase()] ?? type]),
  );
}

/** The original's `compression` values → DuckDB's; the ones DuckDB cannot read are refused. */
function compressionOf(cfg: StepConfig, value: string): string {
  if (value === 'infer' || value === 'auto') return 'auto';
  if (value === 'gzip' || value === 'zstd' || value === 'none') return value;
  throw cfg.invalid(
    'compression',
    'infer, gzip, zstd or none (DuckDB cannot read bz2, zip or xz)',
    'decompress the file first, or recompress it with gzip',
  );
}

interface ReadPlan {
  /** The file (or glob) as DuckDB should read it. */
  file: string;
  /** The path as the user sees it in messages. */
  shown: string;
  /** read_csv options except `types`. */
  options: string[];
  /** Explicit column types (from `columns` as a mapping). */
  types: Record<string, string>;
  /** Columns to keep, in order (from `columns` as a list). */
  select: string[] | undefined;
  limit: number | undefined;
  exactDecimals: boolean;
}

function baseDirOf(ctx: StepContext, cfg: StepConfig): string | undefined {
  const own = cfg.string('base_dir');
  if (own !== undefined) return own;
  const conn = ctx.connection;
  if (!conn) return undefined;
  if (conn.family !== 'filesystem')
    throw new StepError(
      'connection.invalid_config',
      `step '${ctx.stepId}': connection '@${conn.family}.${conn.alias}' is not a filesystem connection`,
      "use a '@filesystem.<alias>' connection or none",
    );
  const dir = conn.fields.base_dir;
  return typeof dir === 'string' && dir !== '' ? dir : undefined;
}

function plan(ctx: StepContext): ReadPlan {
  const cfg = StepConfig.of(ctx);
  const path = cfg.requiredString('path');
  const file = resolveStepPath(ctx.projectRoot, path, baseDirOf(ctx, cfg));
  const shown = displayPath(ctx.projectRoot, file);

  const delimiter = cfg.string('delimiter', ',');
  if ([...delimiter].length !== 1) throw cfg.invalid('delimiter', 'one character');
  const encodingName = cfg.string('encoding', 'utf-8').toLowerCase();
  const encoding = ENCODINGS[encodingName];
  if (!encoding) throw cfg.invalid('encoding', `one of ${Object.keys(ENCODINGS).join(', ')}`);

  const headerValue = ctx.config.header;
  let header = true;
  let skip = cfg.integer('skip_rows', 0, 0);
  if (typeof headerValue === 'number') {
    if (!Number.isSafeInteger(headerValue) || headerValue < 0)
      throw cfg.invalid('header', 'true, false or a row index ≥ 0');
    skip += headerValue;
  } else header = cfg.boolean('header', true);

  const options = [
    `delim = ${quoteLiteral(delimiter)}`,
    `header = ${header}`,
    `skip = ${skip}`,
    `encoding = ${quoteLiteral(encoding)}`,
    'strict_mode = true',
    'null_padding = false',
    'allow_quoted_nulls = false',
  ];
  const quote = cfg.string('quote');
  if (quote !== undefined) {
    if ([...quote].length > 1) throw cfg.invalid('quote', 'one character (or empty for none)');
    options.push(`quote = ${quoteLiteral(quote)}`);
  }
  const escapeChar = cfg.string('escape');
  if (escapeChar !== undefined) {
    if ([...escapeChar].length > 1) throw cfg.invalid('escape', 'one character (or empty for none)');
    options.push(`escape = ${quoteLiteral(escapeChar)}`);
  }
  const comment = cfg.string('comment');
  if (comment !== undefined) options.push(`comment = ${quoteLiteral(comment)}`);
  const nulls = [...(cfg.stringList('null_values') ?? []), ...(cfg.stringList('na_values') ?? [])];
  if (nulls.length) options.push(`nullstr = [${[...new Set(nulls)].map(quoteLiteral).join(', ')}]`);
  const sample = cfg.integer('sample_size', -1);
  if (sample !== undefined) {
    if (sample === 0) throw cfg.invalid('sample_size', 'a positive row count or -1 (the whole file)');
    options.push(`sample_size = ${sample}`);
  }
  if (!cfg.boolean('infer_types', true)) options.push('all_varchar = true');

  const parseDates = ctx.config.parse_dates;
  if (parseDates === false) options.push(`auto_type_candidates = ${TEXT_DATES}`);
  const compression = cfg.string('compression');
  if (compression !== undefined)
    options.push(`compression = ${quoteLiteral(compressionOf(cfg, compression))}`);

  let types: Record<string, string> = {
    ...(Array.isArray(parseDates)
      ? Object.fromEntries(cfg.stringList('parse_dates')?.map((c) => [c, 'TIMESTAMP']) ?? [])
      : {}),
    ...pandasTypes(cfg.stringMap('dtype') ?? {}),
  };
  let select: string[] | undefined;
  const columns = ctx.config.columns;
  if (Array.isArray(columns)) select = cfg.stringList('columns');
  else if (columns !== undefined && columns !== null)
    types = { ...types, ...(cfg.stringMap('columns') ?? {}) };

  return {
    file,
    shown,
    options,
    types,
    select,
    limit: cfg.integer('limit', 1),
    exactDecimals: cfg.boolean('exact_decimals', true) && cfg.boolean('infer_types', true),
  };
}

function readCsv(p: ReadPlan, types: Record<string, string>, extra: string[] = []): string {
  const opts = [...p.options, ...extra];
  const entries = Object.entries(types);
  if (entries.length)
    opts.push(`types = {${entries.map(([k, v]) => `${quoteLiteral(k)}: ${quoteLiteral(v)}`).join(', ')}}`);
  return `read_csv(${quoteLiteral(p.file)}, ${opts.join(', ')})`;
}

function selectSql(p: ReadPlan, types: Record<string, string>, source = readCsv(p, types)): string {
  const cols = p.select ? p.select.map(quoteIdent).join(', ') : '*';
  return `SELECT ${cols} FROM ${source}${p.limit !== undefined ? ` LIMIT ${p.limit}` : ''}`;
}

/**
 * The `read_csv(…)` call with what DuckDB's sniffer finds (dialect, formats, column types) written out and
 * `auto_detect=false`: the call `sniff_csv` itself prints. A fused chain binds its view several times (the
 * schema event, the writer's columns, the COPY, the preview), and each bind of a sniffing read_csv samples
 * the file again (0.1–0.2 s each). Undefined when sniff_csv cannot do it (a glob): the caller sniffs as usual.
 */
async function pinnedReadCsv(
  conn: DuckDBConnection,
  p: ReadPlan,
  types: Record<string, string>,
): Promise<string | undefined> {
  try {
    const sniff = readCsv(p, types).replace(/^read_csv\(/, 'sniff_csv(');
    const reader = await conn.runAndReadAll(`SELECT Prompt FROM ${sniff}`);
    const prompt = String(reader.getRows()[0]?.[0] ?? '').trim();
    // Its `new_line='\r\n'` reads no rows back (DuckDB 1.5): the reader finds line ends by itself.
    const call = /^FROM (read_csv\(.*\));?$/s.exec(prompt)?.[1]?.replace(/, new_line='[^']*'/, '');
    return call?.includes('auto_detect=false') ? call : undefined;
  } catch {
    return undefined;
  }
}

const GLOB = /[*?[]/;

function assertReadable(ctx: StepContext, p: ReadPlan): void {
  if (GLOB.test(p.file)) return;
  if (!existsSync(p.file))
    throw new StepError(
      'extract.path_not_found',
      `step '${ctx.stepId}': input file ${p.shown} not found`,
      `relative paths resolve against the project root (${ctx.projectRoot}) or the connection's base_dir`,
      { details: { path: p.file } },
    );
  if (statSync(p.file).isDirectory())
    throw new StepError(
      'extract.path_not_found',
      `step '${ctx.stepId}': ${p.shown} is a folder, not a file`,
      'give the path of a CSV file',
      {
        details: { path: p.file },
      },
    );
}

/**
 * Columns DuckDB would read as DOUBLE (and the user did not type): candidates for exact decimals.
 * Uses the sniffer only (a sample), so it is cheap.
 */
async function doubleColumns(conn: DuckDBConnection, p: ReadPlan): Promise<string[]> {
  const cols = await describeTable(conn, `(${selectSql({ ...p, limit: 0 }, p.types)})`);
  return cols.filter((c) => c.type === 'DOUBLE' && !(c.name in p.types)).map((c) => c.name);
}

const PLAIN_DECIMAL = '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)$';

/**
 * The type of each text column loaded for exact-decimal inference: DECIMAL(p,s) sized to the data when every
 * value is a plain decimal of at most 38 digits, else DOUBLE. One scan of `relation` for all columns.
 */
async function decimalTypes(
  conn: DuckDBConnection,
  relation: string,
  columns: string[],
): Promise<Map<string, string>> {
  const measures = columns.map((name) => {
    const col = quoteIdent(name);
    const v = `trim(${col})`;
    const digits = `regexp_replace(${v}, '^[+-]', '')`;
    return `coalesce(bool_and(regexp_matches(${v}, '${PLAIN_DECIMAL}')), false),
            max(length(ltrim(split_part(${digits}, '.', 1), '0'))),
            max(length(split_part(${digits}, '.', 2)))`;
  });
  const reader = await conn.runAndReadAll(`SELECT ${measures.join(',\n')} FROM ${relation}`);
  const row = reader.getRows()[0] ?? [];
  return new Map(
    columns.map((name, i) => {
      const [plain, intDigits, scaleDigits] = row.slice(i * 3, i * 3 + 3);
      const scale = Number(scaleDigits ?? 0);
      const precision = Math.max(Number(intDigits ?? 0) + scale, 1);
      return [name, plain === true && precision <= 38 ? `DECIMAL(${precision},${scale})` : 'DOUBLE'];
    }),
  );
}

/** Converts text columns loaded for exact-decimal inference to DECIMAL(p,s) or DOUBLE. */
async function settleDecimals(conn: DuckDBConnection, table: string, columns: string[]): Promise<void> {
  for (const [name, type] of await decimalTypes(conn, table, columns)) {
    const col = quoteIdent(name);
    await conn.run(
      `ALTER TABLE ${table} ALTER COLUMN ${col} TYPE ${type} USING CAST(trim(${col}) AS ${type})`,
    );
  }
}

/**
 * The SELECT a fused chain reads: the file as `run` would load it, exact decimals cast in the query (their
 * types measured by one scan of the file first).
 */
async function fusedSelect(conn: DuckDBConnection, p: ReadPlan, decimals: string[]): Promise<string> {
  const types = { ...p.types, ...Object.fromEntries(decimals.map((c) => [c, 'VARCHAR'])) };
  const select = selectSql(p, types, (await pinnedReadCsv(conn, p, types)) ?? readCsv(p, types));
  if (!decimals.length) return select;
  const settled = await decimalTypes(conn, `(${select})`, decimals);
  const columns = await describeTable(conn, `(${select})`);
  const list = columns.map((c) => {
    const col = quoteIdent(c.name);
    const type = settled.get(c.name);
    return type ? `CAST(trim(${col}) AS ${type}) AS ${col}` : col;
  });
  return `SELECT ${list.join(', ')} FROM (${select})`;
}

interface BadRow {
  line: number;
  error: string;
}

/** Finds the first malformed line by re-reading with DuckDB's reject store (only after a failure). */
async function firstBadRow(conn: DuckDBConnection, p: ReadPlan): Promise<BadRow | undefined> {
  const suffix = Math.random().toString(16).slice(2, 10);
  const errors = `osiris_rejects_${suffix}`;
  const scans = `osiris_reject_scans_${suffix}`;
  try {
    await conn.run(
      `SELECT count(*) FROM ${readCsv(p, p.types, ['store_rejects = true', `rejects_table = '${errors}'`, `rejects_scan = '${scans}'`])}`,
    );
    const reader = await conn.runAndReadAll(
      `SELECT line, error_type, error_message, column_name FROM ${errors} ORDER BY line, column_idx LIMIT 1`,
    );
    const row = reader.getRowObjects()[0];
    if (!row) return undefined;
    const column = row.column_name ? ` (column ${String(row.column_name)})` : '';
    return { line: Number(row.line), error: `${String(row.error_message).split('\n')[0]}${column}` };
  } catch {
    return undefined;
  } finally {
    await conn
      .run(`DROP TABLE IF EXISTS temp.main.${errors}; DROP TABLE IF EXISTS temp.main.${scans}`)
      .catch(() => {});
  }
}

async function toStepError(ctx: StepContext, p: ReadPlan, error: unknown): Promise<StepError> {
  if (error instanceof StepError) return error;
  const info = parseDuckDBError(error);
  const text = messageOf(error);
  const at = { path: p.file };
  if (/No files found that match the pattern/i.test(text))
    return new StepError(
      'extract.path_not_found',
      `step '${ctx.stepId}': no file matches ${p.shown}`,
      undefined,
      {
        cause: error,
        details: at,
      },
    );
  if (/permission denied/i.test(text))
    return new StepError(
      'extract.permission_denied',
      `step '${ctx.stepId}': cannot read ${p.shown}: permission denied`,
      undefined,
      {
        cause: error,
        details: at,
      },
    );
  if (/COLUMN_TYPES error|types\/dtypes/i.test(text) || (info.type === 'Binder' && /read_csv/.test(text)))
    return new StepError(
      'config.invalid',
      `step '${ctx.stepId}': ${info.message.split('\n')[0]}`,
      "check 'columns' against the file's header",
      {
        cause: error,
        details: at,
      },
    );
  if (info.type === 'Invalid Input' || info.type === 'Conversion' || /CSV Error|sniffing/i.test(text)) {
    const onLine = /CSV Error on Line: (\d+)/.exec(text);
    let bad: BadRow | undefined;
    if (onLine) {
      const detail = info.message
        .split('\n')
        .find((l) =>
          /Expected Number of Columns|Could not convert|Invalid unicode|Value with unterminated quote/i.test(
            l,
          ),
        );
      bad = { line: Number(onLine[1]), error: detail?.trim() ?? info.message.split('\n')[0] ?? '' };
    } else bad = await firstBadRow(ctx.duck, p);
    if (bad)
      return new StepError(
        'extract.parse_failed',
        `step '${ctx.stepId}': ${p.shown} line ${bad.line}: ${bad.error}`,
        'fix the row, or check delimiter, quote, encoding and header in the step config',
        { cause: error, details: { ...at, line: bad.line } },
      );
    return new StepError(
      'extract.parse_failed',
      `step '${ctx.stepId}': cannot parse ${p.shown}: ${info.message.split('\n')[0]}`,
      'check delimiter, quote, encoding and header in the step config',
      { cause: error, details: at },
    );
  }
  return new StepError(
    'extract.query_failed',
    `step '${ctx.stepId}': reading ${p.shown} failed: ${info.message.split('\n')[0]}`,
    undefined,
    {
      cause: error,
      details: at,
    },
  );
}

/** The `extract.schema` event: the columns the step hands on. */
async function emitSchema(ctx: StepContext, p: ReadPlan, out: string): Promise<void> {
  const columns: ColumnInfo[] = await describeTable(ctx.duck, out);
  ctx.emit('extract.schema', {
    path: p.file,
    columns: columns.map((c) => ({ name: c.name, type: c.type })),
  });
}

export const driver: Driver = {
  /** In a fused chain: the output is a view over read_csv, read once by the chain's writer. */
  async defineView(ctx: StepContext) {
    const p = plan(ctx);
    assertReadable(ctx, p);
    const conn = ctx.duck;
    const out = ctx.outputTable;
    try {
      const decimals = p.exactDecimals ? await doubleColumns(conn, p) : [];
      await conn.run(`CREATE OR REPLACE VIEW ${out} AS ${await fusedSelect(conn, p, decimals)}`);
    } catch (error) {
      await conn.run(`DROP VIEW IF EXISTS ${out}`).catch(() => {});
      throw await toStepError(ctx, p, error);
    }
    await emitSchema(ctx, p, out);
    return {
      result: (rows: number | undefined) => ({ rowsRead: rows, rowsOut: rows, outputs: [p.file] }),
      release: async () => {
        await conn.run(`DROP VIEW IF EXISTS ${out}`);
      },
    };
  },

  async run(ctx: StepContext): Promise<StepResult> {
    const p = plan(ctx);
    assertReadable(ctx, p);
    const conn = ctx.duck;
    const out = ctx.outputTable;
    try {
      const decimals = p.exactDecimals ? await doubleColumns(conn, p) : [];
      const types = { ...p.types, ...Object.fromEntries(decimals.map((c) => [c, 'VARCHAR'])) };
      await runTracked(conn, `CREATE OR REPLACE TABLE ${out} AS ${selectSql(p, types)}`, {
        signal: ctx.signal,
        onProgress: (rows) => ctx.progress(rows),
      });
      if (decimals.length) await settleDecimals(conn, out, decimals);
    } catch (error) {
      await conn.run(`DROP TABLE IF EXISTS ${out}`).catch(() => {});
      throw await toStepError(ctx, p, error);
    }
    const rows = await tableRowCount(conn, out);
    await emitSchema(ctx, p, out);
    ctx.progress(rows);
    return { rowsRead: rows, rowsOut: rows, outputs: [p.file] };
  },
};
