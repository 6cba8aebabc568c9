/**
 * filesystem.parquet_writer: streams the input table to a Parquet file with DuckDB's COPY, atomically
 * (temp file beside the target, then rename). Column types are kept exactly (DECIMAL(p,s), BIGINT,
 * DATE, TIMESTAMP, TIMESTAMPTZ, …). Overwrite only: Parquet files cannot be appended to.
 */
import { quoteLiteral } from '../../runtime/dataplane.js';
import type { Driver, StreamContext } from '../../runtime/driver.js';
import { type FileWriterPlan, runFileWriter } from '../../runtime/file-output.js';
import { fileStreamDeclined, writeFileStream } from '../../runtime/file-stream.js';
import { StepConfig } from '../../runtime/step-config.js';

export const COMPRESSIONS = ['snappy', 'zstd', 'gzip', 'uncompressed'] as const;

function planFor(ctx: StreamContext): FileWriterPlan {
  const cfg = StepConfig.of(ctx);
  const compression = cfg.oneOf('compression', COMPRESSIONS, 'snappy');
  const rowGroupSize = cfg.integer('row_group_size', 1);
  const options = ['FORMAT parquet', `COMPRESSION ${compression}`];
  if (rowGroupSize !== undefined) options.push(`ROW_GROUP_SIZE ${rowGroupSize}`);
  return {
    copyOptions: options.join(', '),
    writeMode: 'overwrite',
    readBack: (path) => `read_parquet(${quoteLiteral(path)})`,
  };
}

export const driver: Driver = {
  run: async (ctx) => runFileWriter(ctx, planFor(ctx)),
  streamDeclined: (_step, columns) => fileStreamDeclined(columns),
  writeStream: async (ctx, stream) => writeFileStream(ctx, planFor(ctx), stream),
};
