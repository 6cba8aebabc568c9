/**
 * The `queue` target's WorkerTransport on the submitting machine. The host (targets/host.ts) drives it like any
 * other: it collects the `run` message and the input `file`s, drops `secrets` (the queue never carries a
 * secret; the worker resolves its own), and on `start` enqueues a `run` job. It then tails the run's Redis
 * stream and yields the worker's protocol lines. A worker lost mid-run (stalled job re-run elsewhere, or
 * handed back) shows as a new attempt in the stream: what the lost attempt had started to return is dropped
 * and a `worker_retry` event marks the switch. `replay` reads a finished (or running) run's stream from the
 * start without submitting anything (sync.ts).
 */
import { encode, PROTOCOL_VERSION, type RunMsg } from '../targets/protocol.js';
import type { WorkerExit, WorkerTransport } from '../targets/transport.js';
import { JOB_DEFAULTS, openQueue } from './jobs.js';
import { connect, type FleetSettings, fleetKeys, RUN_TTL_S } from './redis.js';
import { type RunJobData, recordQueuedRun } from './run-job.js';

export interface QueueTransport extends WorkerTransport {
  /** The time of the stream entry last read (ms): a replayed record keeps the run's own timestamps. */
  entryTime(): number | undefined;
}

export function queueTransport(
  settings: FleetSettings,
  options: { replay?: string; pipeline?: string } = {},
): QueueTransport {
  const keys = fleetKeys(settings.prefix);
  const reader = connect(settings, true);
  const writer = connect(settings);
  let runMsg: RunMsg | undefined;
  const files: string[] = [];
  let runId = options.replay;
  let stopped = false;
  let lastTime: number | undefined;
  let resolveExit: (exit: WorkerExit) => void = () => undefined;
  const exited = new Promise<WorkerExit>((resolve) => {
    resolveExit = resolve;
  });
  let started: () => void = () => undefined;
  const submitted = new Promise<void>((resolve) => {
    started = resolve;
  });
  if (options.replay) started();

  const jobState = async (): Promise<{ state: string; reason: string } | undefined> => {
    if (!runId) return undefined;
    const jobId = await writer.hget(keys.run(runId), 'job_id');
    if (!jobId) return undefined;
    const queue = await openQueue(settings);
    try {
      const job = await queue.queue.getJob(jobId);
      if (!job) return { state: 'missing', reason: 'the job is gone from the queue' };
      return { state: await job.getState(), reason: job.failedReason ?? '' };
    } finally {
      await queue.close();
    }
  };

  async function* tail(): AsyncGenerator<string> {
    await submitted;
    if (!runId) return resolveExit({ code: 1, signal: null, stderrTail: 'the run was never enqueued' });
    const stream = keys.stream(runId);
    let lastId = '0';
    let attempt: string | undefined;
    let worker: string | undefined;
    let held: string[] = [];
    let idle = 0;
    while (!stopped) {
      const reply = (await reader.xread('COUNT', 200, 'BLOCK', 1000, 'STREAMS', stream, lastId)) as
        | [string, [string, string[]][]][]
        | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        idle += 1;
        // Every few idle seconds: a job BullMQ gave up on (failed for good, removed) ends the run here.
        if (idle % 3 === 0) {
          const state = await jobState().catch(() => undefined);
          if (state && (state.state === 'failed' || state.state === 'missing')) {
            return resolveExit({ code: 1, signal: null, stderrTail: state.reason });
          }
        }
        continue;
      }
      idle = 0;
      for (const [id, flat] of entries) {
        lastId = id;
        lastTime = Number(id.split('-')[0]);
        const f: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
        if (f.a !== attempt) {
          if (attempt !== undefined) {
            held = [];
            yield encode({
              v: PROTOCOL_VERSION,
              type: 'event',
              name: 'worker_retry',
              fields: { previous_worker: worker ?? null, worker: f.w ?? null },
            });
          }
          attempt = f.a;
          worker = f.w;
        }
        if (f.handback !== undefined) continue;
        if (f.end !== undefined) {
          yield* held;
          return resolveExit({ code: Number(f.end), signal: null, stderrTail: '' });
        }
        const line = f.l;
        if (line === undefined) continue;
        // From `result` on, lines wait for the attempt's end: a lost attempt's files never reach the host.
        if (held.length > 0 || line.startsWith('{"v":1,"type":"result"')) held.push(line);
        else yield line;
      }
    }
    resolveExit({ code: null, signal: 'SIGKILL', stderrTail: 'stopped following the run' });
  }

  const submit = async () => {
    if (!runMsg) throw new Error('`start` came before `run`');
    runId = runMsg.run_id;
    const data: RunJobData = {
      kind: 'run',
      run_id: runId,
      run: runMsg,
      files,
      pipeline: options.pipeline ?? '',
    };
    const queue = await openQueue(settings);
    try {
      const job = await queue.queue.add('run', data as never, { ...JOB_DEFAULTS, jobId: runId });
      await recordQueuedRun(
        { redis: writer, keys },
        runId,
        data,
        { status: 'queued', job_id: String(job.id), queued_at: new Date().toISOString() },
        false,
      );
    } finally {
      await queue.close();
    }
    started();
  };

  const lines = tail();
  return {
    workerId: undefined,
    lines,
    exited,
    entryTime: () => lastTime,
    async send(line) {
      if (options.replay) return;
      const type = /^\{"v":1,"type":"([a-z]+)"/.exec(line)?.[1];
      if (type === 'run') runMsg = JSON.parse(line) as RunMsg;
      else if (type === 'file') files.push(line);
      else if (type === 'start') await submit();
      else if (type === 'cancel' && runId) {
        const reason = (JSON.parse(line) as { reason: string }).reason;
        await writer.set(keys.cancel(runId), reason || 'cancel', 'EX', RUN_TTL_S);
        // Still waiting in the queue: take it out; nothing ran.
        const state = await jobState().catch(() => undefined);
        if (state?.state === 'waiting' || state?.state === 'delayed') {
          const queue = await openQueue(settings);
          await (await queue.queue.getJob(runId))?.remove().catch(() => undefined);
          await queue.close();
        }
      }
      // `secrets` stays here: the worker resolves its own.
    },
    async kill() {
      if (runId && !options.replay) await writer.set(keys.cancel(runId), 'killed', 'EX', RUN_TTL_S);
      stopped = true;
    },
    async close() {
      stopped = true;
      started();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1500).unref())]);
      reader.disconnect();
      writer.disconnect();
    },
  };
}
