// Start-up cost of the CLI against the floor of `node -e 0`, measured in the same run, round robin (one run of
// every case per repetition, so contention from other work falls on all cases alike). Results:
// docs/benchmarks.md ("Start-up").
//
// Usage: node bench/startup.mjs
// Env:   RUNS=7      repetitions per case (the median is reported)
//        NODE=node   the Node.js binary measured (e.g. a Node 22 to see its module compile cache at work)
//        BEFORE=/path/to/other/checkout/bin/osiris.js   also measure that build's osiris cases, in the same
//                    rounds (a before/after comparison; that checkout must be built)
//        BENCH_MYSQL_HOST/PORT/USER/PASSWORD (127.0.0.1 3306 root ''), BENCH_PG_HOST/PORT/USER/PASSWORD/DATABASE
//        (127.0.0.1 5432 postgres '' test); KEEP=1 keeps the temp project and the bench tables.
//
// CPU time (user + sys of the child, from GNU time) is the metric to trust on a shared machine: wall time also
// counts the time spent waiting for a core. Goals (issue 14): `osiris --help` and a 10-row copy through
// `osiris run` cost at most 2× the CPU of `node -e 0`, and at most 0.35 s wall.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const osiris = join(root, 'bin', 'osiris.js');
const env = process.env;
const RUNS = Number(env.RUNS ?? 7);
const NODE = env.NODE ?? 'node';
const CPU_GOAL = 2;
const WALL_GOAL_S = 0.35;
const MY_DB = 'osiris_bench_startup';
const PG_TABLE = 'osiris_bench_startup_t10';

const work = mkdtempSync(join(tmpdir(), 'osiris-startup-'));
const project = join(work, 'project');
mkdirSync(project);

/** A project with a 10-row CSV, a CSV → CSV pipeline and a MySQL → Postgres one. */
function writeProject() {
  const rows = Array.from({ length: 10 }, (_, i) => `${i + 1},name ${i + 1},${i + 1}.50`);
  writeFileSync(join(project, 'in.csv'), `id,name,amount\n${rows.join('\n')}\n`);
  writeFileSync(
    join(project, 'csv_copy.yaml'),
    `oml_version: "0.1.0"
name: startup-csv-copy
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config: {path: in.csv}
  - id: write
    component: filesystem.csv_writer
    mode: write
    config: {path: out.csv}
`,
  );
  writeFileSync(
    join(project, 'db_copy.yaml'),
    `oml_version: "0.1.0"
name: startup-db-copy
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config: {connection: "@mysql.src", table: t10}
  - id: load
    component: postgres.writer
    mode: write
    config: {connection: "@postgres.dst", table: ${PG_TABLE}, write_mode: replace, create_if_missing: true}
`,
  );
  writeFileSync(
    join(project, 'osiris_connections.yaml'),
    `version: "1.0"
connections:
  mysql:
    src:
      host: \${BENCH_MYSQL_HOST:-127.0.0.1}
      port: \${BENCH_MYSQL_PORT:-3306}
      database: ${MY_DB}
      user: \${BENCH_MYSQL_USER:-root}
      password: \${BENCH_MYSQL_PASSWORD:-}
  postgres:
    dst:
      host: \${BENCH_PG_HOST:-127.0.0.1}
      port: \${BENCH_PG_PORT:-5432}
      database: \${BENCH_PG_DATABASE:-test}
      user: \${BENCH_PG_USER:-postgres}
      password: \${BENCH_PG_PASSWORD:-}
`,
  );
}

function mysqlOptions() {
  return {
    host: env.BENCH_MYSQL_HOST ?? '127.0.0.1',
    port: Number(env.BENCH_MYSQL_PORT ?? 3306),
    user: env.BENCH_MYSQL_USER ?? 'root',
    password: env.BENCH_MYSQL_PASSWORD ?? '',
  };
}

function pgClient() {
  return new pg.Client({
    host: env.BENCH_PG_HOST ?? '127.0.0.1',
    port: Number(env.BENCH_PG_PORT ?? 5432),
    user: env.BENCH_PG_USER ?? 'postgres',
    password: env.BENCH_PG_PASSWORD ?? '',
    database: env.BENCH_PG_DATABASE ?? 'test',
  });
}

async function createSource() {
  const my = await mysql.createConnection(mysqlOptions());
  await my.query(`DROP DATABASE IF EXISTS ${MY_DB}`);
  await my.query(`CREATE DATABASE ${MY_DB}`);
  await my.query(`CREATE TABLE ${MY_DB}.t10 (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2))`);
  const values = Array.from({ length: 10 }, (_, i) => `(${i + 1}, 'name ${i + 1}', ${i + 1}.5)`);
  await my.query(`INSERT INTO ${MY_DB}.t10 VALUES ${values.join(',')}`);
  await my.end();
}

async function dropBenchTables() {
  const my = await mysql.createConnection(mysqlOptions());
  await my.query(`DROP DATABASE IF EXISTS ${MY_DB}`);
  await my.end();
  const client = pgClient();
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS public.${PG_TABLE}`);
  await client.end();
}

const OSIRIS_CASES = [
  { name: 'osiris --help', args: ['--help'], goal: true },
  { name: 'osiris --version', args: ['--version'] },
  { name: 'osiris validate (CSV → CSV)', args: ['validate', 'csv_copy.yaml'] },
  { name: 'osiris run CSV → CSV, 10 rows', args: ['run', 'csv_copy.yaml'], goal: true },
  { name: 'osiris run MySQL → Postgres, 10 rows', args: ['run', 'db_copy.yaml'], goal: true },
];
const CASES = [
  { name: 'node -e 0', args: ['-e', '0'] },
  ...OSIRIS_CASES.map((c) => ({ ...c, args: [osiris, ...c.args] })),
  ...(env.BEFORE
    ? OSIRIS_CASES.map((c) => ({ name: `${c.name} (before)`, args: [env.BEFORE, ...c.args] }))
    : []),
];

/** One run under GNU time: wall seconds and CPU seconds (user + sys). A failing command stops the bench. */
function measure(args) {
  const timeFile = join(work, 'time.txt');
  const result = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S', NODE, ...args], {
    cwd: project,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}\n${result.stderr}\nstartup bench: failed: ${args.join(' ')}\n`);
    process.exit(1);
  }
  const [wall, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

writeProject();
await createSource();
try {
  const samples = CASES.map(() => ({ wall: [], cpu: [] }));
  measure(CASES[1].args); // warm the page cache (and a compile cache, where Node has one) before timing
  for (let r = 0; r < RUNS; r++) {
    CASES.forEach((c, i) => {
      const m = measure(c.args);
      samples[i].wall.push(m.wall);
      samples[i].cpu.push(m.cpu);
    });
  }
  const version = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(
    `machine: ${(await import('node:os')).cpus().length} cores, ${process.platform}, node ${version}`,
  );
  console.log(
    `median of ${RUNS}, round robin; goal: CPU ≤ ${CPU_GOAL}× the floor and wall ≤ ${WALL_GOAL_S} s\n`,
  );
  console.log('| case | wall s | CPU s | CPU / floor | goal met |');
  console.log('|---|---:|---:|---:|---|');
  const floor = median(samples[0].cpu);
  CASES.forEach((c, i) => {
    const wall = median(samples[i].wall);
    const cpu = median(samples[i].cpu);
    const ratio = cpu / floor;
    const met = c.goal ? (ratio <= CPU_GOAL && wall <= WALL_GOAL_S ? 'yes' : 'no') : '—';
    console.log(`| ${c.name} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${ratio.toFixed(1)}× | ${met} |`);
  });
} finally {
  if (env.KEEP !== '1') {
    await dropBenchTables();
    rmSync(work, { recursive: true, force: true });
  } else console.log(`\nkept: ${work}`);
}
