/**
 * Runs examples/mysql-to-postgres exactly as shipped (pipeline + connections file) against the local MariaDB
 * and PostgreSQL, with the database and schema names supplied through the environment like a user would.
 */
import { cpSync } from 'node:fs';
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
    await my.admin.query(`
      CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(120), country CHAR(2), active TINYINT(1),
        signed_up_at DATETIME(6), lifetime_value DECIMAL(12,2));
      INSERT INTO users VALUES
        (1, 'ada@example.com', 'gb', 1, '2024-01-02 03:04:05.123456', 1234.50),
        (2, 'bob@example.com', 'us', 0, '2024-02-03 04:05:06.000000', 10.00),
        (9007199254740993, 'zoë@example.com', 'fi', 1, '2025-12-31 23:59:59.999999', 99999999.99);`);
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
});
