/**
 * Shared pieces of the Postgres integration tests: an admin client on the local server, one schema
 * `osiris_test_<random>` per test file (dropped afterwards), resolved connections pointing at it, and a
 * row count + checksum of a table for "target unchanged" assertions.
 */
import pg from 'pg';
import type { ResolvedConnection } from '../../../src/runtime/driver.js';
import { POSTGRES, uniqueName } from '../../helpers/databases.js';

export interface PgFixture {
  schema: string;
  admin: pg.Client;
  /** A `@postgres.test` connection whose default schema is the test schema. */
  connection(fields?: Record<string, string | number>, family?: string): ResolvedConnection;
  /** `"schema"."table"`. */
  q(table: string): string;
  exec(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  rows<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Row count and md5 of all rows' text, ordered: equal before/after ⇔ the table is unchanged. */
  fingerprint(table: string): Promise<{ count: number; md5: string | null }>;
  close(): Promise<void>;
}

export async function openPgFixture(): Promise<PgFixture> {
  const admin = new pg.Client({ ...POSTGRES });
  admin.on('error', () => {});
  await admin.connect();
  const schema = uniqueName('osiris_test');
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const q = (table: string) => `"${schema}"."${table.replaceAll('"', '""')}"`;
  return {
    schema,
    admin,
    connection(fields = {}, family = 'postgres') {
      return {
        family,
        alias: 'test',
        fields: {
          host: POSTGRES.host,
          port: POSTGRES.port,
          database: POSTGRES.database,
          user: POSTGRES.user,
          password: '',
          schema,
          ...fields,
        },
      };
    },
    q,
    exec: (sql, values) => admin.query(sql, values),
    async rows<T>(sql: string, values?: unknown[]) {
      return (await admin.query(sql, values)).rows as T[];
    },
    async fingerprint(table) {
      const r = await admin.query(
        `SELECT count(*)::int AS count, md5(string_agg(t::text, '|' ORDER BY t::text)) AS md5 FROM ${q(table)} t`,
      );
      return { count: r.rows[0].count as number, md5: r.rows[0].md5 as string | null };
    },
    async close() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
