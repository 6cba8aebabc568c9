/**
 * `osiris logs show --last | head -1` and friends: when the reader of stdout (or stderr) goes away the
 * command ends quietly with its own exit code, never "write EPIPE … Unhandled 'error' event" and a stack.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OSIRIS_BIN, runCli, tempDir } from '../../helpers/cli.js';

const PIPELINE = `oml_version: "0.1.0"
name: closed-output
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config: { path: data/in.csv }
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [extract]
    config: { path: output/out.csv }
`;

let project = '';

beforeAll(() => {
  project = tempDir('osiris-closed-output-');
  expect(runCli(['init', '.'], { cwd: project }).code).toBe(0);
  mkdirSync(join(project, 'data'), { recursive: true });
  writeFileSync(join(project, 'data/in.csv'), 'id\n1\n2\n');
  writeFileSync(join(project, 'pipeline.yaml'), PIPELINE);
  writeFileSync(join(project, 'failing.yaml'), PIPELINE.replace('data/in.csv', 'data/missing.csv'));
  expect(runCli(['run', 'pipeline.yaml'], { cwd: project }).code).toBe(0);
}, 60_000);

/** Runs the CLI with the read end of stdout or stderr closed before it writes anything. */
function withClosed(
  which: 'stdout' | 'stderr',
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OSIRIS_BIN, ...args], {
      cwd: project,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kept = which === 'stdout' ? child.stderr : child.stdout;
    let text = '';
    kept.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    (which === 'stdout' ? child.stdout : child.stderr).destroy();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(which === 'stdout' ? { code, stdout: '', stderr: text } : { code, stdout: text, stderr: '' });
    });
  });
}

const COMMANDS: Array<[string[], number]> = [
  [['logs', 'show', '--last'], 0],
  [['logs', 'list'], 0],
  [['runs', 'list', '--json'], 0],
  [['components', 'list'], 0],
  [['components', 'show', 'mysql.extractor'], 0],
  [['logs', 'show', 'nope'], 2],
  [['run', 'pipeline.yaml'], 0],
];

describe('closed output', () => {
  it.each(COMMANDS)('stdout closed: osiris %j ends quietly with its own exit code', async (args, code) => {
    const r = await withClosed('stdout', args);
    expect(r.code).toBe(code);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|^\s+at /m);
    if (code === 0) expect(r.stderr.trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(12);
  });

  it('stderr closed: a failing run still exits 1 and records the run', async () => {
    const r = await withClosed('stderr', ['run', 'failing.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ run \S+ failed in/m);
  });

  it('`| head -1` as in a shell: one line, no crash', () => {
    for (const command of ['logs show --last', 'logs list', 'components list']) {
      // The CLI's exit status goes to fd 3 (the shell reports head's otherwise).
      const r = spawnSync(
        'sh',
        ['-c', `{ "${process.execPath}" "${OSIRIS_BIN}" ${command}; echo "exit=$?" >&3; } 3>&2 | head -1`],
        { cwd: project, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.stdout.split('\n').filter(Boolean), command).toHaveLength(1);
      expect(r.stderr, command).toBe('exit=0\n');
    }
  });
});
