// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * `runReadOnlyQuery` (and the connectors' `queryRows`) against the real MariaDB and PostgreSQL: each suite
 * works in its own database/schema, dropped afterwards. Rows and columns, the row limit and `truncated`,
 * refused writes (the table is unchanged), masking and redaction, exact big integers and decimals, the
 * statement timeout and the server's own error messages.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConnector } from '../../../src/connectors/index.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { runReadOnlyQuery } from '../../../src/discovery/query.js';
import { ReadOnlySqlError } from '../../../src/discovery/query-rows.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import type { ResolvedConnection } from '../../../src/runtime/driver.js';
import {
  MYSQL,
  mysqlUnavailable,
  POSTGRES,
  postgresUnavailable,
  uniqueName,
} from '../../helpers/databases.js';
import { projectWith } from './helpers.js';

const mysqlWhy = await mysqlUnavailable();
const postgresWhy = await postgresUnavailable();

const CANARY = `Canary-${randomBytes(6).toString('hex')}`;
const env = { CANARY_PW: CANARY };
/** 2^53 + 1: not representable as a JavaScript number. */
const BIG = 9007199254740993n;
const AMOUNT = '12345678901234567890.123456789';
const ROWS = 30;

/** The OsirisError `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<OsirisError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OsirisError) return error;
    throw error;
  }
  throw new Error('expected an OsirisError');
}

const codeOf = (error: OsirisError) => error.diagnostics[0]?.code;
const hintOf = (error: OsirisError) => error.diagnostics[0]?.hint ?? '';

describe.skipIf(mysqlWhy !== undefined)('runReadOnlyQuery on MariaDB', () => {
  const db = uniqueName('osiris_query');
  const user = uniqueName('osiris_qr');
  let project: ProjectConfig;

  async function admin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
    const conn = await mysql.createConnection({
      ...MYSQL,
      database: db,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    try {
      return await fn(conn);
    } finally {
      await conn.end();
    }
  }

  const query = (sql: string, extra: { ref?: string; limit?: number; timeoutMs?: number } = {}) =>
    runReadOnlyQuery({ ref: extra.ref ?? '@mysql.main', project, env, sql, ...extra });

  beforeAll(async () => {
    const root = await mysql.createConnection({ ...MYSQL });
    await root.query(`CREATE DATABASE \`${db}\``);
    await root.end();
    await admin(async (c) => {
      await c.query(`CREATE TABLE accounts (
        id BIGINT NOT NULL PRIMARY KEY,
        name VARCHAR(50) NOT NULL,
        password VARCHAR(100) NULL,
        api_token VARCHAR(64) NULL,
        big BIGINT UNSIGNED NOT NULL,
        amount DECIMAL(30,9) NOT NULL,
        created DATETIME NOT NULL,
        note TEXT NULL
      )`);
      const rows = Array.from({ length: ROWS }, (_, i) => [
        i + 1,
        `name${i + 1}`,
        `pw-of-${i + 1}`,
        `tok-${i + 1}-abcdef`,
        (BIG + BigInt(i)).toString(),
        AMOUNT,
        '2024-01-02 03:04:05',
        i === 0 ? `the reader's password is ${CANARY}` : `note ${i + 1}`,
      ]);
      await c.query(
        'INSERT INTO accounts (id, name, password, api_token, big, amount, created, note) VALUES ?',
        [rows],
      );
      for (const host of ['127.0.0.1', 'localhost']) {
        await c.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${CANARY}'`);
        await c.query(`GRANT SELECT ON \`${db}\`.* TO '${user}'@'${host}'`);
      }
    });
    const dir = projectWith(
      [
        '  mysql:',
        '    main:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      database: ${db}`,
        `      user: ${MYSQL.user}`,
        '      password: ""',
        '    reader:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      database: ${db}`,
        `      user: ${user}`,
        '      password: ${CANARY_PW}',
        '    down:',
        '      host: 127.0.0.1',
        '      port: 1',
        `      database: ${db}`,
        `      user: ${MYSQL.user}`,
        '',
      ].join('\n'),
    );
    project = loadProjectConfig({ cwd: dir, env: {} });
  });

  afterAll(async () => {
    const root = await mysql.createConnection({ ...MYSQL });
    try {
      for (const host of ['127.0.0.1', 'localhost'])
        await root.query(`DROP USER IF EXISTS '${user}'@'${host}'`);
      await root.query(`DROP DATABASE IF EXISTS \`${db}\``);
    } finally {
      await root.end();
    }
  });

  it('returns rows and columns, big integers and decimals exact as strings', async () => {
    const result = await query('SELECT id, name, big, amount, created FROM accounts ORDER BY id', {
      limit: 5,
    });
    expect(result.connection).toBe('@mysql.main');
    expect(result.limit).toBe(5);
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'name', 'big', 'amount', 'created']);
    expect(result.columns.find((c) => c.name === 'amount')?.sourceType).toBe('DECIMAL(30,9)');
    expect(result.columns.find((c) => c.name === 'big')?.sourceType).toBe('BIGINT UNSIGNED');
    expect(result.rows).toHaveLength(5);
    expect(result.truncated).toBe(true);
    expect(result.rows[0]).toEqual({
      id: '1',
      name: 'name1',
      big: BIG.toString(),
      amount: AMOUNT,
      created: '2024-01-02 03:04:05',
    });
    expect(result.rows[4]?.big).toBe((BIG + 4n).toString());
    expect(result.maskedColumns).toEqual([]);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps the ORDER BY and honours a LIMIT of its own', async () => {
    const ids = (r: { rows: Array<Record<string, unknown>> }) => r.rows.map((row) => row.id);
    const ordered = await query('SELECT id FROM accounts ORDER BY id DESC', { limit: 3 });
    expect(ids(ordered)).toEqual(['30', '29', '28']);
    expect(ordered.truncated).toBe(true);
    const ownLimit = await query('SELECT id FROM accounts ORDER BY id DESC LIMIT 10;', { limit: 3 });
    expect(ids(ownLimit)).toEqual(['30', '29', '28']);
    expect(ownLimit.truncated).toBe(true);
    const small = await query('SELECT id FROM accounts ORDER BY id DESC LIMIT 2', { limit: 3 });
    expect(ids(small)).toEqual(['30', '29']);
    expect(small.truncated).toBe(false);
  });

  it('reports truncated only when more rows than the limit exist; 20 rows by default', async () => {
    const exact = await query('SELECT id FROM accounts WHERE id <= 5 ORDER BY id', { limit: 5 });
    expect(exact.rows).toHaveLength(5);
    expect(exact.truncated).toBe(false);
    const byDefault = await query('SELECT * FROM accounts -- all of them');
    expect(byDefault.limit).toBe(20);
    expect(byDefault.rows).toHaveLength(20);
    expect(byDefault.truncated).toBe(true);
  });

  it('runs SHOW and DESCRIBE as they are and cuts them to the limit', async () => {
    const tables = await query('SHOW TABLES');
    expect(tables.rows).toEqual([{ [`Tables_in_${db}`]: 'accounts' }]);
    expect(tables.truncated).toBe(false);
    const describe = await query('DESCRIBE accounts', { limit: 3 });
    expect(describe.rows.map((r) => r.Field)).toEqual(['id', 'name', 'password']);
    expect(describe.truncated).toBe(true);
  });

  it('gives repeated column names distinct keys', async () => {
    const result = await query(
      'SELECT a.id, b.id FROM accounts a JOIN accounts b ON b.id = a.id + 1 ORDER BY a.id',
      {
        limit: 2,
      },
    );
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'id_2']);
    expect(result.rows).toEqual([
      { id: '1', id_2: '2' },
      { id: '2', id_2: '3' },
    ]);
  });

  it('refuses DELETE, UPDATE and a second statement; the table is unchanged', async () => {
    for (const sql of [
      'DELETE FROM accounts',
      "UPDATE accounts SET name = 'x'",
      'SELECT 1; DELETE FROM accounts',
      'SELECT * FROM accounts FOR UPDATE',
    ]) {
      const error = await rejection(query(sql));
      expect(codeOf(error), sql).toBe('DSC007');
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain('@mysql.main');
      expect(error.message).toMatch(/line 1, column \d+/);
      expect(hintOf(error)).toContain('SELECT, WITH … SELECT, VALUES, SHOW, DESCRIBE or EXPLAIN');
    }
    const [rows] = await admin((c) =>
      c.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n, SUM(name = 'x') AS x FROM accounts"),
    );
    expect(Number(rows[0]?.n)).toBe(ROWS);
    expect(Number(rows[0]?.x)).toBe(0);
  });

  it('the connector refuses SQL that is not read-only on its own', async () => {
    const connector = await findConnector('mysql');
    const connection: ResolvedConnection = {
      family: 'mysql',
      alias: 'main',
      fields: { host: MYSQL.host, port: MYSQL.port, user: MYSQL.user, password: '', database: db },
    };
    const adapter = await (connector as NonNullable<typeof connector>).openDiscovery(connection);
    try {
      await expect(adapter.queryRows('DELETE FROM accounts', 5)).rejects.toBeInstanceOf(ReadOnlySqlError);
      const ok = await adapter.queryRows('SELECT COUNT(*) AS n FROM accounts', 5);
      expect(ok.rows).toEqual([{ n: String(ROWS) }]);
    } finally {
      await adapter.close();
    }
  });

  it('masks secret-named columns and redacts the connection password', async () => {
    const result = await query(
      'SELECT id, password, api_token, name AS old_password, note FROM accounts ORDER BY id',
      {
        ref: '@mysql.reader',
        limit: 2,
      },
    );
    expect(result.maskedColumns).toEqual(['password', 'api_token', 'old_password']);
    expect(result.rows[0]?.password).toBe('***');
    expect(result.rows[0]?.api_token).toBe('***');
    expect(result.rows[0]?.old_password).toBe('***');
    expect(JSON.stringify(result)).not.toContain(CANARY);
    expect(JSON.stringify(result)).not.toContain('pw-of-1');
    expect(String(result.rows[0]?.note)).toContain('***');
  });

  it('cancels a query that runs past the timeout', async () => {
    const started = Date.now();
    // SLEEP() is refused by the guard; a long count is not.
    const error = await rejection(
      query('SELECT SUM(seq % 7) AS n FROM seq_1_to_100000000000', { timeoutMs: 300 }),
    );
    expect(codeOf(error)).toBe('DSC013');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('@mysql.main');
    expect(error.message).toContain('300 ms timeout');
    expect(Date.now() - started).toBeLessThan(4000);
    // The session settings do not leak: the next query runs normally.
    const after = await query('SELECT COUNT(*) AS n FROM accounts');
    expect(after.rows).toEqual([{ n: String(ROWS) }]);
  });

  it('a syntax error is refused before connecting, at the parser position; a server error names the connection', async () => {
    const error = await rejection(query('SELECT * FROM accounts WHERE'));
    expect(codeOf(error)).toBe('DSC007');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('query on @mysql.main refused by the SQL guard');
    expect(error.message).toContain('parser cannot read the query');
    const missing = await rejection(query('SELECT * FROM no_such_table'));
    expect(codeOf(missing)).toBe('DSC012');
    expect(missing.message).toContain(`Table '${db}.no_such_table' doesn't exist`);
    expect(hintOf(missing)).toContain('osiris discovery run @mysql.main');
  });

  it('says why a wrapped query with repeated names fails', async () => {
    const error = await rejection(
      query('SELECT a.id, b.id FROM accounts a JOIN accounts b ON b.id = a.id LIMIT 5'),
    );
    expect(codeOf(error)).toBe('DSC012');
    expect(error.message).toContain("Duplicate column name 'id'");
    expect(hintOf(error)).toContain('distinct aliases');
  });

  it('rejects a bad limit or timeout and an unreachable server', async () => {
    for (const limit of [0, 201, 2.5]) {
      const error = await rejection(query('SELECT 1', { limit }));
      expect(codeOf(error)).toBe('DSC006');
    }
    expect(codeOf(await rejection(query('SELECT 1', { timeoutMs: 0 })))).toBe('DSC006');
    const down = await rejection(query('SELECT 1', { ref: '@mysql.down' }));
    expect(codeOf(down)).toBe('DSC010');
    expect(down.message).toContain('@mysql.down');
  });
});

describe.skipIf(postgresWhy !== undefined)('runReadOnlyQuery on PostgreSQL', () => {
  const schema = uniqueName('osiris_query');
  let project: ProjectConfig;

  async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ ...POSTGRES });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  const query = (sql: string, extra: { ref?: string; limit?: number; timeoutMs?: number } = {}) =>
    runReadOnlyQuery({ ref: extra.ref ?? '@postgres.main', project, env, sql, ...extra });

  beforeAll(async () => {
    await admin(async (c) => {
      await c.query(`CREATE SCHEMA "${schema}"`);
      await c.query(`CREATE TABLE "${schema}".accounts (
        id integer PRIMARY KEY,
        name text NOT NULL,
        password text,
        api_token text,
        big bigint NOT NULL,
        amount numeric(30,9) NOT NULL,
        created timestamptz NOT NULL,
        note text
      )`);
      await c.query(
        `INSERT INTO "${schema}".accounts
         SELECT g, 'name' || g, 'pw-of-' || g, 'tok-' || g || '-abcdef', $1::bigint + g - 1, $2::numeric,
                '2024-01-02 03:04:05+00', CASE WHEN g = 1 THEN 'pw is ' || $3::text ELSE 'note ' || g END
         FROM generate_series(1, ${ROWS}) g`,
        [BIG.toString(), AMOUNT, CANARY],
      );
    });
    const base = [
      `      host: ${POSTGRES.host}`,
      `      port: ${POSTGRES.port}`,
      `      database: ${POSTGRES.database}`,
      `      user: ${POSTGRES.user}`,
      '      password: ${CANARY_PW}',
      `      schema: ${schema}`,
    ];
    const dir = projectWith(
      ['  postgres:', '    main:', ...base, '  supabase:', '    direct:', ...base, ''].join('\n'),
    );
    project = loadProjectConfig({ cwd: dir, env: {} });
  });

  afterAll(async () => {
    await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  });

  it('returns rows and columns, big integers and decimals exact as strings', async () => {
    const result = await query('SELECT id, name, big, amount, created FROM accounts ORDER BY id', {
      limit: 5,
    });
    expect(result.connection).toBe('@postgres.main');
    expect(result.columns).toEqual([
      { name: 'id', sourceType: 'integer' },
      { name: 'name', sourceType: 'text' },
      { name: 'big', sourceType: 'bigint' },
      { name: 'amount', sourceType: 'numeric(30,9)' },
      { name: 'created', sourceType: 'timestamp with time zone' },
    ]);
    expect(result.rows).toHaveLength(5);
    expect(result.truncated).toBe(true);
    expect(result.rows[0]).toEqual({
      id: 1,
      name: 'name1',
      big: BIG.toString(),
      amount: AMOUNT,
      created: '2024-01-02 03:04:05+00',
    });
    expect(result.rows[4]?.big).toBe((BIG + 4n).toString());
  });

  it('applies the limit, keeps the ORDER BY and reports truncated', async () => {
    const ordered = await query(`SELECT id FROM "${schema}".accounts ORDER BY id DESC;`, { limit: 3 });
    expect(ordered.rows.map((r) => r.id)).toEqual([30, 29, 28]);
    expect(ordered.truncated).toBe(true);
    const own = await query('SELECT id FROM accounts ORDER BY id LIMIT 2 -- two', { limit: 3 });
    expect(own.rows.map((r) => r.id)).toEqual([1, 2]);
    expect(own.truncated).toBe(false);
    const exact = await query('WITH a AS (SELECT id FROM accounts WHERE id <= 4) SELECT * FROM a', {
      limit: 4,
    });
    expect(exact.rows).toHaveLength(4);
    expect(exact.truncated).toBe(false);
    const byDefault = await query('SELECT * FROM accounts');
    expect(byDefault.rows).toHaveLength(20);
    expect(byDefault.truncated).toBe(true);
  });

  it('runs SHOW and EXPLAIN as they are', async () => {
    const shown = await query('SHOW search_path');
    expect(shown.rows).toEqual([{ search_path: `${schema}, public` }]);
    const explained = await query('EXPLAIN SELECT * FROM accounts', { limit: 1 });
    expect(explained.columns.map((c) => c.name)).toEqual(['QUERY PLAN']);
    expect(explained.rows).toHaveLength(1);
  });

  it('gives repeated column names distinct keys', async () => {
    const result = await query('SELECT 1 AS a, 2 AS a, 3');
    expect(result.columns.map((c) => c.name)).toEqual(['a', 'a_2', '?column?']);
    expect(result.rows).toEqual([{ a: 1, a_2: 2, '?column?': 3 }]);
  });

  it('refuses DELETE, UPDATE and a second statement; the table is unchanged', async () => {
    for (const sql of [
      'DELETE FROM accounts',
      "UPDATE accounts SET name = 'x'",
      'SELECT 1; DELETE FROM accounts',
      'WITH d AS (DELETE FROM accounts RETURNING *) SELECT * FROM d',
    ]) {
      const error = await rejection(query(sql));
      expect(codeOf(error), sql).toBe('DSC007');
      expect(error.message).toContain('@postgres.main');
      expect(hintOf(error)).toContain('SELECT, WITH … SELECT, VALUES, SHOW, DESCRIBE or EXPLAIN');
    }
    const count = await admin((c) =>
      c.query<{ n: string; x: string }>(
        `SELECT count(*)::text AS n, count(*) FILTER (WHERE name = 'x')::text AS x FROM "${schema}".accounts`,
      ),
    );
    expect(count.rows[0]).toEqual({ n: String(ROWS), x: '0' });
  });

  it('runs in a read-only transaction even when a function the guard cannot see would write', async () => {
    // A user-defined function hides its body from the guard; the read-only transaction still stops the write.
    await admin((c) => c.query(`CREATE SEQUENCE "${schema}".seq`));
    await admin((c) =>
      c.query(
        `CREATE FUNCTION "${schema}".bump() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('"${schema}".seq') $$`,
      ),
    );
    const error = await rejection(query(`SELECT "${schema}".bump()`));
    expect(codeOf(error)).toBe('DSC012');
    expect(error.message).toContain('read-only transaction');
  });

  it('masks secret-named columns and redacts the connection password', async () => {
    const result = await query('SELECT id, password, api_token, note FROM accounts ORDER BY id', {
      limit: 2,
    });
    expect(result.maskedColumns).toEqual(['password', 'api_token']);
    expect(result.rows[0]).toMatchObject({ id: 1, password: '***', api_token: '***' });
    expect(JSON.stringify(result)).not.toContain(CANARY);
    expect(JSON.stringify(result)).not.toContain('pw-of-');
  });

  it('cancels a query that runs past the timeout', async () => {
    const started = Date.now();
    // pg_sleep() is refused by the guard; a long count is not.
    const error = await rejection(
      query('SELECT count(*) FROM generate_series(1, 100000000000)', { timeoutMs: 300 }),
    );
    expect(codeOf(error)).toBe('DSC013');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('@postgres.main');
    expect(error.message).toContain('300 ms timeout');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('a syntax error names the connection, shows the server message and where', async () => {
    const error = await rejection(query('SELECT *\nFROM accounts WHER id = 1'));
    expect(codeOf(error)).toBe('DSC007');
    expect(error.message).toContain('query on @postgres.main refused by the SQL guard');
    expect(error.message).toContain('syntax error at or near "id"');
    expect(error.message).toContain('line 2, column 20');
    const missing = await rejection(query('SELECT * FROM no_such_table'));
    expect(missing.message).toContain('relation "no_such_table" does not exist');
  });

  it('works for a Supabase connection with database credentials', async () => {
    const result = await query('SELECT count(*) AS n FROM accounts', { ref: '@supabase.direct' });
    expect(result.connection).toBe('@supabase.direct');
    expect(result.rows).toEqual([{ n: String(ROWS) }]);
    expect(result.columns).toEqual([{ name: 'n', sourceType: 'bigint' }]);
  });
});
