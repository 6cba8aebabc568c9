/**
 * Incremental extraction through the built CLI on the real servers (docs/reference/incremental.md): three
 * MySQL → Postgres upsert runs over a table that grows and changes (exactly the new and changed rows, the
 * lookback catching a late row), a failing writer that leaves the state where it was, a SIGKILL mid-load
 * and a rerun (nothing lost or doubled), Postgres → MySQL with a wrapped query and an in-transaction append,
 * a CSV target merging its lookback by primary_key, and `osiris state list/show/reset` and `--full-refresh`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli, runCliJson, spawnCli, tempDir } from '../helpers/cli.js';
import { MYSQL, mysqlUnavailable, POSTGRES, postgresUnavailable, uniqueName } from '../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './mysql/helpers.js';

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const md5 = (rows: unknown[]) => createHash('md5').update(JSON.stringify(rows)).digest('hex');

const M2P = `oml_version: "0.1.0"
name: incr-orders
steps:
  - id: orders
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.src"
      table: orders
      incremental: { cursor: updated_at, initial: "2024-01-01", lookback: "1 hour" }
  - id: load
    component: postgres.writer
    mode: write
    needs: [orders]
    config:
      connection: "@postgres.dst"
      table: orders
      write_mode: upsert
      primary_key: [id]
`;

const P2M = `oml_version: "0.1.0"
name: incr-events
steps:
  - id: events
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.dst"
      query: SELECT id, kind FROM events WHERE kind <> 'noise'
      incremental: { cursor: id, initial: 0 }
  - id: land
    component: mysql.writer
    mode: write
    needs: [events]
    config:
      connection: "@mysql.src"
      table: events_copy
      write_mode: append
`;

const M2F = `oml_version: "0.1.0"
name: incr-file
steps:
  - id: orders
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.src"
      table: orders
      incremental: { cursor: updated_at, lookback: "1 hour" }
  - id: csv
    component: filesystem.csv_writer
    mode: write
    needs: [orders]
    config:
      path: out/orders.csv
      primary_key: [id]
`;

describe.skipIf(why !== undefined)('incremental extraction (CLI, MySQL ⇄ Postgres, files)', () => {
  let my: MysqlTestDb;
  let admin: pg.Client;
  let schema: string;
  let project: string;

  const run = (file: string, ...flags: string[]) =>
    runCliJson<{ status: string; run_dir: string; aiop_path: string }>(['run', file, ...flags], {
      cwd: project,
    });
  const ok = (r: { code: number; stderr: string; stdout: string }) =>
    expect(r.code, r.stderr + r.stdout).toBe(0);
  const source = async () =>
    (
      await my.rows(
        "SELECT id, CAST(amount AS CHAR) AS amount, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS updated_at FROM orders ORDER BY id",
      )
    ).map((r) => [Number(r.id), String(r.amount), String(r.updated_at)]);
  const target = async () =>
    (
      await admin.query(
        `SELECT id, amount::text AS amount, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US') AS updated_at FROM "${schema}".orders ORDER BY id`,
      )
    ).rows.map((r) => [Number(r.id), String(r.amount), String(r.updated_at)]);
  const pgState = async () =>
    (
      await admin.query(
        `SELECT cursor_value FROM "${schema}".osiris_state WHERE pipeline_id = 'incr-orders' AND step_id = 'orders'`,
      )
    ).rows[0]?.cursor_value as string | undefined;
  /** The events of a run, from the run folder its `--json` result names. */
  const eventsOf = (r: { json?: { run_dir?: string } | undefined }): Record<string, unknown>[] =>
    readFileSync(join(r.json?.run_dir as string, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  /** A SHARE lock on the target: a load waits on it before it can commit, so a test can act mid-load. */
  const holdLoad = async () => {
    const locker = new pg.Client({ ...POSTGRES });
    await locker.connect();
    await locker.query(`BEGIN; LOCK TABLE "${schema}".orders IN SHARE MODE`);
    return {
      release: async () => {
        await locker.query('ROLLBACK');
        await locker.end();
      },
    };
  };
  const loadSessions = async () =>
    (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'osiris load'`)).rowCount ??
    0;
  /** Whether the `load` step's session came to wait on that lock (within 20 s). */
  const waitForLoad = async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const r = await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = 'osiris load' AND wait_event_type = 'Lock'`,
      );
      if ((r.rowCount ?? 0) > 0) return true;
      await sleep(25);
    }
    return false;
  };

  beforeAll(async () => {
    my = await createTestDb('incr');
    admin = new pg.Client({ ...POSTGRES });
    await admin.connect();
    schema = uniqueName('incr');
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(
      `CREATE TABLE "${schema}".orders (id int PRIMARY KEY, amount numeric(10,2), updated_at timestamp(6));
       CREATE TABLE "${schema}".events (id bigint PRIMARY KEY, kind text);
       INSERT INTO "${schema}".events SELECT i, CASE WHEN i % 5 = 0 THEN 'noise' ELSE 'k' || i END FROM generate_series(1, 20) i;`,
    );
    await my.admin.query(
      `CREATE TABLE orders (id INT PRIMARY KEY, amount DECIMAL(10,2), updated_at DATETIME(6));
       INSERT INTO orders VALUES (1, 10.00, '2024-02-01 10:00:00'), (2, 20.00, '2024-02-02 10:00:00'),
         (3, 30.00, '2024-02-03 10:00:00'), (4, 1.00, '2023-12-31 23:00:00');`,
    );
    project = tempDir('osiris-incr-');
    writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
    writeFileSync(
      join(project, 'osiris_connections.yaml'),
      `version: "1.0"
connections:
  mysql:
    src: { host: ${MYSQL.host}, port: ${MYSQL.port}, user: ${MYSQL.user}, password: "", database: ${my.name} }
  postgres:
    dst: { host: ${POSTGRES.host}, port: ${POSTGRES.port}, database: ${POSTGRES.database}, user: ${POSTGRES.user}, password: "", schema: ${schema} }
`,
    );
    writeFileSync(join(project, 'm2p.yaml'), M2P);
    writeFileSync(join(project, 'p2m.yaml'), P2M);
    writeFileSync(join(project, 'm2f.yaml'), M2F);
  });

  afterAll(async () => {
    await my?.drop();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('MySQL → Postgres: new and changed rows only, state moves only on success, survives SIGKILL', {
    timeout: 60_000,
  }, async () => {
    // Run 1: from `initial` (inclusive): row 4 is older and stays behind.
    const run1 = run('m2p.yaml');
    ok(run1);
    expect((await target()).map((r) => r[0])).toEqual([1, 2, 3]);
    expect(await pgState()).toBe('2024-02-03 10:00:00');
    const first = eventsOf(run1).find((e) => e.event === 'incremental.window');
    expect(first).toMatchObject({
      origin: 'initial',
      from: '2024-01-01',
      rows: 3,
      to: '2024-02-03 10:00:00',
    });

    // Run 2: a new row, a changed row, and a late row 30 minutes behind the state (the lookback's catch).
    await my.admin.query(
      `INSERT INTO orders VALUES (5, 50.00, '2024-02-05 10:00:00'), (6, 60.00, '2024-02-03 09:30:00');
       UPDATE orders SET amount = 11.00, updated_at = '2024-02-04 10:00:00' WHERE id = 1;`,
    );
    const run2 = run('m2p.yaml');
    ok(run2);
    const second = eventsOf(run2);
    expect(second.find((e) => e.event === 'incremental.window')).toMatchObject({
      origin: 'state',
      from: '2024-02-03 10:00:00',
      lookback: '1 hour',
      rows: 4, // 3 (inside the lookback), 6 (late), 1 (changed), 5 (new)
    });
    expect(second.find((e) => e.event === 'incremental.state_committed')).toMatchObject({
      step_id: 'load',
      value: '2024-02-05 10:00:00',
      in_transaction: true,
    });
    // The HTML report and AIOP show the window and the committed cursor.
    const runId = run2.json?.run_dir.split('/').pop() as string;
    ok(runCli(['logs', 'html', runId], { cwd: project }));
    const html = readFileSync(join(run2.json?.run_dir as string, 'report.html'), 'utf8');
    expect(html).toContain('id="incremental"');
    expect(html).toContain('2024-02-05 10:00:00');
    const aiop = JSON.parse(readFileSync(run2.json?.aiop_path as string, 'utf8')) as {
      narrative: { paragraphs: { sentences: { text: string }[] }[] };
    };
    const told = aiop.narrative.paragraphs.flatMap((p) => p.sentences.map((x) => x.text)).join('\n');
    expect(told).toContain(
      'It read incrementally (state): `updated_at` > 2024-02-03 10:00:00 minus a lookback of 1 hour',
    );
    expect(told).toContain('in the same transaction as the rows');
    const expectedRows = (await source()).filter((r) => r[0] !== 4);
    expect(await target()).toEqual(expectedRows);

    // Run 3 fails after the read (a CHECK on the target): nothing lands, the state stays.
    await admin.query(`ALTER TABLE "${schema}".orders ADD CONSTRAINT small CHECK (amount < 1000)`);
    await my.admin.query(`INSERT INTO orders VALUES (7, 5000.00, '2024-02-07 10:00:00')`);
    const failed = run('m2p.yaml');
    expect(failed.code).toBe(1);
    expect(await pgState()).toBe('2024-02-05 10:00:00');
    expect(await target()).toEqual(expectedRows);
    await admin.query(`ALTER TABLE "${schema}".orders DROP CONSTRAINT small`);

    // Run 4 is killed mid-load (held by a SHARE lock on the target), then rerun: every row exactly once.
    await my.admin.query(`INSERT INTO orders VALUES (8, 80.00, '2024-02-08 10:00:00')`);
    const lock = await holdLoad();
    const killed = spawnCli(['run', 'm2p.yaml'], { cwd: project });
    try {
      expect(await waitForLoad(), 'the load waits on the lock').toBe(true);
      killed.child.kill('SIGKILL');
      await killed.done;
    } finally {
      await lock.release();
    }
    // The killed client's server session ends (rolled back) once it finds its socket closed.
    for (let i = 0; i < 200 && (await loadSessions()) > 0; i++) await sleep(25);
    expect(await pgState()).toBe('2024-02-05 10:00:00');
    // A cursor moved by someone else between this run's read and its commit: the load rolls back.
    const held = await holdLoad();
    const racing = spawnCli(['run', 'm2p.yaml'], { cwd: project });
    try {
      expect(await waitForLoad(), 'the load waits on the lock').toBe(true);
      await admin.query(`UPDATE "${schema}".osiris_state SET cursor_value = '2024-02-06 00:00:00'`);
    } finally {
      await held.release();
    }
    const raced = await racing.done;
    expect(raced.code, raced.stdout).toBe(1);
    expect(raced.stdout + raced.stderr).toContain('state.conflict');
    expect(await target()).toEqual(expectedRows);
    await admin.query(`UPDATE "${schema}".osiris_state SET cursor_value = '2024-02-05 10:00:00'`);
    ok(run('m2p.yaml'));
    const all = (await source()).filter((r) => r[0] !== 4);
    const landed = await target();
    expect({ count: landed.length, md5: md5(landed) }).toEqual({ count: all.length, md5: md5(all) });
    expect(await pgState()).toBe('2024-02-08 10:00:00');
  });

  it('Postgres → MySQL: a wrapped query, appended in the transaction that stores the state', {
    timeout: 30_000,
  }, async () => {
    ok(run('p2m.yaml'));
    await admin.query(`INSERT INTO "${schema}".events SELECT i, 'k' || i FROM generate_series(21, 25) i`);
    ok(run('p2m.yaml'));
    const count = async () => Number((await my.rows('SELECT COUNT(*) AS n FROM events_copy'))[0]?.n);
    expect(await count()).toBe(21); // 16 + 5, nothing read twice
    const [state] = await my.rows(
      "SELECT cursor_value, cursor_kind FROM osiris_state WHERE pipeline_id = 'incr-events' AND target_step = 'land'",
    );
    expect(state).toEqual({ cursor_value: '25', cursor_kind: 'number' });
    // --full-refresh reads everything again; the append becomes a replace, so still no duplicate.
    const refreshed = run('p2m.yaml', '--full-refresh');
    ok(refreshed);
    expect(await count()).toBe(21);
    expect(eventsOf(refreshed).find((e) => e.event === 'incremental.full_refresh')).toMatchObject({
      write_mode: 'replace',
    });
    // The same on an isolated worker process: the flag travels in the worker protocol's run message.
    const remote = run('p2m.yaml', '--full-refresh', '--target', 'process');
    ok(remote);
    expect(await count()).toBe(21);
    expect(eventsOf(remote).find((e) => e.event === 'incremental.full_refresh')).toBeDefined();
  });

  it('a CSV target merges the lookback window by primary_key; state commits after the rename', {
    timeout: 30_000,
  }, async () => {
    ok(run('m2f.yaml'));
    await my.admin.query(`UPDATE orders SET amount = 81.00, updated_at = '2024-02-08 10:30:00' WHERE id = 8`);
    ok(run('m2f.yaml'));
    const lines = readFileSync(join(project, 'out', 'orders.csv'), 'utf8')
      .trim()
      .split('\n');
    const ids = lines.slice(1).map((l) => Number(l.split(',')[0]));
    expect(ids.length).toBe(new Set(ids).size); // the re-read rows replaced their old copies
    expect(ids.sort((a, b) => a - b)).toEqual((await source()).map((r) => r[0]));
    expect(lines).toContain('8,81.00,2024-02-08 10:30:00');
    const stored = JSON.parse(
      readFileSync(join(project, '.osiris', 'state', 'incr-file', 'orders--csv.json'), 'utf8'),
    ) as { state: { cursor_value: string }; store: { kind: string } };
    expect(stored).toMatchObject({ state: { cursor_value: '2024-02-08 10:30:00' }, store: { kind: 'file' } });
  });

  it('osiris state list / show / reset', { timeout: 30_000 }, () => {
    const list = runCliJson<{ states: { pipeline: string; step: string; writer: string; store: string }[] }>(
      ['state', 'list'],
      { cwd: project },
    );
    ok(list);
    expect(list.json?.states.map((s) => `${s.pipeline}/${s.step}/${s.writer}`)).toEqual([
      'incr-events/events/land',
      'incr-file/orders/csv',
      'incr-orders/orders/load',
    ]);
    const show = runCli(['state', 'show', 'incr-orders', 'orders'], { cwd: project });
    ok(show);
    expect(show.stdout).toContain('updated_at = 2024-02-08 10:00:00');
    expect(show.stdout).toContain(`${schema}.osiris_state`);
    const dry: CliResult = runCli(['state', 'reset', 'incr-orders', 'orders'], { cwd: project });
    ok(dry);
    expect(dry.stdout).toContain('pass --apply');
    ok(runCli(['state', 'reset', 'incr-orders', 'orders', '--apply'], { cwd: project }));
    const gone = runCli(['state', 'show', 'incr-orders', 'orders'], { cwd: project });
    expect(gone.code).toBe(2);
    expect(gone.stderr + gone.stdout).toContain('state.not_found');
  });
});
