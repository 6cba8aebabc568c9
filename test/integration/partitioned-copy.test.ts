// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Partitioned copies without a queue (docs/adr/0028): mysql.extractor with `partition:` → postgres.writer,
 * through the built CLI against the local MariaDB and PostgreSQL. The copy equals the source (count and a
 * checksum, NULL keys included), leaves no staging table, a partition whose source connection is killed runs
 * again, and a replace whose last partition fails leaves the target unchanged; a partitioned extractor that
 * does not feed a database writer is refused at compile time. Also postgres → mysql (create, then upsert).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProjectConfig } from '../../src/project/config.js';
import { loadRegistry } from '../../src/registry/load.js';
import { removeLeftovers } from '../../src/runtime/run-leftovers.js';
import { runCliAsync, tempDir } from '../helpers/cli.js';
import { mysqlToPostgresProject, mysqlUnavailable, postgresUnavailable } from '../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './mysql/helpers.js';
import { openPgFixture, type PgFixture } from './postgres/helpers.js';

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable());
const ROWS = 200_000;

interface Event {
  event: string;
  [key: string]: unknown;
}

describe.skipIf(why !== undefined)('part_ partitioned copy, local run', () => {
  let my: MysqlTestDb;
  let pg: PgFixture;
  let project: string;

  beforeAll(async () => {
    my = await createTestDb('part');
    pg = await openPgFixture();
    project = mysqlToPostgresProject(tempDir('osiris-part-'), my.name, pg.schema);
    // Every 1000th key is NULL: those rows must land in exactly one partition.
    await my.admin.query(`
      CREATE TABLE src (id INT PRIMARY KEY, k INT NULL, v VARCHAR(30), d DATE, n VARCHAR(10));
      INSERT INTO src SELECT seq, IF(seq % 1000 = 0, NULL, seq), CONCAT('row ', seq),
        DATE_ADD('2020-01-01', INTERVAL seq % 2000 DAY), CAST(seq % 97 AS CHAR) FROM seq_1_to_${ROWS};`);
    await pg.exec(`CREATE TABLE ${pg.q('dst')} (id integer PRIMARY KEY, k integer, v text, d date, n integer);
      INSERT INTO ${pg.q('dst')} VALUES (-1, -1, 'old', '2000-01-01', 1)`);
  });

  afterAll(async () => {
    await my?.drop();
    await pg?.close();
  });

  function pipeline(name: string, partition: string, writer = 'postgres.writer'): string {
    const file = `${name}.yaml`;
    writeFileSync(
      join(project, file),
      `oml_version: "0.1.0"
name: ${name}
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.src"
      table: src
      partition: ${partition}
  - id: load
    component: ${writer}
    mode: ${writer === 'postgres.writer' ? 'write' : 'transform'}
    needs: [extract]
    config:
${writer === 'postgres.writer' ? '      connection: "@postgres.dst"\n      table: dst\n      write_mode: replace' : '      query: SELECT count(*) FROM extract'}
`,
    );
    return file;
  }

  async function run(file: string) {
    const result = await runCliAsync(['run', file, '--json'], { cwd: project, timeoutMs: 60_000 });
    const json = JSON.parse(result.stdout) as {
      status: string;
      run_dir: string;
      error?: { code: string; message: string };
    };
    const events = readFileSync(join(json.run_dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    return { ...result, json, events };
  }

  const sourceSum = async () => {
    const [r] = await my.rows(
      "SELECT COUNT(*) AS c, COUNT(k) AS ck, MD5(GROUP_CONCAT(CONCAT_WS(':', id, IFNULL(k, 'N'), v, d, n) ORDER BY id SEPARATOR '|')) AS h FROM src",
    );
    return { c: Number(r?.c), ck: Number(r?.ck), h: String(r?.h) };
  };
  const targetSum = async () => {
    const [r] = await pg.rows<{ c: number; ck: number; h: string }>(
      `SELECT count(*)::int AS c, count(k)::int AS ck, md5(string_agg(concat_ws(':', id, coalesce(k::text, 'N'), v, d, n), '|' ORDER BY id)) AS h FROM ${pg.q('dst')}`,
    );
    return r;
  };
  const staging = async () =>
    (
      await pg.rows<{ n: string }>(
        "SELECT relname::text AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND relname LIKE 'osiris\\_part\\_%'",
        [pg.schema],
      )
    ).map((r) => r.n);

  it('copies every row (NULL keys too) in 8 partitions and swaps them in once', async () => {
    const r = await run(pipeline('part-local', '{ column: k, count: 8, parallel: 3 }'));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const plan = r.events.find((e) => e.event === 'partition.plan');
    expect(plan).toMatchObject({ partitions: 8, column: 'k' });
    expect(r.events.filter((e) => e.event === 'partition.complete')).toHaveLength(8);
    expect(r.events.find((e) => e.event === 'partition.swapped')).toMatchObject({ rows: ROWS });
    // The swap's own verification: the rows it wrote against the staged rows, inside its transaction.
    const swapProof = r.events.filter((e) => e.event === 'write.verified').at(-1);
    expect(swapProof).toMatchObject({
      scope: 'the rows this swap wrote (xmin)',
      rows: [ROWS, ROWS],
      matched: true,
    });
    expect(JSON.stringify(swapProof)).toContain('"column":"k","check":"sum"');
    expect(await targetSum()).toEqual(await sourceSum());
    expect(await staging()).toEqual([]);
  });

  it('a trigger that changes rows during the swap fails its verification; the target is unchanged', async () => {
    const before = await pg.fingerprint('dst');
    await pg.exec(`CREATE FUNCTION ${pg.q('part_bump')}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id = 7 THEN NEW.k := NEW.k + 1; END IF; RETURN NEW; END $$;
      CREATE TRIGGER part_bump BEFORE INSERT ON ${pg.q('dst')} FOR EACH ROW EXECUTE FUNCTION ${pg.q('part_bump')}()`);
    try {
      const r = await run(pipeline('part-trigger', '{ column: id, count: 2 }'));
      expect(r.code).toBe(1);
      expect(r.json.error?.code).toBe('partition.verify_failed');
      expect(r.json.error?.message).toContain("column 'k' sum");
      expect(await pg.fingerprint('dst')).toEqual(before);
      expect(await staging()).toEqual([]);
    } finally {
      await pg.exec(`DROP TRIGGER part_bump ON ${pg.q('dst')}; DROP FUNCTION ${pg.q('part_bump')}()`);
    }
  });

  it('a replace whose last partition fails leaves the target unchanged and no staging', async () => {
    const before = await pg.fingerprint('dst');
    await my.admin.query(`UPDATE src SET n = 'oops' WHERE id = ${ROWS - 1}`);
    try {
      const r = await run(pipeline('part-fail', '{ column: id, count: 4 }'));
      expect(r.code).toBe(1);
      expect(r.json.status).toBe('failed');
      expect(r.json.error?.message).toMatch(/oops|integer/);
      expect(await pg.fingerprint('dst')).toEqual(before);
      expect(await staging()).toEqual([]);
    } finally {
      await my.admin.query(`UPDATE src SET n = '1' WHERE id = ${ROWS - 1}`);
    }
  });

  it('a partition whose source connection is killed runs again (the retry policy) and the copy is whole', async () => {
    // One row of the view pauses 2 s (the SQL guard refuses SLEEP in a query; a stored function hides it).
    await my.admin.query(`CREATE FUNCTION part_pause() RETURNS VARCHAR(30) NO SQL BEGIN DECLARE x INT;
      SELECT SLEEP(2) INTO x; RETURN 'paused'; END`);
    await my.admin.query(
      'CREATE VIEW slow_src AS SELECT id, k, IF(id = 150000, part_pause(), v) AS v, d, n, id * 2 AS twice FROM src',
    );
    await pg.exec(
      `CREATE TABLE ${pg.q('slow')} (id integer PRIMARY KEY, k integer, v text, d date, n integer)`,
    );
    const file = 'part-retry.yaml';
    writeFileSync(
      join(project, file),
      readFileSync(join(project, pipeline('part-retry', '{ column: id, count: 4 }')), 'utf8')
        .replace('table: src', 'table: slow_src')
        .replace('table: dst', 'table: slow'),
    );
    let killed = false;
    const killer = setInterval(async () => {
      if (killed) return;
      const [hit] = await my.rows(
        "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND state = 'User sleep'",
      );
      if (!hit || killed) return;
      killed = true;
      await my.admin.query(`KILL CONNECTION ${Number(hit.id)}`).catch(() => undefined);
    }, 100);
    const r = await run(file).finally(() => clearInterval(killer));
    expect(killed).toBe(true);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.events.find((e) => e.event === 'step_retry')).toMatchObject({
      step_id: 'extract',
      partition: 2,
    });
    expect(r.events.find((e) => e.event === 'partition.retried')).toMatchObject({
      partition: 2,
      attempts: 2,
    });
    const [row] = await pg.rows<{ c: number; p: number }>(
      `SELECT count(*)::int AS c, count(*) FILTER (WHERE v = 'paused')::int AS p FROM ${pg.q('slow')}`,
    );
    expect(row).toEqual({ c: ROWS, p: 1 });
    // A column the target lacked (schema_evolution: add_columns) was added by the swap, values and all.
    const [twice] = await pg.rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${pg.q('slow')} WHERE twice = id * 2`,
    );
    expect(twice?.n).toBe(ROWS);
    expect(await staging()).toEqual([]);
  });

  it('postgres → mysql: creates a missing target, then upserts, partitioned by date', async () => {
    await pg.exec(`CREATE TABLE ${pg.q('psrc')} AS SELECT g AS id, date '2024-01-01' + (g % 300) AS d, 'v' || g AS v
      FROM generate_series(1, 5000) g; UPDATE ${pg.q('psrc')} SET d = NULL WHERE id % 500 = 0`);
    const file = 'part-to-mysql.yaml';
    const write = (mode: string) =>
      writeFileSync(
        join(project, file),
        `oml_version: "0.1.0"
name: part-to-mysql
steps:
  - id: extract
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.dst"
      table: psrc
      partition: { column: d, count: 3 }
  - id: load
    component: mysql.writer
    mode: write
    needs: [extract]
    config:
      connection: "@mysql.src"
      table: copied
      write_mode: ${mode}
      primary_key: id
`,
      );
    write('upsert');
    let r = await run(file);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.events.find((e) => e.event === 'partition.swapped')).toMatchObject({
      rows: 5000,
      created: true,
    });
    await pg.exec(`UPDATE ${pg.q('psrc')} SET v = 'changed' WHERE id <= 10`);
    r = await run(file);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const [row] = await my.rows(
      "SELECT COUNT(*) AS c, SUM(v = 'changed') AS ch, SUM(d IS NULL) AS nd FROM copied",
    );
    expect(row).toMatchObject({ c: '5000', ch: '10', nd: '10' });
    const left = await my.rows(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'osiris%'",
    );
    expect(left).toEqual([]);
  });

  it("a killed run's claimed staging tables are dropped by the sweep, on both servers; nothing else is", async () => {
    const stage = 'osiris_part_0123456789ab_3';
    await pg.exec(`CREATE TABLE ${pg.q(stage)} (id int); CREATE TABLE ${pg.q('part_keep_me')} (id int)`);
    await my.admin.query(`CREATE TABLE ${stage} (id INT)`);
    const runDir = join(tempDir('osiris-part-sweep-'), 'run');
    mkdirSync(runDir);
    const claims = [
      {
        kind: 'postgres_table',
        step_id: 'load',
        connection: '@postgres.dst',
        schema: pg.schema,
        table: stage,
      },
      // A corrupted claim naming a user table: refused by name, never dropped.
      {
        kind: 'postgres_table',
        step_id: 'load',
        connection: '@postgres.dst',
        schema: pg.schema,
        table: 'part_keep_me',
      },
      { kind: 'mysql_table', step_id: 'load', connection: '@mysql.src', database: my.name, table: stage },
    ];
    writeFileSync(join(runDir, 'claims.jsonl'), claims.map((c) => `${JSON.stringify(c)}\n`).join(''));
    const projectConfig = loadProjectConfig({ cwd: project, env: {} });
    const report = await removeLeftovers(
      {
        project: projectConfig,
        env: {},
        cwd: project,
        registry: loadRegistry({ projectRoot: projectConfig.root }),
      },
      runDir,
      999_999,
      { scratch: false },
    );
    expect(report.removed.tables.sort()).toEqual([`${my.name}.${stage}`, `${pg.schema}.${stage}`].sort());
    expect(await staging()).toEqual([]);
    expect(await pg.rows(`SELECT 1 FROM ${pg.q('part_keep_me')}`)).toEqual([]);
    expect(await my.rows(`SHOW TABLES LIKE '${stage}'`)).toEqual([]);
  });

  it('refuses a partitioned extractor that does not feed a database writer', async () => {
    const r = await runCliAsync(
      ['compile', pipeline('part-bad', '{ column: id, count: 2 }', 'duckdb.processor'), '--json'],
      {
        cwd: project,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('partition.invalid');
  });
});
