// Writes an N-row, 6-column CSV (int, varchar(40), decimal(12,2), datetime, int, varchar(100)) with DuckDB,
// deterministically (no JS row loop), so generating 10M rows takes seconds, not minutes.
import { DuckDBInstance } from '@duckdb/node-api';

const [rowsArg, out] = process.argv.slice(2);
const rows = Number(rowsArg);
if (!Number.isInteger(rows) || rows <= 0 || !out) {
  console.error('usage: node bench/generate-csv.mjs <rows> <out.csv>');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run(`
  COPY (
    SELECT
      i AS id,
      'user_' || lpad(CAST(i % 1000003 AS VARCHAR), 8, '0') || '@example.com' AS email,
      CAST(((i * 7919) % 100000000) / 100.0 AS DECIMAL(12,2)) AS amount,
      TIMESTAMP '2020-01-01 00:00:00' + to_microseconds(i * 1234567) AS created_at,
      CAST(i % 97 AS INTEGER) AS category,
      'note ' || md5(CAST(i AS VARCHAR)) || ' ' || substr(md5(CAST(i * 3 AS VARCHAR)), 1, 20) AS note
    FROM range(1, ${rows} + 1) t(i)
  ) TO '${out.replaceAll("'", "''")}' (HEADER, DELIMITER ',')`);
conn.closeSync();
