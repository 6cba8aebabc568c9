/**
 * The `process` target: `osiris worker` as a child process in a fresh, empty temp folder with a scrubbed
 * environment (PATH and HOME only — the run's secrets travel over the protocol, never in the environment).
 * It proves a worker needs nothing implicit from the host. The child gets its own process group, so a
 * Ctrl-C on the host reaches it as a protocol `cancel` (a clean rollback), not as a raw signal.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { splitLines, type WorkerExit, type WorkerTransport } from './transport.js';

/** The CLI launcher of this installation (dist/targets/process.js → bin/osiris.js). */
export const OSIRIS_BIN = fileURLToPath(new URL('../../bin/osiris.js', import.meta.url));

const STDERR_TAIL = 8 * 1024;

export interface ProcessTransportOptions {
  /** Extra environment for the worker (tests); the default is PATH and HOME only. */
  env?: Record<string, string>;
}

export function processTransport(options: ProcessTransportOptions = {}): WorkerTransport {
  const dir = mkdtempSync(join(tmpdir(), 'osiris-worker-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    ...options.env,
  };
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(
    process.execPath,
    [OSIRIS_BIN, 'worker'],
    { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  let stderrTail = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  child.stdin.on('error', () => undefined); // a worker that died: `exited` says how
  const exited = new Promise<WorkerExit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderrTail }));
    child.on('error', (error) =>
      resolve({ code: null, signal: null, stderrTail: `${stderrTail}${error.message}` }),
    );
  });
  let closed = false;
  return {
    workerId: `pid ${child.pid}`,
    lines: splitLines(child.stdout),
    exited,
    send(line) {
      return new Promise((resolve, reject) => {
        if (!child.stdin.writable) return reject(new Error('the worker is gone'));
        child.stdin.write(`${line}\n`, (error) => (error ? reject(error) : resolve()));
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async close() {
      if (closed) return;
      closed = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      // OSIRIS_WORKER_KEEP_DIR=1 keeps the folder for inspection (the canary test searches it for secrets).
      if (process.env.OSIRIS_WORKER_KEEP_DIR !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}
