/**
 * postgres.writer modes on the local server: append (into an existing table with defaults, or a table it
 * creates), replace (old or new rows only, never empty, grants/views kept), upsert (single and composite
 * keys), slices, empty inputs, and checks made before anything is written.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/postgres.writer/driver.js';
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

describe.skipIf(skip)('postgres.writer', () => {
  let pg: PgFixture;
  let tp: TestPlane;
  const duck = (sql: string) => tp.plane.connection.run(sql);
  const write = (id: string, config: Record<string, unknown>, input: string) =>
    tp.runStep(driver, id, config as never, { connection: pg.connection(), needs: [input] });

  beforeAll(async () => {
    pg = await openPgFixture();
    tp = await openTestPlane();
    await duck(
      `CREATE TABLE people AS SELECT * FROM (VALUES (1, 'Ada', 36.5), (2, 'Grace', 85.25), (3, 'Linus', NULL)) t(id, name, score)`,
    );
  });

  afterAll(async () => {
    tp?.close();
    await pg?.close();
  });

  it('creates a missing table from the input types (quoted identifiers, primary key) and appends', async () => {
    await duck(`CREATE TABLE odd AS SELECT 1 AS "Mixed Case", 'x' AS "select", 2::BIGINT AS "a""quote"`);
    const result = await write('w-odd', { table: 'Odd Table', primary_key: 'Mixed Case' }, 'odd');
    expect(result).toMatchObject({
      rowsIn: 1,
      rowsWritten: 1,
      outputs: [`@postgres.test ${pg.schema}.Odd Table`],
    });
    expect(await pg.rows(`SELECT * FROM ${pg.q('Odd Table')}`)).toEqual([
      { 'Mixed Case': 1, select: 'x', 'a"quote': '2' },
    ]);
    const pk = await pg.rows(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = '${pg.q('Odd Table')}'::regclass AND i.indisprimary`,
    );
    expect(pk).toEqual([{ attname: 'Mixed Case' }]);
    const created = tp.recorded.get('w-odd')?.events.find((e) => e.event === 'table.created');
    expect(created?.data?.ddl).toContain('PRIMARY KEY ("Mixed Case")');
  });

  it('appends into an existing table, matching columns by name (any order, case-insensitively) and keeping defaults', async () => {
    await pg.exec(
      `CREATE TABLE ${pg.q('people_a')} (id int PRIMARY KEY, "Name" text, score numeric(6,2), loaded_at timestamptz DEFAULT now(), source text DEFAULT 'osiris')`,
    );
    await pg.exec(`INSERT INTO ${pg.q('people_a')} (id, "Name") VALUES (10, 'Existing')`);
    await duck(`CREATE TABLE people_reordered AS SELECT score, name, id FROM people`);
    await write('w-app', { table: 'people_a' }, 'people_reordered');
    const rows = await pg.rows(
      `SELECT id, "Name", score, source, loaded_at IS NOT NULL AS stamped FROM ${pg.q('people_a')} ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, Name: 'Ada', score: '36.50', source: 'osiris', stamped: true },
      { id: 2, Name: 'Grace', score: '85.25', source: 'osiris', stamped: true },
      { id: 3, Name: 'Linus', score: null, source: 'osiris', stamped: true },
      { id: 10, Name: 'Existing', score: null, source: 'osiris', stamped: true },
    ]);
  });

  it('streams many slices through one COPY (batch_size) and counts them', async () => {
    await duck(
      `CREATE TABLE big AS SELECT i AS id, md5(i::VARCHAR) AS h, i * 0.5 AS half FROM range(1, 20001) t(i)`,
    );
    const result = await write('w-big', { table: 'big', batch_size: 3000 }, 'big');
    expect(result.rowsWritten).toBe(20000);
    const [agg] = await pg.rows<{ n: number; s: string; h: string }>(
      `SELECT count(*)::int AS n, sum(half)::text AS s, md5(string_agg(h, '' ORDER BY id)) AS h FROM ${pg.q('big')}`,
    );
    const [expected] = await tp.rows(
      `SELECT sum(half)::VARCHAR AS s, md5(string_agg(h, '' ORDER BY id)) AS h FROM big`,
    );
    expect(agg).toEqual({ n: 20000, s: expected?.s, h: expected?.h });
    const progress = tp.recorded.get('w-big')?.progress ?? [];
    expect(progress).toContain(3000);
    expect(progress.at(-1)).toBe(20000);
  });

  /**
   * Replaces a 1,000-row table with 150,000 new rows while another connection keeps counting it; returns every
   * `count:min(v)` that reader saw.
   */
  async function replaceWhileReading(table: string, mode: Record<string, unknown>): Promise<Set<string>> {
    await pg.exec(`CREATE TABLE ${pg.q(table)} (id int PRIMARY KEY, v text)`);
    await pg.exec(`INSERT INTO ${pg.q(table)} SELECT i, 'old' FROM generate_series(1, 1000) i`);
    await duck(`CREATE TABLE ${table}_in AS SELECT i::INT AS id, 'new' AS v FROM range(1, 150001) t(i)`);
    const watcher = new PgClient();
    await watcher.connect();
    const seen = new Set<string>();
    let running = true;
    const watch = (async () => {
      while (running) {
        const r = await watcher.query(`SELECT count(*)::int AS n, min(v) AS v FROM ${pg.q(table)}`);
        seen.add(`${r.rows[0].n}:${r.rows[0].v}`);
      }
    })();
    try {
      await write(`w-${table}`, { table, ...mode, batch_size: 25000 }, `${table}_in`);
    } finally {
      running = false;
      await watch;
      await watcher.end();
    }
    return seen;
  }

  describe('replace', () => {
    it('makes the table hold exactly the input rows, keeping grants, indexes and dependent views', async () => {
      await pg.exec(`CREATE TABLE ${pg.q('people_r')} (id int PRIMARY KEY, name text, score numeric(6,2))`);
      await pg.exec(`INSERT INTO ${pg.q('people_r')} SELECT i, 'old ' || i, i FROM generate_series(1, 50) i`);
      await pg.exec(`CREATE INDEX people_r_name ON ${pg.q('people_r')} (name)`);
      await pg.exec(`CREATE VIEW ${pg.q('people_r_view')} AS SELECT id, name FROM ${pg.q('people_r')}`);
      await pg.exec(`GRANT SELECT ON ${pg.q('people_r')} TO PUBLIC`);
      await write('w-rep', { table: 'people_r', write_mode: 'replace' }, 'people');
      expect(await pg.rows(`SELECT id, name FROM ${pg.q('people_r_view')} ORDER BY id`)).toEqual([
        { id: 1, name: 'Ada' },
        { id: 2, name: 'Grace' },
        { id: 3, name: 'Linus' },
      ]);
      const [acl] = await pg.rows<{ acl: string }>(
        `SELECT relacl::text AS acl FROM pg_class WHERE oid = '${pg.q('people_r')}'::regclass`,
      );
      expect(acl?.acl).toContain('=r/');
      const idx = await pg.rows(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'people_r' ORDER BY 1`,
        [pg.schema],
      );
      expect(idx).toEqual([{ indexname: 'people_r_name' }, { indexname: 'people_r_pkey' }]);
    });

    it('readers see the old or the new rows while it runs, never an empty or partial table', async () => {
      const seen = await replaceWhileReading('swap', { write_mode: 'replace' });
      expect([...seen].every((s) => s === '1000:old' || s === '150000:new')).toBe(true);
      expect(seen.has('1000:old')).toBe(true);
      expect((await pg.fingerprint('swap')).count).toBe(150000);
    });

    it('refuses an empty input (the target keeps its rows) unless allow_empty is set', async () => {
      await pg.exec(`CREATE TABLE ${pg.q('keep')} (id int, name text, score numeric)`);
      await pg.exec(`INSERT INTO ${pg.q('keep')} VALUES (1, 'a', 1)`);
      await duck(`CREATE TABLE nobody AS SELECT * FROM people WHERE false`);
      const before = await pg.fingerprint('keep');
      const err = await failure(write('w-empty', { table: 'keep', write_mode: 'replace' }, 'nobody'));
      expect(err.code).toBe('write.empty_input');
      expect(err.hint).toContain('allow_empty');
      expect(await pg.fingerprint('keep')).toEqual(before);
      await write('w-empty2', { table: 'keep', write_mode: 'replace', allow_empty: true }, 'nobody');
      expect((await pg.fingerprint('keep')).count).toBe(0);
    });

    it('replaces a table other tables reference (DELETE instead of TRUNCATE) while no row is referenced', async () => {
      await pg.exec(`CREATE TABLE ${pg.q('parent')} (id int PRIMARY KEY, name text, score numeric)`);
      await pg.exec(`CREATE TABLE ${pg.q('child')} (pid int REFERENCES ${pg.q('parent')} (id))`);
      await pg.exec(`INSERT INTO ${pg.q('parent')} VALUES (1, 'x', 0), (9, 'y', 0)`);
      await write('w-fk', { table: 'parent', write_mode: 'replace' }, 'people');
      expect(await pg.rows(`SELECT id, name FROM ${pg.q('parent')} ORDER BY id`)).toEqual([
        { id: 1, name: 'Ada' },
        { id: 2, name: 'Grace' },
        { id: 3, name: 'Linus' },
      ]);
    });

    it('fails clearly, changing nothing, when referenced rows would be deleted', async () => {
      await pg.exec(`INSERT INTO ${pg.q('child')} VALUES (2)`);
      const before = await pg.fingerprint('parent');
      const err = await failure(write('w-fk2', { table: 'parent', write_mode: 'replace' }, 'people'));
      expect(err.code).toBe('validation.constraint_violation');
      expect(err.message).toContain('violates foreign key constraint "child_pid_fkey"');
      expect(err.message).toContain('is unchanged');
      expect(err.hint).toContain("'upsert'");
      expect(await pg.fingerprint('parent')).toEqual(before);
    });
  });

  describe('replace with replace_strategy: truncate (TRUNCATE, then COPY straight in)', () => {
    const truncate = { write_mode: 'replace', replace_strategy: 'truncate' };

    it('makes the table hold exactly the input rows, keeping grants, indexes and dependent views', async () => {
      await pg.exec(`CREATE TABLE ${pg.q('people_t')} (id int PRIMARY KEY, name text, score numeric(6,2))`);
      await pg.exec(`INSERT INTO ${pg.q('people_t')} SELECT i, 'old ' || i, i FROM generate_series(1, 50) i`);
      await pg.exec(`CREATE VIEW ${pg.q('people_t_view')} AS SELECT id, name FROM ${pg.q('people_t')}`);
      await pg.exec(`GRANT SELECT ON ${pg.q('people_t')} TO PUBLIC`);
      await write('w-trunc', { table: 'people_t', ...truncate }, 'people');
      const start = tp.recorded.get('w-trunc')?.events.find((e) => e.event === 'write.start');
      expect(start?.data).toMatchObject({ mode: 'replace', replace_strategy: 'truncate' });
      expect(
        await pg.rows(
          `SELECT id, name, score::text AS score FROM ${pg.q('people_t_view')} v JOIN ${pg.q('people_t')} USING (id, name) ORDER BY id`,
        ),
      ).toEqual([
        { id: 1, name: 'Ada', score: '36.50' },
        { id: 2, name: 'Grace', score: '85.25' },
        { id: 3, name: 'Linus', score: null },
      ]);
      const [acl] = await pg.rows<{ acl: string }>(
        `SELECT relacl::text AS acl FROM pg_class WHERE oid = '${pg.q('people_t')}'::regclass`,
      );
      expect(acl?.acl).toContain('=r/');
    });

    it('readers wait for the commit: they see the old rows or the new ones, never an empty or partial table', async () => {
      const seen = await replaceWhileReading('swap_t', truncate);
      expect([...seen].every((s) => s === '1000:old' || s === '150000:new')).toBe(true);
      expect((await pg.fingerprint('swap_t')).count).toBe(150000);
    });

    it('a value the table rejects late in the load leaves the table exactly as it was', async () => {
      await pg.exec(`CREATE TABLE ${pg.q('narrow_t')} (id int PRIMARY KEY, v varchar(5))`);
      await pg.exec(`INSERT INTO ${pg.q('narrow_t')} SELECT i, 'old' FROM generate_series(1, 100) i`);
      await duck(
        `CREATE TABLE narrow_t_in AS SELECT i::INT AS id, CASE WHEN i = 40000 THEN 'far too long' ELSE 'ok' END AS v FROM range(1, 50001) t(i)`,
      );
      const before = await pg.fingerprint('narrow_t');
      const err = await failure(
        write('w-narrow-t', { table: 'narrow_t', ...truncate, batch_size: 10000 }, 'narrow_t_in'),
      );
      expect(err.message).toContain('narrow_t');
      expect(err.message).toContain('is unchanged');
      expect(await pg.fingerprint('narrow_t')).toEqual(before);
    });

    it('replaces a table other tables reference (DELETE instead of TRUNCATE) while no row is referenced', async () => {
      await pg.exec(`CREATE TABLE ${pg.q('parent_t')} (id int PRIMARY KEY, name text, score numeric)`);
      await pg.exec(`CREATE TABLE ${pg.q('child_t')} (pid int REFERENCES ${pg.q('parent_t')} (id))`);
      await pg.exec(`INSERT INTO ${pg.q('parent_t')} VALUES (1, 'x', 0), (9, 'y', 0)`);
      await write('w-fk-t', { table: 'parent_t', ...truncate }, 'people');
      expect(await pg.rows(`SELECT id FROM ${pg.q('parent_t')} ORDER BY id`)).toEqual([
        { id: 1 },
        { id: 2 },
        { id: 3 },
      ]);
    });
  });

  describe('upsert', () => {
    it('inserts new rows and updates existing ones on a single key', async () => {
      await pg.exec(
        `CREATE TABLE ${pg.q('people_u')} (id int PRIMARY KEY, name text, score numeric(6,2), note text DEFAULT 'kept')`,
      );
      await pg.exec(
        `INSERT INTO ${pg.q('people_u')} VALUES (2, 'Old Grace', 1, 'mine'), (7, 'Other', 2, 'x')`,
      );
      await write('w-ups', { table: 'people_u', write_mode: 'upsert', primary_key: 'id' }, 'people');
      expect(await pg.rows(`SELECT * FROM ${pg.q('people_u')} ORDER BY id`)).toEqual([
        { id: 1, name: 'Ada', score: '36.50', note: 'kept' },
        { id: 2, name: 'Grace', score: '85.25', note: 'mine' },
        { id: 3, name: 'Linus', score: null, note: 'kept' },
        { id: 7, name: 'Other', score: '2.00', note: 'x' },
      ]);
    });

    it('works on a composite key and creates the table with it', async () => {
      await duck(
        `CREATE TABLE daily AS SELECT * FROM (VALUES (DATE '2024-01-01', 1, 10), (DATE '2024-01-01', 2, 20), (DATE '2024-01-02', 1, 30)) t(day, cust, total)`,
      );
      await write('w-c1', { table: 'daily', write_mode: 'upsert', primary_key: ['day', 'cust'] }, 'daily');
      await duck(
        `CREATE TABLE daily2 AS SELECT * FROM (VALUES (DATE '2024-01-01', 2, 99), (DATE '2024-01-03', 5, 1)) t(day, cust, total)`,
      );
      await write('w-c2', { table: 'daily', write_mode: 'upsert', primary_key: ['day', 'cust'] }, 'daily2');
      expect(await pg.rows(`SELECT day::text, cust, total FROM ${pg.q('daily')} ORDER BY 1, 2`)).toEqual([
        { day: '2024-01-01', cust: 1, total: 10 },
        { day: '2024-01-01', cust: 2, total: 99 },
        { day: '2024-01-02', cust: 1, total: 30 },
        { day: '2024-01-03', cust: 5, total: 1 },
      ]);
    });

    it('needs a unique constraint on the key, and says so before writing', async () => {
      await pg.exec(`CREATE TABLE ${pg.q('nokey')} (id int, name text, score numeric)`);
      const err = await failure(
        write('w-nokey', { table: 'nokey', write_mode: 'upsert', primary_key: 'id' }, 'people'),
      );
      expect(err.code).toBe('write.schema_mismatch');
      expect(err.message).toContain('has no PRIMARY KEY or UNIQUE constraint on (id)');
      expect(err.hint).toContain('ADD PRIMARY KEY ("id")');
      expect((await pg.fingerprint('nokey')).count).toBe(0);
    });

    it('refuses a key column the input does not have', async () => {
      const err = await failure(
        write('w-badkey', { table: 'people_u', write_mode: 'upsert', primary_key: 'idd' }, 'people'),
      );
      expect(err.code).toBe('config.invalid');
      expect(err.hint).toContain("did you mean 'id'?");
    });

    it('names the key when the input repeats it', async () => {
      await duck(
        `CREATE TABLE twice AS SELECT * FROM (VALUES (1, 'a', 1.0), (1, 'b', 2.0)) t(id, name, score)`,
      );
      const before = await pg.fingerprint('people_u');
      const err = await failure(
        write('w-twice', { table: 'people_u', write_mode: 'upsert', primary_key: 'id' }, 'twice'),
      );
      expect(err.code).toBe('validation.constraint_violation');
      expect(err.message).toContain('more than one row with the same primary key (id)');
      expect(await pg.fingerprint('people_u')).toEqual(before);
    });
  });

  describe('checks before writing', () => {
    it('an input column the table lacks', async () => {
      await duck(`CREATE TABLE extra AS SELECT 1 AS id, 'x' AS nmae, 1.0 AS score`);
      const before = await pg.fingerprint('people_a');
      const err = await failure(write('w-extra', { table: 'people_a', schema_evolution: 'fail' }, 'extra'));
      expect(err.code).toBe('write.schema_drift');
      expect(err.message).toContain('+ nmae text (new in the input)');
      expect(err.hint).toContain("'nmae' may be a misspelt 'Name'");
      expect(await pg.fingerprint('people_a')).toEqual(before);
    });

    it('names longer than 63 bytes (Postgres would cut them silently)', async () => {
      const long = `t_${'é'.repeat(31)}`; // 64 bytes
      const err = await failure(write('w-long', { table: long }, 'people'));
      expect(err.code).toBe('config.invalid');
      expect(err.message).toContain('64 bytes long');
      await duck(`CREATE TABLE longcol AS SELECT 1 AS "${'c'.repeat(64)}"`);
      const err2 = await failure(write('w-longc', { table: 'fine' }, 'longcol'));
      expect(err2.message).toMatch(/column 'c{64}' is 64 bytes long/);
      const exists = await pg.rows(`SELECT to_regclass('${pg.q('fine')}') AS r`);
      expect(exists).toEqual([{ r: null }]);
    });

    it('a missing schema', async () => {
      const err = await failure(write('w-nos', { table: 't', schema: 'no_such_schema_x' }, 'people'));
      expect(err.code).toBe('write.schema_missing');
      expect(err.message).toContain("schema 'no_such_schema_x' does not exist on @postgres.test");
    });

    it('an empty append writes nothing and succeeds', async () => {
      const before = await pg.fingerprint('people_a');
      const result = await write('w-noop', { table: 'people_a' }, 'nobody');
      expect(result.rowsWritten).toBe(0);
      expect(tp.recorded.get('w-noop')?.events.map((e) => e.event)).toEqual(['write.skipped']);
      expect(await pg.fingerprint('people_a')).toEqual(before);
    });
  });
});

class PgClient extends pg.Client {
  constructor() {
    super({ ...POSTGRES });
  }
}
