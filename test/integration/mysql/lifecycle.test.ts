// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipelines write ${params.x} references literally
/**
 * A run killed or stopped half-way, through the built CLI against the real MariaDB:
 *
 * - SIGKILL while the CSV writer fills its temp file: the next run of the pipeline marks the run abandoned
 *   in the index (logs list/show see it) and removes its temp file and scratch folder.
 * - SIGKILL while mysql.writer fills its staging table: `logs gc` lists it, `logs gc --apply` marks it and
 *   drops the staging table; the target never changed.
 * - SIGINT while the CSV writer writes: the temp file goes, the run is recorded `cancelled`, exit 130.
 * - SIGTERM while mysql.writer loads: the run cleans up, is recorded `cancelled`, and exits 143.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, spawnCli, tempDir } from '../../helpers/cli.js';
import { MYSQL, mysqlUnavailable } from '../../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();

const PIPELINE = `oml_version: "0.1.0"
name: lifecycle
params:
  rows: 10
steps:
  - id: gen
    component: duckdb.processor
    mode: transform
    config:
      query: SELECT i AS id, 'name ' || i || repeat('x', 40) AS name FROM range(\${params.rows}) t(i)
  - id: csv
    component: filesystem.csv_writer
    mode: write
    needs: [gen]
    config:
      path: out/data.csv
  - id: load
    component: mysql.writer
    mode: write
    needs: [gen]
    config:
      connection: "@mysql.main"
      table: target
      write_mode: replace
`;

interface ListJson {
  runs: Array<{ run_id: string; status: string; error_code?: string }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found !== undefined) return found;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(why !== undefined)('a run killed or stopped half-way (MySQL, CLI)', () => {
  let db: MysqlTestDb;
  let project: string;

  beforeAll(async () => {
    db = await createTestDb('osiris_lifecycle');
    await db.admin.query(`CREATE TABLE target (id BIGINT PRIMARY KEY, name VARCHAR(80));
      INSERT INTO target VALUES (1, 'before'), (2, 'before');`);
    project = tempDir('osiris-lifecycle-');
    writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
    writeFileSync(
      join(project, 'osiris_connections.yaml'),
      `version: "1.0"\nconnections:\n  mysql:\n    main:\n      host: ${MYSQL.host}\n      port: ${MYSQL.port}\n      database: ${db.name}\n      user: ${MYSQL.user}\n      password: "${MYSQL.password}"\n`,
    );
    writeFileSync(join(project, 'pipeline.yaml'), PIPELINE);
  });

  afterAll(async () => {
    await db?.drop();
  });

  const runFolder = (runDirsBefore: Set<string>) => {
    const base = join(project, 'run_logs', 'dev', 'lifecycle');
    const fresh = existsSync(base) ? readdirSync(base).filter((d) => !runDirsBefore.has(d)) : [];
    return fresh.length === 1 ? join(base, fresh[0] as string) : undefined;
  };
  const runIds = () => {
    const base = join(project, 'run_logs', 'dev', 'lifecycle');
    return new Set(existsSync(base) ? readdirSync(base) : []);
  };
  const start = (rows: number) =>
    // Killed before the test's own timeout, so a hang fails with the run's output instead of a bare timeout.
    spawnCli(['run', 'pipeline.yaml', '--param', `rows=${rows}`], { cwd: project, timeoutMs: 90_000 });
  const statusOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status;
  const sideTables = async () =>
    (
      await db.rows(
        `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '%\\_\\_osiris\\_%'`,
        [db.name],
      )
    ).map((r) => String(r.t));
  const listed = () => runCliJson<ListJson>(['logs', 'list', '--limit', '0'], { cwd: project }).json;

  it('SIGKILL mid CSV write: the next run marks it abandoned and removes its temp file and scratch', {
    timeout: 120_000,
  }, async () => {
    const before = runIds();
    const run = start(2_000_000);
    const dir = await waitFor(() => runFolder(before), 'the run folder');
    const out = join(project, 'out');
    const temp = await waitFor(
      () => (existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.tmp')) : undefined),
      'the CSV temp file',
    );
    run.child.kill('SIGKILL');
    await run.done;
    const runId = dir.split('/').pop() as string;
    expect(statusOf(dir)).toBe('running');
    expect(existsSync(join(out, temp))).toBe(true);
    expect(existsSync(join(dir, 'scratch'))).toBe(true);
    expect(runCli(['logs', 'show', runId], { cwd: project }).code).not.toBe(0);

    const next = runCli(['run', 'pipeline.yaml'], { cwd: project });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain(`run ${runId} was abandoned`);
    expect(existsSync(join(out, temp))).toBe(false);
    expect(existsSync(join(dir, 'scratch'))).toBe(false);
    expect(statusOf(dir)).toBe('abandoned');
    const record = listed()?.runs.find((r) => r.run_id === runId);
    expect(record).toMatchObject({ status: 'abandoned', error_code: 'runtime.abandoned' });
    const show = runCliJson<{ status: { status: string; steps: Array<{ id: string; status: string }> } }>(
      ['logs', 'show', runId],
      { cwd: project },
    );
    expect(show.code).toBe(0);
    expect(show.json?.status.status).toBe('abandoned');
    expect(show.json?.status.steps.map((s) => [s.id, s.status])).toEqual([
      ['gen', 'succeeded'],
      ['csv', 'failed'],
      ['load', 'skipped'],
    ]);
    // Swept once: a third run finds nothing more to do.
    expect(runCli(['run', 'pipeline.yaml'], { cwd: project }).stdout).not.toContain('abandoned');
  });

  it('SIGKILL mid MySQL load: logs gc lists it, gc --apply drops the staging table; the target is unchanged', {
    timeout: 120_000,
  }, async () => {
    const fingerprint = await db.fingerprint('target');
    const before = runIds();
    const run = start(1_000_000);
    const dir = await waitFor(() => runFolder(before), 'the run folder');
    const [stage] = await waitFor(async () => {
      const found = await sideTables();
      return found.length ? found : undefined;
    }, 'the staging table');
    run.child.kill('SIGKILL');
    await run.done;
    const runId = dir.split('/').pop() as string;
    expect(stage).toMatch(/^target__osiris_stage_[0-9a-f]+$/);
    expect(await db.fingerprint('target')).toEqual(fingerprint);

    const dry = runCli(['logs', 'gc'], { cwd: project });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would mark run ${runId} abandoned`);
    expect(dry.stdout).toContain(`${db.name}.${stage}`);
    expect(await sideTables()).toEqual([stage]); // a dry run changes nothing
    expect(statusOf(dir)).toBe('running');

    const gc = runCli(['logs', 'gc', '--apply'], { cwd: project });
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`marked run ${runId} abandoned`);
    expect(await sideTables()).toEqual([]);
    expect(await db.fingerprint('target')).toEqual(fingerprint);
    expect(existsSync(join(dir, 'scratch'))).toBe(false);
    expect(listed()?.runs.find((r) => r.run_id === runId)?.status).toBe('abandoned');
  });

  it('SIGINT mid CSV write: removes the temp file, records the run cancelled, exits 130', {
    timeout: 120_000,
  }, async () => {
    const before = runIds();
    const run = start(2_000_000);
    const dir = await waitFor(() => runFolder(before), 'the run folder');
    const out = join(project, 'out');
    const temp = await waitFor(
      () => (existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.tmp')) : undefined),
      'the CSV temp file',
    );
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(130);
    expect(existsSync(join(out, temp))).toBe(false);
    expect(statusOf(dir)).toBe('cancelled');
    const steps = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).steps;
    // The CSV step is stopped mid-COPY (failed), or just finished; either way nothing new starts.
    expect(steps.map((s: { status: string }) => s.status)).toEqual([
      'succeeded',
      expect.stringMatching(/^(failed|succeeded)$/),
      'skipped',
    ]);
  });

  it('SIGTERM mid MySQL load: cleans up, records the run cancelled, exits 143', {
    timeout: 120_000,
  }, async () => {
    const fingerprint = await db.fingerprint('target');
    const before = runIds();
    const run = start(1_000_000);
    const dir = await waitFor(() => runFolder(before), 'the run folder');
    await waitFor(async () => ((await sideTables()).length ? true : undefined), 'the staging table');
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.timedOut, done.stderr).toBe(false);
    expect(done.code, done.stderr).toBe(143);
    expect(done.stderr).toContain('runtime.cancelled');
    expect(statusOf(dir)).toBe('cancelled');
    expect(await sideTables()).toEqual([]);
    expect(existsSync(join(dir, 'scratch'))).toBe(false);
    expect(await db.fingerprint('target')).toEqual(fingerprint);
    const runId = dir.split('/').pop() as string;
    expect(listed()?.runs.find((r) => r.run_id === runId)?.status).toBe('cancelled');
  });
});
