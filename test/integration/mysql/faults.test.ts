/**
 * Faults: every failure leaves the target exactly as it was (row count + CHECKSUM TABLE + an ordered hash
 * compared before and after) and gives a StepError naming the connection alias, table and column where known.
 * Duplicate key (append), value too long (strict mode), the connection killed mid-load (KILL from another
 * connection while ~200k rows stream), wrong password, unknown host, missing table without create_if_missing.
 * The writer's faults run on both of its paths: the input table (`run`) and a pass-through stream of the same
 * rows (`writeStream`, what the runner hands it when an extractor is its only input).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driver as extractor } from '../../../src/components/mysql.extractor/driver.js';
import { forceLoadMethod, driver as writer } from '../../../src/components/mysql.writer/driver.js';
import type { ResolvedConnection, StepResult } from '../../../src/runtime/driver.js';
import type { RowStream, StreamRow } from '../../../src/runtime/stream.js';
import type { JsonObject } from '../../../src/yaml/json.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();
const BIG = 200_000;

type Failure = Error & { code?: string; details?: Record<string, unknown>; hint?: string };

describe.skipIf(why !== undefined)('mysql faults leave the target unchanged', () => {
  let db: MysqlTestDb;
  let plane: TestPlane;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDb();
    plane = await openTestPlane('osiris-mysql-faults-');
    await plane.plane.connection.run(`
      CREATE TABLE dup_input AS SELECT * FROM (VALUES (100, 'new'), (2, 'clash'), (101, 'new2')) t(id, name);
      CREATE TABLE long_input AS SELECT * FROM (VALUES (200, 'ok'), (201, 'much too long for five')) t(id, name);
      CREATE TABLE big_input AS SELECT i + 1000 AS id, 'row ' || i AS name FROM range(${BIG}) r(i);
      CREATE TABLE small_input AS SELECT * FROM (VALUES (300, 'x')) t(id, name);
    `);
  });

  afterAll(async () => {
    plane?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    await db.admin.query(`DROP TABLE IF EXISTS target;
      CREATE TABLE target (id INT PRIMARY KEY, name VARCHAR(5) NOT NULL);
      INSERT INTO target VALUES (1, 'one'), (2, 'two'), (3, 'three');`);
  });

  /** The rows of a DuckDB table as a pass-through stream (DuckDB's values are the stream's values). */
  const tableStream = async (table: string): Promise<RowStream> => {
    const described = await plane.rows(`DESCRIBE ${table}`);
    const columns = described.map((c) => ({ name: String(c.column_name), type: String(c.column_type) }));
    const rows = (await plane.plane.connection.runAndReadAll(`SELECT * FROM ${table} ORDER BY 1`)).getRows();
    return {
      columns,
      batches: (async function* () {
        for (let i = 0; i < rows.length; i += 2048) yield rows.slice(i, i + 2048) as StreamRow[];
      })(),
    };
  };

  type Path = 'table' | 'stream';
  const write = async (
    input: string,
    config: JsonObject,
    options: {
      method?: 'insert' | 'load_data';
      connection?: ResolvedConnection;
      path?: Path;
      signal?: AbortSignal;
    } = {},
  ): Promise<StepResult> => {
    forceLoadMethod(options.method);
    try {
      n += 1;
      const context = {
        connection: options.connection ?? db.connection(),
        needs: [input],
        ...(options.signal ? { signal: options.signal } : {}),
      };
      if (options.path !== 'stream') return await plane.runStep(writer, `w${n}`, config, context);
      const stream = await tableStream(input);
      if (!writer.writeStream) throw new Error('mysql.writer has no writeStream');
      return await writer.writeStream(plane.context(`w${n}`, config, context), stream);
    } finally {
      forceLoadMethod(undefined);
    }
  };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected the step to fail');
      },
      (e: unknown) => e as Failure,
    );
  const stageTables = async () =>
    (
      await db.rows(
        `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '%\\_\\_osiris\\_%'`,
        [db.name],
      )
    ).map((r) => r.t);

  for (const path of ['table', 'stream'] as const) {
    for (const method of ['load_data', 'insert'] as const) {
      it(`duplicate key in append mode (${method}, ${path})`, async () => {
        const before = await db.fingerprint('target');
        const error = await failure(
          write('dup_input', { table: 'target', write_mode: 'append' }, { method, path }),
        );
        expect(error.code).toBe('write.duplicate_key');
        expect(error.message).toContain('@mysql.test');
        expect(error.message).toContain('target');
        expect(error.message).toMatch(/Duplicate entry '2'/);
        expect(await db.fingerprint('target')).toEqual(before);
      });

      it(`value too long for a column (${method}, ${path})`, async () => {
        const before = await db.fingerprint('target');
        const error = await failure(
          write('long_input', { table: 'target', write_mode: 'append' }, { method, path }),
        );
        expect(error.code).toBe('write.value_too_long');
        expect(error.details).toMatchObject({
          column: 'name',
          connection: '@mysql.test',
          table: `${db.name}.target`,
        });
        expect(error.message).toContain("column 'name'");
        expect(await db.fingerprint('target')).toEqual(before);
      });

      it(`value too long while replacing: the staging table goes, the target stays (${method}, ${path})`, async () => {
        const before = await db.fingerprint('target');
        const error = await failure(
          write('long_input', { table: 'target', write_mode: 'replace' }, { method, path }),
        );
        expect(error.code).toBe('write.value_too_long');
        expect(await db.fingerprint('target')).toEqual(before);
        expect(await stageTables()).toEqual([]);
      });
    }

    for (const [method, mode] of [
      ['load_data', 'append'],
      ['insert', 'append'],
      ['load_data', 'replace'],
    ] as const) {
      it(`connection killed mid-load (${method}, ${mode}, ${BIG} rows, ${path})`, {
        timeout: 60_000,
      }, async () => {
        await db.admin.query('ALTER TABLE target MODIFY name VARCHAR(20) NOT NULL');
        const before = await db.fingerprint('target');
        let killed: number | undefined;
        let done = false;
        const killer = (async () => {
          let firstSeen: number | undefined;
          while (!done) {
            // The writer's connection, once it has been loading for a while (mid-load, well before the commit).
            const busy = await db.rows(
              `SELECT ID AS id FROM information_schema.PROCESSLIST
              WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND = 'Query'
                AND (INFO LIKE 'LOAD DATA%' OR INFO LIKE 'INSERT INTO%')`,
              [db.name],
            );
            if (busy[0]) {
              firstSeen ??= Date.now();
              if (Date.now() - firstSeen >= 60) {
                killed = Number(busy[0].id);
                await db.admin.query(`KILL ${killed}`);
                return;
              }
            }
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
        const error = await failure(
          write(
            'big_input',
            { table: 'target', write_mode: mode, batch_size: 5000 },
            { method, path },
          ).finally(() => {
            done = true;
          }),
        );
        await killer;
        expect(killed).toBeDefined();
        expect(error.code).toBe('connection.lost');
        expect(error.message).toContain('@mysql.test');
        expect(error.hint).toContain('unchanged');
        expect(await db.fingerprint('target')).toEqual(before);
        expect(await stageTables()).toEqual([]);
      });
    }

    it(`cancelled mid-load: runtime.cancelled, target unchanged, server statement stopped (${path})`, {
      timeout: 60_000,
    }, async () => {
      await db.admin.query('ALTER TABLE target MODIFY name VARCHAR(20) NOT NULL');
      const before = await db.fingerprint('target');
      const controller = new AbortController();
      const pending = write(
        'big_input',
        { table: 'target', write_mode: 'replace' },
        { path, signal: controller.signal },
      );
      // Cancel once the load is under way on the server (a fixed delay lands anywhere on a busy machine).
      let loading = false;
      let settled = false;
      void pending.then(
        () => (settled = true),
        () => (settled = true),
      );
      while (!loading && !settled) {
        const busy = await db.rows(
          `SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()
             AND COMMAND = 'Query' AND (INFO LIKE 'LOAD DATA%' OR INFO LIKE 'INSERT INTO%')`,
          [db.name],
        );
        loading = busy.length > 0;
        if (!loading) await new Promise((r) => setTimeout(r, 5));
      }
      controller.abort();
      const error = await failure(pending);
      expect(error.code).toBe('runtime.cancelled');
      expect(await db.fingerprint('target')).toEqual(before);
      expect(await stageTables()).toEqual([]);
      expect(
        await db.rows(
          'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
          [db.name],
        ),
      ).toEqual([]);
    });

    it(`wrong password: auth failed, the alias named, the password not (${path})`, async () => {
      const before = await db.fingerprint('target');
      const secret = 'S3cret-Wrong-Passw0rd';
      const error = await failure(
        write('small_input', { table: 'target' }, { connection: db.connection({ password: secret }), path }),
      );
      expect(error.code).toBe('connection.auth_failed');
      expect(error.message).toContain('@mysql.test');
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.details)).not.toContain(secret);
      expect(await db.fingerprint('target')).toEqual(before);
      const read = await failure(
        plane.runStep(
          extractor,
          'ex_pw',
          { table: 'target' },
          { connection: db.connection({ password: secret }) },
        ),
      );
      expect(read.code).toBe('connection.auth_failed');
      expect(read.message).not.toContain(secret);
    });

    it(`unknown host (${path})`, async () => {
      const error = await failure(
        write(
          'small_input',
          { table: 'target' },
          { connection: db.connection({ host: 'no-such-host.invalid' }), path },
        ),
      );
      expect(error.code).toBe('connection.unreachable');
      expect(error.message).toContain("unknown host 'no-such-host.invalid'");
      expect(error.message).toContain('@mysql.test');
    });
  }

  it('server down (connection refused)', async () => {
    const error = await failure(
      plane.runStep(extractor, 'ex_down', { table: 'target' }, { connection: db.connection({ port: 1 }) }),
    );
    expect(error.code).toBe('connection.unreachable');
    expect(error.message).toContain('127.0.0.1:1');
  });

  for (const path of ['table', 'stream'] as const)
    it(`missing table with create_if_missing false (${path})`, async () => {
      const error = await failure(
        write('small_input', { table: 'nope', create_if_missing: false }, { path }),
      );
      expect(error.code).toBe('write.table_not_found');
      expect(error.message).toContain(`@mysql.test table '${db.name}.nope'`);
      expect(await db.rows(`SHOW TABLES LIKE 'nope'`)).toEqual([]);
    });

  it('extractor: missing table, unknown database, unknown column', async () => {
    const missing = await failure(
      plane.runStep(extractor, 'ex_missing', { table: 'nope' }, { connection: db.connection() }),
    );
    expect(missing.code).toBe('extract.table_not_found');
    expect(missing.message).toContain("table 'nope'");
    expect(missing.message).toContain('@mysql.test');
    const nodb = await failure(
      plane.runStep(
        extractor,
        'ex_nodb',
        { table: 'target' },
        { connection: db.connection({ database: `${db.name}_missing` }) },
      ),
    );
    expect(nodb.code).toBe('connection.database_not_found');
    expect(nodb.message).toContain(`unknown database '${db.name}_missing'`);
    const nocol = await failure(
      plane.runStep(
        extractor,
        'ex_nocol',
        { table: 'target', columns: ['id', 'nme'] },
        { connection: db.connection() },
      ),
    );
    expect(nocol).toMatchObject({ code: 'extract.schema_mismatch', details: { column: 'nme' } });
    // a failed extract leaves no output table behind
    expect(await plane.rows("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ex_%'")).toEqual(
      [],
    );
  });
});
