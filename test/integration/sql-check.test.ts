/**
 * `osiris validate` and `osiris compile` bind every query before the run: a column that does not exist is an
 * error at its line:col in the YAML file (exit 2, nothing compiled). Shapes come from CSV headers, from the
 * discovery cache, or from a live discovery with `--discover` (the real MariaDB here).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, tempDir } from '../helpers/cli.js';
import { MYSQL, mysqlUnavailable, uniqueName } from '../helpers/databases.js';

function project(files: Record<string, string>): string {
  const dir = tempDir('osiris-sql-check-');
  writeFileSync(join(dir, 'osiris.yaml'), 'version: "2.0"\n');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const csvPipeline = (query: string) => `oml_version: "0.1.0"
name: people
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/people.csv
  - id: top
    component: duckdb.processor
    mode: transform
    config:
      query: ${query}
  - id: write
    component: filesystem.csv_writer
    mode: write
    config:
      path: out/top.csv
`;

describe('SQL over CSV steps is bound at validate and compile time', () => {
  it('reports an unknown column at its line:col in a block scalar; compile writes nothing', () => {
    const dir = project({
      'data/people.csv': 'id,name,age\n1,Ada,36\n',
      'pipeline.yaml': csvPipeline('|\n        SELECT id,\n               nmae\n        FROM input_df'),
    });
    for (const command of ['validate', 'compile']) {
      const r = runCli([command, 'pipeline.yaml'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "pipeline.yaml:15:16 error SQL002 unknown column 'nmae' of table 'extract' among the inputs of step 'top' — did you mean 'name'? columns of 'extract': id, name, age",
      );
    }
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });

  it('a plain one-line query points at the column; a valid query passes and says what was checked', () => {
    const dir = project({
      'data/people.csv': 'id,name\n1,Ada\n',
      'pipeline.yaml': csvPipeline('SELECT id, agee FROM input_df'),
    });
    const bad = runCli(['validate', 'pipeline.yaml'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pipeline\.yaml:13:25 error SQL002 unknown column 'agee'/m);
    writeFileSync(join(dir, 'pipeline.yaml'), csvPipeline('SELECT id, name FROM input_df'));
    const good = runCliJson<{ ok: boolean; sql_check: unknown }>(['validate', 'pipeline.yaml'], { cwd: dir });
    expect(good.code).toBe(0);
    expect(good.json?.sql_check).toEqual({ checked: ['top'], unchecked: [] });
  });

  it('says which steps it could not check and why, without failing', () => {
    const dir = project({ 'pipeline.yaml': csvPipeline('SELECT id, agee FROM input_df') });
    const r = runCli(['validate', 'pipeline.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "note: SQL of step 'top' not checked: the shape of its input 'extract' is not known",
    );
  });
});

const why = await mysqlUnavailable();
const db = uniqueName('osiris_sqlchk');

async function admin(sql: string): Promise<void> {
  const conn = await mysql.createConnection({ ...MYSQL, multipleStatements: true });
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

describe.skipIf(why !== undefined)('SQL of a MySQL extractor: discovery cache and --discover', () => {
  let dir: string;
  beforeAll(async () => {
    await admin(
      `CREATE DATABASE \`${db}\`; CREATE TABLE \`${db}\`.movies (id INT PRIMARY KEY, title VARCHAR(50), rating DECIMAL(3,1))`,
    );
    dir = project({
      'osiris_connections.yaml': `version: "1.0"\nconnections:\n  mysql:\n    main:\n      host: ${MYSQL.host}\n      port: ${MYSQL.port}\n      database: ${db}\n      user: ${MYSQL.user}\n      password: ""\n`,
      'pipeline.yaml': `oml_version: "0.1.0"
name: movies
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.main"
      query: "SELECT id, titel FROM movies"
  - id: write
    component: filesystem.csv_writer
    mode: write
    config:
      path: out/movies.csv
`,
    });
  });
  afterAll(async () => {
    if (why === undefined) await admin(`DROP DATABASE IF EXISTS \`${db}\``);
  });

  it('without a discovery the step is named as unchecked; --discover finds the column; then the cache does', () => {
    const before = runCli(['validate', 'pipeline.yaml'], { cwd: dir });
    expect(before.code).toBe(0);
    expect(before.stderr).toContain(
      "note: SQL of step 'extract' not checked: @mysql.main has not been discovered yet; run `osiris validate --discover` or `osiris discovery run @mysql.main`",
    );
    const expected =
      "pipeline.yaml:9:26 error SQL002 unknown column 'titel' of table 'movies' in @mysql.main — did you mean 'title'? columns of 'movies': id, title, rating";
    const live = runCli(['validate', 'pipeline.yaml', '--discover'], { cwd: dir });
    expect(live.code).toBe(2);
    expect(live.stderr).toContain(expected);
    const cached = runCli(['compile', 'pipeline.yaml'], { cwd: dir });
    expect(cached.code).toBe(2);
    expect(cached.stderr).toContain(expected);
  });
});
