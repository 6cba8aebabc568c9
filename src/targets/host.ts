/**
 * The host side of the worker protocol: drives any WorkerTransport through one run. It sends the secret-free
 * build, the step secrets (separately), the input files and `start`; it writes everything the worker reports
 * into the host's own run session (the same writer and redactor as a local run), and publishes the files the
 * worker's writers produced at the same paths on the host, atomically, once the worker says the run ended.
 * A worker that stops talking before `result` fails the run; nothing it sent is published.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadedManifest } from '../compiler/manifest.js';
import type { ProgressReporter, StepFinishedInfo } from '../observability/progress.js';
import type { RunClaim } from '../observability/run-claims.js';
import type {
  RunErrorInfo,
  RunSession,
  RunStatusDoc,
  StatusUpdate,
  StepStatus,
} from '../observability/session.js';
import { pendingStatuses, type RunPipelineResult, type StepOutcome } from '../runtime/runner.js';
import { commitTempFile, tempPathBeside } from '../util/fs-atomic.js';
import type { JsonValue } from '../yaml/json.js';
import { hostPathOf, readChunks } from './files.js';
import {
  decode,
  encode,
  type FileMsg,
  type HostMessage,
  PROTOCOL_VERSION,
  type ResultMsg,
  type RunMsg,
  type SecretsMsg,
  type WorkerMessage,
} from './protocol.js';
import type { WorkerTransport } from './transport.js';

/** Default cap on the bytes of files a worker may send back (`execution.max_return_bytes`). */
export const DEFAULT_MAX_RETURN_BYTES = 1024 ** 3;

export interface WorkerBuild {
  loaded: LoadedManifest;
  options: RunMsg['options'];
  /** Files the steps read, relative to the project root (POSIX), and where they are on the host. */
  inputs: { path: string; abs: string }[];
}

export interface RunOnWorkerOptions {
  build: WorkerBuild;
  /** Per step: the resolved connection and secret config values, or the error preparing it raised. */
  secrets: SecretsMsg['steps'];
  transport: WorkerTransport;
  /** The host's open run session: the record of the run. */
  session: RunSession;
  progress: ProgressReporter;
  /** The target's name for the record (`process`, `e2b`): the environment badge. */
  target: string;
  projectRoot: string;
  signal?: AbortSignal;
  /** Cap on returned file bytes (default 1 GiB); above it the run fails unless `remoteOnly`. */
  maxReturnBytes?: number;
  /** Outputs stay where the worker wrote them (no file comes back; no size check). */
  remoteOnly?: boolean;
  /** How long a cancelled worker may take to roll back before it is killed (ms, default 30 s). */
  cancelGraceMs?: number;
  /** Every message both ways, decoded (tests validate them against the schemas). */
  onMessage?: (direction: 'to_worker' | 'from_worker', message: HostMessage | WorkerMessage) => void;
}

const v = PROTOCOL_VERSION;

/** A file arriving in chunks: written beside its target under a temp name until `result` commits it. */
interface Incoming {
  target: string;
  temp: string;
  fd: number | undefined;
  bytes: number;
  done: boolean;
}

export async function runOnWorker(options: RunOnWorkerOptions): Promise<RunPipelineResult> {
  const { session, transport, progress, build } = options;
  const started = Date.now();
  const maxBytes = options.maxReturnBytes ?? DEFAULT_MAX_RETURN_BYTES;
  const steps = pendingStatuses(build.loaded.steps);
  const incoming = new Map<string, Incoming>();
  let finalUpdate: StatusUpdate | undefined;
  let runEnd: HeldEvent | undefined;
  let result: ResultMsg | undefined;
  let failure: RunErrorInfo | undefined;
  let workerId = transport.workerId;
  const send = async (message: HostMessage) => {
    options.onMessage?.('to_worker', message);
    await transport.send(encode(message));
  };
  const fail = (code: string, message: string, hint?: string) => {
    failure ??= { code, message: session.redactor.redactText(message), ...(hint ? { hint } : {}) };
  };

  const onFile = (msg: FileMsg) => {
    if (options.remoteOnly)
      return fail('worker.protocol', `the worker sent file ${msg.path} though outputs stay remote`);
    const target = hostPathOf(options.projectRoot, msg.path);
    if (!target) return fail('worker.protocol', `the worker sent a file outside the project: ${msg.path}`);
    let file = incoming.get(msg.path);
    if (!file) {
      mkdirSync(dirname(target), { recursive: true });
      const temp = tempPathBeside(target);
      file = { target, temp, fd: openSync(temp, 'wx', 0o644), bytes: 0, done: false };
      incoming.set(msg.path, file);
    }
    if (file.fd === undefined) return;
    const data = Buffer.from(msg.data, 'base64');
    file.bytes += data.length;
    const total = [...incoming.values()].reduce((n, f) => n + f.bytes, 0);
    if (total > maxBytes) return fail(...tooLarge(total, maxBytes));
    writeSync(file.fd, data);
    if (msg.last) {
      closeSync(file.fd);
      file.fd = undefined;
      file.done = true;
    }
  };

  const onMessage = (msg: WorkerMessage) => {
    options.onMessage?.('from_worker', msg);
    switch (msg.type) {
      case 'hello':
        workerId ??= msg.worker_id;
        return;
      case 'event':
        // The run's last event waits for the files to come back: a run that fails after the worker
        // succeeded (outputs too large, worker lost while sending) records that failure instead.
        if (RUN_END_EVENTS.has(msg.name)) {
          runEnd = { name: msg.name, fields: msg.fields };
          return;
        }
        // The badge: the worker's runner calls itself `local`; the host knows where it really ran.
        if (msg.name === 'run_start')
          return session.event(msg.name, {
            ...msg.fields,
            adapter: options.target,
            worker_id: workerId ?? null,
          });
        return session.event(msg.name, msg.fields);
      case 'metric':
        return session.metric(msg.name, msg.value, {
          ...(msg.unit !== undefined ? { unit: msg.unit } : {}),
          ...(msg.step_id !== undefined ? { stepId: msg.step_id } : {}),
          ...(msg.tags ? { tags: msg.tags } : {}),
        });
      case 'step': {
        const step = msg.step as unknown as StepStatus;
        if (steps.has(step.id)) steps.set(step.id, step);
        return session.stepChanged(step);
      }
      case 'artifact':
        session.copyArtifact(msg.name, msg.contents);
        return;
      case 'claim':
        // Temp files are inside the worker's folder, which goes with it; tables outlive it.
        if (msg.claim.kind !== 'file') session.claim(msg.claim as unknown as RunClaim);
        return;
      case 'progress':
        return forwardProgress(progress, msg.kind, msg.step_id, msg.data);
      case 'status':
        if (msg.final) finalUpdate = msg.update as unknown as StatusUpdate;
        else session.writeStatus(msg.update as unknown as StatusUpdate);
        return;
      case 'file':
        return onFile(msg);
      case 'result': {
        result = msg;
        const total = msg.files.reduce((n, f) => n + f.bytes, 0);
        if (!options.remoteOnly && total > maxBytes) fail(...tooLarge(total, maxBytes));
        return;
      }
      case 'fatal':
        return fail(msg.code, `the worker stopped: ${msg.message}`);
    }
  };

  let cancelSent = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    if (cancelSent) return;
    cancelSent = true;
    const reason = typeof options.signal?.reason === 'string' ? options.signal.reason : 'cancel';
    send({ v, type: 'cancel', reason }).catch(() => undefined);
    killTimer = setTimeout(() => {
      fail(
        'runtime.cancelled',
        `the worker did not stop within ${options.cancelGraceMs ?? 30_000} ms of ${reason}`,
      );
      transport.kill(`no answer to ${reason}`).catch(() => undefined);
    }, options.cancelGraceMs ?? 30_000);
    killTimer.unref();
  };

  const reading = (async () => {
    for await (const line of transport.lines) {
      let msg: WorkerMessage | undefined;
      try {
        msg = decode<WorkerMessage>(line, 'worker');
      } catch (error) {
        fail('worker.protocol', `unreadable message from the worker: ${(error as Error).message}`);
      }
      try {
        if (msg) onMessage(msg);
      } catch (error) {
        // Recording what the worker sent failed on the host (a full disk, a target folder in the way).
        fail(
          'worker.record',
          `could not record the worker's ${msg?.type} message: ${(error as Error).message}`,
        );
      }
      if (failure && !cancelSent && failure.code !== 'runtime.cancelled')
        await transport.kill(failure.message);
    }
  })();

  try {
    await send({
      v,
      type: 'run',
      run_id: session.runId,
      project_root: options.projectRoot,
      build: buildMessage(build.loaded),
      options: build.options,
    });
    await send({ v, type: 'secrets', steps: options.secrets });
    for (const input of build.inputs)
      for await (const chunk of readChunks(input.abs))
        await send({ v, type: 'file', path: input.path, ...chunk });
    await send({ v, type: 'start' });
  } catch (error) {
    fail('worker.lost', `could not send the run to the worker: ${(error as Error).message}`);
    await transport.kill('send failed');
  }
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  await reading.catch((error: unknown) => fail('worker.lost', `lost the worker's output: ${String(error)}`));
  const exit = await transport.exited;
  options.signal?.removeEventListener('abort', onAbort);
  if (killTimer) clearTimeout(killTimer);

  const complete =
    result &&
    [...incoming.values()].every((f) => f.done) &&
    result.files.every((f) => incoming.get(f.path)?.done || options.remoteOnly);
  if (!failure && !complete) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const tail = exit.stderrTail.trim().split('\n').slice(-3).join(' | ');
    fail(
      'worker.lost',
      `the worker ${how} before the run finished${tail ? `: ${tail}` : ''}`,
      'nothing it produced was published; run again, or `--target local` to compare',
    );
  }
  if (!failure) {
    for (const file of incoming.values()) commitTempFile(file.temp, file.target);
  } else {
    for (const file of incoming.values()) {
      if (file.fd !== undefined) closeSync(file.fd);
      rmSync(file.temp, { force: true });
    }
  }
  return finishOnHost(options, steps, { update: finalUpdate, runEnd }, result, failure, started);
}

/** The worker's run_complete / run_failed / run_cancelled, held until the host knows the outcome. */
const RUN_END_EVENTS = new Set(['run_complete', 'run_failed', 'run_cancelled']);

interface HeldEvent {
  name: string;
  fields: Record<string, JsonValue>;
}

function tooLarge(total: number, max: number): [string, string, string] {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return [
    'worker.outputs_too_large',
    `the worker's output files are ${mb(total)}, over the ${mb(max)} that may come back to the host`,
    'raise execution.max_return_bytes in osiris.yaml, or set execution.outputs: remote to leave them where the worker ran',
  ];
}

/** The build exactly as compiled (the worker re-checks its hashes): manifest text and cfg texts by cfg_path. */
export function buildMessage(loaded: LoadedManifest): RunMsg['build'] {
  const cfg: Record<string, string> = {};
  for (const step of loaded.steps) cfg[step.cfg_path] = readFileSync(step.cfgFile, 'utf8');
  return { manifest: readFileSync(loaded.manifestPath, 'utf8'), cfg };
}

function forwardProgress(
  progress: ProgressReporter,
  kind: string,
  stepId: string | undefined,
  data: Record<string, JsonValue>,
): void {
  const id = stepId ?? '';
  if (kind === 'step_started') progress.stepStarted(id, String(data.component ?? ''));
  else if (kind === 'step_progress') progress.stepProgress(id, Number(data.rows ?? 0));
  else if (kind === 'step_finished') progress.stepFinished(id, data as unknown as StepFinishedInfo);
  else if (kind === 'note') progress.note(String(data.line ?? ''));
  // run_finished: the host reports the outcome it recorded, below.
}

/**
 * The record's last lines: the worker's final status as it sent it — or, when the worker failed us (lost,
 * too large, unreadable), a failed run whose unfinished steps are marked failed/skipped.
 */
function finishOnHost(
  options: RunOnWorkerOptions,
  steps: Map<string, StepStatus>,
  worker: { update: StatusUpdate | undefined; runEnd: HeldEvent | undefined },
  result: ResultMsg | undefined,
  failure: RunErrorInfo | undefined,
  started: number,
): RunPipelineResult {
  const { session, progress } = options;
  const { update, runEnd } = worker;
  let final: StatusUpdate & { status: 'succeeded' | 'failed' | 'cancelled' };
  if (update && result && !failure) {
    final = { ...update, status: result.status };
    if (runEnd) session.event(runEnd.name, runEnd.fields);
  } else {
    const list = [...steps.values()].map(
      (s): StepStatus =>
        s.status === 'running'
          ? { ...s, status: 'failed' }
          : s.status === 'pending'
            ? { ...s, status: 'skipped' }
            : s,
    );
    const error = failure ?? { code: 'worker.lost', message: 'the worker ended without a result' };
    const cancelled = Boolean(options.signal?.aborted);
    final = { ...(update ?? {}), status: cancelled ? 'cancelled' : 'failed', steps: list, error };
    session.event(cancelled ? 'run_cancelled' : 'run_failed', {
      status: final.status,
      duration_ms: Date.now() - started,
      error_code: error.code,
      message: error.message,
    });
  }
  const { status: statusDoc } = session.finish(final);
  const durationMs = Date.now() - started;
  const stepList = statusDoc.steps;
  progress.runFinished({
    status: final.status,
    durationMs,
    runId: session.runId,
    stepsTotal: stepList.length,
    stepsSucceeded: stepList.filter((s) => s.status === 'succeeded').length,
    rowsOut: statusDoc.rows_out,
  });
  const out: RunPipelineResult = {
    runId: session.runId,
    status: final.status,
    runDir: session.dir,
    durationMs,
    steps: stepList.map((s) => outcomeOf(s)),
    // Files came back to the same place under the host's project root (the worker names them so).
    outputs: failure ? [] : (result?.outputs ?? []),
    statusDoc: statusDoc as RunStatusDoc,
  };
  if (statusDoc.error) out.error = statusDoc.error;
  return out;
}

function outcomeOf(s: StepStatus): StepOutcome {
  return {
    id: s.id,
    component: s.component,
    status: s.status,
    ...(s.duration_ms !== null ? { durationMs: s.duration_ms } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
}
