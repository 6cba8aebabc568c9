import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { createRedactor, MASK } from '../../../src/observability/redact.js';
import { isRunId } from '../../../src/observability/run-id.js';
import { latestRun, listRuns } from '../../../src/observability/run-index.js';
import { openRunSession, type StepStatus } from '../../../src/observability/session.js';
import { filesContaining, tempProject } from './helpers.js';

const CANARY = 'canary-7c1e5a90d2';
const HASH = 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';

function clock(start = Date.parse('2025-03-14T09:15:02.000Z')) {
  let t = start;
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function open(project = tempProject(), c = clock(), secretValues: string[] = [CANARY]) {
  const session = openRunSession({
    project,
    pipelineSlug: 'director-stats',
    manifestHash: HASH,
    manifestShort: '2c26b46',
    profile: 'dev',
    redactor: createRedactor({ secretValues }),
    now: c.now,
  });
  return { project, session, c };
}

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('openRunSession', () => {
  it('creates the run folder under run_logs/<profile>/<slug>/<run_id>', () => {
    const { project, session } = open();
    expect(isRunId(session.runId)).toBe(true);
    expect(session.runId.startsWith('20250314T091502Z-')).toBe(true);
    expect(session.dir).toBe(join(project.root, 'run_logs', 'dev', 'director-stats', session.runId));
    expect(session.relativeDir).toBe(`run_logs/dev/director-stats/${session.runId}`);
    expect(existsSync(session.eventsPath)).toBe(true);
    expect(existsSync(session.metricsPath)).toBe(true);
    const status = JSON.parse(readFileSync(session.statusPath, 'utf8'));
    expect(status).toMatchObject({ status: 'running', run_id: session.runId, steps: [], finished_at: null });
    session.close();
  });

  it('writes one well-formed JSON object per line, with ts/run_id first', () => {
    const { session, c } = open();
    session.event('run_start', { pipeline: 'director-stats', steps: 3 });
    c.advance(12);
    session.event('step_start', { step_id: 'extract-movies', component: 'filesystem.csv_extractor' });
    session.metric('rows_read', 212, { unit: 'rows', stepId: 'extract-movies' });
    session.metric('peak_rss_bytes', 1024);
    session.event('odd', { ts: 'spoofed', event: 'spoofed', nested: { a: [1, 2] }, skip: undefined });
    session.close();
    session.event('after_close'); // dropped, not thrown

    const events = lines(session.eventsPath);
    expect(events).toEqual([
      {
        ts: '2025-03-14T09:15:02.000Z',
        run_id: session.runId,
        event: 'run_start',
        pipeline: 'director-stats',
        steps: 3,
      },
      {
        ts: '2025-03-14T09:15:02.012Z',
        run_id: session.runId,
        event: 'step_start',
        step_id: 'extract-movies',
        component: 'filesystem.csv_extractor',
      },
      { ts: '2025-03-14T09:15:02.012Z', run_id: session.runId, event: 'odd', nested: { a: [1, 2] } },
    ]);
    expect(Object.keys(events[0] as object).slice(0, 3)).toEqual(['ts', 'run_id', 'event']);
    expect(lines(session.metricsPath)).toEqual([
      {
        ts: '2025-03-14T09:15:02.012Z',
        run_id: session.runId,
        metric: 'rows_read',
        value: 212,
        unit: 'rows',
        step_id: 'extract-movies',
      },
      { ts: '2025-03-14T09:15:02.012Z', run_id: session.runId, metric: 'peak_rss_bytes', value: 1024 },
    ]);
  });

  it('never lets a planted secret reach a file', () => {
    const { project, session } = open();
    session.event('connection_resolved', { step_id: 'load', password: 'hunter2-other', alias: 'main' });
    session.event('step_failed', { step_id: 'load', message: `auth failed for user app with ${CANARY}` });
    session.event('dsn', { url: `postgres://app:${CANARY}@db/x`, nested: [{ token: CANARY }] });
    session.metric('rows_written', 1, { tags: { note: `x ${CANARY} y` } });
    session.copyArtifact('cfg/load.json', { table: 'movies', password: CANARY });
    session.copyArtifact('manifest.yaml', `steps:\n  - id: load\n    note: uses ${CANARY}\n`);
    session.finish({
      status: 'failed',
      steps: [],
      error: { code: 'write.failed', message: `could not connect with ${CANARY}`, step_id: 'load' },
    });
    expect(filesContaining(project.root, CANARY)).toEqual([]);
    expect(filesContaining(project.root, 'hunter2-other')).toEqual([]);
    const events = lines(session.eventsPath);
    expect(events[0]).toMatchObject({ password: MASK, alias: 'main' });
    expect(events[1]).toMatchObject({ message: `auth failed for user app with ${MASK}` });
    expect(readFileSync(join(session.dir, 'cfg', 'load.json'), 'utf8')).toContain('"table": "movies"');
  });

  it('control: without the redactor knowing the value, the grep does find it', () => {
    const { project, session } = open(tempProject(), clock(), []);
    session.event('step_failed', { message: `auth failed with ${CANARY}` });
    session.close();
    expect(filesContaining(project.root, CANARY)).toEqual([session.eventsPath]);
  });

  it('copyArtifact refuses paths outside the run folder', () => {
    const { session } = open();
    expect(() => session.copyArtifact('../escape.txt', 'x')).toThrow(OsirisError);
    expect(() => session.copyArtifact('/etc/passwd', 'x')).toThrow(OsirisError);
    session.close();
  });

  it('writes status.json atomically with the documented shape', () => {
    const { session, c } = open();
    const steps: StepStatus[] = [
      {
        id: 'extract',
        component: 'filesystem.csv_extractor',
        status: 'succeeded',
        rows_in: null,
        rows_out: 212,
        duration_ms: 35,
      },
      {
        id: 'load',
        component: 'filesystem.csv_writer',
        status: 'failed',
        rows_in: 212,
        rows_out: null,
        duration_ms: 5,
        error: { code: 'write.failed', message: 'disk full' },
      },
      {
        id: 'publish',
        component: 'filesystem.json_writer',
        status: 'skipped',
        rows_in: null,
        rows_out: null,
        duration_ms: null,
      },
    ];
    c.advance(1500);
    const written = session.writeStatus({
      status: 'failed',
      steps,
      rowsIn: 212,
      rowsOut: 0,
      error: { code: 'write.failed', message: 'disk full', step_id: 'load' },
    });
    const onDisk = JSON.parse(readFileSync(session.statusPath, 'utf8'));
    expect(onDisk).toEqual(written);
    expect(onDisk).toEqual({
      run_id: session.runId,
      pipeline: 'director-stats',
      manifest_hash: HASH,
      manifest_short: '2c26b46',
      profile: 'dev',
      status: 'failed',
      started_at: '2025-03-14T09:15:02.000Z',
      finished_at: '2025-03-14T09:15:03.500Z',
      duration_ms: 1500,
      rows_in: 212,
      rows_out: 0,
      steps,
      error: { code: 'write.failed', message: 'disk full', step_id: 'load' },
    });
    expect(filesContaining(session.dir, '.tmp')).toEqual([]);
    session.close();
  });

  it('finish() records the run in the index, failed runs included', () => {
    const project = tempProject();
    const c = clock();
    const first = open(project, c).session;
    c.advance(100);
    const ok = first.finish({ status: 'succeeded', steps: [], rowsIn: 10, rowsOut: 10 });
    expect(ok.record).toMatchObject({
      status: 'succeeded',
      duration_ms: 100,
      rows_out: 10,
      run_dir: first.relativeDir,
    });
    c.advance(1000);
    const second = open(project, c).session;
    c.advance(7);
    const bad = second.finish({
      status: 'failed',
      steps: [],
      error: { code: 'extract.query_failed', message: 'token=abc123xyz rejected' },
    });
    expect(bad.record).toMatchObject({
      status: 'failed',
      error_code: 'extract.query_failed',
      error_message: `token=${MASK} rejected`,
    });
    expect(listRuns(project).map((r) => r.run_id)).toEqual([second.runId, first.runId]);
    expect(latestRun(project, 'director-stats')?.run_id).toBe(second.runId);
  });

  it('refuses to reuse a run folder', () => {
    const project = tempProject();
    const a = openRunSession({
      project,
      pipelineSlug: 'p',
      manifestHash: HASH,
      manifestShort: 'x',
      redactor: createRedactor(),
      runId: '20250101T000000Z-00000000',
    });
    a.close();
    expect(() =>
      openRunSession({
        project,
        pipelineSlug: 'p',
        manifestHash: HASH,
        manifestShort: 'x',
        redactor: createRedactor(),
        runId: '20250101T000000Z-00000000',
      }),
    ).toThrow(/already exists/);
    // no profile given: the project's default profile (dev) is used
    expect(a.profile).toBe('dev');
  });

  it('gives each step an artifacts folder', () => {
    const { session } = open();
    const dir = session.stepArtifactsDir('extract-movies');
    expect(dir).toBe(join(session.dir, 'artifacts', 'extract-movies'));
    expect(existsSync(dir)).toBe(true);
    session.close();
  });
});
