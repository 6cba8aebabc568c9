import { describe, expect, it } from 'vitest';
import { checkReadOnlySql, checkReadOnlyWhere, sqlDialectOf } from '../../../src/connectors/sql-guard.js';

const reject = (sql: string, dialect?: 'mysql' | 'postgres' | 'any') => {
  const r = checkReadOnlySql(sql, dialect === undefined ? {} : { dialect });
  if (r.ok) throw new Error(`expected rejection of: ${sql}`);
  return r;
};

describe('checkReadOnlySql', () => {
  it.each([
    'SELECT 1',
    'select * from t;',
    '  \n-- leading comment\nSELECT a FROM t',
    'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
    '(SELECT 1) UNION (SELECT 2)',
    'SHOW TABLES',
    'DESCRIBE t',
    'DESC t',
    'EXPLAIN SELECT * FROM t',
    "SELECT 'delete from t; drop table t' AS s",
    'SELECT `update`, `drop` FROM t',
    'SELECT "insert" FROM t',
    'SELECT t.update, t.delete FROM t',
    "SELECT REPLACE(name, 'a', 'b'), INSERT(name, 1, 2, 'x') FROM t",
    'SELECT 1 /* ; drop table t */',
    "SELECT 1 -- '; drop table t\n",
    "SELECT 'it''s'",
    'SELECT CAST(x AS CHAR CHARACTER SET utf8mb4) FROM t',
  ])('accepts %s', (sql) => {
    expect(checkReadOnlySql(sql)).toEqual({ ok: true });
  });

  it('names the leading keyword of a non-read statement with its position', () => {
    const r = reject('\n  DELETE FROM t');
    expect(r.keyword).toBe('DELETE');
    expect([r.offset, r.line, r.col]).toEqual([3, 2, 3]);
    expect(r.message).toContain("'DELETE'");
    expect(r.message).toContain('line 2, column 3');
  });

  it('rejects a second statement, naming its first keyword', () => {
    const r = reject('SELECT 1; DROP TABLE t');
    expect(r.keyword).toBe('DROP');
    expect(r.offset).toBe(10);
    expect(r.message).toContain('only one statement');
  });

  it.each([
    ['WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x', 'DELETE'],
    ['SELECT * FROM t INTO OUTFILE "/tmp/x"', 'INTO'],
    ['SELECT * INTO new_table FROM t', 'INTO'],
    ['SELECT * FROM t FOR UPDATE', 'UPDATE'],
    ['SELECT * FROM t LOCK IN SHARE MODE', 'LOCK'],
    ['EXPLAIN ANALYZE DELETE FROM t', 'DELETE'],
    ['INSERT INTO t VALUES (1)', 'INSERT'],
    ['REPLACE INTO t VALUES (1)', 'REPLACE'],
    ['SET @a = 1', 'SET'],
    ['CALL p()', 'CALL'],
    ['UPDATE t SET a = 1', 'UPDATE'],
  ])('rejects %s with %s', (sql, keyword) => {
    expect(reject(sql).keyword).toBe(keyword);
  });

  it('rejects an empty query', () => {
    expect(reject('  -- nothing\n').message).toContain('empty');
  });

  it('treats MySQL executable comments as code', () => {
    const r = reject('SELECT 1 /*!50000 ; DROP TABLE t */', 'mysql');
    expect(r.keyword).toBe('DROP');
    expect(checkReadOnlySql('SELECT /*! STRAIGHT_JOIN */ a FROM t', { dialect: 'mysql' })).toEqual({
      ok: true,
    });
  });

  it('does not let one lexer hide code inside what the other reads as a comment or string', () => {
    // PostgreSQL: `--'` is a comment, then a DROP; MySQL: `- -` then a string.
    const sql = "SELECT 1 --'\n; DROP TABLE t; --'";
    expect(reject(sql, 'postgres').keyword).toBe('DROP');
    expect(reject(sql).keyword).toBe('DROP');
    // MySQL: `#` comment; PostgreSQL: operator then DROP.
    expect(reject('SELECT 1 # x\n; DROP TABLE t').keyword).toBe('DROP');
    // MySQL: one string (backslash escapes the quote); PostgreSQL: the string ends at `\'`, then a DROP.
    const bs = "SELECT 'a\\'; DROP TABLE t; -- '";
    expect(checkReadOnlySql(bs, { dialect: 'mysql' })).toEqual({ ok: true });
    expect(reject(bs, 'postgres').keyword).toBe('DROP');
    expect(reject(bs).keyword).toBe('DROP');
  });

  it('understands PostgreSQL dollar quotes, E strings and nested comments', () => {
    expect(checkReadOnlySql("SELECT $$ drop table t; $$, $q$ it's $q$", { dialect: 'postgres' })).toEqual({
      ok: true,
    });
    expect(checkReadOnlySql("SELECT E'it\\'s; delete'", { dialect: 'postgres' })).toEqual({ ok: true });
    expect(checkReadOnlySql('SELECT 1 /* a /* b */ ; drop */', { dialect: 'postgres' })).toEqual({
      ok: true,
    });
    expect(reject('SELECT 1 /* a /* b */ ; drop */', 'mysql').keyword).toBe('DROP');
    expect(checkReadOnlySql("SELECT data #>> '{a,b}' FROM t", { dialect: 'postgres' })).toEqual({ ok: true });
  });

  it('reports unterminated strings and comments', () => {
    expect(reject("SELECT 'abc").message).toContain('unterminated string');
    expect(reject('SELECT 1 /* x').message).toContain('unterminated comment');
  });

  it('counts columns in characters, not UTF-16 units', () => {
    const r = reject("SELECT '😀' ; DROP TABLE t");
    expect(r.col).toBe(14);
    expect(r.offset).toBe(14);
  });
});

describe('checkReadOnlyWhere and sqlDialectOf', () => {
  it('reports positions inside the condition itself', () => {
    expect(checkReadOnlyWhere("created_at >= '2024-01-01'")).toEqual({ ok: true });
    const r = checkReadOnlyWhere('a = 1;\n DELETE FROM t');
    expect(r).toMatchObject({ ok: false, keyword: 'DELETE', line: 2, col: 2, offset: 8 });
    if (!r.ok) expect(r.message).toContain('line 2, column 2');
  });

  it('maps component families to lexer rules', () => {
    expect(sqlDialectOf('mysql.extractor')).toBe('mysql');
    expect(sqlDialectOf('supabase.extractor')).toBe('postgres');
    expect(sqlDialectOf('postgres.writer')).toBe('postgres');
    expect(sqlDialectOf('duckdb.processor')).toBeUndefined();
  });
});
