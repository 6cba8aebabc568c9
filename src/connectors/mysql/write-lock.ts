/**
 * One writer per MySQL/MariaDB table at a time, across runs: the writer's session takes a named lock
 * (GET_LOCK) for its target before it looks at it, held until the session ends (also when it is killed).
 *
 * Why: two first loads of a missing table both build a staging table and both rename it into place — the
 * second rename fails because the table now exists. Serialised, the second sees the table and appends.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_LOCK_TIMEOUT_S, LOCK_TIMEOUT_HINT } from '../../project/config.js';
import { StepError, type StreamContext } from '../../runtime/driver.js';
import type { MysqlClient } from './client.js';

/** The lock's name: `osiris.write:<db>.<table>`, hashed when longer than MySQL's 64 characters. */
export function mysqlWriteLockName(database: string, table: string): string {
  const name = `osiris.write:${database}.${table}`;
  return name.length <= 64
    ? name
    : `osiris.write:${createHash('sha1').update(`${database}.${table}`).digest('hex')}`;
}

/**
 * Takes the target's named lock, waiting up to the run's lock timeout for another writer; fails with
 * `write.lock_timeout` naming the holder's connection id when that runs out.
 */
export async function lockMysqlTarget(
  ctx: Pick<StreamContext, 'stepId' | 'emit' | 'lockTimeoutMs'>,
  client: MysqlClient,
  target: { database: string; table: string; shown: string; ref: string },
): Promise<void> {
  const name = mysqlWriteLockName(target.database, target.table);
  const [now] = await client.rows('SELECT GET_LOCK(?, 0) AS ok', [name]);
  if (Number(now?.ok) === 1) return;
  const [used] = await client.rows('SELECT IS_USED_LOCK(?) AS id', [name]);
  const holder = used?.id === null || used?.id === undefined ? undefined : Number(used.id);
  const held = holder === undefined ? 'holder unknown' : `held by connection id ${holder}`;
  const timeoutMs = ctx.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_S * 1000;
  ctx.emit('write.waiting', {
    table: target.shown,
    reason: `${target.shown} is being written by another run (${held})`,
    timeout_ms: timeoutMs,
  });
  const [got] = await client.rows('SELECT GET_LOCK(?, ?) AS ok', [name, timeoutMs / 1000]);
  if (Number(got?.ok) === 1) return;
  throw new StepError(
    'write.lock_timeout',
    `step '${ctx.stepId}': ${target.ref} table '${target.shown}' is being written by another run; gave up after ${Math.round(timeoutMs / 1000)} s (${held}); the target is unchanged`,
    LOCK_TIMEOUT_HINT,
    {
      details: {
        connection: target.ref,
        table: target.table,
        ...(holder !== undefined ? { holder_connection_id: holder } : {}),
      },
    },
  );
}
