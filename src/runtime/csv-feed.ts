/**
 * Row batches as CSV text for DuckDB's `read_csv` (docs/adr/0019): the feed a pass-through file writer pipes
 * into one `COPY (SELECT … FROM read_csv(…)) TO …`. One bulk read replaces a native call per value (the
 * appender), which profiled at most of a database → file copy's time.
 *
 * The dialect is fixed and private: comma, `"` quote and escape, `\n`. An unquoted empty field is NULL and a
 * quoted one (`""`) the empty string (`allow_quoted_nulls = false`). Every value is already DuckDB's text
 * for its column's type (src/runtime/stream.ts), so `read_csv` with the exact column types parses what the
 * appender would have cast: both paths hold the same values.
 */
import { type ColumnInfo, quoteLiteral } from './dataplane.js';
import type { StreamRow } from './stream.js';

/**
 * Column types the feed carries exactly. Others (INTERVAL, nested types, …) are declined: no source streams
 * them today, and their text would need checking against DuckDB's CSV reader first.
 */
const FED =
  /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\)|DATE|TIME|TIMESTAMP|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE|VARCHAR|UUID|JSON|BLOB)$/;

/** Types whose text never holds a comma, quote or line break: written without the quoting check. */
const BARE =
  /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL|DATE|TIME|TIMESTAMP)/;

/** The read buffer DuckDB keeps per file: small, so the 48MB pool of a database copy also fits Parquet's writer. */
export const FEED_BUFFER_BYTES = 4 * 1024 * 1024;

/** The columns the feed cannot carry, as `'name' (TYPE)` for a decline reason; empty when it can. */
export function unfedColumns(columns: readonly ColumnInfo[]): string[] {
  return columns.filter((c) => !FED.test(c.type)).map((c) => `'${c.name}' (${c.type})`);
}

const NEEDS_QUOTES = /[",\n\r]/;

/** BLOB bytes as `\xNN` escapes, which DuckDB's text → BLOB cast turns back into the same bytes. */
function blobText(bytes: Uint8Array): string {
  if (bytes.length === 0) return '""';
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .replace(/../g, '\\x$&');
}

function quoted(text: string): string {
  return text === '' || NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Turns batches into the feed's bytes, one call per batch. */
export function csvFeedEncoder(columns: readonly ColumnInfo[]): (rows: readonly StreamRow[]) => Buffer {
  const bare = columns.map((c) => BARE.test(c.type));
  const last = columns.length - 1;
  return (rows) => {
    let text = '';
    for (const row of rows) {
      for (let i = 0; i <= last; i++) {
        const v = row[i];
        if (v !== null && v !== undefined) {
          if (typeof v === 'string') text += bare[i] ? v : quoted(v);
          else if (v instanceof Uint8Array) text += blobText(v);
          else text += String(v);
        }
        text += i === last ? '\n' : ',';
      }
    }
    return Buffer.from(text, 'utf8');
  };
}

/** `read_csv(<path>, …)` reading the feed with the exact column types. */
export function readCsvFeed(path: string, columns: readonly ColumnInfo[]): string {
  const types = columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ');
  return `read_csv(${quoteLiteral(path)}, columns = {${types}}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', allow_quoted_nulls = false, buffer_size = ${FEED_BUFFER_BYTES}, max_line_size = ${FEED_BUFFER_BYTES})`;
}
