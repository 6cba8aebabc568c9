/**
 * filesystem.csv_writer: streams the input table to a CSV file with DuckDB's COPY, atomically
 * (temp file beside the target, then rename). `write_mode: append` adds rows to an existing file: the
 * header is written only when the file is new or empty, and must match the existing header otherwise.
 */
import { type ColumnInfo, quoteIdent, quoteLiteral } from '../../runtime/dataplane.js';
import type { Driver, StreamContext } from '../../runtime/driver.js';
import { type FileWriterPlan, runFileWriter } from '../../runtime/file-output.js';
import { fileStreamDeclined, writeFileStream } from '../../runtime/file-stream.js';
import { StepConfig } from '../../runtime/step-config.js';

const NEWLINES = { lf: '\n', crlf: '\r\n' } as const;

/** DuckDB types written as bare numbers; every other column is quoted with `quoting: nonnumeric`. */
const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)\b/;

/** `quoting: nonnumeric` (Python's csv.QUOTE_NONNUMERIC): FORCE_QUOTE on the columns that are not numbers. */
function quoteNonNumeric(columns: readonly ColumnInfo[]): string[] {
  const text = columns.filter((c) => !NUMERIC.test(c.type)).map((c) => quoteIdent(c.name));
  return text.length ? [`FORCE_QUOTE (${text.join(', ')})`] : [];
}

function planFor(ctx: StreamContext): FileWriterPlan {
  const cfg = StepConfig.of(ctx);
  const delimiter = cfg.string('delimiter', ',');
  if ([...delimiter].length !== 1) throw cfg.invalid('delimiter', 'one character');
  const quote = cfg.string('quote', '"');
  if ([...quote].length !== 1) throw cfg.invalid('quote', 'one character');
  const header = cfg.boolean('header', true);
  const newline = NEWLINES[cfg.oneOf('newline', ['lf', 'crlf'], 'lf')];
  const encoding = cfg.oneOf('encoding', ['utf-8', 'utf-16', 'latin-1', 'ascii'], 'utf-8');
  const quoting = cfg.oneOf('quoting', ['minimal', 'all', 'nonnumeric'], 'minimal');
  const writeMode = cfg.oneOf('write_mode', ['overwrite', 'append'], 'overwrite');
  if (encoding !== 'utf-8' && writeMode === 'append')
    throw cfg.invalid('encoding', 'utf-8 with write_mode: append', 'append in UTF-8, or overwrite the file');
  const options = [
    'FORMAT csv',
    `HEADER ${header}`,
    `DELIMITER ${quoteLiteral(delimiter)}`,
    `QUOTE ${quoteLiteral(quote)}`,
    `ESCAPE ${quoteLiteral(quote)}`,
    `NEW_LINE ${quoteLiteral(newline)}`,
    "COMPRESSION 'none'",
  ];
  if (quoting === 'all') options.push('FORCE_QUOTE *');
  if (cfg.stringList('primary_key')?.length && (!header || encoding !== 'utf-8'))
    throw cfg.invalid(
      'primary_key',
      'used with header: true and encoding: utf-8',
      'the existing file is read back by its header to merge by key',
    );
  // Text on both sides, so keys compare as written whatever types a sniffer would guess.
  const readBack = (path: string) =>
    `read_csv(${quoteLiteral(path)}, header = true, delim = ${quoteLiteral(delimiter)}, quote = ${quoteLiteral(quote)}, escape = ${quoteLiteral(quote)}, all_varchar = true, buffer_size = 1048576)`;
  return {
    copyOptions: options.join(', '),
    ...(quoting === 'nonnumeric' ? { columnOptions: quoteNonNumeric } : {}),
    ...(encoding === 'utf-8' ? {} : { encoding }),
    writeMode,
    appendAs: { kind: 'csv', header, newline },
    readBack,
  };
}

export const driver: Driver = {
  run: async (ctx) => runFileWriter(ctx, planFor(ctx)),
  streamDeclined: (_step, columns) => fileStreamDeclined(columns),
  writeStream: async (ctx, stream) => writeFileStream(ctx, planFor(ctx), stream),
};
