/**
 * Types survive: every value written by a file writer and read back (by the CSV extractor, or DuckDB's
 * Parquet/JSON readers) compares equal cell by cell. Values are compared as DuckDB renders them as text,
 * never through JS numbers, so DECIMAL(38,10) and BIGINT beyond 2^53 are checked digit for digit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as csvExtractor } from '../../../src/components/filesystem.csv_extractor/driver.js';
import { driver as csvWriter } from '../../../src/components/filesystem.csv_writer/driver.js';
import { driver as jsonWriter } from '../../../src/components/filesystem.json_writer/driver.js';
import { driver as parquetWriter } from '../../../src/components/filesystem.parquet_writer/driver.js';
import { describeTable, quoteLiteral } from '../../../src/runtime/dataplane.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

const TYPES: Record<string, string> = {
  id: 'INTEGER',
  d18: 'DECIMAL(18,4)',
  d38: 'DECIMAL(38,10)',
  big: 'BIGINT',
  day: 'DATE',
  ts: 'TIMESTAMP',
  tstz: 'TIMESTAMP WITH TIME ZONE',
  txt: 'VARCHAR',
  flag: 'BOOLEAN',
};
const COLS = Object.keys(TYPES);

const ROWS = [
  [
    1,
    '12345678901234.5678',
    '1234567890123456789012345678.0123456789',
    '9007199254740993',
    '2024-02-29',
    '2024-01-02 03:04:05.123456',
    '2024-01-02 03:04:05.123456+02',
    'emoji 😀 and CJK 中文, 한국어',
    'true',
  ],
  [
    2,
    '-0.0001',
    '-0.0000000001',
    '-9223372036854775808',
    '1970-01-01',
    '1999-12-31 23:59:59.999999',
    '1999-12-31 23:59:59.999999-08',
    'line1\nline2\r\nline3',
    'false',
  ],
  [
    3,
    '0.0000',
    '0E-10',
    '9223372036854775807',
    '1900-01-01',
    '2000-01-01 00:00:00',
    '2000-01-01 00:00:00+00',
    'quote " and ""double"" and \'single\'',
    'true',
  ],
  [
    4,
    '99999999999999.9999',
    '9999999999999999999999999999.9999999999',
    '9007199254740992',
    '2038-01-19',
    '2038-01-19 03:14:07.000001',
    '2038-01-19 03:14:07.000001+05:30',
    'delims , ; | and\ttab',
    'false',
  ],
  [5, '1.5', '2.25', '0', '2000-02-29', '2000-02-29 12:00:00.5', '2000-02-29 12:00:00.5+00', '', 'true'],
  [6, null, null, null, null, null, null, null, null],
];

// Both paths: the extractor's output as a table, and as the view a fused chain reads (docs/adr/0018).
describe.each(['general', 'fused'])('type survival (%s)', (mode) => {
  let t: TestPlane;

  /** Each row as DuckDB's text of every column, after casting to the original types. */
  async function cells(relation: string): Promise<(string | null)[][]> {
    const select = COLS.map((c) => `CAST(CAST("${c}" AS ${TYPES[c]}) AS VARCHAR) AS "${c}"`).join(', ');
    const reader = await t.plane.connection.runAndReadAll(`SELECT ${select} FROM ${relation} ORDER BY id`);
    return reader.getRows().map((row) => row.map((v) => (v === null ? null : String(v))));
  }

  let expected: (string | null)[][];

  beforeAll(async () => {
    t = await openTestPlane(`osiris-types-${mode}-`, { fused: mode === 'fused' });
    const values = ROWS.map(
      (row) =>
        `(${row
          .map((v, i) =>
            v === null
              ? `NULL::${TYPES[COLS[i] as string]}`
              : `CAST(${quoteLiteral(String(v))} AS ${TYPES[COLS[i] as string]})`,
          )
          .join(', ')})`,
    );
    await t.plane.connection.run(
      `CREATE TABLE typed AS SELECT * FROM (VALUES ${values.join(',\n')}) v(${COLS.join(', ')})`,
    );
    expected = await cells('typed');
  });
  afterAll(() => t.close());

  describe('write → read', () => {
    it('the source holds what the test means (big values intact, tz normalised to UTC)', () => {
      expect(expected[0]?.[3]).toBe('9007199254740993');
      expect(expected[0]?.[2]).toBe('1234567890123456789012345678.0123456789');
      expect(expected[0]?.[6]).toBe('2024-01-02 01:04:05.123456+00');
      expect(expected[5]).toEqual(Array.from({ length: 9 }, (_, i) => (i === 0 ? '6' : null)));
    });

    it('CSV: write → read with explicit column types', async () => {
      await t.runStep(csvWriter, 'csv-out', { path: 'rt/typed.csv' }, { needs: ['typed'] });
      const columns = Object.fromEntries(COLS.map((c) => [c, TYPES[c] as string]));
      await t.runStep(csvExtractor, 'csv-in', { path: 'rt/typed.csv', columns });
      expect(
        Object.fromEntries(
          (await describeTable(t.plane.connection, '"csv-in"')).map((c) => [c.name, c.type]),
        ),
      ).toEqual(TYPES);
      expect(await cells('"csv-in"')).toEqual(expected);
    });

    it('CSV: write → read with inferred types (exact decimals, BIGINT, dates, timestamps)', async () => {
      await t.runStep(csvExtractor, 'csv-inferred', { path: 'rt/typed.csv' });
      const inferred = Object.fromEntries(
        (await describeTable(t.plane.connection, '"csv-inferred"')).map((c) => [c.name, c.type]),
      );
      expect(inferred).toMatchObject({
        big: 'BIGINT',
        day: 'DATE',
        ts: 'TIMESTAMP',
        tstz: 'TIMESTAMP WITH TIME ZONE',
        txt: 'VARCHAR',
        flag: 'BOOLEAN',
      });
      expect(inferred.d18).toMatch(/^DECIMAL\(\d+,4\)$/);
      expect(inferred.d38).toMatch(/^DECIMAL\(\d+,10\)$/);
      expect(await cells('"csv-inferred"')).toEqual(expected);
    });

    it('CSV with crlf, semicolons and quoting all', async () => {
      await t.runStep(
        csvWriter,
        'csv-out2',
        { path: 'rt/typed2.csv', delimiter: ';', newline: 'crlf', quoting: 'all' },
        { needs: ['typed'] },
      );
      const columns = Object.fromEntries(COLS.map((c) => [c, TYPES[c] as string]));
      await t.runStep(csvExtractor, 'csv-in2', { path: 'rt/typed2.csv', delimiter: ';', columns });
      expect(await cells('"csv-in2"')).toEqual(expected);
    });

    it('Parquet: write → read keeps the exact types', async () => {
      await t.runStep(
        parquetWriter,
        'pq-out',
        { path: 'rt/typed.parquet', compression: 'zstd' },
        { needs: ['typed'] },
      );
      const file = quoteLiteral(join(t.dir, 'rt/typed.parquet'));
      const types = Object.fromEntries(
        (await describeTable(t.plane.connection, `read_parquet(${file})`)).map((c) => [c.name, c.type]),
      );
      expect(types).toEqual(TYPES);
      expect(await cells(`read_parquet(${file})`)).toEqual(expected);
    });

    it('JSON lines: write → read, decimals as strings and integers as exact literals', async () => {
      await t.runStep(jsonWriter, 'json-out', { path: 'rt/typed.jsonl' }, { needs: ['typed'] });
      const text = readFileSync(join(t.dir, 'rt/typed.jsonl'), 'utf8');
      expect(text).toContain('"big":9007199254740993,');
      expect(text).toContain('"d38":"1234567890123456789012345678.0123456789"');
      expect(text.trim().split('\n')).toHaveLength(6);
      const columns = `{${COLS.map((c) => `${c}: ${quoteLiteral(TYPES[c] as string)}`).join(', ')}}`;
      const relation = `read_json(${quoteLiteral(join(t.dir, 'rt/typed.jsonl'))}, format = 'newline_delimited', columns = ${columns})`;
      expect(await cells(relation)).toEqual(expected);
    });

    it('CSV → Parquet through the extractor, inferred types', async () => {
      await t.runStep(parquetWriter, 'pq-chain', { path: 'rt/chain.parquet' }, { needs: ['csv-inferred'] });
      const file = quoteLiteral(join(t.dir, 'rt/chain.parquet'));
      expect(await cells(`read_parquet(${file})`)).toEqual(expected);
    });

    it('JSON array: write → read', async () => {
      await t.runStep(
        jsonWriter,
        'json-arr',
        { path: 'rt/typed.json', format: 'array' },
        { needs: ['typed'] },
      );
      const columns = `{${COLS.map((c) => `${c}: ${quoteLiteral(TYPES[c] as string)}`).join(', ')}}`;
      const relation = `read_json(${quoteLiteral(join(t.dir, 'rt/typed.json'))}, format = 'array', columns = ${columns})`;
      expect(await cells(relation)).toEqual(expected);
    });
  });
});
