// Baseline: the same CSV → Parquet conversion as one raw DuckDB statement, in-process, no Osiris.
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run(
  `COPY (SELECT * FROM read_csv('${input}', header = true)) TO '${output}' (FORMAT parquet, COMPRESSION snappy)`,
);
conn.closeSync();
