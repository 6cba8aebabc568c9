/**
 * The Postgres ⇄ DuckDB type map (docs/reference/types.md), as data plus the SQL that moves values
 * across exactly.
 *
 * Reading: every value leaves Postgres as text (COPY … TO STDOUT, text format), lands in DuckDB as VARCHAR and
 * is cast there — so numeric, bigint, timestamptz and interval never pass through a JS number or Date. A few
 * types are rewritten on the Postgres side first so that DuckDB can read them: intervals as
 * `<months> months <days> days <µs> microseconds`, bytea as plain hex, arrays as JSON arrays of text.
 *
 * Writing: DuckDB renders each value as the text Postgres' input functions accept (COPY … FROM STDIN, CSV):
 * BLOB as `\x<hex>`, LIST as an array literal, STRUCT/MAP as JSON.
 */
import { quoteIdent } from '../../runtime/dataplane.js';

/** What the catalog says about one type (after following domains to their base type). */
export interface PgTypeInfo {
  oid: number;
  /** pg_type.typname, e.g. `int4`, `_text`, `mood`. */
  name: string;
  /** pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  kind: string;
  /** Element type of an array type (0 otherwise). */
  elem: number;
  /** format_type(oid, NULL), e.g. `integer`, `text[]`. */
  display: string;
}

/** Built-in type OIDs (stable across PostgreSQL versions). */
export const OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** How one scalar Postgres type is read. */
interface ScalarRead {
  /** DuckDB column type; `NUMERIC_AUTO` means "sized from the data after loading". */
  duck: string;
  /** Expression on the Postgres side (given the quoted column), when the plain text form will not do. */
  pg?: (ref: string) => string;
  /** DuckDB expression from the (unescaped, NULL-handled) text field. */
  cast?: (field: string) => string;
  /** Whether the text may hold backslashes or control characters (COPY escapes those). */
  escaped?: boolean;
  /** Set when the mapping is a fallback that keeps the text. */
  note?: string;
}

export const NUMERIC_AUTO = 'NUMERIC_AUTO';

const INTERVAL_PARTS = (ref: string) =>
  `CASE WHEN ${ref} IS NULL THEN NULL ELSE concat((extract(year FROM ${ref}) * 12 + extract(month FROM ${ref}))::bigint::text, ' months ', extract(day FROM ${ref})::bigint::text, ' days ', (extract(hour FROM ${ref}) * 3600000000 + extract(minute FROM ${ref}) * 60000000 + extract(microseconds FROM ${ref}))::bigint::text, ' microseconds') END`;

const TEXT: ScalarRead = { duck: 'VARCHAR', escaped: true };

/**
 * Postgres writes BC dates as `0044-03-15 BC` / `0044-03-15 12:00:00 BC`; DuckDB reads `0044-03-15 (BC)` /
 * `0044-03-15 (BC) 12:00:00` — and silently reads the Postgres form as the AD date, so the marker is moved.
 * Both count 1 BC as the year before 1 AD.
 */
export function bcToDuck(field: string): string {
  return `CASE WHEN ends_with(${field}, ' BC') THEN regexp_replace(${field}, '^(\\S+)(.*) BC$', '\\1 (BC)\\2') ELSE ${field} END`;
}

const dated = (duck: string): ScalarRead => ({ duck, cast: (f) => `CAST(${bcToDuck(f)} AS ${duck})` });

const SCALARS = new Map<number, ScalarRead>([
  [OID.bool, { duck: 'BOOLEAN' }],
  [OID.int2, { duck: 'SMALLINT' }],
  [OID.int4, { duck: 'INTEGER' }],
  [OID.int8, { duck: 'BIGINT' }],
  [OID.oid, { duck: 'UINTEGER' }],
  [OID.float4, { duck: 'FLOAT' }],
  [OID.float8, { duck: 'DOUBLE' }],
  [OID.money, { duck: NUMERIC_AUTO, pg: (r) => `${r}::numeric` }],
  [OID.date, dated('DATE')],
  [OID.time, { duck: 'TIME' }],
  [OID.timetz, { duck: 'TIMETZ' }],
  [OID.timestamp, dated('TIMESTAMP')],
  [OID.timestamptz, dated('TIMESTAMPTZ')],
  [OID.interval, { duck: 'INTERVAL', pg: INTERVAL_PARTS }],
  [OID.uuid, { duck: 'UUID' }],
  [OID.json, { duck: 'JSON', escaped: true }],
  [OID.jsonb, { duck: 'JSON', escaped: true }],
  [OID.bytea, { duck: 'BLOB', pg: (r) => `encode(${r}, 'hex')`, cast: (f) => `unhex(${f})` }],
  [OID.text, TEXT],
  [OID.varchar, TEXT],
  [OID.bpchar, TEXT],
  [OID.name, TEXT],
  [OID.char, TEXT],
  [OID.xml, TEXT],
  [OID.bit, { duck: 'VARCHAR', note: 'bit string kept as text of 0s and 1s' }],
  [OID.varbit, { duck: 'VARCHAR', note: 'bit string kept as text of 0s and 1s' }],
]);

/** Array elements DuckDB can hold as a typed LIST (via JSON arrays of text). */
const LIST_ELEMENTS = new Map<number, string>([
  [OID.bool, 'BOOLEAN'],
  [OID.int2, 'SMALLINT'],
  [OID.int4, 'INTEGER'],
  [OID.int8, 'BIGINT'],
  [OID.float4, 'FLOAT'],
  [OID.float8, 'DOUBLE'],
  [OID.text, 'VARCHAR'],
  [OID.varchar, 'VARCHAR'],
  [OID.bpchar, 'VARCHAR'],
  [OID.name, 'VARCHAR'],
  [OID.uuid, 'UUID'],
  [OID.date, 'DATE'],
  [OID.time, 'TIME'],
  [OID.timestamp, 'TIMESTAMP'],
  [OID.timestamptz, 'TIMESTAMPTZ'],
  [OID.json, 'JSON'],
  [OID.jsonb, 'JSON'],
]);

const DATED_ELEMENTS = new Set(['DATE', 'TIMESTAMP', 'TIMESTAMPTZ']);

/** DuckDB DECIMAL holds at most 38 digits. */
export const DUCKDB_MAX_DECIMAL_PRECISION = 38;

/** numeric typmod → [precision, scale], or undefined for an unconstrained numeric. */
export function numericTypmod(typmod: number): [number, number] | undefined {
  if (typmod < 4) return undefined;
  const t = typmod - 4;
  const precision = (t >> 16) & 0xffff;
  let scale = t & 0x7ff;
  if (scale & 0x400) scale -= 0x800; // negative scale (PostgreSQL 15+)
  return [precision, scale];
}

/** A column of an extraction: what Postgres sends and how DuckDB turns it into the output type. */
export interface ReadColumn {
  /** Output column name (unique). */
  name: string;
  /** Postgres type as text, e.g. `numeric(12,2)`, `text[]`. */
  sourceType: string;
  /** DuckDB type of the output column (`NUMERIC_AUTO` until sized). */
  duckType: string;
  /** Postgres select expression given the quoted source column. */
  pgExpr(ref: string): string;
  /** DuckDB expression given the raw text field (still `\N` for NULL and COPY-escaped). */
  duckExpr(raw: string): string;
  /** Why this column is kept as text (a warning), if it is. */
  fallback?: string;
}

const SQL_BACKSLASH = '\\';

/**
 * DuckDB SQL that undoes COPY text-format escaping (`\\`, `\n`, `\t`, `\r`, `\b`, `\f`, `\v`). Backslash pairs
 * become NUL first (Postgres text never holds NUL), so `\\n` comes out as a backslash and an `n`.
 */
export function unescapeCopyText(field: string): string {
  const bs = SQL_BACKSLASH;
  let e = `replace(${field}, '${bs}${bs}', chr(0))`;
  for (const [ch, code] of [
    ['n', 10],
    ['t', 9],
    ['r', 13],
    ['b', 8],
    ['f', 12],
    ['v', 11],
  ] as const)
    e = `replace(${e}, '${bs}${ch}', chr(${code}))`;
  e = `replace(${e}, chr(0), '${bs}')`;
  return `CASE WHEN contains(${field}, '${bs}') THEN ${e} ELSE ${field} END`;
}

/** `nullif(field, '\N')`: COPY's NULL marker. */
export function copyNull(field: string): string {
  return `nullif(${field}, '${SQL_BACKSLASH}N')`;
}

function scalarRead(info: PgTypeInfo, typmod: number): ScalarRead {
  if (info.oid === OID.numeric) {
    const pm = numericTypmod(typmod);
    if (!pm) return { duck: NUMERIC_AUTO };
    const [p, s] = pm;
    if (p <= DUCKDB_MAX_DECIMAL_PRECISION && s >= 0 && s <= p) return { duck: `DECIMAL(${p},${s})` };
    return {
      duck: 'VARCHAR',
      note: `numeric(${p},${s}) does not fit DuckDB DECIMAL (at most ${DUCKDB_MAX_DECIMAL_PRECISION} digits, scale 0..precision); kept as exact text`,
    };
  }
  const known = SCALARS.get(info.oid);
  if (known) return known;
  if (info.kind === 'e') return TEXT;
  if (info.name === 'citext') return TEXT;
  return { ...TEXT, note: `type ${info.display} has no DuckDB counterpart; kept as its text form` };
}

/**
 * Plans how one result column is read. `catalog` must hold the column's type and, for arrays, the element
 * type (domains already resolved to their base type).
 */
export function planReadColumn(
  name: string,
  info: PgTypeInfo,
  typmod: number,
  elemInfo: PgTypeInfo | undefined,
): ReadColumn {
  const display = info.oid === OID.numeric && numericTypmod(typmod) ? formatNumeric(typmod) : info.display;
  if (info.elem !== 0 && elemInfo && info.name.startsWith('_')) {
    const elemDuck = LIST_ELEMENTS.get(elemInfo.oid);
    const elemNumeric = elemInfo.oid === OID.numeric ? scalarRead(elemInfo, typmod) : undefined;
    const element =
      elemDuck ?? (elemNumeric && elemNumeric.duck !== NUMERIC_AUTO ? elemNumeric.duck : 'VARCHAR');
    const fallback =
      element === 'VARCHAR' && !elemDuck
        ? `array of ${elemInfo.display} read as a list of text values`
        : undefined;
    const col: ReadColumn = {
      name,
      sourceType: display,
      duckType: `${element}[]`,
      pgExpr: (ref) => `array_to_json(${ref}::text[])::text`,
      duckExpr: (raw) => {
        const text = unescapeCopyText(copyNull(raw));
        const list = `CAST(CAST(${text} AS JSON) AS VARCHAR[])`;
        if (element === 'VARCHAR') return list;
        if (DATED_ELEMENTS.has(element))
          return `list_transform(${list}, x -> CAST(${bcToDuck('x')} AS ${element}))`;
        return `CAST(${list} AS ${element}[])`;
      },
    };
    if (fallback) col.fallback = fallback;
    return col;
  }
  const read = scalarRead(info, typmod);
  const col: ReadColumn = {
    name,
    sourceType: display,
    duckType: read.duck,
    pgExpr: read.pg ?? ((ref) => ref),
    duckExpr: (raw) => {
      let text = copyNull(raw);
      if (read.escaped) text = unescapeCopyText(text);
      if (read.cast) return read.cast(text);
      if (read.duck === 'VARCHAR' || read.duck === NUMERIC_AUTO) return text;
      return `CAST(${text} AS ${read.duck})`;
    },
  };
  if (read.note) col.fallback = read.note;
  return col;
}

export function formatNumeric(typmod: number): string {
  const pm = numericTypmod(typmod);
  return pm ? `numeric(${pm[0]},${pm[1]})` : 'numeric';
}

/**
 * The DuckDB type a Postgres column maps to, from its catalog description (discovery). `elemOid` is the
 * element type of an array.
 */
export function duckTypeForCatalog(info: PgTypeInfo, typmod: number, elemInfo?: PgTypeInfo): string {
  const col = planReadColumn('c', info, typmod, elemInfo);
  return col.duckType === NUMERIC_AUTO ? 'DECIMAL(38,s) sized from the data, else VARCHAR' : col.duckType;
}

// ---------------------------------------------------------------------------------------------------------
// Writing: DuckDB → Postgres

/** A DuckDB column type parsed just enough to choose DDL and rendering. */
export interface DuckType {
  /** Upper-case type text as DuckDB reports it, e.g. `DECIMAL(12,2)`, `INTEGER[]`, `STRUCT(a INTEGER)`. */
  text: string;
}

const SIMPLE_DDL: Record<string, string> = {
  BOOLEAN: 'boolean',
  TINYINT: 'smallint',
  SMALLINT: 'smallint',
  INTEGER: 'integer',
  BIGINT: 'bigint',
  UTINYINT: 'smallint',
  USMALLINT: 'integer',
  UINTEGER: 'bigint',
  UBIGINT: 'numeric(20,0)',
  HUGEINT: 'numeric(39,0)',
  UHUGEINT: 'numeric(39,0)',
  BIGNUM: 'numeric',
  VARINT: 'numeric',
  FLOAT: 'real',
  DOUBLE: 'double precision',
  VARCHAR: 'text',
  BLOB: 'bytea',
  DATE: 'date',
  TIME: 'time',
  'TIME WITH TIME ZONE': 'timetz',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_S: 'timestamp(0)',
  TIMESTAMP_MS: 'timestamp(3)',
  TIMESTAMP_NS: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  TIMESTAMPTZ: 'timestamptz', // DuckDB's short names, as a column type may be written
  TIMETZ: 'timetz',
  INTERVAL: 'interval',
  UUID: 'uuid',
  JSON: 'jsonb',
  BIT: 'varbit',
};

function isList(type: string): boolean {
  return /\[\d*\]$/.test(type);
}

function listElement(type: string): string {
  return type.replace(/\[\d*\]$/, '');
}

function isComposite(type: string): boolean {
  return /^(STRUCT|MAP|UNION)\b/i.test(type);
}

/** The Postgres column type for a DuckDB type (create_if_missing). */
export function pgTypeForDuck(duckType: string): string {
  const t = duckType.trim().toUpperCase();
  if (isList(t)) {
    const elem = pgTypeForDuck(listElement(duckType.trim()));
    // Postgres arrays are declared one-dimensional but hold any number of dimensions.
    return elem.endsWith('[]') ? elem : `${elem}[]`;
  }
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return `numeric(${dec[1]},${dec[2]})`;
  if (t === 'DECIMAL') return 'numeric(18,3)';
  if (isComposite(t)) return 'jsonb';
  if (t.startsWith('ENUM(')) return 'text';
  return SIMPLE_DDL[t] ?? 'text';
}

/** Notes about values that change on the way to Postgres (precision), for a warning event. */
export function writeNote(duckType: string): string | undefined {
  const t = duckType.trim().toUpperCase();
  if (t === 'TIMESTAMP_NS') return 'nanoseconds are rounded to microseconds (Postgres timestamp precision)';
  return undefined;
}

/**
 * DuckDB expression rendering a column as text Postgres accepts for the matching type. `col` is the quoted
 * column. Plain types need no work (DuckDB's CSV writer prints them in a form Postgres parses exactly).
 */
export function renderForPostgres(col: string, duckType: string): string {
  const t = duckType.trim().toUpperCase();
  if (t === 'BLOB') return `'\\x' || hex(${col})`;
  if (isList(t)) return `CASE WHEN ${col} IS NULL THEN NULL ELSE ${arrayLiteral(col, duckType.trim())} END`;
  if (isComposite(t)) return `CAST(to_json(${col}) AS VARCHAR)`;
  if (t === 'TIMESTAMP_NS') return `CAST(CAST(${col} AS TIMESTAMP) AS VARCHAR)`;
  return col;
}

let lambdaDepth = 0;

/** A Postgres array literal for a DuckDB LIST: `{"a","b",NULL}`, nested for lists of lists. */
function arrayLiteral(expr: string, duckType: string): string {
  const elemType = listElement(duckType);
  const x = `x${lambdaDepth++}`;
  try {
    const elem = isList(elemType.toUpperCase())
      ? arrayLiteral(x, elemType)
      : `'"' || replace(replace(CAST(${renderForPostgres(x, elemType)} AS VARCHAR), '\\', '\\\\'), '"', '\\"') || '"'`;
    return `'{' || array_to_string(list_transform(${expr}, ${x} -> CASE WHEN ${x} IS NULL THEN 'NULL' ELSE ${elem} END), ',') || '}'`;
  } finally {
    lambdaDepth--;
  }
}

/** The DuckDB select list that renders every input column for COPY … FROM STDIN (CSV). */
export function renderSelectList(columns: { name: string; type: string }[]): string {
  return columns
    .map((c) => {
      const q = quoteIdent(c.name);
      const e = renderForPostgres(q, c.type);
      return e === q ? q : `${e} AS ${q}`;
    })
    .join(', ');
}
