// Baseline: the same CSV → Parquet conversion as one raw DuckDB statement, in-process, no Osiris.
// Usage: node bench/baseline-duckdb.mjs <in.csv> <out.parquet> [query]
// The CSV is read with the column types the Osiris pipeline gives its extractor; `query`, when given, is
// the pipeline's SQL transform with `input_df` standing for the file.
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output, query] = process.argv.slice(2);
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
const types =
  "{'id': 'BIGINT', 'email': 'VARCHAR', 'amount': 'DECIMAL(12,2)', 'created_at': 'TIMESTAMP', 'category': 'INTEGER', 'note': 'VARCHAR'}";
const source = `(SELECT * FROM read_csv(${lit(input)}, header = true, types = ${types}))`;
const select = query ? query.replaceAll('input_df', source) : `SELECT * FROM ${source}`;
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run(`COPY (${select}) TO ${lit(output)} (FORMAT parquet, COMPRESSION snappy)`);
conn.closeSync();
