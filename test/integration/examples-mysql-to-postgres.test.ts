/**
 * Runs examples/mysql-to-postgres exactly as shipped (seed.sql, pipeline, connections file) against the local
 * MariaDB and PostgreSQL, with the database and schema names supplied through the environment like a user
 * would; and checks that the YAML README.md shows for it is the shipped files, byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCliJson, tempDir } from '../helpers/cli.js';
import { mysqlUnavailable, postgresUnavailable } from '../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './mysql/helpers.js';
import { openPgFixture, type PgFixture } from './postgres/helpers.js';

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable());

describe.skipIf(why !== undefined)('examples/mysql-to-postgres', () => {
  let my: MysqlTestDb;
  let pg: PgFixture;
  let project: string;

  beforeAll(async () => {
    my = await createTestDb();
    pg = await openPgFixture();
    await my.admin.query(readFileSync(join(REPO_ROOT, 'examples/mysql-to-postgres/seed.sql'), 'utf8'));
    project = tempDir('osiris-example-m2p-');
    cpSync(join(REPO_ROOT, 'examples/mysql-to-postgres'), project, { recursive: true });
  });

  afterAll(async () => {
    await my?.drop();
    await pg?.close();
  });

  it('copies exactly the active users, exact to the microsecond and the cent', async () => {
    const env = { MYSQL_DATABASE: my.name, PG_SCHEMA: pg.schema };
    for (let run = 0; run < 2; run++) {
      const { code, json, stderr } = runCliJson<{ status: string }>(['run', 'active_users.yaml'], {
        cwd: project,
        env,
      });
      expect(code, stderr).toBe(0);
      expect(json?.status).toBe('succeeded');
    }
    // Two runs in replace mode: still exactly the two active rows.
    const rows = await pg.rows(
      `SELECT id::text, email, country_code, signed_up_at::text, lifetime_value::text FROM ${pg.q('active_users')} ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: '1',
        email: 'ada@example.com',
        country_code: 'GB',
        signed_up_at: '2024-01-02 03:04:05.123456',
        lifetime_value: '1234.50',
      },
      {
        id: '9007199254740993',
        email: 'zoë@example.com',
        country_code: 'FI',
        signed_up_at: '2025-12-31 23:59:59.999999',
        lifetime_value: '99999999.99',
      },
    ]);
  });

  it('leaves nothing in the example folder that git (and so Biome) would pick up', () => {
    const shipped = new Set(readdirSync(join(REPO_ROOT, 'examples/mysql-to-postgres')));
    const left = readdirSync(project).filter((f) => !shipped.has(f));
    expect(left).toEqual(expect.arrayContaining(['run_logs', 'build']));
    // Every file a run wrote, as if it had been written in the clone's example folder.
    const files = left.flatMap((top) =>
      (readdirSync(join(project, top), { recursive: true }) as string[]).map((f) =>
        join('examples/mysql-to-postgres', top, f),
      ),
    );
    const ignored = spawnSync('git', ['check-ignore', '--no-index', '--stdin'], {
      cwd: REPO_ROOT,
      input: files.join('\n'),
      encoding: 'utf8',
    }).stdout.split('\n');
    expect(files.filter((f) => !ignored.includes(f))).toEqual([]);
  });
});

describe('README.md, MySQL → Postgres', () => {
  it('shows the example files exactly as shipped', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.split('## MySQL → Postgres')[1]?.split('\n## ')[0] ?? '';
    const shown = [...section.matchAll(/```(?:yaml|sql)\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const dir = join(REPO_ROOT, 'examples/mysql-to-postgres');
    const shipped = readdirSync(dir)
      .filter((f) => /\.(yaml|sql)$/.test(f))
      .map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(shown.length).toBeGreaterThanOrEqual(2);
    for (const block of shown) expect(shipped).toContain(block);
  });
});
