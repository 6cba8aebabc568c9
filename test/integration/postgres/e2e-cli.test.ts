/**
 * End to end through the built CLI (`node bin/osiris.js run`) with an osiris_connections.yaml: Postgres →
 * DuckDB SQL → Postgres (replace, run twice) and Postgres → Parquet, compared with what Postgres itself
 * computes; and a failing write that exits 1 with the alias and table in the message.
 * Needs `npm run build` first (the CLI runs from dist/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, tempDir } from '../../helpers/cli.js';
import { POSTGRES, postgresUnavailable } from '../../helpers/databases.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const skip = await postgresUnavailable();
const PASSWORD = 'e2e-Secret-pw-41';

interface RunJson {
  ok: boolean;
  status: string;
  run_dir: string;
  steps: Array<{ id: string; status: string; rows_out: number | null }>;
  error?: { code: string; message: string; hint?: string; location?: { step?: string } };
}

describe.skipIf(skip)('osiris run with Postgres', () => {
  let fx: PgFixture;
  let project: string;
  const write = (rel: string, text: string) => {
    const path = join(project, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };

  beforeAll(async () => {
    fx = await openPgFixture();
    await fx.exec(
      `CREATE TABLE ${fx.q('orders')} (id bigint PRIMARY KEY, customer text, total numeric(12,2), created timestamptz)`,
    );
    await fx.exec(
      `INSERT INTO ${fx.q('orders')}
       SELECT i, 'customer ' || (i % 7), (i % 1000) * 1.01, timestamptz '2024-01-01 00:00:00+00' + i * interval '1.5 seconds'
       FROM generate_series(1, 30000) i`,
    );
    project = tempDir('osiris-pg-e2e-');
    write(
      'osiris_connections.yaml',
      `version: "1.0"
connections:
  postgres:
    local:
      default: true
      host: ${POSTGRES.host}
      port: ${POSTGRES.port}
      database: ${POSTGRES.database}
      user: ${POSTGRES.user}
      password: \${PG_E2E_PASSWORD}
      schema: ${fx.schema}
`,
    );
    write(
      'pipeline.yaml',
      `oml_version: "0.1.0"
name: pg-roundtrip
steps:
  - id: extract-orders
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.local"
      table: orders
  - id: totals
    component: duckdb.processor
    mode: transform
    needs: [extract-orders]
    config:
      query: |
        SELECT customer, count(*) AS orders, sum(total) AS total, max(created) AS last_order
        FROM input_df GROUP BY customer ORDER BY customer
  - id: write-totals
    component: postgres.writer
    mode: write
    needs: [totals]
    config:
      connection: "@postgres.local"
      table: customer_totals
      write_mode: replace
      primary_key: customer
  - id: write-parquet
    component: filesystem.parquet_writer
    mode: write
    needs: [extract-orders]
    config:
      path: out/orders.parquet
`,
    );
  });

  afterAll(async () => {
    await fx?.close();
  });

  const env = { PG_E2E_PASSWORD: PASSWORD };

  it('Postgres → DuckDB SQL → Postgres (replace) and Postgres → Parquet', async () => {
    for (let run = 1; run <= 2; run++) {
      const { code, json, stderr } = runCliJson<RunJson>(['run', 'pipeline.yaml'], { cwd: project, env });
      expect(stderr).not.toContain(PASSWORD);
      expect(code, stderr).toBe(0);
      expect(json?.status).toBe('succeeded');
      expect(json?.steps.find((s) => s.id === 'extract-orders')?.rows_out).toBe(30000);
    }
    const got = await fx.rows(
      `SELECT customer, orders::text, total::text, last_order::text FROM ${fx.q('customer_totals')} ORDER BY customer`,
    );
    const expected = await fx.rows(
      `SELECT customer, count(*)::text AS orders, sum(total)::text AS total, max(created)::text AS last_order
       FROM ${fx.q('orders')} GROUP BY customer ORDER BY customer`,
    );
    expect(got).toHaveLength(7);
    expect(got).toEqual(expected);

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run("SET TimeZone = 'UTC'");
      const parquet = join(project, 'out/orders.parquet');
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM '${parquet}'`)).getRowObjectsJson();
      expect(types.map((t) => [t.column_name, t.column_type])).toEqual([
        ['id', 'BIGINT'],
        ['customer', 'VARCHAR'],
        ['total', 'DECIMAL(12,2)'],
        ['created', 'TIMESTAMP WITH TIME ZONE'],
      ]);
      const [agg] = (
        await conn.runAndReadAll(
          `SELECT count(*)::VARCHAR AS n, sum(total)::VARCHAR AS total, max(created)::VARCHAR AS last FROM '${parquet}'`,
        )
      ).getRowObjectsJson();
      const [pgAgg] = await fx.rows<{ n: string; total: string; last: string }>(
        `SELECT count(*)::text AS n, sum(total)::text AS total, to_char(max(created) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS last FROM ${fx.q('orders')}`,
      );
      expect(agg).toEqual({ n: pgAgg?.n, total: pgAgg?.total, last: pgAgg?.last?.replace('.000000', '') });
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('a failing write exits 1 naming the connection and the table, and changes nothing', async () => {
    write(
      'broken.yaml',
      `oml_version: "0.1.0"
name: pg-broken
steps:
  - id: extract-orders
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.local"
      query: SELECT id, customer FROM orders WHERE id <= 10
  - id: write-missing
    component: postgres.writer
    mode: write
    needs: [extract-orders]
    config:
      connection: "@postgres.local"
      table: no_such_table
      create_if_missing: false
`,
    );
    const { code, stdout, stderr } = runCli(['run', 'broken.yaml'], { cwd: project, env });
    expect(code).toBe(1);
    const text = stdout + stderr;
    expect(text).toContain(`table '${fx.schema}.no_such_table' does not exist on @postgres.local`);
    expect(text).not.toContain(PASSWORD);
    expect(await fx.rows(`SELECT to_regclass('${fx.q('no_such_table')}') AS r`)).toEqual([{ r: null }]);
  });
});
