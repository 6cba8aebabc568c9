/**
 * DuckDB → MySQL text, rendered by DuckDB itself in SQL (escaping included) so the materialised path never
 * builds a value in JS: one INSERT tuple or one LOAD DATA line per input row.
 */

export type Category =
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

const PLAIN_CATEGORIES: Record<string, Category> = {
  FLOAT: 'float',
  DOUBLE: 'float',
  BOOLEAN: 'bool',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_S: 'timestamp',
  TIMESTAMP_MS: 'timestamp',
  TIMESTAMP_NS: 'timestamp_ns',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  TIME: 'time',
  INTERVAL: 'interval',
  VARCHAR: 'text',
  JSON: 'text',
  UUID: 'text',
  'TIME WITH TIME ZONE': 'text',
  BLOB: 'blob',
  BIT: 'bit',
};

/** How a DuckDB type is written to MySQL; undefined for types mysql.writer cannot write. */
export function categoryOf(duckType: string): Category | undefined {
  const t = duckType.toUpperCase().trim();
  if (NUMBER_TYPES.has(t) || /^DECIMAL\(\d+,\s*\d+\)$/.test(t)) return 'number';
  if (/(\[\]|\[\d+\])$/.test(t) || /^(STRUCT|MAP|UNION)\b/.test(t)) return 'nested';
  if (t.startsWith('ENUM(')) return 'text';
  return PLAIN_CATEGORIES[t];
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
export function sqlLiteral(cat: Category, x: string): string {
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
export function tsvField(cat: Category, x: string): string {
  const text = plainText(cat, x);
  return `coalesce(${cat === 'text' || cat === 'nested' ? tsvEscape(text) : text}, ${TSV_NULL})`;
}
