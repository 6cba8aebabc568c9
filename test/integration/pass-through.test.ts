// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Pass-through (ARCHITECTURE §1): mysql.extractor → postgres.writer with the writer as the extractor's only
 * consumer runs as one stream, no DuckDB table in between. Through the built CLI against the local MariaDB
 * and PostgreSQL: the target holds exactly what the materialised path (OSIRIS_PASS_THROUGH=0) writes, type
 * by type; reads whose columns may widen are materialised; and a failure on either side mid-stream — a bad
 * value, the MySQL connection killed, the Postgres backend terminated — exits 1 with the target unchanged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempDir } from '../helpers/cli.js';
import { MYSQL, mysqlUnavailable, POSTGRES, postgresUnavailable } from '../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './mysql/helpers.js';
import { openPgFixture, type PgFixture } from './postgres/helpers.js';

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable());

interface RunJson {
  status: string;
  run_dir: string;
  steps: Array<{
    id: string;
    status: string;
    rows_out: number | null;
    error?: { code: string; message: string };
  }>;
  error?: { code: string; message: string; hint?: string; location?: { step?: string } };
}

interface Event {
  event: string;
  step_id?: string;
  used?: boolean;
  reason?: string;
  [key: string]: unknown;
}

describe.skipIf(why !== undefined)('pass-through mysql.extractor → postgres.writer', () => {
  let my: MysqlTestDb;
  let pg: PgFixture;
  let project: string;

  beforeAll(async () => {
    my = await createTestDb();
    pg = await openPgFixture();
    project = tempDir('osiris-pass-through-');
    writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
    writeFileSync(
      join(project, 'osiris_connections.yaml'),
      [
        'version: "1.0"',
        'connections:',
        '  mysql:',
        '    src:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      database: ${my.name}`,
        `      user: ${MYSQL.user}`,
        '      password: ${MYSQL_PASSWORD:-}',
        // The same server as a Postgres and as a Supabase (Postgres protocol) connection.
        ...[
          ['postgres', 'dst'],
          ['supabase', 'db'],
        ].flatMap(([family, alias]) => [
          `  ${family}:`,
          `    ${alias}:`,
          `      host: ${POSTGRES.host}`,
          `      port: ${POSTGRES.port}`,
          `      database: ${POSTGRES.database}`,
          `      user: ${POSTGRES.user}`,
          '      password: ${PG_PASSWORD:-}',
          `      schema: ${pg.schema}`,
        ]),
        '',
      ].join('\n'),
    );
    await my.admin.query(`
      CREATE TABLE everything (
        id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, bi BIGINT, ubi BIGINT UNSIGNED,
        dec2 DECIMAL(12,2), dec38 DECIMAL(38,10), f FLOAT, d DOUBLE, dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL,
        yr YEAR, en ENUM('a','b'), st SET('x','y'), js JSON, bl BLOB, bin BINARY(3), b1 BIT(1), b8 BIT(8),
        txt TEXT CHARACTER SET utf8mb4, vc VARCHAR(20));
      SET SESSION sql_mode = '';
      INSERT INTO everything VALUES
        (1, -128, 65535, -8388608, -9223372036854775808, 18446744073709551615, -1234567890.12,
         1234567890123456789012345678.0123456789, 16777217, 0.1, '2024-02-29', '2024-01-02 03:04:05.123456',
         '2024-06-30 23:59:59.999999', 2155, 'b', 'x,y', '{"a": [1, 2.5, "é"]}', X'00FF10', X'616263', b'1', b'10101010',
         'tab\there\nnew line \\\\ backslash 😀 zoë', ''),
        (2, 127, 0, 8388607, 9223372036854775807, 0, 0.00, -0.0000000001, -3.5, 1e300, '0000-00-00',
         '0000-00-00 00:00:00', NULL, 1901, 'a', '', 'null', '', X'000000', b'0', b'0', '', 'x'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL);
      CREATE TABLE flags (id INT PRIMARY KEY, active TINYINT(1), t TIME);
      INSERT INTO flags VALUES (1, 1, '10:00:00'), (2, 7, '838:59:59');
      CREATE TABLE wide (id INT PRIMARY KEY, code VARCHAR(40));
      INSERT INTO wide SELECT seq, IF(seq = 15000, 'much too long for five', 'ok') FROM seq_1_to_20000;
      CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20));
      INSERT INTO big SELECT seq, CONCAT('row ', seq) FROM seq_1_to_20000;
      CREATE TABLE nothing (id INT PRIMARY KEY);`);
    // The SQL guard refuses SLEEP() in an extractor query; a stored function hides it (what a read-only
    // database role, not the guard, must police — docs/reference/security.md).
    await my.admin.query(
      `CREATE FUNCTION ${my.name}_pause() RETURNS VARCHAR(20) NO SQL BEGIN DECLARE x INT; SELECT SLEEP(4) INTO x; RETURN CAST(x AS CHAR); END`,
    );
  });

  afterAll(async () => {
    await my?.drop();
    await pg?.close();
  });

  function pipeline(name: string, read: string, write: string, writer = 'postgres.writer'): string {
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
${read}
  - id: load
    component: ${writer}
    mode: write
    needs: [extract]
    config:
      connection: "${{ 'postgres.writer': '@postgres.dst', 'mysql.writer': '@mysql.src' }[writer] ?? '@supabase.db'}"
${write}
`,
    );
    return file;
  }

  async function run(file: string, env: NodeJS.ProcessEnv = {}, flags: string[] = []) {
    const result = await runCliAsync(['run', file, '--json', ...flags], {
      cwd: project,
      env,
      timeoutMs: 60_000,
    });
    const json = JSON.parse(result.stdout) as RunJson;
    const events = readFileSync(join(json.run_dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    return { ...result, json, events };
  }

  const passThrough = (events: Event[]) => events.find((e) => e.event === 'pass_through');

  /** Every row of a table as text, plus its column types: what "the same target" means. */
  async function snapshot(table: string) {
    const types = await pg.rows<{ column_name: string; data_type: string }>(
      `SELECT column_name, format_type(atttypid, atttypmod) AS data_type FROM pg_attribute a
       JOIN information_schema.columns c ON c.column_name = a.attname::text
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND c.table_schema = $2 AND c.table_name = $3
       ORDER BY a.attnum`,
      [pg.q(table), pg.schema, table],
    );
    const rows = await pg.rows(`SELECT to_jsonb(t)::text AS row FROM ${pg.q(table)} t ORDER BY 1`);
    return { types, rows: rows.map((r) => r.row) };
  }

  it('writes exactly what the materialised path writes, type by type', async () => {
    const streamed = await run(
      pipeline('all_streamed', '      table: everything', '      table: streamed\n      write_mode: replace'),
    );
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(passThrough(streamed.events)).toMatchObject({ step_id: 'extract', writer: 'load', used: true });
    const materialised = await run(
      pipeline(
        'all_materialised',
        '      table: everything',
        '      table: materialised\n      write_mode: replace',
      ),
      { OSIRIS_PASS_THROUGH: '0' },
    );
    expect(materialised.code, materialised.stderr).toBe(0);
    expect(passThrough(materialised.events)).toBeUndefined();

    const a = await snapshot('streamed');
    const b = await snapshot('materialised');
    expect(a.types).toEqual(b.types);
    expect(a.rows).toEqual(b.rows);
    expect(a.rows).toHaveLength(3);
    // Spot checks of the values themselves (not only "both paths agree").
    const [row] = await pg.rows<Record<string, string>>(
      `SELECT ubi::text, dec38::text, f::text, d::text, dtm::text, ts::text, encode(bl, 'hex') AS bl, b8::text, txt, js::text
       FROM ${pg.q('streamed')} WHERE id = 1`,
    );
    expect(row).toEqual({
      ubi: '18446744073709551615',
      dec38: '1234567890123456789012345678.0123456789',
      f: '1.6777216e+07',
      d: '0.1',
      dtm: '2024-01-02 03:04:05.123456',
      ts: '2024-06-30 23:59:59.999999+00',
      bl: '00ff10',
      b8: '170',
      txt: 'tab\there\nnew line \\ backslash 😀 zoë',
      js: '{"a": [1, 2.5, "é"]}',
    });
    // Zero dates: NULL with the same warning on both paths.
    for (const r of [streamed, materialised]) {
      const warning = r.events.find((e) => e.event === 'zero_dates_nulled');
      expect(warning?.columns).toEqual({ dt: 1, dtm: 1 });
    }
    const status = JSON.parse(readFileSync(join(streamed.json.run_dir, 'status.json'), 'utf8')) as {
      steps: Array<{ id: string; status: string; rows_out: number | null; rows_in: number | null }>;
    };
    expect(status.steps.map((s) => [s.id, s.status])).toEqual([
      ['extract', 'succeeded'],
      ['load', 'succeeded'],
    ]);
    expect(status.steps[1]?.rows_in).toBe(3);
    // The report's preview of the read: the first rows as they streamed by, the same text the table gives.
    const preview = (r: typeof streamed) =>
      JSON.parse(readFileSync(join(r.json.run_dir, 'preview', 'extract.json'), 'utf8')) as {
        source: string;
        columns: { name: string; type: string }[];
        rows: (string | null)[][];
      };
    const fromStream = preview(streamed);
    const fromTable = preview(materialised);
    expect([fromStream.source, fromTable.source]).toEqual(['stream', 'table']);
    expect(fromStream.rows).toHaveLength(3);
    expect(fromStream.columns).toEqual(fromTable.columns);
    expect(fromStream.rows).toEqual(fromTable.rows);
    expect(streamed.events.find((e) => e.event === 'step_output')).toMatchObject({
      step_id: 'extract',
      preview_rows: 3,
    });
  });

  it('supabase.writer over the Postgres protocol takes the stream too', async () => {
    const r = await run(pipeline('to_supabase', '      table: big', '      table: supa', 'supabase.writer'));
    expect(r.code, r.stderr).toBe(0);
    expect(passThrough(r.events)).toMatchObject({ used: true });
    expect(await pg.rows(`SELECT count(*)::int AS n, sum(id)::text AS s FROM ${pg.q('supa')}`)).toEqual([
      { n: 20000, s: '200010000' },
    ]);
  });

  it('mysql.writer takes the stream too (ADR 0020), and writes what the materialised path writes', async () => {
    const file = pipeline(
      'to_mysql',
      '      table: big',
      '      table: big_copy\n      write_mode: replace',
      'mysql.writer',
    );
    const streamed = await run(file);
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(passThrough(streamed.events)).toMatchObject({ used: true });
    const copy = () =>
      my.rows('SELECT COUNT(*) AS n, SUM(id) AS s, MD5(GROUP_CONCAT(v ORDER BY id)) AS h FROM big_copy');
    const a = await copy();
    const materialised = await run(file, { OSIRIS_PASS_THROUGH: '0' });
    expect(materialised.code, materialised.stderr).toBe(0);
    expect(passThrough(materialised.events)).toBeUndefined();
    expect(await copy()).toEqual(a);
    expect(a).toEqual(
      await my.rows('SELECT COUNT(*) AS n, SUM(id) AS s, MD5(GROUP_CONCAT(v ORDER BY id)) AS h FROM big'),
    );
  });

  it('a run made only of pass-through pairs never loads DuckDB; a materialised one does', async () => {
    // A preload that reports, as the CLI exits, whether the DuckDB binding was ever required.
    const probe = join(project, 'duckdb-probe.mjs');
    writeFileSync(
      probe,
      [
        "import { createRequire } from 'node:module';",
        'const cache = createRequire(import.meta.url).cache;',
        "process.on('exit', () => process.stderr.write(Object.keys(cache).some((k) => k.includes('@duckdb/node-api')) ? 'duckdb: loaded\\n' : 'duckdb: not loaded\\n'));",
        '',
      ].join('\n'),
    );
    const file = pipeline(
      'no_duckdb',
      '      table: big',
      '      table: no_duckdb\n      write_mode: replace',
    );
    const streamed = await run(file, { NODE_OPTIONS: `--import ${probe}` });
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(passThrough(streamed.events)).toMatchObject({ used: true });
    expect(streamed.stderr).toContain('duckdb: not loaded');
    const materialised = await run(file, { NODE_OPTIONS: `--import ${probe}`, OSIRIS_PASS_THROUGH: '0' });
    expect(materialised.code, materialised.stderr).toBe(0);
    expect(materialised.stderr).toContain('duckdb: loaded');
  });

  it('sizes the data plane: a database → file copy gets 48MB and one thread, a transform 1GB', async () => {
    const step = (id: string, component: string, mode: string, config: string[], needs?: string) =>
      [`  - id: ${id}`, `    component: ${component}`, `    mode: ${mode}`]
        .concat(
          needs ? [`    needs: [${needs}]`] : [],
          ['    config:'],
          config.map((c) => `      ${c}`),
        )
        .join('\n');
    const extract = step('extract', 'mysql.extractor', 'read', ['connection: "@mysql.src"', 'table: big']);
    const write = (needs: string, file: string) =>
      step('write', 'filesystem.parquet_writer', 'write', [`path: ${join(project, file)}`], needs);
    const transform = step(
      'double',
      'duckdb.processor',
      'transform',
      ['query: SELECT id * 2 AS id FROM input_df'],
      'extract',
    );
    const head = (name: string) => `oml_version: "0.1.0"\nname: ${name}\nsteps:\n`;
    writeFileSync(
      join(project, 'copy.yaml'),
      `${head('copy')}${extract}\n${write('extract', 'copy.parquet')}\n`,
    );
    writeFileSync(
      join(project, 'transformed.yaml'),
      `${head('transformed')}${extract}\n${transform}\n${write('double', 'transformed.parquet')}\n`,
    );
    const plane = (events: Event[]) => events.find((e) => e.event === 'data_plane');
    const copy = await run('copy.yaml');
    expect(copy.code, copy.stderr).toBe(0);
    expect(plane(copy.events)).toMatchObject({ memory_limit: '48MB', threads: 1, sizing: 'database copy' });
    const transformed = await run('transformed.yaml');
    expect(transformed.code, transformed.stderr).toBe(0);
    expect(plane(transformed.events)).toMatchObject({
      memory_limit: '1GB',
      threads: null,
      sizing: 'default',
    });
    const configured = await run('copy.yaml', { OSIRIS_MEMORY_LIMIT: '256MB' });
    expect(plane(configured.events)).toMatchObject({ memory_limit: '256MB', sizing: 'configured' });
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const counted = await duck.runAndReadAll(
      `SELECT (SELECT count(*) FROM '${join(project, 'copy.parquet')}')::INT, (SELECT sum(id) FROM '${join(project, 'transformed.parquet')}')::BIGINT`,
    );
    expect(counted.getRows()).toEqual([[20000, 400020000n]]);
    duck.closeSync();
  });

  it('materialises a read whose columns may widen, and says why', async () => {
    const r = await run(pipeline('flags', '      table: flags', '      table: flags'));
    expect(r.code, r.stderr).toBe(0);
    expect(passThrough(r.events)).toMatchObject({ used: false });
    expect(passThrough(r.events)?.reason).toMatch(/'active' \(TINYINT\(1\)\).*'t' \(TIME\)/);
    const rows = await pg.rows(`SELECT id, active::text, t::text FROM ${pg.q('flags')} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, active: '1', t: '10:00:00' },
      { id: 2, active: '7', t: '838:59:59' },
    ]);
  });

  it('--keep-data keeps every step as a table, so nothing passes through', async () => {
    const r = await run(pipeline('kept', '      table: big', '      table: kept'), {}, ['--keep-data']);
    expect(r.code, r.stderr).toBe(0);
    expect(passThrough(r.events)).toBeUndefined();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(r.json.run_dir, 'scratch', 'run.duckdb'), {
      access_mode: 'READ_ONLY',
    });
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll('SELECT count(*)::INTEGER FROM "extract"')).getRows();
    conn.closeSync();
    db.closeSync();
    expect(rows).toEqual([[20000]]);
  });

  it('stops a query at its limit', async () => {
    const r = await run(
      pipeline(
        'limited',
        '      query: SELECT id, v FROM big ORDER BY id\n      limit: 4500',
        '      table: limited',
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(passThrough(r.events)?.used).toBe(true);
    expect(await pg.rows(`SELECT count(*)::int AS n, max(id) AS top FROM ${pg.q('limited')}`)).toEqual([
      { n: 4500, top: 4500 },
    ]);
  });

  it('an empty source never wipes a target, and append writes nothing', async () => {
    await pg.exec(`CREATE TABLE ${pg.q('keep')} (id integer); INSERT INTO ${pg.q('keep')} VALUES (1), (2)`);
    const before = await pg.fingerprint('keep');
    const replace = await run(
      pipeline('empty_replace', '      table: nothing', '      table: keep\n      write_mode: replace'),
    );
    expect(replace.code).toBe(1);
    expect(replace.json.error?.code).toBe('write.empty_input');
    expect(await pg.fingerprint('keep')).toEqual(before);
    // TRUNCATE-first replace learns the stream was empty after emptying the table: the rollback restores it.
    const truncated = await run(
      pipeline(
        'empty_truncate',
        '      table: nothing',
        '      table: keep\n      write_mode: replace\n      replace_strategy: truncate',
      ),
    );
    expect(truncated.code).toBe(1);
    expect(truncated.json.error?.code).toBe('write.empty_input');
    expect(await pg.fingerprint('keep')).toEqual(before);
    const append = await run(pipeline('empty_append', '      table: nothing', '      table: never_created'));
    expect(append.code, append.stderr).toBe(0);
    expect(append.events.some((e) => e.event === 'write.skipped')).toBe(true);
    expect(await pg.rows(`SELECT to_regclass('${pg.q('never_created')}') AS t`)).toEqual([{ t: null }]);
  });

  it('a value the target rejects mid-stream: exit 1, the column named, the target unchanged', async () => {
    await pg.exec(
      `CREATE TABLE ${pg.q('narrow')} (id integer PRIMARY KEY, code varchar(5));
       INSERT INTO ${pg.q('narrow')} VALUES (1, 'old'), (2, 'old')`,
    );
    const before = await pg.fingerprint('narrow');
    const r = await run(
      pipeline('narrow', '      table: wide', '      table: narrow\n      write_mode: replace'),
    );
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ location: { step: 'load' }, code: 'write.schema_mismatch' });
    expect(r.json.error?.message).toMatch(/code/);
    expect(r.json.error?.message).toMatch(/unchanged/);
    // The 20,000 source rows fit in the pipe before Postgres reports the bad one: the read itself completed.
    expect(r.json.steps.map((s) => [s.id, s.status])).toEqual([
      ['extract', 'succeeded'],
      ['load', 'failed'],
    ]);
    expect(await pg.fingerprint('narrow')).toEqual(before);
  });

  /** Starts a run whose source pauses mid-stream (after 5000 rows), and calls `interrupt` during the pause. */
  async function interrupted(name: string, interrupt: () => Promise<void>, env: NodeJS.ProcessEnv = {}) {
    await pg.exec(
      `CREATE TABLE IF NOT EXISTS ${pg.q(name)} (id integer, v text);
       TRUNCATE ${pg.q(name)}; INSERT INTO ${pg.q(name)} VALUES (1, 'before')`,
    );
    const before = await pg.fingerprint(name);
    // Retries off (step-level `retry: false`): these runs check how one interrupted attempt fails.
    const file = pipeline(
      name,
      `      query: "SELECT id, IF(id = 5000, ${my.name}_pause(), v) AS v FROM big ORDER BY id"\n    retry: false`,
      `      table: ${name}\n      write_mode: replace\n    retry: false`,
    );
    const running = run(file, env);
    await interrupt();
    const r = await running;
    expect(r.code).toBe(1);
    expect(await pg.fingerprint(name)).toEqual(before);
    return r;
  }

  /** Polls `probe` until it finds something (the run reached its pause), instead of guessing a sleep. */
  async function whenFound<T>(what: string, probe: () => Promise<T[]>): Promise<T[]> {
    for (let i = 0; i < 300; i++) {
      const found = await probe();
      if (found.length) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`never saw ${what}`);
  }

  const killSource = async () => {
    const procs = await whenFound('the source pausing', () =>
      my.rows(
        // Inside the function the processlist shows its statement; the database name keeps other tests' out.
        "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%SLEEP(4) INTO x%' AND ID <> CONNECTION_ID()",
        [my.name],
      ),
    );
    expect(procs).toHaveLength(1);
    await my.admin.query(`KILL ${Number(procs[0]?.id)}`);
  };

  it('the MySQL connection killed mid-stream: exit 1 naming the source, the target unchanged', async () => {
    const r = await interrupted('killed_source', killSource);
    expect(r.json.error).toMatchObject({ location: { step: 'extract' }, code: 'connection.lost' });
    expect(r.json.error?.message).toMatch(/@mysql\.src/);
    expect(r.json.steps.find((s) => s.id === 'load')?.error?.code).toBe('runtime.dependency_failed');
  });

  it('the same kill without pass-through fails the read the same way (a streamed query hears of it)', async () => {
    const r = await interrupted('killed_source', killSource, { OSIRIS_PASS_THROUGH: '0' });
    expect(r.json.error).toMatchObject({ location: { step: 'extract' }, code: 'connection.lost' });
    expect(r.json.steps.find((s) => s.id === 'load')?.status).toBe('skipped');
  });

  it('the Postgres backend terminated mid-stream: exit 1 naming the target, the target unchanged', async () => {
    const r = await interrupted('killed_target', async () => {
      // The source has paused, so the writer's COPY is running; then only this run's writer: the backend
      // whose transaction holds a lock on this test's own target table (the staging table is created LIKE
      // it), not any other COPY on the shared server.
      await whenFound('the source pausing', () =>
        my.rows(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%SLEEP(4) INTO x%' AND ID <> CONNECTION_ID()",
          [my.name],
        ),
      );
      const killed = await whenFound('the writer copying', () =>
        pg.rows<{ ok: boolean }>(
          `SELECT pg_terminate_backend(a.pid) AS ok FROM pg_stat_activity a
           WHERE a.query LIKE 'COPY %osiris_stage%' AND a.pid <> pg_backend_pid()
             AND a.pid IN (SELECT l.pid FROM pg_locks l WHERE l.relation = to_regclass($1))`,
          [pg.q('killed_target')],
        ),
      );
      expect(killed).toEqual([{ ok: true }]);
    });
    expect(r.json.error?.location?.step).toBe('load');
    expect(r.json.error?.message).toMatch(/@postgres\.dst/);
    // The read was still going (sleeping mid-result): it is stopped and says why.
    const extract = r.json.steps.find((s) => s.id === 'extract');
    expect(extract?.status).toBe('failed');
    expect(extract?.error?.code).toBe('runtime.cancelled');
    expect(extract?.error?.message).toMatch(/'load', which failed/);
    expect(r.json.error?.message).toMatch(/unchanged/);
  });
});
