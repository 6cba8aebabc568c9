import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor, MASK } from '../../../src/observability/redact.js';
import {
  appendRunRecord,
  findRun,
  indexPaths,
  latestRun,
  listRuns,
  nearestRunIds,
  type RunRecord,
  readRunRecords,
  withIndexLock,
} from '../../../src/observability/run-index.js';
import { thrown as catchError } from '../../helpers/errors.js';
import { tempProject } from './helpers.js';
import { transpileTree } from './transpile.js';

function record(runId: string, pipeline: string, status: 'succeeded' | 'failed' = 'succeeded'): RunRecord {
  return {
    run_id: runId,
    pipeline_slug: pipeline,
    profile: 'dev',
    manifest_hash: 'sha256:abc123',
    manifest_short: 'abc123',
    status,
    started_at: '2025-03-14T09:15:02.000Z',
    finished_at: '2025-03-14T09:15:03.000Z',
    duration_ms: 1000,
    rows_in: 1,
    rows_out: 1,
    run_dir: `run_logs/dev/${pipeline}/${runId}`,
  };
}

function seeded() {
  const project = tempProject();
  appendRunRecord(project, record('20250101T000000Z-00aaaaaa', 'movies'));
  appendRunRecord(project, record('20250102T000000Z-00bbbbbb', 'orders', 'failed'));
  appendRunRecord(project, record('20250103T000000Z-00cccccc', 'movies', 'failed'));
  appendRunRecord(project, record('20250104T000000Z-00dddddd', 'movies'));
  return project;
}

describe('run index writer', () => {
  it('appends to runs.jsonl and by_pipeline and moves the latest pointer', () => {
    const project = seeded();
    const paths = indexPaths(project, 'movies');
    expect(readRunRecords(paths.runs).map((r) => r.run_id.slice(-8))).toEqual([
      '00aaaaaa',
      '00bbbbbb',
      '00cccccc',
      '00dddddd',
    ]);
    expect(readRunRecords(paths.byPipeline as string).map((r) => r.run_id.slice(-8))).toEqual([
      '00aaaaaa',
      '00cccccc',
      '00dddddd',
    ]);
    expect(JSON.parse(readFileSync(paths.latest as string, 'utf8')).run_id).toBe('20250104T000000Z-00dddddd');
    expect(paths.latest).toBe(join(project.paths.index, 'latest', 'movies.run.json'));
    expect(existsSync(paths.lock)).toBe(false);
  });

  it('redacts error messages but keeps ids exact', () => {
    const project = tempProject();
    const written = appendRunRecord(
      project,
      {
        ...record('20250101T000000Z-00aaaaaa', 'movies', 'failed'),
        error_code: 'write.failed',
        error_message: 'dsn postgres://u:pw99@h/db',
      },
      { redactor: createRedactor() },
    );
    expect(written.error_message).toBe(`dsn postgres://u:${MASK}@h/db`);
    expect(readFileSync(indexPaths(project).runs, 'utf8')).not.toContain('pw99');
  });

  it('skips torn lines when reading', () => {
    const project = seeded();
    writeFileSync(indexPaths(project).runs, '{"run_id": "broken', { flag: 'a' });
    expect(listRuns(project)).toHaveLength(4);
  });

  it('is safe when two processes append at the same time', async () => {
    const project = tempProject();
    const js = transpileTree('src/observability/run-index.ts', join(project.root, '.transpiled'));
    const child = join(project.root, 'child.mjs');
    writeFileSync(
      child,
      `import { appendRunRecord } from ${JSON.stringify(js)};
const [who, indexDir, count] = process.argv.slice(2);
const project = { root: ${JSON.stringify(project.root)}, paths: { index: indexDir } };
for (let i = 0; i < Number(count); i++) {
  const id = who + '-' + String(i).padStart(4, '0');
  appendRunRecord(project, {
    run_id: id, pipeline_slug: 'shared', profile: null, manifest_hash: 'sha256:x', manifest_short: 'x',
    status: 'succeeded', started_at: 't', finished_at: 't', duration_ms: i, rows_in: i, rows_out: i,
    run_dir: 'run_logs/shared/' + id, error_message: 'x'.repeat(5000),
  });
}
`,
    );
    const run = (who: string) =>
      new Promise<number>((resolve, reject) => {
        const p = spawn(process.execPath, [child, who, project.paths.index, '200'], {
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        p.on('error', reject);
        p.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([run('a'), run('b')])).toEqual([0, 0]);

    const paths = indexPaths(project, 'shared');
    const rawLines = readFileSync(paths.runs, 'utf8').split('\n');
    expect(rawLines.pop()).toBe('');
    expect(rawLines).toHaveLength(400);
    const parsed = rawLines.map((l) => JSON.parse(l) as RunRecord); // throws on a torn line
    expect(parsed.filter((r) => r.run_id.startsWith('a-'))).toHaveLength(200);
    expect(parsed.filter((r) => r.run_id.startsWith('b-'))).toHaveLength(200);
    // each writer's records stay in its own order
    for (const who of ['a', 'b']) {
      const ids = parsed.filter((r) => r.run_id.startsWith(`${who}-`)).map((r) => r.run_id);
      expect(ids).toEqual([...ids].sort());
    }
    // the lock makes the three files agree: same order per pipeline, latest = last line
    const perPipeline = readRunRecords(paths.byPipeline as string).map((r) => r.run_id);
    expect(perPipeline).toEqual(parsed.map((r) => r.run_id));
    expect(JSON.parse(readFileSync(paths.latest as string, 'utf8')).run_id).toBe(parsed[399]?.run_id);
    expect(existsSync(paths.lock)).toBe(false);
  }, 60_000);
});

describe('index lock', () => {
  it('breaks a lock left by a dead process', () => {
    const project = tempProject();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const pid = Number(dead.stdout);
    mkdirSync(project.paths.index, { recursive: true });
    writeFileSync(indexPaths(project).lock, JSON.stringify({ pid, host: hostname(), token: 'old' }));
    const started = Date.now();
    expect(withIndexLock(project, () => 'ran', { timeoutMs: 5000 })).toBe('ran');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(existsSync(indexPaths(project).lock)).toBe(false);
  });

  it('waits for a live holder and times out with LOG004', () => {
    const project = tempProject();
    mkdirSync(project.paths.index, { recursive: true });
    writeFileSync(
      indexPaths(project).lock,
      JSON.stringify({ pid: process.pid, host: hostname(), token: 'live' }),
    );
    const error = catchError(() => withIndexLock(project, () => 'ran', { timeoutMs: 200 }));
    expect(error.diagnostics[0]?.code).toBe('LOG004');
    expect(error.exitCode).toBe(1);
    expect(existsSync(indexPaths(project).lock)).toBe(true); // not ours to delete
  });

  it('breaks a lock older than staleMs even if its pid is alive', () => {
    const project = tempProject();
    mkdirSync(project.paths.index, { recursive: true });
    const lock = indexPaths(project).lock;
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'old' }));
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    expect(withIndexLock(project, () => 'ran', { timeoutMs: 2000, staleMs: 60_000 })).toBe('ran');
  });

  it('releases the lock when the critical section throws', () => {
    const project = tempProject();
    expect(() =>
      withIndexLock(project, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(existsSync(indexPaths(project).lock)).toBe(false);
  });
});

describe('run index reader', () => {
  it('lists newest first with filters', () => {
    const project = seeded();
    const ids = (rs: RunRecord[]) => rs.map((r) => r.run_id.slice(-8));
    expect(ids(listRuns(project))).toEqual(['00dddddd', '00cccccc', '00bbbbbb', '00aaaaaa']);
    expect(ids(listRuns(project, { pipeline: 'movies' }))).toEqual(['00dddddd', '00cccccc', '00aaaaaa']);
    expect(ids(listRuns(project, { status: 'failed' }))).toEqual(['00cccccc', '00bbbbbb']);
    expect(ids(listRuns(project, { pipeline: 'movies', limit: 1 }))).toEqual(['00dddddd']);
    expect(listRuns(project, { pipeline: 'nope' })).toEqual([]);
    expect(listRuns(tempProject())).toEqual([]);
  });

  it('finds by id or unique prefix', () => {
    const project = seeded();
    expect(findRun(project, '20250103T000000Z-00cccccc').pipeline_slug).toBe('movies');
    expect(findRun(project, '20250102').run_id).toBe('20250102T000000Z-00bbbbbb');
    expect(findRun(project, '20250102t').run_id).toBe('20250102T000000Z-00bbbbbb'); // case-insensitive
  });

  it('rejects ambiguous prefixes, unknown ids and an empty index with exit 2', () => {
    const project = seeded();
    const ambiguous = catchError(() => findRun(project, '202501'));
    expect(ambiguous.diagnostics[0]?.code).toBe('LOG002');
    expect(ambiguous.exitCode).toBe(2);

    const missing = catchError(() => findRun(project, '20250103T000000Z-00cccccx'));
    expect(missing.exitCode).toBe(2);
    expect(missing.diagnostics[0]?.code).toBe('LOG001');
    expect(missing.diagnostics[0]?.hint).toContain('20250103T000000Z-00cccccc');

    const empty = catchError(() => findRun(tempProject(), 'x'));
    expect(empty.diagnostics[0]?.code).toBe('LOG003');
    expect(empty.exitCode).toBe(2);
  });

  it('orders nearest ids by shared prefix, then edit distance', () => {
    expect(nearestRunIds('20250103', ['20250104x', '20250103y', '1', '20250203'], 2)).toEqual([
      '20250103y',
      '20250104x',
    ]);
  });

  it('returns the latest run overall and per pipeline', () => {
    const project = seeded();
    expect(latestRun(project)?.run_id).toBe('20250104T000000Z-00dddddd');
    expect(latestRun(project, 'orders')?.run_id).toBe('20250102T000000Z-00bbbbbb');
    expect(latestRun(project, 'nope')).toBeUndefined();
    expect(latestRun(tempProject())).toBeUndefined();
  });
});
