/**
 * mysql.extractor: streams a MySQL/MariaDB table or read-only query into the step's DuckDB table.
 *
 * Rows arrive one at a time from mysql2 (BIGINT and DECIMAL as strings, dates as strings, FLOAT/DOUBLE through
 * the binary protocol: nothing passes through a lossy JS Number or Date) and go straight into a DuckDB appender,
 * flushed every `batch_size` rows; the result is never held in memory. The output table is created from the
 * result set's column metadata (src/connectors/mysql/types.ts). The query runs in a READ ONLY transaction
 * with session time zone UTC. When a writer is this step's only consumer, the runner may pass the rows
 * straight to it instead (src/connectors/mysql/stream.ts).
 *
 * Values DuckDB cannot hold as typed: zero dates ('0000-00-00…', and dates with a zero month or day) become
 * NULL with one `zero_dates_nulled` warning per column giving the count; a TINYINT(1) with a value other than
 * 0/1, a DECIMAL wider than DECIMAL(38,s), or a TIME outside 00:00–24:00 widens its column (BOOLEAN →
 * TINYINT, DECIMAL → VARCHAR, TIME → INTERVAL) with a `column_widened` warning.
 * See src/connectors/mysql/{read,extract,stream}.ts.
 */
import { mysqlErrorTable } from '../../connectors/mysql/retry-codes.js';
import { openMysqlStream } from '../../connectors/mysql/stream.js';
import type { Driver } from '../../runtime/driver.js';

export const driver: Driver = {
  errorTable: mysqlErrorTable,
  // Imported on use: the materialised read needs DuckDB, which a pass-through run never loads (~175 ms).
  run: async (ctx) => (await import('../../connectors/mysql/extract.js')).runMysqlExtract(ctx),
  openStream: openMysqlStream,
};
