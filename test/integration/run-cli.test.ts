/**
 * `osiris run` end to end through the built CLI: real pipelines on real files, outputs compared cell by cell,
 * failures checked for exit code, message, step_failed event, run index record and untouched targets.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli, runCliJson, tempDir } from '../helpers/cli.js';

interface RunJson {
  ok: boolean;
  run_id: string;
  status: string;
  run_dir: string;
  outputs: string[];
  steps: Array<{
    id: string;
    status: string;
    rows_out: number | null;
    error?: { code: string; message: string };
  }>;
  error?: {
    code: string;
    message: string;
    hint?: string;
    location?: { step?: string; file?: string; line?: number };
  };
}

let project: string;

function write(rel: string, text: string): string {
  const path = join(project, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function events(runDir: string): Array<Record<string, unknown>> {
  return readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function indexRecords(): Array<Record<string, unknown>> {
  const file = join(project, '.osiris/index/runs.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const people = 'id,name,city,score\n1,Ada,London,9.5\n2,Grace,"New York, NY",8.25\n3,Linus,Helsinki,7\n';

function pipeline(steps: string): string {
  return `oml_version: "0.1.0"\nname: people-report\nsteps:\n${steps}`;
}

const extract = `  - id: extract-people
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/people.csv
`;

beforeEach(() => {
  project = tempDir('osiris-run-');
  write('data/people.csv', people);
});

describe('osiris run: success', () => {
  it('runs extract → transform → two writers and writes exact files', () => {
    write(
      'pipeline.yaml',
      pipeline(`${extract}  - id: top
    component: duckdb.processor
    mode: transform
    needs: [extract-people]
    config:
      query: SELECT name, city, score FROM input_df WHERE score > 7.5 ORDER BY score DESC
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [top]
    config:
      path: out/top.csv
  - id: write-json
    component: filesystem.json_writer
    mode: write
    needs: [top]
    config:
      path: out/top.jsonl
`),
    );
    const { code, json } = runCliJson<RunJson>(['run', 'pipeline.yaml'], { cwd: project });
    expect(code).toBe(0);
    expect(json?.status).toBe('succeeded');
    // Fractional CSV numbers load as exact DECIMAL sized to the data (no float drift), so scale is kept.
    expect(readFileSync(join(project, 'out/top.csv'), 'utf8')).toBe(
      'name,city,score\nAda,London,9.50\nGrace,"New York, NY",8.25\n',
    );
    const lines = readFileSync(join(project, 'out/top.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // DECIMAL goes to JSON as a string so no reader rounds it through a float.
    expect(lines).toEqual([
      { name: 'Ada', city: 'London', score: '9.50' },
      { name: 'Grace', city: 'New York, NY', score: '8.25' },
    ]);
    expect(json?.outputs.map((o) => o.replace(`${project}/`, '')).sort()).toEqual([
      'out/top.csv',
      'out/top.jsonl',
    ]);

    // Session logs: events in order, metrics tagged with step ids, status.json, manifest + cfg copies.
    const runDir = json?.run_dir as string;
    const names = events(runDir).map((e) => e.event);
    expect(names[0]).toBe('run_start');
    expect(names.at(-1)).toBe('run_complete');
    expect(names.filter((n) => n === 'step_complete')).toHaveLength(4);
    const complete = events(runDir).find((e) => e.event === 'step_complete' && e.step_id === 'top');
    expect(complete).toMatchObject({ rows_out: 2 });
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const name of ['rows_read', 'rows_written', 'bytes_written', 'duration_ms', 'peak_rss_bytes']) {
      expect(metrics.some((m) => m.metric === name && typeof m.step_id === 'string')).toBe(true);
    }
    const status = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8'));
    expect(status.status).toBe('succeeded');
    expect(status.steps.map((s: { status: string }) => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(existsSync(join(runDir, 'manifest.yaml'))).toBe(true);
    expect(readdirSync(join(runDir, 'cfg')).sort()).toEqual([
      'extract-people.json',
      'top.json',
      'write-csv.json',
      'write-json.json',
    ]);
    expect(existsSync(join(runDir, 'scratch'))).toBe(false);
    expect(indexRecords().map((r) => r.status)).toEqual(['succeeded']);
    // DuckDB starts before the first step's clock, and says how long it took.
    const plane = names.indexOf('data_plane');
    expect(plane).toBeGreaterThan(-1);
    expect(plane).toBeLessThan(names.indexOf('step_start'));
    expect(events(runDir)[plane]?.duration_ms).toEqual(expect.any(Number));
    // Each table-producing step leaves its schema and first rows for the report; writers do not.
    expect(readdirSync(join(runDir, 'preview')).sort()).toEqual(['extract-people.json', 'top.json']);
    expect(JSON.parse(readFileSync(join(runDir, 'preview', 'top.json'), 'utf8'))).toEqual({
      step_id: 'top',
      source: 'table',
      columns: [
        { name: 'name', type: 'VARCHAR' },
        { name: 'city', type: 'VARCHAR' },
        { name: 'score', type: 'DECIMAL(3,2)' },
      ],
      columns_total: 3,
      preview_columns: ['name', 'city', 'score'],
      rows: [
        ['Ada', 'London', '9.50'],
        ['Grace', 'New York, NY', '8.25'],
      ],
      masked_columns: [],
      truncated: false,
    });
    expect(
      events(runDir)
        .filter((e) => e.event === 'step_output')
        .map((e) => e.step_id),
    ).toEqual(['extract-people', 'top']);
  });

  it('exposes upstream tables by step id, df_ alias and input_df', () => {
    write('data/cities.csv', 'city,country\nLondon,UK\nHelsinki,FI\n');
    write(
      'pipeline.yaml',
      pipeline(`${extract}  - id: extract-cities
    component: filesystem.csv_extractor
    mode: read
    needs: []
    config:
      path: data/cities.csv
  - id: joined
    component: duckdb.processor
    mode: transform
    needs: [extract-people, extract-cities]
    config:
      query: |
        SELECT p.name, c.country
        FROM "extract-people" p JOIN df_extract_cities c USING (city)
        ORDER BY p.name
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [joined]
    config:
      path: out/joined.csv
`),
    );
    const { code, stderr } = runCli(['run', 'pipeline.yaml', '--max-parallel', '2'], { cwd: project });
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(readFileSync(join(project, 'out/joined.csv'), 'utf8')).toBe('name,country\nAda,UK\nLinus,FI\n');
  });

  it('runs a compiled manifest, --last-compile, and --dry-run without touching data', () => {
    write(
      'pipeline.yaml',
      pipeline(
        `${extract}  - id: write\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: out/p.csv\n`,
      ),
    );
    const compiled = runCliJson<{ manifest_path: string }>(['compile', 'pipeline.yaml'], { cwd: project });
    expect(compiled.code).toBe(0);
    const manifest = compiled.json?.manifest_path as string;

    const dry = runCli(['run', manifest, '--dry-run'], { cwd: project });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('extract-people');
    expect(dry.stdout).toContain('filesystem.csv_writer');
    expect(existsSync(join(project, 'out/p.csv'))).toBe(false);

    expect(runCli(['run', manifest], { cwd: project }).code).toBe(0);
    expect(readFileSync(join(project, 'out/p.csv'), 'utf8')).toBe(
      people.replace('9.5', '9.50').replace(',7\n', ',7.00\n'),
    );
    const last = runCliJson<RunJson>(['run', '--last-compile'], { cwd: project });
    expect(last.code).toBe(0);
    expect(indexRecords()).toHaveLength(2);
  });

  it('prints one plain line per step event without a TTY and says where outputs and logs are', () => {
    write(
      'pipeline.yaml',
      pipeline(
        `${extract}  - id: write\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: out/p.csv\n`,
      ),
    );
    const { code, stdout, stderr } = runCli(['run', 'pipeline.yaml'], { cwd: project });
    expect(code).toBe(0);
    expect(stderr).toMatch(/step extract-people started \(filesystem\.csv_extractor\)/);
    expect(stderr).toMatch(/step extract-people done: 3 rows/);
    expect(stdout).toMatch(/output: out\/p\.csv/);
    expect(stdout).toMatch(/run log: run_logs\//);
  });
});

describe('osiris run: bad input fails cleanly', () => {
  const target = 'out/keep.csv';
  const original = 'precious,data\n1,2\n';

  function failing(steps: string): {
    result: ReturnType<typeof runCliJson<RunJson>>;
    stepFailed: Record<string, unknown>;
  } {
    write(target, original);
    write('pipeline.yaml', pipeline(steps));
    const result = runCliJson<RunJson>(['run', 'pipeline.yaml'], { cwd: project });
    expect(result.code).toBe(1);
    expect(result.json?.status).toBe('failed');
    const failed = events(result.json?.run_dir as string).find((e) => e.event === 'step_failed');
    expect(failed).toBeDefined();
    // The target is exactly as it was, and the failed run is in the index.
    expect(readFileSync(join(project, target), 'utf8')).toBe(original);
    expect(indexRecords().at(-1)?.status).toBe('failed');
    return { result, stepFailed: failed as Record<string, unknown> };
  }

  const writer = `  - id: write
    component: filesystem.csv_writer
    mode: write
    config:
      path: ${target}
`;

  it('missing input file', () => {
    const { result, stepFailed } = failing(
      `  - id: extract-people\n    component: filesystem.csv_extractor\n    mode: read\n    config:\n      path: data/nope.csv\n${writer}`,
    );
    expect(stepFailed.step_id).toBe('extract-people');
    expect(result.json?.error?.message).toContain('nope.csv');
    expect(result.json?.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
  });

  it('a CSV row with the wrong column count', () => {
    write('data/people.csv', 'id,name\n1,Ada\n2,Grace,extra\n3,Linus\n');
    const { result } = failing(`${extract}${writer}`);
    expect(result.json?.error?.location?.step).toBe('extract-people');
    expect(result.json?.error?.message).toMatch(/people\.csv/);
    expect(result.json?.error?.message).toMatch(/line 3|row 2|column/i);
  });

  it('an SQL error names the step and the SQL line', () => {
    const { result, stepFailed } = failing(`${extract}  - id: broken
    component: duckdb.processor
    mode: transform
    config:
      query: |
        SELECT name
        FROM input_df
        WHERE nonexistent_column > 1
${writer}`);
    expect(stepFailed.step_id).toBe('broken');
    expect(result.json?.error?.location?.step).toBe('broken');
    expect(result.json?.error?.message).toContain('broken');
    expect(result.json?.error?.message).toMatch(/line 3/i);
    expect(result.json?.error?.message).toContain('nonexistent_column');
  });

  it('a run-time SQL error names the step once, in the progress line and the error line', () => {
    write(target, original);
    write(
      'pipeline.yaml',
      pipeline(`${extract}  - id: top
    component: duckdb.processor
    mode: transform
    config:
      query: SELECT CAST(name AS INTEGER) AS n FROM input_df
${writer}`),
    );
    const r = runCli(['run', 'pipeline.yaml'], { cwd: project });
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines).toContain(
      "error transform.type_error step 'top' failed: SQL Conversion Error at line 1, column 8: Could not convert string 'Ada' to INT32 when casting from source column name",
    );
    expect(
      lines.some((l) => /^step top failed after .*: SQL Conversion Error at line 1, column 8/.test(l)),
    ).toBe(true);
    expect(r.stderr).not.toContain("step 'top': ");
  });

  it('an unwritable target folder', () => {
    const locked = join(project, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    write(target, original);
    write(
      'pipeline.yaml',
      pipeline(
        `${extract}  - id: write\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: locked/out.csv\n      create_dirs: false\n`,
      ),
    );
    const result = runCliJson<RunJson>(['run', 'pipeline.yaml'], { cwd: project });
    chmodSync(locked, 0o700);
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; a path under a regular file is unwritable for everyone.
      write(
        'pipeline.yaml',
        pipeline(
          `${extract}  - id: write\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: data/people.csv/out.csv\n      create_dirs: false\n`,
        ),
      );
      const asRoot = runCliJson<RunJson>(['run', 'pipeline.yaml'], { cwd: project });
      expect(asRoot.code).toBe(1);
      expect(asRoot.json?.error?.location?.step).toBe('write');
      expect(asRoot.json?.error?.message).toContain('out.csv');
      return;
    }
    expect(result.code).toBe(1);
    expect(result.json?.error?.location?.step).toBe('write');
    expect(result.json?.error?.message).toContain('locked');
  });

  it('a step that needs a writer (which produces no table) is refused before the run', () => {
    write(target, original);
    write(
      'pipeline.yaml',
      pipeline(`${extract}  - id: side-write
    component: filesystem.csv_writer
    mode: write
    config:
      path: out/side.csv
  - id: after
    component: duckdb.processor
    mode: transform
    needs: [side-write]
    config:
      query: SELECT * FROM input_df
${writer}`),
    );
    const result = runCliJson<{ ok: boolean; error?: { code: string; location?: { step?: string } } }>(
      ['run', 'pipeline.yaml'],
      { cwd: project },
    );
    expect(result.code).toBe(2);
    expect(result.json?.error?.code).toBe('OML046');
    expect(result.json?.error?.location?.step).toBe('after');
    expect(readFileSync(join(project, target), 'utf8')).toBe(original);
  });

  it('exit 2 for a file that does not exist, and for invalid OML', () => {
    expect(runCli(['run', 'missing.yaml'], { cwd: project }).code).toBe(2);
    write(
      'pipeline.yaml',
      pipeline('  - id: x\n    component: duckdb.proc\n    mode: transform\n    config: {query: SELECT 1}\n'),
    );
    const r = runCli(['run', 'pipeline.yaml'], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yaml:\d+:\d+ error OML013 .*duckdb\.processor/);
  });
});
