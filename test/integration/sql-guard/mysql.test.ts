/**
 * The SQL guard against the real MariaDB: every attack of the corpus goes through the real extract path
 * (mysql.extractor) and the chat agent's `run_query`, is refused without running, and the database is
 * unchanged — no named lock held, the sequence and the table did not move, the victim session is alive.
 * A control shows the attacks are real: without the guard, `GET_LOCK` takes a lock that outlives a
 * `READ ONLY` transaction. Then the statement timeout, and the read-only user of docs/reference/security.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/mysql.extractor/driver.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { runReadOnlyQuery } from '../../../src/discovery/query.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import { StepError } from '../../../src/runtime/driver.js';
import { tempDir } from '../../helpers/cli.js';
import { MYSQL, mysqlUnavailable, uniqueName } from '../../helpers/databases.js';
import { roleStatements } from '../../helpers/security-doc.js';
import { MYSQL_ATTACKS } from '../../helpers/sql-attacks.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, type MysqlTestDb } from '../mysql/helpers.js';

const skip = await mysqlUnavailable();

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.skipIf(skip)('the SQL guard on MariaDB', () => {
  let db: MysqlTestDb;
  let tp: TestPlane;
  let victim: mysql.Connection;
  let victimId: number;
  let project: ProjectConfig;
  const lock = uniqueName('osiris_lock');
  let connectionsYaml: string;

  const fill = (sql: string) =>
    sql
      .replaceAll('{pid}', String(victimId))
      .replaceAll('{lock}', lock)
      .replaceAll('{seq}', 'seq')
      .replaceAll('{table}', 't');

  async function state() {
    const [held] = await db.rows('SELECT IS_USED_LOCK(?) AS owner', [lock]);
    const [seq] = await db.rows('SELECT next_not_cached_value AS next FROM seq');
    const [alive] = (await victim.query('SELECT CONNECTION_ID() AS id')) as unknown as [{ id: number }[]];
    const [pwned] = await db.rows(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'osiris_pwned'",
      [db.name],
    );
    return {
      lock: held?.owner ?? null,
      seq: String(seq?.next),
      victim: Number(alive[0]?.id),
      table: await db.fingerprint('t'),
      pwned: Number(pwned?.n),
    };
  }

  beforeAll(async () => {
    db = await createTestDb();
    tp = await openTestPlane();
    await db.admin.query('CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)');
    await db.admin.query('CREATE SEQUENCE seq');
    await db.admin.query(
      'CREATE FUNCTION slow() RETURNS INT NO SQL BEGIN DECLARE x INT; SELECT SLEEP(100) INTO x; RETURN x; END',
    );
    victim = await mysql.createConnection({ ...MYSQL, database: db.name });
    victimId = Number(
      ((await victim.query('SELECT CONNECTION_ID() AS id')) as unknown as [{ id: number }[]])[0][0]?.id,
    );
    const dir = tempDir('osiris-guard-it-');
    writeFileSync(join(dir, 'osiris.yaml'), 'version: "2.0"\n');
    connectionsYaml = [
      'version: "1.0"',
      'connections:',
      '  mysql:',
      '    main:',
      `      host: ${MYSQL.host}`,
      `      port: ${MYSQL.port}`,
      `      database: ${db.name}`,
      `      user: ${MYSQL.user}`,
      '      password: ""',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'osiris_connections.yaml'), connectionsYaml);
    project = loadProjectConfig({ cwd: dir, env: {} });
  });

  afterAll(async () => {
    await victim?.end().catch(() => undefined);
    tp?.close();
    await db?.drop();
  });

  it('control: without the guard, GET_LOCK takes a lock that outlives a READ ONLY transaction', async () => {
    const control = `${lock}_control`;
    const client = await mysql.createConnection({ ...MYSQL, database: db.name });
    try {
      await client.query('START TRANSACTION READ ONLY');
      await client.query('SELECT GET_LOCK(?, 0)', [control]);
      await client.query('ROLLBACK');
      const [held] = await db.rows('SELECT IS_USED_LOCK(?) AS owner', [control]);
      expect(held?.owner).not.toBeNull();
    } finally {
      await client.end();
    }
  });

  it.each(MYSQL_ATTACKS.map((a) => [a.name, a] as const))(
    'refuses %s on the extract and query paths without running it; the database is unchanged',
    async (_, attack) => {
      const before = await state();
      const sql = fill(attack.sql);
      const started = Date.now();
      const extract = await caught(
        tp.runStep(driver, 'attack', { query: sql }, { connection: db.connection() }),
      );
      expect(extract).toBeInstanceOf(StepError);
      expect((extract as StepError).code).toBe('extract.not_read_only');
      const query = await caught(runReadOnlyQuery({ ref: '@mysql.main', project, env: {}, sql }));
      expect(query).toBeInstanceOf(OsirisError);
      expect((query as OsirisError).diagnostics[0]?.code).toBe('DSC007');
      // SLEEP(100) and BENCHMARK never reach the server.
      expect(Date.now() - started).toBeLessThan(2000);
      const after = await state();
      expect(after).toEqual(before);
      expect(after.lock).toBeNull();
      expect(after.victim).toBe(victimId);
    },
  );

  it('statement_timeout cancels a slow query with extract.timeout; a guarded SLEEP never starts', async () => {
    let started = Date.now();
    // A stored function's body is invisible to the guard: the timeout is what stops it.
    const slow = await caught(
      tp.runStep(
        driver,
        'slow',
        { query: 'SELECT slow() AS s', statement_timeout: 1 },
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
        { query: 'SELECT SLEEP(100)', statement_timeout: 1 },
        { connection: db.connection() },
      ),
    );
    expect((sleep as StepError).code).toBe('extract.not_read_only');
    expect((sleep as StepError).message).toContain('SLEEP() is refused');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('discovery runs under discovery.statement_timeout: a slow view cannot hang it', async () => {
    await db.admin.query('CREATE VIEW slow_view AS SELECT slow() AS s');
    const dir = tempDir('osiris-guard-it-');
    writeFileSync(join(dir, 'osiris.yaml'), 'version: "2.0"\ndiscovery:\n  statement_timeout: 1\n');
    writeFileSync(join(dir, 'osiris_connections.yaml'), connectionsYaml);
    const quick = loadProjectConfig({ cwd: dir, env: {} });
    const { discover } = await import('../../../src/discovery/discover.js');
    const started = Date.now();
    const error = await caught(
      discover({
        ref: '@mysql.main',
        project: quick,
        env: {},
        tables: ['slow_view'],
        samples: 1,
        refresh: true,
      }),
    );
    expect(error).toBeInstanceOf(OsirisError);
    expect((error as OsirisError).message).toMatch(/max_statement_time|interrupted/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the recommended read-only user cannot write, read server files or kill other sessions', async () => {
    const user = uniqueName('osiris_ro');
    const password = uniqueName('pw');
    const grants = roleStatements('mysql', { role: user, password, database: `\`${db.name}\`` });
    expect(grants.length).toBeGreaterThanOrEqual(2);
    for (const sql of grants) await db.admin.query(sql);
    const reader = await mysql.createConnection({ ...MYSQL, user, password, database: db.name });
    try {
      const [[timeout]] = (await reader.query('SELECT @@max_statement_time AS s')) as unknown as [
        { s: string }[],
      ];
      expect(Number(timeout?.s)).toBe(30);
      const [[file]] = (await reader.query("SELECT LOAD_FILE('/etc/hostname') AS f")) as unknown as [
        { f: unknown }[],
      ];
      expect(file?.f).toBeNull();
      for (const sql of [
        'DELETE FROM t',
        'INSERT INTO t VALUES (9)',
        `KILL ${victimId}`,
        'SELECT NEXTVAL(seq)',
      ]) {
        const error = await caught(reader.query(sql));
        expect(error, sql).toBeInstanceOf(Error);
        expect((error as Error).message, sql).toMatch(/denied|not owner/i);
      }
      const read = await tp.runStep(
        driver,
        'as_user',
        { table: 't' },
        { connection: db.connection({ user, password }) },
      );
      expect(read.rowsRead).toBe(3);
      expect((await state()).victim).toBe(victimId);
    } finally {
      await reader.end().catch(() => undefined);
      await db.admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    }
  });
});
