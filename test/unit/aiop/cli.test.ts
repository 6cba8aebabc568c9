/** `osiris logs aiop` through the built binary (`npm run build` first, as `npm test` does). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { fixtureProject, writeFixtureRun } from './fixture.js';
import { expectNarrativeCitesResolve, expectValidAiop } from './helpers.js';

const PREV = '20250314T090000Z-0a000000';
const OK = '20250314T091502Z-0kz3m8qd';
const BAD = '20250314T101502Z-1aa00000';

let root: string;

beforeAll(() => {
  const project = fixtureProject();
  root = project.root;
  writeFixtureRun(project, { runId: PREV, start: '2025-03-14T09:00:00.000Z', status: 'succeeded', rows: 80 });
  writeFixtureRun(project, { runId: OK, start: '2025-03-14T09:15:02.000Z', status: 'succeeded' });
  writeFixtureRun(project, {
    runId: BAD,
    start: '2025-03-14T10:15:02.000Z',
    status: 'failed',
    progressEvents: 300,
  });
});

const osiris = (...args: string[]) => runCli(['logs', 'aiop', ...args], { cwd: root });

describe('osiris logs aiop', () => {
  it('prints the core JSON of a run (by id prefix), schema-valid and identical on every call', () => {
    const a = osiris('20250314T0915');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const doc = expectValidAiop(a.stdout);
    expect(doc.run.run_id).toBe(OK);
    expect(doc.metadata.delta.previous?.run_id).toBe(PREV);
    expectNarrativeCitesResolve(doc);
    expect(osiris(OK).stdout).toBe(a.stdout);
    // Reading is read-only with the core policy.
    expect(existsSync(join(root, 'aiop'))).toBe(false);
  });

  it('prints the Markdown run card of the last run', () => {
    const r = osiris('--last', '--format', 'md');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('# orders-daily — ❌ failed\n')).toBe(true);
    expect(r.stdout).toContain('**write.failed** in step `write-csv`');
  });

  it('writes --out and honours --max-core-bytes with truncation markers', () => {
    const out = join(root, 'exports', 'bad.json');
    const r = osiris(BAD, '--out', out, '--max-core-bytes', '20000', '--timeline-density', 'high');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    const text = readFileSync(out, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(20000);
    const doc = expectValidAiop(text);
    expect(doc.metadata.truncated).toBe(true);
    expect(doc.evidence.timeline.truncated).toBe(true);
    expect(doc.metadata.config.max_core_bytes).toEqual({
      value: 20000,
      source: 'cli',
      origin: '--max-core-bytes',
    });
  });

  it('with --policy annex writes the package and its shards to the AIOP folder', () => {
    const r = osiris(BAD, '--policy', 'annex', '--compress', 'gzip');
    expect(r.code).toBe(0);
    const doc = expectValidAiop(r.stdout);
    const dir = join(root, 'aiop', 'dev', 'orders-daily', BAD);
    expect(readdirSync(dir).sort()).toEqual(['annex', 'run-card.md', 'summary.json']);
    expect(readdirSync(join(dir, 'annex')).sort()).toEqual([
      'errors.ndjson.gz',
      'metrics.ndjson.gz',
      'timeline.ndjson.gz',
    ]);
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe(r.stdout);
    expect(doc.metadata.annex.files.map((f) => f.name)).toEqual([
      'errors.ndjson.gz',
      'metrics.ndjson.gz',
      'timeline.ndjson.gz',
    ]);
    expect(r.stderr).toContain('annex: 3 files');
  });

  it('--json wraps the package in an envelope', () => {
    const r = osiris(OK, '--json');
    expect(r.code).toBe(0);
    const env = JSON.parse(r.stdout) as {
      ok: boolean;
      run_id: string;
      core_bytes: number;
      aiop: unknown;
      truncated: boolean;
    };
    expect(env.ok).toBe(true);
    expect(env.run_id).toBe(OK);
    expect(env.truncated).toBe(false);
    const doc = expectValidAiop(env.aiop);
    expect(doc.metadata.size.core_bytes).toBe(env.core_bytes);
  });

  it('a missing run is exit 2 naming the nearest run ids', () => {
    const r = osiris('20250314T0916');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('LOG001');
    expect(r.stderr).toContain(OK);
    const j = osiris('nope', '--json');
    expect(j.code).toBe(2);
    const env = JSON.parse(j.stdout) as { ok: boolean; error: { code: string; hint: string } };
    expect(env.ok).toBe(false);
    expect(env.error.code).toBe('LOG001');
    expect(env.error.hint).toContain('nearest existing run ids');
  });

  it('bad flags are usage errors (exit 2)', () => {
    expect(osiris(OK, '--max-core-bytes', 'tiny').code).toBe(2);
    expect(osiris(OK, '--format', 'xml').stderr).toContain('AIO002');
    expect(osiris(OK, '--policy', 'all').stderr).toContain('AIO001');
    expect(osiris().code).toBe(2);
    expect(osiris(OK, '--last').code).toBe(2);
  });
});
