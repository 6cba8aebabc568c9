/**
 * `osiris logs html|gc` and `osiris runs list` through the built binary on real runs
 * (needs `npm run build` first, as `npm test` does).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../../src/cli/commands/runs.js';
import { runCli, runCliJson, tempDir } from '../../helpers/cli.js';

let project: string;
const ids: { good: string[]; bad: string } = { good: [], bad: '' };

function write(rel: string, text: string): void {
  const path = join(project, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const GOOD = `oml_version: "0.1.0"
name: people-report
steps:
  - id: extract-people
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/people.csv
  - id: top-scorers
    component: duckdb.processor
    mode: transform
    needs: [extract-people]
    config:
      query: SELECT name, score FROM input_df WHERE score > 7.5
  - id: write-top
    component: filesystem.csv_writer
    mode: write
    needs: [top-scorers]
    config:
      path: out/top.csv
`;

const BAD = `oml_version: "0.1.0"
name: people-broken
steps:
  - id: extract-people
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/people.csv
  - id: broken-transform
    component: duckdb.processor
    mode: transform
    needs: [extract-people]
    config:
      query: SELECT no_such_column FROM input_df
`;

interface RunJson {
  run_id: string;
  status: string;
}

beforeAll(() => {
  project = tempDir('osiris-report-cli-');
  write('osiris.yaml', 'version: "2.0"\n');
  write('data/people.csv', 'id,name,score\n1,Ada,9.5\n2,Grace,8.25\n3,Linus,7\n');
  write('good.yaml', GOOD);
  write('bad.yaml', BAD);
  for (let i = 0; i < 2; i++) {
    const r = runCliJson<RunJson>(['run', 'good.yaml'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    ids.good.push(r.json?.run_id as string);
  }
  const bad = runCliJson<RunJson>(['run', 'bad.yaml'], { cwd: project });
  expect(bad.code).toBe(1);
  ids.bad = bad.json?.run_id as string;
}, 120_000);

describe('osiris logs html', () => {
  it('writes <run dir>/report.html for the last run by default', () => {
    const r = runCliJson<{ ok: boolean; run_id: string; status: string; path: string; bytes: number }>(
      ['logs', 'html'],
      { cwd: project },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, run_id: ids.bad, status: 'failed' });
    expect(r.json?.path).toMatch(new RegExp(`run_logs/dev/people-broken/${ids.bad}/report\\.html$`));
    const html = readFileSync(r.json?.path as string, 'utf8');
    expect(Buffer.byteLength(html)).toBe(r.json?.bytes);
    expect(html).toContain('broken-transform');
    expect(html).toContain('Run failed at step');
  });

  it('takes a run id prefix and --out, and renders the same run to the same bytes', () => {
    const prefix = (ids.good[0] as string).slice(0, 22);
    const a = runCli(['logs', 'html', prefix, '--out', 'reports/a.html'], { cwd: project });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain(`run ${ids.good[0]}, succeeded`);
    const b = runCli(['logs', 'html', prefix, '--out', 'reports/b.html'], { cwd: project });
    expect(b.code).toBe(0);
    const first = readFileSync(join(project, 'reports/a.html'), 'utf8');
    expect(first).toBe(readFileSync(join(project, 'reports/b.html'), 'utf8'));
    expect(first).toContain('write-top');
  });

  it('exits 2 with the nearest run ids for an unknown run', () => {
    const wanted = `${(ids.good[0] as string).slice(0, 17)}zzzzzzzz`;
    const r = runCli(['logs', 'html', wanted], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LOG001');
    expect(r.stderr).toContain(ids.good[0]);
  });

  it('rejects contradictory flags', () => {
    expect(runCli(['logs', 'html', ids.bad, '--last'], { cwd: project }).code).toBe(2);
    expect(runCli(['logs', 'html', '--index', '--last'], { cwd: project }).code).toBe(2);
    expect(runCli(['logs', 'html', '--index', '--limit', 'x'], { cwd: project }).code).toBe(2);
  });

  it('--index writes the index page and a report for every run, linked relatively', () => {
    const r = runCliJson<{ path: string; runs: number; reports: { run_id: string; path: string }[] }>(
      ['logs', 'html', '--index'],
      { cwd: project },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.path).toBe(join(project, 'run_logs', 'index.html'));
    expect(r.json?.runs).toBe(3);
    const html = readFileSync(r.json?.path as string, 'utf8');
    for (const report of r.json?.reports ?? []) {
      expect(existsSync(report.path)).toBe(true);
      const href = /href="([^"]+)">([^<]+)<\/a>/g;
      const links = [...html.matchAll(href)].filter((m) => m[2] === report.run_id);
      expect(links).toHaveLength(1);
      expect(resolve(dirname(r.json?.path as string), decodeURIComponent(links[0]?.[1] as string))).toBe(
        report.path,
      );
    }
    // Newest first.
    expect(html.indexOf(ids.bad)).toBeLessThan(html.indexOf(ids.good[1] as string));
    expect(html.indexOf(ids.good[1] as string)).toBeLessThan(html.indexOf(ids.good[0] as string));
  });
});

describe('osiris runs list', () => {
  it('lists runs newest first with filters', () => {
    const all = runCliJson<{ runs: { run_id: string }[] }>(['runs', 'list'], { cwd: project });
    expect(all.code).toBe(0);
    expect(all.json?.runs.map((r) => r.run_id)).toEqual([ids.bad, ids.good[1], ids.good[0]]);
    const failed = runCliJson<{ runs: { run_id: string }[] }>(['runs', 'list', '--status', 'failed'], {
      cwd: project,
    });
    expect(failed.json?.runs.map((r) => r.run_id)).toEqual([ids.bad]);
    const pipe = runCliJson<{ runs: { run_id: string }[] }>(
      ['runs', 'list', '--pipeline', 'people-report', '--limit', '1'],
      { cwd: project },
    );
    expect(pipe.json?.runs.map((r) => r.run_id)).toEqual([ids.good[1]]);
    const recent = runCliJson<{ runs: unknown[] }>(['runs', 'list', '--since', '1h'], { cwd: project });
    expect(recent.json?.runs).toHaveLength(3);
    const future = runCliJson<{ runs: unknown[] }>(['runs', 'list', '--since', '2999-01-01'], {
      cwd: project,
    });
    expect(future.json?.runs).toEqual([]);
    const text = runCli(['runs', 'list'], { cwd: project });
    expect(text.stdout.split('\n')[0]).toMatch(/^RUN ID\s+PIPELINE/);
  });

  it('rejects a bad --since, --status or --limit with exit 2', () => {
    for (const args of [
      ['--since', 'yesterday'],
      ['--status', 'ok'],
      ['--limit', '-1'],
    ]) {
      const r = runCli(['runs', 'list', ...args], { cwd: project });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(args[0] === '--status' ? /Allowed choices are succeeded, failed/ : /LOG005/);
    }
  });
});

describe('parseSince', () => {
  const now = new Date('2025-03-20T12:00:00.000Z');
  it('reads durations and ISO dates', () => {
    expect(parseSince('30m', now)?.toISOString()).toBe('2025-03-20T11:30:00.000Z');
    expect(parseSince('24h', now)?.toISOString()).toBe('2025-03-19T12:00:00.000Z');
    expect(parseSince('7d', now)?.toISOString()).toBe('2025-03-13T12:00:00.000Z');
    expect(parseSince('2w', now)?.toISOString()).toBe('2025-03-06T12:00:00.000Z');
    expect(parseSince('2025-03-01', now)?.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(parseSince('7 days', now)).toBeUndefined();
    expect(parseSince('', now)).toBeUndefined();
  });
});

// Last: it deletes runs the other tests read.
describe('osiris logs gc', () => {
  it('is a dry run by default, then --apply deletes and rewrites the index', () => {
    const dry = runCliJson<{
      dry_run: boolean;
      policy: { days: number | null; keep: number | null };
      would_delete: { run_id: string; reasons: string[]; bytes: number }[];
      would_free_bytes: number;
    }>(['logs', 'gc', '--keep', '1'], { cwd: project });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json).toMatchObject({ dry_run: true, policy: { days: 7, keep: 1 } });
    expect(dry.json?.would_delete.map((c) => c.run_id)).toEqual([ids.good[0]]);
    expect(dry.json?.would_free_bytes).toBeGreaterThan(0);
    const oldDir = join(project, 'run_logs', 'dev', 'people-report', ids.good[0] as string);
    expect(existsSync(oldDir)).toBe(true);

    const text = runCli(['logs', 'gc', '--keep', '1'], { cwd: project });
    expect(text.stdout).toContain('would delete 1 runs');
    expect(text.stdout).toContain('dry run: nothing was deleted');

    const applied = runCliJson<{ deleted: string[]; freed_bytes: number; failed: unknown[] }>(
      ['logs', 'gc', '--keep', '1', '--apply'],
      { cwd: project },
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json).toMatchObject({ ok: true, deleted: [ids.good[0]], failed: [] });
    expect(applied.json?.freed_bytes).toBe(dry.json?.would_free_bytes);
    expect(existsSync(oldDir)).toBe(false);
    const left = runCliJson<{ runs: { run_id: string }[] }>(['logs', 'list'], { cwd: project });
    expect(left.json?.runs.map((r) => r.run_id)).toEqual([ids.bad, ids.good[1]]);
    const gone = runCli(['logs', 'show', ids.good[0] as string], { cwd: project });
    expect(gone.code).toBe(2);
  });

  it('rejects bad --days / --keep values with exit 2', () => {
    for (const args of [
      ['--days', 'x'],
      ['--keep', '1.5'],
      ['--days', '-3'],
    ]) {
      const r = runCli(['logs', 'gc', ...args], { cwd: project });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('LOG030');
    }
  });
});
