/**
 * `osiris logs show --last | head -1` and friends: when the reader of stdout (or stderr) goes away the
 * command ends quietly with its own exit code, never "write EPIPE … Unhandled 'error' event" and a stack.
 * Every command's failure case (cases.ts) runs with stdout closed: its located error line still reaches
 * stderr, once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/main.js';
import { OSIRIS_BIN, runCli } from '../../helpers/cli.js';
import { CASES, type Case, ENV, leafCommands, pool, setUpProject } from './cases.js';

let project = '';
const program = buildProgram();
const leaves = leafCommands(program);
const failures = new Map<string, Closed>();

beforeAll(async () => {
  project = setUpProject('osiris-closed-output-');
  expect(runCli(['run', 'pipelines/good.yaml'], { cwd: project }).code).toBe(0);
  await pool(
    leaves.map((name) => async () => {
      failures.set(name, await withClosed('stdout', (CASES[name] as { fail: Case }).fail));
    }),
    4,
  );
}, 180_000);

interface Closed {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with the read end of stdout or stderr closed before it writes anything. */
function withClosed(which: 'stdout' | 'stderr', args: string[]): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OSIRIS_BIN, ...args], {
      cwd: project,
      env: { ...process.env, NO_COLOR: '1', ...ENV },
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

/** The examples and a few more: success with nobody reading stdout. */
const SUCCESS_SAMPLE: string[][] = [
  ['logs', 'show', '--last'],
  ['logs', 'list'],
  ['runs', 'list', '--json'],
  ['components', 'list'],
  ['components', 'show', 'mysql.extractor'],
  ['run', 'pipelines/good.yaml'],
];

describe('closed output', () => {
  it.each(SUCCESS_SAMPLE)('stdout closed: osiris %s … ends quietly with exit 0', async (...args) => {
    const r = await withClosed('stdout', args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|^\s+at /m);
  });

  it.each(leaves)(
    'stdout closed: a failing `osiris %s` still says what and where on stderr, once',
    (name) => {
      const r = failures.get(name) as Closed;
      expect(r.code, name).toBeGreaterThan(0);
      expect(r.stderr, name).not.toMatch(/EPIPE|Unhandled|^\s+at |node:internal/m);
      // compiler style: `[file[:line:col]] error CODE message — hint`
      const errors = r.stderr.split('\n').filter((l) => /^(\S+ )?error [\w.]+ \S/.test(l));
      expect(errors.length, `${name}:\n${r.stderr}`).toBeGreaterThanOrEqual(1);
      expect(new Set(errors).size, `${name}: an error line printed twice`).toBe(errors.length);
    },
  );

  it('stderr closed: a failing run still exits 1 and records the run', async () => {
    const r = await withClosed('stderr', ['run', 'pipelines/failing.yaml']);
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
