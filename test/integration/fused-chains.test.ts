/**
 * Fused file chains (docs/adr/0018): CSV source → duckdb.processor steps → file writer run as one streaming
 * DuckDB statement. Through the built CLI, each case runs fused and on the general path (OSIRIS_FUSE=0):
 * the files are byte for byte the same, every step reports the same status and error (code, message,
 * location), the target is left as it was on failure, and the `fuse` event says what happened.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempDir } from '../helpers/cli.js';

interface RunJson {
  status: string;
  run_dir: string;
  steps: Array<{
    id: string;
    status: string;
    rows_out: number | null;
    error?: { code: string; message: string };
  }>;
  error?: { code: string; message: string };
}
interface Event {
  event: string;
  step_id?: string;
  used?: boolean;
  reason?: string;
  steps?: string[];
  fused?: boolean;
  rows_out?: number | null;
}

let project: string;
const path = (rel: string) => join(project, rel);

// Every type the CSV extractor infers (exact decimals included), quoting, an embedded newline, empty cells.
const TYPED = [
  'id,d4,d10,big,day,ts,tstz,txt,flag',
  '1,12345678901234.5678,1234567890123456789012345678.0123456789,9007199254740993,2024-02-29,2024-01-02 03:04:05.123456,2024-01-02 03:04:05.123456+02,"emoji 😀, ""quoted""",true',
  '2,-0.0001,-0.0000000001,-9223372036854775808,1970-01-01,1999-12-31 23:59:59.999999,1999-12-31 23:59:59.999999-08,"line1\nline2",false',
  '3,,,,,,,,',
  '4,1.5,2.25,0,2000-02-29,2000-02-29 12:00:00.5,2000-02-29 12:00:00.5+00,plain,true',
].join('\n');

beforeAll(() => {
  project = tempDir('osiris-fuse-');
  mkdirSync(path('out'));
  writeFileSync(path('osiris.yaml'), 'version: "2.0"\n');
  writeFileSync(path('typed.csv'), `${TYPED}\n`);
  writeFileSync(path('bad.csv'), 'id,name\n1,a\n2,b,extra\n3,c\n');
});

const extract = (id: string, file: string) =>
  `  - id: ${id}\n    component: filesystem.csv_extractor\n    mode: read\n    config: {path: ${file}}\n`;
const sql = (id: string, needs: string, query: string) =>
  `  - id: ${id}\n    component: duckdb.processor\n    mode: transform\n    needs: [${needs}]\n    config:\n      query: |\n        ${query.replaceAll('\n', '\n        ')}\n`;
const write = (id: string, component: string, needs: string, file: string) =>
  `  - id: ${id}\n    component: filesystem.${component}\n    mode: write\n    needs: [${needs}]\n    config: {path: ${file}}\n`;

function pipeline(name: string, steps: string): string {
  const file = path(`${name}.yaml`);
  writeFileSync(file, `oml_version: "0.1.0"\nname: ${name}\nsteps:\n${steps}`);
  return file;
}

async function run(file: string, fuse: boolean) {
  const result = await runCliAsync(['run', file, '--json'], {
    cwd: project,
    env: { OSIRIS_FUSE: fuse ? '1' : '0', OSIRIS_FUSE_MIN_BYTES: '0' }, // small test files fuse too
    timeoutMs: 60_000,
  });
  const json = JSON.parse(result.stdout) as RunJson;
  const events = readFileSync(join(json.run_dir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Event);
  return { ...result, json, events, fuse: events.filter((e) => e.event === 'fuse') };
}

/** What must not differ between the paths: each step's status, rows written and error. */
const outcome = (json: RunJson) => ({
  status: json.status,
  error: json.error,
  steps: json.steps.map((s) => ({ id: s.id, status: s.status, error: s.error })),
});

describe('fused chains', () => {
  it('write the same bytes as the general path, for Parquet, CSV and JSON, through 0, 1 and 2 transforms', async () => {
    const files = ['out/typed.parquet', 'out/sorted.csv', 'out/two.jsonl'];
    const make = (suffix: string) =>
      pipeline(
        `same-${suffix}`,
        extract('a', 'typed.csv') +
          write('wa', 'parquet_writer', 'a', `${files[0]}.${suffix}`) +
          extract('b', 'typed.csv') +
          sql('sort', 'b', 'SELECT id, d4, txt, ts FROM input_df ORDER BY id DESC') +
          write('wb', 'csv_writer', 'sort', `${files[1]}.${suffix}`) +
          extract('c', 'typed.csv') +
          sql('t1', 'c', 'SELECT *, d10 * 2 AS twice FROM input_df WHERE id <> 2') +
          sql(
            't2',
            't1',
            '-- input_df is t1 here, not c\nSELECT id, twice, tstz, flag FROM input_df ORDER BY id;',
          ) +
          write('wc', 'json_writer', 't2', `${files[2]}.${suffix}`),
      );
    const [fused, general] = await Promise.all([run(make('fused'), true), run(make('general'), false)]);
    expect(fused.code, fused.stderr).toBe(0);
    expect(general.code, general.stderr).toBe(0);
    for (const file of files)
      expect(readFileSync(path(`${file}.fused`))).toEqual(readFileSync(path(`${file}.general`)));
    expect(readFileSync(path(`${files[1]}.fused`), 'utf8').split('\n')[1]).toMatch(/^4,1\.5000,plain,/);
    expect(fused.fuse.map((e) => [e.step_id, e.used, e.steps])).toEqual([
      ['a', true, ['a', 'wa']],
      ['b', true, ['b', 'sort', 'wb']],
      ['c', true, ['c', 't1', 't2', 'wc']],
    ]);
    expect(general.fuse.map((e) => [e.step_id, e.used, e.reason])).toEqual(
      ['a', 'b', 'c'].map((id) => [id, false, 'runtime.fuse is false (or OSIRIS_FUSE=0)']),
    );
    expect(outcome(fused.json)).toEqual(outcome(general.json));
    // Counts: what the writer copied is known for the writer and the step feeding it; the rest is null.
    const complete = (id: string) =>
      fused.events.find((e) => e.event === 'step_complete' && e.step_id === id);
    expect([complete('a')?.rows_out, complete('wa')?.rows_out, complete('c')?.rows_out]).toEqual([
      4,
      4,
      null,
    ]);
    expect([complete('t2')?.rows_out, complete('wc')?.rows_out, complete('wc')?.fused]).toEqual([3, 3, true]);
  });

  const failures: [string, () => string, string][] = [
    [
      'a malformed CSV row',
      () => extract('x', 'bad.csv') + write('w', 'parquet_writer', 'x', 'out/keep.parquet'),
      'x',
    ],
    [
      'a SQL binder error',
      () =>
        extract('x', 'typed.csv') +
        sql('t', 'x', 'SELECT id,\n  nope FROM input_df') +
        write('w', 'csv_writer', 't', 'out/keep.csv'),
      't',
    ],
    [
      'a value that fails a cast while rows stream',
      () =>
        extract('x', 'typed.csv') +
        sql('t', 'x', 'SELECT CAST(txt AS INTEGER) AS n FROM input_df') +
        write('w', 'csv_writer', 't', 'out/keep.csv'),
      't',
    ],
    [
      'a read-only target',
      () => extract('x', 'typed.csv') + write('w', 'csv_writer', 'x', 'out/ro.csv'),
      'w',
    ],
    [
      'a missing input file',
      () => extract('x', 'missing.csv') + write('w', 'csv_writer', 'x', 'out/keep.csv'),
      'x',
    ],
  ];

  it.each(failures)(
    '%s fails the same step with the same error on both paths',
    async (name, steps, failing) => {
      writeFileSync(path('out/keep.csv'), 'old\n');
      writeFileSync(path('out/keep.parquet'), 'old\n');
      writeFileSync(path('out/ro.csv'), 'old\n');
      chmodSync(path('out/ro.csv'), 0o444);
      const file = pipeline(name.replaceAll(' ', '-'), steps());
      const [fused, general] = await Promise.all([run(file, true), run(file, false)]);
      expect(fused.code).toBe(1);
      expect(outcome(fused.json)).toEqual(outcome(general.json));
      expect(fused.json.error?.message).toContain(`step '${failing}'`);
      for (const kept of ['out/keep.csv', 'out/keep.parquet', 'out/ro.csv'])
        expect(readFileSync(path(kept), 'utf8')).toBe('old\n');
      expect(fused.fuse[0]).toMatchObject({ step_id: 'x', used: true });
      expect(fused.fuse[1]?.reason).toMatch(/fused statement failed .*the steps run again one by one/);
    },
  );
});
