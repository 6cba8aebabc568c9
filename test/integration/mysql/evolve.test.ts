/**
 * mysql.writer schema evolution and load verification (docs/adr/0025) on the local server: a column added
 * and a type widened between runs — through the staging swap (replace) and by an ALTER undone when the load
 * fails (append) — `fail` refusing drift, a column missing from the input written as NULL, and a trigger that
 * changes rows as they arrive caught by the verification (the load rolled back, the table unchanged).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/mysql.writer/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import type { JsonValue } from '../../../src/yaml/json.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const skip = await mysqlUnavailable();

async function failure(promise: Promise<unknown>): Promise<StepError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

describe.skipIf(skip)('mysql.writer: schema evolution and load verification', () => {
  let db: MysqlTestDb;
  let tp: TestPlane;
  const duck = (sql: string) => tp.plane.connection.run(sql);
  const write = (id: string, config: Record<string, JsonValue>, input: string) =>
    tp.runStep(driver, id, config, { connection: db.connection(), needs: [input] });
  const events = (id: string, name: string) =>
    (tp.recorded.get(id)?.events ?? []).filter((e) => e.event === name).map((e) => e.data);
  const columns = async (t: string) =>
    (
      await db.rows(
        'SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [t],
      )
    ).map((r) => `${r.c} ${r.t}`);

  beforeAll(async () => {
    db = await createTestDb('evolve');
    tp = await openTestPlane();
  });

  afterAll(async () => {
    tp?.close();
    await db?.drop();
  });

  it('verifies each load; adds and widens columns through the swap (replace) and by ALTER (append)', async () => {
    await duck(`CREATE TABLE m1 AS SELECT i::INTEGER AS id, (i * 1.25)::DECIMAL(10,2) AS amount,
      TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) HOUR AS at, i * 0.5 AS ratio, 'x' || i AS label FROM range(1, 4) t(i)`);
    await db.admin.query(
      'CREATE TABLE evolve_orders (id INT, amount DECIMAL(10,2), at DATETIME(6), ratio DOUBLE, label VARCHAR(5))',
    );
    await write('m1', { table: 'evolve_orders' }, 'm1');
    const [proof] = events('m1', 'write.verified');
    expect(proof).toMatchObject({
      rows: [3, 3],
      matched: true,
      scope: 'the table after the load minus before it',
    });
    expect(JSON.stringify(proof?.columns)).toContain('"sum":["7.50","7.50"]');

    // The source gained a column, its id became BIGINT, a label grew longer than VARCHAR(5).
    await duck(`CREATE TABLE m2 AS SELECT (i + 10)::BIGINT AS id, 2.00::DECIMAL(10,2) AS amount,
      TIMESTAMP '2024-02-01 00:00:00' AS at, 1.5 AS ratio, 'longer label' AS label, 'n' || i AS note FROM range(1, 3) t(i)`);
    const before = await db.fingerprint('evolve_orders');
    const drift = await failure(write('m2f', { table: 'evolve_orders', schema_evolution: 'fail' }, 'm2'));
    expect(drift.code).toBe('write.schema_drift');
    expect(drift.message).toContain('+ note VARCHAR(255) (new in the input)');
    expect(drift.message).toContain('~ id int(11) → BIGINT');
    expect(drift.message).toContain('~ label varchar(5) → VARCHAR(12)');
    expect(await db.fingerprint('evolve_orders')).toEqual(before);

    // replace: the changes are made on the staging table and swapped in with the rows.
    await write('m2r', { table: 'evolve_orders', write_mode: 'replace', schema_evolution: 'widen' }, 'm2');
    expect(events('m2r', 'schema.column_added')).toMatchObject([
      { column: 'note', applied: expect.stringContaining('staging') },
    ]);
    expect(events('m2r', 'schema.column_widened').map((e) => e?.column)).toEqual(['id', 'label']);
    expect(await columns('evolve_orders')).toEqual([
      'id bigint(20)',
      'amount decimal(10,2)',
      'at datetime(6)',
      'ratio double',
      'label varchar(12)',
      'note varchar(255)',
    ]);
    expect(events('m2r', 'write.verified')[0]).toMatchObject({
      rows: [2, 2],
      scope: expect.stringContaining('staging'),
    });

    // append: ALTER before the load; a column missing from the input is written as NULL.
    await duck(`CREATE TABLE m3 AS SELECT 7::BIGINT AS id, 'z' AS note, 3.123::DECIMAL(12,3) AS amount`);
    await write('m3', { table: 'evolve_orders', schema_evolution: 'widen' }, 'm3');
    expect(events('m3', 'schema.column_widened')).toMatchObject([
      { column: 'amount', from: 'decimal(10,2)', to: 'DECIMAL(12,3)' },
    ]);
    expect(await db.rows('SELECT amount, at, ratio, label FROM evolve_orders WHERE id = 7')).toEqual([
      { amount: '3.123', at: null, ratio: null, label: null },
    ]);
  });

  it('a NOT NULL column without default that the input lacks is refused before writing', async () => {
    await db.admin.query('CREATE TABLE evolve_strict (id INT, code VARCHAR(10) NOT NULL)');
    await duck(`CREATE TABLE ms AS SELECT 1 AS id`);
    const err = await failure(write('ms', { table: 'evolve_strict' }, 'ms'));
    expect(err.code).toBe('write.schema_not_null');
  });

  it('a trigger that changes rows as they arrive fails the verification; table and schema unchanged', async () => {
    await db.admin.query('CREATE TABLE evolve_trig (id INT PRIMARY KEY, amount DECIMAL(10,2), day DATE)');
    await db.admin.query("INSERT INTO evolve_trig VALUES (100, 1, '2020-01-01')");
    await db.admin.query(
      'CREATE TRIGGER evolve_bump BEFORE INSERT ON evolve_trig FOR EACH ROW BEGIN IF NEW.id = 2 THEN SET NEW.amount = NEW.amount + 1; END IF; END',
    );
    await duck(
      `CREATE TABLE mt AS SELECT i AS id, 10.00::DECIMAL(10,2) AS amount, DATE '2024-03-01' AS day, 'a' AS extra FROM range(1, 4) t(i)`,
    );
    const before = await db.fingerprint('evolve_trig');
    const schema = await columns('evolve_trig');
    for (const mode of ['append', 'upsert']) {
      const id = `mt-${mode}`;
      const err = await failure(
        write(id, { table: 'evolve_trig', write_mode: mode, primary_key: 'id' }, 'mt'),
      );
      expect(err.code).toBe('write.verify_mismatch');
      expect(err.message).toContain("column 'amount' sum: received 30.00, target holds 31.00");
      // The column the load added is taken back with it.
      expect(events(id, 'schema.changes_undone')).toHaveLength(1);
      expect(await db.fingerprint('evolve_trig')).toEqual(before);
      expect(await columns('evolve_trig')).toEqual(schema);
    }
    await write('mt-off', { table: 'evolve_trig', verify: false }, 'mt');
    expect((await db.fingerprint('evolve_trig')).rows).toBe(4);
  });

  it('an append into a large table is staged and verified on its own keys, trigger included', async () => {
    await db.admin.query('CREATE TABLE evolve_big (id BIGINT PRIMARY KEY, amount DECIMAL(10,2))');
    await db.admin.query('SET SESSION max_recursive_iterations = 1000000');
    await db.admin.query(`INSERT INTO evolve_big WITH RECURSIVE s(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM s
      WHERE i < 150999) SELECT i, 1.00 FROM s`);
    await db.admin.query('ANALYZE TABLE evolve_big');
    await duck(`CREATE TABLE mb AS SELECT i AS id, 10.00::DECIMAL(10,2) AS amount FROM range(1, 4) t(i)`);
    await write('mb1', { table: 'evolve_big', write_mode: 'append' }, 'mb');
    expect(events('mb1', 'write.verified')[0]).toMatchObject({
      scope: 'the rows whose key is in this load',
      rows: [3, 3],
      matched: true,
    });
    expect((await db.fingerprint('evolve_big')).rows).toBe(150003);

    await db.admin.query(
      'CREATE TRIGGER evolve_big_bump BEFORE INSERT ON evolve_big FOR EACH ROW BEGIN IF NEW.id = 12 THEN SET NEW.amount = NEW.amount + 1; END IF; END',
    );
    await duck(
      `CREATE TABLE mb2 AS SELECT i + 10 AS id, 10.00::DECIMAL(10,2) AS amount FROM range(1, 4) t(i)`,
    );
    const before = await db.fingerprint('evolve_big');
    const err = await failure(write('mb2', { table: 'evolve_big', write_mode: 'append' }, 'mb2'));
    expect(err.code).toBe('write.verify_mismatch');
    expect(err.message).toContain("column 'amount' sum: received 30.00, target holds 31.00");
    expect(await db.fingerprint('evolve_big')).toEqual(before);
    const stages = await db.rows(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '%evolve_big%' AND TABLE_NAME <> 'evolve_big'",
    );
    expect(stages).toEqual([]);
  });
});
