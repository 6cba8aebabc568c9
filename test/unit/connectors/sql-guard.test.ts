import { describe, expect, it } from 'vitest';
import { guardSql, type SqlDialect, sqlDialectOf } from '../../../src/connectors/sql-guard.js';
import {
  type Attack,
  MYSQL_ACCEPTED,
  MYSQL_ATTACKS,
  POSTGRES_ACCEPTED,
  POSTGRES_ATTACKS,
} from '../../helpers/sql-attacks.js';

const fill = (sql: string) =>
  sql
    .replaceAll('{oid}', '16400')
    .replaceAll('{pid}', '4242')
    .replaceAll('{lock}', '777')
    .replaceAll('{seq}', 'osiris_seq')
    .replaceAll('{table}', 'osiris_t');

async function refusal(sql: string, dialect: SqlDialect, part?: 'query' | 'where') {
  const r = await guardSql(sql, { dialect, ...(part ? { part } : {}) });
  if (r.ok) throw new Error(`expected the guard to refuse: ${sql}`);
  return r;
}

const engines: [SqlDialect, readonly Attack[], readonly string[]][] = [
  ['postgres', POSTGRES_ATTACKS, POSTGRES_ACCEPTED],
  ['mysql', MYSQL_ATTACKS, MYSQL_ACCEPTED],
];

describe.each(engines)('the %s guard', (dialect, attacks, accepted) => {
  it.each(attacks.map((a) => [a.name, a] as const))('refuses %s', async (_, attack) => {
    const r = await refusal(fill(attack.sql), dialect);
    if (typeof attack.refused === 'string') expect(r.keyword).toBe(attack.refused);
    else expect(r.keyword).toMatch(attack.refused);
    expect(r.message).toMatch(/\(line \d+, column \d+\)$/);
  });

  it.each(accepted)('accepts %s', async (sql) => {
    expect(await guardSql(sql, { dialect })).toMatchObject({ ok: true });
  });

  it('locates the refused call by line and column', async () => {
    const r = await refusal(
      'SELECT a,\n  b\nFROM t\nWHERE x = 1 AND SLEEP(5) = 0 AND lo_put(1, 0, NULL) IS NULL',
      dialect,
    );
    expect([r.line, r.col]).toEqual(dialect === 'mysql' ? [4, 17] : [4, 34]);
    expect(r.message).toContain(`(line 4, column ${r.col})`);
  });

  it('refuses SQL its parser cannot read, at the parser position', async () => {
    const r = await refusal('SELECT a\nFRM t', dialect);
    expect(r.line).toBe(2);
    expect(r.message).toMatch(/parser cannot read/);
  });

  it('refuses an empty query', async () => {
    expect((await refusal(' ; ', dialect)).message).toMatch(/empty/);
  });

  it('checks a where condition as embedded, with positions in the condition', async () => {
    expect(await guardSql("created_at >= '2024-01-01' -- recent", { dialect, part: 'where' })).toMatchObject({
      ok: true,
    });
    const call = dialect === 'mysql' ? 'SLEEP(5)' : 'pg_sleep(5)';
    const r = await refusal(`a = 1 AND ${call} IS NULL`, dialect, 'where');
    expect([r.line, r.col]).toEqual([1, 11]);
    expect(r.message).toContain('of the condition');
    expect((await refusal('a = 1); DELETE FROM t; SELECT (1', dialect, 'where')).message).toMatch(
      /second statement/,
    );
  });
});

describe('the statement shape', () => {
  it('knows the leading keyword, the body without its semicolon and an own LIMIT', async () => {
    const shape = async (sql: string, dialect: SqlDialect) => {
      const r = await guardSql(sql, { dialect });
      if (!r.ok) throw new Error(r.message);
      return r.shape;
    };
    expect(await shape('SELECT 1; -- done', 'postgres')).toEqual({
      keyword: 'SELECT',
      body: 'SELECT 1',
      ownLimit: false,
    });
    expect(await shape('SELECT 1; -- done', 'mysql')).toEqual({
      keyword: 'SELECT',
      body: 'SELECT 1',
      ownLimit: false,
    });
    for (const dialect of ['mysql', 'postgres'] as const) {
      expect((await shape('SELECT * FROM t ORDER BY a LIMIT 5', dialect)).ownLimit).toBe(true);
      expect((await shape('SELECT * FROM (SELECT * FROM t LIMIT 5) x', dialect)).ownLimit).toBe(false);
      expect((await shape("SELECT 'LIMIT 5' AS s -- LIMIT 5", dialect)).ownLimit).toBe(false);
      expect((await shape('WITH c AS (SELECT 1) SELECT * FROM c', dialect)).keyword).toBe('WITH');
    }
    expect((await shape('SELECT * FROM t ORDER BY a FETCH FIRST 3 ROWS ONLY', 'postgres')).ownLimit).toBe(
      true,
    );
    expect((await shape('(SELECT * FROM t LIMIT 5)', 'mysql')).ownLimit).toBe(true);
    expect((await shape('SELECT 1 UNION SELECT 2 LIMIT 3', 'mysql')).ownLimit).toBe(true);
    expect((await shape('(SELECT 1) UNION (SELECT 2) LIMIT 3', 'mysql')).ownLimit).toBe(true);
    expect((await shape("SELECT 'a;  -- x'", 'mysql')).body).toBe("SELECT 'a;  -- x'");
    expect((await shape('SELECT 1; # done', 'mysql')).body).toBe('SELECT 1');
    expect((await shape('SHOW TABLES', 'mysql')).keyword).toBe('SHOW');
    expect((await shape('DESC t', 'mysql')).keyword).toBe('DESCRIBE');
    expect((await shape('EXPLAIN SELECT 1', 'postgres')).keyword).toBe('EXPLAIN');
  });
});

describe('sqlDialectOf', () => {
  it('maps component families to dialects', () => {
    expect(sqlDialectOf('mysql.extractor')).toBe('mysql');
    expect(sqlDialectOf('postgres.extractor')).toBe('postgres');
    expect(sqlDialectOf('supabase.extractor')).toBe('postgres');
    expect(sqlDialectOf('duckdb.processor')).toBeUndefined();
  });
});
