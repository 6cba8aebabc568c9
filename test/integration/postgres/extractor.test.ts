/**
 * postgres.extractor on the local server: table mode (schema, columns, where, limit), query mode, streaming
 * in many batches (order and counts kept), the read-only guard, and clear errors for missing tables and
 * columns that name the connection, the table and the column.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/postgres.extractor/driver.js';
import { driver as supabaseExtractor } from '../../../src/components/supabase.extractor/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import { POSTGRES, postgresUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const skip = await postgresUnavailable();

async function failure(promise: Promise<unknown>): Promise<StepError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

describe.skipIf(skip)('postgres.extractor', () => {
  let pg: PgFixture;
  let tp: TestPlane;

  beforeAll(async () => {
    pg = await openPgFixture();
    tp = await openTestPlane();
    await pg.exec(
      `CREATE TABLE ${pg.q('orders')} (id bigint PRIMARY KEY, customer text, total numeric(12,2), status text)`,
    );
    await pg.exec(
      `INSERT INTO ${pg.q('orders')}
       SELECT i, 'customer ' || (i % 97), (i * 1.25)::numeric(12,2), CASE WHEN i % 3 = 0 THEN 'open' ELSE 'done' END
       FROM generate_series(1, 25000) i`,
    );
    await pg.exec(`CREATE SCHEMA "${pg.schema}_other"`);
    await pg.exec(`CREATE TABLE "${pg.schema}_other".things (n int)`);
    await pg.exec(`INSERT INTO "${pg.schema}_other".things VALUES (7), (8)`);
  });

  afterAll(async () => {
    await pg?.exec(`DROP SCHEMA IF EXISTS "${pg.schema}_other" CASCADE`);
    tp?.close();
    await pg?.close();
  });

  it('reads a whole table in many batches, in order, reporting progress', async () => {
    const result = await tp.runStep(
      driver,
      'all',
      { table: 'orders', batch_size: 1000 },
      { connection: pg.connection() },
    );
    expect(result).toMatchObject({ rowsRead: 25000, rowsOut: 25000 });
    const [agg] = await tp.rows(
      `SELECT count(*)::INT AS n, sum(total)::VARCHAR AS s, bool_and(id = rn)::BOOLEAN AS ordered
       FROM (SELECT id, total, row_number() OVER () AS rn FROM "all")`,
    );
    const [expected] = await pg.rows<{ s: string }>(`SELECT sum(total)::text AS s FROM ${pg.q('orders')}`);
    expect(agg).toEqual({ n: 25000, s: expected?.s, ordered: true });
    const rec = tp.recorded.get('all');
    // Several batches, monotonic progress ending at the row count.
    expect(rec?.progress.length).toBeGreaterThan(5);
    expect(rec?.progress.at(-1)).toBe(25000);
    expect([...(rec?.progress ?? [])].sort((a, b) => a - b)).toEqual(rec?.progress);
    const schema = rec?.events.find((e) => e.event === 'extract.schema');
    expect(schema?.data).toMatchObject({
      connection: '@postgres.test',
      source: `${pg.schema}.orders`,
      columns: [
        { name: 'id', source_type: 'bigint', type: 'BIGINT' },
        { name: 'customer', source_type: 'text', type: 'VARCHAR' },
        { name: 'total', source_type: 'numeric(12,2)', type: 'DECIMAL(12,2)' },
        { name: 'status', source_type: 'text', type: 'VARCHAR' },
      ],
    });
    expect(rec?.metrics.find((m) => m.name === 'rows_read')?.value).toBe(25000);
  });

  it('narrows a table with columns, where and limit', async () => {
    await tp.runStep(
      driver,
      'some',
      { table: 'orders', columns: ['total', 'id'], where: "status = 'open' AND id <= 30", limit: 4 },
      { connection: pg.connection() },
    );
    expect(await tp.rows('SELECT * FROM "some"')).toEqual([
      { total: '3.75', id: '3' },
      { total: '7.50', id: '6' },
      { total: '11.25', id: '9' },
      { total: '15.00', id: '12' },
    ]);
  });

  it("puts the connection's schema first on the search_path for queries", async () => {
    await tp.runStep(
      driver,
      'sp',
      { query: 'SELECT count(*) AS n FROM orders' },
      { connection: pg.connection() },
    );
    expect(await tp.rows('SELECT n FROM "sp"')).toEqual([{ n: '25000' }]);
  });

  it('reads another schema given by the step', async () => {
    await tp.runStep(
      driver,
      'other',
      { table: 'things', schema: `${pg.schema}_other` },
      { connection: pg.connection() },
    );
    expect(await tp.rows('SELECT n FROM "other" ORDER BY n')).toEqual([{ n: 7 }, { n: 8 }]);
  });

  it('runs a query (with joins, aggregates, a trailing semicolon and a limit)', async () => {
    await tp.runStep(
      driver,
      'agg',
      {
        query: `-- per status\nSELECT status, count(*) AS n, sum(total) AS total, avg(total) AS mean\nFROM ${pg.q('orders')}\nGROUP BY status ORDER BY status;`,
        limit: 5,
      },
      { connection: pg.connection() },
    );
    const described = await tp.rows('DESCRIBE "agg"');
    expect(described.map((d) => [d.column_name, d.column_type])).toEqual([
      ['status', 'VARCHAR'],
      ['n', 'BIGINT'],
      ['total', 'DECIMAL(38,2)'],
      ['mean', expect.stringMatching(/^DECIMAL\(38,\d+\)$/)],
    ]);
    const rows = await tp.rows('SELECT status, n, total::VARCHAR AS total FROM "agg"');
    const expected = await pg.rows(
      `SELECT status, count(*)::text AS n, sum(total)::text AS total FROM ${pg.q('orders')} GROUP BY status ORDER BY status`,
    );
    expect(rows).toEqual(expected);
  });

  it('keeps duplicate result column names apart', async () => {
    await tp.runStep(
      driver,
      'dup',
      { query: 'SELECT 1 AS x, 2 AS x, 3 AS "X"' },
      { connection: pg.connection() },
    );
    expect(await tp.rows('SELECT * FROM "dup"')).toEqual([{ x: 1, x_2: 2, X_3: 3 }]);
  });

  it('creates an empty table with the right columns for an empty result', async () => {
    const result = await tp.runStep(
      driver,
      'empty',
      { table: 'orders', where: 'false' },
      { connection: pg.connection() },
    );
    expect(result.rowsOut).toBe(0);
    expect((await tp.rows('DESCRIBE "empty"')).map((d) => d.column_name)).toEqual([
      'id',
      'customer',
      'total',
      'status',
    ]);
  });

  it('runs EXPLAIN as a plain query', async () => {
    await tp.runStep(
      driver,
      'plan',
      { query: `EXPLAIN SELECT * FROM ${pg.q('orders')}` },
      { connection: pg.connection() },
    );
    const rows = await tp.rows('SELECT * FROM "plan"');
    expect(JSON.stringify(rows)).toContain('Seq Scan');
  });

  it('reads through a connection string (pg_dsn) and with supabase.extractor', async () => {
    const dsn = `postgresql://${POSTGRES.user}:${encodeURIComponent('p@ss:w/rd')}@${POSTGRES.host}:${POSTGRES.port}/${POSTGRES.database}?sslmode=disable`;
    const conn = { family: 'supabase', alias: 'main', fields: { pg_dsn: dsn, schema: pg.schema } };
    await tp.runStep(supabaseExtractor, 'sb', { table: 'orders', limit: 3 }, { connection: conn });
    expect(await tp.rows('SELECT id FROM "sb"')).toEqual([{ id: '1' }, { id: '2' }, { id: '3' }]);
  });

  it('supabase.extractor without database credentials says what is missing', async () => {
    const conn = {
      family: 'supabase',
      alias: 'rest',
      fields: { url: 'https://x.supabase.co', key: 'k'.repeat(40) },
    };
    const err = await failure(
      tp.runStep(supabaseExtractor, 'sbx', { table: 'orders' }, { connection: conn }),
    );
    expect(err.code).toBe('connection.invalid_config');
    expect(err.message).toContain('@supabase.rest has no database credentials');
    expect(err.message).not.toContain('kkkk');
  });

  describe('refuses anything but one read-only statement', () => {
    it.each([
      ['DELETE FROM orders', 'DELETE'],
      ['SELECT 1; DROP TABLE orders', ''],
      ['WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d', 'DELETE'],
      ['SELECT * FROM orders FOR UPDATE', 'FOR UPDATE/SHARE'],
      ['SELECT lo_unlink(oid) FROM pg_largeobject_metadata', 'lo_unlink()'],
    ])('%s', async (query, keyword) => {
      const err = await failure(tp.runStep(driver, 'bad', { query }, { connection: pg.connection() }));
      expect(err.code).toBe('extract.not_read_only');
      expect(err.message).toContain('refused by the SQL guard');
      expect(err.message).toMatch(/line 1, column \d+/);
      expect(err.details).toMatchObject({ key: 'query', keyword });
      const [count] = await pg.rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.q('orders')}`);
      expect(count?.n).toBe(25000);
    });

    it('also in where', async () => {
      const err = await failure(
        tp.runStep(
          driver,
          'badw',
          { table: 'orders', where: 'true; DELETE FROM orders' },
          { connection: pg.connection() },
        ),
      );
      expect(err.message).toMatch(/config 'where'/);
      expect(err.details).toMatchObject({ key: 'where' });
    });
  });

  it('names a missing table with the connection and a did-you-mean', async () => {
    const err = await failure(
      tp.runStep(driver, 'miss', { table: 'order' }, { connection: pg.connection() }),
    );
    expect(err.code).toBe('extract.schema_mismatch');
    expect(err.message).toContain(
      `table '${pg.schema}.order' does not exist in @postgres.test (127.0.0.1:5432/test)`,
    );
    expect(err.hint).toContain('orders');
    await expect(tp.rows('SELECT * FROM "miss"')).rejects.toThrow();
  });

  it('names a missing column with the table and lists the columns', async () => {
    const err = await failure(
      tp.runStep(
        driver,
        'missc',
        { table: 'orders', columns: ['id', 'totl'] },
        { connection: pg.connection() },
      ),
    );
    expect(err.code).toBe('extract.schema_mismatch');
    expect(err.message).toContain(`column 'totl' does not exist in table '${pg.schema}.orders'`);
    expect(err.hint).toContain("did you mean 'total'?");
    expect(err.details).toMatchObject({ column: 'totl', connection: '@postgres.test' });
  });

  it('stops when the run is cancelled, leaving no output table', async () => {
    const ac = new AbortController();
    const ctx = tp.context(
      'cancel',
      { table: 'orders', batch_size: 1000 },
      { connection: pg.connection(), signal: ac.signal },
    );
    const report = ctx.progress;
    ctx.progress = (rows) => {
      report(rows);
      ac.abort();
    };
    const err = await failure(driver.run(ctx));
    expect(err.code).toBe('runtime.cancelled');
    await expect(tp.rows('SELECT * FROM "cancel"')).rejects.toThrow();
    // The server-side session ends too (it may take a moment after the socket closes).
    let active = 1;
    for (let i = 0; i < 50 && active > 0; i++) {
      const [row] = await pg.rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'osiris cancel'`,
      );
      active = row?.n ?? 0;
      if (active > 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(active).toBe(0);
  });

  it('points at the line and column of a syntax error in the query', async () => {
    const err = await failure(
      tp.runStep(
        driver,
        'syntax',
        { query: 'SELECT id,\n  total total2 total3\nFROM orders' },
        { connection: pg.connection() },
      ),
    );
    expect(err.code).toBe('extract.not_read_only');
    expect(err.message).toMatch(/syntax error at or near "total3" \(line 2, column 16\)/);
  });
});
