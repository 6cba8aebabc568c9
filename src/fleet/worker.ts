/**
 * `osiris worker --queue <url>`: a long-lived fleet worker. It takes jobs from the runs queue (BullMQ), hands
 * each to the handler of its kind (jobs.ts), and announces itself in a Redis hash whose TTL its heartbeat
 * refreshes — `fleet status` lists it while it lives. SIGTERM/SIGINT: stop taking jobs and finish the current
 * ones; a second signal hands them back to the queue (another worker runs them) and exits.
 */
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import { VERSION } from '../cli/version.js';
import type { JsonValue } from '../yaml/json.js';
import { type FleetJobData, jobHandler, jobKindNames } from './jobs.js';
import { loadJobKinds } from './kinds.js';
import { connect, fleetKeys, fleetSettings, ping, RUNS_QUEUE, WORKER_TTL_S } from './redis.js';

export interface QueueWorkerOptions {
  url: string;
  concurrency: number;
  name?: string;
  /** The worker's project folder (its connections and .env). */
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** One line of news (stderr). */
  log: (line: string) => void;
}

export async function runQueueWorker(options: QueueWorkerOptions): Promise<number> {
  const settings = fleetSettings(options.url, options.env);
  const keys = fleetKeys(settings.prefix);
  const name = options.name ?? `${hostname()}-${process.pid}`;
  await loadJobKinds();
  const redis = connect(settings, true);
  const probe = connect(settings);
  try {
    await ping(probe, settings);
  } finally {
    probe.disconnect();
  }
  const { loadRegistry } = await import('../registry/load.js');
  const components = loadRegistry({ projectRoot: options.projectDir }).names();
  const me = keys.worker(name);
  const announce = () =>
    redis
      .multi()
      .hset(me, { heartbeat: new Date().toISOString() })
      .expire(me, WORKER_TTL_S)
      .sadd(keys.workers, name)
      .exec()
      .catch(() => undefined);
  await redis
    .multi()
    .del(me)
    .hset(me, {
      name,
      host: hostname(),
      pid: String(process.pid),
      osiris: VERSION,
      concurrency: String(options.concurrency),
      components: JSON.stringify(components),
      kinds: JSON.stringify(jobKindNames()),
      started: new Date().toISOString(),
      current: '',
      done: '0',
      failed: '0',
    })
    .exec();
  await announce();
  const beat = setInterval(announce, 5000);

  const handBack = new AbortController();
  // What each running job shows as in `fleet status` (several with --concurrency).
  const current = new Map<string, string>();
  const showCurrent = () => redis.hset(me, 'current', [...current.values()].join(', ')).then(() => undefined);
  const { Worker } = await import('bullmq');
  const processor = async (job: Job<FleetJobData>, token?: string): Promise<JsonValue> => {
    const handler = jobHandler(job.data.kind);
    if (!handler) {
      const { UnrecoverableError } = await import('bullmq');
      throw new UnrecoverableError(
        `fleet.unknown_kind: this worker (${VERSION}) has no job kind '${job.data.kind}'; upgrade it`,
      );
    }
    const id = String(job.id);
    current.set(id, `${job.data.kind} ${id}`);
    await showCurrent();
    try {
      const result = await handler({
        job,
        token,
        redis,
        keys,
        settings,
        worker: { name, projectDir: options.projectDir, env: options.env },
        signal: handBack.signal,
        setCurrent: async (label) => {
          current.set(id, label);
          await showCurrent();
        },
      });
      const failed = Boolean(result && typeof result === 'object' && !Array.isArray(result) && result.failed);
      await redis.hincrby(me, failed ? 'failed' : 'done', 1);
      return result;
    } catch (error) {
      if ((error as Error).name !== 'WaitingError') await redis.hincrby(me, 'failed', 1);
      throw error;
    } finally {
      current.delete(id);
      await showCurrent();
    }
  };
  const worker = new Worker<FleetJobData, JsonValue>(RUNS_QUEUE, processor, {
    connection: redis,
    prefix: settings.prefix,
    concurrency: options.concurrency,
    name,
    // A killed worker's job is noticed after one interval and run again by another (at most twice).
    lockDuration: settings.stalledMs,
    stalledInterval: settings.stalledMs,
    maxStalledCount: 2,
  });
  worker.on('error', (error) => options.log(`queue error: ${error.message}`));
  worker.on('active', (job) => options.log(`job ${job.id} (${job.data.kind}) started`));
  worker.on('completed', (job) => options.log(`job ${job.id} (${job.data.kind}) done`));
  worker.on('failed', (job, error) => options.log(`job ${job?.id} failed: ${error.message}`));
  options.log(
    `worker ${name} serving ${settings.prefix}:${RUNS_QUEUE} (concurrency ${options.concurrency}; kinds ${jobKindNames().join(', ')})`,
  );

  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      signals += 1;
      if (signals === 1) {
        options.log(`${sig}: finishing the current job(s); send it again to hand them back`);
        resolve();
      } else {
        options.log(`${sig}: handing the current job(s) back to the queue`);
        handBack.abort(sig);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await stopped;
  await worker.close();
  clearInterval(beat);
  await redis
    .multi()
    .del(me)
    .srem(keys.workers, name)
    .exec()
    .catch(() => undefined);
  redis.disconnect();
  options.log(`worker ${name} stopped`);
  return 0;
}
