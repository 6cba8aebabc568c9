import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as csvWriter } from '../../../src/components/filesystem.csv_writer/driver.js';
import { driver as jsonWriter } from '../../../src/components/filesystem.json_writer/driver.js';
import { driver as parquetWriter } from '../../../src/components/filesystem.parquet_writer/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

let t: TestPlane;
beforeAll(async () => {
  t = await openTestPlane('osiris-writers-');
  await t.plane.connection.run(`
    CREATE TABLE src AS SELECT * FROM (VALUES
      (2, 'b', 1.50::DECIMAL(10,2)),
      (1, 'a, "quoted"', NULL),
      (3, '', 3.25::DECIMAL(10,2))) v(id, name, amount);
    CREATE TABLE empty_src AS SELECT * FROM src WHERE false;
  `);
});
afterAll(() => t.close());

const read = (rel: string) => readFileSync(join(t.dir, rel), 'utf8');
const noTempFiles = (rel: string) => {
  const dir = join(t.dir, rel);
  return readdirSync(dir).filter((f) => f.endsWith('.tmp'));
};

describe('filesystem.csv_writer', () => {
  it('writes CSV with quoting, NULL vs empty string, and reports rows, bytes and the path', async () => {
    const result = await t.runStep(csvWriter, 'w1', { path: 'out/a.csv' }, { needs: ['src'] });
    expect(read('out/a.csv')).toBe('id,name,amount\n2,b,1.50\n1,"a, ""quoted""",\n3,"",3.25\n');
    expect(result).toEqual({
      rowsIn: 3,
      rowsWritten: 3,
      bytesWritten: Buffer.byteLength(read('out/a.csv')),
      outputs: [join(t.dir, 'out/a.csv')],
    });
    const rec = t.recorded.get('w1');
    expect(rec?.metrics).toEqual([]); // the runner writes rows_written/bytes_written from the result
    expect(rec?.progress.at(-1)).toBe(3);
    expect(noTempFiles('out')).toEqual([]);
  });

  it('honours delimiter, header, crlf, quoting all, columns and order_by', async () => {
    await t.runStep(
      csvWriter,
      'w2',
      {
        path: 'out/b.csv',
        delimiter: ';',
        header: false,
        newline: 'crlf',
        quoting: 'all',
        columns: ['name', 'id'],
        order_by: ['id DESC'],
      },
      { needs: ['src'] },
    );
    expect(read('out/b.csv')).toBe('"";"3"\r\n"b";"2"\r\n"a, ""quoted""";"1"\r\n');
  });

  it('appends without repeating the header, and refuses a different header', async () => {
    await t.runStep(
      csvWriter,
      'w3',
      { path: 'out/log.csv', write_mode: 'append', columns: ['id'] },
      { needs: ['src'] },
    );
    await t.runStep(
      csvWriter,
      'w3',
      { path: 'out/log.csv', write_mode: 'append', columns: ['id'] },
      { needs: ['src'] },
    );
    expect(read('out/log.csv')).toBe('id\n2\n1\n3\n2\n1\n3\n');
    writeFileSync(join(t.dir, 'out/nonl.csv'), 'id\n7');
    await t.runStep(
      csvWriter,
      'w3',
      { path: 'out/nonl.csv', write_mode: 'append', columns: ['id'] },
      { needs: ['src'] },
    );
    expect(read('out/nonl.csv')).toBe('id\n7\n2\n1\n3\n');
    const error = await t
      .runStep(
        csvWriter,
        'w3',
        { path: 'out/log.csv', write_mode: 'append', columns: ['name'] },
        { needs: ['src'] },
      )
      .catch((e) => e);
    expect(error.code).toBe('write.schema_mismatch');
    expect(read('out/log.csv')).toBe('id\n2\n1\n3\n2\n1\n3\n');
    expect(noTempFiles('out')).toEqual([]);
  });

  it('names unknown columns with a did-you-mean', async () => {
    const error = await t
      .runStep(csvWriter, 'w4', { path: 'out/c.csv', columns: ['nmae'] }, { needs: ['src'] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StepError);
    expect(error.code).toBe('config.invalid');
    expect(error.hint).toContain("did you mean 'name'?");
  });

  it('refuses to replace a file with an empty input unless allow_empty', async () => {
    await t.runStep(csvWriter, 'w5', { path: 'out/keep.csv' }, { needs: ['src'] });
    const before = read('out/keep.csv');
    const error = await t
      .runStep(csvWriter, 'w5', { path: 'out/keep.csv' }, { needs: ['empty_src'] })
      .catch((e) => e);
    expect(error.code).toBe('write.empty_input');
    expect(read('out/keep.csv')).toBe(before);
    await t.runStep(csvWriter, 'w5', { path: 'out/keep.csv', allow_empty: true }, { needs: ['empty_src'] });
    expect(read('out/keep.csv')).toBe('id,name,amount\n');
  });

  it('needs exactly one input', async () => {
    const error = await t
      .runStep(csvWriter, 'w6', { path: 'out/x.csv' }, { needs: ['src', 'empty_src'] })
      .catch((e) => e);
    expect(error.code).toBe('config.invalid');
    expect(error.message).toContain('has 2 inputs');
  });
});

describe('filesystem.parquet_writer', () => {
  it('writes each compression', async () => {
    for (const compression of ['snappy', 'zstd', 'gzip', 'uncompressed']) {
      const path = join(t.dir, `out/p_${compression}.parquet`);
      const result = await t.runStep(parquetWriter, 'p1', { path, compression }, { needs: ['src'] });
      expect(result.rowsWritten).toBe(3);
      expect(await t.rows(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`)).toEqual([
        { compression: compression.toUpperCase() },
      ]);
    }
    expect(await t.rows(`SELECT name FROM '${join(t.dir, 'out/p_zstd.parquet')}' ORDER BY id`)).toEqual([
      { name: 'a, "quoted"' },
      { name: 'b' },
      { name: '' },
    ]);
  });

  it('splits row groups by row_group_size', async () => {
    await t.plane.connection.run('CREATE TABLE many AS SELECT i FROM range(20000) t(i)');
    const groups = async (path: string) =>
      (
        await t.rows(
          `SELECT count(DISTINCT row_group_id)::INT AS n FROM parquet_metadata('${join(t.dir, path)}')`,
        )
      )[0]?.n;
    await t.runStep(parquetWriter, 'p2', { path: 'out/one.parquet' }, { needs: ['many'] });
    await t.runStep(
      parquetWriter,
      'p2',
      { path: 'out/many.parquet', row_group_size: 4096 },
      { needs: ['many'] },
    );
    expect(await groups('out/one.parquet')).toBe(1);
    expect(await groups('out/many.parquet')).toBeGreaterThanOrEqual(4);
  });
});

describe('filesystem.json_writer', () => {
  it('writes JSON lines with decimals as strings, or numbers when asked', async () => {
    await t.runStep(jsonWriter, 'j1', { path: 'out/a.jsonl', order_by: ['id'] }, { needs: ['src'] });
    expect(read('out/a.jsonl')).toBe(
      '{"id":1,"name":"a, \\"quoted\\"","amount":null}\n{"id":2,"name":"b","amount":"1.50"}\n{"id":3,"name":"","amount":"3.25"}\n',
    );
    await t.runStep(
      jsonWriter,
      'j1',
      { path: 'out/n.jsonl', decimal_format: 'number', columns: ['amount'] },
      { needs: ['src'] },
    );
    expect(read('out/n.jsonl')).toBe('{"amount":1.5}\n{"amount":null}\n{"amount":3.25}\n');
  });

  it('writes one array, appends JSON lines, and refuses append for arrays', async () => {
    await t.runStep(
      jsonWriter,
      'j2',
      { path: 'out/arr.json', format: 'array', columns: ['id'] },
      { needs: ['src'] },
    );
    expect(JSON.parse(read('out/arr.json'))).toEqual([{ id: 2 }, { id: 1 }, { id: 3 }]);
    const bad = await t
      .runStep(
        jsonWriter,
        'j2',
        { path: 'out/arr.json', format: 'array', write_mode: 'append' },
        { needs: ['src'] },
      )
      .catch((e) => e);
    expect(bad.code).toBe('config.invalid');
    const intoArray = await t
      .runStep(jsonWriter, 'j2', { path: 'out/arr.json', write_mode: 'append' }, { needs: ['src'] })
      .catch((e) => e);
    expect(intoArray.code).toBe('write.schema_mismatch');
    await t.runStep(
      jsonWriter,
      'j3',
      { path: 'out/log.jsonl', write_mode: 'append', columns: ['id'] },
      { needs: ['src'] },
    );
    await t.runStep(
      jsonWriter,
      'j3',
      { path: 'out/log.jsonl', write_mode: 'append', columns: ['id'] },
      { needs: ['src'] },
    );
    expect(read('out/log.jsonl').trim().split('\n')).toHaveLength(6);
  });

  it('creates folders only when create_dirs allows it', async () => {
    const error = await t
      .runStep(jsonWriter, 'j4', { path: 'nested/deeper/x.jsonl', create_dirs: false }, { needs: ['src'] })
      .catch((e) => e);
    expect(error.code).toBe('write.path_not_found');
    expect(error.message).toContain('nested/deeper/x.jsonl');
    expect(existsSync(join(t.dir, 'nested'))).toBe(false);
    await t.runStep(jsonWriter, 'j4', { path: 'nested/deeper/x.jsonl' }, { needs: ['src'] });
    expect(existsSync(join(t.dir, 'nested/deeper/x.jsonl'))).toBe(true);
  });
});

describe('paths', () => {
  it('resolves relative paths against the project root and keeps absolute ones', async () => {
    const root = join(t.dir, 'project');
    mkdirSync(root, { recursive: true });
    const abs = join(t.dir, 'elsewhere', 'abs.csv');
    const r1 = await t.runStep(csvWriter, 'pth', { path: 'rel.csv' }, { needs: ['src'], projectRoot: root });
    const r2 = await t.runStep(csvWriter, 'pth', { path: abs }, { needs: ['src'], projectRoot: root });
    expect(r1.outputs).toEqual([join(root, 'rel.csv')]);
    expect(r2.outputs).toEqual([abs]);
  });
});
