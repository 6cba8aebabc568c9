/**
 * postgres.extractor: a table (with columns/where/limit) or one read-only query, streamed with
 * `COPY … TO STDOUT` inside a read-only transaction into the step's DuckDB table (see
 * src/connectors/postgres/extract.ts for the data path and docs/reference/types.md for the types).
 */
import { runPostgresExtract } from '../../connectors/postgres/extract.js';
import type { Driver, StepContext, StepResult } from '../../runtime/driver.js';

export const driver: Driver = {
  run(ctx: StepContext): Promise<StepResult> {
    return runPostgresExtract(ctx, { family: 'postgres' });
  },
};
