/**
 * The MySQL DiscoveryAdapter directly (the generic discovery layer is tested in test/integration/discovery/):
 * tables with estimates, columns with MySQL and DuckDB types, keys, JSON-safe samples, the schema fingerprint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/mysql/index.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { createTestDb, failure, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();

describe.skipIf(why !== undefined)('MySQL connector: discovery', () => {
  let db: MysqlTestDb;

  beforeAll(async () => {
    db = await createTestDb();
    await db.admin.query(`
      CREATE TABLE orders (
        id BIGINT UNSIGNED NOT NULL, line SMALLINT NOT NULL, amount DECIMAL(65,30) NULL,
        paid TINYINT(1) NOT NULL DEFAULT 0, placed TIMESTAMP NULL, data JSON, raw VARBINARY(8),
        PRIMARY KEY (id, line));
      CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, dur TIME);
      CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;
      INSERT INTO orders VALUES (18446744073709551615, 1, '12345.5', 1, '2024-05-01 10:00:00', '{"a": 1}', x'00ff'),
        (1, 2, NULL, 0, NULL, NULL, NULL);
      INSERT INTO notes VALUES (1, 'hello', '-01:00:00');
      ANALYZE TABLE orders, notes;`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('lists tables and views, describes columns and keys, samples rows', async () => {
    const d = await connector.openDiscovery(db.connection());
    try {
      expect(d.family).toBe('mysql');
      const tables = await d.listTables();
      expect(tables.map((t) => [t.schema, t.name, t.kind])).toEqual([
        [db.name, 'big_orders', 'view'],
        [db.name, 'notes', 'table'],
        [db.name, 'orders', 'table'],
      ]);
      expect(tables.find((t) => t.name === 'big_orders')?.rowEstimate).toBeNull();
      expect(tables.find((t) => t.name === 'orders')?.rowEstimate).toBeGreaterThanOrEqual(1);

      const orders = await d.describeTable({ schema: db.name, name: 'orders' });
      expect(orders.primaryKey).toEqual(['id', 'line']);
      expect(
        orders.columns.map((c) => [c.name, c.sourceType, c.duckdbType, c.nullable, c.primaryKeyPosition]),
      ).toEqual([
        ['id', 'bigint(20) unsigned', 'UBIGINT', false, 1],
        ['line', 'smallint(6)', 'SMALLINT', false, 2],
        ['amount', 'decimal(65,30)', 'DECIMAL(38,30)', true, null],
        ['paid', 'tinyint(1)', 'BOOLEAN', false, null],
        ['placed', 'timestamp', 'TIMESTAMP WITH TIME ZONE', true, null],
        ['data', 'json', 'JSON', true, null],
        ['raw', 'varbinary(8)', 'BLOB', true, null],
      ]);
      expect(orders.columns.find((c) => c.name === 'paid')?.default).toBe('0');
      const notes = await d.describeTable({ schema: null, name: 'notes' });
      expect(notes.columns.find((c) => c.name === 'dur')?.duckdbType).toBe('TIME');

      const samples = await d.sampleRows({ schema: db.name, name: 'orders' }, 5);
      const big = samples.find((r) => r.line === 1);
      expect(big).toMatchObject({
        id: '18446744073709551615',
        amount: '12345.500000000000000000000000000000',
        paid: 1,
        placed: '2024-05-01 10:00:00',
        data: '{"a": 1}',
        raw: '0x00ff',
      });
      expect(JSON.parse(JSON.stringify(samples))).toEqual(samples);
      expect(await d.sampleRows({ schema: db.name, name: 'orders' }, 0)).toEqual([]);

      const missing = await failure(d.describeTable({ schema: db.name, name: 'nope' }));
      expect(missing.code).toBe('discover.table_not_found');
      expect(missing.message).toContain('@mysql.test');
    } finally {
      await d.close();
    }
  });

  it('the schema fingerprint changes with the schema, not with the data', async () => {
    const d = await connector.openDiscovery(db.connection());
    try {
      const first = await d.schemaFingerprint();
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      await db.admin.query("INSERT INTO notes VALUES (2, 'more', NULL)");
      expect(await d.schemaFingerprint()).toBe(first);
      await db.admin.query('ALTER TABLE notes ADD COLUMN tag VARCHAR(10)');
      expect(await d.schemaFingerprint()).not.toBe(first);
    } finally {
      await d.close();
    }
  });
});
