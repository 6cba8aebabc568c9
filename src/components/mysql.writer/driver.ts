/**
 * mysql.writer: writes the step's input table into a MySQL/MariaDB table so that a failure leaves the target
 * exactly as it was — append in one InnoDB transaction, replace through a staging table swapped in with one
 * RENAME, upsert through a staging table and INSERT … ON DUPLICATE KEY UPDATE; a missing target is created
 * as a staging table and renamed into place. Two runs writing one table take turns (a GET_LOCK).
 *
 * Rows are rendered to MySQL text by DuckDB and travel with `LOAD DATA LOCAL INFILE` from a stream when the
 * server allows it, as batched multi-row INSERTs otherwise; every load checks the affected-row and warning
 * counts. The session runs in strict SQL mode with time zone UTC. When an extractor is its only input, the
 * runner may pass that extractor's rows straight in (no DuckDB table; write/stream.ts). See
 * src/connectors/mysql/write/.
 */
import { mysqlErrorTable } from '../../connectors/mysql/retry-codes.js';
import { runMysqlWrite } from '../../connectors/mysql/write/run.js';
import { mysqlStreamDeclined, runMysqlStreamWrite } from '../../connectors/mysql/write/stream.js';
import type { Driver } from '../../runtime/driver.js';

export { forceLoadMethod, type LoadMethod } from '../../connectors/mysql/write/plan.js';

export const driver: Driver = {
  errorTable: mysqlErrorTable,
  run: runMysqlWrite,
  streamDeclined: (_step, columns) => mysqlStreamDeclined(columns),
  writeStream: runMysqlStreamWrite,
};
