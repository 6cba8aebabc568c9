// Prints the number of rows in a Parquet file (read with DuckDB), for the benchmark's row-count checks.
// Usage: node bench/db/count-rows.mjs <file.parquet>
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/db/count-rows.mjs <file.parquet>');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const reader = await conn.runAndReadAll(
  `SELECT count(*)::VARCHAR AS n FROM read_parquet('${file.replaceAll("'", "''")}')`,
);
console.log(reader.getRowObjectsJson()[0].n);
conn.closeSync();
