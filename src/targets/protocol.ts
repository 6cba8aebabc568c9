/**
 * The worker protocol, version 1: JSON lines over any byte stream (docs/reference/worker-protocol.md).
 * Every message is one JSON object with `v` (protocol version) and `type`. The host opens with `run`,
 * `secrets`, any input `file`s and `start`; the worker answers `hello` first, then streams what the runner
 * does (`event`, `metric`, `step`, `artifact`, `claim`, `progress`, `status`), sends output `file`s and ends
 * with `result`. Either side may send `cancel`/`fatal`. Messages carry data only — nothing in them is code —
 * so a queue can carry the same messages later (minus `secrets`, which a fleet worker resolves itself).
 */
import type { JsonValue } from '../yaml/json.js';

export const PROTOCOL_VERSION = 1;

/** Files travel in base64 chunks of at most this many raw bytes (a line stays well under 1 MiB). */
export const FILE_CHUNK_BYTES = 512 * 1024;

type Json = JsonValue;
interface Base {
  v: 1;
}

/** A failure the host found while preparing a step (missing connection or variable): raised in the worker. */
export interface PreparedError {
  code: string;
  message: string;
  hint?: string;
}

export interface ResolvedConnectionMsg {
  family: string;
  alias: string;
  fields: Record<string, Json>;
}

/** Run-time inputs of one step: its resolved connection and expanded secret config fields, or why not. */
export type StepSecrets =
  | { connection?: ResolvedConnectionMsg; config?: Record<string, Json> }
  | { error: PreparedError };

/** Host → worker: what to run. The build is secret-free (manifest text and cfg texts as compiled). */
export interface RunMsg extends Base {
  type: 'run';
  run_id: string;
  /**
   * The host's project root: the worker writes it in place of its own folder in everything it reports, so
   * messages, paths and outputs read as they would after a local run.
   */
  project_root: string;
  build: { manifest: string; cfg: Record<string, string> };
  /** The run's settings the worker cannot read from the host's osiris.yaml. */
  options: {
    max_parallel: number;
    pass_through: boolean;
    /** Fused file chains (`runtime.fuse`); absent: the worker's default (on). */
    fuse?: boolean;
    lock_timeout_ms?: number;
    memory_limit?: string;
    threads?: number;
    max_file_bytes?: number;
    /** `osiris run --full-refresh`: incremental reads start again from `initial`. */
    full_refresh?: boolean;
  };
}

/** Host → worker: the values only this run's steps need, never written to disk by the worker. */
export interface SecretsMsg extends Base {
  type: 'secrets';
  steps: Record<string, StepSecrets>;
}

/** Either way: one chunk of a file, `path` relative to the project root (POSIX separators). */
export interface FileMsg extends Base {
  type: 'file';
  path: string;
  seq: number;
  data: string;
  last: boolean;
}

export interface StartMsg extends Base {
  type: 'start';
}

/** Either way: stop. From the host: cancel the run (the worker rolls back and still sends `result`). */
export interface CancelMsg extends Base {
  type: 'cancel';
  reason: string;
}

export interface HelloMsg extends Base {
  type: 'hello';
  worker_id: string;
  pid: number;
  node: string;
  osiris: string;
}

export interface EventMsg extends Base {
  type: 'event';
  name: string;
  fields: Record<string, Json>;
}

export interface MetricMsg extends Base {
  type: 'metric';
  name: string;
  value: number;
  unit?: string;
  step_id?: string;
  tags?: Record<string, Json>;
}

/** A step status change (steps.jsonl). */
export interface StepMsg extends Base {
  type: 'step';
  step: Record<string, Json>;
}

/** A copy the runner keeps in the run folder (manifest, cfg, previews). */
export interface ArtifactMsg extends Base {
  type: 'artifact';
  name: string;
  contents: Json;
}

export interface ClaimMsg extends Base {
  type: 'claim';
  claim: Record<string, Json>;
}

export interface ProgressMsg extends Base {
  type: 'progress';
  kind: 'step_started' | 'step_progress' | 'step_finished' | 'run_finished' | 'note';
  step_id?: string;
  data: Record<string, Json>;
}

/** The runner's status.json writes (running at the start, final at the end). */
export interface StatusMsg extends Base {
  type: 'status';
  final: boolean;
  update: Record<string, Json>;
}

export interface ResultMsg extends Base {
  type: 'result';
  status: 'succeeded' | 'failed' | 'cancelled';
  /** What the writers reported (paths relative to the project root, or redacted URLs). */
  outputs: string[];
  /** Files coming back (already sent as `file` messages before this one), with their sizes. */
  files: { path: string; bytes: number }[];
}

/** The worker cannot go on (bad message, protocol version, crash): the run fails with this message. */
export interface FatalMsg extends Base {
  type: 'fatal';
  code: string;
  message: string;
}

export type HostMessage = RunMsg | SecretsMsg | FileMsg | StartMsg | CancelMsg;
export type WorkerMessage =
  | HelloMsg
  | EventMsg
  | MetricMsg
  | StepMsg
  | ArtifactMsg
  | ClaimMsg
  | ProgressMsg
  | StatusMsg
  | FileMsg
  | ResultMsg
  | FatalMsg;
export type ProtocolMessage = HostMessage | WorkerMessage;

// ---------------------------------------------------------------------------------------------------------
// JSON Schemas (2020-12), one per message type. Tests validate every message a run exchanges against them.

const obj = (required: string[], properties: Record<string, object>) => ({
  type: 'object',
  required: ['v', 'type', ...required],
  additionalProperties: false,
  properties: { v: { const: PROTOCOL_VERSION }, ...properties },
});
const str = { type: 'string' };
const jsonObject = { type: 'object' };
const int = { type: 'integer', minimum: 0 };

export const MESSAGE_SCHEMAS: Record<ProtocolMessage['type'], object> = {
  run: obj(['run_id', 'project_root', 'build', 'options'], {
    type: { const: 'run' },
    run_id: str,
    project_root: str,
    build: {
      type: 'object',
      required: ['manifest', 'cfg'],
      additionalProperties: false,
      properties: { manifest: str, cfg: { type: 'object', additionalProperties: str } },
    },
    options: {
      type: 'object',
      required: ['max_parallel', 'pass_through'],
      additionalProperties: false,
      properties: {
        max_parallel: { type: 'integer', minimum: 1 },
        pass_through: { type: 'boolean' },
        fuse: { type: 'boolean' },
        full_refresh: { type: 'boolean' },
        lock_timeout_ms: int,
        memory_limit: str,
        threads: { type: 'integer', minimum: 1 },
        max_file_bytes: int,
      },
    },
  }),
  secrets: obj(['steps'], {
    type: { const: 'secrets' },
    steps: {
      type: 'object',
      additionalProperties: {
        oneOf: [
          {
            type: 'object',
            required: ['error'],
            additionalProperties: false,
            properties: {
              error: {
                type: 'object',
                required: ['code', 'message'],
                additionalProperties: false,
                properties: { code: str, message: str, hint: str },
              },
            },
          },
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              connection: {
                type: 'object',
                required: ['family', 'alias', 'fields'],
                additionalProperties: false,
                properties: { family: str, alias: str, fields: jsonObject },
              },
              config: jsonObject,
            },
          },
        ],
      },
    },
  }),
  file: obj(['path', 'seq', 'data', 'last'], {
    type: { const: 'file' },
    path: { type: 'string', minLength: 1 },
    seq: int,
    data: { type: 'string', contentEncoding: 'base64' },
    last: { type: 'boolean' },
  }),
  start: obj([], { type: { const: 'start' } }),
  cancel: obj(['reason'], { type: { const: 'cancel' }, reason: str }),
  hello: obj(['worker_id', 'pid', 'node', 'osiris'], {
    type: { const: 'hello' },
    worker_id: str,
    pid: int,
    node: str,
    osiris: str,
  }),
  event: obj(['name', 'fields'], { type: { const: 'event' }, name: str, fields: jsonObject }),
  metric: obj(['name', 'value'], {
    type: { const: 'metric' },
    name: str,
    value: { type: 'number' },
    unit: str,
    step_id: str,
    tags: jsonObject,
  }),
  step: obj(['step'], {
    type: { const: 'step' },
    step: { type: 'object', required: ['id', 'status'], properties: { id: str, status: str } },
  }),
  artifact: obj(['name', 'contents'], { type: { const: 'artifact' }, name: str, contents: {} }),
  claim: obj(['claim'], {
    type: { const: 'claim' },
    claim: { type: 'object', required: ['kind'], properties: { kind: str } },
  }),
  progress: obj(['kind', 'data'], {
    type: { const: 'progress' },
    kind: { enum: ['step_started', 'step_progress', 'step_finished', 'run_finished', 'note'] },
    step_id: str,
    data: jsonObject,
  }),
  status: obj(['final', 'update'], {
    type: { const: 'status' },
    final: { type: 'boolean' },
    update: { type: 'object', required: ['status', 'steps'], properties: { status: str } },
  }),
  result: obj(['status', 'outputs', 'files'], {
    type: { const: 'result' },
    status: { enum: ['succeeded', 'failed', 'cancelled'] },
    outputs: { type: 'array', items: str },
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'bytes'],
        additionalProperties: false,
        properties: { path: str, bytes: int },
      },
    },
  }),
  fatal: obj(['code', 'message'], { type: { const: 'fatal' }, code: str, message: str }),
};

/** Encodes one message as a line (no newline). */
export function encode(message: ProtocolMessage): string {
  return JSON.stringify(message);
}

/** Which messages each side may receive. */
const FROM_HOST = new Set(['run', 'secrets', 'file', 'start', 'cancel']);
const FROM_WORKER = new Set(Object.keys(MESSAGE_SCHEMAS).filter((t) => !FROM_HOST.has(t) || t === 'file'));

export class ProtocolError extends Error {}

/**
 * Parses one line into a message for `side` (who receives it). Checks the envelope (JSON object, `v`, a
 * known `type` for that side), not every field: the schemas are the contract tests hold both sides to.
 */
export function decode<M extends ProtocolMessage>(line: string, from: 'host' | 'worker'): M {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`not a JSON line: ${line.slice(0, 80)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ProtocolError(`not a JSON object: ${line.slice(0, 80)}`);
  const { v, type } = value as { v?: unknown; type?: unknown };
  if (v !== PROTOCOL_VERSION)
    throw new ProtocolError(
      `protocol version ${String(v)} is not supported (this side speaks ${PROTOCOL_VERSION})`,
    );
  const allowed = from === 'host' ? FROM_HOST : FROM_WORKER;
  if (typeof type !== 'string' || !allowed.has(type))
    throw new ProtocolError(`unexpected message type '${String(type)}' from the ${from}`);
  return value as M;
}
