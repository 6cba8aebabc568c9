/**
 * One writer per table at a time, across runs and machines: the writer's transaction takes a Postgres
 * advisory lock keyed by the target (`schema.table`) before it touches the table, and holds it to COMMIT.
 *
 * Why: two `replace` loads of one table each hold a lock on it (CREATE TEMP TABLE … LIKE) while their
 * COPY runs, then both need TRUNCATE's exclusive lock — Postgres cancels one of them as a deadlock and that
 * run fails with nothing committed. Serialised, the second waits and then replaces the first one's rows.
 * A transaction-level lock also holds behind a transaction pooler (Supabase).
 */
import type pg from 'pg';
import { DEFAULT_LOCK_TIMEOUT_S, LOCK_TIMEOUT_HINT } from '../../project/config.js';
import { StepError, type StreamContext } from '../../runtime/driver.js';

/** The advisory lock key of a target: one 64-bit hash per `schema.table` (locks are per database). */
export function writeLockKey(schema: string, table: string): string {
  return `osiris.write:${schema}.${table}`;
}

const KEY = 'hashtextextended($1, 0)';

interface Holder {
  pid: number;
  application: string | null;
  since: string | null;
}

/** Who holds the lock now (a lookup by the lock's key, then by that one backend's pid). */
async function holderOf(client: pg.Client, key: string): Promise<Holder | undefined> {
  const r = await client.query<Holder>(
    `SELECT l.pid, a.application_name AS application, to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS since
     FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
       AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
       AND l.classid::bigint = (${KEY} >> 32) & 4294967295 AND l.objid::bigint = ${KEY} & 4294967295
     LIMIT 1`,
    [key],
  );
  return r.rows[0];
}

function describe(holder: Holder | undefined): string {
  if (!holder) return 'holder unknown';
  const app = holder.application ? ` (${holder.application})` : '';
  return `held by backend pid ${holder.pid}${app}${holder.since ? `, transaction started ${holder.since}` : ''}`;
}

/**
 * Takes the target's write lock inside the open transaction, waiting up to the run's lock timeout for
 * another writer; fails with `write.lock_timeout` naming the holder when that runs out.
 */
export async function lockWriteTarget(
  ctx: Pick<StreamContext, 'stepId' | 'emit' | 'lockTimeoutMs'>,
  client: pg.Client,
  target: { schema: string; table: string; shown: string },
): Promise<void> {
  const key = writeLockKey(target.schema, target.table);
  const got = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(${KEY}) AS ok`, [key]);
  if (got.rows[0]?.ok) return;
  const timeoutMs = ctx.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_S * 1000;
  const holder = await holderOf(client, key);
  ctx.emit('write.waiting', {
    table: target.shown,
    reason: `${target.shown} is being written by another run (${describe(holder)})`,
    timeout_ms: timeoutMs,
  });
  try {
    // lock_timeout 0 means "wait forever" to Postgres; a 0 timeout here means "do not wait".
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
    await client.query(`SELECT pg_advisory_xact_lock(${KEY})`, [key]);
    await client.query('SET LOCAL lock_timeout = DEFAULT');
  } catch (error) {
    if ((error as { code?: string }).code !== '55P03') throw error;
    throw new StepError(
      'write.lock_timeout',
      `step '${ctx.stepId}': ${target.shown} is being written by another run; gave up after ${Math.round(timeoutMs / 1000)} s (${describe(holder)}); nothing was committed`,
      LOCK_TIMEOUT_HINT,
      { cause: error, details: { table: target.shown, ...(holder ? { holder_pid: holder.pid } : {}) } },
    );
  }
}
