/**
 * postgres.writer schema evolution and load verification (docs/adr/0025) on the local server: a column added
 * and a type widened between runs under add_columns / widen / fail, a column missing from the input written
 * as NULL (and a NOT NULL one refused), and a trigger that changes rows as they arrive caught by the
 * verification — the load rolled back, the table unchanged.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/postgres.writer/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import type { JsonValue } from '../../../src/yaml/json.js';
import { POSTGRES, postgresUnavailable, uniqueName } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

const skip = await postgresUnavailable();

async function failure(promise: Promise<unknown>): Promise<StepError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

describe.skipIf(skip)('postgres.writer: schema evolution and load verification', () => {
  const schema = uniqueName('evolve');
  const q = (t: string) => `"${schema}"."${t}"`;
  let admin: pg.Client;
  let tp: TestPlane;
  const duck = (sql: string) => tp.plane.connection.run(sql);
  const connection = {
    family: 'postgres',
    alias: 'test',
    fields: { ...POSTGRES, password: '', schema },
  };
  const write = (id: string, config: Record<string, JsonValue>, input: string) =>
    tp.runStep(driver, id, config, { connection, needs: [input] });
  const events = (id: string, name: string) =>
    (tp.recorded.get(id)?.events ?? []).filter((e) => e.event === name).map((e) => e.data);
  const rows = async (sql: string) => (await admin.query(sql)).rows;
  const fingerprint = async (t: string) =>
    (
      await admin.query(
        `SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM ${q(t)} x`,
      )
    ).rows[0];
  const columns = async (t: string) =>
    (
      await admin.query(
        `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [schema, t],
      )
    ).rows.map((r) => `${r.c} ${r.t}`);

  beforeAll(async () => {
    admin = new pg.Client({ ...POSTGRES });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    tp = await openTestPlane();
  });

  afterAll(async () => {
    tp?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  it('verifies each load, adds and widens columns between runs, refuses drift under fail', async () => {
    await duck(`CREATE TABLE v1 AS SELECT i::INTEGER AS id, (i * 1.25)::DECIMAL(10,2) AS amount,
      TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) HOUR AS at, i * 0.5 AS ratio FROM range(1, 4) t(i)`);
    await write('w1', { table: 'evolve_orders' }, 'v1');
    const [proof] = events('w1', 'write.verified');
    expect(proof).toMatchObject({ rows: [3, 3], matched: true, table: `${schema}.evolve_orders` });
    expect(JSON.stringify(proof?.columns)).toContain('"sum":["7.50","7.50"]');

    // Run 2: the source gained a column and its id became BIGINT.
    await duck(`CREATE TABLE v2 AS SELECT (i + 10)::BIGINT AS id, 2.00::DECIMAL(10,2) AS amount,
      TIMESTAMP '2024-02-01 00:00:00' AS at, 1.5 AS ratio, 'n' || i AS note FROM range(1, 3) t(i)`);
    const before = await fingerprint('evolve_orders');
    const drift = await failure(write('w2f', { table: 'evolve_orders', schema_evolution: 'fail' }, 'v2'));
    expect(drift.code).toBe('write.schema_drift');
    expect(drift.message).toContain('+ note text (new in the input)');
    expect(drift.message).toContain('~ id integer → bigint');
    expect(await fingerprint('evolve_orders')).toEqual(before);

    await write('w2a', { table: 'evolve_orders' }, 'v2');
    expect(events('w2a', 'schema.column_added')).toMatchObject([{ column: 'note', type: 'text' }]);
    expect(events('w2a', 'schema.column_widened')).toEqual([]);
    expect(await columns('evolve_orders')).toContain('id integer');
    expect(await columns('evolve_orders')).toContain('note text');
    expect(events('w2a', 'write.verified')[0]).toMatchObject({ rows: [2, 2], matched: true });

    await duck(
      `CREATE TABLE v3 AS SELECT 5000000000::BIGINT AS id, 1.00::DECIMAL(12,4) AS amount, 'big' AS note`,
    );
    await write('w3', { table: 'evolve_orders', schema_evolution: 'widen' }, 'v3');
    expect(events('w3', 'schema.column_widened')).toMatchObject([
      { column: 'id', from: 'integer', to: 'bigint' },
      { column: 'amount', from: 'numeric(10,2)', to: 'numeric(12,4)' },
    ]);
    // `at` and `ratio` were not in the input: written as NULL, never dropped.
    expect(await rows(`SELECT id::text, at, ratio FROM ${q('evolve_orders')} WHERE note = 'big'`)).toEqual([
      { id: '5000000000', at: null, ratio: null },
    ]);
    expect(await columns('evolve_orders')).toHaveLength(5);
  });

  it('a NOT NULL column without default that the input lacks is refused before writing', async () => {
    await admin.query(`CREATE TABLE ${q('evolve_strict')} (id int, code text NOT NULL)`);
    await duck(`CREATE TABLE s1 AS SELECT 1 AS id`);
    const err = await failure(write('ws', { table: 'evolve_strict' }, 's1'));
    expect(err.code).toBe('write.schema_not_null');
    expect(err.message).toContain("NOT NULL column 'code' without a default");
  });

  it('a trigger that changes rows as they arrive fails the verification; the table is unchanged', async () => {
    await admin.query(
      `CREATE TABLE ${q('evolve_trig')} (id int PRIMARY KEY, amount numeric(10,2), day date)`,
    );
    await admin.query(`INSERT INTO ${q('evolve_trig')} VALUES (100, 1, '2020-01-01')`);
    await admin.query(`CREATE FUNCTION "${schema}".evolve_bump() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id = 2 THEN NEW.amount := NEW.amount + 1; END IF; RETURN NEW; END $$`);
    await admin.query(
      `CREATE TRIGGER evolve_bump BEFORE INSERT ON ${q('evolve_trig')} FOR EACH ROW EXECUTE FUNCTION "${schema}".evolve_bump()`,
    );
    await duck(
      `CREATE TABLE t1 AS SELECT i AS id, 10.00::DECIMAL(10,2) AS amount, DATE '2024-03-01' AS day FROM range(1, 4) t(i)`,
    );
    const before = await fingerprint('evolve_trig');
    for (const mode of ['append', 'upsert', 'replace']) {
      const id = `wt-${mode}`;
      const err = await failure(
        write(id, { table: 'evolve_trig', write_mode: mode, primary_key: 'id' }, 't1'),
      );
      expect(err.code).toBe('write.verify_mismatch');
      expect(err.message).toContain("column 'amount' sum: received 30.00, target holds 31.00");
      expect(events(id, 'write.verify_failed')).toHaveLength(1);
      expect(await fingerprint('evolve_trig')).toEqual(before);
    }
    // verify: false lets it through (the check is the only thing that saw it).
    await write('wt-off', { table: 'evolve_trig', verify: false }, 't1');
    expect(events('wt-off', 'write.verified')).toEqual([]);
    expect((await fingerprint('evolve_trig')).n).toBe(4);
  });

  it('a pass-through stream is verified by count, null counts and integer sums', async () => {
    const { runPostgresStreamWrite } = await import('../../../src/connectors/postgres/write.js');
    const ctx = tp.context('wp', { table: 'evolve_stream' }, { connection, needs: ['v1'] });
    const batches = (async function* () {
      yield [
        [1, 'a', null],
        [2, null, '2024-01-01'],
      ];
    })();
    const columns = [
      { name: 'id', type: 'INTEGER' },
      { name: 's', type: 'VARCHAR' },
      { name: 'd', type: 'VARCHAR' },
    ];
    await runPostgresStreamWrite(ctx, { family: 'postgres' }, { columns, batches } as never);
    expect(events('wp', 'write.verified')[0]).toMatchObject({
      rows: [2, 2],
      columns: [
        { column: 'id', check: 'sum', sum: ['3', '3'] },
        { column: 's', nulls: [1, 1] },
        { column: 'd', nulls: [1, 1] },
      ],
    });
  });
});
