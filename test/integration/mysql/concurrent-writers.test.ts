/**
 * Two mysql.writer steps on one table at the same time take turns (GET_LOCK named after the table). Before,
 * two first loads of a missing table both renamed their staging table into place and the second failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as writer } from '../../../src/components/mysql.writer/driver.js';
import { mysqlWriteLockName } from '../../../src/connectors/mysql/write-lock.js';
import type { StepError } from '../../../src/runtime/driver.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();
const ROWS = 5000;

describe.skipIf(why !== undefined)('concurrent mysql.writer steps on one table', () => {
  let db: MysqlTestDb;
  const planes: TestPlane[] = [];
  async function plane(tag: string): Promise<TestPlane> {
    const tp = await openTestPlane('osiris-mysql-conc-');
    planes.push(tp);
    await tp.plane.connection.run(
      `CREATE TABLE src AS SELECT i AS id, '${tag}' AS tag FROM range(${ROWS}) t(i)`,
    );
    return tp;
  }
  const write = (tp: TestPlane, config: Record<string, unknown>, lockTimeoutMs?: number) =>
    tp.runStep(writer, 'w', config as never, {
      connection: db.connection(),
      needs: ['src'],
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    });

  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    for (const tp of planes) tp.close();
    await db?.drop();
  });

  it('two first loads of a missing table both land', async () => {
    const [a, b] = await Promise.all([plane('a'), plane('b')]);
    const results = await Promise.allSettled([write(a, { table: 'fresh' }), write(b, { table: 'fresh' })]);
    expect(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []))).toEqual(
      [],
    );
    expect(await db.rows('SELECT tag, COUNT(*) AS n FROM fresh GROUP BY tag ORDER BY tag')).toEqual([
      { tag: 'a', n: String(ROWS) },
      { tag: 'b', n: String(ROWS) },
    ]);
  });

  it('gives up with write.lock_timeout naming the connection that holds the table', async () => {
    const tp = await plane('late');
    const [me] = await db.rows('SELECT CONNECTION_ID() AS id');
    await db.admin.query('SELECT GET_LOCK(?, 0)', [mysqlWriteLockName(db.name, 'held')]);
    try {
      const error = (await write(tp, { table: 'held' }, 500).catch((e) => e)) as StepError;
      expect(error.code).toBe('write.lock_timeout');
      expect(error.message).toContain(`'${db.name}.held' is being written by another run`);
      expect(error.message).toContain(`held by connection id ${me?.id}`);
    } finally {
      await db.admin.query('SELECT RELEASE_LOCK(?)', [mysqlWriteLockName(db.name, 'held')]);
    }
    expect(await db.rows(`SHOW TABLES LIKE 'held'`)).toEqual([]);
  });
});
