import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/filesystem.csv_extractor/driver.js';
import { describeTable } from '../../../src/runtime/dataplane.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

// Both ways the extractor hands on its output: a table (general path) and a view a fused chain reads.
describe.each(['general', 'fused'])('filesystem.csv_extractor (%s)', (mode) => {
  const fused = mode === 'fused';
  let t: TestPlane;
  beforeAll(async () => {
    t = await openTestPlane('osiris-csvin-', { fused });
  });
  afterAll(() => t.close());

  const file = (name: string, content: string | Buffer) => {
    const path = join(t.dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    return path;
  };
  const types = async (table: string) =>
    Object.fromEntries((await describeTable(t.plane.connection, `"${table}"`)).map((c) => [c.name, c.type]));

  describe('reads', () => {
    it('infers BIGINT, exact DECIMAL, DATE, TIMESTAMP, BOOLEAN and VARCHAR', async () => {
      file(
        'typed.csv',
        'id,amount,day,at,flag,name,big\n' +
          '1,2.50,2024-01-31,2024-01-31 10:00:00.123456,true,a,9007199254740993\n' +
          '2,-1234567.125,2024-02-29,2024-02-29 23:59:59,false,"b, c",-5\n',
      );
      const result = await t.runStep(driver, 'typed', { path: 'typed.csv' });
      expect(result).toEqual({ rowsRead: 2, rowsOut: 2, outputs: [join(t.dir, 'typed.csv')] });
      expect(await types('typed')).toEqual({
        id: 'BIGINT',
        amount: 'DECIMAL(10,3)',
        day: 'DATE',
        at: 'TIMESTAMP',
        flag: 'BOOLEAN',
        name: 'VARCHAR',
        big: 'BIGINT',
      });
      expect(
        await t.rows('SELECT amount::VARCHAR AS a, big::VARCHAR AS b, name FROM typed ORDER BY id'),
      ).toEqual([
        { a: '2.500', b: '9007199254740993', name: 'a' },
        { a: '-1234567.125', b: '-5', name: 'b, c' },
      ]);
      const rec = t.recorded.get('typed');
      // rows_read comes from the StepResult: the runner writes the metric, the driver must not repeat it.
      expect(rec?.metrics).toEqual([]);
      // A fused view reads nothing until its chain's writer does: no progress of its own.
      expect(rec?.progress.at(-1)).toBe(fused ? undefined : 2);
      expect(rec?.events[0]?.event).toBe('extract.schema');
    });

    it('keeps DOUBLE for exponents and with exact_decimals: false', async () => {
      file('floats.csv', 'x,y\n1.5,1e3\n2.25,2.5\n');
      await t.runStep(driver, 'floats', { path: 'floats.csv' });
      expect(await types('floats')).toEqual({ x: 'DECIMAL(3,2)', y: 'DOUBLE' });
      await t.runStep(driver, 'floats2', { path: 'floats.csv', exact_decimals: false });
      expect(await types('floats2')).toEqual({ x: 'DOUBLE', y: 'DOUBLE' });
    });

    it('applies explicit column types and keeps a column list in order', async () => {
      file('ids.csv', 'zip,amount,name\n00123,10.5,x\n04567,3,y\n');
      await t.runStep(driver, 'ids', {
        path: 'ids.csv',
        columns: { zip: 'VARCHAR', amount: 'DECIMAL(18,4)' },
      });
      expect(await types('ids')).toEqual({ zip: 'VARCHAR', amount: 'DECIMAL(18,4)', name: 'VARCHAR' });
      expect(await t.rows('SELECT zip, amount::VARCHAR AS amount FROM ids')).toEqual([
        { zip: '00123', amount: '10.5000' },
        { zip: '04567', amount: '3.0000' },
      ]);
      await t.runStep(driver, 'ids2', { path: 'ids.csv', columns: ['name', 'zip'], limit: 1 });
      expect(await t.rows('SELECT * FROM ids2')).toEqual([{ name: 'x', zip: '00123' }]);
    });

    it('reads delimiter, quote, header, skip_rows, null_values and comment options', async () => {
      file('opts.csv', "exported by tool\nid;note\n1;'a;b'\n2;NA\n# trailing comment\n3;\n");
      await t.runStep(driver, 'opts', {
        path: 'opts.csv',
        delimiter: ';',
        quote: "'",
        skip_rows: 1,
        null_values: ['NA'],
        comment: '#',
        infer_types: false,
      });
      expect(await t.rows('SELECT * FROM opts')).toEqual([
        { id: '1', note: 'a;b' },
        { id: '2', note: null },
        { id: '3', note: '' },
      ]);
      file('nohead.csv', '1,x\n2,y\n');
      await t.runStep(driver, 'nohead', { path: 'nohead.csv', header: false });
      expect(Object.keys(await types('nohead'))).toEqual(['column0', 'column1']);
      file('headerat.csv', 'junk line\nid,v\n7,z\n');
      await t.runStep(driver, 'headerat', { path: 'headerat.csv', header: 1 });
      expect(await t.rows('SELECT * FROM headerat')).toEqual([{ id: '7', v: 'z' }]);
    });

    it('keeps a quoted empty string apart from NULL', async () => {
      file('empty.csv', 'a,b\n"",\nx,y\n');
      await t.runStep(driver, 'empties', { path: 'empty.csv' });
      expect(await t.rows('SELECT a, b FROM empties')).toEqual([
        { a: '', b: null },
        { a: 'x', b: 'y' },
      ]);
    });

    it('decodes latin-1 and utf-16', async () => {
      file('latin.csv', Buffer.from('name\ncaf\xe9\n', 'latin1'));
      await t.runStep(driver, 'latin', { path: 'latin.csv', encoding: 'iso-8859-1' });
      expect(await t.rows('SELECT * FROM latin')).toEqual([{ name: 'café' }]);
      file('u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name\n中文 ü\n', 'utf16le')]));
      await t.runStep(driver, 'u16', { path: 'u16.csv', encoding: 'utf-16' });
      expect(await t.rows('SELECT * FROM u16')).toEqual([{ name: '中文 ü' }]);
    });

    it("resolves paths against a filesystem connection's base_dir", async () => {
      file('landing/in.csv', 'k\n1\n');
      const result = await t.runStep(
        driver,
        'landed',
        { path: 'in.csv' },
        { connection: { family: 'filesystem', alias: 'landing', fields: { base_dir: 'landing' } } },
      );
      expect(result.outputs).toEqual([join(t.dir, 'landing', 'in.csv')]);
      const wrong = await t
        .runStep(
          driver,
          'x',
          { path: 'in.csv' },
          { connection: { family: 'mysql', alias: 'db', fields: {} } },
        )
        .catch((e) => e);
      expect(wrong.code).toBe('connection.invalid_config');
    });

    it('rejects config the spec cannot express (sample_size 0, a two-character delimiter)', async () => {
      file('tiny.csv', 'a\n1\n');
      const zero = await t.runStep(driver, 'tiny', { path: 'tiny.csv', sample_size: 0 }).catch((e) => e);
      expect(zero.code).toBe('config.invalid');
      expect(zero.message).toContain("step 'tiny': config 'sample_size'");
      const delim = await t.runStep(driver, 'tiny', { path: 'tiny.csv', delimiter: '||' }).catch((e) => e);
      expect(delim.code).toBe('config.invalid');
    });

    it('reads every file a glob matches', async () => {
      file('parts/a.csv', 'n\n1\n');
      file('parts/b.csv', 'n\n2\n');
      await t.runStep(driver, 'globbed', { path: 'parts/*.csv' });
      expect(await t.rows('SELECT sum(n)::INT AS s FROM globbed')).toEqual([{ s: 3 }]);
    });
  });
});
