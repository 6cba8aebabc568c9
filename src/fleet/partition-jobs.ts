/**
 * Partitioned copies on the fleet (docs/adr/0028-partitioned-copies.md). The run's worker, reaching a
 * partitioned extractor, enqueues ONE flow: a `partition.swap` parent with one `partition.copy` child per key
 * range. Children run on any free workers (a killed worker's child is re-run by BullMQ's stalled-job check;
 * its staging table is dropped and recreated, so nothing is loaded twice); the parent runs once every child
 * completed and swaps all staged rows into the target in one transaction. A child that fails for good fails
 * the parent (`failParentOnFailure`); the run's worker then removes the children not started, waits for the
 * running ones, and drops whatever was staged.
 *
 * Jobs carry step ids, components, compiled configs and `@family.alias` references only: each worker resolves
 * the connections from its own osiris_connections.yaml and environment.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UnrecoverableError } from 'bullmq';
import type { LoadedStep } from '../compiler/manifest.js';
import { quoteIdent } from '../runtime/dataplane.js';
import { type Driver, StepError, type StreamContext } from '../runtime/driver.js';
import type {
  JobStep,
  PartitionEnv,
  PartitionExecutor,
  PartitionJob,
  PartitionResult,
  SwapJob,
} from '../runtime/partition/copy.js';
import { describeRange } from '../runtime/partition/ranges.js';
import type { SwapOutcome } from '../runtime/partition/staging.js';
import type { JsonValue } from '../yaml/json.js';
import { enqueueFlow, type FleetJobData, type JobContext, openQueue, registerJobKind } from './jobs.js';
import type { FleetSettings } from './redis.js';

export const PARTITION_COPY = 'partition.copy';
export const PARTITION_SWAP = 'partition.swap';
/** Tries of a partition that fails with a transient error (a worker killed mid-job is not a try). */
const PARTITION_ATTEMPTS = 3;
const POLL_MS = 250;

const asJson = (value: unknown): JsonValue => JSON.parse(JSON.stringify(value)) as JsonValue;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isJobStep = (v: unknown): boolean =>
  isObject(v) && typeof v.id === 'string' && typeof v.component === 'string' && isObject(v.config);

/** Job data comes from Redis: checked before it is trusted (an older or newer Osiris may have written it). */
function checked<T>(kind: string, value: unknown, ok: (v: Record<string, unknown>) => boolean): T {
  if (isObject(value) && ok(value)) return value as T;
  throw new UnrecoverableError(
    `partition.bad_job: the ${kind} job's data is not what this Osiris expects; upgrade the workers`,
  );
}

/** This worker's way to run a partition or swap job: its own project, connections and drivers. */
async function workerEnv(
  ctx: JobContext,
  scratchDir: string,
  pair?: { reader: string; writer: string },
): Promise<PartitionEnv> {
  const { loadProjectConfig } = await import('../project/config.js');
  const { loadRegistry } = await import('../registry/load.js');
  const { createRedactor } = await import('../observability/redact.js');
  const { stepPreparer } = await import('../runtime/execute.js');
  const { projectDir, env } = ctx.worker;
  const project = loadProjectConfig({ cwd: projectDir, env });
  const registry = loadRegistry({ projectRoot: projectDir });
  const redactor = createRedactor({ secretKeys: registry.allSecretKeys() });
  const prepare = await stepPreparer({ registry, env, cwd: projectDir, project }, redactor, () => undefined);
  const asLoaded = (s: JobStep): LoadedStep => ({
    id: s.id,
    component: s.component,
    mode: 'read',
    driver: s.component,
    cfg_path: '',
    cfg_fp: '',
    needs: [],
    cfgFile: '',
    cfg: s.config,
    config: s.config,
    ...(s.connection ? { connection: s.connection } : {}),
  });
  return {
    loadDriver: async (component) => {
      const path = registry.get(component)?.driverPath;
      if (!path)
        throw new StepError('partition.unsupported_source', `this worker has no driver for '${component}'`);
      return ((await import(pathToFileURL(path).href)) as { driver: Driver }).driver;
    },
    prepare: (s) => prepare(asLoaded(s)),
    context: (stepId, config, connection): StreamContext => ({
      stepId,
      config,
      connection,
      // The writer reads the extractor's rows (a stream, or the partition's own DuckDB table).
      inputs: stepId === pair?.writer ? [{ stepId: pair.reader, table: quoteIdent(pair.reader) }] : [],
      outputTable: quoteIdent(stepId),
      artifactsDir: scratchDir,
      scratchDir,
      projectRoot: projectDir,
      claim: () => undefined,
      emit: () => undefined,
      metric: () => undefined,
      progress: () => undefined,
      signal: ctx.signal,
      lockTimeoutMs: project.runtime.lockTimeoutMs,
    }),
    scratchDir,
    emit: () => undefined,
  };
}

/** A StepError that retrying cannot fix (bad data, bad config) fails the partition for good. */
function settle(error: unknown): never {
  if (error instanceof StepError && !error.code.startsWith('connection.'))
    throw new UnrecoverableError(`${error.code}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
  throw error;
}

async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'osiris-partition-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function partitionCopy(ctx: JobContext): Promise<JsonValue> {
  const job = checked<PartitionJob>(
    PARTITION_COPY,
    ctx.job.data.job,
    (v) =>
      typeof v.tag === 'string' &&
      typeof v.index === 'number' &&
      isObject(v.range) &&
      isObject(v.spec) &&
      isJobStep(v.reader) &&
      isJobStep(v.writer),
  );
  // Started once per try and once more per stalled re-run (its worker died).
  const attempt = Math.max(1, ctx.job.attemptsStarted ?? ctx.job.attemptsMade + 1);
  return withScratch(async (dir) => {
    const { runPartitionJob } = await import('../runtime/partition/copy.js');
    try {
      const result = await runPartitionJob(
        job,
        await workerEnv(ctx, dir, { reader: job.reader.id, writer: job.writer.id }),
        attempt,
      );
      return asJson({ ...result, worker: ctx.worker.name });
    } catch (error) {
      settle(error);
    }
  });
}

async function partitionSwap(ctx: JobContext): Promise<JsonValue> {
  const swap = checked<SwapJob>(
    PARTITION_SWAP,
    ctx.job.data.swap,
    (v) => typeof v.tag === 'string' && typeof v.count === 'number' && isJobStep(v.writer),
  );
  const values = Object.values(await ctx.job.getChildrenValues()).map((v) =>
    checked<PartitionResult>(
      'partition result',
      v,
      (r) => typeof r.index === 'number' && typeof r.rows === 'number',
    ),
  );
  const partitions = values.sort((a, b) => a.index - b.index);
  if (partitions.length !== swap.count || partitions.some((p, i) => p.index !== i))
    throw new UnrecoverableError(
      `partition.verify_failed: ${partitions.length} of ${swap.count} partitions reported; nothing was swapped`,
    );
  return withScratch(async (dir) => {
    const { runSwapJob } = await import('../runtime/partition/copy.js');
    try {
      const outcome = await runSwapJob(
        swap,
        partitions.map((p) => p.rows),
        await workerEnv(ctx, dir),
      );
      return asJson({ swap: outcome, partitions });
    } catch (error) {
      settle(error);
    }
  });
}

registerJobKind(PARTITION_COPY, partitionCopy);
registerJobKind(PARTITION_SWAP, partitionSwap);

/**
 * Job ids: the copy's tag (its staging tables' names) plus a nonce per flow, so a run handed back and started
 * again enqueues a fresh flow instead of finding the old one's ids taken.
 */
const childId = (flow: string, index: number) => `part-${flow}-${index}`;

/**
 * The run's side: enqueue the flow, wait for its parent, and on failure leave nothing running or staged.
 * Passed to the pipeline run of a `run` job (runner `partitionExecutor`).
 */
export function queuePartitionExecutor(
  settings: FleetSettings,
  signal: AbortSignal,
): (env: PartitionEnv) => PartitionExecutor {
  return (env) => async (jobs, swap) => {
    const flow = `${swap.tag}-${randomBytes(3).toString('hex')}`;
    const children = jobs.map((job) => ({
      name: `partition ${job.index + 1}/${job.of} ${describeRange(job.range)}`,
      data: { kind: PARTITION_COPY, job: asJson(job) } as FleetJobData,
      opts: {
        jobId: childId(flow, job.index),
        attempts: PARTITION_ATTEMPTS,
        backoff: { type: 'fixed', delay: 500 },
        failParentOnFailure: true,
      },
    }));
    const parentId = await enqueueFlow(settings, {
      name: `swap into ${swap.writer.id}`,
      data: { kind: PARTITION_SWAP, swap: asJson(swap) } as FleetJobData,
      opts: { jobId: `part-${flow}-swap`, attempts: 1 },
      children,
    });
    env.emit('partition.enqueued', {
      step_id: jobs[0]?.reader.id ?? '',
      parent_job: parentId,
      children: jobs.length,
    });
    const queue = await openQueue(settings);
    try {
      for (;;) {
        const parent = await queue.queue.getJob(parentId);
        const state = parent ? await parent.getState() : 'unknown';
        if (parent && state === 'completed') {
          const done = checked<{ swap: SwapOutcome; partitions: PartitionResult[] }>(
            PARTITION_SWAP,
            parent.returnvalue,
            (v) => isObject(v.swap) && Array.isArray(v.partitions),
          );
          for (const p of done.partitions)
            env.emit('partition.complete', {
              step_id: jobs[0]?.reader.id ?? '',
              partition: p.index,
              rows: p.rows,
              attempts: p.attempts,
              ...(p.worker ? { worker: p.worker } : {}),
            });
          return done;
        }
        if (!parent || state === 'failed' || signal.aborted) {
          const reason = await firstFailure(queue.queue, flow, jobs, parent?.failedReason);
          await settleChildren(queue.queue, flow, jobs);
          // Cancelled: the parent still waits for its children; it must not swap what they staged.
          if (parent && state === 'waiting-children') await parent.remove().catch(() => undefined);
          throw new StepError(
            'partition.failed',
            `the partitioned copy into '${swap.writer.id}' failed: ${signal.aborted ? 'the run was cancelled' : reason}; nothing was swapped in, the target is unchanged`,
            'fix the cause above and run again',
          );
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } finally {
      await queue.close();
    }
  };
}

type QueueLike = Awaited<ReturnType<typeof openQueue>>['queue'];

async function firstFailure(
  queue: QueueLike,
  flow: string,
  jobs: readonly PartitionJob[],
  fallback: string | undefined,
): Promise<string> {
  for (const job of jobs) {
    const child = await queue.getJob(childId(flow, job.index));
    if (child?.failedReason)
      return `partition ${job.index} ${describeRange(job.range)}: ${child.failedReason}`;
  }
  return fallback ?? 'the swap job disappeared from the queue';
}

/** Removes children not started yet and waits (≤ 60 s) for running ones, so cleanup sees every stage. */
async function settleChildren(queue: QueueLike, flow: string, jobs: readonly PartitionJob[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let running = 0;
    for (const job of jobs) {
      const child = await queue.getJob(childId(flow, job.index));
      if (!child) continue;
      const state = await child.getState();
      if (
        state === 'waiting' ||
        state === 'delayed' ||
        state === 'prioritized' ||
        state === 'waiting-children'
      )
        await child.remove().catch(() => undefined);
      else if (state === 'active') running += 1;
    }
    if (running === 0 || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
