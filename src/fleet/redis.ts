/**
 * The fleet's Redis: one URL (`redis://[user:pass@]host:port/db`, `rediss://` for TLS), one key prefix, and the
 * names of every key Osiris keeps beside BullMQ's own. The prefix (OSIRIS_QUEUE_PREFIX, default `osiris`)
 * lets several fleets or test runs share one Redis database without seeing each other.
 */
import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { ExitCode, OsirisError } from '../diagnostics/diagnostic.js';

/** The BullMQ queue every run job goes to (child jobs of flows too). */
export const RUNS_QUEUE = 'runs';
/** How long a run's stream and meta stay in Redis after they were last written (7 days). */
export const RUN_TTL_S = 7 * 24 * 3600;
/** A worker's announcement lives this long unless its heartbeat refreshes it. */
export const WORKER_TTL_S = 15;

export interface FleetSettings {
  url: string;
  prefix: string;
  /** BullMQ's stalled-job check and job lock (ms); short in tests (OSIRIS_QUEUE_STALLED_MS). */
  stalledMs: number;
}

export function fleetSettings(url: string, env: NodeJS.ProcessEnv = process.env): FleetSettings {
  if (!/^rediss?:\/\//.test(url))
    throw OsirisError.of(
      'queue.bad_url',
      `the queue URL must start with redis:// or rediss://, got '${redactUrl(url)}'`,
      {},
      { hint: 'e.g. --queue redis://127.0.0.1:6379/0 or execution.queue in osiris.yaml' },
    );
  const prefix = env.OSIRIS_QUEUE_PREFIX || 'osiris';
  const stalled = Number(env.OSIRIS_QUEUE_STALLED_MS ?? '');
  return { url, prefix, stalledMs: Number.isInteger(stalled) && stalled >= 200 ? stalled : 30_000 };
}

/** The URL without its password, for messages and records. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** A client. `blocking`: for BullMQ workers and XREAD BLOCK (retries forever); otherwise fails fast. */
export function connect(settings: FleetSettings, blocking = false): Redis {
  const options: RedisOptions = blocking
    ? { maxRetriesPerRequest: null }
    : { maxRetriesPerRequest: 2, connectTimeout: 3000, retryStrategy: (n) => (n > 2 ? null : 200) };
  const redis = new Redis(settings.url, options);
  redis.on('error', () => undefined); // reported by the command that fails
  return redis;
}

/** Checks the server answers, so a command stops with where/what/how rather than hanging. */
export async function ping(redis: Redis, settings: FleetSettings): Promise<void> {
  try {
    await redis.ping();
  } catch (error) {
    throw OsirisError.of(
      'queue.unreachable',
      `cannot reach the queue's Redis at ${redactUrl(settings.url)}: ${(error as Error).message}`,
      {},
      {
        hint: 'start Redis (redis-server) or fix execution.queue / --queue; see docs/reference/fleet.md',
        exitCode: ExitCode.runtime,
      },
    );
  }
}

/** Every key Osiris writes next to BullMQ's (`<prefix>:runs:*`). */
export function fleetKeys(prefix: string) {
  const p = `${prefix}:fleet`;
  return {
    /** Set of announced worker names. */
    workers: `${p}:workers`,
    /** Hash per worker: name, host, pid, components, started, heartbeat, current, done, failed (TTL). */
    worker: (name: string) => `${p}:worker:${name}`,
    /** Hash per run: pipeline, project, status, worker, job, queued/started/finished times (TTL). */
    run: (runId: string) => `${p}:run:${runId}`,
    /** Stream per run: the worker's protocol lines (`a` attempt, `l` line) and `end` markers (TTL). */
    stream: (runId: string) => `${p}:run:${runId}:stream`,
    /** Set when the submitter cancels the run; the worker polls it. */
    cancel: (runId: string) => `${p}:run:${runId}:cancel`,
    /** Sorted set (score: queued at) of the detached and scheduled runs of one project, until it syncs them. */
    projectRuns: (root: string) => `${p}:project:${projectKey(root)}:runs`,
    /** Hash: schedule name → the project it belongs to and its pipeline (for `schedule list`). */
    schedules: `${p}:schedules`,
  };
}
export type FleetKeys = ReturnType<typeof fleetKeys>;

export function projectKey(root: string): string {
  return createHash('sha256').update(root).digest('hex').slice(0, 16);
}
