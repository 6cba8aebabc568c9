// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Pass-through into file writers (docs/adr/0019): mysql.extractor or postgres.extractor → CSV, Parquet or JSON
 * streams through a named pipe into one DuckDB COPY, never a table. Through the built CLI against the local
 * servers: every file is byte for byte what the materialised path (OSIRIS_PASS_THROUGH=0) writes, over every
 * column type the sources stream and the writers' formatting options; and a failure on either side mid-stream
 * exits 1 with the target file unchanged and no temp file left beside it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempDir } from '../helpers/cli.js';
import { MYSQL, mysqlUnavailable, POSTGRES, postgresUnavailable } from '../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './mysql/helpers.js';
import { openPgFixture, type PgFixture } from './postgres/helpers.js';

const whyMysql = await mysqlUnavailable();
const whyPostgres = await postgresUnavailable();

interface RunJson {
  status: string;
  run_dir: string;
  steps: Array<{ id: string; status: string; error?: { code: string; message: string } }>;
  error?: { code: string; message: string; hint?: string; location?: { step?: string } };
}

interface Event {
  event: string;
  used?: boolean;
  reason?: string;
}

/** Writer configs over which both paths must agree byte for byte (besides `path`). */
const WRITERS: Array<[name: string, component: string, config: string[]]> = [
  ['csv', 'filesystem.csv_writer', []],
  [
    'csv_options',
    'filesystem.csv_writer',
    ['delimiter: ";"', 'quoting: nonnumeric', 'newline: crlf', 'header: false'],
  ],
  ['csv_all', 'filesystem.csv_writer', ['quoting: all', 'quote: "\'"']],
  ['parquet', 'filesystem.parquet_writer', []],
  ['json', 'filesystem.json_writer', ['format: array', 'decimal_format: number']],
];

const EXT: Record<string, string> = {
  'filesystem.csv_writer': 'csv',
  'filesystem.parquet_writer': 'parquet',
  'filesystem.json_writer': 'json',
};

/** A project with `@mysql.src` and `@postgres.src`, and a runner for extract → write pipelines in it. */
function fileProject(mysqlDb: string | undefined, pgSchema: string | undefined) {
  const project = tempDir('osiris-dbfile-');
  mkdirSync(join(project, 'out'));
  writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
  const lines = ['version: "1.0"', 'connections:'];
  if (mysqlDb)
    lines.push(
      ...['  mysql:', '    src:', `      host: ${MYSQL.host}`, `      port: ${MYSQL.port}`],
      ...[`      database: ${mysqlDb}`, `      user: ${MYSQL.user}`, '      password: ${MYSQL_PASSWORD:-}'],
    );
  if (pgSchema)
    lines.push(
      ...['  postgres:', '    src:', `      host: ${POSTGRES.host}`, `      port: ${POSTGRES.port}`],
      ...[`      database: ${POSTGRES.database}`, `      user: ${POSTGRES.user}`],
      ...['      password: ${PG_PASSWORD:-}', `      schema: ${pgSchema}`],
    );
  writeFileSync(join(project, 'osiris_connections.yaml'), `${lines.join('\n')}\n`);

  const pipeline = (name: string, extractor: string, read: string[], writer: string, write: string[]) => {
    const indent = (l: string[]) => l.map((x) => `      ${x}`).join('\n');
    const file = `${name}.yaml`;
    writeFileSync(
      join(project, file),
      `oml_version: "0.1.0"
name: ${name.replaceAll('_', '-')}
steps:
  - id: extract
    component: ${extractor}
    mode: read
    config:
      connection: "@${extractor.split('.')[0]}.src"
${indent(read)}
  - id: write
    component: ${writer}
    mode: write
    needs: [extract]
    config:
${indent(write)}
`,
    );
    return file;
  };

  const run = async (file: string, env: NodeJS.ProcessEnv = {}) => {
    const result = await runCliAsync(['run', file, '--json'], { cwd: project, env, timeoutMs: 60_000 });
    const json = JSON.parse(result.stdout) as RunJson;
    const events = readFileSync(join(json.run_dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    return { ...result, json, events, passThrough: events.find((e) => e.event === 'pass_through') };
  };

  /** Writes `read` with every writer config on both paths and expects the same bytes. */
  const sameFiles = async (tag: string, extractor: string, read: string[]) => {
    for (const [name, writer, config] of WRITERS) {
      const out = (path: string) => join(project, 'out', `${tag}_${name}_${path}.${EXT[writer]}`);
      const file = (path: string) =>
        pipeline(`${tag}_${name}_${path}`, extractor, read, writer, [`path: ${out(path)}`, ...config]);
      const streamed = await run(file('streamed'));
      expect(streamed.code, `${name}: ${streamed.stderr}`).toBe(0);
      expect(streamed.passThrough, name).toMatchObject({ used: true });
      const materialised = await run(file('materialised'), { OSIRIS_PASS_THROUGH: '0' });
      expect(materialised.code, `${name}: ${materialised.stderr}`).toBe(0);
      expect(materialised.passThrough).toBeUndefined();
      if (name === 'csv') {
        // The read's preview: the first rows as they streamed by (their text is JavaScript's rendering of the
        // stream values, which differs from DuckDB's for some floats and bytes: a known limit of previews).
        const preview = (r: typeof streamed) =>
          JSON.parse(readFileSync(join(r.json.run_dir, 'preview', 'extract.json'), 'utf8')) as {
            source: string;
            columns: unknown[];
            rows: unknown[][];
          };
        const [s, m] = [preview(streamed), preview(materialised)];
        expect([s.source, m.source]).toEqual(['stream', 'table']);
        expect(s.columns).toEqual(m.columns);
        expect(s.rows).toHaveLength(m.rows.length);
        expect(s.rows[0]).toEqual(m.rows[0]);
      }
      const a = readFileSync(out('streamed'));
      expect(a.length, name).toBeGreaterThan(0);
      expect(a.equals(readFileSync(out('materialised'))), `${name}: the two files differ`).toBe(true);
    }
  };

  /** The folder holds exactly `names`: no temp file was left beside the target. */
  const onlyFiles = (names: string[]) =>
    expect(readdirSync(join(project, 'out')).filter((f) => names.includes(f) || f.startsWith('.'))).toEqual(
      names,
    );

  return { project, pipeline, run, sameFiles, onlyFiles };
}

describe.skipIf(whyMysql !== undefined)('pass-through mysql.extractor → file writers', () => {
  let my: MysqlTestDb;
  let p: ReturnType<typeof fileProject>;

  beforeAll(async () => {
    my = await createTestDb('dbfile');
    p = fileProject(my.name, undefined);
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
         NULL, NULL, NULL, NULL, NULL),
        (4, 0, 1, 2, 3, 4, 5.5, 6, 1.5e-7, -2.5e-300, '1000-01-01', '9999-12-31 23:59:59', '1970-01-01 00:00:01',
         2000, 'a', 'y', '"quoted, \\\\"json\\\\""', X'5C78', X'2C0A22', b'1', b'1',
         'a "quoted", comma\\r\\nCRLF line', ' lead; semi ');
      CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20));
      INSERT INTO big SELECT seq, CONCAT('row ', seq) FROM seq_1_to_20000;
      CREATE TABLE nothing (id INT PRIMARY KEY);`);
    // The SQL guard refuses SLEEP() in an extractor query; a stored function hides it.
    await my.admin.query(
      `CREATE FUNCTION ${my.name}_pause() RETURNS VARCHAR(20) NO SQL BEGIN DECLARE x INT; SELECT SLEEP(4) INTO x; RETURN CAST(x AS CHAR); END`,
    );
  });

  afterAll(async () => {
    await my?.drop();
  });

  it('writes every file byte for byte as the materialised path does, type by type', {
    timeout: 240_000,
  }, async () => {
    await p.sameFiles('my', 'mysql.extractor', ['table: everything']);
  });

  it('columns and order_by apply to the stream as to the table', async () => {
    const write = (path: string) => [`path: out/${path}.csv`, 'columns: [v, id]', 'order_by: [id desc]'];
    const read = ['query: SELECT id, v FROM big WHERE id <= 5000'];
    const a = await p.run(
      p.pipeline('my_sel_a', 'mysql.extractor', read, 'filesystem.csv_writer', write('sel_a')),
    );
    const b = await p.run(
      p.pipeline('my_sel_b', 'mysql.extractor', read, 'filesystem.csv_writer', write('sel_b')),
      { OSIRIS_PASS_THROUGH: '0' },
    );
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.passThrough?.used).toBe(true);
    const text = readFileSync(join(p.project, 'out/sel_a.csv'), 'utf8');
    expect(text).toBe(readFileSync(join(p.project, 'out/sel_b.csv'), 'utf8'));
    expect(text.split('\n').slice(0, 2)).toEqual(['v,id', 'row 5000,5000']);
  });

  it('an empty source never replaces a file, on both paths', async () => {
    writeFileSync(join(p.project, 'out', 'kept.csv'), 'id\n1\n');
    for (const env of [{}, { OSIRIS_PASS_THROUGH: '0' }]) {
      const r = await p.run(
        p.pipeline('my_empty', 'mysql.extractor', ['table: nothing'], 'filesystem.csv_writer', [
          'path: out/kept.csv',
        ]),
        env,
      );
      expect(r.code).toBe(1);
      expect(r.json.error?.code).toBe('write.empty_input');
      expect(readFileSync(join(p.project, 'out', 'kept.csv'), 'utf8')).toBe('id\n1\n');
    }
  });

  it('the MySQL connection killed mid-stream: exit 1, the file unchanged, no temp file left', async () => {
    for (const env of [{}, { OSIRIS_PASS_THROUGH: '0' }]) {
      writeFileSync(join(p.project, 'out', 'killed.parquet'), 'old');
      const running = p.run(
        p.pipeline(
          'my_killed',
          'mysql.extractor',
          // Retries off: the test checks how one killed attempt fails.
          [
            `query: "SELECT id, IF(id = 5000, ${my.name}_pause(), v) AS v FROM big ORDER BY id"\n    retry: false`,
          ],
          'filesystem.parquet_writer',
          ['path: out/killed.parquet'],
        ),
        env,
      );
      // Polled, not slept: on a busy machine the run may take seconds to reach the pause.
      let procs: Record<string, unknown>[] = [];
      for (let waited = 0; procs.length === 0 && waited < 20_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        procs = await my.rows(
          "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%SLEEP(4) INTO x%' AND ID <> CONNECTION_ID()",
          [my.name],
        );
      }
      expect(procs).toHaveLength(1);
      await my.admin.query(`KILL ${Number(procs[0]?.id)}`);
      const r = await running;
      expect(r.code).toBe(1);
      expect(r.json.error).toMatchObject({ location: { step: 'extract' }, code: 'connection.lost' });
      expect(r.json.steps.find((s) => s.id === 'write')?.status).toBe(
        'OSIRIS_PASS_THROUGH' in env ? 'skipped' : 'failed',
      );
      expect(readFileSync(join(p.project, 'out', 'killed.parquet'), 'utf8')).toBe('old');
    }
    p.onlyFiles(['killed.parquet']);
  });

  it('DuckDB failing mid-stream stops the read: exit 1 naming the writer, the file unchanged', async () => {
    writeFileSync(join(p.project, 'out', 'long.csv'), 'old\n');
    const r = await p.run(
      p.pipeline(
        'my_long',
        'mysql.extractor',
        ["query: SELECT id, IF(id = 3000, REPEAT('x', 5000000), v) AS v FROM big ORDER BY id"],
        'filesystem.csv_writer',
        ['path: out/long.csv'],
      ),
    );
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ location: { step: 'write' }, code: 'write.failed' });
    expect(r.json.error?.hint).toMatch(/pass_through: false/);
    expect(readFileSync(join(p.project, 'out', 'long.csv'), 'utf8')).toBe('old\n');
    p.onlyFiles(['long.csv']);
  });
});

describe.skipIf(whyPostgres !== undefined)('pass-through postgres.extractor → file writers', () => {
  let pg: PgFixture;
  let p: ReturnType<typeof fileProject>;

  beforeAll(async () => {
    pg = await openPgFixture();
    p = fileProject(undefined, pg.schema);
    await pg.exec(`
      CREATE TABLE ${pg.q('everything')} (
        id int PRIMARY KEY, s smallint, b bigint, n numeric(12,2), wide numeric(38,10), r real, d double precision,
        f boolean, dt date, ts timestamp(6), tz timestamptz, t time, u uuid, j json, txt text, vc varchar(10)
      )`);
    await pg.exec(`INSERT INTO ${pg.q('everything')} VALUES
      (1, -32768, -9223372036854775808, -1234567890.12, 1234567890123456789012345678.0123456789, 0.1, 0.1,
       true, '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.123456+05:30', '23:59:59.999999',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2], "t": "x\\ty"}',
       E'tab\\there, newline\\nthere, backslash \\\\ and quote '' and "dq", emoji 🦀, ünïcödé', 'ten chars!'),
      (2, 32767, 9223372036854775807, 0.00, -0.0000000001, 'Infinity', '-Infinity', false, '0044-03-15 BC',
       '0044-03-15 12:00:00 BC', 'infinity', '24:00:00', '00000000-0000-0000-0000-000000000000', 'null', '', ''),
      (3, 0, 0, 1.5, 0, 'NaN', 'NaN', NULL, 'infinity', '-infinity', '-infinity', '00:00:00', NULL, NULL,
       E'\\\\N is not null\\r\\n', ' ; '),
      (4, NULL, NULL, NULL, NULL, 1e30, -0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    // The types whose CSV Postgres writes itself when nothing else is asked of the file (docs/adr/0019).
    await pg.exec(`
      CREATE TABLE ${pg.q('csv_direct')} (
        id int, s smallint, b bigint, n numeric(12,2), wide numeric(38,10), dt date, ts timestamp(6), txt text,
        vc varchar(10), "Mixed_Case" bpchar(3)
      )`);
    await pg.exec(`INSERT INTO ${pg.q('csv_direct')} VALUES
      (1, -32768, -9223372036854775808, -1234567890.12, 1234567890123456789012345678.0123456789, '2024-02-29',
       '2024-02-29 23:59:59.5', E'tab\there, newline\nthere, backslash \\ and quote '' and "dq", 🦀 ü', 'a,b', 'x'),
      (2, 32767, 9223372036854775807, 0.00, -0.0000000001, '0044-03-15 BC', '0044-03-15 12:00:00.25 BC', '',
       '"', ''),
      (3, 0, 0, 1.5, 0, 'infinity', '-infinity', E'\\N\r\n', ' ; ', NULL),
      (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'ab'),
      (5, 1, 1, 10, 1, '10000-01-01', '2024-01-01 00:00:00.000001', '.', 'NULL', ' ')`);
    await pg.exec(
      `CREATE TABLE ${pg.q('bad')} AS SELECT i AS id, (CASE WHEN i = 15000 THEN 'NaN'::numeric ELSE i END)::numeric(12,2) AS x
       FROM generate_series(1, 20000) i`,
    );
  });

  afterAll(async () => {
    await pg?.close();
  });

  it('writes every file byte for byte as the materialised path does, type by type', {
    timeout: 240_000,
  }, async () => {
    await p.sameFiles('pg', 'postgres.extractor', ['table: everything']);
  });

  it("a CSV in the writer's default dialect is Postgres' own, byte for byte DuckDB's", async () => {
    const cases: Array<[tag: string, read: string, header: string]> = [
      ['header', 'table: csv_direct', 'true'],
      ['bare', 'table: csv_direct', 'false'],
      ['empty', 'query: SELECT * FROM csv_direct WHERE id > 100', 'true'],
    ];
    for (const [tag, read, header] of cases) {
      const out = (path: string) => join(p.project, 'out', `direct_${tag}_${path}.csv`);
      const file = (path: string) =>
        p.pipeline(`direct_${tag}_${path}`, 'postgres.extractor', [read], 'filesystem.csv_writer', [
          `path: ${out(path)}`,
          `header: ${header}`,
          'allow_empty: true',
        ]);
      const runs = [
        await p.run(file('direct')),
        await p.run(file('piped'), { OSIRIS_CSV_DIRECT: '0' }),
        await p.run(file('materialised'), { OSIRIS_PASS_THROUGH: '0' }),
      ];
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(runs.map((r) => r.events.some((e) => e.event === 'write.source_csv'))).toEqual([
        true,
        false,
        false,
      ]);
      expect(runs[0]?.json.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
      const direct = readFileSync(out('direct'), 'utf8');
      expect(direct, 'piped').toBe(readFileSync(out('piped'), 'utf8'));
      expect(direct, 'materialised').toBe(readFileSync(out('materialised'), 'utf8'));
      // The preview is parsed from the first CSV rows: the same rows as the materialised read's.
      const preview = (r: (typeof runs)[number] | undefined) =>
        JSON.parse(readFileSync(join(r?.json.run_dir ?? '', 'preview', 'extract.json'), 'utf8')).rows;
      expect(preview(runs[0])).toEqual(preview(runs[2]));
    }
  });

  it('a value DuckDB cannot hold fails mid-stream as on the general path: exit 1, the file unchanged', async () => {
    const codes: Array<string | undefined> = [];
    for (const env of [{}, { OSIRIS_PASS_THROUGH: '0' }]) {
      writeFileSync(join(p.project, 'out', 'bad.csv'), 'old\n');
      const r = await p.run(
        p.pipeline('pg_bad', 'postgres.extractor', ['table: bad'], 'filesystem.csv_writer', [
          'path: out/bad.csv',
        ]),
        env,
      );
      expect(r.code).toBe(1);
      expect(r.json.error?.location?.step).toBe('extract');
      codes.push(r.json.error?.code);
      expect(readFileSync(join(p.project, 'out', 'bad.csv'), 'utf8')).toBe('old\n');
    }
    expect(codes).toEqual(['extract.type_error', 'extract.type_error']);
    p.onlyFiles(['bad.csv']);
  });
});
