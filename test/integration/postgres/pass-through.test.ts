// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Pass-through from postgres.extractor (docs/adr/0006): Postgres → Postgres with the writer as the extractor's
 * only consumer runs as one stream. Through the built CLI against the local server: the target holds exactly
 * what the materialised path (OSIRIS_PASS_THROUGH=0) writes, type by type and edge value by edge value;
 * columns DuckDB must cast are materialised and the reason is said; a value DuckDB cannot hold fails the
 * same way on both paths, the target unchanged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempDir } from '../../helpers/cli.js';
import { POSTGRES, postgresUnavailable } from '../../helpers/databases.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const why = await postgresUnavailable();

interface Event {
  event: string;
  used?: boolean;
  reason?: string;
}

describe.skipIf(why !== undefined)('pass-through postgres.extractor → postgres.writer', () => {
  let pg: PgFixture;
  let project: string;

  beforeAll(async () => {
    pg = await openPgFixture();
    project = tempDir('osiris-pg-pass-through-');
    writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
    writeFileSync(
      join(project, 'osiris_connections.yaml'),
      [
        'version: "1.0"',
        'connections:',
        '  postgres:',
        '    db:',
        `      host: ${POSTGRES.host}`,
        `      port: ${POSTGRES.port}`,
        `      database: ${POSTGRES.database}`,
        `      user: ${POSTGRES.user}`,
        '      password: ${PG_PASSWORD:-}',
        `      schema: ${pg.schema}`,
        '',
      ].join('\n'),
    );
    await pg.exec(`CREATE TYPE ${pg.q('mood')} AS ENUM ('sad', 'ok', 'happy')`);
    await pg.exec(`
      CREATE TABLE ${pg.q('everything')} (
        id int PRIMARY KEY, s smallint, b bigint, n numeric(12,2), wide numeric(38,10), r real, d double precision,
        f boolean, dt date, ts timestamp(6), tz timestamptz, t time, u uuid, j json, jb jsonb, txt text,
        vc varchar(10), ch char(3), m ${pg.q('mood')}, bits bit(4), vb varbit, o oid
      )`);
    await pg.exec(`INSERT INTO ${pg.q('everything')} VALUES
      (1, -32768, -9223372036854775808, -1234567890.12, 1234567890123456789012345678.0123456789, 0.1, 0.1,
       true, '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.123456+05:30', '23:59:59.999999',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2], "t": "x\\ty"}', '{"b": {"c": null}}',
       E'tab\\there, newline\\nthere, backslash \\\\ and quote '' and "dq", emoji 🦀, ünïcödé', 'ten chars!', 'ab',
       'happy', B'1010', B'101', 4294967295),
      (2, 32767, 9223372036854775807, 0.00, -0.0000000001, 'Infinity', '-Infinity', false, '0044-03-15 BC',
       '0044-03-15 12:00:00 BC', 'infinity', '24:00:00', '00000000-0000-0000-0000-000000000000', 'null', '[]',
       '', '', '', 'sad', B'0000', B'', 0),
      (3, 0, 0, 1.5, 0, 'NaN', 'NaN', NULL, 'infinity', '-infinity', '-infinity', '00:00:00', NULL, NULL, NULL,
       E'\\\\N is not null', NULL, NULL, NULL, NULL, NULL, NULL),
      (4, NULL, NULL, NULL, NULL, 1e30, -0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL)`);
    await pg.exec(
      `CREATE TABLE ${pg.q('big')} AS SELECT i AS id, md5(i::text) AS h, (i * 0.01)::numeric(12,2) AS x FROM generate_series(1, 20000) i`,
    );
  });

  afterAll(async () => {
    await pg?.close();
  });

  function pipeline(name: string, read: string, write: string): string {
    const file = `${name}.yaml`;
    writeFileSync(
      join(project, file),
      `oml_version: "0.1.0"
name: ${name}
steps:
  - id: extract
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.db"
${read}
  - id: load
    component: postgres.writer
    mode: write
    needs: [extract]
    config:
      connection: "@postgres.db"
${write}
`,
    );
    return file;
  }

  async function run(file: string, env: NodeJS.ProcessEnv = {}) {
    const result = await runCliAsync(['run', file, '--json'], { cwd: project, env, timeoutMs: 60_000 });
    const json = JSON.parse(result.stdout) as {
      run_dir: string;
      error?: { code: string; message: string; hint?: string; location?: { step?: string } };
    };
    const events = readFileSync(join(json.run_dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    return { ...result, json, passThrough: events.find((e) => e.event === 'pass_through') };
  }

  /** Column types and every row as text: what "the same target" means. */
  async function snapshot(table: string) {
    const types = await pg.rows(
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
       WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [pg.q(table)],
    );
    const rows = await pg.rows(`SELECT to_jsonb(x)::text AS row FROM ${pg.q(table)} x ORDER BY x.id`);
    return { types, rows: rows.map((r) => r.row) };
  }

  it('writes exactly what the materialised path writes, type by type', async () => {
    const streamed = await run(
      pipeline('all_streamed', '      table: everything', '      table: streamed\n      write_mode: replace'),
    );
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(streamed.passThrough).toMatchObject({ used: true });
    const materialised = await run(
      pipeline(
        'all_materialised',
        '      table: everything',
        '      table: materialised\n      write_mode: replace',
      ),
      { OSIRIS_PASS_THROUGH: '0' },
    );
    expect(materialised.code, materialised.stderr).toBe(0);
    expect(materialised.passThrough).toBeUndefined();
    const a = await snapshot('streamed');
    expect(a.rows).toHaveLength(4);
    expect(a).toEqual(await snapshot('materialised'));
    // And the values are the source's, edge values included (BC dates, infinities, NaN, 24:00, escapes).
    // (oid lands as bigint: the one column whose JSON form differs.)
    const source = await pg.rows(
      `SELECT (to_jsonb(x) || jsonb_build_object('o', x.o::bigint))::text AS row FROM ${pg.q('everything')} x ORDER BY x.id`,
    );
    expect(a.rows).toEqual(source.map((r) => r.row));
  });

  it('a plain copy of many rows streams, and the target matches the source', async () => {
    const r = await run(pipeline('big_copy', '      table: big', '      table: big_copy'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.passThrough).toMatchObject({ used: true });
    const sum = (t: string) =>
      pg.rows(
        `SELECT count(*)::int AS n, sum(x)::text AS s, md5(string_agg(h, '' ORDER BY id)) AS m FROM ${pg.q(t)}`,
      );
    expect(await sum('big_copy')).toEqual(await sum('big'));
  });

  it('materialises columns DuckDB must cast, and says which', async () => {
    await pg.exec(
      `CREATE TABLE ${pg.q('odd')} AS SELECT 1 AS id, interval '1 day 2 hours' AS iv, ARRAY[1, 2] AS arr, 12.5::numeric AS free`,
    );
    const r = await run(pipeline('odd', '      table: odd', '      table: odd_copy'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.passThrough).toMatchObject({ used: false });
    expect(r.passThrough?.reason).toContain("'iv' (interval)");
    expect(r.passThrough?.reason).toContain("'arr' (integer[])");
    expect(r.passThrough?.reason).toContain("'free' (numeric)");
    expect(
      await pg.rows(`SELECT id, iv::text AS iv, arr, free::text AS free FROM ${pg.q('odd_copy')}`),
    ).toEqual([{ id: 1, iv: '1 day 02:00:00', arr: [1, 2], free: '12.5' }]);
  });

  it('a value DuckDB cannot hold fails as on the materialised path, naming the column; the target is unchanged', async () => {
    await pg.exec(`CREATE TABLE ${pg.q('nan')} (id int, n numeric(10,2))`);
    await pg.exec(`INSERT INTO ${pg.q('nan')} SELECT i, i FROM generate_series(1, 5000) i`);
    await pg.exec(`INSERT INTO ${pg.q('nan')} VALUES (5001, 'NaN')`);
    await pg.exec(`CREATE TABLE ${pg.q('nan_target')} (id int, n numeric(10,2))`);
    await pg.exec(`INSERT INTO ${pg.q('nan_target')} VALUES (1, 1)`);
    const before = await pg.fingerprint('nan_target');
    const file = pipeline('nan', '      table: nan', '      table: nan_target\n      write_mode: replace');
    for (const env of [{}, { OSIRIS_PASS_THROUGH: '0' }]) {
      const r = await run(file, env);
      expect(r.code).toBe(1);
      expect(r.json.error?.code).toBe('extract.type_error');
      expect(r.json.error?.message).toContain("column 'n' (numeric(10,2))");
      expect(await pg.fingerprint('nan_target')).toEqual(before);
    }
  });

  it('the source backend terminated mid-stream: exit 1 naming the source, the target unchanged', async () => {
    await pg.exec(
      `CREATE TABLE ${pg.q('kept')} (id int, h text); INSERT INTO ${pg.q('kept')} VALUES (1, 'before')`,
    );
    const before = await pg.fingerprint('kept');
    // The SQL guard refuses pg_sleep() in an extractor query; a function hides it (what a read-only role,
    // not the guard, must police — docs/reference/security.md).
    await pg.exec(
      `CREATE FUNCTION ${pg.q(`${pg.schema}_pause`)}() RETURNS text LANGUAGE sql AS $$ SELECT pg_sleep(4)::text $$`,
    );
    const file = pipeline(
      'terminated',
      // Retries off: the test checks how one terminated attempt fails.
      `      query: 'SELECT id, CASE WHEN id = 5000 THEN ${pg.q(`${pg.schema}_pause`)}() ELSE h END AS h FROM ${pg.q('big')} ORDER BY id'\n    retry: false`,
      '      table: kept\n      write_mode: replace\n    retry: false',
    );
    const running = run(file);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // well inside the sleep
    // Only this run's source backend: its step's application name, in this database, reading this test's
    // own schema (other test files use the same server at the same time).
    const killed = await pg.rows<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'osiris extract'
         AND query LIKE 'COPY %pause%' AND strpos(query, $1) > 0 AND pid <> pg_backend_pid()`,
      [pg.q('big')],
    );
    expect(killed).toEqual([{ ok: true }]);
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.passThrough).toMatchObject({ used: true });
    expect(r.json.error).toMatchObject({ location: { step: 'extract' } });
    expect(r.json.error?.message).toMatch(/@postgres\.db/);
    expect(await pg.fingerprint('kept')).toEqual(before);
  });
});
