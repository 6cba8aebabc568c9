/**
 * The abandoned-run sweep on hand-made run folders: only a run whose process is provably gone is marked
 * (once) and cleaned, only what it claimed is removed, and what cannot be removed stays claimed with a reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../src/observability/redact.js';
import { readClaims } from '../../../src/observability/run-claims.js';
import { listRuns } from '../../../src/observability/run-index.js';
import {
  currentRunProcess,
  processLiveness,
  type RunProcess,
} from '../../../src/observability/run-process.js';
import { openRunSession, type StepStatus } from '../../../src/observability/session.js';
import { foldStepLog, readStepLog } from '../../../src/observability/step-log.js';
import type { ProjectConfig } from '../../../src/project/config.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { sweepAbandonedRuns } from '../../../src/runtime/abandoned-runs.js';
import { tempProject } from '../observability/helpers.js';

/** A pid that certainly belongs to no process any more: a child that already exited. */
const deadPid = (() => {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid as number;
})();

const step = (id: string, status: StepStatus['status']): StepStatus => ({
  id,
  component: 'duckdb.processor',
  status,
  rows_in: null,
  rows_out: status === 'succeeded' ? 5 : null,
  duration_ms: status === 'succeeded' ? 3 : null,
});

/** A run left as a killed process leaves it: status running, steps logged, scratch, claims. */
function killedRun(project: ProjectConfig, owner: Partial<RunProcess> = { pid: deadPid }) {
  const session = openRunSession({
    project,
    pipelineSlug: 'orders',
    manifestHash: 'sha256:00',
    manifestShort: '0000000',
    redactor: createRedactor({}),
  });
  session.writeStatus({ status: 'running', steps: [step('a', 'pending'), step('b', 'pending')] });
  session.stepChanged(step('a', 'running'));
  session.stepChanged(step('a', 'succeeded'));
  session.stepChanged(step('b', 'running'));
  const process = { ...currentRunProcess(), ...owner };
  writeFileSync(join(session.dir, 'process.json'), JSON.stringify(process));
  mkdirSync(join(session.dir, 'scratch'), { recursive: true });
  writeFileSync(join(session.dir, 'scratch', 'spill.bin'), Buffer.alloc(4096));
  const out = join(project.root, 'out');
  mkdirSync(out, { recursive: true });
  const mine = join(out, `.data.csv.${process.pid}.0a1b2c3d.tmp`);
  const notMine = join(out, `.data.csv.${process.pid + 1}.0a1b2c3d.tmp`);
  writeFileSync(mine, 'half a file');
  writeFileSync(notMine, 'someone else');
  session.claim({ kind: 'file', step_id: 'b', path: mine });
  session.claim({ kind: 'file', step_id: 'b', path: notMine });
  session.claim({
    kind: 'mysql_table',
    step_id: 'b',
    connection: '@mysql.nowhere',
    database: 'shop',
    table: 'orders__osiris_stage_0a1b2c3d',
  });
  session.close();
  return { dir: session.dir, runId: session.runId, mine, notMine };
}

function sweep(project: ProjectConfig, dryRun = false) {
  return sweepAbandonedRuns({
    project,
    env: {},
    cwd: project.root,
    registry: loadRegistry({ projectRoot: project.root }),
    detectedBy: 'the test',
    dryRun,
  });
}

const statusOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));

describe('processLiveness', () => {
  it('tells this process alive, an exited pid gone, another host unknowable, a reused pid gone', () => {
    const me = currentRunProcess();
    expect(processLiveness(me)).toBe('alive');
    expect(processLiveness({ ...me, pid: deadPid })).toBe('gone');
    expect(processLiveness({ ...me, host: `${me.host}-elsewhere`, pid: deadPid })).toBe('elsewhere');
    if (me.start_ticks !== undefined)
      expect(processLiveness({ ...me, start_ticks: me.start_ticks + 1 })).toBe('gone');
  });
});

describe('steps.jsonl', () => {
  it('records step changes without rewriting status.json; folding gives the current state', () => {
    const project = tempProject();
    const session = openRunSession({
      project,
      pipelineSlug: 'p',
      manifestHash: 'sha256:00',
      manifestShort: '0000000',
      redactor: createRedactor({}),
    });
    session.writeStatus({ status: 'running', steps: [step('a', 'pending'), step('b', 'pending')] });
    const before = readFileSync(session.statusPath, 'utf8');
    for (let i = 0; i < 200; i++) session.stepChanged(step('a', i % 2 ? 'succeeded' : 'running'));
    session.stepChanged(step('b', 'running'));
    session.close();
    expect(readFileSync(session.statusPath, 'utf8')).toBe(before);
    const folded = foldStepLog(statusOf(session.dir), readStepLog(session.dir));
    expect(folded.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'running'],
    ]);
  });
});

describe('sweepAbandonedRuns', () => {
  it('a finished run drops process.json and is never a candidate', async () => {
    const project = tempProject();
    const session = openRunSession({
      project,
      pipelineSlug: 'orders',
      manifestHash: 'sha256:00',
      manifestShort: '0000000',
      redactor: createRedactor({}),
    });
    expect(existsSync(join(session.dir, 'process.json'))).toBe(true);
    session.finish({ status: 'failed', steps: [] });
    expect(existsSync(join(session.dir, 'process.json'))).toBe(false);
    expect(await sweep(project)).toEqual([]);
  });

  it('removes what a finished run claimed but could not remove itself (its database had stopped)', async () => {
    const project = tempProject();
    const session = openRunSession({
      project,
      pipelineSlug: 'orders',
      manifestHash: 'sha256:00',
      manifestShort: '0000000',
      redactor: createRedactor({}),
    });
    mkdirSync(join(session.dir, 'scratch', 'kept'), { recursive: true }); // as --keep-data leaves it
    const temp = join(project.root, `.out.csv.${process.pid}.0badc0de.tmp`);
    session.claim({ kind: 'file', step_id: 'w', path: temp });
    writeFileSync(temp, 'left by a failed cleanup');
    session.finish({ status: 'failed', steps: [] });
    expect(existsSync(join(session.dir, 'process.json'))).toBe(true); // claims to check: still a candidate

    const [swept] = await sweep(project);
    expect(swept).toMatchObject({ run_id: session.runId, status: 'failed', marked: false });
    expect(swept?.removed.files).toEqual([temp]);
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(join(session.dir, 'scratch', 'kept'))).toBe(true); // a finished run's scratch stays
    expect(statusOf(session.dir).status).toBe('failed');
    expect(listRuns(project)[0]?.status).toBe('failed');
    expect(existsSync(join(session.dir, 'process.json'))).toBe(false);
    expect(await sweep(project)).toEqual([]);
  });

  it('never touches a live run or a run of another host', async () => {
    const project = tempProject();
    const live = killedRun(project, { pid: process.pid });
    const remote = killedRun(project, { host: 'another-host' });
    expect(await sweep(project)).toEqual([]);
    for (const run of [live, remote]) {
      expect(statusOf(run.dir).status).toBe('running');
      expect(existsSync(join(run.dir, 'scratch'))).toBe(true);
      expect(existsSync(run.mine)).toBe(true);
    }
    expect(listRuns(project)).toEqual([]);
  });

  it('a dry run reports and changes nothing', async () => {
    const project = tempProject();
    const run = killedRun(project);
    const [found] = await sweep(project, true);
    expect(found).toMatchObject({ run_id: run.runId, marked: true, pid: deadPid });
    expect(found?.removed.files).toEqual([run.mine]);
    expect(statusOf(run.dir).status).toBe('running');
    expect(existsSync(run.mine)).toBe(true);
    expect(listRuns(project)).toEqual([]);
  });

  it('marks a dead run abandoned once, removes what it provably owns, keeps what it cannot reach', async () => {
    const project = tempProject();
    const run = killedRun(project);
    const [swept] = await sweep(project);
    expect(swept).toMatchObject({ run_id: run.runId, marked: true });
    expect(swept?.removed.files).toEqual([run.mine]);
    expect(swept?.removed.scratch_bytes).toBe(4096);
    expect(existsSync(run.mine)).toBe(false);
    expect(existsSync(run.notMine)).toBe(true); // its name carries another pid: not provably this run's
    expect(existsSync(join(run.dir, 'scratch'))).toBe(false);
    expect(swept?.left.map((l) => l.what)).toEqual([
      run.notMine,
      'shop.orders__osiris_stage_0a1b2c3d on @mysql.nowhere',
    ]);
    expect(swept?.left[1]?.reason).toContain('could not reach @mysql.nowhere');

    const status = statusOf(run.dir);
    expect(status.status).toBe('abandoned');
    expect(status.error.code).toBe('runtime.abandoned');
    expect(status.steps.map((s: StepStatus) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'failed'],
    ]);
    const [record] = listRuns(project);
    expect(record).toMatchObject({ run_id: run.runId, status: 'abandoned', error_code: 'runtime.abandoned' });
    expect(readClaims(run.dir).map((c) => c.kind)).toEqual(['mysql_table']);

    // The next sweep only retries the unreachable table; the index keeps one record.
    const [again] = await sweep(project);
    expect(again).toMatchObject({ run_id: run.runId, marked: false });
    expect(again?.left).toHaveLength(1);
    expect(listRuns(project)).toHaveLength(1);
    const events = readFileSync(join(run.dir, 'events.jsonl'), 'utf8');
    expect(events.match(/"event":"run_abandoned"/g)).toHaveLength(1);
    expect(events.match(/"event":"leftovers_cleanup"/g)).toHaveLength(2);
  });
});
