/**
 * The MySQL → DuckDB → MySQL type map (docs/reference/types.md, MySQL section), each row pinned with real rows
 * in MariaDB: read with mysql.extractor, checked in DuckDB (type and exact value), written back with
 * mysql.writer into a table of the same definition and compared byte for byte (HEX of every cell).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as extractor } from '../../../src/components/mysql.extractor/driver.js';
import { forceLoadMethod, driver as writer } from '../../../src/components/mysql.writer/driver.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, failure, type MysqlTestDb } from './helpers.js';
import { COLUMNS, ROWS } from './type-rows.js';

const why = await mysqlUnavailable();

/** DuckDB type each column gets. */
const EXPECTED_TYPES: Record<string, string> = {
  id: 'INTEGER',
  b1: 'BOOLEAN',
  bit1: 'BOOLEAN',
  bit9: 'UBIGINT',
  bit64: 'UBIGINT',
  ti: 'TINYINT',
  tu: 'UTINYINT',
  si: 'USMALLINT',
  mi: 'INTEGER',
  i: 'UINTEGER',
  sb: 'BIGINT',
  ub: 'UBIGINT',
  d65: 'DECIMAL(38,30)',
  d12: 'DECIMAL(12,2)',
  d38: 'DECIMAL(38,10)',
  f: 'FLOAT',
  dbl: 'DOUBLE',
  dt: 'DATE',
  dtm: 'TIMESTAMP',
  dt0: 'TIMESTAMP',
  ts: 'TIMESTAMP WITH TIME ZONE',
  tm: 'TIME',
  yr: 'SMALLINT',
  en: 'VARCHAR',
  st: 'VARCHAR',
  js: 'JSON',
  bl: 'BLOB',
  bn: 'BLOB',
  vb: 'BLOB',
  tx: 'VARCHAR',
  vc: 'VARCHAR',
  ch: 'VARCHAR',
};

describe.skipIf(why !== undefined)('MySQL ↔ DuckDB type map', () => {
  let db: MysqlTestDb;
  let plane: TestPlane;

  beforeAll(async () => {
    db = await createTestDb();
    plane = await openTestPlane('osiris-mysql-types-');
    await db.admin.query(`CREATE TABLE types_src (${COLUMNS}) CHARACTER SET utf8mb4`);
    await db.admin.query("SET SESSION sql_mode = ''");
    await db.admin.query(`INSERT INTO types_src VALUES ${ROWS.join(',\n')}`);
    await db.admin.query('SET SESSION sql_mode = DEFAULT');
    await db.admin.query('CREATE TABLE types_back LIKE types_src');
  });

  afterAll(async () => {
    plane?.close();
    await db?.drop();
  });

  it('reads every type into its DuckDB type with exact values', async () => {
    const result = await plane.runStep(
      extractor,
      'src',
      { table: 'types_src', batch_size: 2 },
      {
        connection: db.connection(),
      },
    );
    expect(result).toMatchObject({ rowsRead: 3, rowsOut: 3 });
    const types = await plane.rows('DESCRIBE "src"');
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual(EXPECTED_TYPES);

    const [r1, r2, r3] = await plane.rows(
      `SELECT ${Object.keys(EXPECTED_TYPES)
        .map((c) =>
          c === 'bl' || c === 'bn' || c === 'vb' ? `hex(${c}) AS ${c}` : `CAST(${c} AS VARCHAR) AS ${c}`,
        )
        .join(', ')} FROM src ORDER BY id`,
    );
    expect(r1).toEqual({
      id: '1',
      b1: 'true',
      bit1: 'true',
      bit9: '341',
      bit64: '18446744073709551615',
      ti: '-128',
      tu: '255',
      si: '65535',
      mi: '-8388608',
      i: '4294967295',
      sb: '-9223372036854775808',
      ub: '18446744073709551615',
      d65: '12345678.123456789012345678901234567891',
      d12: '-1234567890.12',
      d38: '1234567890123456789012345678.0123456789',
      f: '3.1415927',
      dbl: '0.30000000000000004',
      dt: '2024-02-29',
      dtm: '2024-02-29 23:59:59.123456',
      dt0: '1000-01-01 00:00:00',
      ts: '2038-01-19 03:14:07.999999+00',
      tm: '23:59:59.999999',
      yr: '2155',
      en: 'b',
      st: 'x,z',
      js: '{"a": 12345678901234567890, "b": [1, 2.5, "😀"]}',
      bl: '00FF10',
      bn: '01020304',
      vb: '0A0D09',
      tx: 'héllo 😀 \\ tab\there\nnewline\rcr \'q\' "dq" nul\u0000byte',
      vc: '😀 emoji ✓',
      ch: 'ab',
    });
    expect(r2).toMatchObject({
      b1: 'false',
      bit1: 'false',
      bit9: '0',
      sb: '9223372036854775807',
      d65: '-0.000000000000000000000000000001',
      f: '-1.1754944e-38',
      dbl: '-1e+300',
      dt: null,
      dtm: null,
      dt0: null,
      ts: '1970-01-01 00:00:01+00',
      st: '',
      js: '[]',
      bl: '',
      bn: '00000000',
      tx: '',
    });
    expect(Object.entries(r3 ?? {}).filter(([k, v]) => k !== 'id' && v !== null)).toEqual([]);

    // The float survives bit for bit: the binary protocol carries the 4-byte value, not 6 printed digits.
    const [exactFloat] = await plane.rows(
      'SELECT CAST(f AS DOUBLE) = CAST(3.14159265::FLOAT AS DOUBLE) AS same FROM src WHERE id = 1',
    );
    expect(exactFloat?.same).toBe(true);
    const [ubig] = await plane.rows(
      'SELECT ub = 18446744073709551615::UBIGINT AS same FROM src WHERE id = 1',
    );
    expect(ubig?.same).toBe(true);

    // Zero dates: NULL plus one aggregated warning event with a count per column.
    const zero = plane.recorded.get('src')?.events.filter((e) => e.event === 'zero_dates_nulled');
    expect(zero).toHaveLength(1);
    expect(zero?.[0]?.data).toMatchObject({ level: 'warning', columns: { dt: 1, dtm: 1, dt0: 1 }, total: 3 });
    // Progress every batch_size rows, then the total.
    expect(plane.recorded.get('src')?.progress).toEqual([2, 3]);
  });

  it('the text protocol (used when there is no FLOAT/DOUBLE column) reads the same values', async () => {
    const cols = Object.keys(EXPECTED_TYPES).filter((c) => c !== 'f' && c !== 'dbl');
    await plane.runStep(
      extractor,
      'src_text',
      { table: 'types_src', columns: cols },
      { connection: db.connection() },
    );
    const text = await plane.rows('DESCRIBE src_text');
    expect(Object.fromEntries(text.map((t) => [t.column_name, t.column_type]))).toEqual(
      Object.fromEntries(cols.map((c) => [c, EXPECTED_TYPES[c]])),
    );
    const list = cols.map((c) => `CAST(${c} AS VARCHAR) AS ${c}`).join(', ');
    expect(await plane.rows(`SELECT ${list} FROM src_text ORDER BY id`)).toEqual(
      await plane.rows(`SELECT ${list} FROM src ORDER BY id`),
    );
  });

  it('writes every type back unchanged (except zero dates, which are NULL now)', async () => {
    const result = await plane.runStep(
      writer,
      'back',
      { table: 'types_back', write_mode: 'append' },
      {
        connection: db.connection(),
        needs: ['src'],
      },
    );
    expect(result.rowsWritten).toBe(3);
    const cols = Object.keys(EXPECTED_TYPES);
    const hexes = (table: string) =>
      db.rows(`SELECT ${cols.map((c) => `HEX(${c}) AS ${c}`).join(', ')} FROM ${table} ORDER BY id`);
    const src = await hexes('types_src');
    const back = await hexes('types_back');
    // the three zero dates of row 2 were read as NULL
    const expected = src.map((row, i) => (i === 1 ? { ...row, dt: null, dtm: null, dt0: null } : row));
    expect(back).toEqual(expected);
  });

  it('the same round trip with batched INSERT instead of LOAD DATA', async () => {
    await db.admin.query('TRUNCATE TABLE types_back');
    forceLoadMethod('insert');
    try {
      await plane.runStep(
        writer,
        'back2',
        { table: 'types_back', batch_size: 2 },
        {
          connection: db.connection(),
          needs: ['src'],
        },
      );
    } finally {
      forceLoadMethod(undefined);
    }
    const cols = Object.keys(EXPECTED_TYPES);
    const hexes = (table: string) =>
      db.rows(`SELECT ${cols.map((c) => `HEX(${c}) AS ${c}`).join(', ')} FROM ${table} ORDER BY id`);
    const src = await hexes('types_src');
    const expected = src.map((row, i) => (i === 1 ? { ...row, dt: null, dtm: null, dt0: null } : row));
    expect(await hexes('types_back')).toEqual(expected);
  });

  it('widens TINYINT(1), DECIMAL(65,30) and TIME when a value does not fit, with a warning', async () => {
    await db.admin.query(
      `CREATE TABLE widen (id INT PRIMARY KEY, flag TINYINT(1), big DECIMAL(65,30), dur TIME(6))`,
    );
    await db.admin.query(`INSERT INTO widen VALUES
      (1, 1, '1.5', '10:00:00'),
      (2, 0, '12345678.000000000000000000000000000001', '23:59:59'),
      (3, 5, '12345678901234567890123456789012345.5', '-838:59:59.000000'),
      (4, NULL, NULL, '100:00:00.25'),
      (5, -1, '-99999999999999999999999999999999999.999999999999999999999999999999', NULL)`);
    await plane.runStep(
      extractor,
      'widen',
      { table: 'widen', batch_size: 1 },
      { connection: db.connection() },
    );
    const types = await plane.rows('DESCRIBE widen');
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
      id: 'INTEGER',
      flag: 'TINYINT',
      big: 'VARCHAR',
      dur: 'INTERVAL',
    });
    const rows = await plane.rows(
      'SELECT id, CAST(flag AS VARCHAR) AS flag, big, CAST(dur AS VARCHAR) AS dur FROM widen ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 1, flag: '1', big: '1.500000000000000000000000000000', dur: '10:00:00' },
      { id: 2, flag: '0', big: '12345678.000000000000000000000000000001', dur: '23:59:59' },
      {
        id: 3,
        flag: '5',
        big: '12345678901234567890123456789012345.500000000000000000000000000000',
        dur: '-838:59:59',
      },
      { id: 4, flag: null, big: null, dur: '100:00:00.25' },
      {
        id: 5,
        flag: '-1',
        big: '-99999999999999999999999999999999999.999999999999999999999999999999',
        dur: null,
      },
    ]);
    const widened = plane.recorded.get('widen')?.events.filter((e) => e.event === 'column_widened');
    expect(widened?.map((e) => [e.data?.column, e.data?.from, e.data?.to, e.data?.at_row])).toEqual([
      ['flag', 'BOOLEAN', 'TINYINT', 3],
      ['big', 'DECIMAL(38,30)', 'VARCHAR', 3],
      ['dur', 'TIME', 'INTERVAL', 3],
    ]);

    // and back into a table of the same definition, unchanged
    await db.admin.query('CREATE TABLE widen_back LIKE widen');
    await plane.runStep(
      writer,
      'widen_back',
      { table: 'widen_back' },
      { connection: db.connection(), needs: ['widen'] },
    );
    const hex = (t: string) => db.rows(`SELECT HEX(flag) f, HEX(big) b, HEX(dur) d FROM ${t} ORDER BY id`);
    expect(await hex('widen_back')).toEqual(await hex('widen'));
  });

  it('creates a table from DuckDB types when the target is missing, and the values survive', async () => {
    await plane.runStep(
      writer,
      'created',
      { table: 'types_created', primary_key: 'id' },
      {
        connection: db.connection(),
        needs: ['src'],
      },
    );
    const cols = await db.rows(
      `SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t, IS_NULLABLE AS n, COLUMN_KEY AS k FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'types_created' ORDER BY ORDINAL_POSITION`,
      [db.name],
    );
    const typeOf = Object.fromEntries(cols.map((c) => [c.c, String(c.t)]));
    expect(typeOf).toMatchObject({
      id: 'int(11)',
      b1: 'tinyint(1)',
      bit9: 'bigint(20) unsigned',
      ub: 'bigint(20) unsigned',
      d65: 'decimal(38,30)',
      f: 'float',
      dbl: 'double',
      dt: 'date',
      dtm: 'datetime(6)',
      ts: 'datetime(6)',
      tm: 'time(6)',
      yr: 'smallint(6)',
      js: 'longtext',
      bl: 'varbinary(255)',
      tx: 'varchar(255)',
    });
    expect(cols.find((c) => c.c === 'id')).toMatchObject({ n: 'NO', k: 'PRI' });
    const back = await db.rows(
      'SELECT HEX(ub) ub, HEX(d65) d65, CAST(dtm AS CHAR) dtm, CAST(ts AS CHAR) ts, HEX(tx) tx, HEX(bl) bl, js FROM types_created WHERE id = 1',
    );
    const src = await db.rows(
      'SELECT HEX(ub) ub, HEX(d65) d65, CAST(dtm AS CHAR) dtm, CAST(ts AS CHAR) ts, HEX(tx) tx, HEX(bl) bl, js FROM types_src WHERE id = 1',
    );
    expect(back).toEqual(src);
    const ddl = plane.recorded.get('created')?.events.find((e) => e.event === 'table_created');
    expect(String(ddl?.data?.ddl)).toContain('COLLATE=utf8mb4_bin');
  });

  it('year 0 and MariaDB UUID columns', async () => {
    await db.admin.query(`CREATE TABLE odd (id INT PRIMARY KEY, d DATE, u UUID);
      INSERT INTO odd VALUES (1, '0000-01-01', '123e4567-e89b-12d3-a456-426655440000'), (2, '9999-12-31', NULL)`);
    await plane.runStep(extractor, 'odd', { table: 'odd' }, { connection: db.connection() });
    expect((await plane.rows('DESCRIBE odd')).map((c) => c.column_type)).toEqual(['INTEGER', 'DATE', 'UUID']);
    expect(
      await plane.rows('SELECT CAST(d AS VARCHAR) AS d, CAST(u AS VARCHAR) AS u FROM odd ORDER BY id'),
    ).toEqual([
      { d: '0001-01-01 (BC)', u: '123e4567-e89b-12d3-a456-426655440000' },
      { d: '9999-12-31', u: null },
    ]);
    await db.admin.query('CREATE TABLE odd_back LIKE odd');
    await plane.runStep(
      writer,
      'odd_back',
      { table: 'odd_back' },
      { connection: db.connection(), needs: ['odd'] },
    );
    const hex = (t: string) => db.rows(`SELECT HEX(d) d, HEX(u) u FROM ${t} ORDER BY id`);
    expect(await hex('odd_back')).toEqual(await hex('odd'));
  });

  it('refuses values MySQL cannot store, naming the column', async () => {
    await plane.plane.connection.run(
      "CREATE TABLE inf AS SELECT 1 AS id, 'inf'::DOUBLE AS x UNION ALL SELECT 2, 1.5",
    );
    await db.admin.query('CREATE TABLE inf_target (id INT PRIMARY KEY, x DOUBLE)');
    const before = await db.fingerprint('inf_target');
    const error = await failure(
      plane.runStep(
        writer,
        'inf_w',
        { table: 'inf_target' },
        { connection: db.connection(), needs: ['inf'] },
      ),
    );
    expect(error).toMatchObject({ code: 'write.value_unrepresentable', details: { column: 'x' } });
    expect(error.message).toContain("'x'");
    expect(await db.fingerprint('inf_target')).toEqual(before);
  });

  it('fails clearly on GEOMETRY, suggesting a text form', async () => {
    await db.admin.query(
      "CREATE TABLE geo (id INT, g GEOMETRY); INSERT INTO geo VALUES (1, ST_GeomFromText('POINT(1 2)'))",
    );
    const error = await failure(
      plane.runStep(extractor, 'geo', { table: 'geo' }, { connection: db.connection() }),
    );
    expect(error).toMatchObject({ code: 'extract.type_unsupported' });
    expect(error.message).toContain("'g'");
    expect(error.hint).toContain('ST_AsText');
    const ok = await plane.runStep(
      extractor,
      'geo_text',
      { query: 'SELECT id, ST_AsText(g) AS g FROM geo' },
      { connection: db.connection() },
    );
    expect(ok.rowsRead).toBe(1);
    expect(await plane.rows('SELECT g FROM geo_text')).toEqual([{ g: 'POINT(1 2)' }]);
  });
});
