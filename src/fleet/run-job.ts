/**
 * The `run` job kind: one whole pipeline run on a fleet worker. The job carries the secret-free build (the
 * protocol's `run` message) and the input files; the worker resolves each step's connection and `${VAR}`
 * secrets from its OWN project (osiris_connections.yaml, environment) and runs the build with the same
 * protocol worker as the other targets (targets/worker.ts). Every protocol line it answers is appended to the
 * run's Redis stream, which the submitter tails (transport.ts) or a later `runs list` replays (sync.ts).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { WaitingError } from 'bullmq';
import { VERSION } from '../cli/version.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { hostPathOf, writeBuild } from '../targets/files.js';
import { encode, type FileMsg, PROTOCOL_VERSION, type RunMsg } from '../targets/protocol.js';
import type { JsonValue } from '../yaml/json.js';
import { type JobContext, registerJobKind } from './jobs.js';
import { RUN_TTL_S } from './redis.js';

const v = PROTOCOL_VERSION;

/** The data of a `run` job (JSON; no secret in it). */
export interface RunJobData {
  kind: 'run';
  /** Absent for a scheduled run: each firing gets a new run id. */
  run_id?: string;
  /** The `run` message as the submitter built it (its run_id is replaced by the job's). */
  run: RunMsg;
  /** Input files as protocol `file` messages (encoded lines). */
  files: string[];
  pipeline: string;
  /** The schedule that fired this run. */
  schedule?: string;
}

/** The run meta and the project index entry of a run, written by whoever starts it first. */
export async function recordQueuedRun(
  ctx: Pick<JobContext, 'redis' | 'keys'>,
  runId: string,
  data: RunJobData,
  fields: Record<string, string>,
  indexed: boolean,
): Promise<void> {
  const key = ctx.keys.run(runId);
  const multi = ctx.redis
    .multi()
    .hset(key, {
      run_id: runId,
      pipeline: data.pipeline,
      project_root: data.run.project_root,
      build: JSON.stringify(data.run.build),
      ...(data.schedule ? { schedule: data.schedule } : {}),
      ...fields,
    })
    .expire(key, RUN_TTL_S);
  if (indexed) {
    const index = ctx.keys.projectRuns(data.run.project_root);
    multi.zadd(index, Date.now(), runId).expire(index, RUN_TTL_S);
  }
  await multi.exec();
}

async function runJob(ctx: JobContext): Promise<JsonValue> {
  const data = ctx.job.data as unknown as RunJobData;
  const { newRunId } = await import('../observability/run-id.js');
  const runId = data.run_id ?? `${newRunId()}`;
  const attempt = `${ctx.worker.name}/${randomUUID().slice(0, 8)}`;
  const stream = ctx.keys.stream(runId);
  const now = new Date().toISOString();
  await recordQueuedRun(
    ctx,
    runId,
    data,
    {
      status: 'running',
      worker: ctx.worker.name,
      job_id: String(ctx.job.id),
      started_at: now,
      ...(data.run_id ? {} : { queued_at: now }),
    },
    !data.run_id,
  );
  await ctx.setCurrent(runId);

  let status = 'failed';
  const write = async (line: string) => {
    if (line.startsWith('{"v":1,"type":"result"')) status = (JSON.parse(line) as { status: string }).status;
    await ctx.redis.xadd(stream, '*', 'a', attempt, 'w', ctx.worker.name, 'l', line);
  };
  await ctx.redis
    .multi()
    .xadd(stream, '*', 'a', attempt, 'w', ctx.worker.name, 'start', now)
    .expire(stream, RUN_TTL_S)
    .exec();

  const root = mkdtempSync(join(tmpdir(), 'osiris-fleet-'));
  let code = 1;
  try {
    const run: RunMsg = { ...data.run, run_id: runId };
    const secrets = await resolveSecretsHere(ctx, root, run, data.files, (d) =>
      write(encode({ v, type: 'event', name: 'warning', fields: { code: d.code, message: d.message } })),
    );
    const { serveWorker } = await import('../targets/worker.js');
    let ended = false;
    const lines = async function* () {
      yield encode(run);
      yield encode({ v, type: 'secrets', steps: secrets });
      yield encode({ v, type: 'start' });
      // The submitter's cancel arrives as a key; the worker polls it while the run lasts.
      while (!ended) {
        await new Promise((r) => setTimeout(r, 500));
        const reason = await ctx.redis.get(ctx.keys.cancel(runId)).catch(() => null);
        if (reason) {
          yield encode({ v, type: 'cancel', reason });
          return;
        }
      }
    };
    // Partitioned copies of this run go to the fleet as one flow (partition-jobs.ts).
    const { queuePartitionExecutor } = await import('./partition-jobs.js');
    code = await serveWorker({
      lines: lines(),
      write,
      root,
      workerId: ctx.worker.name,
      version: VERSION,
      signal: ctx.signal,
      partitionExecutor: queuePartitionExecutor(ctx.settings, ctx.signal),
    });
    ended = true;
  } catch (error) {
    await write(encode({ v, type: 'fatal', code: 'fleet.job_failed', message: (error as Error).message }));
  } finally {
    // OSIRIS_WORKER_KEEP_DIR=1 keeps the run's folder (the canary test searches it for secrets).
    if (ctx.worker.env.OSIRIS_WORKER_KEEP_DIR !== '1') rmSync(root, { recursive: true, force: true });
  }
  const handBack = ctx.signal.aborted;
  await ctx.redis
    .multi()
    .xadd(
      stream,
      '*',
      'a',
      attempt,
      'w',
      ctx.worker.name,
      ...(handBack ? ['handback', '1'] : ['end', String(code)]),
    )
    .expire(stream, RUN_TTL_S)
    .hset(
      ctx.keys.run(runId),
      handBack ? { status: 'queued' } : { status, finished_at: new Date().toISOString() },
    )
    .exec();
  if (handBack) {
    // Back to the queue for another worker: the submitter sees the next attempt start over.
    await ctx.job.moveToWait(ctx.token);
    throw new WaitingError();
  }
  return { run_id: runId, status, failed: status !== 'succeeded' };
}

/**
 * Lays the input files out in the run's folder (project components among them) and prepares every step with
 * this worker's connections and environment — the protocol's `secrets`, made where the worker runs.
 */
async function resolveSecretsHere(
  ctx: JobContext,
  root: string,
  run: RunMsg,
  files: string[],
  onWarning: (d: Diagnostic) => void,
) {
  for (const line of files) {
    const msg = JSON.parse(line) as FileMsg;
    const abs = hostPathOf(root, msg.path);
    if (!abs) throw new Error(`input file path '${msg.path}' is not inside the run's folder`);
    mkdirSync(dirname(abs), { recursive: true });
    if (msg.seq === 0) writeFileSync(abs, Buffer.from(msg.data, 'base64'));
    else appendFileSync(abs, Buffer.from(msg.data, 'base64'));
  }
  const manifestPath = writeBuild(join(root, '.osiris-fleet', 'build'), run.build);
  const { loadManifest } = await import('../compiler/manifest.js');
  const { loadProjectConfig } = await import('../project/config.js');
  const { loadRegistry } = await import('../registry/load.js');
  const { createRedactor } = await import('../observability/redact.js');
  const { stepPreparer } = await import('../runtime/execute.js');
  const { stepSecrets } = await import('../targets/run-remote.js');
  const loaded = loadManifest(manifestPath);
  const { projectDir, env } = ctx.worker;
  const project = loadProjectConfig({ cwd: projectDir, env });
  // The run's own project components came with the input files; the worker's come from its project.
  const registry = loadRegistry({ projectRoot: root });
  const redactor = createRedactor({ secretKeys: registry.allSecretKeys() });
  const prepare = await stepPreparer({ registry, env, cwd: projectDir, project }, redactor, onWarning);
  return stepSecrets(loaded, prepare);
}

registerJobKind('run', runJob);
