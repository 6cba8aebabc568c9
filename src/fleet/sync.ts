/**
 * Detached and scheduled runs become the project's run records here: `runs list` and `logs show` replay each
 * finished run's Redis stream through the same host code a live `--target queue` run uses (targets/host.ts),
 * so its events, status, report and AIOP are written exactly as if this machine had followed it live, with
 * the run's own timestamps. A run still going is left for later, unless `wait` names it (`logs show <id>`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import { hostPathOf } from '../targets/files.js';
import type { RunMsg } from '../targets/protocol.js';
import { rememberedQueues } from './queues-file.js';
import type { FleetSettings } from './redis.js';

export interface SyncOutcome {
  synced: string[];
  /** Runs queued or running, not recorded yet. */
  pending: { run_id: string; pipeline: string; status: string; worker: string }[];
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function syncQueuedRuns(options: {
  project: ProjectConfig;
  registry: Registry;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A run id (or prefix) to follow to its end. */
  wait?: string;
}): Promise<SyncOutcome> {
  const { connect, fleetKeys, fleetSettings } = await import('./redis.js');
  const out: SyncOutcome = { synced: [], pending: [] };
  for (const url of rememberedQueues(options.project)) {
    const settings = fleetSettings(url, options.env);
    const redis = connect(settings);
    try {
      await redis.ping();
    } catch {
      redis.disconnect();
      continue; // an unreachable queue syncs next time; the local records still list
    }
    const keys = fleetKeys(settings.prefix);
    try {
      const index = keys.projectRuns(options.project.root);
      for (const runId of await redis.zrange(index, 0, -1)) {
        const meta = await redis.hgetall(keys.run(runId));
        if (!meta.build) {
          await redis.zrem(index, runId);
          continue;
        }
        const follow = options.wait !== undefined && runId.startsWith(options.wait);
        if (!FINAL.has(meta.status ?? '') && !follow) {
          out.pending.push({
            run_id: runId,
            pipeline: meta.pipeline ?? '',
            status: meta.status ?? 'queued',
            worker: meta.worker ?? '',
          });
          continue;
        }
        await replayRun(settings, redis, runId, meta, options);
        await redis.zrem(index, runId);
        out.synced.push(runId);
      }
    } finally {
      redis.disconnect();
    }
  }
  return out;
}

async function replayRun(
  settings: FleetSettings,
  redis: Redis,
  runId: string,
  meta: Record<string, string>,
  options: { project: ProjectConfig; registry: Registry; env: NodeJS.ProcessEnv; cwd: string },
): Promise<void> {
  const { project, registry } = options;
  const build = JSON.parse(meta.build as string) as RunMsg['build'];
  const dir = mkdtempSync(join(tmpdir(), 'osiris-sync-'));
  try {
    writeFileSync(join(dir, 'manifest.yaml'), build.manifest);
    for (const [path, text] of Object.entries(build.cfg)) {
      const abs = hostPathOf(dir, path);
      if (!abs) continue;
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    }
    const { fleetKeys } = await import('./redis.js');
    const { loadManifest } = await import('../compiler/manifest.js');
    const { createRedactor } = await import('../observability/redact.js');
    const { openRunSession } = await import('../observability/session.js');
    const { runOnWorker } = await import('../targets/host.js');
    const { queueTransport } = await import('./transport.js');
    const loaded = loadManifest(join(dir, 'manifest.yaml'));
    const transport = queueTransport(settings, { replay: runId });
    const redactor = createRedactor({ secretKeys: registry.allSecretKeys() });
    const firstEntry = Number(
      (
        (await redis.xrange(fleetKeys(settings.prefix).stream(runId), '-', '+', 'COUNT', 1))[0]?.[0] ??
        String(Date.now())
      ).split('-')[0],
    );
    let session: ReturnType<typeof openRunSession>;
    try {
      session = openRunSession({
        project,
        pipelineSlug: loaded.manifest.pipeline.id,
        manifestHash: loaded.manifest.meta.manifest_hash,
        manifestShort: loaded.manifest.meta.manifest_short,
        profile: loaded.manifest.meta.profile,
        redactor,
        runId,
        now: () => new Date(transport.entryTime() ?? firstEntry),
      });
    } catch (error) {
      await transport.close();
      if ((error as { diagnostics?: { code: string }[] }).diagnostics?.[0]?.code === 'LOG011') return; // recorded already
      throw error;
    }
    const { silentProgress } = await import('./quiet.js');
    try {
      await runOnWorker({
        build: { loaded, inputs: [], options: { max_parallel: 1, pass_through: true } },
        secrets: {},
        transport,
        session,
        progress: silentProgress(),
        target: 'queue',
        projectRoot: project.root,
        maxReturnBytes: project.execution.maxReturnBytes,
        remoteOnly: project.execution.outputsRemote,
      });
    } finally {
      await transport.close();
    }
    const { writeAiopForRun } = await import('../observability/aiop/export.js');
    await writeAiopForRun(project, runId, { registry, redactor, env: options.env, cwd: options.cwd });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `runs list` / `logs show`: syncs when this project uses a queue; prints nothing and costs nothing otherwise. */
export async function syncIfQueued(project: ProjectConfig, wait?: string): Promise<SyncOutcome['pending']> {
  if (rememberedQueues(project).length === 0) return [];
  const { loadRegistry } = await import('../registry/load.js');
  const registry = loadRegistry({ projectRoot: project.root });
  const outcome = await syncQueuedRuns({
    project,
    registry,
    env: process.env,
    cwd: process.cwd(),
    ...(wait !== undefined ? { wait } : {}),
  });
  return outcome.pending;
}
