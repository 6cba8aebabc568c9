/**
 * postgres.extractor: a table (with columns/where/limit) or one read-only query, streamed with
 * `COPY … TO STDOUT` inside a read-only transaction into the step's DuckDB table (see
 * src/connectors/postgres/extract.ts for the data path and docs/reference/types.md for the types), or
 * straight into its only consumer when that is a writer that takes a row stream (stream.ts).
 */
import { runPostgresExtract } from '../../connectors/postgres/extract.js';
import { postgresErrorTable } from '../../connectors/postgres/retry-codes.js';
import { openPostgresStream } from '../../connectors/postgres/stream.js';
import type { Driver } from '../../runtime/driver.js';

export const driver: Driver = {
  errorTable: postgresErrorTable,
  run: (ctx) => runPostgresExtract(ctx, { family: 'postgres' }),
  openStream: (ctx) => openPostgresStream(ctx, { family: 'postgres' }),
};
