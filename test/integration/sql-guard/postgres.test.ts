/**
 * The SQL guard against the real PostgreSQL: every attack of the corpus goes through the real extract path
 * (postgres.extractor) and the chat agent's `run_query`, is refused, and the database is unchanged — the
 * large object keeps its bytes, no advisory lock is held, the victim session is alive and heard no
 * notification, the sequence and the table did not move. A control shows the attacks are real: without the
 * guard, `lo_put` changes the large object inside `BEGIN READ ONLY`. Then the statement timeout, and the
 * read-only role of docs/reference/security.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/postgres.extractor/driver.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { runReadOnlyQuery } from '../../../src/discovery/query.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import { StepError } from '../../../src/runtime/driver.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { POSTGRES, postgresUnavailable, uniqueName } from '../../helpers/databases.js';
import { roleStatements } from '../../helpers/security-doc.js';
import { POSTGRES_ATTACKS } from '../../helpers/sql-attacks.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { openPgFixture, type PgFixture } from '../postgres/helpers.js';

const skip = await postgresUnavailable();

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.skipIf(skip)('the SQL guard on PostgreSQL', () => {
  let db: PgFixture;
  let tp: TestPlane;
  let victim: pg.Client;
  let victimPid: number;
  let project: ProjectConfig;
  let projectDir: string;
  const notifications: string[] = [];
  const channel = uniqueName('osiris_guard');
  const lock = 700_000_000 + Math.floor(Math.random() * 100_000_000);
  let oid: number;
  let controlOid: number;

  const fill = (sql: string) =>
    sql
      .replaceAll('{oid}', String(oid))
      .replaceAll('{pid}', String(victimPid))
      .replaceAll('{lock}', String(lock))
      .replaceAll('{seq}', db.q('seq'))
      .replaceAll('{table}', db.q('t'))
      .replaceAll("'osiris_guard'", `'${channel}'`)
      .replaceAll('osiris_guard,', `${channel},`);

  /** Everything an attack could have changed, read with the admin connection. */
  async function state() {
    const [lo] = await db.rows<{ bytes: string }>('SELECT encode(lo_get($1::oid), $2) AS bytes', [
      oid,
      'escape',
    ]);
    const [locks] = await db.rows<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1",
      [lock],
    );
    const [seq] = await db.rows(`SELECT last_value::text, is_called FROM ${db.q('seq')}`);
    const [alive] = (await victim.query('SELECT pg_backend_pid() AS pid')).rows as { pid: number }[];
    const [pwned] = await db.rows<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'osiris_pwned'",
      [db.schema],
    );
    return {
      lo: lo?.bytes,
      locks: locks?.n,
      seq,
      victim: alive?.pid,
      table: await db.fingerprint('t'),
      notifications: [...notifications],
      pwned: pwned?.n,
    };
  }

  beforeAll(async () => {
    db = await openPgFixture();
    tp = await openTestPlane();
    await db.exec(`CREATE TABLE ${db.q('t')} (id int); INSERT INTO ${db.q('t')} VALUES (1), (2), (3)`);
    await db.exec(`CREATE SEQUENCE ${db.q('seq')}`);
    await db.exec(
      `CREATE FUNCTION ${db.q('slow')}() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(100); RETURN 1; END $$`,
    );
    oid = (await db.rows<{ oid: number }>("SELECT lo_from_bytea(0, 'original'::bytea)::int AS oid"))[0]
      ?.oid as number;
    controlOid = (await db.rows<{ oid: number }>("SELECT lo_from_bytea(0, 'original'::bytea)::int AS oid"))[0]
      ?.oid as number;
    victim = new pg.Client({ ...POSTGRES });
    victim.on('error', () => undefined);
    await victim.connect();
    victimPid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    victim.on('notification', (n) => notifications.push(n.payload ?? ''));
    await victim.query(`LISTEN "${channel}"`);
    const dir = tempDir('osiris-guard-it-');
    projectDir = dir;
    writeFileSync(join(dir, 'osiris.yaml'), 'version: "2.0"\n');
    const fields = [
      `      host: ${POSTGRES.host}`,
      `      port: ${POSTGRES.port}`,
      `      database: ${POSTGRES.database}`,
      `      user: ${POSTGRES.user}`,
      '      password: ""',
      `      schema: ${db.schema}`,
    ];
    writeFileSync(
      join(dir, 'osiris_connections.yaml'),
      ['version: "1.0"', 'connections:', '  postgres:', '    main:', ...fields, ''].join('\n'),
    );
    project = loadProjectConfig({ cwd: dir, env: {} });
  });

  afterAll(async () => {
    await victim?.end().catch(() => undefined);
    for (const id of [oid, controlOid])
      if (id) await db?.exec('SELECT lo_unlink($1::oid)', [id]).catch(() => undefined);
    tp?.close();
    await db?.close();
  });

  it('control: without the guard, lo_put changes a large object inside BEGIN READ ONLY', async () => {
    const client = new pg.Client({ ...POSTGRES });
    await client.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SELECT lo_put(${controlOid}, 0, 'PWNED'::bytea)`);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    const [lo] = await db.rows<{ bytes: string }>("SELECT encode(lo_get($1::oid), 'escape') AS bytes", [
      controlOid,
    ]);
    expect(lo?.bytes).toBe('PWNEDnal');
  });

  it.each(POSTGRES_ATTACKS.map((a) => [a.name, a] as const))(
    'refuses %s on the extract and query paths; the database is unchanged',
    async (_, attack) => {
      const before = await state();
      const sql = fill(attack.sql);
      const extract = await caught(
        tp.runStep(driver, 'attack', { query: sql }, { connection: db.connection() }),
      );
      expect(extract).toBeInstanceOf(StepError);
      expect((extract as StepError).code).toBe('extract.not_read_only');
      const query = await caught(runReadOnlyQuery({ ref: '@postgres.main', project, env: {}, sql }));
      expect(query).toBeInstanceOf(OsirisError);
      expect((query as OsirisError).diagnostics[0]?.code).toBe('DSC007');
      // A notification would arrive asynchronously: give it the chance to.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const after = await state();
      expect(after).toEqual(before);
      expect(after.lo).toBe('original');
      expect(after.locks).toBe(0);
      expect(after.victim).toBe(victimPid);
    },
  );

  it('osiris validate and osiris run refuse the lo_put pipeline with exit 2 and its position', () => {
    const file = join(projectDir, 'pwn.yaml');
    writeFileSync(
      file,
      [
        'oml_version: "0.1.0"',
        'name: pwn',
        'steps:',
        '  - id: extract',
        '    component: postgres.extractor',
        '    mode: read',
        '    config:',
        '      connection: "@postgres.main"',
        '      query: |',
        '        SELECT id,',
        `          lo_put(${oid}, 0, 'PWNED'::bytea) AS x`,
        '        FROM t',
        '  - id: write',
        '    component: filesystem.csv_writer',
        '    mode: write',
        '    needs: [extract]',
        '    config:',
        '      path: out.csv',
        '',
      ].join('\n'),
    );
    const validate = runCli(['validate', 'pwn.yaml'], { cwd: projectDir });
    expect(validate.code).toBe(2);
    expect(validate.stdout + validate.stderr).toMatch(
      /pwn\.yaml:11:11 .*OML044 config\.query refused by the SQL guard: lo_put\(\) is refused.*\(line 2, column 3\)/,
    );
    const run = runCli(['run', 'pwn.yaml'], { cwd: projectDir });
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain('OML044');
  });

  it('statement_timeout cancels a slow query with extract.timeout; a guarded SLEEP never starts', async () => {
    let started = Date.now();
    // A function's body is invisible to the guard: the timeout is what stops it.
    const slow = await caught(
      tp.runStep(
        driver,
        'slow',
        { query: 'SELECT slow()', statement_timeout: 1 },
        { connection: db.connection() },
      ),
    );
    expect((slow as StepError).code).toBe('extract.timeout');
    expect((slow as StepError).message).toMatch(/statement_timeout \(1 s\)/);
    expect(Date.now() - started).toBeLessThan(10_000);
    started = Date.now();
    const sleep = await caught(
      tp.runStep(
        driver,
        'sleep',
        { query: 'SELECT pg_sleep(100)', statement_timeout: 1 },
        { connection: db.connection() },
      ),
    );
    expect((sleep as StepError).code).toBe('extract.not_read_only');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('discovery runs under discovery.statement_timeout: a slow view cannot hang it', async () => {
    await db.exec(`CREATE VIEW ${db.q('slow_view')} AS SELECT ${db.q('slow')}() AS x`);
    writeFileSync(join(projectDir, 'osiris.yaml'), 'version: "2.0"\ndiscovery:\n  statement_timeout: 1\n');
    const quick = loadProjectConfig({ cwd: projectDir, env: {} });
    const { discover } = await import('../../../src/discovery/discover.js');
    const started = Date.now();
    const error = await caught(
      discover({
        ref: '@postgres.main',
        project: quick,
        env: {},
        tables: ['slow_view'],
        samples: 1,
        refresh: true,
      }),
    );
    expect(error).toBeInstanceOf(OsirisError);
    expect((error as OsirisError).message).toMatch(/statement timeout/);
    expect(Date.now() - started).toBeLessThan(10_000);
    writeFileSync(join(projectDir, 'osiris.yaml'), 'version: "2.0"\n');
  });

  it('the recommended read-only role cannot write, read server files or signal other sessions', async () => {
    const role = uniqueName('osiris_ro');
    const grants = roleStatements('postgres', {
      role,
      password: uniqueName('pw'),
      database: POSTGRES.database,
      schema: db.schema,
    });
    expect(grants.length).toBeGreaterThanOrEqual(5);
    for (const sql of grants) await db.exec(sql);
    const reader = new pg.Client({ ...POSTGRES, user: role });
    try {
      await reader.connect();
      expect((await reader.query(`SELECT count(*)::int AS n FROM ${db.q('t')}`)).rows).toEqual([{ n: 3 }]);
      expect((await reader.query('SHOW default_transaction_read_only')).rows).toEqual([
        { default_transaction_read_only: 'on' },
      ]);
      const refusedByRole = [
        `SELECT lo_put(${oid}, 0, 'PWNED'::bytea)`,
        `SELECT lo_unlink(${oid})`,
        "SELECT pg_read_file('/etc/hostname')",
        `SELECT pg_terminate_backend(${victimPid})`,
        `DELETE FROM ${db.q('t')}`,
      ];
      for (const sql of refusedByRole) {
        const error = await caught(reader.query(sql));
        expect(error, sql).toBeInstanceOf(Error);
        expect((error as Error).message, sql).toMatch(/permission denied|must be|read-only transaction/);
      }
      // The extractor reads through the role.
      const read = await tp.runStep(
        driver,
        'as_role',
        { table: 't' },
        { connection: db.connection({ user: role }) },
      );
      expect(read.rowsRead).toBe(3);
      const after = await state();
      expect([after.lo, after.victim]).toEqual(['original', victimPid]);
    } finally {
      await reader.end().catch(() => undefined);
      await db.exec(`DROP OWNED BY ${role}`);
      await db.exec(`DROP ROLE ${role}`);
    }
  });
});
