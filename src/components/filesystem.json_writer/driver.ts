/**
 * filesystem.json_writer: streams the input table to JSON lines (one object per line) or one JSON array,
 * with DuckDB's COPY, atomically (temp file beside the target, then rename). Append works for JSON lines
 * only. DECIMAL values are written as strings by default: JSON readers parse numbers as doubles, which
 * would silently round DECIMAL(38,10).
 */
import { quoteIdent } from '../../runtime/dataplane.js';
import type { Driver, StreamContext } from '../../runtime/driver.js';
import { type FileWriterPlan, runFileWriter } from '../../runtime/file-output.js';
import { fileStreamDeclined, writeFileStream } from '../../runtime/file-stream.js';
import { StepConfig } from '../../runtime/step-config.js';

function planFor(ctx: StreamContext): FileWriterPlan {
  const cfg = StepConfig.of(ctx);
  const format = cfg.oneOf('format', ['jsonl', 'array'], 'jsonl');
  const writeMode = cfg.oneOf('write_mode', ['overwrite', 'append'], 'overwrite');
  if (format === 'array' && writeMode === 'append')
    throw cfg.invalid('write_mode', "'overwrite' when format is 'array'", 'use format: jsonl to append');
  const decimals = cfg.oneOf('decimal_format', ['string', 'number'], 'string');
  return {
    copyOptions: `FORMAT json, ARRAY ${format === 'array'}, COMPRESSION 'uncompressed'`,
    writeMode,
    appendAs: { kind: 'jsonl' },
    selectColumn:
      decimals === 'string'
        ? (c) =>
            c.type.startsWith('DECIMAL')
              ? `CAST(${quoteIdent(c.name)} AS VARCHAR) AS ${quoteIdent(c.name)}`
              : quoteIdent(c.name)
        : undefined,
  };
}

export const driver: Driver = {
  run: async (ctx) => runFileWriter(ctx, planFor(ctx)),
  streamDeclined: (_step, columns) => fileStreamDeclined(columns),
  writeStream: async (ctx, stream) => writeFileStream(ctx, planFor(ctx), stream),
};
