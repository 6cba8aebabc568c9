/**
 * mysql.extractor against MariaDB: table mode (columns, where, limit), query mode, the read-only guard,
 * batching and progress, streaming a large table, duplicate column names, SHOW/DESCRIBE, cancellation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as extractor } from '../../../src/components/mysql.extractor/driver.js';
import type { JsonObject } from '../../../src/yaml/json.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();
const LARGE = 120_000;

type Failure = Error & { code?: string; details?: Record<string, unknown>; hint?: string };

describe.skipIf(why !== undefined)('mysql.extractor', () => {
  let db: MysqlTestDb;
  let plane: TestPlane;

  beforeAll(async () => {
    db = await createTestDb();
    plane = await openTestPlane('osiris-mysql-extract-');
    await db.admin.query(`
      CREATE TABLE movies (id INT PRIMARY KEY, title VARCHAR(100), director_id INT, year YEAR, rating DECIMAL(3,1));
      CREATE TABLE directors (id INT PRIMARY KEY, name VARCHAR(100));
      INSERT INTO directors VALUES (1, 'Agnès Varda'), (2, 'Akira Kurosawa');
      INSERT INTO movies VALUES (1, 'Cléo de 5 à 7', 1, 1962, 7.9), (2, 'Rashomon', 2, 1950, 8.2),
        (3, 'Ikiru', 2, 1952, 8.3), (4, 'Le Bonheur', 1, 1965, 7.3), (5, 'Ran', 2, 1985, 8.2);
      CREATE TABLE large (id INT PRIMARY KEY, v VARCHAR(40), amount DECIMAL(12,2), at DATETIME);
      SET SESSION max_recursive_iterations = ${LARGE + 10};
      INSERT INTO large
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${LARGE})
        SELECT n, CONCAT('value ', n), n / 100, '2024-01-01 00:00:00' + INTERVAL n SECOND FROM seq;
    `);
  });

  afterAll(async () => {
    plane?.close();
    await db?.drop();
  });

  const run = (id: string, config: JsonObject, signal?: AbortSignal) =>
    plane.runStep(extractor, id, config, { connection: db.connection(), ...(signal ? { signal } : {}) });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected the step to fail');
      },
      (e: unknown) => e as Failure,
    );

  it('reads a whole table', async () => {
    const result = await run('movies', { table: 'movies' });
    expect(result).toMatchObject({ rowsRead: 5, rowsOut: 5, outputs: ['@mysql.test/movies'] });
    expect(
      await plane.rows('SELECT id, title, CAST(rating AS VARCHAR) AS rating FROM movies ORDER BY id LIMIT 1'),
    ).toEqual([{ id: 1, title: 'Cléo de 5 à 7', rating: '7.9' }]);
    const metrics = plane.recorded.get('movies')?.metrics ?? [];
    expect(metrics.find((m) => m.name === 'rows_read')?.value).toBe(5);
  });

  it('narrows a table with columns, where and limit', async () => {
    await run('kurosawa', {
      table: 'movies',
      columns: ['title', 'year'],
      where: 'director_id = 2 -- trailing comment',
      limit: 2,
    });
    const rows = await plane.rows('SELECT * FROM kurosawa ORDER BY title');
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0] ?? {})).toEqual(['title', 'year']);
  });

  it('reads `db.table` from another database', async () => {
    const result = await run('qualified', { table: `${db.name}.directors` });
    expect(result.rowsRead).toBe(2);
  });

  it('runs a read-only query, with duplicate column names made unique', async () => {
    await run('joined', {
      query: `SELECT m.id, m.title, d.id, d.name AS director
                FROM movies m JOIN directors d ON d.id = m.director_id ORDER BY m.id;`,
    });
    const cols = await plane.rows('DESCRIBE joined');
    expect(cols.map((c) => c.column_name)).toEqual(['id', 'title', 'id_2', 'director']);
    const renamed = plane.recorded.get('joined')?.events.find((e) => e.event === 'columns_renamed');
    expect(renamed?.data?.renamed).toEqual([{ from: 'id', to: 'id_2' }]);
  });

  it('limit stops a query early', async () => {
    const result = await run('limited', { query: 'SELECT * FROM large ORDER BY id', limit: 7 });
    expect(result.rowsRead).toBe(7);
    expect(await plane.rows('SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM limited')).toEqual([
      { lo: 1, hi: 7, n: '7' },
    ]);
  });

  it('an empty result still creates the table with its columns', async () => {
    const result = await run('none', { table: 'movies', where: '1 = 0' });
    expect(result.rowsRead).toBe(0);
    expect((await plane.rows('DESCRIBE none')).map((c) => [c.column_name, c.column_type])).toEqual([
      ['id', 'INTEGER'],
      ['title', 'VARCHAR'],
      ['director_id', 'INTEGER'],
      ['year', 'SMALLINT'],
      ['rating', 'DECIMAL(3,1)'],
    ]);
  });

  it('SHOW and DESCRIBE work (statements the server cannot prepare fall back to the text protocol)', async () => {
    await run('shown', { query: 'SHOW TABLES' });
    expect((await plane.rows('SELECT * FROM shown')).map((r) => Object.values(r)[0]).sort()).toEqual([
      'directors',
      'large',
      'movies',
    ]);
    const desc = await run('described', { query: 'DESCRIBE movies' });
    expect(desc.rowsRead).toBe(5);
  });

  it('refuses anything but one read-only statement, naming the keyword and position', async () => {
    const drop = await failure(run('bad1', { query: 'SELECT 1;\n  DROP TABLE movies' }));
    expect(drop.code).toBe('extract.not_read_only');
    expect(drop.message).toContain('a second statement follows the first one');
    expect(drop.message).toContain('line 2, column 3');
    expect(drop.details).toMatchObject({ key: 'query', line: 2, column: 3 });
    const del = await failure(run('bad2', { query: 'WITH x AS (SELECT 1) DELETE FROM movies' }));
    expect(del.code).toBe('extract.not_read_only');
    const where = await failure(run('bad3', { table: 'movies', where: '1=1; DELETE FROM movies' }));
    expect(where).toMatchObject({
      code: 'extract.not_read_only',
      details: { key: 'where', line: 1, column: 4 },
    });
    const outfile = await failure(run('bad4', { query: "SELECT * FROM movies INTO OUTFILE '/tmp/x'" }));
    expect(outfile.details).toMatchObject({ keyword: 'INTO' });
    expect(await db.rows('SELECT COUNT(*) AS n FROM movies')).toEqual([{ n: '5' }]);
  });

  it('streams a large table in batches, reporting progress', async () => {
    const before = process.memoryUsage().rss;
    const result = await run('large', { table: 'large', batch_size: 25_000 });
    expect(result.rowsRead).toBe(LARGE);
    const progress = plane.recorded.get('large')?.progress ?? [];
    expect(progress).toEqual([25_000, 50_000, 75_000, 100_000, LARGE]);
    expect(
      await plane.rows('SELECT count(*) AS n, sum(id) AS s, max("at")::VARCHAR AS m FROM large'),
    ).toEqual([{ n: String(LARGE), s: String((LARGE * (LARGE + 1)) / 2), m: '2024-01-02 09:20:00' }]);
    // Rows go straight into DuckDB: the process does not grow by anything like the result's size.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('cancels on the abort signal and leaves no table', async () => {
    const controller = new AbortController();
    // SLEEP() is refused by the SQL guard: a correlated sum makes every row slow instead.
    const slow = 'SELECT l.*, (SELECT SUM((s.seq + l.id) % 7) FROM seq_1_to_5000 s) AS slow FROM large l';
    const pending = run('cancelled', { query: slow }, controller.signal);
    setTimeout(() => controller.abort(), 200);
    const error = await failure(pending);
    expect(error.code).toBe('runtime.cancelled');
    expect(
      await plane.rows("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'cancelled'"),
    ).toEqual([{ n: '0' }]);
    // and the server stopped the statement (it would otherwise sleep through 120k rows)
    expect(
      await db.rows('SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [
        db.name,
      ]),
    ).toEqual([]);
  });

  it('config errors: both or neither of query and table', async () => {
    expect((await failure(run('c1', { query: 'SELECT 1', table: 'movies' }))).code).toBe('config.invalid');
    expect((await failure(run('c2', {}))).code).toBe('config.invalid');
    expect((await failure(run('c3', { query: 'SELECT 1', where: 'x' }))).code).toBe('config.invalid');
  });
});
