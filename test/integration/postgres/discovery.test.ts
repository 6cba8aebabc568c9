/**
 * The Postgres discovery adapter and `connections doctor` on the local server (plus protocol-level fakes for
 * a rejected password and a server that never answers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector as postgres } from '../../../src/connectors/postgres/index.js';
import { connector as supabase } from '../../../src/connectors/supabase/index.js';
import type { DiscoveryAdapter } from '../../../src/discovery/types.js';
import { postgresUnavailable } from '../../helpers/databases.js';
import { rejectingServer, silentServer } from './fake-server.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const skip = await postgresUnavailable();
const SECRET = 'Hunter2-very-secret';

describe.skipIf(skip)('postgres discovery', () => {
  let fx: PgFixture;
  let adapter: DiscoveryAdapter;

  beforeAll(async () => {
    fx = await openPgFixture();
    await fx.exec(
      `CREATE TABLE ${fx.q('customers')} (
         id bigint PRIMARY KEY, name text NOT NULL, balance numeric(12,2) DEFAULT 0, tags text[],
         created_at timestamptz DEFAULT now(), api_token text, big numeric)`,
    );
    await fx.exec(
      `INSERT INTO ${fx.q('customers')} (id, name, balance, tags, created_at, api_token, big)
       SELECT i, 'c' || i, i * 1.5, ARRAY['a', 'b'], '2024-01-01 00:00:00+00', 'tok' || i, 12345678901234567890.5
       FROM generate_series(1, 1200) i`,
    );
    await fx.exec(
      `CREATE TABLE ${fx.q('order_lines')} (order_id int, line int, qty smallint, ok boolean, PRIMARY KEY (line, order_id))`,
    );
    await fx.exec(`INSERT INTO ${fx.q('order_lines')} VALUES (1, 1, 2, true), (1, 2, 3, false)`);
    await fx.exec(
      `CREATE VIEW ${fx.q('rich')} AS SELECT id, name FROM ${fx.q('customers')} WHERE balance > 100`,
    );
    await fx.exec(`ANALYZE ${fx.q('customers')}`);
    adapter = await postgres.openDiscovery(fx.connection());
  });

  afterAll(async () => {
    await adapter?.close();
    await fx?.close();
  });

  it('lists tables and views of the connection schema with row estimates', async () => {
    expect(await adapter.listTables()).toEqual([
      { schema: fx.schema, name: 'customers', kind: 'table', rowEstimate: 1200 },
      { schema: fx.schema, name: 'order_lines', kind: 'table', rowEstimate: null },
      { schema: fx.schema, name: 'rich', kind: 'view', rowEstimate: null },
    ]);
  });

  it('describes columns: source and DuckDB types, nullability, defaults, primary key', async () => {
    const t = await adapter.describeTable({ schema: fx.schema, name: 'customers' });
    expect(t).toMatchObject({
      schema: fx.schema,
      name: 'customers',
      kind: 'table',
      rowEstimate: 1200,
      primaryKey: ['id'],
    });
    expect(t.columns).toEqual([
      {
        name: 'id',
        sourceType: 'bigint',
        duckdbType: 'BIGINT',
        nullable: false,
        primaryKeyPosition: 1,
        default: null,
      },
      {
        name: 'name',
        sourceType: 'text',
        duckdbType: 'VARCHAR',
        nullable: false,
        primaryKeyPosition: null,
        default: null,
      },
      {
        name: 'balance',
        sourceType: 'numeric(12,2)',
        duckdbType: 'DECIMAL(12,2)',
        nullable: true,
        primaryKeyPosition: null,
        default: '0',
      },
      {
        name: 'tags',
        sourceType: 'text[]',
        duckdbType: 'VARCHAR[]',
        nullable: true,
        primaryKeyPosition: null,
        default: null,
      },
      {
        name: 'created_at',
        sourceType: 'timestamp with time zone',
        duckdbType: 'TIMESTAMPTZ',
        nullable: true,
        primaryKeyPosition: null,
        default: 'now()',
      },
      {
        name: 'api_token',
        sourceType: 'text',
        duckdbType: 'VARCHAR',
        nullable: true,
        primaryKeyPosition: null,
        default: null,
      },
      {
        name: 'big',
        sourceType: 'numeric',
        duckdbType: 'DECIMAL(38,s) sized from the data, else VARCHAR',
        nullable: true,
        primaryKeyPosition: null,
        default: null,
      },
    ]);
    const lines = await adapter.describeTable({ schema: null, name: 'order_lines' });
    expect(lines.primaryKey).toEqual(['line', 'order_id']);
    expect(lines.columns.map((c) => c.primaryKeyPosition)).toEqual([2, 1, null, null]);
  });

  it('samples rows as JSON-safe values (big numbers as exact strings)', async () => {
    const rows = await adapter.sampleRows({ schema: fx.schema, name: 'customers' }, 2);
    expect(rows).toEqual([
      {
        id: '1',
        name: 'c1',
        balance: '1.50',
        tags: '{a,b}',
        created_at: '2024-01-01 00:00:00+00',
        api_token: 'tok1',
        big: '12345678901234567890.5',
      },
      {
        id: '2',
        name: 'c2',
        balance: '3.00',
        tags: '{a,b}',
        created_at: '2024-01-01 00:00:00+00',
        api_token: 'tok2',
        big: '12345678901234567890.5',
      },
    ]);
    expect(await adapter.sampleRows({ schema: fx.schema, name: 'order_lines' }, 5)).toEqual([
      { order_id: 1, line: 1, qty: 2, ok: true },
      { order_id: 1, line: 2, qty: 3, ok: false },
    ]);
  });

  it('names a missing table with a did-you-mean', async () => {
    await expect(adapter.describeTable({ schema: fx.schema, name: 'customer' })).rejects.toThrow(
      `table '${fx.schema}.customer' does not exist in @postgres.test (did you mean 'customers'?)`,
    );
  });

  it('changes the schema fingerprint when a column changes, not when rows do', async () => {
    const first = await adapter.schemaFingerprint();
    await fx.exec(`INSERT INTO ${fx.q('order_lines')} VALUES (2, 1, 1, true)`);
    expect(await adapter.schemaFingerprint()).toBe(first);
    await fx.exec(`ALTER TABLE ${fx.q('order_lines')} ADD COLUMN note text`);
    const second = await adapter.schemaFingerprint();
    expect(second).not.toBe(first);
    await fx.exec(`ALTER TABLE ${fx.q('order_lines')} ALTER COLUMN note TYPE varchar(10)`);
    expect(await adapter.schemaFingerprint()).not.toBe(second);
  });

  it('works for supabase connections over pg_dsn', async () => {
    const dsn = `postgresql://postgres@127.0.0.1:5432/test`;
    const sb = await supabase.openDiscovery({
      family: 'supabase',
      alias: 'main',
      fields: { pg_dsn: dsn, schema: fx.schema },
    });
    try {
      expect((await sb.listTables()).map((t) => t.name)).toEqual(['customers', 'order_lines', 'rich']);
    } finally {
      await sb.close();
    }
  });

  it('refuses a REST-only supabase connection with a clear message', async () => {
    await expect(
      supabase.openDiscovery({
        family: 'supabase',
        alias: 'rest',
        fields: { url: 'https://x.supabase.co', key: SECRET },
      }),
    ).rejects.toThrow(/needs database credentials/);
  });
});

describe.skipIf(skip)('postgres doctor', () => {
  let fx: PgFixture;
  beforeAll(async () => {
    fx = await openPgFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('ok with latency and server version', async () => {
    const r = await postgres.doctor(fx.connection(), 5000);
    expect(r.status).toBe('ok');
    expect(r.serverVersion).toMatch(/^\d+(\.\d+)?/);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.message).toContain("@postgres.test: connected to 127.0.0.1:5432/test as 'postgres'");
  });

  it('auth_failed for a rejected password, never printing it', async () => {
    const server = await rejectingServer();
    try {
      const r = await postgres.doctor(
        fx.connection({ port: server.port, password: SECRET, user: 'app' }),
        5000,
      );
      expect(r.status).toBe('auth_failed');
      expect(r.message).toContain('password authentication failed for user "app"');
      expect(JSON.stringify(r)).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });

  it('unreachable for an unknown host and a closed port', async () => {
    const host = await postgres.doctor(
      fx.connection({ host: 'nonexistent-host.invalid', password: SECRET }),
      5000,
    );
    expect(host.status).toBe('unreachable');
    expect(host.message).toContain('ENOTFOUND');
    expect(JSON.stringify(host)).not.toContain(SECRET);
    const port = await postgres.doctor(fx.connection({ port: 1 }), 5000);
    expect(port.status).toBe('unreachable');
  });

  it('database_missing', async () => {
    const r = await postgres.doctor(fx.connection({ database: 'no_such_db_x' }), 5000);
    expect(r.status).toBe('database_missing');
    expect(r.message).toContain("database 'no_such_db_x' does not exist");
  });

  it('timeout when the server never answers', async () => {
    const server = await silentServer();
    try {
      const started = Date.now();
      const r = await postgres.doctor(fx.connection({ port: server.port }), 300);
      expect(r.status).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await server.close();
    }
  });

  it('error for a connection string that is not one, without echoing it', async () => {
    const r = await postgres.doctor(
      { family: 'postgres', alias: 'bad', fields: { pg_dsn: `postgres://u:${SECRET}@[bad` } },
      1000,
    );
    expect(r.status).toBe('error');
    expect(r.message).toContain('not a valid postgresql:// URL');
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });
});
