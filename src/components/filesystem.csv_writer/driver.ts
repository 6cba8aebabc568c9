/**
 * filesystem.csv_writer: streams the input table to a CSV file with DuckDB's COPY, atomically
 * (temp file beside the target, then rename). `write_mode: append` adds rows to an existing file: the
 * header is written only when the file is new or empty, and must match the existing header otherwise.
 */
import { quoteLiteral } from '../../runtime/dataplane.js';
import type { Driver, StepContext, StepResult } from '../../runtime/driver.js';
import { runFileWriter } from '../../runtime/file-output.js';
import { StepConfig } from '../../runtime/step-config.js';

const NEWLINES = { lf: '\n', crlf: '\r\n' } as const;

export const driver: Driver = {
  async run(ctx: StepContext): Promise<StepResult> {
    const cfg = StepConfig.of(ctx);
    const delimiter = cfg.string('delimiter', ',');
    if ([...delimiter].length !== 1) throw cfg.invalid('delimiter', 'one character');
    const quote = cfg.string('quote', '"');
    if ([...quote].length !== 1) throw cfg.invalid('quote', 'one character');
    const header = cfg.boolean('header', true);
    const newline = NEWLINES[cfg.oneOf('newline', ['lf', 'crlf'], 'lf')];
    cfg.oneOf('encoding', ['utf-8'], 'utf-8');
    const quoting = cfg.oneOf('quoting', ['minimal', 'all'], 'minimal');
    const writeMode = cfg.oneOf('write_mode', ['overwrite', 'append'], 'overwrite');
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
    return runFileWriter(ctx, {
      copyOptions: options.join(', '),
      writeMode,
      appendAs: { kind: 'csv', header, newline },
    });
  },
};
