// Baseline for MySQL → Postgres: the smallest reasonable in-process copy, no Osiris and no DuckDB.
// mysql2 streams the rows of one SELECT (rows as arrays, DECIMAL and DATETIME as strings, so nothing is
// converted twice); each row becomes a line of PostgreSQL COPY text format (tab-separated, \N for NULL,
// backslash escapes); lines are sent in ~256 KiB chunks through one `COPY … FROM STDIN` (pg-copy-streams),
// with back-pressure from Postgres all the way to the MySQL socket. The target table is created fresh.
//
// Usage: node bench/db/baseline-stream.mjs <mysql table> <postgres schema.table>
// Env: BENCH_MYSQL_HOST/PORT/USER/PASSWORD/DATABASE (127.0.0.1, 3306, root, '', osiris_bench),
//      BENCH_PG_HOST/PORT/USER/PASSWORD/DATABASE (127.0.0.1, 5432, postgres, '', test).
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mysql from 'mysql2';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const [source, target] = process.argv.slice(2);
const ident = /^[A-Za-z0-9_]+$/;
if (!source || !target || !ident.test(source) || !target.split('.').every((p) => ident.test(p))) {
  console.error('usage: node bench/db/baseline-stream.mjs <mysql table> <postgres schema.table>');
  process.exit(2);
}
const env = process.env;

const my = mysql.createConnection({
  host: env.BENCH_MYSQL_HOST ?? '127.0.0.1',
  port: Number(env.BENCH_MYSQL_PORT ?? 3306),
  user: env.BENCH_MYSQL_USER ?? 'root',
  password: env.BENCH_MYSQL_PASSWORD ?? '',
  database: env.BENCH_MYSQL_DATABASE ?? 'osiris_bench',
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: true,
});
const client = new pg.Client({
  host: env.BENCH_PG_HOST ?? '127.0.0.1',
  port: Number(env.BENCH_PG_PORT ?? 5432),
  user: env.BENCH_PG_USER ?? 'postgres',
  password: env.BENCH_PG_PASSWORD ?? '',
  database: env.BENCH_PG_DATABASE ?? 'test',
});
await client.connect();

const q = (name) =>
  name
    .split('.')
    .map((p) => `"${p}"`)
    .join('.');
await client.query(`DROP TABLE IF EXISTS ${q(target)}`);
await client.query(
  `CREATE TABLE ${q(target)} (id integer, email text, amount numeric(12,2), created_at timestamp, category integer, note text)`,
);

const special = /[\\\t\n\r]/;
const escapeText = (v) =>
  special.test(v)
    ? v.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n').replaceAll('\r', '\\r')
    : v;
const field = (v) => {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return escapeText(v);
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  return String(v);
};

const CHUNK = 256 * 1024;
let pending = '';
let rows = 0;
const toCopyText = new Transform({
  writableObjectMode: true,
  readableHighWaterMark: 1024 * 1024,
  transform(row, _enc, done) {
    let line = field(row[0]);
    for (let i = 1; i < row.length; i++) line += `\t${field(row[i])}`;
    pending += `${line}\n`;
    rows++;
    if (pending.length >= CHUNK) {
      const out = pending;
      pending = '';
      done(null, out);
    } else done();
  },
  flush(done) {
    done(null, pending || undefined);
  },
});

const rowStream = my
  .query({ sql: `SELECT * FROM \`${source}\``, rowsAsArray: true })
  .stream({ highWaterMark: 1000 });
const copy = client.query(copyFrom(`COPY ${q(target)} FROM STDIN`));
await pipeline(rowStream, toCopyText, copy);
my.end();
await client.end();
console.error(`copied ${rows} rows`);
