/**
 * Migration from the Python Osiris (issue 13): pipelines, a connections file and component specs written in
 * the shapes the original documents (test/compat/project), run through the CLI as a migrating user would —
 * validate, compile and run against the local MariaDB and PostgreSQL, with the outputs checked.
 * docs/migrating.md lists what these prove.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, tempDir } from '../helpers/cli.js';
import { MYSQL, mysqlUnavailable, POSTGRES, postgresUnavailable, uniqueName } from '../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from '../integration/mysql/helpers.js';
import { openPgFixture, type PgFixture } from '../integration/postgres/helpers.js';

const PIPELINES = [
  'mysql_to_local_csv_all_tables.yaml',
  'mysql_default_connection.yaml',
  'csv_options.yaml',
  'mysql_to_supabase.yaml',
];

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable());

/** Diagnostic codes a command printed (text or JSON: both name them). */
const codes = (text: string): string[] =>
  [...new Set(text.match(/\b(OML|CON|PAR|CMP)\d{3}\b/g) ?? [])].sort();

describe.skipIf(why !== undefined)('pipelines, connections and specs of the Python Osiris', () => {
  let my: MysqlTestDb;
  let pg: PgFixture;
  let archiveDb: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  const osiris = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(args, { cwd: project, env: { ...env, ...extra } });
  const paramsFor = (file: string) =>
    file === 'mysql_default_connection.yaml'
      ? ['--param', `archive_db=${archiveDb}`]
      : file === 'mysql_to_supabase.yaml'
        ? ['--param', `pg_schema=${pg.schema}`]
        : [];
  const output = (name: string) => readFileSync(join(project, 'output', name));

  beforeAll(async () => {
    my = await createTestDb('osiris_compat');
    await my.admin.query(`
      CREATE TABLE actors (id INT PRIMARY KEY, name VARCHAR(100), birth_year INT);
      INSERT INTO actors VALUES (1, 'Tim Robbins', 1958), (2, 'Morgan Freeman', 1937);
      CREATE TABLE directors (id INT PRIMARY KEY, name VARCHAR(100), country VARCHAR(50));
      INSERT INTO directors VALUES (1, 'Frank Darabont', 'USA');
      CREATE TABLE movies (id INT PRIMARY KEY, title VARCHAR(200), year INT);
      INSERT INTO movies VALUES (1, 'The Shawshank Redemption', 1994), (2, 'The Green Mile', 1999),
        (3, 'The Mist', 2007), (4, 'The Majestic', 2001);`);
    archiveDb = uniqueName('osiris_compat_archive');
    await my.admin.query(`CREATE DATABASE \`${archiveDb}\` CHARACTER SET utf8mb4`);
    await my.admin.query(`CREATE TABLE \`${archiveDb}\`.old_movies (id INT PRIMARY KEY, title VARCHAR(100))`);
    await my.admin.query(`INSERT INTO \`${archiveDb}\`.old_movies VALUES (1, 'Amélie'), (2, 'Metropolis')`);
    pg = await openPgFixture();

    project = tempDir('osiris-compat-');
    cpSync(join(REPO_ROOT, 'test/compat/project'), project, { recursive: true });
    mkdirSync(join(project, 'data'));
    // A blank line in the middle: the original skipped it (skip_blank_lines: true), so does DuckDB.
    writeFileSync(
      join(project, 'data/events.csv.gz'),
      gzipSync('zip,amount,happened_on\n00501,12.5,2024-01-02\n\n10001,7,2024-03-04\n'),
    );
    env = {
      COMPAT_MYSQL_HOST: MYSQL.host,
      COMPAT_MYSQL_USER: MYSQL.user,
      COMPAT_MYSQL_PASSWORD: MYSQL.password,
      COMPAT_MYSQL_DATABASE: my.name,
      COMPAT_PG_HOST: POSTGRES.host,
      COMPAT_PG_USER: POSTGRES.user,
      COMPAT_PG_PASSWORD: '',
      COMPAT_PG_DATABASE: POSTGRES.database,
      // The REST fallback this key would enable must not be used: the pg_* fields win.
      COMPAT_SUPABASE_SERVICE_ROLE_KEY: 'compat-service-role-key-not-used',
    };
  });

  afterAll(async () => {
    await my?.admin.query(`DROP DATABASE IF EXISTS \`${archiveDb}\``);
    await my?.drop();
    await pg?.close();
  });

  it('validates and compiles every pipeline, with the documented warnings', () => {
    const expected: Record<string, string[]> = {
      // pool_size, pool_recycle, echo: accepted, no effect.
      'mysql_to_local_csv_all_tables.yaml': ['OML049'],
      // chunk_size (OML049); steps without connection (OML050).
      'mysql_default_connection.yaml': ['OML049', 'OML050'],
      'csv_options.yaml': ['OML049'],
      'mysql_to_supabase.yaml': ['OML049'],
    };
    for (const file of PIPELINES) {
      const validate = osiris(['validate', `pipelines/${file}`, ...paramsFor(file)]);
      expect(validate.code, `${file}: ${validate.stdout}${validate.stderr}`).toBe(0);
      expect(codes(validate.stdout + validate.stderr), file).toEqual(expected[file]);
      const compile = osiris(['compile', `pipelines/${file}`, ...paramsFor(file)]);
      expect(compile.code, `${file}: ${compile.stdout}${compile.stderr}`).toBe(0);
    }
    // Each warning points at the key, with the reason.
    const text = osiris([
      'validate',
      'pipelines/mysql_default_connection.yaml',
      ...paramsFor('mysql_default_connection.yaml'),
    ]);
    expect(text.stdout + text.stderr).toMatch(
      /mysql_default_connection\.yaml:23:7 warning OML049 config key 'chunk_size' is accepted .* no effect/,
    );
    expect(text.stdout + text.stderr).toMatch(/warning OML050 .*default @mysql connection/);
  });

  it('keeps `osiris oml validate`, the original command, for several files at once', () => {
    const result = osiris([
      'oml',
      'validate',
      'pipelines/csv_options.yaml',
      'pipelines/mysql_to_local_csv_all_tables.yaml',
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.match(/is valid/g)).toHaveLength(2);
    const bad = osiris(['oml', 'validate', 'pipelines/missing.yaml']);
    expect(bad.code).toBe(2);
  });

  it('reads `username:` as `user` with a warning, and accepts the pg_* fields', () => {
    const result = osiris(['validate']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(
      /osiris_connections\.yaml:10:7 warning CON014 @mysql\.movies: 'username' is read as 'user'/,
    );
    expect(result.stdout + result.stderr).not.toMatch(/CON050/);
  });

  it('runs tables extracted one after the other (implicit chain), with and without pass-through', () => {
    for (const passThrough of ['1', '0']) {
      const run = osiris(['run', 'pipelines/mysql_to_local_csv_all_tables.yaml'], {
        OSIRIS_PASS_THROUGH: passThrough,
      });
      expect(run.code, `pass-through ${passThrough}: ${run.stdout}${run.stderr}`).toBe(0);
      expect(output('actors.csv').toString()).toBe(
        'id,name,birth_year\n1,Tim Robbins,1958\n2,Morgan Freeman,1937\n',
      );
      expect(output('directors.csv').toString()).toBe('id,name,country\n1,Frank Darabont,USA\n');
    }
  });

  it('runs steps without connection on the default alias: schema, offset, encodings, quoting', () => {
    const run = osiris([
      'run',
      'pipelines/mysql_default_connection.yaml',
      ...paramsFor('mysql_default_connection.yaml'),
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // latin-1: é is one byte (0xE9); nonnumeric quoting: text quoted, numbers bare (header names too).
    expect(output('archive.csv')).toEqual(
      Buffer.from('id,"title"\n1,"Am\xe9lie"\n2,"Metropolis"\n', 'latin1'),
    );
    // utf-16 with a byte-order mark; offset 1, limit 2 of the ordered query.
    const page = output('page.csv');
    expect([...page.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(page.subarray(2).toString('utf16le')).toBe('id,title\n2,The Green Mile\n3,The Mist\n');
  });

  it('reads CSV with dtype, parse_dates and compression', () => {
    const run = osiris(['run', 'pipelines/csv_options.yaml']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(output('events.csv').toString()).toBe(
      [
        'zip,amount,happened_on,zip_type,amount_type,happened_on_type',
        '00501,12.5,2024-01-02 00:00:00,VARCHAR,DOUBLE,TIMESTAMP',
        '10001,7.0,2024-03-04 00:00:00,VARCHAR,DOUBLE,TIMESTAMP',
        '',
      ].join('\n'),
    );
  });

  it('writes to Supabase over the Postgres protocol its pg_* fields describe (write_mode: insert)', async () => {
    const run = osiris(['run', 'pipelines/mysql_to_supabase.yaml', ...paramsFor('mysql_to_supabase.yaml')]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await pg.rows(`SELECT id, title, year FROM ${pg.q('movies')} ORDER BY id`)).toEqual([
      { id: 1, title: 'The Shawshank Redemption', year: 1994 },
      { id: 2, title: 'The Green Mile', year: 1999 },
      { id: 3, title: 'The Mist', year: 2007 },
      { id: 4, title: 'The Majestic', year: 2001 },
    ]);
    // insert = append: a second run adds the rows again (no key on the created table).
    expect(
      osiris(['run', 'pipelines/mysql_to_supabase.yaml', ...paramsFor('mysql_to_supabase.yaml')]).code,
    ).toBe(0);
    expect(await pg.rows(`SELECT count(*)::int AS n FROM ${pg.q('movies')}`)).toEqual([{ n: 8 }]);
  });

  it('accepts component specs in the original shape (x-runtime driver, simple x-connection-fields)', () => {
    for (const spec of ['shopify.extractor', 'hubspot.writer']) {
      const result = osiris(['components', 'validate', `components/${spec}/spec.yaml`, '--level', 'strict']);
      expect(result.code, `${spec}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    const list = osiris(['components', 'list']);
    expect(list.stdout).toMatch(/shopify\.extractor/);
    expect(list.stdout).toMatch(/hubspot\.writer/);
  });
});
