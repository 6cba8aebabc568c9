/**
 * What a step produced, recorded while its output exists: the column names and types and the first few rows,
 * for the run report (`preview/<step id>.json` in the run folder). Previews are small by construction: at most
 * `PREVIEW_ROWS` rows and `PREVIEW_COLUMNS` columns, each value cut to `PREVIEW_VALUE_CHARS` characters (in SQL,
 * before it reaches JavaScript), and rows are dropped from the end until the file fits `PREVIEW_MAX_BYTES`.
 *
 * Values are masked with the discovery samples' policy (`observability/sample-mask.ts`): columns named like
 * secrets or personal data show `***`, and every row goes through the run's redactor.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Redactor } from '../observability/redact.js';
import { maskSampleRows } from '../observability/sample-mask.js';
import type { JsonValue } from '../yaml/json.js';
import { type ColumnInfo, quoteIdent } from './dataplane.js';
import type { LineFeed, StreamRow, StreamValue } from './stream.js';

export const PREVIEW_ROWS = 10;
export const PREVIEW_COLUMNS = 40;
/** Columns listed in the schema (names and types are small, but a table can have thousands). */
export const SCHEMA_COLUMNS = 500;
export const PREVIEW_VALUE_CHARS = 120;
export const PREVIEW_MAX_BYTES = 16 * 1024;

export type PreviewCell = string | null;

export interface OutputPreview {
  step_id: string;
  /** `table`: read from the step's DuckDB table; `stream`: the first rows of a pass-through stream. */
  source: 'table' | 'stream';
  columns: ColumnInfo[];
  /** Columns of the output (more than `columns` holds when it was cut at SCHEMA_COLUMNS). */
  columns_total: number;
  /** Names of the columns in `rows` (the first PREVIEW_COLUMNS), in order. */
  preview_columns: string[];
  rows: PreviewCell[][];
  /** Columns whose values were masked because of their names. */
  masked_columns: string[];
  /** True when values were cut or rows dropped to stay within the bounds. */
  truncated: boolean;
}

const ELLIPSIS = '…';

function clip(text: string): { text: string; cut: boolean } {
  return text.length > PREVIEW_VALUE_CHARS
    ? { text: `${text.slice(0, PREVIEW_VALUE_CHARS)}${ELLIPSIS}`, cut: true }
    : { text, cut: false };
}

/** DuckDB's text form of a BLOB: printable ASCII as is, other bytes as `\xHH`. */
function blobText(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes.subarray(0, PREVIEW_VALUE_CHARS + 1)) {
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return bytes.length > PREVIEW_VALUE_CHARS ? `${out}${ELLIPSIS}` : out;
}

const FLOATING = /^(FLOAT|REAL|DOUBLE|FLOAT4|FLOAT8)$/i;

/** A stream value as DuckDB would print it (see stream.ts), cut like `previewTable` cuts in SQL. */
export function streamValueText(value: StreamValue, type = ''): string | null {
  if (value === null) return null;
  if (value instanceof Uint8Array) return blobText(value);
  // DuckDB prints a whole float with its `.0`.
  if (typeof value === 'number' && FLOATING.test(type) && Number.isInteger(value) && Math.abs(value) < 1e15)
    return `${value}.0`;
  return String(value).slice(0, PREVIEW_VALUE_CHARS + 1);
}

/** Masks, redacts and bounds raw rows (each cell text or null) into a preview. */
export function buildPreview(
  stepId: string,
  source: OutputPreview['source'],
  columns: readonly ColumnInfo[],
  rawRows: readonly PreviewCell[][],
  redactor: Redactor,
): OutputPreview {
  const names = columns.slice(0, PREVIEW_COLUMNS).map((c) => c.name);
  let truncated = columns.length > PREVIEW_COLUMNS || columns.length > SCHEMA_COLUMNS;
  const objects = rawRows.slice(0, PREVIEW_ROWS).map((row) => {
    const o: Record<string, string | null> = {};
    names.forEach((name, i) => {
      const cell = row[i] ?? null;
      if (cell === null) o[name] = null;
      else {
        const c = clip(cell);
        truncated ||= c.cut;
        o[name] = c.text;
      }
    });
    return o;
  });
  const masked = maskSampleRows(objects, names, redactor);
  const rows = masked.rows.map((r) => names.map((n) => cellOf(r[n])));
  const preview: OutputPreview = {
    step_id: stepId,
    source,
    columns: columns.slice(0, SCHEMA_COLUMNS).map((c) => ({ name: c.name, type: c.type })),
    columns_total: columns.length,
    preview_columns: names,
    rows,
    masked_columns: masked.maskedColumns,
    truncated,
  };
  while (preview.rows.length > 0 && Buffer.byteLength(JSON.stringify(preview, null, 2)) > PREVIEW_MAX_BYTES) {
    preview.rows.pop();
    preview.truncated = true;
  }
  return preview;
}

function cellOf(value: JsonValue | undefined): PreviewCell {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The preview of a DuckDB table (`table` already quoted): one `LIMIT` query whose values are cast to text and
 * cut in SQL, so a wide or huge value never reaches JavaScript whole.
 */
export async function previewTable(
  conn: DuckDBConnection,
  stepId: string,
  table: string,
  redactor: Redactor,
): Promise<OutputPreview> {
  const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${table}`);
  const columns: ColumnInfo[] = described
    .getRowObjects()
    .map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  const shown = columns.slice(0, PREVIEW_COLUMNS);
  if (shown.length === 0) return buildPreview(stepId, 'table', columns, [], redactor);
  const select = shown
    .map((c) => `left(CAST(${quoteIdent(c.name)} AS VARCHAR), ${PREVIEW_VALUE_CHARS + 1})`)
    .join(', ');
  const reader = await conn.runAndReadAll(`SELECT ${select} FROM ${table} LIMIT ${PREVIEW_ROWS}`);
  const rows = reader.getRows().map((row) => row.map((v) => (v === null ? null : String(v))));
  return buildPreview(stepId, 'table', columns, rows, redactor);
}

/**
 * Keeps the first PREVIEW_ROWS rows of a row stream as text while passing every batch on unchanged. Holds
 * only those few (already cut) values, never a batch.
 */
export class StreamPreview {
  readonly rows: PreviewCell[][] = [];

  constructor(readonly columns: readonly ColumnInfo[]) {}

  watch(batches: AsyncIterable<StreamRow[]>): AsyncIterable<StreamRow[]> {
    const see = (batch: StreamRow[]) => this.see(batch);
    return {
      async *[Symbol.asyncIterator]() {
        for await (const batch of batches) {
          see(batch);
          yield batch;
        }
      },
    };
  }

  /** The same for a source's line feed: it hands over its first rows as stream rows. */
  watchLines(feed: LineFeed): LineFeed {
    return {
      ...feed,
      chunks: () => feed.chunks({ rows: PREVIEW_ROWS, onRows: (rows) => this.see(rows) }),
      csv: (header) => {
        const copy = feed.csv?.(header);
        return (
          copy && {
            rows: () => copy.rows(),
            chunks: () => copy.chunks({ rows: PREVIEW_ROWS, onRows: (rows) => this.see(rows) }),
          }
        );
      },
    };
  }

  private see(batch: readonly StreamRow[]): void {
    const types = this.columns.slice(0, PREVIEW_COLUMNS).map((c) => c.type);
    for (let i = 0; i < batch.length && this.rows.length < PREVIEW_ROWS; i++) {
      const row = batch[i] as StreamRow;
      this.rows.push(types.map((type, c) => streamValueText(row[c] ?? null, type)));
    }
  }

  build(stepId: string, redactor: Redactor): OutputPreview {
    return buildPreview(stepId, 'stream', this.columns, this.rows, redactor);
  }
}
