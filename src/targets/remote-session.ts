/**
 * The worker's RunSession: the runner calls it exactly as it calls a local session, and every call becomes a
 * protocol message to the host, which writes the record. Nothing of the record is written in the worker;
 * only the scratch and artifacts folders a driver needs exist there (inside the worker's folder).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '../observability/redact.js';
import {
  type FinishResult,
  type RunSession,
  type RunStatusDoc,
  runRecordOf,
  type StatusUpdate,
} from '../observability/session.js';
import type { JsonValue } from '../yaml/json.js';
import { PROTOCOL_VERSION, type WorkerMessage } from './protocol.js';

const v = PROTOCOL_VERSION;

export function remoteSession(options: {
  runId: string;
  dir: string;
  redactor: Redactor;
  pipeline: string;
  manifestHash: string;
  manifestShort: string;
  profile: string | null;
  /** Rewrites the worker's folder to the host's project root in every string it reports. */
  rewrite: (json: string) => string;
  send: (message: WorkerMessage) => void;
}): RunSession {
  const { send, redactor, dir } = options;
  const startedAt = new Date();
  mkdirSync(dir, { recursive: true });
  const doc = (update: StatusUpdate): RunStatusDoc => {
    const finishedAt = update.status === 'running' ? null : new Date();
    return {
      run_id: options.runId,
      pipeline: options.pipeline,
      manifest_hash: options.manifestHash,
      manifest_short: options.manifestShort,
      profile: options.profile,
      status: update.status,
      started_at: startedAt.toISOString(),
      finished_at: finishedAt?.toISOString() ?? null,
      duration_ms: finishedAt ? finishedAt.getTime() - startedAt.getTime() : null,
      rows_in: update.rowsIn ?? null,
      rows_out: update.rowsOut ?? null,
      steps: update.steps,
      ...(update.error ? { error: update.error } : {}),
    };
  };
  // Values leave the worker redacted by its own redactor too (it knows the run's secrets).
  // A JSON-safe copy (so every message matches its schema), with the host's paths in place of the worker's.
  const clean = <T>(value: unknown): T =>
    redactor.redactValue(JSON.parse(options.rewrite(JSON.stringify(value ?? null))) as JsonValue) as T;
  return {
    runId: options.runId,
    dir,
    relativeDir: dir,
    eventsPath: join(dir, 'events.jsonl'),
    metricsPath: join(dir, 'metrics.jsonl'),
    statusPath: join(dir, 'status.json'),
    startedAt,
    profile: options.profile,
    redactor,
    event(name, fields = {}) {
      // Names too: a queue stores every message (the host redacts whole lines when it writes them).
      send({ v, type: 'event', name: redactor.redactText(name), fields: clean(fields) });
    },
    metric(name, value, metricOptions = {}) {
      send({
        v,
        type: 'metric',
        name: redactor.redactText(name),
        value,
        ...(metricOptions.unit !== undefined ? { unit: metricOptions.unit } : {}),
        ...(metricOptions.stepId !== undefined ? { step_id: metricOptions.stepId } : {}),
        ...(metricOptions.tags ? { tags: clean(metricOptions.tags) } : {}),
      });
    },
    copyArtifact(name, contents) {
      send({ v, type: 'artifact', name, contents: clean(contents) });
      return join(dir, name);
    },
    stepArtifactsDir(stepId) {
      const path = join(dir, 'artifacts', stepId);
      mkdirSync(path, { recursive: true });
      return path;
    },
    writeStatus(update) {
      send({ v, type: 'status', final: update.status !== 'running', update: clean(update) });
      return doc(update);
    },
    stepChanged(step) {
      send({ v, type: 'step', step: clean(step) });
    },
    claim(claim) {
      send({ v, type: 'claim', claim: clean(claim) });
    },
    finish(update): FinishResult {
      send({ v, type: 'status', final: true, update: clean(update) });
      const status = doc(update);
      return { status, record: runRecordOf(status, dir) };
    },
    close() {},
  };
}
