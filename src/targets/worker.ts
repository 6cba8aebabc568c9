/**
 * The worker side of the protocol (`osiris worker`): receives a build, the step secrets and the input files,
 * runs the pipeline with the same runner a local run uses, and streams the record back. It keeps secrets in
 * memory only; the build and input files it lays out in its own folder are secret-free.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { LoadedStep } from '../compiler/manifest.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProgressReporter } from '../observability/progress.js';
import type { Redactor } from '../observability/redact.js';
import type { PartitionEnv, PartitionExecutor } from '../runtime/partition/copy.js';
import type { PreparedStep } from '../runtime/runner.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import { filesUnder, hostPathOf, readChunks, writeBuild } from './files.js';
import {
  decode,
  type HostMessage,
  PROTOCOL_VERSION,
  type RunMsg,
  type SecretsMsg,
  type WorkerMessage,
} from './protocol.js';
import { remoteSession } from './remote-session.js';

const v = PROTOCOL_VERSION;

export interface WorkerIo {
  /** Lines from the host. */
  lines: AsyncIterable<string>;
  /** Writes one line to the host; resolves when it may write more (backpressure). */
  write: (line: string) => Promise<void> | void;
  /** The worker's folder: empty at start, the project root of the run. */
  root: string;
  workerId: string;
  version: string;
  /** Stops the run like a host `cancel` (the worker's own SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Where partitioned copies run their partitions (a fleet worker: child jobs of a flow); here by default. */
  partitionExecutor?: (env: PartitionEnv) => PartitionExecutor;
}

/** Runs one pipeline for the host. Resolves with the process exit code (0 ran, whatever the run's outcome). */
export async function serveWorker(io: WorkerIo): Promise<number> {
  const send = (m: WorkerMessage) => io.write(JSON.stringify(m));
  await send({
    v,
    type: 'hello',
    worker_id: io.workerId,
    pid: process.pid,
    node: process.version,
    osiris: io.version,
  });
  const iterator = io.lines[Symbol.asyncIterator]();
  const controller = new AbortController();
  io.signal?.addEventListener('abort', () => controller.abort(io.signal?.reason), { once: true });
  try {
    let run: RunMsg | undefined;
    let secrets: SecretsMsg | undefined;
    for (;;) {
      const next = await iterator.next();
      if (next.done) throw new Error('the host closed the connection before `start`');
      const msg = decode<HostMessage>(next.value, 'host');
      if (msg.type === 'run') run = msg;
      else if (msg.type === 'secrets') secrets = msg;
      else if (msg.type === 'file') receiveInput(io.root, msg.path, msg.data, msg.seq);
      else if (msg.type === 'cancel') return 0;
      else if (msg.type === 'start') break;
    }
    if (!run || !secrets) throw new Error('`start` came before `run` and `secrets`');
    // Keep reading: a `cancel` (or the host closing the pipe) stops the run.
    const listening = (async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return controller.abort('the host went away');
        const msg = decode<HostMessage>(next.value, 'host');
        if (msg.type === 'cancel') controller.abort(msg.reason);
      }
    })().catch((error: unknown) => controller.abort(String(error)));
    void listening;
    await runBuild(io, run, secrets, controller.signal, send);
    return 0;
  } catch (error) {
    await send({
      v,
      type: 'fatal',
      code: 'worker.failed',
      message: error instanceof Error ? error.message : String(error),
    });
    return 1;
  }
}

function receiveInput(root: string, path: string, data: string, seq: number): void {
  const abs = hostPathOf(root, path);
  if (!abs) throw new Error(`input file path '${path}' is not inside the worker's folder`);
  mkdirSync(dirname(abs), { recursive: true });
  if (seq === 0) writeFileSync(abs, Buffer.from(data, 'base64'));
  else appendFileSync(abs, Buffer.from(data, 'base64'));
}

async function runBuild(
  io: WorkerIo,
  run: RunMsg,
  secrets: SecretsMsg,
  signal: AbortSignal,
  send: (m: WorkerMessage) => Promise<void> | void,
): Promise<void> {
  const { loadManifest } = await import('../compiler/manifest.js');
  const { loadProjectConfig } = await import('../project/config.js');
  const { loadRegistry } = await import('../registry/load.js');
  const { createRedactor } = await import('../observability/redact.js');
  const { runPipeline } = await import('../runtime/runner.js');
  const { planeLimits } = await import('../runtime/plane-limits.js');

  const manifestPath = writeBuild(join(io.root, '.osiris-worker', 'build'), run.build);
  const loaded = loadManifest(manifestPath);
  const base = loadProjectConfig({ cwd: io.root, env: {} });
  const project = {
    ...base,
    runtime: {
      ...base.runtime,
      ...(run.options.memory_limit !== undefined ? { memoryLimit: run.options.memory_limit } : {}),
      ...(run.options.threads !== undefined ? { threads: run.options.threads } : {}),
      passThrough: run.options.pass_through,
      ...(run.options.fuse !== undefined ? { fuse: run.options.fuse } : {}),
      ...(run.options.lock_timeout_ms !== undefined ? { lockTimeoutMs: run.options.lock_timeout_ms } : {}),
    },
  };
  const registry = loadRegistry({ projectRoot: io.root });
  const redactor = createRedactor({ secretKeys: registry.allSecretKeys() });
  const prepareStep = stepsFromSecrets(secrets, registry.secretKeys.bind(registry), redactor);
  const session = remoteSession({
    runId: run.run_id,
    dir: join(io.root, '.osiris-worker', 'run'),
    redactor,
    pipeline: loaded.manifest.pipeline.id,
    manifestHash: loaded.manifest.meta.manifest_hash,
    manifestShort: loaded.manifest.meta.manifest_short,
    profile: loaded.manifest.meta.profile,
    rewrite: rootRewriter(io.root, run.project_root),
    send: (m) => void send(m),
  });
  const result = await runPipeline({
    project,
    loaded,
    registry,
    session,
    prepareStep,
    progress: progressSender(send),
    dataPlane: planeLimits(loaded.steps, registry, project.runtime),
    passThrough: project.runtime.passThrough,
    fuse: project.runtime.fuse,
    lockTimeoutMs: project.runtime.lockTimeoutMs,
    maxParallel: run.options.max_parallel,
    ...(run.options.full_refresh ? { fullRefresh: true } : {}),
    signal,
    ...(io.partitionExecutor ? { partitionExecutor: io.partitionExecutor } : {}),
  });
  // Files the writers produced inside this folder go back (as paths relative to it); anything written
  // elsewhere — a database, an absolute path outside — stays where the worker ran.
  const files = result.outputs.flatMap((out) => {
    const rel = insideRoot(io.root, out);
    const abs = rel ? hostPathOf(io.root, rel) : undefined;
    return abs ? filesUnder(io.root, abs) : [];
  });
  const rewrite = rootRewriter(io.root, run.project_root);
  const outputs = result.outputs.map((out) => JSON.parse(rewrite(JSON.stringify(out))) as string);
  await send({
    v,
    type: 'result',
    status: result.status,
    outputs,
    files: files.map((f) => ({ path: f.path, bytes: f.bytes })),
  });
  for (const file of files)
    for await (const chunk of readChunks(file.abs))
      await send({ v, type: 'file', path: file.path, ...chunk });
}

/** Replaces the worker's folder with the host's project root inside JSON text (both JSON-escaped). */
function rootRewriter(root: string, hostRoot: string): (json: string) => string {
  const from = JSON.stringify(root).slice(1, -1);
  const to = JSON.stringify(hostRoot).slice(1, -1);
  return from === to ? (json) => json : (json) => json.replaceAll(from, to);
}

/** `out` relative to root (POSIX) when it is an absolute path inside it. */
function insideRoot(root: string, out: string): string | undefined {
  if (!isAbsolute(out)) return undefined;
  const rel = relative(root, out);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : undefined;
}

/** The runner's prepareStep from the host's `secrets`: every secret value feeds the worker's redactor. */
function stepsFromSecrets(
  secrets: SecretsMsg,
  specSecretKeys: (component: string) => string[],
  redactor: Redactor,
): (step: LoadedStep) => PreparedStep {
  const strings = (value: JsonValue | undefined): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.flatMap(strings)
        : value && typeof value === 'object'
          ? Object.values(value).flatMap(strings)
          : [];
  return (step) => {
    const entry = secrets.steps[step.id] ?? {};
    if ('error' in entry) {
      const { code, message, hint } = entry.error;
      throw OsirisError.of(code, message, {}, hint ? { hint } : {});
    }
    const keys = new Set(specSecretKeys(step.component));
    const isSecret = (k: string) => keys.has(k) || redactor.isSecretKey(k);
    const config: JsonObject = { ...step.config, ...(entry.config ?? {}) };
    redactor.addSecrets({ secretValues: Object.values(entry.config ?? {}).flatMap(strings) });
    const connection = entry.connection;
    if (connection)
      redactor.addSecrets({
        secretValues: Object.entries(connection.fields)
          .filter(([k]) => isSecret(k))
          .flatMap(([, val]) => strings(val)),
      });
    return { connection, config };
  };
}

/** Progress over the protocol: row counts at most every 250 ms per step (the host redraws no faster). */
function progressSender(send: (m: WorkerMessage) => Promise<void> | void): ProgressReporter {
  type Kind = 'step_started' | 'step_progress' | 'step_finished' | 'run_finished' | 'note';
  const p = (kind: Kind, data: object, stepId?: string) =>
    void send({
      v,
      type: 'progress',
      kind,
      ...(stepId ? { step_id: stepId } : {}),
      data: JSON.parse(JSON.stringify(data)),
    });
  const lastSent = new Map<string, number>();
  return {
    stepStarted: (id, component) => p('step_started', { component }, id),
    stepProgress: (id, rows) => {
      const now = Date.now();
      if (now - (lastSent.get(id) ?? 0) < 250) return;
      lastSent.set(id, now);
      p('step_progress', { rows }, id);
    },
    stepFinished: (id, info) => p('step_finished', info, id),
    runFinished: (summary) => p('run_finished', summary),
    note: (line) => p('note', { line }),
    dispose: () => undefined,
  };
}
