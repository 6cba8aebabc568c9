/** Runs the built CLI (`bin/osiris.js` → `dist/`) as a child process, the way users run it. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const OSIRIS_BIN = join(REPO_ROOT, 'bin', 'osiris.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, [OSIRIS_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export interface SpawnedCli {
  child: ChildProcess;
  /** Settles when the process has exited and its output streams are closed. */
  done: Promise<CliResult & { signal: NodeJS.Signals | null; timedOut: boolean }>;
}

/**
 * Starts the built CLI without blocking the event loop (unlike `runCli`): use it when the test process also
 * serves something the CLI talks to, such as the fake LLM server. On `timeoutMs` the child is SIGKILLed and
 * `done` resolves with `timedOut: true` and whatever it printed so far.
 */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): SpawnedCli {
  const child = spawn(process.execPath, [OSIRIS_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => stdout.push(c));
  child.stderr?.on('data', (c: Buffer) => stderr.push(c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null; timedOut: boolean }>(
    (resolve, reject) => {
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({
          code: code ?? -1,
          signal,
          timedOut,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
      });
    },
  );
  return { child, done };
}

/** `spawnCli` awaited: the async counterpart of `runCli`. */
export async function runCliAsync(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult & { signal: NodeJS.Signals | null; timedOut: boolean }> {
  return spawnCli(args, options).done;
}

/** `runCli` + JSON.parse of stdout. */
export function runCliJson<T = unknown>(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const result = runCli([...args, '--json'], options);
  let json: T | undefined;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch {
    json = undefined;
  }
  return { ...result, json };
}

/** A fresh empty folder under the OS temp dir. */
export function tempDir(prefix = 'osiris-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The codes of a `--json` document's diagnostics of one severity, in printed (sorted) order. */
export function diagnosticCodes(doc: unknown, severity: 'error' | 'warning'): string[] {
  const list = (doc as { diagnostics?: Array<{ severity: string; code: string }> } | undefined)?.diagnostics;
  return (list ?? []).filter((d) => d.severity === severity).map((d) => d.code);
}
