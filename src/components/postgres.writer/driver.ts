/**
 * postgres.writer: loads the input table with `COPY … FROM STDIN` in one transaction — append, replace
 * (staging table, then TRUNCATE + INSERT in the same transaction) or upsert (INSERT … ON CONFLICT). See
 * src/connectors/postgres/write.ts.
 */
import { runPostgresWrite } from '../../connectors/postgres/write.js';
import type { Driver, StepContext, StepResult } from '../../runtime/driver.js';

export const driver: Driver = {
  run(ctx: StepContext): Promise<StepResult> {
    return runPostgresWrite(ctx, { family: 'postgres' });
  },
};
