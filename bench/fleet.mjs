#!/usr/bin/env node
/**
 * The fleet: N pipeline runs through the queue with 1, 2 and 3 `osiris worker --queue` processes on this
 * machine, wall time from the workers' start (the runs already queued) to the last run finished. Each run reads a generated CSV
 * (ROWS rows), aggregates it in DuckDB and writes a CSV — real work, so the numbers show how far workers
 * scale on the cores there are (on 2 cores: about 2×, not 3×). Results: docs/benchmarks.md ("Fleet").
 *
 * Usage: node bench/fleet.mjs [runs]          (default 12)
 * Env:   WORKERS="1 2 3"   ROWS=200000   OSIRIS_QUEUE=redis://127.0.0.1:6379/0
 * Needs: the local Redis; a build (npm run build).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'osiris.js');
const RUNS = Number(process.argv[2] ?? 12);
const WORKERS = (process.env.WORKERS ?? '1 2 3').split(/\s+/).filter(Boolean).map(Number);
const ROWS = Number(process.env.ROWS ?? 200_000);
const QUEUE = process.env.OSIRIS_QUEUE ?? 'redis://127.0.0.1:6379/0';
const PREFIX = `fleet_bench_${process.pid}`;
const env = { ...process.env, OSIRIS_QUEUE: QUEUE, OSIRIS_QUEUE_PREFIX: PREFIX, NO_COLOR: '1' };

const project = mkdtempSync(join(tmpdir(), 'osiris-fleet-bench-'));
mkdirSync(join(project, 'data'));
mkdirSync(join(project, 'pipelines'));
writeFileSync(join(project, 'osiris.yaml'), 'version: "1.0"\n');
let csv = 'id,grp,amount\n';
for (let i = 0; i < ROWS; i++) csv += `${i},${i % 97},${(i * 7919) % 10000}\n`;
writeFileSync(join(project, 'data/in.csv'), csv);
writeFileSync(
  join(project, 'pipelines/agg.yaml'),
  `oml_version: "0.1.0"
name: fleet-bench
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config: { path: data/in.csv }
  - id: agg
    component: duckdb.processor
    mode: transform
    needs: [extract]
    config: { query: "SELECT grp, count(*) AS n, sum(amount) AS total, median(amount) AS med FROM extract GROUP BY grp" }
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [agg]
    config: { path: out/agg.csv }
`,
);

const osiris = (args) => {
  const res = spawnSync(process.execPath, [BIN, ...args], { cwd: project, env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`osiris ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
};
const status = () => JSON.parse(osiris(['fleet', 'status', '--json'])).fleet;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startWorker(name) {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', QUEUE, '--name', name], {
    cwd: project,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise((resolve) => {
    let text = '';
    child.stderr.on('data', (c) => {
      text += c;
      if (text.includes(' serving ')) resolve();
    });
  });
  return child;
}

const results = [];
try {
  for (const count of WORKERS) {
    // The runs wait in the queue first: the clock measures the workers, not the submitting CLI.
    for (let i = 0; i < RUNS; i++)
      osiris(['run', 'pipelines/agg.yaml', '--target', 'queue', '--detach', '--json']);
    const workers = await Promise.all(Array.from({ length: count }, (_, i) => startWorker(`bench-${i + 1}`)));
    const started = Date.now();
    for (;;) {
      const s = status();
      const done = s.workers.reduce((n, w) => n + w.done + w.failed, 0);
      if (done >= RUNS && s.jobs.waiting + s.jobs.active === 0) {
        const failed = s.workers.reduce((n, w) => n + w.failed, 0);
        const wall = (Date.now() - started) / 1000;
        results.push({
          workers: count,
          runs: RUNS,
          rows: ROWS,
          wall_s: wall,
          runs_per_min: (RUNS / wall) * 60,
          failed,
        });
        console.log(
          `${count} worker(s): ${RUNS} runs in ${wall.toFixed(1)} s (${((RUNS / wall) * 60).toFixed(1)} runs/min), ${failed} failed`,
        );
        break;
      }
      await sleep(250);
    }
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => w.once('close', r))));
  }
  // The runs become records on the submitting machine (the sync a user's `runs list` does).
  const t = Date.now();
  osiris(['runs', 'list', '--limit', '1']);
  console.log(
    `syncing ${RUNS * WORKERS.length} runs into run records: ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  console.log(JSON.stringify({ bench: 'fleet', cores: (await import('node:os')).cpus().length, results }));
} finally {
  spawnSync('sh', ['-c', `redis-cli --scan --pattern '${PREFIX}:*' | xargs -r redis-cli del`], {
    stdio: 'ignore',
  });
  rmSync(project, { recursive: true, force: true });
}
