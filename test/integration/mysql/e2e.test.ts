// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * End to end through the built CLI (`npm run build` first): MySQL → DuckDB transform → CSV, and the CSV back
 * into MySQL with mysql.writer, with an osiris_connections.yaml that takes the password from the environment
 * (`${MYSQL_PASSWORD:-}`), so nothing secret is written in a file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliJson, tempDir } from '../../helpers/cli.js';
import { MYSQL, mysqlUnavailable } from '../../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();

interface RunJson {
  ok: boolean;
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

describe.skipIf(why !== undefined)('osiris run with MySQL', () => {
  let db: MysqlTestDb;
  let project: string;

  beforeAll(async () => {
    db = await createTestDb();
    await db.admin.query(`
      CREATE TABLE directors (id INT PRIMARY KEY, name VARCHAR(100) CHARACTER SET utf8mb4);
      CREATE TABLE movies (id INT PRIMARY KEY, director_id INT, title VARCHAR(200), rating DECIMAL(3,1), released DATE);
      INSERT INTO directors VALUES (1, 'Agnès Varda'), (2, 'Akira Kurosawa 黒澤明'), (3, 'Nobody 😀');
      INSERT INTO movies VALUES (1, 1, 'Cléo de 5 à 7', 7.9, '1962-04-11'), (2, 2, 'Rashomon', 8.2, '1950-08-25'),
        (3, 2, 'Ikiru', 8.3, '1952-10-09'), (4, 1, 'Le Bonheur', 7.3, '1965-02-03'), (5, 2, 'Ran', 8.2, '1985-06-01');
      CREATE TABLE stats (director VARCHAR(100), movie_count INT, avg_rating DECIMAL(4,2), PRIMARY KEY (director));`);
    project = tempDir('osiris-mysql-e2e-');
    writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
    writeFileSync(
      join(project, 'osiris_connections.yaml'),
      [
        'version: "1.0"',
        'connections:',
        '  mysql:',
        '    films:',
        '      default: true',
        '      host: ${MYSQL_HOST:-127.0.0.1}',
        `      port: ${MYSQL.port}`,
        `      database: ${db.name}`,
        '      user: ${MYSQL_USER:-root}',
        '      password: ${MYSQL_PASSWORD:-}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'pipeline.yaml'),
      `oml_version: "0.1.0"
name: director-report
steps:
  - id: directors
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.films"
      table: directors
  - id: movies
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.films"
      query: SELECT id, director_id, title, rating, released FROM movies WHERE rating >= 7.5
      batch_size: 2
  - id: stats
    component: duckdb.processor
    mode: transform
    needs: [directors, movies]
    config:
      query: |
        SELECT d.name AS director, count(m.id) AS movie_count, round(avg(m.rating), 2) AS avg_rating
        FROM directors d LEFT JOIN movies m ON m.director_id = d.id
        GROUP BY d.name ORDER BY d.name
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [stats]
    config:
      path: out/stats.csv
  - id: write-back
    component: mysql.writer
    mode: write
    needs: [stats]
    config:
      connection: "@mysql.films"
      table: stats
      write_mode: upsert
      primary_key: director
`,
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('MySQL → DuckDB transform → CSV and back into MySQL', () => {
    const result = runCliJson<RunJson>(['run', 'pipeline.yaml'], {
      cwd: project,
      env: { MYSQL_PASSWORD: MYSQL.password },
    });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.json?.ok).toBe(true);
    expect(Object.fromEntries(result.json?.steps.map((s) => [s.id, s.status]) ?? [])).toEqual({
      directors: 'succeeded',
      movies: 'succeeded',
      stats: 'succeeded',
      'write-csv': 'succeeded',
      'write-back': 'succeeded',
    });
    expect(readFileSync(join(project, 'out/stats.csv'), 'utf8')).toBe(
      'director,movie_count,avg_rating\nAgnès Varda,1,7.9\nAkira Kurosawa 黒澤明,3,8.23\nNobody 😀,0,\n',
    );
    return db
      .rows(
        'SELECT director, movie_count, CAST(avg_rating AS CHAR) AS avg_rating FROM stats ORDER BY director',
      )
      .then((rows) =>
        expect(rows).toEqual([
          { director: 'Agnès Varda', movie_count: 1, avg_rating: '7.90' },
          { director: 'Akira Kurosawa 黒澤明', movie_count: 3, avg_rating: '8.23' },
          { director: 'Nobody 😀', movie_count: 0, avg_rating: null },
        ]),
      );
  });

  it('a failing MySQL step exits 1 naming the alias and table; the password never shows', () => {
    const secret = 'Not-The-Password-123';
    const result = runCliJson<RunJson>(['run', 'pipeline.yaml'], {
      cwd: project,
      env: { MYSQL_PASSWORD: secret },
    });
    expect(result.code).toBe(1);
    expect(result.json?.error?.code).toBe('connection.auth_failed');
    expect(result.json?.error?.message).toContain('@mysql.films');
    const all =
      result.stdout + result.stderr + readFileSync(join(result.json?.run_dir ?? '', 'events.jsonl'), 'utf8');
    expect(all).not.toContain(secret);
  });
});
