/**
 * Real database servers for integration tests. In CI (`OSIRIS_CI=1`, set by .ci/run) a missing server is a
 * failure; on a laptop without one the suites skip with a clear message.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' } as const;
export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;

const inCi = process.env.OSIRIS_CI === '1';

async function reachable(probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** `undefined` when MariaDB answers; otherwise why not. Throws in CI. */
export async function mysqlUnavailable(): Promise<string | undefined> {
  const why = await reachable(async () => {
    const conn = await mysql.createConnection({ ...MYSQL, connectTimeout: 3000 });
    await conn.end();
  });
  if (why && inCi) throw new Error(`MariaDB is required in CI but unreachable at 127.0.0.1:3306: ${why}`);
  if (why) console.warn(`skipping MySQL tests: MariaDB unreachable at 127.0.0.1:3306 (${why})`);
  return why;
}

/** `undefined` when PostgreSQL answers; otherwise why not. Throws in CI. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const why = await reachable(async () => {
    const client = new pg.Client({ ...POSTGRES, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.end();
  });
  if (why && inCi) throw new Error(`PostgreSQL is required in CI but unreachable at 127.0.0.1:5432: ${why}`);
  if (why) console.warn(`skipping Postgres tests: PostgreSQL unreachable at 127.0.0.1:5432 (${why})`);
  return why;
}

/** A unique, valid database/schema name for one test file. */
export function uniqueName(prefix = 'osiris_test'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/**
 * A project folder (osiris.yaml + osiris_connections.yaml) with `@mysql.src` on the local MariaDB database
 * `mysqlDatabase` and `@postgres.dst` on the local Postgres schema `pgSchema`.
 */
export function mysqlToPostgresProject(dir: string, mysqlDatabase: string, pgSchema: string): string {
  writeFileSync(join(dir, 'osiris.yaml'), 'version: "2.0"\n');
  writeFileSync(
    join(dir, 'osiris_connections.yaml'),
    [
      'version: "1.0"',
      'connections:',
      '  mysql:',
      '    src:',
      `      host: ${MYSQL.host}`,
      `      port: ${MYSQL.port}`,
      `      database: ${mysqlDatabase}`,
      `      user: ${MYSQL.user}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment reference in the YAML
      '      password: ${MYSQL_PASSWORD:-}',
      '  postgres:',
      '    dst:',
      `      host: ${POSTGRES.host}`,
      `      port: ${POSTGRES.port}`,
      `      database: ${POSTGRES.database}`,
      `      user: ${POSTGRES.user}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment reference in the YAML
      '      password: ${PG_PASSWORD:-}',
      `      schema: ${pgSchema}`,
      '',
    ].join('\n'),
  );
  return dir;
}
