/**
 * LOAD DATA LOCAL turns errors into warnings and skips duplicate keys; a multi-row INSERT may warn too. A load
 * that warned or skipped rows fails with the server's first warning, phrased like the error a strict INSERT
 * would have raised, so both load methods fail alike.
 */
import type { MysqlClient } from '../client.js';
import type { Category } from './text.js';

export const BINARY_TARGETS = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

const STRING_TARGETS = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  ...BINARY_TARGETS,
]);

/** What warnings need to know of a loaded column. */
export interface WarnedColumn {
  target: string;
  category: Category;
  /** information_schema DATA_TYPE of the target column, when the table exists. */
  targetDataType: string | undefined;
}

/** Target columns holding text or bytes (lower case), where "data truncated" means "value too long". */
export function stringColumns(columns: readonly WarnedColumn[]): Set<string> {
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
export async function warningsError(
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
