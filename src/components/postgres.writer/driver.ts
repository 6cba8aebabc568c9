/**
 * postgres.writer: loads the input table with `COPY … FROM STDIN` in one transaction — append, replace
 * (staging table, then TRUNCATE + INSERT in the same transaction) or upsert (INSERT … ON CONFLICT). When an
 * extractor is its only input, the runner may pass that extractor's rows straight in (no DuckDB table).
 * See src/connectors/postgres/write.ts.
 */
import { postgresErrorTable } from '../../connectors/postgres/retry-codes.js';
import {
  postgresStreamDeclined,
  runPostgresStreamWrite,
  runPostgresWrite,
} from '../../connectors/postgres/write.js';
import type { Driver, StepContext, StepResult } from '../../runtime/driver.js';

export const driver: Driver = {
  errorTable: postgresErrorTable,
  run(ctx: StepContext): Promise<StepResult> {
    return runPostgresWrite(ctx, { family: 'postgres' });
  },
  streamDeclined: (_step, columns) => postgresStreamDeclined(columns),
  writeStream: (ctx, stream) => runPostgresStreamWrite(ctx, { family: 'postgres' }, stream),
};
