/**
 * Two writers of one Postgres table at the same time: they take turns (advisory lock on the target) instead
 * of deadlocking. Before the lock, two `replace` loads failed one of them with "deadlock detected … nothing
 * was committed".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/postgres.writer/driver.js';
import type { StepError } from '../../../src/runtime/driver.js';
import { postgresUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const skip = await postgresUnavailable();
const ROWS = 20_000;

describe.skipIf(skip)('concurrent postgres.writer steps on one table', () => {
  let pg: PgFixture;
  const planes: TestPlane[] = [];

  /** A data plane whose table `src` holds ROWS rows tagged `tag`. */
  async function plane(tag: string): Promise<TestPlane> {
    const tp = await openTestPlane();
    planes.push(tp);
    await tp.plane.connection.run(
      `CREATE TABLE src AS SELECT i AS id, '${tag}' AS tag, repeat('x', 60) AS pad FROM range(${ROWS}) t(i)`,
    );
    return tp;
  }
  const write = (tp: TestPlane, config: Record<string, unknown>, lockTimeoutMs?: number) =>
    tp.runStep(driver, 'w', config as never, {
      connection: pg.connection(),
      needs: ['src'],
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    });
  const tags = (table: string) =>
    pg.rows<{ tag: string; n: number }>(
      `SELECT tag, count(*)::int AS n FROM ${pg.q(table)} GROUP BY tag ORDER BY tag`,
    );

  beforeAll(async () => {
    pg = await openPgFixture();
  });
  afterAll(async () => {
    for (const tp of planes) tp.close();
    await pg?.close();
  });

  it('two replaces both succeed, one after the other, and the table holds one complete load', async () => {
    const [a, b, seed] = await Promise.all([plane('a'), plane('b'), plane('seed')]);
    await write(seed, { table: 'target', write_mode: 'replace' });
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled([
        write(a, { table: 'target', write_mode: 'replace' }),
        write(b, { table: 'target', write_mode: 'replace' }),
      ]);
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
      expect(failures).toEqual([]);
      const final = await tags('target');
      expect(final).toHaveLength(1);
      expect(final[0]?.n).toBe(ROWS);
    }
  });

  it('two first loads of a missing table do not both create it', async () => {
    const [a, b] = await Promise.all([plane('a'), plane('b')]);
    await Promise.all([write(a, { table: 'fresh' }), write(b, { table: 'fresh' })]);
    expect(await tags('fresh')).toEqual([
      { tag: 'a', n: ROWS },
      { tag: 'b', n: ROWS },
    ]);
  });

  it('gives up with write.lock_timeout naming the holder when another session keeps the table', async () => {
    const tp = await plane('late');
    await write(tp, { table: 'held' });
    const before = await pg.fingerprint('held');
    const [me] = await pg.rows<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = me?.pid;
    await pg.exec('BEGIN');
    await pg.exec(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `osiris.write:${pg.schema}.held`,
    ]);
    try {
      const started = Date.now();
      const error = (await write(tp, { table: 'held', write_mode: 'replace' }, 700).catch(
        (e) => e,
      )) as StepError;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error.code).toBe('write.lock_timeout');
      expect(error.message).toContain(`${pg.schema}.held is being written by another run`);
      expect(error.message).toContain(`held by backend pid ${pid}`);
      expect(error.hint).toContain('runtime.lock_timeout');
    } finally {
      await pg.exec('ROLLBACK');
    }
    expect(await pg.fingerprint('held')).toEqual(before);
  });
});
