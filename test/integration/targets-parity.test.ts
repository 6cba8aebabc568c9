/**
 * Parity of execution targets (issue 15): the same pipelines run through the CLI on every target in TARGETS,
 * and everything a user or an AI sees is diffed against the local run after normalising what must differ
 * (timestamps, durations, ids, the environment badge): output files cell by cell, database rows, the event
 * sequence (names and step ids), metric names, status.json and the AIOP's structure. A new target adds one
 * entry to TARGETS.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCliAsync, tempDir } from '../helpers/cli.js';
import { mysqlUnavailable, postgresUnavailable } from '../helpers/databases.js';
import { REMOTE_TARGETS as TARGETS } from '../helpers/targets.js';
import { createTestDb, type MysqlTestDb } from './mysql/helpers.js';
import { openPgFixture, type PgFixture } from './postgres/helpers.js';

interface RunView {
  code: number;
  envelope: { status?: string; error?: { code?: string; location?: string } };
  events: string[];
  metrics: string[];
  status: unknown;
  aiop: string[];
  files: Record<string, string[][]>;
  adapter: string | undefined;
}

const TIME = /^\d{4}-\d\d-\d\dT[\d:.]+Z$/;
const RUN_ID = /\d{8}T\d{6}Z-[a-z0-9]{8}/g;

/** Timestamps, durations, ids, the project folder and the badge out; everything else kept. */
function normalise(value: unknown, swap: [string | RegExp, string][] = [], key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, swap));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !['adapter', 'worker_id', 'peak_rss_bytes'].includes(k))
        .map(([k, v]) => [k, normalise(v, swap, k)]),
    );
  if (typeof value === 'number' && /duration|_ms$|elapsed/.test(key)) return 0;
  if (typeof value !== 'string') return value;
  if (TIME.test(value)) return 'T';
  return swap.reduce((s, [from, to]) => s.replaceAll(from, to), value.replace(RUN_ID, 'RUN'));
}

/** Paths of an object's keys (arrays collapsed): the AIOP's structure without its values. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => keyPaths(v, `${prefix}[]`)))];
  if (value && typeof value === 'object')
    return Object.entries(value)
      .filter(([k]) => k !== 'worker_id')
      .flatMap(([k, v]) => [`${prefix}.${k}`, ...keyPaths(v, `${prefix}.${k}`)]);
  return [];
}

function onlyDir(dir: string): string {
  const found = (readdirSync(dir, { recursive: true }) as string[]).find((f) => f.endsWith('status.json'));
  if (!found) throw new Error(`no run in ${dir}`);
  return join(dir, found, '..');
}

async function runOn(
  target: string,
  template: string,
  pipeline: string,
  outputs: string[],
  env: Record<string, string>,
  swap: [string | RegExp, string][] = [],
): Promise<RunView> {
  const project = tempDir(`osiris-worker-parity-${target}-`);
  cpSync(template, project, { recursive: true });
  await TARGETS.find((t) => t.name === target)?.useProject?.(project, env);
  const res = await runCliAsync(['run', pipeline, '--target', target, '--json'], { cwd: project, env });
  const runDir = onlyDir(join(project, 'run_logs'));
  const lines = (file: string) =>
    readFileSync(join(runDir, file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const events = lines('events.jsonl');
  const swaps: [string | RegExp, string][] = [[project, 'PROJECT'], ...swap];
  const aiopFile = (readdirSync(join(project, 'aiop'), { recursive: true }) as string[]).find((f) =>
    f.endsWith('summary.json'),
  );
  return {
    code: res.code,
    envelope: normalise(JSON.parse(res.stdout), swaps) as RunView['envelope'],
    events: events.map((e) => `${e.event}${e.step_id ? ` ${e.step_id}` : ''}`),
    metrics: [...new Set(lines('metrics.jsonl').map((m) => `${m.metric} ${m.step_id ?? ''}`))].sort(),
    status: normalise(JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')), swaps),
    aiop: aiopFile ? keyPaths(JSON.parse(readFileSync(join(project, 'aiop', aiopFile), 'utf8'))).sort() : [],
    files: Object.fromEntries(
      outputs.map((f) => [
        f,
        existsSync(join(project, f))
          ? readFileSync(join(project, f), 'utf8')
              .trim()
              .split('\n')
              .map((l) => l.split(','))
          : [],
      ]),
    ),
    adapter: events.find((e) => e.event === 'run_start')?.adapter as string | undefined,
  };
}

/** Runs on local and every target; asserts parity; returns the local view for case-specific checks. */
async function expectParity(
  template: string,
  pipeline: string,
  outputs: string[],
  env: (target: string) => Record<string, string> = () => ({}),
  swap: [string | RegExp, string][] = [],
): Promise<RunView> {
  const local = await runOn('local', template, pipeline, outputs, env('local'), swap);
  expect(local.adapter).toBe('local');
  for (const target of TARGETS) {
    const targetEnv = { ...env(target.name), ...target.env?.() };
    const remote = await runOn(target.name, template, pipeline, outputs, targetEnv, swap);
    expect(remote.adapter, target.name).toBe(target.name);
    const { adapter: _a, ...l } = local;
    const { adapter: _b, ...r } = remote;
    expect(r, `${target.name} vs local`).toEqual(l);
  }
  return local;
}

function project(files: Record<string, string>): string {
  const dir = tempDir('osiris-worker-parity-tpl-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const CSV_STEP = (id: string, path: string) =>
  `  - id: ${id}\n    component: filesystem.csv_extractor\n    mode: read\n    config:\n      path: ${path}\n`;
const SQL_STEP = (id: string, needs: string[], query: string) =>
  `  - id: ${id}\n    component: duckdb.processor\n    mode: transform\n    needs: [${needs.join(', ')}]\n    config:\n      query: "${query}"\n`;
const CSV_WRITER = (id: string, needs: string, path: string) =>
  `  - id: ${id}\n    component: filesystem.csv_writer\n    mode: write\n    needs: [${needs}]\n    config:\n      path: ${path}\n`;

describe('targets parity (files)', () => {
  it('the movies demo: same files cell by cell, events, metrics, status, AIOP', async () => {
    const tpl = tempDir('osiris-worker-parity-movies-');
    cpSync(join(REPO_ROOT, 'examples/movies'), join(tpl, 'examples/movies'), {
      recursive: true,
      // Not the outputs of a demo run in this checkout: the tests check what a run writes.
      filter: (src) => !src.includes('/examples/movies/output'),
    });
    const local = await expectParity(tpl, 'examples/movies/director_stats.yaml', [
      'examples/movies/output/director_stats.csv',
    ]);
    expect(local.code).toBe(0);
    expect(local.files['examples/movies/output/director_stats.csv']?.length).toBe(25);
  });

  const JOIN = project({
    'data/a.csv': 'id,name\n1,ada\n2,bob\n3,cy\n',
    'data/b.csv': 'id,score\n1,10\n2,20\n',
    'data/c.csv': 'id,team\n1,red\n3,blue\n',
    'join.yaml': `oml_version: "0.1.0"\nname: three-way\nsteps:\n${CSV_STEP('a', 'data/a.csv')}${CSV_STEP('b', 'data/b.csv')}${CSV_STEP('c', 'data/c.csv')}${SQL_STEP('j', ['a', 'b', 'c'], 'SELECT a.id, a.name, b.score, c.team FROM df_a a LEFT JOIN df_b b USING (id) LEFT JOIN df_c c USING (id) ORDER BY a.id')}${CSV_WRITER('out', 'j', 'out/joined.csv')}`,
  });

  it('a three-input join wires every input on every target', async () => {
    const local = await expectParity(JOIN, 'join.yaml', ['out/joined.csv']);
    expect(local.files['out/joined.csv']).toEqual([
      ['id', 'name', 'score', 'team'],
      ['1', 'ada', '10', 'red'],
      ['2', 'bob', '20', ''],
      ['3', 'cy', '', 'blue'],
    ]);
  });

  it('a failing SQL step stops the run at the first failure, on every target', async () => {
    const tpl = project({
      'data/a.csv': 'id\n1\n',
      'bad.yaml': `oml_version: "0.1.0"\nname: bad-sql\nsteps:\n${CSV_STEP('a', 'data/a.csv')}${SQL_STEP('boom', ['a'], "SELECT CAST('x' || id AS INTEGER) AS n FROM df_a")}${CSV_WRITER('out', 'boom', 'out/never.csv')}`,
    });
    const local = await expectParity(tpl, 'bad.yaml', ['out/never.csv']);
    expect(local.code).toBe(1);
    expect(local.events).toContain('step_skipped out');
    expect(local.files['out/never.csv']).toEqual([]);
  });

  it('a failing writer fails the same way and leaves nothing behind', async () => {
    // The writer's folder is a file the pipeline itself reads, so it exists wherever the run executes.
    const tpl = project({
      'data/a.csv': 'id\n1\n',
      'w.yaml': `oml_version: "0.1.0"\nname: bad-writer\nsteps:\n${CSV_STEP('a', 'data/a.csv')}${CSV_WRITER('out', 'a', 'data/a.csv/out.csv')}`,
    });
    const local = await expectParity(tpl, 'w.yaml', []);
    expect(local.code).toBe(1);
    expect(local.envelope.error?.code).toBe('write.failed');
  });
});

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable());

describe.skipIf(why !== undefined)('targets parity (MySQL → Postgres, pass-through)', () => {
  let my: MysqlTestDb;
  let pg: PgFixture;
  beforeAll(async () => {
    my = await createTestDb('worker_parity');
    pg = await openPgFixture();
    await my.admin.query(readFileSync(join(REPO_ROOT, 'examples/mysql-to-postgres/seed.sql'), 'utf8'));
    for (const target of ['local', ...TARGETS.map((t) => t.name)])
      await pg.exec(`CREATE SCHEMA "${pg.schema}_${target}"`);
  });
  afterAll(async () => {
    for (const target of ['local', ...TARGETS.map((t) => t.name)])
      await pg?.exec(`DROP SCHEMA IF EXISTS "${pg.schema}_${target}" CASCADE`);
    await my?.drop();
    await pg?.close();
  });

  it('copies the same rows from where each worker runs', async () => {
    const tpl = project({
      'osiris_connections.yaml': readFileSync(
        join(REPO_ROOT, 'examples/mysql-to-postgres/osiris_connections.yaml'),
        'utf8',
      ),
      'copy.yaml': `oml_version: "0.1.0"\nname: copy-users\nsteps:\n  - id: extract\n    component: mysql.extractor\n    mode: read\n    config:\n      connection: "@mysql.shop"\n      table: users\n  - id: load\n    component: postgres.writer\n    mode: write\n    needs: [extract]\n    config:\n      connection: "@postgres.warehouse"\n      table: users\n      write_mode: replace\n      create_if_missing: true\n`,
    });
    // One schema per target, so each run writes its own table from where its worker runs.
    const schemas: string[] = [];
    const local = await expectParity(
      tpl,
      'copy.yaml',
      [],
      (target) => {
        const schema = `${pg.schema}_${target}`;
        schemas.push(schema);
        return { MYSQL_DATABASE: my.name, PG_SCHEMA: schema };
      },
      [[new RegExp(`${pg.schema}_\\w+`, 'g'), 'SCHEMA']],
    );
    expect(local.code).toBe(0);
    expect(local.events).toContain('pass_through extract');
    const dump = async (schema: string) => pg.rows(`SELECT * FROM "${schema}".users ORDER BY id`);
    const first = await dump(schemas[0] as string);
    expect(first.length).toBeGreaterThan(0);
    for (const schema of schemas.slice(1)) expect(await dump(schema)).toEqual(first);
  });
});
