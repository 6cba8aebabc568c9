import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { aiopPackageDir } from '../../../src/observability/aiop/export.js';
import { applyRetention, planRetention, retentionPolicy } from '../../../src/observability/retention.js';
import {
  appendRunRecord,
  indexPaths,
  latestRun,
  listRuns,
  type RunRecord,
  readRunRecords,
} from '../../../src/observability/run-index.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import { fakeRun, tempProject } from './fixtures.js';

const NOW = new Date('2025-03-20T12:00:00.000Z');

/** `n` runs of `pipeline`, one per day ending the day before NOW (oldest first). */
function runs(project: ProjectConfig, pipeline: string, n: number, firstDay = 20 - n): RunRecord[] {
  const out: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    const day = String(firstDay + i).padStart(2, '0');
    const suffix = `${pipeline.slice(0, 1)}${String(i).padStart(7, '0')}`.replace(
      /[^0-9a-hjkmnp-tv-z]/g,
      '0',
    );
    const { record } = fakeRun({
      project,
      pipeline,
      runId: `202503${day}T100000Z-${suffix}`,
      start: `2025-03-${day}T10:00:00.000Z`,
    });
    out.push(record);
  }
  return out;
}

function withConfig(yaml: string): ProjectConfig {
  const base = tempProject('osiris-gc-');
  writeFileSync(join(base.root, 'osiris.yaml'), yaml);
  return loadProjectConfig({ cwd: base.root, env: {} });
}

describe('retentionPolicy', () => {
  it('defaults to 7 days and 50 runs, reads osiris.yaml, and lets flags override', () => {
    expect(retentionPolicy(tempProject())).toEqual({ days: 7, keep: 50 });
    const p = withConfig('retention:\n  run_logs_days: 30\n  keep_runs_per_pipeline: 5\n');
    expect(retentionPolicy(p)).toEqual({ days: 30, keep: 5 });
    expect(retentionPolicy(p, { days: 1 })).toEqual({ days: 1, keep: 5 });
    expect(retentionPolicy(p, { keep: 0, days: 0 })).toEqual({ days: null, keep: null });
    expect(retentionPolicy(withConfig('retention:\n  run_logs_days: null\n'))).toEqual({
      days: null,
      keep: 50,
    });
  });

  it('rejects bad values with LOG031 naming the key', () => {
    for (const yaml of [
      'retention: 5\n',
      'retention:\n  run_logs_days: -1\n',
      'retention:\n  keep_runs_per_pipeline: 2.5\n',
      'retention:\n  run_logs_days: "7"\n',
    ]) {
      const p = withConfig(yaml);
      let error: unknown;
      try {
        retentionPolicy(p);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OsirisError);
      expect((error as OsirisError).diagnostics[0]?.code).toBe('LOG031');
      expect((error as OsirisError).message).toMatch(/retention/);
    }
  });
});

describe('planRetention', () => {
  it('selects runs older than the age limit', () => {
    const project = tempProject();
    const recs = runs(project, 'orders', 5); // days 15..19
    const plan = planRetention(project, { days: 3, keep: null }, NOW);
    // Cut-off 2025-03-17T12:00: the runs of the 15th to 17th (finished about 10:00) go.
    expect(plan.delete.map((c) => c.run_id)).toEqual([recs[2]?.run_id, recs[1]?.run_id, recs[0]?.run_id]);
    expect(plan.delete.every((c) => c.reasons.join() === 'age' && c.exists && c.bytes > 0)).toBe(true);
    expect(plan).toMatchObject({ runs_total: 5, runs_kept: 2, refused: [] });
  });

  it('keeps the newest N runs per pipeline and profile', () => {
    const project = tempProject();
    const a = runs(project, 'alpha', 4);
    const b = runs(project, 'beta', 2);
    const plan = planRetention(project, { days: null, keep: 2 }, NOW);
    expect(plan.delete.map((c) => c.run_id).sort()).toEqual([a[0]?.run_id, a[1]?.run_id].sort());
    expect(plan.delete.every((c) => c.reasons.join() === 'count')).toBe(true);
    expect(b.every((r) => !plan.delete.some((c) => c.run_id === r.run_id))).toBe(true);
  });

  it('names both reasons when both rules apply, and nothing when both are off', () => {
    const project = tempProject();
    runs(project, 'alpha', 4); // days 16..19; cut-off 17T12:00
    const plan = planRetention(project, { days: 3, keep: 1 }, NOW);
    expect(plan.delete.map((c) => c.reasons)).toEqual([['count'], ['age', 'count'], ['age', 'count']]);
    expect(planRetention(project, { days: null, keep: null }, NOW).delete).toEqual([]);
  });

  it('refuses records whose folder is outside run_logs or not named after the run', () => {
    const project = tempProject();
    const [rec] = runs(project, 'alpha', 1) as [RunRecord];
    const outside = join(project.root, 'precious');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep.txt'), 'do not delete');
    appendRunRecord(project, { ...rec, run_id: '20250301T000000Z-00000001', run_dir: 'precious' });
    appendRunRecord(project, {
      ...rec,
      run_id: '20250301T000000Z-00000002',
      run_dir: 'run_logs/dev/alpha/../../../etc',
    });
    const plan = planRetention(project, { days: 1, keep: null }, NOW);
    expect(plan.refused.map((r) => r.reason).sort()).toEqual([
      'run folder is outside the run_logs folder',
      'run folder is outside the run_logs folder',
    ]);
    const result = applyRetention(project, plan);
    expect(result.errors).toEqual([]);
    expect(readFileSync(join(outside, 'keep.txt'), 'utf8')).toBe('do not delete');
    expect(listRuns(project).map((r) => r.run_id)).toContain('20250301T000000Z-00000001');
  });
});

describe('applyRetention', () => {
  it('deletes the planned folders and rewrites runs.jsonl, by_pipeline and latest', () => {
    const project = tempProject();
    const a = runs(project, 'alpha', 3);
    const b = runs(project, 'beta', 1);
    const plan = planRetention(project, { days: null, keep: 1 }, NOW);
    const result = applyRetention(project, plan);
    expect(result.deleted).toEqual([a[0]?.run_id, a[1]?.run_id].sort());
    expect(result.errors).toEqual([]);
    expect(result.index_records_removed).toBe(2);
    expect(result.freed_bytes).toBe(plan.delete.reduce((n, c) => n + c.bytes, 0));
    for (const r of a.slice(0, 2)) expect(existsSync(join(project.root, r.run_dir))).toBe(false);
    expect(existsSync(join(project.root, (a[2] as RunRecord).run_dir))).toBe(true);
    expect(readRunRecords(indexPaths(project).runs).map((r) => r.run_id)).toEqual([
      a[2]?.run_id,
      b[0]?.run_id,
    ]);
    expect(readRunRecords(indexPaths(project, 'alpha').byPipeline as string).map((r) => r.run_id)).toEqual([
      a[2]?.run_id,
    ]);
    expect(latestRun(project, 'alpha')?.run_id).toBe(a[2]?.run_id);
    // A second gc finds nothing more to do.
    expect(planRetention(project, { days: null, keep: 1 }, NOW).delete).toEqual([]);
  });

  it('removes a pipeline from the index when all its runs go, and prunes empty folders', () => {
    const project = tempProject();
    const a = runs(project, 'alpha', 2);
    const plan = planRetention(project, { days: 1, keep: null }, new Date('2025-04-01T00:00:00Z'));
    applyRetention(project, plan);
    expect(listRuns(project)).toEqual([]);
    expect(existsSync(indexPaths(project, 'alpha').byPipeline as string)).toBe(false);
    expect(existsSync(indexPaths(project, 'alpha').latest as string)).toBe(false);
    expect(existsSync(join(project.paths.runLogs, 'dev', 'alpha'))).toBe(false);
    expect(existsSync(project.paths.runLogs)).toBe(true);
    expect(a).toHaveLength(2);
  });

  it("deletes a run's AIOP package with its folder, and nothing of the runs it keeps", () => {
    const project = tempProject();
    const a = runs(project, 'alpha', 2);
    const packages = a.map((r) => aiopPackageDir(project, r));
    for (const dir of packages) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'aiop.json'), '{"x":1}');
    }
    const plan = planRetention(project, { days: null, keep: 1 }, NOW);
    const result = applyRetention(project, plan);
    expect(result.deleted).toEqual([a[0]?.run_id]);
    expect(existsSync(packages[0] as string)).toBe(false);
    expect(existsSync(packages[1] as string)).toBe(true);
    expect(result.freed_bytes).toBe(plan.delete[0]?.bytes);
    expect(plan.delete[0]?.bytes).toBeGreaterThanOrEqual(7);
  });

  it('keeps records that were appended after planning', () => {
    const project = tempProject();
    runs(project, 'alpha', 2);
    const plan = planRetention(project, { days: null, keep: 1 }, NOW);
    const late = fakeRun({
      project,
      pipeline: 'alpha',
      runId: '20250320T110000Z-zzzzzzzz',
      start: '2025-03-20T11:00:00.000Z',
    });
    applyRetention(project, plan);
    const ids = listRuns(project).map((r) => r.run_id);
    expect(ids[0]).toBe(late.record.run_id);
    expect(ids).toHaveLength(2);
    expect(latestRun(project, 'alpha')?.run_id).toBe(late.record.run_id);
  });

  it('drops records whose folder is already gone and never touches unindexed folders', () => {
    const project = tempProject();
    const [old] = runs(project, 'alpha', 1, 1) as [RunRecord];
    const stray = join(project.paths.runLogs, 'dev', 'alpha', '20250301T000000Z-notindex');
    mkdirSync(stray, { recursive: true });
    writeFileSync(join(stray, 'events.jsonl'), '');
    rmSync(join(project.root, old.run_dir), { recursive: true });
    const plan = planRetention(project, { days: 1, keep: null }, NOW);
    expect(plan.delete).toMatchObject([{ run_id: old.run_id, exists: false, bytes: 0 }]);
    const result = applyRetention(project, plan);
    expect(result).toMatchObject({ deleted: [old.run_id], freed_bytes: 0, index_records_removed: 1 });
    expect(existsSync(stray)).toBe(true);
  });
});
