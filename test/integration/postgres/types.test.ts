/**
 * The Postgres ⇄ DuckDB type map (docs/reference/types.md), pinned on real rows: each type is read
 * by postgres.extractor into DuckDB (type checked), written back by postgres.writer into a table it creates,
 * and compared value by value with the source — including NULLs, extremes and awkward text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as extractor } from '../../../src/components/postgres.extractor/driver.js';
import { driver as writer } from '../../../src/components/postgres.writer/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import { postgresUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const skip = await postgresUnavailable();

interface Case {
  /** Column name in the source table. */
  col: string;
  /** Source column type. */
  pg: string;
  /** DuckDB type the extractor must produce. */
  duck: string;
  /** Values for rows 1..3 (row 2 is always NULL), as SQL literals. */
  values: [string, string];
  /** How to compare target with source: cast target to this type (default: the source type). */
  compareAs?: string;
  /** Also require the same text form (default true). */
  sameText?: boolean;
  /** A warning event is expected for this column. */
  warns?: boolean;
}

const CASES: Case[] = [
  { col: 'c_smallint', pg: 'smallint', duck: 'SMALLINT', values: ['-32768', '32767'] },
  { col: 'c_int', pg: 'integer', duck: 'INTEGER', values: ['-2147483648', '2147483647'] },
  { col: 'c_bigint', pg: 'bigint', duck: 'BIGINT', values: ['-9223372036854775808', '9223372036854775807'] },
  { col: 'c_bigint_2p53', pg: 'bigint', duck: 'BIGINT', values: ['9007199254740993', '-9007199254740993'] },
  { col: 'c_num', pg: 'numeric(12,2)', duck: 'DECIMAL(12,2)', values: ['1234567890.12', '-0.01'] },
  {
    col: 'c_num38',
    pg: 'numeric(38,10)',
    duck: 'DECIMAL(38,10)',
    values: ['9999999999999999999999999999.9999999999', '-0.0000000001'],
  },
  {
    col: 'c_num_free',
    pg: 'numeric',
    duck: 'DECIMAL(38,18)',
    values: ['12345678901234567890.123456789012345678', '-0.5'],
    compareAs: 'numeric',
    sameText: false,
  },
  {
    col: 'c_num_wide',
    pg: 'numeric(50,10)',
    duck: 'VARCHAR',
    values: ['1234567890123456789012345678901234567890.0123456789', '-1.5'],
    warns: true,
  },
  {
    col: 'c_num_nan',
    pg: 'numeric',
    duck: 'VARCHAR',
    values: ["'NaN'", '1.25'],
    compareAs: 'numeric',
    warns: true,
  },
  { col: 'c_money', pg: 'money', duck: 'DECIMAL(38,2)', values: ["'1234.56'", "'-0.99'"], sameText: false },
  { col: 'c_real', pg: 'real', duck: 'FLOAT', values: ['3.4028235e38', "'-Infinity'"] },
  { col: 'c_double', pg: 'double precision', duck: 'DOUBLE', values: ['0.1', "'NaN'"] },
  {
    col: 'c_double_tiny',
    pg: 'double precision',
    duck: 'DOUBLE',
    values: ['5e-324', '1.7976931348623157e308'],
  },
  { col: 'c_bool', pg: 'boolean', duck: 'BOOLEAN', values: ['true', 'false'] },
  { col: 'c_date', pg: 'date', duck: 'DATE', values: ["'2024-02-29'", "'infinity'"] },
  { col: 'c_date_old', pg: 'date', duck: 'DATE', values: ["'0001-01-01'", "'9999-12-31'"] },
  {
    col: 'c_ts',
    pg: 'timestamp',
    duck: 'TIMESTAMP',
    values: ["'2024-06-01 12:34:56.123456'", "'1970-01-01 00:00:00'"],
  },
  {
    col: 'c_tstz',
    pg: 'timestamptz',
    duck: 'TIMESTAMP WITH TIME ZONE',
    values: ["'2024-06-01 12:34:56.654321+05:30'", "'1999-12-31 23:59:59.999999-08'"],
  },
  { col: 'c_time', pg: 'time', duck: 'TIME', values: ["'23:59:59.999999'", "'00:00:00'"] },
  {
    col: 'c_timetz',
    pg: 'timetz',
    duck: 'TIME WITH TIME ZONE',
    values: ["'12:00:00.5+05:30'", "'01:02:03-08'"],
  },
  {
    col: 'c_interval',
    pg: 'interval',
    duck: 'INTERVAL',
    values: ["'1 year 2 mons 3 days 04:05:06.789012'", "'-1 days +02:03:00.000001'"],
  },
  {
    col: 'c_interval_big',
    pg: 'interval',
    duck: 'INTERVAL',
    values: ["'-5 mons -00:00:00.000001'", "'10000 hours'"],
  },
  {
    col: 'c_uuid',
    pg: 'uuid',
    duck: 'UUID',
    values: ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'"],
  },
  {
    col: 'c_json',
    pg: 'json',
    duck: 'JSON',
    values: [`'{"a": [1, 2.5, "x\\"y"], "b": null, "e": "🦆"}'`, `'[]'`],
    compareAs: 'jsonb',
    sameText: false,
  },
  {
    col: 'c_jsonb',
    pg: 'jsonb',
    duck: 'JSON',
    values: [`'{"k": {"n": 12345678901234567890.5}}'`, `'"tab\\tnewline\\n"'`],
  },
  { col: 'c_int_arr', pg: 'integer[]', duck: 'INTEGER[]', values: ["'{1,NULL,-3}'", "'{}'"] },
  { col: 'c_bigint_arr', pg: 'bigint[]', duck: 'BIGINT[]', values: ["'{9223372036854775807}'", "'{NULL}'"] },
  {
    col: 'c_text_arr',
    pg: 'text[]',
    duck: 'VARCHAR[]',
    values: [
      `'{"a,b","q\\"uote","back\\\\slash","",NULL,"NULL","🦆 duck"}'`,
      `'{"line\nbreak","tab\tchar"}'`,
    ],
  },
  {
    col: 'c_num_arr',
    pg: 'numeric(10,3)[]',
    duck: 'DECIMAL(10,3)[]',
    values: ["'{1.5,NULL,-0.001}'", "'{}'"],
  },
  { col: 'c_bool_arr', pg: 'boolean[]', duck: 'BOOLEAN[]', values: ["'{t,f,NULL}'", "'{}'"] },
  { col: 'c_bytea', pg: 'bytea', duck: 'BLOB', values: ["'\\x00ff0a5c0d09'", "''"] },
  {
    col: 'c_text',
    pg: 'text',
    duck: 'VARCHAR',
    values: [`E'emoji 🦆👩‍👩‍👧 tab\\t nl\\n cr\\r bs\\\\ quote" comma, \\\\N'`, "''"],
  },
  { col: 'c_text_escapes', pg: 'text', duck: 'VARCHAR', values: [`E'\\\\.'`, `E'\\\\N'`] },
  {
    col: 'c_varchar',
    pg: 'varchar(10)',
    duck: 'VARCHAR',
    values: ["'ünïcødé'", "' padded  '"],
    sameText: true,
  },
  // char(n) values keep their padding ('ab   '); text casts of bpchar drop it, so compare as char(5).
  { col: 'c_char', pg: 'char(5)', duck: 'VARCHAR', values: ["'ab'", "'abcde'"], sameText: false },
  { col: 'c_enum', pg: 'mood', duck: 'VARCHAR', values: ["'happy'", "'sad'"] },
  { col: 'c_domain', pg: 'price', duck: 'DECIMAL(10,2)', values: ['19.99', '0'], compareAs: 'numeric(10,2)' },
  // inet's text cast adds the netmask ('::1/128') where its output does not ('::1'): compare as inet.
  {
    col: 'c_inet',
    pg: 'inet',
    duck: 'VARCHAR',
    values: ["'192.168.0.1/24'", "'::1'"],
    warns: true,
    sameText: false,
  },
  // DuckDB reads '0044-03-15 BC' as the AD date unless the marker is moved: pinned here.
  { col: 'c_date_bc', pg: 'date', duck: 'DATE', values: ["'0044-03-15 BC'", "'0001-01-01 BC'"] },
  {
    col: 'c_ts_bc',
    pg: 'timestamp',
    duck: 'TIMESTAMP',
    values: ["'0044-03-15 12:00:00.5 BC'", "'4713-01-01 00:00:00 BC'"],
  },
  {
    col: 'c_tstz_bc',
    pg: 'timestamptz',
    duck: 'TIMESTAMP WITH TIME ZONE',
    values: ["'0044-03-15 12:00:00.25+00 BC'", "'0001-12-31 23:59:59.999999+00 BC'"],
  },
  {
    col: 'c_date_arr',
    pg: 'date[]',
    duck: 'DATE[]',
    values: ["'{2024-01-31,NULL,0044-03-15 BC}'", "'{infinity}'"],
  },
  {
    col: 'c_tstz_arr',
    pg: 'timestamptz[]',
    duck: 'TIMESTAMP WITH TIME ZONE[]',
    values: ["'{2024-01-31 10:00:00.000001+02}'", "'{}'"],
  },
];

describe.skipIf(skip)('Postgres ⇄ DuckDB types', () => {
  let pg: PgFixture;
  let tp: TestPlane;
  let duckTypes: Map<string, string>;
  let warnings: string[];

  beforeAll(async () => {
    pg = await openPgFixture();
    tp = await openTestPlane();
    await pg.exec(`CREATE TYPE ${pg.q('mood')} AS ENUM ('happy', 'sad')`);
    await pg.exec(`CREATE DOMAIN ${pg.q('price')} AS numeric(10,2) CHECK (VALUE >= 0)`);
    const typeOf = (c: Case) => (c.pg === 'mood' || c.pg === 'price' ? pg.q(c.pg) : c.pg);
    await pg.exec(
      `CREATE TABLE ${pg.q('src')} (id int PRIMARY KEY, ${CASES.map((c) => `${c.col} ${typeOf(c)}`).join(', ')})`,
    );
    await pg.exec(
      `INSERT INTO ${pg.q('src')} (id, ${CASES.map((c) => c.col).join(', ')}) VALUES
        (1, ${CASES.map((c) => c.values[0]).join(', ')}),
        (2, ${CASES.map(() => 'NULL').join(', ')}),
        (3, ${CASES.map((c) => c.values[1]).join(', ')})`,
    );
    const conn = pg.connection();
    await tp.runStep(extractor, 'read', { table: 'src' }, { connection: conn });
    const described = await tp.rows('DESCRIBE "read"');
    duckTypes = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
    warnings = (tp.recorded.get('read')?.events ?? [])
      .filter((e) => e.event === 'warning')
      .map((e) => String(e.data?.column));
    await tp.runStep(
      writer,
      'write',
      { table: 'dst', write_mode: 'append', primary_key: 'id' },
      {
        connection: conn,
        needs: ['read'],
      },
    );
  });

  afterAll(async () => {
    tp?.close();
    await pg?.close();
  });

  it('reads 3 rows', async () => {
    expect(await tp.rows('SELECT count(*)::INT AS n FROM "read"')).toEqual([{ n: 3 }]);
  });

  it.each(CASES)('$pg → DuckDB $duck → back ($col)', async (c) => {
    expect(duckTypes.get(c.col)).toBe(c.duck);
    expect(warnings.includes(c.col)).toBe(c.warns === true);
    const as = c.compareAs ?? (c.pg === 'mood' || c.pg === 'price' ? pg.q(c.pg) : c.pg);
    const diff = await pg.rows<{ id: number; src: string | null; dst: string | null }>(
      `SELECT s.id, s.${c.col}::text AS src, d.${c.col}::text AS dst
       FROM ${pg.q('src')} s JOIN ${pg.q('dst')} d USING (id)
       WHERE d.${c.col}::${as} IS DISTINCT FROM s.${c.col}::${as}
          ${c.sameText === false ? '' : `OR d.${c.col}::text IS DISTINCT FROM s.${c.col}::text`}`,
    );
    expect(diff).toEqual([]);
    const nulls = await pg.rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${pg.q('dst')} WHERE id = 2 AND ${c.col} IS NULL`,
    );
    expect(nulls[0]?.n).toBe(1);
  });

  it('keeps the three rows and nothing else', async () => {
    expect(await pg.fingerprint('dst').then((f) => f.count)).toBe(3);
  });

  it('checks a few DuckDB values exactly (no JS number or Date on the way)', async () => {
    const rows = await tp.rows(
      `SELECT c_bigint_2p53::VARCHAR AS big, c_num38::VARCHAR AS n38, c_tstz::VARCHAR AS tz, c_interval::VARCHAR AS iv,
              hex(c_bytea) AS hex, c_text AS text
       FROM "read" WHERE id = 1`,
    );
    expect(rows[0]).toEqual({
      big: '9007199254740993',
      n38: '9999999999999999999999999999.9999999999',
      tz: '2024-06-01 07:04:56.654321+00',
      iv: '1 year 2 months 3 days 04:05:06.789012',
      hex: '00FF0A5C0D09',
      text: 'emoji 🦆👩‍👩‍👧 tab\t nl\n cr\r bs\\ quote" comma, \\N',
    });
    const list = await tp.rows(
      `SELECT c_text_arr[1] AS a, c_text_arr[2] AS b, c_text_arr[3] AS c, c_text_arr[4] AS d,
              c_text_arr[5] IS NULL AS null5, c_text_arr[6] AS f, c_text_arr[7] AS g, len(c_text_arr) AS n
       FROM "read" WHERE id = 1`,
    );
    expect(list[0]).toEqual({
      a: 'a,b',
      b: 'q"uote',
      c: 'back\\slash',
      d: '',
      null5: true,
      f: 'NULL',
      g: '🦆 duck',
      n: '7',
    });
  });

  it('creates the target with matching Postgres types', async () => {
    const cols = await pg.rows<{ attname: string; type: string }>(
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
       WHERE attrelid = '${pg.q('dst')}'::regclass AND attnum > 0 ORDER BY attnum`,
    );
    const types = Object.fromEntries(cols.map((c) => [c.attname, c.type]));
    expect(types).toMatchObject({
      c_bigint: 'bigint',
      c_num: 'numeric(12,2)',
      c_num_free: 'numeric(38,18)',
      c_num_wide: 'text',
      c_tstz: 'timestamp with time zone',
      c_interval: 'interval',
      c_uuid: 'uuid',
      c_json: 'jsonb',
      c_int_arr: 'integer[]',
      c_text_arr: 'text[]',
      c_bytea: 'bytea',
      c_time: 'time without time zone',
      c_timetz: 'time with time zone',
    });
  });

  it('fails with the column name when a value cannot be represented (NaN in numeric(10,2))', async () => {
    await pg.exec(`CREATE TABLE ${pg.q('nan')} (id int, amount numeric(10,2))`);
    await pg.exec(`INSERT INTO ${pg.q('nan')} VALUES (1, 1.5), (2, 'NaN')`);
    const err = await tp
      .runStep(extractor, 'nan', { table: 'nan' }, { connection: pg.connection() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).code).toBe('extract.type_error');
    expect((err as StepError).message).toMatch(/column 'amount' \(numeric\(10,2\)\).*'NaN'.*DECIMAL\(10,2\)/);
    expect((err as StepError).details).toMatchObject({ column: 'amount' });
    // No half-filled output table is left behind.
    await expect(tp.rows('SELECT * FROM "nan"')).rejects.toThrow();
  });

  it('reads BC dates as BC, not as the AD date of the same number', async () => {
    const rows = await tp.rows(`SELECT year(c_date_bc) AS y, year(c_ts_bc) AS ty FROM "read" WHERE id = 1`);
    expect(rows[0]).toEqual({ y: '-43', ty: '-43' });
  });
});
