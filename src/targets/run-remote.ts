/**
 * A run on a remote target, from executeRun: prepares each step's secrets on the host (the same resolver and
 * redactor as a local run), finds the input files, makes the target's transport and drives it.
 */
import type { LoadedManifest, LoadedStep } from '../compiler/manifest.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProgressReporter } from '../observability/progress.js';
import type { RunSession } from '../observability/session.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import type { PreparedStep, RunPipelineResult } from '../runtime/runner.js';
import type { JsonValue } from '../yaml/json.js';
import { InputFileError, inputFiles, projectComponentFiles } from './files.js';
import { runOnWorker, type WorkerBuild } from './host.js';
import { TARGETS, type TargetContext } from './index.js';
import type { SecretsMsg, StepSecrets } from './protocol.js';
import type { WorkerTransport } from './transport.js';

export interface RemoteRunOptions {
  target: string;
  context: TargetContext;
  project: ProjectConfig;
  registry: Registry;
  loaded: LoadedManifest;
  session: RunSession;
  prepareStep: (step: LoadedStep) => PreparedStep;
  /** A worker started before the build was ready (`TargetFactory.startEarly`); made here otherwise. */
  transport?: Promise<WorkerTransport>;
  progress: ProgressReporter;
  maxParallel?: number;
  fullRefresh?: boolean;
  signal?: AbortSignal;
}

/** Every step's run-time inputs, or the error preparing it raised (the worker raises it when the step runs). */
export function stepSecrets(
  loaded: LoadedManifest,
  prepare: (step: LoadedStep) => PreparedStep,
): SecretsMsg['steps'] {
  const out: SecretsMsg['steps'] = {};
  for (const step of loaded.steps) {
    try {
      const prepared = prepare(step);
      const config: Record<string, JsonValue> = {};
      // Only what preparing changed (the expanded `${VAR}` secrets): the rest is in the build already.
      for (const [key, value] of Object.entries(prepared.config))
        if (JSON.stringify(value) !== JSON.stringify(step.config[key])) config[key] = value;
      const entry: StepSecrets = {
        ...(prepared.connection ? { connection: prepared.connection } : {}),
        ...(Object.keys(config).length ? { config } : {}),
      };
      out[step.id] = entry;
    } catch (error) {
      const first = error instanceof OsirisError ? error.diagnostics[0] : undefined;
      out[step.id] = {
        error: {
          code: first?.code ?? 'config.invalid',
          message: first?.message ?? (error instanceof Error ? error.message : String(error)),
          ...(first?.hint ? { hint: first.hint } : {}),
        },
      };
    }
  }
  return out;
}

/** The secret-free build a worker runs, with its input files, and (apart) each step's secrets. */
export function remoteBuild(
  options: Pick<
    RemoteRunOptions,
    'project' | 'registry' | 'loaded' | 'prepareStep' | 'maxParallel' | 'fullRefresh'
  >,
): { build: WorkerBuild; secrets: SecretsMsg['steps'] } {
  const { project, loaded } = options;
  const secrets = stepSecrets(loaded, options.prepareStep);
  let inputs: { path: string; abs: string }[] = [];
  try {
    inputs = project.execution.outputsRemote
      ? []
      : inputFiles(loaded, project.root, (id) => {
          const entry = secrets[id];
          return entry && 'connection' in entry ? entry.connection : undefined;
        });
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    secrets[error.stepId] = {
      error: {
        code: 'WRK002',
        message: error.message,
        hint: 'copy the file into the project, or run with --target local',
      },
    };
  }
  const components = projectComponentFiles(loaded, project.root, (c) => options.registry.get(c)?.specPath);
  inputs = [...components.map(({ path, abs }) => ({ path, abs })), ...inputs];
  return {
    secrets,
    build: {
      loaded,
      inputs,
      options: {
        max_parallel: options.maxParallel ?? 1,
        pass_through: project.runtime.passThrough,
        fuse: project.runtime.fuse,
        lock_timeout_ms: project.runtime.lockTimeoutMs,
        // The worker sizes its DuckDB from these as a local run does, on the machine it runs on.
        memory_limit: project.runtime.memoryLimit,
        ...(project.runtime.threads !== undefined ? { threads: project.runtime.threads } : {}),
        ...(options.fullRefresh ? { full_refresh: true } : {}),
      },
    },
  };
}

export async function runRemote(options: RemoteRunOptions): Promise<RunPipelineResult> {
  const { project, session } = options;
  const factory = TARGETS[options.target];
  if (!factory) throw OsirisError.of('WRK001', `unknown execution target '${options.target}'`);
  const { build, secrets } = remoteBuild(options);
  const transport = await (options.transport ?? factory.create(options.context));
  try {
    return await runOnWorker({
      build,
      secrets,
      transport,
      session,
      progress: options.progress,
      target: options.target,
      projectRoot: project.root,
      maxReturnBytes: project.execution.maxReturnBytes,
      remoteOnly: project.execution.outputsRemote,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await transport.close();
  }
}
