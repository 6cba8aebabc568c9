/**
 * Ctrl-C on `osiris run --target process`: the host's SIGINT reaches the worker as a protocol `cancel` (the
 * worker has its own process group, so only the host gets the signal), the worker stops its running step,
 * the host records the run `cancelled` and exits 130, the worker process is gone and the target file is
 * unchanged.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { spawnCli, tempDir } from '../../helpers/cli.js';

const PIPELINE = `oml_version: "0.1.0"
name: slow
steps:
  - id: slow
    component: duckdb.processor
    mode: transform
    config:
      query: "SELECT count(*) AS n FROM range(100000000000) a"
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [slow]
    config:
      path: out/result.csv
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('SIGINT on the host cancels the worker: exit 130, run cancelled, worker gone, target unchanged', {
  timeout: 60_000,
}, async () => {
  const project = tempDir('osiris-worker-sigint-');
  writeFileSync(join(project, 'slow.yaml'), PIPELINE);
  const out = join(project, 'out', 'result.csv');
  mkdirSync(join(project, 'out'));
  writeFileSync(out, 'old\n');
  const run = spawnCli(['run', 'slow.yaml', '--target', 'process'], { cwd: project, timeoutMs: 50_000 });
  // The host's record says the slow step runs in the worker: the run is under way there.
  let stderr = '';
  run.child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  await new Promise<void>((resolve) => {
    const check = () => (stderr.includes('step slow started') ? resolve() : setTimeout(check, 50));
    check();
  });
  run.child.kill('SIGINT');
  const done = await run.done;
  expect(done.code, done.stderr).toBe(130);
  const runLog = /run log: (\S+)/.exec(done.stdout)?.[1] as string;
  const status = JSON.parse(readFileSync(join(project, runLog, 'status.json'), 'utf8'));
  expect(status.status).toBe('cancelled');
  const events = readFileSync(join(project, runLog, 'events.jsonl'), 'utf8');
  expect(events).toContain('"event":"run_cancelled"');
  const pid = Number(/"worker_id":"pid (\d+)"/.exec(events)?.[1]);
  expect(pid).toBeGreaterThan(0);
  expect(alive(pid)).toBe(false);
  expect(readFileSync(out, 'utf8')).toBe('old\n');
});
