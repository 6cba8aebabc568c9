/**
 * The worker protocol through a real `osiris worker` child process (the `process` target), driven by
 * executeRun as `osiris run --target process` does: every message both ways matches its JSON Schema; a
 * cancel, a worker that dies mid-run, and outputs over the return limit each end as a clear failed (or
 * cancelled) run with the targets unchanged.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../../src/observability/progress.js';
import { loadProjectConfig } from '../../../src/project/config.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { executeRun } from '../../../src/runtime/execute.js';
import { TARGETS } from '../../../src/targets/index.js';
import { processTransport } from '../../../src/targets/process.js';
import { decode, MESSAGE_SCHEMAS, type ProtocolMessage } from '../../../src/targets/protocol.js';
import type { WorkerTransport } from '../../../src/targets/transport.js';
import { newAjv } from '../../../src/util/ajv.js';
import { REPO_ROOT, tempDir } from '../../helpers/cli.js';

const ajv = newAjv({ strict: false, allErrors: true });
const validators = Object.fromEntries(
  Object.entries(MESSAGE_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
);

interface Recording {
  sent: string[];
  received: string[];
}

/** A process transport that records every line, and lets a test act on a message from the worker. */
function recorded(
  rec: Recording,
  onReceived?: (msg: ProtocolMessage, t: WorkerTransport) => void,
): WorkerTransport {
  const inner = processTransport();
  const lines = (async function* () {
    for await (const line of inner.lines) {
      rec.received.push(line);
      onReceived?.(JSON.parse(line) as ProtocolMessage, inner);
      yield line;
    }
  })();
  return {
    ...inner,
    lines,
    exited: inner.exited,
    send: (line) => {
      rec.sent.push(line);
      return inner.send(line);
    },
  };
}

const OUTPUT = 'examples/movies/output/director_stats.csv';

function moviesProject(osirisYaml = ''): string {
  const dir = tempDir('osiris-worker-proto-');
  cpSync(join(REPO_ROOT, 'examples/movies'), join(dir, 'examples/movies'), {
    recursive: true,
    // Not the outputs of a demo run in this checkout: the tests check what a run writes.
    filter: (src) => !src.includes('/examples/movies/output'),
  });
  if (osirisYaml) writeFileSync(join(dir, 'osiris.yaml'), osirisYaml);
  return dir;
}

async function run(
  dir: string,
  onReceived?: (msg: ProtocolMessage, t: WorkerTransport, abort: () => void) => void,
) {
  const rec: Recording = { sent: [], received: [] };
  const controller = new AbortController();
  TARGETS['test-recorded'] = {
    description: 'process, recorded',
    create: async () => recorded(rec, (m, t) => onReceived?.(m, t, () => controller.abort('SIGINT'))),
  };
  const project = loadProjectConfig({ cwd: dir, env: {} });
  const result = await executeRun({
    cwd: dir,
    env: {},
    project,
    registry: loadRegistry({ projectRoot: project.root }),
    file: 'examples/movies/director_stats.yaml',
    target: 'test-recorded',
    signal: controller.signal,
    progress: createProgressReporter({ tty: false, stream: new Writable({ write: (_c, _e, cb) => cb() }) }),
  });
  delete TARGETS['test-recorded'];
  return { result, rec };
}

describe('worker protocol over the process target', () => {
  it('every message both ways matches its JSON Schema', async () => {
    const dir = moviesProject();
    const { result, rec } = await run(dir);
    expect(result.status).toBe('succeeded');
    const types = new Set<string>();
    for (const [from, lines] of [
      ['host', rec.sent],
      ['worker', rec.received],
    ] as const) {
      for (const line of lines) {
        const msg = decode<ProtocolMessage>(line, from);
        types.add(msg.type);
        const validate = validators[msg.type];
        expect(validate?.(msg), `${msg.type}: ${ajv.errorsText(validate?.errors)}`).toBe(true);
      }
    }
    expect([...types].sort()).toEqual(
      [
        'artifact',
        'claim',
        'event',
        'file',
        'hello',
        'metric',
        'progress',
        'result',
        'run',
        'secrets',
        'start',
        'status',
        'step',
      ].sort(),
    );
    expect(readFileSync(join(dir, OUTPUT), 'utf8').split('\n')[0]).toMatch(/^director_id,director/);
  });

  it('refuses a message of another protocol version or an unknown type', () => {
    expect(() => decode('{"v":2,"type":"hello"}', 'worker')).toThrow(/protocol version 2/);
    expect(() => decode('{"v":1,"type":"run"}', 'worker')).toThrow(/unexpected message type 'run'/);
    expect(() => decode('not json', 'host')).toThrow(/not a JSON line/);
  });

  it('a cancel reaches the worker: the run ends cancelled and writes nothing', async () => {
    const dir = moviesProject();
    const { result, rec } = await run(dir, (msg, _t, abort) => {
      if (msg.type === 'step' && msg.step.id === 'extract-movies') abort();
    });
    expect(result.status).toBe('cancelled');
    expect(rec.sent.some((l) => l.includes('"type":"cancel"'))).toBe(true);
    expect(existsSync(join(dir, OUTPUT))).toBe(false);
  });

  it('a worker that dies mid-run fails the run clearly and writes nothing', async () => {
    const dir = moviesProject();
    const { result } = await run(dir, (msg, t) => {
      if (msg.type === 'step' && msg.step.id === 'compute-director-stats') void t.kill('test');
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('worker.lost');
    expect(result.error?.message).toMatch(/the worker was killed by SIGKILL before the run finished/);
    expect(existsSync(join(dir, OUTPUT))).toBe(false);
    const status = JSON.parse(readFileSync(join(result.runDir, 'status.json'), 'utf8'));
    expect(status.status).toBe('failed');
  });

  it('outputs over execution.max_return_bytes fail the run and never reach the target', async () => {
    const dir = moviesProject('execution:\n  max_return_bytes: 100\n');
    const { result } = await run(dir);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('worker.outputs_too_large');
    expect(result.error?.hint).toMatch(/execution.outputs: remote/);
    expect(existsSync(join(dir, OUTPUT))).toBe(false);
    // The worker succeeded, the run did not: the record ends with the host's verdict only.
    const ends = readFileSync(join(result.runDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: string }).event)
      .filter((name) => name.startsWith('run_') && name !== 'run_start');
    expect(ends).toEqual(['run_failed']);
  });
});
