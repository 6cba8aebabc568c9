/**
 * MySQL/MariaDB ↔ DuckDB type mapping (docs/reference/types.md, MySQL section).
 *
 * Reading: a result set's column metadata (mysql2 `FieldPacket`) becomes a DuckDB column type plus how each
 * value is appended. Three mappings start narrow and widen when a value does not fit, with a warning event,
 * so nothing is lost and the common case keeps the natural type:
 * - TINYINT(1) → BOOLEAN while every value is 0/1, else TINYINT;
 * - DECIMAL(p>38, s) → DECIMAL(38, s) while values fit, else VARCHAR (exact digits);
 * - TIME → TIME while values are within 00:00:00–24:00:00, else INTERVAL (negative or > 24 h durations).
 *
 * Writing: a DuckDB column type becomes the MySQL column type used by `create_if_missing`.
 */
import type { FieldPacket } from 'mysql2';

/** mysql2 column type ids (protocol values). */
export const MysqlType = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  VECTOR: 242,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const FLAG_UNSIGNED = 32;
const FLAG_ENUM = 256;
const FLAG_SET = 2048;
const BINARY_CHARSET = 63;

/** DuckDB's widest DECIMAL. */
export const DUCKDB_MAX_DECIMAL_PRECISION = 38;

/** How a column's values go into DuckDB. */
export type ValueKind =
  | 'bool_tinyint'
  | 'int'
  | 'bigint'
  | 'decimal'
  | 'wide_decimal'
  | 'float'
  | 'double'
  | 'date'
  | 'datetime'
  | 'timestamp'
  | 'time'
  | 'year'
  | 'bit1'
  | 'bits'
  | 'text'
  | 'json'
  | 'uuid'
  | 'blob'
  | 'null';

export interface ColumnPlan {
  /** Column name as the source reports it. */
  sourceName: string;
  /** Output column name (source name, made unique case-insensitively). */
  name: string;
  /** MySQL type as text, e.g. `DECIMAL(65,30)`, `BIGINT UNSIGNED`, `TINYINT(1)`. */
  sourceType: string;
  kind: ValueKind;
  /** DuckDB type the column starts with. */
  duckdbType: string;
  /** Type the column widens to when a value does not fit `duckdbType` (see module doc). */
  widenTo?: string;
  /** For DECIMAL: integer digits DECIMAL(38, s) can hold. */
  maxIntegerDigits?: number;
  unsigned: boolean;
}

/** A column the extractor cannot read losslessly; the message says what to do instead. */
export class UnsupportedColumnError extends Error {
  constructor(
    readonly column: string,
    readonly sourceType: string,
    readonly hint: string,
  ) {
    super(`column '${column}' has type ${sourceType}, which Osiris cannot read losslessly`);
  }
}

function fieldFlags(field: FieldPacket): number {
  return typeof field.flags === 'number' ? field.flags : 0;
}

/** DECIMAL precision from the display length mysql2 reports (length counts the sign and the point). */
export function decimalPrecision(field: FieldPacket): { precision: number; scale: number } {
  const scale = field.decimals ?? 0;
  const unsigned = (fieldFlags(field) & FLAG_UNSIGNED) !== 0;
  const length = field.columnLength ?? field.length ?? 0;
  const precision = Math.max(1, length - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1));
  return { precision, scale };
}

/** Plans one result column. Throws UnsupportedColumnError for GEOMETRY and VECTOR. */
export function planColumn(field: FieldPacket): Omit<ColumnPlan, 'name'> {
  const type = field.columnType ?? field.type ?? -1;
  const flags = fieldFlags(field);
  const unsigned = (flags & FLAG_UNSIGNED) !== 0;
  const u = unsigned ? ' UNSIGNED' : '';
  const binary = field.characterSet === BINARY_CHARSET;
  const length = field.columnLength ?? field.length ?? 0;
  const base = { sourceName: field.name, unsigned };
  if (field.extendedFormat === 'json')
    return { ...base, sourceType: 'JSON', kind: 'json', duckdbType: 'JSON' };
  if (field.extendedTypeName === 'uuid')
    return { ...base, sourceType: 'UUID', kind: 'uuid', duckdbType: 'UUID' };
  switch (type) {
    case MysqlType.TINY:
      if (length === 1)
        return {
          ...base,
          sourceType: `TINYINT(1)${u}`,
          kind: 'bool_tinyint',
          duckdbType: 'BOOLEAN',
          widenTo: unsigned ? 'UTINYINT' : 'TINYINT',
        };
      return {
        ...base,
        sourceType: `TINYINT${u}`,
        kind: 'int',
        duckdbType: unsigned ? 'UTINYINT' : 'TINYINT',
      };
    case MysqlType.SHORT:
      return {
        ...base,
        sourceType: `SMALLINT${u}`,
        kind: 'int',
        duckdbType: unsigned ? 'USMALLINT' : 'SMALLINT',
      };
    case MysqlType.INT24:
      return {
        ...base,
        sourceType: `MEDIUMINT${u}`,
        kind: 'int',
        duckdbType: unsigned ? 'UINTEGER' : 'INTEGER',
      };
    case MysqlType.LONG:
      return { ...base, sourceType: `INT${u}`, kind: 'int', duckdbType: unsigned ? 'UINTEGER' : 'INTEGER' };
    case MysqlType.LONGLONG:
      return {
        ...base,
        sourceType: `BIGINT${u}`,
        kind: 'bigint',
        duckdbType: unsigned ? 'UBIGINT' : 'BIGINT',
      };
    case MysqlType.YEAR:
      return { ...base, sourceType: 'YEAR', kind: 'year', duckdbType: 'SMALLINT' };
    case MysqlType.FLOAT:
      return { ...base, sourceType: `FLOAT${u}`, kind: 'float', duckdbType: 'FLOAT' };
    case MysqlType.DOUBLE:
      return { ...base, sourceType: `DOUBLE${u}`, kind: 'double', duckdbType: 'DOUBLE' };
    case MysqlType.DECIMAL:
    case MysqlType.NEWDECIMAL: {
      const { precision, scale } = decimalPrecision(field);
      const sourceType = `DECIMAL(${precision},${scale})${u}`;
      if (precision <= DUCKDB_MAX_DECIMAL_PRECISION)
        return { ...base, sourceType, kind: 'decimal', duckdbType: `DECIMAL(${precision},${scale})` };
      const s = Math.min(scale, DUCKDB_MAX_DECIMAL_PRECISION);
      return {
        ...base,
        sourceType,
        kind: 'wide_decimal',
        duckdbType: `DECIMAL(${DUCKDB_MAX_DECIMAL_PRECISION},${s})`,
        widenTo: 'VARCHAR',
        maxIntegerDigits: DUCKDB_MAX_DECIMAL_PRECISION - s,
      };
    }
    case MysqlType.DATE:
    case MysqlType.NEWDATE:
      return { ...base, sourceType: 'DATE', kind: 'date', duckdbType: 'DATE' };
    case MysqlType.DATETIME:
    case MysqlType.DATETIME2: {
      const fsp = field.decimals ?? 0;
      return {
        ...base,
        sourceType: fsp > 0 && fsp <= 6 ? `DATETIME(${fsp})` : 'DATETIME',
        kind: 'datetime',
        duckdbType: 'TIMESTAMP',
      };
    }
    case MysqlType.TIMESTAMP:
    case MysqlType.TIMESTAMP2: {
      const fsp = field.decimals ?? 0;
      return {
        ...base,
        sourceType: fsp > 0 && fsp <= 6 ? `TIMESTAMP(${fsp})` : 'TIMESTAMP',
        kind: 'timestamp',
        duckdbType: 'TIMESTAMP WITH TIME ZONE',
      };
    }
    case MysqlType.TIME:
    case MysqlType.TIME2: {
      const fsp = field.decimals ?? 0;
      return {
        ...base,
        sourceType: fsp > 0 && fsp <= 6 ? `TIME(${fsp})` : 'TIME',
        kind: 'time',
        duckdbType: 'TIME',
        widenTo: 'INTERVAL',
      };
    }
    case MysqlType.BIT:
      if (length <= 1) return { ...base, sourceType: 'BIT(1)', kind: 'bit1', duckdbType: 'BOOLEAN' };
      return { ...base, sourceType: `BIT(${length})`, kind: 'bits', duckdbType: 'UBIGINT' };
    case MysqlType.JSON:
      return { ...base, sourceType: 'JSON', kind: 'json', duckdbType: 'JSON' };
    case MysqlType.NULL:
      return { ...base, sourceType: 'NULL', kind: 'null', duckdbType: 'VARCHAR' };
    case MysqlType.GEOMETRY:
      throw new UnsupportedColumnError(
        field.name,
        'GEOMETRY',
        `select ST_AsText(${field.name}) (WKT text) or ST_AsBinary(${field.name}) (WKB bytes) in a query instead`,
      );
    case MysqlType.VECTOR:
      throw new UnsupportedColumnError(
        field.name,
        'VECTOR',
        `select VECTOR_TO_STRING(${field.name}) in a query instead`,
      );
    case MysqlType.ENUM:
      return { ...base, sourceType: 'ENUM', kind: 'text', duckdbType: 'VARCHAR' };
    case MysqlType.SET:
      return { ...base, sourceType: 'SET', kind: 'text', duckdbType: 'VARCHAR' };
    case MysqlType.STRING:
    case MysqlType.VAR_STRING:
    case MysqlType.VARCHAR:
    case MysqlType.TINY_BLOB:
    case MysqlType.MEDIUM_BLOB:
    case MysqlType.LONG_BLOB:
    case MysqlType.BLOB: {
      if (flags & FLAG_ENUM) return { ...base, sourceType: 'ENUM', kind: 'text', duckdbType: 'VARCHAR' };
      if (flags & FLAG_SET) return { ...base, sourceType: 'SET', kind: 'text', duckdbType: 'VARCHAR' };
      const isBlobType = type >= MysqlType.TINY_BLOB && type <= MysqlType.BLOB;
      if (binary) {
        const sourceType = isBlobType
          ? 'BLOB'
          : type === MysqlType.STRING
            ? `BINARY(${length})`
            : `VARBINARY(${length})`;
        return { ...base, sourceType, kind: 'blob', duckdbType: 'BLOB' };
      }
      const sourceType = isBlobType ? 'TEXT' : type === MysqlType.STRING ? 'CHAR' : 'VARCHAR';
      return { ...base, sourceType, kind: 'text', duckdbType: 'VARCHAR' };
    }
    default:
      return {
        ...base,
        sourceType: `type ${type}`,
        kind: binary ? 'blob' : 'text',
        duckdbType: binary ? 'BLOB' : 'VARCHAR',
      };
  }
}

/**
 * Plans every column of a result set; duplicate names (DuckDB names are case-insensitive) get `_2`, `_3`, ….
 * Returns the renames so the caller can report them.
 */
export function planColumns(fields: readonly FieldPacket[]): {
  columns: ColumnPlan[];
  renamed: [string, string][];
} {
  const taken = new Set<string>();
  const renamed: [string, string][] = [];
  const columns = fields.map((field) => {
    const plan = planColumn(field);
    const wanted = field.name === '' ? 'column' : field.name;
    let name = wanted;
    for (let n = 2; taken.has(name.toLowerCase()); n += 1) name = `${wanted}_${n}`;
    taken.add(name.toLowerCase());
    if (name !== field.name) renamed.push([field.name, name]);
    return { ...plan, name };
  });
  return { columns, renamed };
}

/**
 * The DuckDB type for a column as information_schema describes it (`DATA_TYPE`, `COLUMN_TYPE`), used by
 * discovery. Same rules as reading a result set; the widening types are shown after a `|`.
 */
export function duckdbTypeForColumnType(dataType: string, columnType: string): string {
  const dt = dataType.toLowerCase();
  const ct = columnType.toLowerCase();
  const unsigned = ct.includes('unsigned');
  const args = /\(([^)]*)\)/.exec(ct)?.[1];
  switch (dt) {
    case 'tinyint':
      if (args === '1') return 'BOOLEAN';
      return unsigned ? 'UTINYINT' : 'TINYINT';
    case 'bool':
    case 'boolean':
      return 'BOOLEAN';
    case 'smallint':
      return unsigned ? 'USMALLINT' : 'SMALLINT';
    case 'mediumint':
    case 'int':
    case 'integer':
      return unsigned ? 'UINTEGER' : 'INTEGER';
    case 'bigint':
      return unsigned ? 'UBIGINT' : 'BIGINT';
    case 'year':
      return 'SMALLINT';
    case 'float':
      return 'FLOAT';
    case 'double':
    case 'real':
      return 'DOUBLE';
    case 'decimal':
    case 'numeric': {
      const [p = '10', s = '0'] = (args ?? '10,0').split(',').map((x) => x.trim());
      const precision = Number(p);
      const scale = Number(s);
      if (precision <= DUCKDB_MAX_DECIMAL_PRECISION) return `DECIMAL(${precision},${scale})`;
      return `DECIMAL(${DUCKDB_MAX_DECIMAL_PRECISION},${Math.min(scale, DUCKDB_MAX_DECIMAL_PRECISION)})`;
    }
    case 'date':
      return 'DATE';
    case 'datetime':
      return 'TIMESTAMP';
    case 'timestamp':
      return 'TIMESTAMP WITH TIME ZONE';
    case 'time':
      return 'TIME';
    case 'bit':
      return args === undefined || args === '1' ? 'BOOLEAN' : 'UBIGINT';
    case 'json':
      return 'JSON';
    case 'uuid':
      return 'UUID';
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return 'BLOB';
    case 'geometry':
    case 'point':
    case 'linestring':
    case 'polygon':
    case 'multipoint':
    case 'multilinestring':
    case 'multipolygon':
    case 'geometrycollection':
    case 'geomcollection':
    case 'vector':
      return 'unsupported (select a text form in a query)';
    default:
      return 'VARCHAR';
  }
}

/** Facts about an input column that the DDL needs (longest text, longest bytes, bit length). */
export interface ColumnStats {
  maxChars?: number | null;
  maxBytes?: number | null;
  maxBits?: number | null;
}

/** Longest VARCHAR Osiris declares before switching to TEXT types (utf8mb4: 4 bytes a character). */
const VARCHAR_DEFAULT = 255;
/** InnoDB index key prefix limit (3072 bytes) in utf8mb4 characters. */
const MAX_KEY_CHARS = 768;

/** A MySQL type for a DuckDB column, for CREATE TABLE. Returns undefined for types Osiris cannot write. */
export function mysqlTypeForDuckdb(
  duckType: string,
  stats: ColumnStats = {},
  isKey = false,
): string | undefined {
  const t = duckType.toUpperCase().trim();
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return `DECIMAL(${dec[1]},${dec[2]})`;
  if (/(\[\]|\[\d+\])$/.test(t) || /^(STRUCT|MAP|UNION)\b/.test(t)) return 'JSON';
  if (t.startsWith('ENUM(')) return textType(stats, isKey);
  switch (t) {
    case 'BOOLEAN':
      return 'TINYINT(1)';
    case 'TINYINT':
      return 'TINYINT';
    case 'UTINYINT':
      return 'TINYINT UNSIGNED';
    case 'SMALLINT':
      return 'SMALLINT';
    case 'USMALLINT':
      return 'SMALLINT UNSIGNED';
    case 'INTEGER':
      return 'INT';
    case 'UINTEGER':
      return 'INT UNSIGNED';
    case 'BIGINT':
      return 'BIGINT';
    case 'UBIGINT':
      return 'BIGINT UNSIGNED';
    case 'HUGEINT':
      return 'DECIMAL(39,0)';
    case 'UHUGEINT':
      return 'DECIMAL(39,0) UNSIGNED';
    case 'VARINT':
    case 'BIGNUM':
      return 'DECIMAL(65,0)';
    case 'FLOAT':
      return 'FLOAT';
    case 'DOUBLE':
      return 'DOUBLE';
    case 'DATE':
      return 'DATE';
    case 'TIMESTAMP_S':
      return 'DATETIME';
    case 'TIMESTAMP_MS':
      return 'DATETIME(3)';
    case 'TIMESTAMP':
    case 'TIMESTAMP_NS':
    case 'TIMESTAMP WITH TIME ZONE':
      return 'DATETIME(6)';
    case 'TIME':
    case 'INTERVAL':
      return 'TIME(6)';
    case 'TIME WITH TIME ZONE':
      return 'VARCHAR(32)';
    case 'UUID':
      return 'CHAR(36)';
    case 'JSON':
      return 'JSON';
    case 'VARCHAR':
      return textType(stats, isKey);
    case 'BLOB':
      return blobType(stats, isKey);
    case 'BIT': {
      const bits = stats.maxBits ?? 1;
      return bits <= 64 ? `BIT(${Math.max(1, bits)})` : undefined;
    }
    default:
      return undefined;
  }
}

function textType(stats: ColumnStats, isKey: boolean): string {
  const chars = stats.maxChars ?? 0;
  if (chars <= VARCHAR_DEFAULT) return `VARCHAR(${VARCHAR_DEFAULT})`;
  if (isKey && chars <= MAX_KEY_CHARS) return `VARCHAR(${chars})`;
  const bytes = stats.maxBytes ?? chars * 4;
  if (bytes <= 65_535) return 'TEXT';
  if (bytes <= 16_777_215) return 'MEDIUMTEXT';
  return 'LONGTEXT';
}

function blobType(stats: ColumnStats, isKey: boolean): string {
  const bytes = stats.maxBytes ?? 0;
  if (bytes <= VARCHAR_DEFAULT) return `VARBINARY(${VARCHAR_DEFAULT})`;
  if (isKey && bytes <= 3072) return `VARBINARY(${bytes})`;
  if (bytes <= 65_535) return 'BLOB';
  if (bytes <= 16_777_215) return 'MEDIUMBLOB';
  return 'LONGBLOB';
}
