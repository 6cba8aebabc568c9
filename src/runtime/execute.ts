/**
 * `osiris run` as a library call (the CLI, the chat agent and the MCP server share it): find or compile the
 * manifest, open the run session, resolve connections step by step, run, and report.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedManifest, LoadedStep } from '../compiler/manifest.js';
import type { ConnectionsConfig } from '../connections/config.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { AiopExportOutcome } from '../observability/aiop/export.js';
import type { ProgressReporter } from '../observability/progress.js';
import type { Redactor } from '../observability/redact.js';
import type { RunSession } from '../observability/session.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import type { WorkerTransport } from '../targets/transport.js';
import { describeProblem, maxFileBytes, readBoundedText } from '../util/read-bounded.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import type { SweptRun } from './abandoned-runs.js';
import { planeLimits } from './plane-limits.js';
import type { PreparedStep, RunPipelineResult } from './runner.js';

export interface RunTarget {
  /** An OML file (compiled first), a manifest.yaml, or a build folder. */
  file?: string;
  /** Run the most recent successful compile instead. */
  lastCompile?: boolean;
}

export interface ExecuteOptions extends RunTarget {
  cwd: string;
  env: NodeJS.ProcessEnv;
  project: ProjectConfig;
  registry: Registry;
  params?: Record<string, string>;
  profile?: string;
  maxParallel?: number;
  keepData?: boolean;
  /** `--full-refresh`: incremental reads ignore their stored state (local target only). */
  fullRefresh?: boolean;
  progress: ProgressReporter;
  signal?: AbortSignal;
  /** Where the run executes (src/targets/): `local` (default) runs in this process. */
  target?: string;
  /** The target's own options (e2b: timeout, cpu…), as the CLI parsed them. */
  targetOptions?: Record<string, unknown>;
  /** The target's worker, started early (while this process compiles); closed by the run. */
  transport?: Promise<WorkerTransport>;
}

export interface PreparedRun {
  loaded: LoadedManifest;
  /** Whether the target was OML that this call compiled. */
  compiled: boolean;
  warnings: Diagnostic[];
}

/**
 * Whether a YAML file is a compiled manifest (has `meta.manifest_hash`) rather than OML. Reads through the
 * bounded reader, so a FIFO, a device or an oversized file is refused here (RUN003, exit 2) before anything
 * else opens it.
 */
function isManifestFile(path: string, shown: string, env: NodeJS.ProcessEnv): boolean {
  const read = readBoundedText(path, maxFileBytes(env));
  if (!read.ok) {
    const { why, hint } = describeProblem(read.problem);
    throw OsirisError.of('RUN003', `${shown} ${why}`, { file: shown }, hint ? { hint } : {});
  }
  const head = read.text.slice(0, 4096);
  return /^meta:\s*$/m.test(head) && /manifest_hash:/.test(head) && !/^oml_version:/m.test(head);
}

/** Finds the manifest to run: compiles OML, loads a manifest or build folder, or follows --last-compile. */
export async function prepareRun(options: Omit<ExecuteOptions, 'progress'>): Promise<PreparedRun> {
  const { loadManifest } = await import('../compiler/manifest.js');
  if (options.lastCompile) {
    if (options.file) {
      throw OsirisError.of(
        'RUN001',
        'give either a file or --last-compile, not both',
        {},
        {
          hint: 'drop the file argument to run the last compiled pipeline',
        },
      );
    }
    const { readLastCompile } = await import('../compiler/pointers.js');
    const pointer = readLastCompile(options.project);
    if (!pointer) {
      throw OsirisError.of(
        'RUN002',
        'nothing has been compiled in this project yet',
        {},
        {
          hint: 'run `osiris compile <pipeline.yaml>` first, or pass the pipeline file to `osiris run`',
        },
      );
    }
    return { loaded: loadManifest(pointer.manifest_path), compiled: false, warnings: [] };
  }
  if (!options.file) {
    throw OsirisError.of(
      'RUN001',
      'no pipeline given',
      {},
      {
        hint: 'usage: osiris run <pipeline.yaml | manifest.yaml | build folder> or osiris run --last-compile',
      },
    );
  }
  const path = resolve(options.cwd, options.file);
  if (!existsSync(path)) {
    throw OsirisError.of(
      'RUN003',
      `file not found: ${options.file}`,
      { file: options.file },
      {
        hint: 'check the path (it is relative to the current folder)',
      },
    );
  }
  if (statSync(path).isDirectory() || isManifestFile(path, options.file, options.env)) {
    return { loaded: loadManifest(path), compiled: false, warnings: [] };
  }
  const { compileOml } = await import('../compiler/compile.js');
  const result = await compileOml({
    omlPath: path,
    displayName: options.file,
    cwd: options.cwd,
    project: options.project,
    registry: options.registry,
    env: options.env,
    ...(options.params ? { params: options.params } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  return { loaded: loadManifest(result.manifestPath), compiled: true, warnings: result.warnings };
}

/**
 * Builds the per-step preparation: resolve the step's connection (the connections file is read only when
 * a step references one) and expand `${VAR}` references the compiler kept under secret config keys.
 * Every secret value found feeds the redactor before the step runs.
 */
export async function stepPreparer(
  options: Pick<ExecuteOptions, 'registry' | 'env' | 'cwd' | 'project'>,
  redactor: Redactor,
  onWarning: (d: Diagnostic) => void,
): Promise<(step: LoadedStep) => PreparedStep> {
  const { loadConnectionsConfig } = await import('../connections/config.js');
  const { resolveConnection } = await import('../connections/resolve.js');
  const { interpolate } = await import('../connections/env.js');
  let connections: ConnectionsConfig | undefined;
  const secretStrings = (value: JsonValue | undefined): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.flatMap(secretStrings)
        : value && typeof value === 'object'
          ? Object.values(value).flatMap(secretStrings)
          : [];
  return (step) => {
    const specSecrets = new Set(options.registry.secretKeys(step.component));
    const isSecret = (key: string) => specSecrets.has(key) || redactor.isSecretKey(key);
    const config: JsonObject = { ...step.config };
    for (const [key, value] of Object.entries(config)) {
      // Objects too (graphql.extractor `headers`): every leaf under a secret key is a `${VAR}` reference.
      if (!isSecret(key) || !JSON.stringify(value).includes('${')) continue;
      config[key] = interpolate(value, options.env, { path: ['steps', step.id, 'config', key] });
      redactor.addSecrets({ secretValues: secretStrings(config[key]) });
    }
    if (!step.connection) return { connection: undefined, config };
    if (!connections) {
      const loaded = loadConnectionsConfig({
        cwd: options.cwd,
        env: options.env,
        projectRoot: options.project.root,
      });
      connections = loaded.config;
      for (const warning of loaded.warnings) onWarning(warning);
    }
    const connection = resolveConnection(step.connection, {
      connections,
      env: options.env,
      registry: options.registry,
      componentName: step.component,
      stepConfig: step.config,
      stepId: step.id,
      onWarning,
    });
    const secrets = Object.entries(connection.fields)
      .filter(([k]) => isSecret(k))
      .flatMap(([, v]) => secretStrings(v));
    redactor.addSecrets({ secretValues: secrets });
    return { connection, config };
  };
}

export interface ExecuteResult extends RunPipelineResult {
  warnings: Diagnostic[];
  aiop: AiopExportOutcome;
  /** Earlier runs of the pipeline found dead before this one started, marked abandoned and cleaned. */
  abandoned: SweptRun[];
}

export async function executeRun(options: ExecuteOptions, prepared?: PreparedRun): Promise<ExecuteResult> {
  const prep = prepared ?? (await prepareRun(options));
  const { createRedactor } = await import('../observability/redact.js');
  const { openRunSession } = await import('../observability/session.js');
  const { loaded } = prep;
  const warnings = [...prep.warnings];
  const abandoned = await sweepPipeline(options, loaded, warnings);
  const redactor = createRedactor({ secretKeys: options.registry.allSecretKeys() });
  const session = openRunSession({
    project: options.project,
    pipelineSlug: loaded.manifest.pipeline.id,
    manifestHash: loaded.manifest.meta.manifest_hash,
    manifestShort: loaded.manifest.meta.manifest_short,
    profile: loaded.manifest.meta.profile,
    redactor,
  });
  for (const run of abandoned) session.event('abandoned_run_swept', sweptEventFields(run));
  const prepareStep = await stepPreparer(options, redactor, (w) => {
    warnings.push(w);
    session.event('warning', {
      code: w.code,
      message: w.message,
      ...(w.stepId ? { step_id: w.stepId } : {}),
    });
  });
  const target = options.target ?? 'local';
  const result =
    target === 'local'
      ? await runLocal(options, loaded, session, prepareStep)
      : await (await import('../targets/run-remote.js')).runRemote({
          target,
          context: {
            env: options.env,
            cwd: options.cwd,
            options: options.targetOptions ?? {},
            ...(options.signal ? { signal: options.signal } : {}),
          },
          project: options.project,
          registry: options.registry,
          loaded,
          session,
          prepareStep,
          ...(options.transport ? { transport: options.transport } : {}),
          progress: options.progress,
          ...(options.maxParallel !== undefined ? { maxParallel: options.maxParallel } : {}),
          ...(options.fullRefresh ? { fullRefresh: true } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
  // Every run — failed ones too — leaves an AI Operation Package; exporting it never fails the run.
  const { writeAiopForRun } = await import('../observability/aiop/export.js');
  const aiop = await writeAiopForRun(options.project, result.runId, {
    registry: options.registry,
    redactor,
    env: options.env,
    cwd: options.cwd,
  });
  if (aiop.status === 'error') {
    warnings.push({
      severity: 'warning',
      code: 'RUN010',
      message: `could not write the AI Operation Package: ${aiop.message}`,
      location: {},
      hint: 'the run itself is recorded; retry with `osiris logs aiop <run-id>`',
    });
  }
  return { ...result, warnings, aiop, abandoned };
}

/**
 * Before a run: earlier runs of the same pipeline whose process died are marked abandoned and their
 * leftovers removed (runtime/abandoned-runs.ts). What cannot be removed becomes a warning; the sweep never
 * stops the run.
 */
async function sweepPipeline(
  options: ExecuteOptions,
  loaded: LoadedManifest,
  warnings: Diagnostic[],
): Promise<SweptRun[]> {
  const { sweepAbandonedRuns } = await import('./abandoned-runs.js');
  const { sessionProfile } = await import('../observability/session.js');
  const slug = loaded.manifest.pipeline.id;
  try {
    const swept = await sweepAbandonedRuns({
      project: options.project,
      env: options.env,
      cwd: options.cwd,
      registry: options.registry,
      pipeline: { slug, profile: sessionProfile(options.project, loaded.manifest.meta.profile) },
      detectedBy: `the next run of '${slug}'`,
    });
    for (const run of swept)
      for (const left of run.left)
        warnings.push({
          severity: 'warning',
          code: 'RUN011',
          message: `abandoned run ${run.run_id}: could not remove ${left.what}: ${left.reason}`,
          location: {},
          hint: '`osiris logs gc --apply` retries; or remove it by hand',
        });
    return swept;
  } catch (error) {
    warnings.push({
      severity: 'warning',
      code: 'RUN011',
      message: `could not check earlier runs of '${slug}' for leftovers: ${error instanceof Error ? error.message : String(error)}`,
      location: {},
      hint: '`osiris logs gc` reports abandoned runs too',
    });
    return [];
  }
}

/** The `abandoned_run_swept` event of the run that found it. */
function sweptEventFields(run: SweptRun): Record<string, unknown> {
  return {
    abandoned_run_id: run.run_id,
    pid: run.pid,
    scratch_bytes: run.removed.scratch_bytes,
    files_removed: run.removed.files.length,
    tables_dropped: run.removed.tables,
    ...(run.left.length ? { left: run.left.map((l) => l.what) } : {}),
  };
}

/** Today's in-process run. */
async function runLocal(
  options: ExecuteOptions,
  loaded: LoadedManifest,
  session: RunSession,
  prepareStep: (step: LoadedStep) => PreparedStep,
): Promise<RunPipelineResult> {
  const { runPipeline } = await import('./runner.js');
  return runPipeline({
    project: options.project,
    loaded,
    registry: options.registry,
    session,
    prepareStep,
    dataPlane: planeLimits(loaded.steps, options.registry, options.project.runtime),
    passThrough: options.project.runtime.passThrough,
    fuse: options.project.runtime.fuse,
    lockTimeoutMs: options.project.runtime.lockTimeoutMs,
    progress: options.progress,
    ...(options.maxParallel !== undefined ? { maxParallel: options.maxParallel } : {}),
    ...(options.keepData !== undefined ? { keepData: options.keepData } : {}),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
