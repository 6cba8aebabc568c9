/**
 * Reading DuckDB's error messages. With `SET errors_as_json = true` DuckDB reports
 * `{"exception_type":"Binder","exception_message":"…","position":"34",…}` (sometimes behind a
 * `Parser Error: ` prefix); otherwise `Binder Error: …\n\nLINE 2: …\n      ^`. Both come out as one shape.
 */

export interface DuckDBErrorInfo {
  /** `Parser`, `Binder`, `Catalog`, `Conversion`, `IO`, `Invalid Input`, … ('' when unknown). */
  type: string;
  /** DuckDB's message without the type prefix and without the `LINE n:` context. */
  message: string;
  /** Offset into the statement when DuckDB gives one (see `positionUnit`). */
  position?: number;
  /** e.g. `MISSING_ENTRY`, `COLUMN_NOT_FOUND`, `SYNTAX_ERROR`. */
  subtype?: string;
  /** The missing table or column, for catalog/binder errors. */
  name?: string;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function parseDuckDBError(error: unknown): DuckDBErrorInfo {
  const raw = messageOf(error);
  const brace = raw.indexOf('{"exception_type"');
  if (brace >= 0) {
    try {
      const json = JSON.parse(raw.slice(brace)) as Record<string, unknown>;
      const info: DuckDBErrorInfo = {
        type: String(json.exception_type ?? ''),
        message: String(json.exception_message ?? raw),
      };
      const pos = Number(json.position);
      if (json.position !== undefined && Number.isInteger(pos)) info.position = pos;
      if (typeof json.error_subtype === 'string') info.subtype = json.error_subtype;
      if (typeof json.name === 'string') info.name = json.name;
      return info;
    } catch {
      // fall through to the text form
    }
  }
  const head = /^([A-Za-z ]+?) Error: ([\s\S]*)$/.exec(raw);
  const type = head ? (head[1] as string) : '';
  let message = head ? (head[2] as string) : raw;
  const lineAt = message.search(/\n\nLINE \d+:/);
  if (lineAt >= 0) message = message.slice(0, lineAt);
  return { type, message: message.trim() };
}

export interface SqlPosition {
  /** 1-based line and column (in characters) in the user's SQL. */
  line: number;
  col: number;
  /** The text of that line. */
  text: string;
}

/**
 * How DuckDB counts `position`: its parser reports code points, the binder and later stages UTF-8 bytes.
 */
export function positionUnit(info: DuckDBErrorInfo): 'chars' | 'bytes' {
  return info.type === 'Parser' ? 'chars' : 'bytes';
}

/**
 * Maps an offset in a statement that embeds the user's SQL after `prefix` to a line/column of the user's
 * SQL (column in characters); undefined when the offset falls outside it.
 */
export function locateInSql(
  sql: string,
  position: number,
  prefix = '',
  unit: 'chars' | 'bytes' = 'bytes',
): SqlPosition | undefined {
  let before: string;
  if (unit === 'bytes') {
    const offset = position - Buffer.byteLength(prefix, 'utf8');
    const bytes = Buffer.from(sql, 'utf8');
    if (offset < 0 || offset > bytes.length) return undefined;
    before = bytes.subarray(0, offset).toString('utf8');
  } else {
    const offset = position - [...prefix].length;
    const chars = [...sql];
    if (offset < 0 || offset > chars.length) return undefined;
    before = chars.slice(0, offset).join('');
  }
  const lines = before.split('\n');
  const line = lines.length;
  const col = [...(lines[lines.length - 1] ?? '')].length + 1;
  const text = (sql.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  return { line, col, text };
}

/** `  3 | FROM nosuch\n    |      ^` */
export function caretSnippet(pos: SqlPosition): string {
  const gutter = String(pos.line);
  const pad = ' '.repeat(gutter.length);
  const lead = [...pos.text].slice(0, pos.col - 1).map((ch) => (ch === '\t' ? '\t' : ' '));
  return `  ${gutter} | ${pos.text}\n  ${pad} | ${lead.join('')}^`;
}
