/** `osiris logs …` through the real binary (needs `npm run build` first, as `npm test` does). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const bin = join(repo, 'bin', 'osiris.js');

const OK = '20250314T091502Z-0kz3m8qd';
const BAD = '20250314T101502Z-1aa00000';
const OTHER = '20250313T080000Z-0b000000';

function osiris(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function line(obj: unknown) {
  return `${JSON.stringify(obj)}\n`;
}

/** A project whose osiris.yaml moves run logs and the index away from the defaults. */
function makeProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'osiris-logs-cli-'));
  writeFileSync(
    join(root, 'osiris.yaml'),
    'version: "2.0"\nfilesystem:\n  run_logs_dir: logs\n  index_dir: state/index\n',
  );
  const index = join(root, 'state', 'index');
  mkdirSync(join(index, 'by_pipeline'), { recursive: true });
  mkdirSync(join(index, 'latest'), { recursive: true });
  const rec = (
    run_id: string,
    pipeline_slug: string,
    status: string,
    started: string,
    extra: object = {},
  ) => ({
    run_id,
    pipeline_slug,
    profile: 'dev',
    manifest_hash: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
    manifest_short: '2c26b46',
    status,
    started_at: started,
    finished_at: started.replace(/\.000Z$/, '.250Z'),
    duration_ms: 250,
    rows_in: 300,
    rows_out: 212,
    run_dir: `logs/dev/${pipeline_slug}/${run_id}`,
    ...extra,
  });
  const other = rec(OTHER, 'orders', 'succeeded', '2025-03-13T08:00:00.000Z');
  const ok = rec(OK, 'director-stats', 'succeeded', '2025-03-14T09:15:02.000Z');
  const bad = rec(BAD, 'director-stats', 'failed', '2025-03-14T10:15:02.000Z', {
    rows_out: null,
    error_code: 'write.failed',
    error_message: 'target folder is not writable',
  });
  writeFileSync(join(index, 'runs.jsonl'), [other, ok, bad].map(line).join(''));
  writeFileSync(join(index, 'by_pipeline', 'director-stats.jsonl'), [ok, bad].map(line).join(''));
  writeFileSync(join(index, 'by_pipeline', 'orders.jsonl'), line(other));
  writeFileSync(join(index, 'latest', 'director-stats.run.json'), JSON.stringify(bad));

  const dir = join(root, 'logs', 'dev', 'director-stats', OK);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'status.json'),
    JSON.stringify({
      run_id: OK,
      pipeline: 'director-stats',
      manifest_hash: ok.manifest_hash,
      manifest_short: '2c26b46',
      profile: 'dev',
      status: 'succeeded',
      started_at: ok.started_at,
      finished_at: ok.finished_at,
      duration_ms: 250,
      rows_in: 300,
      rows_out: 212,
      steps: [
        {
          id: 'extract-movies',
          component: 'filesystem.csv_extractor',
          status: 'succeeded',
          rows_in: null,
          rows_out: 212,
          duration_ms: 35,
        },
        {
          id: 'write-stats',
          component: 'filesystem.csv_writer',
          status: 'succeeded',
          rows_in: 212,
          rows_out: null,
          duration_ms: 12,
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'events.jsonl'),
    `${[
      { ts: '2025-03-14T09:15:02.000Z', run_id: OK, event: 'run_start', pipeline: 'director-stats' },
      {
        ts: '2025-03-14T09:15:02.010Z',
        run_id: OK,
        event: 'step_start',
        step_id: 'extract-movies',
        component: 'filesystem.csv_extractor',
      },
      {
        ts: '2025-03-14T09:15:02.045Z',
        run_id: OK,
        event: 'step_complete',
        step_id: 'extract-movies',
        rows_out: 212,
        duration_ms: 35,
      },
      { ts: '2025-03-14T09:15:02.250Z', run_id: OK, event: 'run_complete', steps_executed: 2 },
    ]
      .map(line)
      .join('')}{"torn`,
  );
  writeFileSync(
    join(dir, 'metrics.jsonl'),
    line({
      ts: '2025-03-14T09:15:02.045Z',
      run_id: OK,
      metric: 'rows_read',
      value: 212,
      unit: 'rows',
      step_id: 'extract-movies',
    }),
  );
  return root;
}

describe('osiris logs (CLI)', () => {
  let root: string;
  beforeAll(() => {
    if (!existsSync(join(repo, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` before these tests');
    }
    root = makeProject();
  });

  it('lists runs newest first as a table', () => {
    const r = osiris(root, 'logs', 'list');
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^RUN ID\s+PIPELINE\s+PROFILE\s+STATUS\s+STARTED\s+DURATION\s+ROWS$/);
    expect(rows.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([BAD, OK, OTHER]);
    expect(rows[2]).toMatch(/director-stats\s+dev\s+succeeded\s+2025-03-14 09:15:02Z\s+250 ms\s+212$/);
    expect(rows[1]).toMatch(/failed .* -$/);
  });

  it('filters and limits; --json prints the records', () => {
    const r = osiris(root, 'logs', 'list', '--pipeline', 'director-stats', '--status', 'succeeded', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.runs.map((x: { run_id: string }) => x.run_id)).toEqual([OK]);
    const limited = JSON.parse(osiris(root, 'logs', 'list', '--limit', '1', '--json').stdout);
    expect(limited.runs).toHaveLength(1);
    const bad = osiris(root, 'logs', 'list', '--limit', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('LOG005');
  });

  it('--since filters like `runs list --since` (one parser for both)', () => {
    const since = (value: string) =>
      JSON.parse(osiris(root, 'logs', 'list', '--since', value, '--json').stdout);
    expect(since('2025-03-14').runs.map((x: { run_id: string }) => x.run_id)).toContain(OK);
    const future = since('2999-01-01');
    expect(future).toMatchObject({ ok: true, since: '2999-01-01T00:00:00.000Z', runs: [] });
    const bad = osiris(root, 'logs', 'list', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error LOG005 --since must be a duration like 30m, 24h, 7d or an ISO date');
  });

  it('shows a run by unique prefix: summary, steps and the events timeline', () => {
    const r = osiris(root, 'logs', 'show', '20250314T09');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`run       ${OK}`);
    expect(r.stdout).toContain('pipeline  director-stats (profile dev)');
    expect(r.stdout).toContain('rows      in 300, out 212');
    expect(r.stdout).toMatch(/extract-movies\s+filesystem\.csv_extractor\s+succeeded\s+-\s+212\s+35 ms/);
    expect(r.stdout).toMatch(/\+0\.045s\s+step_complete\s+extract-movies\s+rows_out=212 duration_ms=35/);
    expect(r.stdout).toMatch(/\+0\.000s\s+run_start\s+pipeline=director-stats/);
  });

  it('shows JSON with status, events and metrics', () => {
    const doc = JSON.parse(osiris(root, 'logs', 'show', OK, '--json').stdout);
    expect(doc.run.run_id).toBe(OK);
    expect(doc.status.steps).toHaveLength(2);
    expect(doc.events.map((e: { event: string }) => e.event)).toEqual([
      'run_start',
      'step_start',
      'step_complete',
      'run_complete',
    ]);
    expect(doc.metrics).toHaveLength(1);
    expect(doc.run_dir).toBe(join(root, 'logs', 'dev', 'director-stats', OK));
  });

  it('--last and `logs last` show the most recent run, even when its folder is gone', () => {
    for (const args of [
      ['logs', 'show', '--last'],
      ['logs', 'last'],
      ['logs', 'last', '--pipeline', 'director-stats'],
    ]) {
      const r = osiris(root, ...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`run       ${BAD}`);
      expect(r.stdout).toContain('error     write.failed: target folder is not writable');
      expect(r.stdout).toContain('warning: events.jsonl not found');
    }
    const orders = osiris(root, 'logs', 'last', '--pipeline', 'orders', '--json');
    expect(JSON.parse(orders.stdout).run.run_id).toBe(OTHER);
  });

  it('a missing run exits 2 naming the nearest ids', () => {
    const r = osiris(root, 'logs', 'show', '20250314T091502Z-0kz3m8qx');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LOG001');
    expect(r.stderr).toContain(OK);
    const j = osiris(root, 'logs', 'show', 'nope', '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.code).toBe('LOG001');
    const ambiguous = osiris(root, 'logs', 'show', '2025031');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('LOG002');
  });

  it('usage errors exit 2', () => {
    expect(osiris(root, 'logs', 'show').code).toBe(2);
    expect(osiris(root, 'logs', 'show', OK, '--last').code).toBe(2);
    const none = osiris(root, 'logs', 'last', '--pipeline', 'nope');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('director-stats, orders');
  });

  it('an empty project says so and exits 0', () => {
    const empty = mkdtempSync(join(tmpdir(), 'osiris-logs-empty-'));
    const r = osiris(empty, 'logs', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no runs recorded yet');
    expect(JSON.parse(osiris(empty, 'logs', 'list', '--json').stdout)).toEqual({
      ok: true,
      runs: [],
      diagnostics: [],
    });
    expect(osiris(empty, 'logs', 'last').code).toBe(2);
  });
});
