/**
 * The SQL guard's corpus, shared by the unit test (parse and refuse) and the integration test (run each
 * attack through the real extract and query paths and prove the database unchanged). Placeholders are
 * filled by the integration test with objects it created: `{oid}` a large object, `{pid}` a victim
 * session, `{lock}` an advisory/named lock key, `{seq}` a sequence, `{table}` a table.
 */

export interface Attack {
  /** Short name for the test title. */
  name: string;
  sql: string;
  /** What the refusal names (`keyword` of the result), e.g. `lo_put()` or `DELETE`. */
  refused: string | RegExp;
}

export const POSTGRES_ATTACKS: readonly Attack[] = [
  // Large objects: PostgreSQL allows these inside BEGIN READ ONLY.
  { name: 'lo_put', sql: "SELECT lo_put({oid}, 0, 'PWNED'::bytea)", refused: 'lo_put()' },
  { name: 'lo_from_bytea', sql: "SELECT lo_from_bytea(0, 'PWNED'::bytea)", refused: 'lo_from_bytea()' },
  { name: 'lo_unlink', sql: 'SELECT lo_unlink({oid})', refused: 'lo_unlink()' },
  { name: 'lo_import', sql: "SELECT lo_import('/etc/hostname')", refused: 'lo_import()' },
  {
    name: 'lowrite',
    sql: "SELECT lowrite(lo_open({oid}, 131072), 'PWNED')",
    refused: /^lo(write|_open)\(\)$/,
  },
  { name: 'schema-qualified', sql: "SELECT pg_catalog.lo_put({oid}, 0, 'PWNED')", refused: 'lo_put()' },
  { name: 'quoted upper case', sql: 'SELECT "lo_unlink"({oid})', refused: 'lo_unlink()' },
  { name: 'unicode-escaped name', sql: 'SELECT U&"lo_unlin\\006b"({oid})', refused: 'lo_unlink()' },
  // Other sessions, files, locks, notifications, settings, statistics.
  {
    name: 'pg_terminate_backend',
    sql: 'SELECT pg_terminate_backend({pid})',
    refused: 'pg_terminate_backend()',
  },
  { name: 'pg_cancel_backend', sql: 'SELECT pg_cancel_backend({pid})', refused: 'pg_cancel_backend()' },
  { name: 'pg_read_file', sql: "SELECT pg_read_file('/etc/hostname')", refused: 'pg_read_file()' },
  {
    name: 'pg_read_binary_file',
    sql: "SELECT pg_read_binary_file('/etc/hostname')",
    refused: 'pg_read_binary_file()',
  },
  { name: 'pg_ls_dir', sql: "SELECT * FROM pg_ls_dir('.')", refused: 'pg_ls_dir()' },
  { name: 'pg_advisory_lock', sql: 'SELECT pg_advisory_lock({lock})', refused: 'pg_advisory_lock()' },
  {
    name: 'pg_try_advisory_lock',
    sql: 'SELECT pg_try_advisory_lock({lock})',
    refused: 'pg_try_advisory_lock()',
  },
  { name: 'pg_notify', sql: "SELECT pg_notify('osiris_guard', 'PWNED')", refused: 'pg_notify()' },
  { name: 'set_config', sql: "SELECT set_config('work_mem', '1MB', false)", refused: 'set_config()' },
  { name: 'pg_stat_reset', sql: 'SELECT pg_stat_reset()', refused: 'pg_stat_reset()' },
  {
    name: 'pg_stat_reset_single_table_counters',
    sql: "SELECT pg_stat_reset_single_table_counters('{table}'::regclass)",
    refused: 'pg_stat_reset_single_table_counters()',
  },
  {
    name: 'dblink',
    sql: "SELECT * FROM dblink('dbname=test', 'DELETE FROM t') AS x(a int)",
    refused: 'dblink()',
  },
  {
    name: 'query_to_xml',
    sql: "SELECT query_to_xml('SELECT lo_unlink({oid})', true, true, '')",
    refused: 'query_to_xml()',
  },
  { name: 'nextval', sql: "SELECT nextval('{seq}')", refused: 'nextval()' },
  { name: 'pg_sleep', sql: 'SELECT pg_sleep(100)', refused: 'pg_sleep()' },
  // Every place a call can hide.
  { name: 'in a subquery', sql: 'SELECT * FROM (SELECT lo_unlink({oid}) AS x) s', refused: 'lo_unlink()' },
  { name: 'in a CTE', sql: 'WITH c AS (SELECT lo_unlink({oid})) SELECT * FROM c', refused: 'lo_unlink()' },
  { name: 'in a cast', sql: 'SELECT CAST(lo_unlink({oid}) AS text)', refused: 'lo_unlink()' },
  { name: 'in a :: cast', sql: 'SELECT lo_unlink({oid})::text', refused: 'lo_unlink()' },
  {
    name: 'in a lateral join',
    sql: 'SELECT * FROM {table} t, LATERAL (SELECT lo_unlink({oid})) l',
    refused: 'lo_unlink()',
  },
  { name: 'as a FROM function', sql: 'SELECT * FROM lo_unlink({oid})', refused: 'lo_unlink()' },
  { name: 'in WHERE', sql: 'SELECT 1 FROM {table} WHERE lo_unlink({oid}) = 1', refused: 'lo_unlink()' },
  { name: 'in CASE', sql: 'SELECT CASE WHEN true THEN lo_unlink({oid}) END', refused: 'lo_unlink()' },
  { name: 'in ORDER BY', sql: 'SELECT 1 FROM {table} ORDER BY lo_unlink({oid})', refused: 'lo_unlink()' },
  { name: 'in VALUES', sql: 'VALUES (lo_unlink({oid}))', refused: 'lo_unlink()' },
  { name: 'in an array', sql: 'SELECT ARRAY[lo_unlink({oid})]', refused: 'lo_unlink()' },
  {
    name: 'in an aggregate FILTER',
    sql: 'SELECT count(*) FILTER (WHERE lo_unlink({oid}) = 1) FROM {table}',
    refused: 'lo_unlink()',
  },
  { name: 'in EXPLAIN ANALYZE', sql: 'EXPLAIN ANALYZE SELECT lo_unlink({oid})', refused: 'lo_unlink()' },
  { name: 'in a UNION branch', sql: 'SELECT 1 UNION ALL SELECT lo_unlink({oid})', refused: 'lo_unlink()' },
  // Statements that are not reads (what the old keyword lint already blocked).
  { name: 'DELETE', sql: 'DELETE FROM {table}', refused: 'DELETE' },
  { name: 'INSERT', sql: 'INSERT INTO {table} VALUES (99)', refused: 'INSERT' },
  { name: 'UPDATE', sql: 'UPDATE {table} SET id = 0', refused: 'UPDATE' },
  { name: 'TRUNCATE', sql: 'TRUNCATE {table}', refused: 'TRUNCATE' },
  { name: 'DROP', sql: 'DROP TABLE {table}', refused: 'DROP' },
  { name: 'CREATE TABLE AS', sql: 'CREATE TABLE osiris_pwned AS SELECT 1', refused: 'CREATE TABLE AS' },
  { name: 'COPY TO file', sql: "COPY {table} TO '/tmp/osiris_pwned'", refused: 'COPY' },
  { name: 'COPY FROM PROGRAM', sql: "COPY {table} FROM PROGRAM 'true'", refused: 'COPY' },
  { name: 'DO block', sql: 'DO $$ BEGIN PERFORM lo_unlink({oid}); END $$', refused: 'DO' },
  { name: 'CALL', sql: 'CALL osiris_proc()', refused: 'CALL' },
  { name: 'SET', sql: 'SET work_mem = 1', refused: 'SET' },
  { name: 'LOCK TABLE', sql: 'LOCK TABLE {table}', refused: 'LOCK' },
  { name: 'NOTIFY', sql: "NOTIFY osiris_guard, 'PWNED'", refused: 'NOTIFY' },
  { name: 'SELECT INTO', sql: 'SELECT * INTO osiris_pwned FROM {table}', refused: 'INTO' },
  { name: 'FOR UPDATE', sql: 'SELECT * FROM {table} FOR UPDATE', refused: 'FOR UPDATE/SHARE' },
  {
    name: 'data-modifying CTE',
    sql: 'WITH d AS (DELETE FROM {table} RETURNING *) SELECT * FROM d',
    refused: 'DELETE',
  },
  { name: 'EXPLAIN ANALYZE DELETE', sql: 'EXPLAIN ANALYZE DELETE FROM {table}', refused: 'DELETE' },
  { name: 'two statements', sql: 'SELECT 1; DELETE FROM {table}', refused: '' },
  { name: 'BEGIN', sql: 'BEGIN', refused: 'transaction control' },
];

export const MYSQL_ATTACKS: readonly Attack[] = [
  { name: 'LOAD_FILE', sql: "SELECT LOAD_FILE('/etc/hostname')", refused: 'LOAD_FILE()' },
  { name: 'SLEEP', sql: 'SELECT SLEEP(100)', refused: 'SLEEP()' },
  { name: 'BENCHMARK', sql: "SELECT BENCHMARK(100000000, MD5('a'))", refused: 'BENCHMARK()' },
  { name: 'GET_LOCK', sql: "SELECT GET_LOCK('{lock}', 0)", refused: 'GET_LOCK()' },
  { name: 'RELEASE_LOCK', sql: "SELECT RELEASE_LOCK('{lock}')", refused: 'RELEASE_LOCK()' },
  { name: 'NEXTVAL', sql: 'SELECT NEXTVAL({seq})', refused: 'NEXTVAL()' },
  { name: 'lower case', sql: 'select sleep(100)', refused: 'sleep()' },
  { name: 'backticked', sql: 'SELECT `SLEEP`(100)', refused: 'SLEEP()' },
  { name: 'comment before (', sql: 'SELECT SLEEP /* x */ (100)', refused: 'SLEEP()' },
  { name: 'in a subquery', sql: 'SELECT * FROM (SELECT SLEEP(100) AS x) s', refused: 'SLEEP()' },
  { name: 'in a CTE', sql: 'WITH c AS (SELECT SLEEP(100)) SELECT * FROM c', refused: 'SLEEP()' },
  { name: 'in IF()', sql: 'SELECT IF(1, SLEEP(100), 0)', refused: 'SLEEP()' },
  { name: 'in CASE', sql: 'SELECT CASE WHEN 1 THEN SLEEP(100) END', refused: 'SLEEP()' },
  { name: 'in CAST', sql: 'SELECT CAST(SLEEP(100) AS CHAR)', refused: 'SLEEP()' },
  { name: 'in an aggregate', sql: 'SELECT COUNT(SLEEP(100))', refused: 'SLEEP()' },
  { name: 'in WHERE', sql: 'SELECT 1 FROM {table} WHERE SLEEP(100) = 0', refused: 'SLEEP()' },
  { name: 'in ORDER BY', sql: 'SELECT 1 FROM {table} ORDER BY SLEEP(100)', refused: 'SLEEP()' },
  {
    name: 'in a JOIN condition',
    sql: 'SELECT 1 FROM {table} a JOIN {table} b ON SLEEP(100) = 0',
    refused: 'SLEEP()',
  },
  {
    name: 'in an IN subquery',
    sql: 'SELECT 1 FROM {table} WHERE id IN (SELECT SLEEP(100))',
    refused: 'SLEEP()',
  },
  { name: 'in a UNION branch', sql: 'SELECT 1 UNION SELECT SLEEP(100)', refused: 'SLEEP()' },
  {
    name: 'behind an index hint',
    sql: 'SELECT * FROM {table} FORCE INDEX (PRIMARY) WHERE SLEEP(100) = 0',
    refused: 'SLEEP()',
  },
  { name: 'executable comment', sql: 'SELECT 1 /*!50000 , SLEEP(100) */', refused: '/*!' },
  { name: 'MariaDB executable comment', sql: 'SELECT 1 /*M!100000 , SLEEP(100) */', refused: '/*M!' },
  // The grammar is not the server's: a refused name followed by `(` is refused even inside a string.
  { name: 'text backstop', sql: "SELECT 'SLEEP(100)'", refused: 'SLEEP()' },
  // Statements that are not reads (what the old keyword lint already blocked).
  { name: 'DELETE', sql: 'DELETE FROM {table}', refused: 'DELETE' },
  { name: 'INSERT', sql: 'INSERT INTO {table} VALUES (99)', refused: 'INSERT' },
  { name: 'UPDATE', sql: 'UPDATE {table} SET id = 0', refused: 'UPDATE' },
  { name: 'REPLACE', sql: 'REPLACE INTO {table} VALUES (1)', refused: 'REPLACE' },
  { name: 'TRUNCATE', sql: 'TRUNCATE TABLE {table}', refused: /TRUNCATE/ },
  { name: 'DROP', sql: 'DROP TABLE {table}', refused: /DROP/ },
  { name: 'DO', sql: 'DO SLEEP(100)', refused: /./ },
  { name: 'SET', sql: 'SET @a = 1', refused: /SET/ },
  { name: 'KILL', sql: 'KILL {pid}', refused: /./ },
  { name: 'LOCK TABLES', sql: 'LOCK TABLES {table} WRITE', refused: /LOCK/ },
  { name: 'INTO OUTFILE', sql: "SELECT * FROM {table} INTO OUTFILE '/tmp/osiris_pwned'", refused: 'INTO' },
  { name: 'INTO DUMPFILE', sql: "SELECT 'x' INTO DUMPFILE '/tmp/osiris_pwned'", refused: 'INTO' },
  { name: 'INTO variable', sql: 'SELECT 1 INTO @a', refused: 'INTO' },
  { name: 'FOR UPDATE', sql: 'SELECT * FROM {table} FOR UPDATE', refused: 'FOR UPDATE' },
  { name: 'LOCK IN SHARE MODE', sql: 'SELECT * FROM {table} LOCK IN SHARE MODE', refused: /SHARE/i },
  { name: 'two statements', sql: 'SELECT 1; DELETE FROM {table}', refused: '' },
];

/** Queries the guard must accept (false positives would break real pipelines). */
export const POSTGRES_ACCEPTED: readonly string[] = [
  'SELECT 1',
  'select * from t;',
  '  \n-- leading comment\nSELECT a FROM t',
  'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
  'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
  '(SELECT 1) UNION (SELECT 2)',
  'SHOW search_path',
  'EXPLAIN SELECT * FROM t',
  'VALUES (1, 2)',
  "SELECT 'delete from t; drop table t; lo_unlink(1)' AS s",
  'SELECT "delete", lo_put FROM t',
  'SELECT lower(name), upper(name), length(name), now(), count(*) OVER () FROM t',
  "SELECT data #>> '{a,b}', $$ drop table t; $$, E'it\\'s' FROM t",
  'SELECT 1 /* a /* b */ ; drop */',
  'SELECT * FROM t, LATERAL jsonb_array_elements(t.data) e',
  "SELECT to_char(created_at, 'YYYY'), coalesce(a, b), pg_typeof(a), current_setting('TimeZone') FROM t",
  'SELECT * FROM generate_series(1, 3) g',
  'SELECT my_schema.my_function(a) FROM t',
];

export const MYSQL_ACCEPTED: readonly string[] = [
  'SELECT 1',
  'select * from t;',
  '  \n-- leading comment\nSELECT a FROM t',
  'SELECT a FROM t # trailing comment',
  'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
  '(SELECT 1) UNION (SELECT 2)',
  'SHOW TABLES',
  'DESCRIBE t',
  'DESC t',
  'EXPLAIN SELECT * FROM t',
  "SELECT 'delete from t; drop table t' AS s",
  'SELECT `update`, `sleep` FROM t',
  'SELECT t.update, t.delete FROM t',
  "SELECT REPLACE(name, 'a', 'b'), INSERT(name, 1, 2, 'x') FROM t",
  'SELECT 1 /* ; drop table t */',
  "SELECT 'it''s', 'it\\'s'",
  'SELECT CAST(x AS CHAR CHARACTER SET utf8mb4) FROM t',
  "SELECT DATE_FORMAT(d, '%Y'), IFNULL(a, 0), COUNT(*), SUM(x) OVER () FROM t GROUP BY d",
  "SELECT j->>'$.a' FROM t WHERE name LIKE 'a%' ORDER BY 1 LIMIT 5",
  'SELECT * FROM t a JOIN u b ON a.id = b.id LEFT JOIN v c USING (id)',
  'SELECT * FROM t FORCE INDEX (idx_a, `PRIMARY`) WHERE a BETWEEN 1 AND 5 LIMIT 10 OFFSET 5',
  'SELECT STRAIGHT_JOIN * FROM a USE INDEX FOR JOIN (i) STRAIGHT_JOIN b ON a.id = b.id',
];
