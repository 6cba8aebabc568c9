/**
 * `--target queue`: the run goes to the fleet (BullMQ on Redis) instead of a local worker. The queue URL comes
 * from `--queue`, else `execution.queue` in osiris.yaml. Also here: `--detach` (enqueue and return the run id)
 * and the small project file that remembers which queues this project used, so `runs list` can sync them.
 */
import type { LoadedManifest, LoadedStep } from '../compiler/manifest.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import type { PreparedStep } from '../runtime/runner.js';
import { readChunks } from '../targets/files.js';
import type { TargetContext, TargetFactory } from '../targets/index.js';
import { encode, PROTOCOL_VERSION, type RunMsg } from '../targets/protocol.js';
import { JOB_DEFAULTS, openQueue } from './jobs.js';
import { rememberQueue } from './queues-file.js';
import { type FleetSettings, fleetSettings, redactUrl } from './redis.js';
import { type RunJobData, recordQueuedRun } from './run-job.js';

/** The queue URL of a command: `--queue`, else `execution.queue`; a usage error (exit 2) when neither. */
export function queueUrl(
  flag: unknown,
  configured: string | undefined,
  command = 'osiris run --target queue',
): string {
  const url = typeof flag === 'string' && flag ? flag : configured;
  if (!url)
    throw OsirisError.of(
      'queue.not_configured',
      `${command} needs a queue: no --queue and no execution.queue in osiris.yaml`,
      {},
      { hint: 'add `execution: { queue: redis://127.0.0.1:6379/0 }` to osiris.yaml, or pass --queue <url>' },
    );
  return url;
}

async function settingsOf(ctx: TargetContext): Promise<FleetSettings> {
  const { loadProjectConfig } = await import('../project/config.js');
  const config = typeof ctx.options.config === 'string' ? ctx.options.config : undefined;
  const project = loadProjectConfig({
    cwd: ctx.cwd,
    env: ctx.env,
    ...(config ? { configFile: config } : {}),
  });
  return fleetSettings(queueUrl(ctx.options.queue, project.execution.queue), ctx.env);
}

export const queueTarget: TargetFactory = {
  description:
    'a fleet worker (`osiris worker --queue`) through BullMQ on Redis (--queue or execution.queue)',
  async check(ctx) {
    await settingsOf(ctx);
  },
  async create(ctx) {
    const settings = await settingsOf(ctx);
    const { queueTransport } = await import('./transport.js');
    return queueTransport(settings);
  },
};

/** The pipeline id inside a manifest's text. */
export function pipelineOf(manifest: string): string {
  return /^pipeline:\n(?:[ \t]+.*\n)*?[ \t]{2}id: (\S+)/m.exec(manifest)?.[1] ?? 'pipeline';
}

/** The job data of a run of `loaded`: the secret-free build and the input files, for a queue job. */
export async function runJobData(options: {
  project: ProjectConfig;
  registry: Registry;
  loaded: LoadedManifest;
  prepareStep: (step: LoadedStep) => PreparedStep;
  maxParallel?: number;
  fullRefresh?: boolean;
  runId: string;
}): Promise<RunJobData> {
  const { remoteBuild } = await import('../targets/run-remote.js');
  const { buildMessage } = await import('../targets/host.js');
  const { build } = remoteBuild(options);
  const run: RunMsg = {
    v: PROTOCOL_VERSION,
    type: 'run',
    run_id: options.runId,
    project_root: options.project.root,
    build: buildMessage(options.loaded),
    options: build.options,
  };
  const files: string[] = [];
  for (const input of build.inputs)
    for await (const chunk of readChunks(input.abs))
      files.push(encode({ v: PROTOCOL_VERSION, type: 'file', path: input.path, ...chunk }));
  return { kind: 'run', run_id: options.runId, run, files, pipeline: options.loaded.manifest.pipeline.id };
}

/** `osiris run --target queue --detach`: enqueue and return; `runs list` / `logs show` sync it later. */
export async function submitDetached(
  settings: FleetSettings,
  data: RunJobData & { run_id: string },
  project: ProjectConfig,
): Promise<void> {
  const queue = await openQueue(settings);
  try {
    const job = await queue.queue.add('run', data as never, { ...JOB_DEFAULTS, jobId: data.run_id });
    await recordQueuedRun(
      queue,
      data.run_id,
      data,
      { status: 'queued', job_id: String(job.id), queued_at: new Date().toISOString() },
      true,
    );
  } finally {
    await queue.close();
  }
  rememberQueue(project, settings.url);
}

export { rememberedQueues, rememberQueue } from './queues-file.js';
export { redactUrl };
