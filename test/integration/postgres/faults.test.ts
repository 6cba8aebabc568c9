/**
 * Faults while writing to Postgres: each gives a step error with a clear message (connection alias, table,
 * column where known, never a secret) and leaves the target exactly as it was — row count and md5 of all
 * rows compared before and after.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driver as extractor } from '../../../src/components/postgres.extractor/driver.js';
import { driver } from '../../../src/components/postgres.writer/driver.js';
import { driver as supabaseWriter } from '../../../src/components/supabase.writer/driver.js';
import type { ResolvedConnection } from '../../../src/runtime/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import { POSTGRES, postgresUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { type FakeServer, rejectingServer } from './fake-server.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const skip = await postgresUnavailable();
const SECRET = 'S3cret-Pa55!word';

async function failure(promise: Promise<unknown>): Promise<StepError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

/** The error and everything the step recorded, as one text to search for secrets. */
function everything(err: StepError, tp: TestPlane, stepId: string): string {
  return JSON.stringify({
    message: err.message,
    hint: err.hint,
    details: err.details,
    cause: err.cause instanceof Error ? err.cause.message : String(err.cause ?? ''),
    recorded: tp.recorded.get(stepId),
  });
}

describe.skipIf(skip)('postgres.writer faults leave the target unchanged', () => {
  let fx: PgFixture;
  let tp: TestPlane;
  let before: { count: number; md5: string | null };
  const write = (
    id: string,
    config: Record<string, unknown>,
    input: string,
    connection?: ResolvedConnection,
  ) => tp.runStep(driver, id, config as never, { connection: connection ?? fx.connection(), needs: [input] });

  beforeAll(async () => {
    fx = await openPgFixture();
    tp = await openTestPlane();
    await tp.plane.connection.run(
      `CREATE TABLE rows200k AS SELECT i::INT AS id, 'name ' || i AS name, (i % 1000) * 0.01 AS amount FROM range(1, 200001) t(i)`,
    );
  });

  beforeEach(async () => {
    await fx.exec(`DROP TABLE IF EXISTS ${fx.q('target')}`);
    await fx.exec(
      `CREATE TABLE ${fx.q('target')} (id int PRIMARY KEY, name varchar(12), amount numeric(8,2))`,
    );
    await fx.exec(`INSERT INTO ${fx.q('target')} SELECT i, 'old ' || i, i FROM generate_series(1, 500) i`);
    before = await fx.fingerprint('target');
  });

  afterAll(async () => {
    tp?.close();
    await fx?.close();
  });

  it('a duplicate key in append mode', async () => {
    await tp.plane.connection.run(
      `CREATE OR REPLACE TABLE dup AS SELECT * FROM (VALUES (1000, 'new', 1.0), (250, 'clash', 2.0)) t(id, name, amount)`,
    );
    const err = await failure(write('dup', { table: 'target' }, 'dup'));
    expect(err.code).toBe('validation.constraint_violation');
    expect(err.message).toContain(`duplicate key in ${fx.schema}.target: Key (id)=(250) already exists`);
    expect(err.message).toContain('is unchanged');
    expect(err.hint).toContain('upsert');
    expect(await fx.fingerprint('target')).toEqual(before);
  });

  it.each(['append', 'replace', 'upsert'])(
    'a value too long for varchar(n) (%s) names the column',
    async (mode) => {
      await tp.plane.connection.run(
        `CREATE OR REPLACE TABLE long AS SELECT * FROM (VALUES (1, 'fits', 1.0), (2, 'much too long for twelve', 2.0)) t(id, name, amount)`,
      );
      const err = await failure(
        write(`long-${mode}`, { table: 'target', write_mode: mode, primary_key: 'id' }, 'long'),
      );
      expect(err.code).toBe('write.schema_mismatch');
      expect(err.message).toContain(
        `column 'name' of ${fx.schema}.target: value too long for type character varying(12)`,
      );
      expect(err.message).not.toContain('osiris_stage_');
      expect(err.details).toMatchObject({
        column: 'name',
        table: `${fx.schema}.target`,
        connection: '@postgres.test',
      });
      expect(await fx.fingerprint('target')).toEqual(before);
    },
  );

  it.each(['append', 'replace'])(
    'the connection dropped mid-load (%s, pg_terminate_backend)',
    async (mode) => {
      const killer = new pg.Client({ ...POSTGRES });
      await killer.connect();
      // A SHARE lock on the target holds the load before it can commit (an append's COPY and a replace's
      // swap both wait on it), so the kill lands mid-load however fast the COPY runs.
      const locker = new pg.Client({ ...POSTGRES });
      await locker.connect();
      await locker.query(`BEGIN; LOCK TABLE ${fx.schema}.target IN SHARE MODE`);
      let killed = false;
      let running = true;
      const stepId = `kill-${mode}`;
      const watch = (async () => {
        while (running && !killed) {
          const r = await killer.query(
            `SELECT a.pid, a.wait_event_type, p.tuples_processed
               FROM pg_stat_activity a LEFT JOIN pg_stat_progress_copy p USING (pid)
              WHERE a.application_name = $1 AND a.state = 'active'`,
            [`osiris ${stepId}`],
          );
          const row = r.rows[0] as
            | { pid: number; wait_event_type: string | null; tuples_processed: string | null }
            | undefined;
          if (row && (row.wait_event_type === 'Lock' || Number(row.tuples_processed ?? 0) > 20000)) {
            await killer.query('SELECT pg_terminate_backend($1)', [row.pid]);
            killed = true;
          }
        }
      })();
      try {
        await tp.plane.connection.run(
          `CREATE OR REPLACE TABLE fresh AS SELECT id + 1000 AS id, 'n' || id AS name, amount FROM rows200k`,
        );
        const err = await failure(
          write(stepId, { table: 'target', write_mode: mode, batch_size: 10000 }, 'fresh'),
        );
        expect({ killed, message: err.message }).toMatchObject({ killed: true });
        expect(err.code).toBe('connection.failed');
        expect(err.message).toMatch(/connection to @postgres\.test \(127\.0\.0\.1:5432\/test\) was lost/);
        expect(err.message).toContain(`nothing was committed; ${fx.schema}.target is unchanged`);
      } finally {
        running = false;
        await watch;
        await killer.end();
        await locker.query('ROLLBACK');
        await locker.end();
      }
      expect(await fx.fingerprint('target')).toEqual(before);
      const leftovers = await fx.rows(
        `SELECT relname FROM pg_class WHERE relname LIKE 'osiris_stage_%' AND relpersistence = 'p'`,
      );
      expect(leftovers).toEqual([]);
    },
  );

  it('a wrong password (server asks for one and rejects it); the password never shows', async () => {
    const server: FakeServer = await rejectingServer();
    try {
      const conn: ResolvedConnection = {
        family: 'postgres',
        alias: 'prod',
        fields: { host: '127.0.0.1', port: server.port, database: 'test', user: 'loader', password: SECRET },
      };
      const err = await failure(write('pw', { table: 'target' }, 'rows200k', conn));
      expect(server.passwords).toEqual([SECRET]);
      expect(err.code).toBe('connection.auth_failed');
      expect(err.message).toContain(
        `cannot log in to @postgres.prod (127.0.0.1:${server.port}/test) as 'loader': password authentication failed for user "loader"`,
      );
      expect(err.hint).toContain('@postgres.prod');
      expect(everything(err, tp, 'pw')).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });

  it('a wrong password in a pg_dsn (percent-encoded) is decoded, sent, rejected and never shown', async () => {
    const server = await rejectingServer();
    try {
      const dsn = `postgresql://postgres.abcdef:${encodeURIComponent(SECRET)}@127.0.0.1:${server.port}/postgres`;
      const conn: ResolvedConnection = { family: 'supabase', alias: 'main', fields: { pg_dsn: dsn } };
      const err = await failure(
        tp.runStep(supabaseWriter, 'pwdsn', { table: 'target' }, { connection: conn, needs: ['rows200k'] }),
      );
      expect(server.passwords).toEqual([SECRET]);
      expect(err.code).toBe('connection.auth_failed');
      expect(err.message).toContain(
        `@supabase.main (127.0.0.1:${server.port}/postgres) as 'postgres.abcdef'`,
      );
      const all = everything(err, tp, 'pwdsn');
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(encodeURIComponent(SECRET));
      expect(all).not.toContain('postgresql://');
    } finally {
      await server.close();
    }
  });

  it('a role that does not exist (real server)', async () => {
    const err = await failure(
      write('norole', { table: 'target' }, 'rows200k', fx.connection({ user: 'no_such_role_x' })),
    );
    expect(err.code).toBe('connection.auth_failed');
    expect(err.message).toContain('role "no_such_role_x" does not exist');
    expect(await fx.fingerprint('target')).toEqual(before);
  });

  it('an unknown host', async () => {
    const err = await failure(
      write(
        'nohost',
        { table: 'target' },
        'rows200k',
        fx.connection({ host: 'nonexistent-host.invalid', password: SECRET }),
      ),
    );
    expect(err.code).toBe('connection.failed');
    expect(err.message).toContain(
      'cannot reach @postgres.test (nonexistent-host.invalid:5432/test): ENOTFOUND',
    );
    expect(everything(err, tp, 'nohost')).not.toContain(SECRET);
  });

  it('nothing listening on the port', async () => {
    const err = await failure(write('noport', { table: 'target' }, 'rows200k', fx.connection({ port: 1 })));
    expect(err.code).toBe('connection.failed');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('a database that does not exist', async () => {
    const err = await failure(
      write('nodb', { table: 'target' }, 'rows200k', fx.connection({ database: 'no_such_db_x' })),
    );
    expect(err.code).toBe('connection.not_found');
    expect(err.message).toContain("database 'no_such_db_x' does not exist on @postgres.test");
  });

  it('a missing table with create_if_missing false', async () => {
    const err = await failure(write('notable', { table: 'targett', create_if_missing: false }, 'rows200k'));
    expect(err.code).toBe('write.schema_mismatch');
    expect(err.message).toContain(`table '${fx.schema}.targett' does not exist on @postgres.test`);
    expect(err.hint).toContain("did you mean 'target'?");
    expect(await fx.rows(`SELECT to_regclass('${fx.q('targett')}') AS r`)).toEqual([{ r: null }]);
    expect(await fx.fingerprint('target')).toEqual(before);
  });

  it('extracting from a missing table names it (and the extractor never writes)', async () => {
    const err = await failure(
      tp.runStep(extractor, 'ex-miss', { table: 'targett' }, { connection: fx.connection() }),
    );
    expect(err.code).toBe('extract.schema_mismatch');
    expect(err.message).toContain(`table '${fx.schema}.targett' does not exist in @postgres.test`);
    expect(err.hint).toContain("did you mean 'target'?");
  });
});
