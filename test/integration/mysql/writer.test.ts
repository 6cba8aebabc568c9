/**
 * mysql.writer modes against MariaDB: append, replace (staging + one RENAME swap), upsert (staging + INSERT …
 * ON DUPLICATE KEY UPDATE), create_if_missing, allow_empty, column mapping — each with both load methods
 * (LOAD DATA LOCAL INFILE and batched INSERT).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forceLoadMethod, driver as writer } from '../../../src/components/mysql.writer/driver.js';
import type { StepResult } from '../../../src/runtime/driver.js';
import type { JsonObject } from '../../../src/yaml/json.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, failure, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();

describe.skipIf(why !== undefined)('mysql.writer', () => {
  let db: MysqlTestDb;
  let plane: TestPlane;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDb();
    plane = await openTestPlane('osiris-mysql-writer-');
    await plane.plane.connection.run(`
      CREATE TABLE people AS SELECT * FROM (VALUES
        (1, 'Ada', 9.50::DECIMAL(5,2)), (2, 'Grace', 8.25), (3, 'Linus', 7.00)) t(id, name, score);
      CREATE TABLE people_v2 AS SELECT * FROM (VALUES
        (2, 'Grace H.', 8.75::DECIMAL(5,2)), (4, 'Barbara', 6.50)) t(id, name, score);
      CREATE TABLE empty_people AS SELECT * FROM people WHERE false;
      CREATE TABLE lines AS SELECT * FROM (VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c')) t(order_id, line, note);
      CREATE TABLE lines_v2 AS SELECT * FROM (VALUES (1, 2, 'B'), (3, 1, 'd')) t(order_id, line, note);
      CREATE TABLE dup_people AS SELECT * FROM (VALUES (5, 'x', 1.00::DECIMAL(5,2)), (5, 'y', 2.00)) t(id, name, score);
      CREATE TABLE mixed_case AS SELECT 7 AS ID, 'Mixed' AS Name, 1.25::DECIMAL(5,2) AS SCORE;
      CREATE TABLE extra_col AS SELECT 8 AS id, 'x' AS name, 1.00::DECIMAL(5,2) AS score, 'nope' AS nickname;
    `);
  });

  afterAll(async () => {
    plane?.close();
    await db?.drop();
  });

  for (const method of ['load_data', 'insert'] as const) {
    describe(`with ${method}`, () => {
      const write = async (input: string, config: JsonObject): Promise<StepResult> => {
        forceLoadMethod(method);
        try {
          n += 1;
          return await plane.runStep(writer, `w${n}`, config, {
            connection: db.connection(),
            needs: [input],
          });
        } finally {
          forceLoadMethod(undefined);
        }
      };
      const people = (table: string) =>
        db.rows(`SELECT id, name, CAST(score AS CHAR) AS score FROM ${table} ORDER BY id`);
      const leftovers = async () =>
        (
          await db.rows(
            `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '%\\_\\_osiris\\_%'`,
            [db.name],
          )
        ).map((r) => r.t);

      beforeEach(async () => {
        await db.admin.query(`DROP TABLE IF EXISTS t_people, t_lines;
          CREATE TABLE t_people (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, score DECIMAL(5,2), KEY by_name (name));
          INSERT INTO t_people VALUES (1, 'old Ada', 1.00), (9, 'Zed', 2.00);
          CREATE TABLE t_lines (order_id INT, line INT, note VARCHAR(5), PRIMARY KEY (order_id, line));
          INSERT INTO t_lines VALUES (1, 1, 'old'), (1, 2, 'old');`);
      });

      it('append adds the rows in one transaction', async () => {
        await db.admin.query('DELETE FROM t_people');
        const result = await write('people', { table: 't_people', write_mode: 'append', batch_size: 2 });
        expect(result).toMatchObject({ rowsIn: 3, rowsWritten: 3 });
        expect(await people('t_people')).toEqual([
          { id: 1, name: 'Ada', score: '9.50' },
          { id: 2, name: 'Grace', score: '8.25' },
          { id: 3, name: 'Linus', score: '7.00' },
        ]);
        const events = plane.recorded.get(`w${n}`)?.events ?? [];
        expect(events.find((e) => e.event === 'write_started')?.data).toMatchObject({
          method,
          write_mode: 'append',
        });
        expect(plane.recorded.get(`w${n}`)?.progress.at(-1)).toBe(3);
      });

      it('replace swaps in exactly the input, keeping the table definition', async () => {
        const [before] = await db.rows('SHOW CREATE TABLE t_people');
        const result = await write('people', { table: 't_people', write_mode: 'replace' });
        expect(result.rowsWritten).toBe(3);
        expect(await people('t_people')).toEqual([
          { id: 1, name: 'Ada', score: '9.50' },
          { id: 2, name: 'Grace', score: '8.25' },
          { id: 3, name: 'Linus', score: '7.00' },
        ]);
        const [after] = await db.rows('SHOW CREATE TABLE t_people');
        expect(after?.['Create Table']).toBe(before?.['Create Table']);
        expect(await leftovers()).toEqual([]);
      });

      it('replace refuses a table with foreign keys or triggers, leaving it untouched', async () => {
        await db.admin.query(
          `CREATE TABLE child (id INT PRIMARY KEY, person INT, FOREIGN KEY (person) REFERENCES t_people (id))`,
        );
        try {
          const before = await db.fingerprint('t_people');
          const error = await failure(write('people', { table: 't_people', write_mode: 'replace' }));
          expect(error.code).toBe('write.replace_unsupported');
          expect(error.message).toContain('foreign key');
          expect(await db.fingerprint('t_people')).toEqual(before);
          expect(await leftovers()).toEqual([]);
        } finally {
          await db.admin.query('DROP TABLE child');
        }
      });

      it('upsert updates matching keys and inserts new ones', async () => {
        await write('people', { table: 't_people', write_mode: 'replace' });
        const result = await write('people_v2', {
          table: 't_people',
          write_mode: 'upsert',
          primary_key: 'id',
        });
        expect(result.rowsWritten).toBe(2);
        expect(await people('t_people')).toEqual([
          { id: 1, name: 'Ada', score: '9.50' },
          { id: 2, name: 'Grace H.', score: '8.75' },
          { id: 3, name: 'Linus', score: '7.00' },
          { id: 4, name: 'Barbara', score: '6.50' },
        ]);
        const counts = plane.recorded.get(`w${n}`)?.events.find((e) => e.event === 'upsert_counts');
        expect(counts?.data).toMatchObject({ inserted: 1, updated: 1 });
        expect(await leftovers()).toEqual([]);
      });

      it('upsert on a composite key', async () => {
        await write('lines_v2', {
          table: 't_lines',
          write_mode: 'upsert',
          primary_key: ['order_id', 'line'],
        });
        expect(await db.rows('SELECT order_id, line, note FROM t_lines ORDER BY order_id, line')).toEqual([
          { order_id: 1, line: 1, note: 'old' },
          { order_id: 1, line: 2, note: 'B' },
          { order_id: 3, line: 1, note: 'd' },
        ]);
      });

      it('upsert refuses duplicate keys in the input and a target without that key', async () => {
        const before = await db.fingerprint('t_people');
        const dup = await failure(
          write('dup_people', { table: 't_people', write_mode: 'upsert', primary_key: 'id' }),
        );
        expect(dup.code).toBe('write.duplicate_key');
        expect(dup.message).toContain('id=5');
        const nokey = await failure(
          write('people_v2', { table: 't_people', write_mode: 'upsert', primary_key: 'name' }),
        );
        expect(nokey.code).toBe('write.schema_mismatch');
        expect(nokey.message).toContain('(name)');
        expect(await db.fingerprint('t_people')).toEqual(before);
        expect(await leftovers()).toEqual([]);
      });

      it('creates a missing table (staged, then renamed) with the primary key', async () => {
        const table = `created_${method}`;
        await db.admin.query(`DROP TABLE IF EXISTS ${table}`);
        await write('lines', { table, primary_key: ['order_id', 'line'] });
        const [ddl] = await db.rows(`SHOW CREATE TABLE ${table}`);
        expect(String(ddl?.['Create Table'])).toContain('PRIMARY KEY (`order_id`,`line`)');
        expect(await db.rows(`SELECT order_id, line, note FROM ${table} ORDER BY 1, 2`)).toHaveLength(3);
        expect(await leftovers()).toEqual([]);
      });

      it('an empty input never wipes the target unless allow_empty is set', async () => {
        const before = await db.fingerprint('t_people');
        const error = await failure(write('empty_people', { table: 't_people', write_mode: 'replace' }));
        expect(error.code).toBe('write.empty_input');
        expect(error.message).toContain('refusing to replace @mysql.test table');
        expect(error.hint).toContain('allow_empty');
        expect(await db.fingerprint('t_people')).toEqual(before);
        const ok = await write('empty_people', {
          table: 't_people',
          write_mode: 'replace',
          allow_empty: true,
        });
        expect(ok.rowsWritten).toBe(0);
        expect(await db.fingerprint('t_people')).toMatchObject({ rows: 0 });
      });

      it('maps columns case-insensitively and refuses input columns the table lacks', async () => {
        await write('mixed_case', { table: 't_people' });
        expect((await people('t_people')).find((r) => r.id === 7)).toEqual({
          id: 7,
          name: 'Mixed',
          score: '1.25',
        });
        const before = await db.fingerprint('t_people');
        // schema_evolution: fail refuses the new column (the default, add_columns, would add it).
        const error = await failure(write('extra_col', { table: 't_people', schema_evolution: 'fail' }));
        expect(error).toMatchObject({
          code: 'write.schema_drift',
          details: { added: ['nickname'], connection: '@mysql.test' },
        });
        expect(error.message).toContain('+ nickname');
        expect(await db.fingerprint('t_people')).toEqual(before);
      });
    });
  }
});
