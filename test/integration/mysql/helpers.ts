/**
 * Shared setup of the MySQL integration tests: one database `osiris_test_<hex>` per test file (created in
 * beforeAll, dropped in afterAll), an admin connection, the ResolvedConnection drivers get, and a table
 * fingerprint (row count + CHECKSUM TABLE + an ordered hash) to prove a target did not change.
 */
import mysql from 'mysql2/promise';
import type { ResolvedConnection } from '../../../src/runtime/driver.js';
import { MYSQL, uniqueName } from '../../helpers/databases.js';

export interface MysqlTestDb {
  name: string;
  /** Admin connection with the test database selected; multiple statements allowed. */
  admin: mysql.Connection;
  /** What a step gets for `@mysql.test`. */
  connection(overrides?: Record<string, string | number>): ResolvedConnection;
  /** Rows of a query as objects (admin connection, strings for big numbers and dates). */
  rows(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  fingerprint(table: string): Promise<TableFingerprint>;
  drop(): Promise<void>;
}

export interface TableFingerprint {
  rows: number;
  checksum: string;
  /** md5 over the sorted md5s of every row (order-independent; catches what CHECKSUM TABLE might not). */
  hash: string;
}

export async function createTestDb(prefix = 'osiris_test'): Promise<MysqlTestDb> {
  const name = uniqueName(prefix);
  const admin = await mysql.createConnection({
    ...MYSQL,
    multipleStatements: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
    charset: 'UTF8MB4_UNICODE_CI',
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.query(`USE \`${name}\``);
  await admin.query("SET time_zone = '+00:00'; SET SESSION group_concat_max_len = 1073741824");
  const rows = async (sql: string, values?: unknown[]) => {
    const [result] = await admin.query(sql, values);
    return result as Record<string, unknown>[];
  };
  return {
    name,
    admin,
    connection: (overrides = {}) => ({
      family: 'mysql',
      alias: 'test',
      fields: {
        host: MYSQL.host,
        port: MYSQL.port,
        user: MYSQL.user,
        password: MYSQL.password,
        database: name,
        ...overrides,
      },
    }),
    rows,
    async fingerprint(table: string) {
      const exists = await rows(
        'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [name, table],
      );
      if (Number(exists[0]?.n) === 0) return { rows: -1, checksum: 'missing', hash: 'missing' };
      const [count] = await rows(`SELECT COUNT(*) AS n FROM \`${table}\``);
      const [check] = await rows(`CHECKSUM TABLE \`${table}\``);
      const cols = await rows(
        'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [name, table],
      );
      const concat = cols.map((c) => `COALESCE(HEX(\`${String(c.c)}\`), 'N')`).join(", '|', ");
      const rowHash = `MD5(CONCAT(${concat}))`;
      const [hash] = await rows(
        `SELECT MD5(GROUP_CONCAT(${rowHash} ORDER BY ${rowHash} SEPARATOR '')) AS h FROM \`${table}\``,
      );
      return { rows: Number(count?.n), checksum: String(check?.Checksum), hash: String(hash?.h) };
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

/** A step error as tests look at it. */
export type Failure = Error & { code?: string; details?: Record<string, unknown>; hint?: string };

/** The error `p` rejects with; fails the test when it resolves. */
export function failure(p: Promise<unknown>): Promise<Failure> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Failure,
  );
}
