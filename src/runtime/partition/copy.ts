/**
 * A partitioned copy (docs/adr/0028-partitioned-copies.md): plan the key ranges, load each range into its own
 * staging table (locally with bounded concurrency, or as child jobs of one queue flow), then swap every
 * staged row into the target once. What travels to another machine is `PartitionJob`/`SwapJob`: step ids,
 * components, compiled (secret-free) configs and `@family.alias` references — never a resolved connection.
 */

import type { JsonObject, JsonValue } from '../../yaml/json.js';
import type { ColumnInfo } from '../dataplane.js';
import { openDataPlane, quoteIdent } from '../dataplane.js';
import type { Driver, ResolvedConnection, StepResult, StreamContext } from '../driver.js';
import { StepError } from '../driver.js';
import { keyBounds } from './bounds.js';
import {
  computedRanges,
  describeRange,
  explicitRanges,
  type Family,
  type PartitionRange,
  partitionReadConfig,
} from './ranges.js';
import { PARTITION_SOURCES, PARTITION_TARGETS, type PartitionSpec, partitionSpec } from './spec.js';
import {
  dropStages,
  prepareStage,
  type SwapOutcome,
  stageName,
  stageTag,
  swapPartitions,
  type TargetStep,
} from './staging.js';

/** A step as a job carries it: no secrets (the worker resolves `connection` itself). */
export interface JobStep {
  id: string;
  component: string;
  /** The compiled cfg's config (`${VAR}` references unexpanded). */
  config: JsonObject;
  /** `@family.alias`, when the step has one. */
  connection?: string;
}

export interface PartitionJob {
  runId: string;
  tag: string;
  index: number;
  /** How many partitions the copy has. */
  of: number;
  range: PartitionRange;
  reader: JobStep;
  writer: JobStep;
  spec: PartitionSpec;
}

export interface SwapJob {
  runId: string;
  tag: string;
  count: number;
  writer: JobStep;
}

export interface PartitionResult {
  index: number;
  rows: number;
  /** The fleet worker that loaded it (queue runs). */
  worker?: string;
  /** Times the partition started (more than 1: it was retried, e.g. after its worker died). */
  attempts: number;
}

/** What running a job needs from where it runs (the local runner, or a queue worker). */
export interface PartitionEnv {
  loadDriver(component: string): Promise<Driver>;
  /** The step's resolved connection and config (secret `${VAR}` fields expanded). */
  prepare(step: JobStep): { connection: ResolvedConnection | undefined; config: JsonObject };
  /** A driver context for `stepId` with this config and connection. */
  context(stepId: string, config: JsonObject, connection: ResolvedConnection | undefined): StreamContext;
  /** Scratch folder for a materialised partition (a DuckDB database of its own). */
  scratchDir: string;
  /** An event into the run's record (a queue worker's partition jobs have none: their results carry it). */
  emit(event: string, data: Record<string, JsonValue>): void;
  /** Local runs: whether a failed attempt runs again (the step's retry policy; waits before saying yes). */
  retry?(job: PartitionJob, error: unknown, attempt: number): Promise<boolean>;
}

/** Runs every partition; resolves with their results in index order or rejects with the first failure. */
export type PartitionExecutor = (
  jobs: readonly PartitionJob[],
  swap: SwapJob,
) => Promise<{
  partitions: PartitionResult[];
  swap: SwapOutcome;
}>;

function targetStep(env: PartitionEnv, writer: JobStep): TargetStep {
  const family = PARTITION_TARGETS[writer.component];
  if (!family)
    throw new StepError(
      'partition.unsupported_target',
      `step '${writer.id}': a partitioned copy cannot load into ${writer.component}`,
      `feed the partitioned extractor into one of: ${Object.keys(PARTITION_TARGETS).join(', ')}`,
    );
  const prepared = env.prepare(writer);
  return { id: writer.id, family, config: prepared.config, connection: prepared.connection };
}

/** Loads one partition into its staging table (dropped and recreated first: a retry starts clean). */
export async function runPartitionJob(
  job: PartitionJob,
  env: PartitionEnv,
  attempt = 1,
): Promise<PartitionResult> {
  const family = PARTITION_SOURCES[job.reader.component] as Family;
  const reader = env.prepare(job.reader);
  const target = targetStep(env, job.writer);
  const stage = stageName(job.tag, job.index);
  const readConfig = partitionReadConfig(family, reader.config, job.spec, job.range);
  const readerCtx = env.context(job.reader.id, readConfig, reader.connection);
  readerCtx.emit('partition.start', {
    partition: job.index,
    of: job.of,
    range: describeRange(job.range),
    attempt,
    stage,
  });
  const readerDriver = await env.loadDriver(job.reader.component);
  const writerDriver = await env.loadDriver(job.writer.component);
  const load = async (columns: readonly ColumnInfo[]) => {
    // Claimed before it exists: if this process dies, the abandoned-run sweep drops it (run-claims.ts).
    const ref = target.connection ? `@${target.connection.family}.${target.connection.alias}` : null;
    if (target.family === 'mysql') {
      const { mysqlSettings } = await import('../../connectors/mysql/client.js');
      const settings = mysqlSettings(target.connection, { config: target.config, stepId: target.id });
      readerCtx.claim({
        kind: 'mysql_table',
        connection: ref,
        database: settings.database ?? '',
        table: stage,
      });
    } else {
      const { pgTarget } = await import('../../connectors/postgres/client.js');
      const schema =
        typeof target.config.schema === 'string'
          ? target.config.schema
          : (pgTarget(target.connection, target.config).schema ?? 'public');
      readerCtx.claim({ kind: 'postgres_table', connection: ref, schema, table: stage });
    }
    const config = await prepareStage(
      target,
      stage,
      columns.map((c) => c.name),
    );
    return env.context(job.writer.id, config, target.connection);
  };
  const source = readerDriver.openStream
    ? await readerDriver.openStream(readerCtx)
    : { declined: 'no stream' };
  let result: StepResult;
  if (
    !('declined' in source) &&
    writerDriver.writeStream &&
    !writerDriver.streamDeclined?.(target, source.columns)
  ) {
    try {
      const writerCtx = await load(source.columns);
      const writing = writerDriver.writeStream(writerCtx, source).catch((error: unknown) => {
        source.cancel(error);
        throw error;
      });
      const [read, written] = await Promise.allSettled([source.result, writing]);
      if (written.status === 'rejected') throw written.reason;
      if (read.status === 'rejected') throw read.reason;
      result = written.value;
    } catch (error) {
      source.cancel(error);
      await source.result.catch(() => undefined);
      throw error;
    }
  } else {
    if (!('declined' in source)) {
      source.cancel();
      await source.result.catch(() => undefined);
    }
    result = await materialised(job, env, readerDriver, writerDriver, readerCtx, load);
  }
  const rows = result.rowsWritten ?? 0;
  readerCtx.emit('partition.complete', { partition: job.index, rows, attempt });
  return { index: job.index, rows, attempts: attempt };
}

/** The partition through a DuckDB table of its own, for reads or writes that cannot stream. */
async function materialised(
  job: PartitionJob,
  env: PartitionEnv,
  readerDriver: Driver,
  writerDriver: Driver,
  readerCtx: StreamContext,
  load: (columns: readonly ColumnInfo[]) => Promise<StreamContext>,
): Promise<StepResult> {
  const plane = await openDataPlane(`${env.scratchDir}/partition-${job.tag}-${job.index}`);
  try {
    const duck = await plane.connect();
    const table = quoteIdent(`part_${job.index}`);
    await readerDriver.run({ ...readerCtx, duck, outputTable: table });
    const described = await duck.runAndReadAll(`DESCRIBE ${table}`);
    const columns = described
      .getRowObjects()
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const writerCtx = await load(columns);
    return await writerDriver.run({ ...writerCtx, duck, inputs: [{ stepId: job.reader.id, table }] });
  } finally {
    plane.close();
  }
}

/** The parent's half: every partition succeeded, so move the staged rows into the target once. */
export async function runSwapJob(
  job: SwapJob,
  partitionRows: readonly number[],
  env: PartitionEnv,
): Promise<SwapOutcome> {
  const target = targetStep(env, job.writer);
  const ctx = env.context(job.writer.id, target.config, target.connection);
  return swapPartitions({
    step: target,
    tag: job.tag,
    partitionRows,
    lock: ctx,
  });
}

/** Drops what partitions of `tag` staged (after a failure). */
export async function dropPartitionStages(
  writer: JobStep,
  tag: string,
  env: PartitionEnv,
): Promise<string[]> {
  return dropStages(targetStep(env, writer), tag);
}

/** Runs partitions in this process, `parallel` at a time; the first failure stops new ones starting. */
export function localExecutor(env: PartitionEnv, parallel: number, signal?: AbortSignal): PartitionExecutor {
  return async (jobs, swap) => {
    const results: PartitionResult[] = [];
    let failure: unknown;
    let next = 0;
    const worker = async () => {
      while (failure === undefined && !signal?.aborted && next < jobs.length) {
        const job = jobs[next++] as PartitionJob;
        for (let attempt = 1; ; attempt++) {
          try {
            results.push(await runPartitionJob(job, env, attempt));
            break;
          } catch (error) {
            if (failure === undefined && env.retry && (await env.retry(job, error, attempt))) continue;
            failure ??= error;
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
    if (failure === undefined && signal?.aborted)
      failure = new StepError('runtime.cancelled', 'the copy was cancelled');
    if (failure !== undefined) throw failure;
    results.sort((a, b) => a.index - b.index);
    const outcome = await runSwapJob(
      swap,
      results.map((r) => r.rows),
      env,
    );
    return { partitions: results, swap: outcome };
  };
}

export interface PartitionedCopy {
  runId: string;
  reader: JobStep;
  writer: JobStep;
  env: PartitionEnv;
  /** Default: this process (`localExecutor` with `partition.parallel`). */
  executor?: PartitionExecutor;
  emit(event: string, data: Record<string, JsonValue>): void;
  signal?: AbortSignal;
}

/** Plans the ranges, runs the partitions and the swap; on any failure drops what was staged. */
export async function runPartitionedCopy(
  copy: PartitionedCopy,
): Promise<{ rows: number; result: StepResult; partitions: PartitionResult[] }> {
  const { reader, writer, env } = copy;
  const spec = partitionSpec(reader.id, reader.config) as PartitionSpec;
  const family = PARTITION_SOURCES[reader.component];
  if (!family)
    throw new StepError(
      'partition.unsupported_source',
      `step '${reader.id}': ${reader.component} cannot be partitioned`,
    );
  const prepared = env.prepare(reader);
  let ranges: PartitionRange[];
  if (spec.ranges) ranges = explicitRanges(spec.ranges);
  else {
    const b = await keyBounds(reader.id, family, prepared.config, prepared.connection, spec.column);
    ranges = computedRanges(reader.id, spec.column, spec.count ?? 1, b.min, b.max);
  }
  const tag = stageTag(copy.runId, writer.id);
  copy.emit('partition.plan', {
    step_id: reader.id,
    writer: writer.id,
    column: spec.column,
    partitions: ranges.length,
    ranges: ranges.map(describeRange),
    tag,
  });
  const jobs: PartitionJob[] = ranges.map((range) => ({
    runId: copy.runId,
    tag,
    index: range.index,
    of: ranges.length,
    range,
    reader,
    writer,
    spec,
  }));
  const swap: SwapJob = { runId: copy.runId, tag, count: ranges.length, writer };
  const executor = copy.executor ?? localExecutor(env, spec.parallel, copy.signal);
  try {
    const done = await executor(jobs, swap);
    for (const p of done.partitions)
      if (p.attempts > 1)
        copy.emit('partition.retried', { step_id: reader.id, partition: p.index, attempts: p.attempts });
    copy.emit('write.verified', { table: done.swap.table, ...done.swap.verified });
    copy.emit('partition.swapped', {
      step_id: writer.id,
      table: done.swap.table,
      rows: done.swap.rows,
      created: done.swap.created,
      partitions: done.partitions.length,
    });
    return {
      rows: done.swap.rows,
      partitions: done.partitions,
      result: { rowsIn: done.swap.rows, rowsWritten: done.swap.rows, outputs: [done.swap.table] },
    };
  } catch (error) {
    const dropped = await dropPartitionStages(writer, tag, env).catch(() => []);
    copy.emit('partition.cleanup', { step_id: writer.id, dropped: dropped.length });
    throw error;
  }
}
