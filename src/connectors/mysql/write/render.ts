/**
 * Stream values → MySQL text in JavaScript, for rows passed straight from an extractor (no DuckDB table).
 * A stream value is DuckDB's text for its column's type (src/runtime/stream.ts), so each category is rendered
 * to what text.ts makes DuckDB render for the materialised path, and the checks input.ts runs in DuckDB
 * before a load run here value by value (the load then fails and rolls back, leaving the target unchanged).
 */
import type { StepError, StreamContext } from '../../../runtime/driver.js';
import type { StreamRow, StreamValue } from '../../../runtime/stream.js';
import type { ColumnStats } from '../types.js';
import { type InputColumn, unrepresentable } from './input.js';
import type { LoadMethod } from './plan.js';
import type { Category } from './text.js';

/** Categories a stream carries as plain text; the rest (lists, intervals, bit strings) need DuckDB. */
export const STREAM_CATEGORIES: ReadonlySet<Category> = new Set([
  'number',
  'float',
  'bool',
  'date',
  'timestamp',
  'timestamp_ns',
  'timestamptz',
  'time',
  'text',
  'blob',
]);

/** A value MySQL cannot store: the column and the problem, as input.ts words it. */
class Unrepresentable extends Error {
  constructor(readonly problem: string) {
    super(problem);
  }
}

const INFINITE = /^[-+]?(inf|infinity|nan)$/i;

const asString = (v: StreamValue): string =>
  v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8') : String(v);

/** The shortest decimal text that reads back as the same 4-byte float (what DuckDB prints for FLOAT). */
function float32Text(v: number): string {
  const f = Math.fround(v);
  for (let p = 1; p < 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

function finite(v: StreamValue): void {
  if (typeof v === 'number' ? !Number.isFinite(v) : INFINITE.test(String(v)))
    throw new Unrepresentable('infinite or NaN values');
}

function notInfinity(s: string): string {
  if (s.endsWith('infinity')) throw new Unrepresentable("'infinity' values");
  return s;
}

const TZ = /^(\d{4,}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(\.\d+)?([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/;

/** TIMESTAMP WITH TIME ZONE text as UTC wall time without the offset (DuckDB: timezone('UTC', x)). */
export function utcText(s: string): string {
  const m = TZ.exec(notInfinity(s));
  if (!m) return s;
  const [, local = '', frac = '', sign, hh = '0', mm = '0', ss = '0'] = m;
  const offset = (Number(hh) * 3600 + Number(mm) * 60 + Number(ss)) * (sign === '-' ? -1 : 1);
  if (offset === 0) return local + frac;
  const [date = '', time = ''] = local.split(/[ T]/);
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, sec] = time.split(':').map(Number);
  const at = new Date(0);
  at.setUTCFullYear(y ?? 1970, (mo ?? 1) - 1, d ?? 1);
  at.setUTCHours(h ?? 0, mi ?? 0, (sec ?? 0) - offset, 0);
  const iso = at.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z (years 0–9999)
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac}`;
}

/** TIMESTAMP_NS text cut to microseconds; nanoseconds MySQL cannot keep are an error. */
function micros(s: string): string {
  const dot = notInfinity(s).indexOf('.');
  if (dot < 0 || s.length - dot - 1 <= 6) return s;
  if (!/^0+$/.test(s.slice(dot + 7))) throw new Unrepresentable('nanoseconds (MySQL keeps microseconds)');
  return s.slice(0, dot + 7);
}

const isTrue = (v: StreamValue): boolean => v === true || v === 'true' || v === 't' || v === 1 || v === '1';

const hex = (v: StreamValue): string =>
  v instanceof Uint8Array
    ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
    : Buffer.from(String(v), 'utf8').toString('hex');

type Render = (v: StreamValue) => string;

const asText: Render = (v) => (typeof v === 'string' ? v : String(v));

/** Text of one non-null value of a column (not escaped, not quoted). */
function plainRender(cat: Category, duckType: string): Render {
  switch (cat) {
    case 'float':
      return duckType === 'FLOAT'
        ? (v) => {
            finite(v);
            return typeof v === 'number' ? float32Text(v) : String(v);
          }
        : (v) => {
            finite(v);
            return String(v);
          };
    case 'bool':
      return (v) => (isTrue(v) ? '1' : '0');
    case 'date':
    case 'timestamp':
      return (v) => notInfinity(String(v));
    case 'timestamp_ns':
      return (v) => micros(String(v));
    case 'timestamptz':
      return (v) => utcText(String(v));
    case 'blob':
      return hex;
    case 'text':
      return (v) => (typeof v === 'string' ? v : asString(v));
    default:
      return asText;
  }
}

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};
const SQL_SPECIAL = /[\\'\0]/;
const SQL_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\0': '\\0' };

const tsvEscape = (s: string): string =>
  TSV_SPECIAL.test(s) ? s.replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c] as string) : s;
const sqlEscape = (s: string): string =>
  SQL_SPECIAL.test(s) ? s.replace(/[\\'\0]/g, (c) => SQL_ESCAPES[c] as string) : s;

/** A column's LOAD DATA field renderer (text escaped; `\\N` for NULL is the caller's). */
function tsvRender(cat: Category, duckType: string): Render {
  const plain = plainRender(cat, duckType);
  return cat === 'text' ? (v) => tsvEscape(plain(v)) : plain;
}

/** A column's MySQL literal renderer (INSERT path). */
function sqlRender(cat: Category, duckType: string): Render {
  const plain = plainRender(cat, duckType);
  switch (cat) {
    case 'number':
    case 'float':
    case 'bool':
      return plain;
    case 'blob':
      return (v) => `X'${plain(v)}'`;
    case 'text':
      return (v) => `'${sqlEscape(plain(v))}'`;
    default:
      return (v) => `'${plain(v)}'`;
  }
}

const SHORT = 255;

/** Longest text (code points, UTF-8 bytes) and bytes per column, which a new table's columns are sized by. */
class LengthStats {
  private readonly chars: number[];
  private readonly bytes: number[];

  constructor(private readonly columns: readonly InputColumn[]) {
    this.chars = columns.map(() => 0);
    this.bytes = columns.map(() => 0);
  }

  see(i: number, v: StreamValue): void {
    if (v instanceof Uint8Array) {
      if (v.byteLength > (this.bytes[i] as number)) this.bytes[i] = v.byteLength;
      return;
    }
    const s = String(v);
    // Up to 255 UTF-16 units a value is a VARCHAR(255) whatever its exact counts (≤ 255 code points, ≤ 765
    // bytes: below every threshold that matters once a longer value is seen), so only longer ones are measured.
    if (s.length <= SHORT) {
      if (s.length > (this.chars[i] as number)) this.chars[i] = s.length;
      return;
    }
    let surrogates = 0;
    for (let k = 0; k < s.length; k++) if ((s.charCodeAt(k) & 0xfc00) === 0xdc00) surrogates += 1;
    this.chars[i] = Math.max(this.chars[i] as number, s.length - surrogates);
    this.bytes[i] = Math.max(this.bytes[i] as number, Buffer.byteLength(s, 'utf8'));
  }

  /** The stats columnStats (input.ts) computes in DuckDB: null for a column without a value. */
  stats(seen: number): Map<string, ColumnStats> {
    const out = new Map<string, ColumnStats>();
    this.columns.forEach(({ info, category }, i) => {
      const none = seen === 0;
      if (category === 'text' && info.type.toUpperCase() !== 'JSON')
        out.set(info.name, {
          maxChars: none ? null : (this.chars[i] as number),
          maxBytes: none ? null : (this.bytes[i] as number),
        });
      else if (category === 'blob') out.set(info.name, { maxBytes: none ? null : (this.bytes[i] as number) });
    });
    return out;
  }
}

export interface RenderOptions {
  /** Input names of key columns a NULL is refused in (upsert). */
  notNull: readonly string[];
}

/** Renders stream batches for one load, checking values and tracking lengths on the way. */
export class StreamRenderer {
  private rows = 0;
  private readonly lengths: LengthStats;
  private readonly measured: number[];
  private readonly notNull: boolean[];
  private readonly tsv: Render[];
  private readonly sql: Render[];

  constructor(
    private readonly ctx: StreamContext,
    private readonly columns: readonly InputColumn[],
    options: RenderOptions,
  ) {
    this.lengths = new LengthStats(columns);
    this.measured = columns.flatMap((c, i) => (c.category === 'text' || c.category === 'blob' ? [i] : []));
    this.notNull = columns.map((c) => options.notNull.includes(c.info.name));
    const type = (c: InputColumn) => c.info.type.toUpperCase().trim();
    this.tsv = columns.map((c) => tsvRender(c.category, type(c)));
    this.sql = columns.map((c) => sqlRender(c.category, type(c)));
  }

  /** One LOAD DATA line (no newline) or INSERT tuple per row. */
  render(batch: readonly StreamRow[], method: LoadMethod): string[] {
    const insert = method === 'insert';
    const renders = insert ? this.sql : this.tsv;
    const [sep, nul] = insert ? [',', 'NULL'] : ['\t', '\\N'];
    const out = new Array<string>(batch.length);
    const n = renders.length;
    let i = 0;
    try {
      for (let r = 0; r < batch.length; r++) {
        const row = batch[r] as StreamRow;
        this.rows += 1;
        for (const m of this.measured) if (row[m] !== null) this.lengths.see(m, row[m] as StreamValue);
        let line = '';
        for (i = 0; i < n; i++) {
          const v = row[i] ?? null;
          let field: string;
          if (v !== null) field = (renders[i] as Render)(v);
          else if (this.notNull[i]) throw new Unrepresentable('NULL key values');
          else field = nul;
          line = i === 0 ? field : line + sep + field;
        }
        out[r] = insert ? `(${line})` : line;
      }
    } catch (error) {
      if (error instanceof Unrepresentable)
        throw this.refuse((this.columns[i] as InputColumn).info.name, error.problem);
      throw error;
    }
    return out;
  }

  private refuse(column: string, problem: string): StepError {
    return unrepresentable(this.ctx, column, problem, { first: this.rows });
  }

  /** Lengths of the rows rendered so far. */
  stats(): Map<string, ColumnStats> {
    return this.lengths.stats(this.rows);
  }

  get rendered(): number {
    return this.rows;
  }
}
