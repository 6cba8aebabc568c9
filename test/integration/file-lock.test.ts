/**
 * Two `osiris run` processes appending to one CSV and one JSON-lines file keep both runs' rows (before the
 * target lock, the later rename dropped the other run's rows while both exited 0), and a lock left by a
 * process that was terminated or killed does not block the file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lockFile, lockPaths } from '../../src/util/file-lock.js';
import { REPO_ROOT, runCliAsync, tempDir } from '../helpers/cli.js';

const ROWS = 20_000;

const PIPELINE = (format: 'csv' | 'json', path: string) => `oml_version: "0.1.0"
name: append-${format}
params:
  tag: {default: a}
steps:
  - id: gen
    component: duckdb.processor
    mode: transform
    config:
      query: SELECT i, '\${params.tag}' AS tag, repeat('x', 40) AS pad FROM range(${ROWS}) t(i)
  - id: out
    component: filesystem.${format}_writer
    mode: write
    needs: [gen]
    config: {path: ${path}, write_mode: append}
`;

/** A project with pipelines/csv.yaml and pipelines/json.yaml appending to out/data.csv and out/data.jsonl. */
function project(): { dir: string; csv: string; json: string } {
  const dir = tempDir('osiris-lock-');
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(join(dir, 'pipelines', 'csv.yaml'), PIPELINE('csv', 'out/data.csv'));
  writeFileSync(join(dir, 'pipelines', 'json.yaml'), PIPELINE('json', 'out/data.jsonl'));
  return { dir, csv: join(dir, 'out/data.csv'), json: join(dir, 'out/data.jsonl') };
}

const run = (dir: string, format: 'csv' | 'json', tag: string, env: NodeJS.ProcessEnv = {}) =>
  runCliAsync(['run', `pipelines/${format}.yaml`, '--param', `tag=${tag}`, '--json'], { cwd: dir, env });

/** Rows per tag in a CSV or JSON-lines file the pipelines wrote. */
function tags(file: string): Record<string, number> {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const csv = file.endsWith('.csv');
  const counts: Record<string, number> = {};
  for (const line of csv ? lines.slice(1) : lines) {
    const tag = csv ? (line.split(',')[1] as string) : (JSON.parse(line) as { tag: string }).tag;
    counts[tag] = (counts[tag] ?? 0) + 1;
  }
  return counts;
}

describe('two runs appending to one file', () => {
  it("keep both runs' rows (CSV and JSON lines)", async () => {
    const p = project();
    const seeded = await Promise.all([run(p.dir, 'csv', 'seed'), run(p.dir, 'json', 'seed')]);
    expect(seeded.map((r) => r.code)).toEqual([0, 0]);
    const results = await Promise.all([
      run(p.dir, 'csv', 'a'),
      run(p.dir, 'csv', 'b'),
      run(p.dir, 'json', 'a'),
      run(p.dir, 'json', 'b'),
    ]);
    expect(
      results.map((r) => r.code),
      results.map((r) => r.stderr).join('\n'),
    ).toEqual([0, 0, 0, 0]);
    for (const file of [p.csv, p.json]) {
      expect(tags(file)).toEqual({ seed: ROWS, a: ROWS, b: ROWS });
      expect(existsSync(lockPaths(file).dir)).toBe(false);
    }
  });

  it('a run waits for a lock held by another process and appends after it', async () => {
    const { dir, csv: file } = project();
    mkdirSync(join(dir, 'out'));
    writeFileSync(file, 'i,tag,pad\n');
    const held = await lockFile(file, { timeoutMs: 0, purpose: 'the test' });
    const pending = run(dir, 'csv', 'late');
    await new Promise((r) => setTimeout(r, 2000));
    expect(readFileSync(file, 'utf8')).toBe('i,tag,pad\n'); // still waiting
    await held.release();
    const result = await pending;
    expect(result.code, result.stderr).toBe(0);
    expect(tags(file)).toEqual({ late: ROWS });
  });

  it('fails with write.lock_timeout when the wait runs out (OSIRIS_LOCK_TIMEOUT)', async () => {
    const { dir, json: file } = project();
    mkdirSync(join(dir, 'out'));
    writeFileSync(file, '{"i":1}\n');
    const held = await lockFile(file, { timeoutMs: 0, purpose: "step 'other'" });
    try {
      const result = await run(dir, 'json', 'x', { OSIRIS_LOCK_TIMEOUT: '1' });
      expect(result.code).toBe(1);
      const error = JSON.parse(result.stdout).error;
      expect(error.code).toBe('write.lock_timeout');
      expect(error.message).toContain('out/data.jsonl is being written by another run');
      expect(error.message).toContain(`held by pid ${process.pid}`);
    } finally {
      await held.release();
    }
    expect(readFileSync(file, 'utf8')).toBe('{"i":1}\n');
  });
});

/** A node process holding the lock on `file` until it is signalled; resolves once it holds it. */
async function holder(file: string): Promise<ChildProcess> {
  const module = pathToFileURL(join(REPO_ROOT, 'dist', 'util', 'file-lock.js')).href;
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { lockFile } = await import(${JSON.stringify(module)});
       await lockFile(${JSON.stringify(file)}, { timeoutMs: 0, purpose: 'holder', staleMs: 2000 });
       console.log('locked');
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

const exited = (child: ChildProcess) => new Promise((r) => child.once('exit', r));

describe('locks of processes that ended', () => {
  it('SIGTERM removes the lock', async () => {
    const file = join(tempDir('osiris-lock-'), 'a.csv');
    const child = await holder(file);
    expect(existsSync(lockPaths(file).dir)).toBe(true);
    expect(readFileSync(lockPaths(file).holder, 'utf8')).toContain(`"pid":${child.pid}`);
    child.kill('SIGTERM');
    await exited(child);
    expect(readdirSync(dirname(file))).toEqual([]); // the lock folder and its holder record are gone
  });

  it('a lock left by SIGKILL goes stale and is taken over', async () => {
    const file = join(tempDir('osiris-lock-'), 'a.csv');
    const child = await holder(file);
    child.kill('SIGKILL');
    await exited(child);
    expect(existsSync(lockPaths(file).dir)).toBe(true);
    const started = Date.now();
    const lock = await lockFile(file, { timeoutMs: 10_000, purpose: 'next', staleMs: 2000 });
    expect(Date.now() - started).toBeLessThan(5000);
    await lock.release();
  });
});
