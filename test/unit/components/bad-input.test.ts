/**
 * Bad input at driver level: each failure is a StepError with a taxonomy code, a message naming the step
 * and the file / SQL line, and no change to pre-existing targets.
 */
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as processor } from '../../../src/components/duckdb.processor/driver.js';
import { driver as csvExtractor } from '../../../src/components/filesystem.csv_extractor/driver.js';
import { driver as csvWriter } from '../../../src/components/filesystem.csv_writer/driver.js';
import { driver as jsonWriter } from '../../../src/components/filesystem.json_writer/driver.js';
import { driver as parquetWriter } from '../../../src/components/filesystem.parquet_writer/driver.js';
import { type Driver, StepError } from '../../../src/runtime/driver.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

let t: TestPlane;
beforeAll(async () => {
  t = await openTestPlane('osiris-bad-');
  await t.plane.connection.run(`
    CREATE TABLE good AS SELECT i AS id, 'row ' || i AS label FROM range(10000) t(i);
    -- Fails part-way through a scan: the writer has already started streaming when it breaks.
    CREATE VIEW breaks AS SELECT id, CASE WHEN id = 9000 THEN error('boom at row 9000') ELSE label END AS label FROM good;
  `);
});
afterAll(() => t.close());

async function fails(driver: Driver, stepId: string, config: Record<string, unknown>, needs: string[] = []) {
  const error = await t.runStep(driver, stepId, config as never, { needs }).catch((e) => e);
  expect(error).toBeInstanceOf(StepError);
  return error as StepError;
}

const write = (rel: string, text: string) => {
  const path = join(t.dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

describe('extract', () => {
  it('missing input file', async () => {
    const error = await fails(csvExtractor, 'read-missing', { path: 'data/nope.csv' });
    expect(error.code).toBe('extract.path_not_found');
    expect(error.message).toBe("step 'read-missing': input file data/nope.csv not found");
    expect(error.hint).toContain(t.dir);
    expect(
      await t.rows("SELECT count(*)::INT AS n FROM duckdb_tables() WHERE table_name = 'read-missing'"),
    ).toEqual([{ n: 0 }]);
  });

  it('a row with too many fields in a small file (found while sniffing)', async () => {
    write('bad/small.csv', 'id,name,amount\n1,a,1.5\n2,b,2.5,extra\n3,c,3.5\n');
    const error = await fails(csvExtractor, 'read-small', { path: 'bad/small.csv' });
    expect(error.code).toBe('extract.parse_failed');
    expect(error.message).toBe(
      "step 'read-small': bad/small.csv line 3: Expected Number of Columns: 3 Found: 4",
    );
    expect(error.details).toMatchObject({ line: 3 });
  });

  it('a row with too few fields deep in a big file (found while reading)', async () => {
    const lines = ['id,name'];
    for (let i = 1; i <= 60000; i++) lines.push(i === 50000 ? `${i}` : `${i},n${i}`);
    write('bad/big.csv', `${lines.join('\n')}\n`);
    const error = await fails(csvExtractor, 'read-big', { path: 'bad/big.csv', delimiter: ',' });
    expect(error.code).toBe('extract.parse_failed');
    expect(error.message).toMatch(
      /^step 'read-big': bad\/big\.csv line 50001: Expected Number of Columns: 2 Found: 1/,
    );
    expect(
      await t.rows("SELECT count(*)::INT AS n FROM duckdb_tables() WHERE table_name = 'read-big'"),
    ).toEqual([{ n: 0 }]);
  });

  it('a value that does not fit an explicit column type', async () => {
    write('bad/types.csv', 'id,amount\n1,2.5\n2,lots\n');
    const error = await fails(csvExtractor, 'read-types', {
      path: 'bad/types.csv',
      columns: { amount: 'DECIMAL(10,2)' },
    });
    expect(error.code).toBe('extract.parse_failed');
    expect(error.message).toMatch(/^step 'read-types': bad\/types\.csv line 3: .*lots/);
  });

  it('a typed column the file does not have', async () => {
    write('bad/cols.csv', 'id\n1\n');
    const error = await fails(csvExtractor, 'read-cols', {
      path: 'bad/cols.csv',
      columns: { nope: 'INTEGER' },
    });
    expect(error.code).toBe('config.invalid');
    expect(error.message).toContain('nope');
  });
});

describe('transform', () => {
  it('an SQL syntax error names the step and the line', async () => {
    const error = await fails(processor, 'sql-syntax', { query: 'SELECT id,\n  label\nFORM good' }, ['good']);
    expect(error.code).toBe('transform.failed');
    expect(error.message).toMatch(
      /^step 'sql-syntax': SQL Parser Error at line 3, column 6: syntax error at or near "good"/,
    );
  });

  it('a binder error names the step, the line and the available tables', async () => {
    const error = await fails(processor, 'sql-binder', { query: 'SELECT id\nFROM goood' }, ['good']);
    expect(error.code).toBe('transform.failed');
    expect(error.message).toMatch(
      /^step 'sql-binder': SQL Catalog Error at line 2, column 6: Table with name goood does not exist!/,
    );
    expect(error.hint).toBe('did you mean good? tables this step can read: df_good, input_df, good');
  });
});

describe('write', () => {
  const writers: [string, Driver, string, Record<string, unknown>][] = [
    ['csv', csvWriter, 'keep/target.csv', {}],
    ['csv append', csvWriter, 'keep/target.csv', { write_mode: 'append' }],
    ['parquet', parquetWriter, 'keep/target.parquet', {}],
    ['json', jsonWriter, 'keep/target.jsonl', {}],
    ['json append', jsonWriter, 'keep/target.jsonl', { write_mode: 'append' }],
  ];
  for (const [label, driver, rel, extra] of writers) {
    it(`a ${label} writer that fails part-way leaves the existing target byte-identical`, async () => {
      await t.runStep(driver, 'seed', { path: rel, columns: ['id', 'label'] }, { needs: ['good'] });
      const before = readFileSync(join(t.dir, rel));
      expect(before.length).toBeGreaterThan(1000);
      const error = await fails(driver, 'breaks-mid-way', { path: rel, ...extra }, ['breaks']);
      expect(error.code).toBe('write.failed');
      expect(error.message).toContain("step 'breaks-mid-way'");
      expect(error.message).toContain('boom at row 9000');
      expect(readFileSync(join(t.dir, rel)).equals(before)).toBe(true);
      expect(readdirSync(join(t.dir, 'keep')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('a target folder that cannot be created', async () => {
    write('blocker', 'a file where a folder should be');
    const error = await fails(csvWriter, 'under-file', { path: 'blocker/sub/out.csv' }, ['good']);
    expect(error.code).toBe('write.path_not_found');
    expect(error.message).toMatch(/^step 'under-file': cannot write blocker\/sub\/out\.csv: /);
  });

  it('an unwritable target folder', async () => {
    // chmod does not stop root; fall back to a folder even root cannot write (sysfs on Linux).
    const locked = join(t.dir, 'locked');
    mkdirSync(locked, { recursive: true });
    chmodSync(locked, 0o555);
    let dir = locked;
    const writable = (d: string) => {
      try {
        writeFileSync(join(d, '.probe'), '');
        return true;
      } catch {
        return false;
      }
    };
    if (writable(locked)) dir = '/sys';
    try {
      accessSync(dir, constants.F_OK);
    } catch {
      return; // no unwritable folder available on this machine
    }
    if (writable(dir)) return;
    const error = await fails(parquetWriter, 'locked-out', { path: join(dir, 'out.parquet') }, ['good']);
    expect(error.code).toBe('write.permission_denied');
    expect(error.message).toContain("step 'locked-out'");
    expect(error.message).toContain(join(dir, 'out.parquet'));
    chmodSync(locked, 0o755);
  });
});
