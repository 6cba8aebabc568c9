// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Step retries (docs/adr/0026) through the built CLI on the real servers:
 * - a Postgres read whose backend is terminated mid-stream (pass-through into postgres.writer) runs again as a
 *   unit and the run succeeds with every row once;
 * - a MariaDB read KILLed mid-query (materialised: its partial DuckDB table goes) runs again and succeeds;
 * - a permission error is terminal: one attempt, the server's error reported; a refused connection runs out
 *   of attempts and its last error is reported with the count;
 * - a write failing with a deadlock before COMMIT (Postgres SQLSTATE 40P01, MariaDB errno 1213, raised by the
 *   server through a trigger on the first try only) is retried and its rows land once; a serialization failure
 *   raised AT COMMIT (a deferred trigger) is not — a COMMIT's outcome counts as unknown.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempDir } from '../helpers/cli.js';
import { MYSQL, mysqlUnavailable, POSTGRES, postgresUnavailable } from '../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './mysql/helpers.js';
import { openPgFixture, type PgFixture } from './postgres/helpers.js';

const skip = Boolean((await postgresUnavailable()) ?? (await mysqlUnavailable()));
const ROWS = 20_000;
const RETRY = '    retry: { attempts: 3, backoff: 100ms }';

interface Event {
  event: string;
  step_id?: string;
  [key: string]: unknown;
}

describe.skipIf(skip)('step retries', () => {
  let pgx: PgFixture;
  let my: MysqlTestDb;
  let project: string;
  const role = `retry_reader_${Math.random().toString(16).slice(2, 10)}`;

  beforeAll(async () => {
    pgx = await openPgFixture();
    my = await createTestDb('retry');
    project = tempDir('osiris-retry-');
    writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
    const pgConn = (alias: string, user: string) => [
      `    ${alias}:`,
      `      host: ${POSTGRES.host}`,
      `      port: ${POSTGRES.port}`,
      `      database: ${POSTGRES.database}`,
      `      user: ${user}`,
      '      password: ${PG_PASSWORD:-}',
      `      schema: ${pgx.schema}`,
    ];
    writeFileSync(
      join(project, 'osiris_connections.yaml'),
      [
        'version: "1.0"',
        'connections:',
        '  postgres:',
        ...pgConn('db', POSTGRES.user),
        ...pgConn('reader', role),
        // Nothing listens on port 1: every attempt is refused.
        ...pgConn('down', POSTGRES.user).map((l) => l.replace(`port: ${POSTGRES.port}`, 'port: 1')),
        '  mysql:',
        '    src:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      user: ${MYSQL.user}`,
        `      password: "${MYSQL.password}"`,
        `      database: ${my.name}`,
        '',
      ].join('\n'),
    );
    // The source pauses at row 5000 while the marker has a row; the test empties the marker before it
    // kills the read, so the retry reads straight through. (The SQL guard refuses sleep functions in an
    // extractor's query; a function hides it.)
    await pgx.exec(`
      CREATE TABLE ${pgx.q('src')} AS SELECT i AS id, md5(i::text) AS h FROM generate_series(1, ${ROWS}) i;
      CREATE TABLE ${pgx.q('marker')} (x int); INSERT INTO ${pgx.q('marker')} VALUES (1);
      CREATE FUNCTION ${pgx.q('retry_pause')}() RETURNS text LANGUAGE sql AS
        $$ SELECT CASE WHEN EXISTS (SELECT 1 FROM ${pgx.q('marker')}) THEN pg_sleep(3)::text ELSE '' END $$;
      CREATE TABLE ${pgx.q('secret')} (id int); INSERT INTO ${pgx.q('secret')} VALUES (1);
      CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA "${pgx.schema}" TO ${role};`);
    await my.admin.query(`
      CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40));
      INSERT INTO big SELECT seq, MD5(seq) FROM seq_1_to_${ROWS};
      CREATE TABLE marker (x INT); INSERT INTO marker VALUES (1);
      CREATE FUNCTION retry_pause() RETURNS VARCHAR(20) READS SQL DATA BEGIN DECLARE x INT DEFAULT 0;
        IF (SELECT COUNT(*) FROM marker) > 0 THEN SELECT SLEEP(3) INTO x; END IF; RETURN CAST(x AS CHAR); END`);
  });

  afterAll(async () => {
    await pgx?.close();
    const admin = new pg.Client({ ...POSTGRES });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.end();
    await my?.drop();
  });

  function pipeline(name: string, steps: string): string {
    const file = `${name}.yaml`;
    writeFileSync(join(project, file), `oml_version: "0.1.0"\nname: ${name}\nsteps:\n${steps}`);
    return file;
  }

  async function run(file: string, env: NodeJS.ProcessEnv = {}) {
    const result = await runCliAsync(['run', file, '--json'], { cwd: project, env, timeoutMs: 60_000 });
    const json = JSON.parse(result.stdout) as {
      run_id: string;
      run_dir: string;
      aiop_path?: string;
      error?: { code: string; message: string; details?: Record<string, unknown> };
    };
    if (!json.run_dir) throw new Error(`no run: ${result.stdout}${result.stderr}`);
    const events = readFileSync(join(json.run_dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    return { ...result, json, events, of: (name: string) => events.filter((e) => e.event === name) };
  }

  /** Polls `probe` until it finds something (the run reached its pause). */
  async function whenFound<T>(what: string, probe: () => Promise<T[]>): Promise<T[]> {
    for (let i = 0; i < 300; i++) {
      const found = await probe();
      if (found.length) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`never saw ${what}`);
  }

  it('a Postgres read terminated mid-stream is retried with its writer, and every row lands once', async () => {
    await pgx.exec(`INSERT INTO ${pgx.q('marker')} VALUES (1)`);
    const file = pipeline(
      'retry_pg_read',
      `  - id: extract
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.db"
      query: 'SELECT id, CASE WHEN id = 5000 THEN ${pgx.q('retry_pause')}() ELSE h END AS h FROM ${pgx.q('src')} ORDER BY id'
${RETRY}
  - id: load
    component: postgres.writer
    mode: write
    needs: [extract]
    config:
      connection: "@postgres.db"
      table: dst
      create_if_missing: true
`,
    );
    const running = run(file);
    // This run's source backend only: its step's application name, reading this test's own schema.
    const [found] = await whenFound('the source pausing', () =>
      pgx.rows<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'osiris extract'
           AND query LIKE 'COPY %' AND strpos(query, $1) > 0 AND wait_event = 'PgSleep'`,
        [pgx.schema],
      ),
    );
    await pgx.exec(`DELETE FROM ${pgx.q('marker')}`);
    await pgx.exec('SELECT pg_terminate_backend($1)', [found?.pid]);
    const r = await running;
    expect(r.code, r.stdout).toBe(0);
    const [retry, ...more] = r.of('step_retry');
    expect(more).toEqual([]);
    expect(retry).toMatchObject({
      step_id: 'extract',
      attempt: 1,
      next_attempt: 2,
      attempts: 3,
      classification: 'transient',
      pass_through: 'load',
    });
    expect(['57P01', undefined]).toContain(retry?.code);
    expect(retry?.delay_ms).toBeGreaterThanOrEqual(50);
    expect(r.of('step_complete').find((e) => e.step_id === 'load')).toMatchObject({ attempts: 2 });
    expect(
      await pgx.rows(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM ${pgx.q('dst')}`),
    ).toEqual([{ n: ROWS, d: ROWS }]);
    // The report lists the retry; the AI Operation Package says it.
    const html = await runCliAsync(['logs', 'html', r.json.run_id, '--json'], { cwd: project });
    const report = readFileSync((JSON.parse(html.stdout) as { path: string }).path, 'utf8');
    expect(report).toContain('<section class="panel" id="retries"><h2>Retries');
    const aiop = readFileSync(r.json.aiop_path as string, 'utf8');
    expect(aiop).toContain('retry.attempt_failed');
    expect(aiop).toMatch(/After transient errors, steps ran again: `extract` 1 time/);
  });

  it('a MariaDB read KILLed mid-query is retried from a clean table (materialised)', async () => {
    await my.admin.query('INSERT INTO marker VALUES (1)');
    const file = pipeline(
      'retry_my_read',
      `  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.src"
      query: "SELECT id, IF(id = 5000, retry_pause(), v) AS v FROM big ORDER BY id"
${RETRY}
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [extract]
    config:
      path: out/my.csv
`,
    );
    const running = run(file, { OSIRIS_PASS_THROUGH: '0' });
    const [proc] = await whenFound('the source pausing', () =>
      my.rows(
        "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%SLEEP(3) INTO x%' AND ID <> CONNECTION_ID()",
        [my.name],
      ),
    );
    await my.admin.query('DELETE FROM marker');
    await my.admin.query(`KILL ${Number(proc?.id)}`);
    const r = await running;
    expect(r.code, r.stdout).toBe(0);
    expect(r.of('step_retry')).toEqual([
      expect.objectContaining({ step_id: 'extract', attempt: 1, classification: 'transient' }),
    ]);
    const lines = readFileSync(join(project, 'out', 'my.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(lines.length).toBe(ROWS + 1); // the header
    expect(new Set(lines).size).toBe(ROWS + 1);
  });

  it('a permission error is terminal: one attempt, the server error reported', async () => {
    const file = pipeline(
      'retry_denied',
      `  - id: extract
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.reader"
      table: secret
${RETRY}
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [extract]
    config:
      path: out/secret.csv
`,
    );
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('extract.permission_denied');
    expect(r.json.error?.message).not.toContain('attempts');
    expect(r.of('step_retry')).toEqual([]);
    expect(r.of('step_failed')[0]).toMatchObject({
      step_id: 'extract',
      attempts: 1,
      error_class: { classification: 'terminal', reason: 'permission_denied', code: '42501' },
      not_retried: 'the error is terminal',
    });
  });

  it('a refused connection is retried until the attempts run out; the last error is reported', async () => {
    const file = pipeline(
      'retry_refused',
      `  - id: extract
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.down"
      table: src
    retry: { attempts: 2, backoff: 10ms }
`,
    );
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.of('step_retry')).toEqual([
      expect.objectContaining({ attempt: 1, reason: 'connection_refused', code: 'ECONNREFUSED' }),
    ]);
    expect(r.json.error?.message).toMatch(/ECONNREFUSED.*\(after 2 attempts\)$/);
    expect(r.of('step_failed')[0]).toMatchObject({
      attempts: 2,
      details: { attempts: 2 },
      not_retried: 'no attempts left',
    });
  });

  it('a write deadlocked before COMMIT is retried; one failing AT COMMIT is not', async () => {
    // Raised by the server on the first statement only (a sequence is not rolled back with the load).
    await pgx.exec(`
      CREATE SEQUENCE ${pgx.q('tries')};
      CREATE TABLE ${pgx.q('locked')} (id int PRIMARY KEY, h text);
      CREATE FUNCTION ${pgx.q('deadlock_once')}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('${pgx.q('tries')}') = 1 THEN
          RAISE EXCEPTION 'deadlock detected (simulated)' USING ERRCODE = '40P01'; END IF; RETURN NULL; END $$;
      CREATE TRIGGER deadlock_once AFTER INSERT ON ${pgx.q('locked')}
        FOR EACH STATEMENT EXECUTE FUNCTION ${pgx.q('deadlock_once')}();
      CREATE TABLE ${pgx.q('at_commit')} (id int, h text);
      CREATE FUNCTION ${pgx.q('fail_commit')}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not serialize (simulated)' USING ERRCODE = '40001'; END $$;
      CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON ${pgx.q('at_commit')}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${pgx.q('fail_commit')}();`);
    const steps = (target: string) => `  - id: extract
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.db"
      query: 'SELECT id, h FROM ${pgx.q('src')} WHERE id <= 100'
  - id: load
    component: postgres.writer
    mode: write
    needs: [extract]
    config:
      connection: "@postgres.db"
      table: ${target}
${RETRY}
`;
    const ok = await run(pipeline('retry_deadlock', steps('locked')));
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.of('step_retry')).toEqual([
      expect.objectContaining({
        step_id: 'load',
        reason: 'deadlock',
        code: '40P01',
        classification: 'transient',
        rolled_back: true,
      }),
    ]);
    expect(await pgx.rows(`SELECT count(*)::int AS n FROM ${pgx.q('locked')}`)).toEqual([{ n: 100 }]);

    const failed = await run(pipeline('retry_at_commit', steps('at_commit')));
    expect(failed.code).toBe(1);
    expect(failed.of('step_retry')).toEqual([]);
    expect(failed.of('step_failed').find((e) => e.step_id === 'load')).toMatchObject({
      attempts: 1,
      error_class: { classification: 'transient', code: '40001' },
      not_retried: expect.stringContaining('may have been committed'),
    });
    expect(await pgx.rows(`SELECT count(*)::int AS n FROM ${pgx.q('at_commit')}`)).toEqual([{ n: 0 }]);
  });

  it('a MariaDB write deadlocked before COMMIT is retried, its rows written once', async () => {
    // errno 1213 from the server on the first row only (a sequence is not rolled back with the load).
    await my.admin.query(`
      CREATE SEQUENCE tries;
      CREATE TABLE locked (id INT PRIMARY KEY, h VARCHAR(40)) ENGINE=InnoDB;
      CREATE TRIGGER deadlock_once BEFORE INSERT ON locked FOR EACH ROW
        IF NEXTVAL(tries) = 1 THEN
          SIGNAL SQLSTATE '40001' SET MESSAGE_TEXT = 'Deadlock found (simulated)', MYSQL_ERRNO = 1213;
        END IF`);
    const r = await run(
      pipeline(
        'retry_my_deadlock',
        `  - id: extract
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.db"
      query: 'SELECT id, h FROM ${pgx.q('src')} WHERE id <= 100'
  - id: load
    component: mysql.writer
    mode: write
    needs: [extract]
    config:
      connection: "@mysql.src"
      table: locked
${RETRY}
`,
      ),
    );
    expect(r.code, r.stdout).toBe(0);
    expect(r.of('step_retry')).toEqual([
      expect.objectContaining({
        step_id: 'load',
        reason: 'deadlock',
        code: '1213',
        rolled_back: true,
        pass_through: 'extract',
      }),
    ]);
    expect(await my.rows('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM locked')).toEqual([
      { n: '100', d: '100' },
    ]);
  });
});
