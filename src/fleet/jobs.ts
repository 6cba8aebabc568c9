/**
 * The seam for job kinds. Every BullMQ job Osiris enqueues carries `data.kind`; a fleet worker looks the kind
 * up here and hands the job to its handler. `run` (a whole pipeline run, run-job.ts) is built in; other
 * modules add theirs with `registerJobKind(kind, handler)` from a module listed in kinds.ts (so every
 * `osiris worker --queue` process loads it), e.g. `partition` and `swap` for partitioned copies, enqueued as
 * one flow — a parent with its children — through `enqueueFlow`.
 *
 * A handler gets the job, the worker's own project (its osiris_connections.yaml and environment resolve the
 * secrets: job data is secret-free) and an AbortSignal that fires when the worker hands the job back. It
 * returns a JSON result (BullMQ stores it; a parent reads its children's with job.getChildrenValues()), or
 * throws: an `UnrecoverableError` fails the job for good, anything else lets BullMQ retry per the job's
 * `attempts`. A worker killed mid-job loses its lock and BullMQ's stalled-job check hands the job to another.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { JsonValue } from '../yaml/json.js';
import { connect, type FleetKeys, type FleetSettings, fleetKeys, ping, RUNS_QUEUE } from './redis.js';

/** What every job carries: its kind, and whatever that kind needs (JSON, never a secret). */
export interface FleetJobData {
  kind: string;
  [key: string]: JsonValue;
}

export interface JobContext {
  job: Job<FleetJobData>;
  /** The worker's lock token for the job (BullMQ moveToWait / moveToWaitingChildren need it). */
  token: string | undefined;
  /** A client for the handler's own writes (not blocking). */
  redis: Redis;
  keys: FleetKeys;
  settings: FleetSettings;
  worker: {
    name: string;
    /** The worker's project folder: its osiris.yaml, osiris_connections.yaml and .env. */
    projectDir: string;
    env: NodeJS.ProcessEnv;
  };
  /** Fires when the worker hands the job back (a second SIGTERM): stop, the job will run elsewhere. */
  signal: AbortSignal;
  /** What `fleet status` shows this job as (default `<kind> <job id>`; a run: its run id). */
  setCurrent: (label: string) => Promise<void>;
}

/** Resolves with the job's result; `failed: true` in it counts the job as failed in `fleet status`. */
export type JobHandler = (ctx: JobContext) => Promise<JsonValue>;

const KINDS = new Map<string, JobHandler>();

export function registerJobKind(kind: string, handler: JobHandler): void {
  if (KINDS.has(kind)) throw new Error(`job kind '${kind}' is registered twice`);
  KINDS.set(kind, handler);
}

export function jobHandler(kind: string): JobHandler | undefined {
  return KINDS.get(kind);
}

export function jobKindNames(): string[] {
  return [...KINDS.keys()].sort();
}

/** BullMQ's options for Osiris jobs: kept until looked at, a bounded history. */
export const JOB_DEFAULTS = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
} as const;

/** Opens the runs queue (checks Redis answers first); close it with `.close()` and `redis.quit()`. */
export async function openQueue(settings: FleetSettings) {
  const redis = connect(settings);
  await ping(redis, settings);
  const { Queue } = await import('bullmq');
  const queue = new Queue<FleetJobData>(RUNS_QUEUE, { connection: redis, prefix: settings.prefix });
  queue.on('error', () => undefined);
  return {
    queue,
    redis,
    keys: fleetKeys(settings.prefix),
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}

export interface FlowNode {
  /** A label for the job (BullMQ's job name), e.g. the partition's range. */
  name: string;
  data: FleetJobData;
  /** BullMQ job options (attempts, backoff, jobId…). */
  opts?: Record<string, JsonValue>;
  children?: FlowNode[];
}

/**
 * Enqueues a parent job and its children in one go (BullMQ FlowProducer): the children run on any free
 * workers; the parent runs once every child has completed. Resolves with the parent's job id.
 */
export async function enqueueFlow(settings: FleetSettings, flow: FlowNode): Promise<string> {
  const redis = connect(settings);
  try {
    await ping(redis, settings);
    const { FlowProducer } = await import('bullmq');
    const producer = new FlowProducer({ connection: redis, prefix: settings.prefix });
    const toBull = (node: FlowNode): Parameters<typeof producer.add>[0] => ({
      name: node.name,
      queueName: RUNS_QUEUE,
      data: node.data,
      opts: { ...JOB_DEFAULTS, ...(node.opts ?? {}) },
      ...(node.children ? { children: node.children.map(toBull) } : {}),
    });
    const tree = await producer.add(toBull(flow));
    await producer.close();
    if (!tree.job.id) throw OsirisError.of('queue.enqueue_failed', 'BullMQ gave the flow no job id');
    return tree.job.id;
  } finally {
    redis.disconnect();
  }
}
