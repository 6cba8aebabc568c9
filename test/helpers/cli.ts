/** Runs the built CLI (`bin/osiris.js` → `dist/`) as a child process, the way users run it. */
import { spawnSync } from 'node:child_process';
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
