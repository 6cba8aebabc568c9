// Creates database `osiris_bench` in MariaDB with table `bench_rows`: N rows × 6 columns (id INT PK,
// email VARCHAR(40), amount DECIMAL(12,2), created_at DATETIME, category INT, note VARCHAR(100)), generated
// server-side by one INSERT … SELECT from MariaDB's SEQUENCE engine (`seq_1_to_N`), so no row passes through
// JavaScript. Deterministic: the same N gives the same rows (same formulas as bench/generate-csv.mjs).
// Skips the work when the table already holds exactly N rows.
//
// Usage: node bench/db/generate-mysql.mjs <rows>
// Env: BENCH_MYSQL_HOST (127.0.0.1), BENCH_MYSQL_PORT (3306), BENCH_MYSQL_USER (root),
//      BENCH_MYSQL_PASSWORD (empty), BENCH_MYSQL_DATABASE (osiris_bench).
import mysql from 'mysql2/promise';

const rows = Number(process.argv[2]);
if (!Number.isInteger(rows) || rows <= 0) {
  console.error('usage: node bench/db/generate-mysql.mjs <rows>');
  process.exit(2);
}
const database = process.env.BENCH_MYSQL_DATABASE ?? 'osiris_bench';
if (!/^[A-Za-z0-9_]+$/.test(database)) {
  console.error(`bad database name: ${database}`);
  process.exit(2);
}
const conn = await mysql.createConnection({
  host: process.env.BENCH_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.BENCH_MYSQL_PORT ?? 3306),
  user: process.env.BENCH_MYSQL_USER ?? 'root',
  password: process.env.BENCH_MYSQL_PASSWORD ?? '',
});
try {
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
  await conn.query(`USE \`${database}\``);
  const [tables] = await conn.query(
    "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = 'bench_rows'",
    [database],
  );
  if (tables.length > 0) {
    const [[{ n }]] = await conn.query('SELECT COUNT(*) AS n FROM bench_rows');
    if (Number(n) === rows) {
      console.error(`${database}.bench_rows already holds ${rows} rows`);
      process.exit(0);
    }
  }
  const started = Date.now();
  await conn.query('DROP TABLE IF EXISTS bench_rows');
  await conn.query(`CREATE TABLE bench_rows (
    id INT NOT NULL PRIMARY KEY,
    email VARCHAR(40) NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    created_at DATETIME NOT NULL,
    category INT NOT NULL,
    note VARCHAR(100) NOT NULL
  ) ENGINE=InnoDB`);
  // One big INSERT … SELECT in chunks of 1M rows keeps the undo log and the lock table small.
  const chunk = 1_000_000;
  for (let from = 1; from <= rows; from += chunk) {
    const to = Math.min(rows, from + chunk - 1);
    await conn.query(`INSERT INTO bench_rows (id, email, amount, created_at, category, note)
      SELECT seq,
        CONCAT('user_', LPAD(seq % 1000003, 8, '0'), '@example.com'),
        ((seq * 7919) % 100000000) / 100,
        TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (seq * 1234567) DIV 1000000 SECOND,
        seq % 97,
        CONCAT('note ', MD5(seq), ' ', SUBSTR(MD5(seq * 3), 1, 20))
      FROM seq_${from}_to_${to}`);
  }
  const [[{ n }]] = await conn.query('SELECT COUNT(*) AS n FROM bench_rows');
  if (Number(n) !== rows) {
    console.error(`generated ${n} rows, expected ${rows}`);
    process.exit(1);
  }
  console.error(`${database}.bench_rows: ${rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await conn.end();
}
