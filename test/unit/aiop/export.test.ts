/**
 * AIOP export from deterministic run folders: golden files, byte-for-byte determinism, schema validity,
 * evidence ids and citations, truncation, annex shards, delta and the automatic-export hook.
 * After an intended format change: `OSIRIS_UPDATE_GOLDEN=1 npx vitest run test/unit/aiop` and review the diff.
 * Golden cores are stored as `*.summary.json.golden` so that formatters leave their exact bytes alone.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { resolveAiopConfig } from '../../../src/observability/aiop/config.js';
import {
  aiopPackageDir,
  buildAiopPackage,
  CORE_FILE,
  RUN_CARD_FILE,
  writeAiopForRun,
} from '../../../src/observability/aiop/export.js';
import { serializeCore } from '../../../src/observability/aiop/truncate.js';
import { createRedactor } from '../../../src/observability/redact.js';
import type { RunRecord } from '../../../src/observability/run-index.js';
import type { ProjectConfig } from '../../../src/project/config.js';
import { fixtureProject, frozenRegistry, OTHER_HASH, writeFixtureRun } from './fixture.js';
import { allIds, expectNarrativeCitesResolve, expectValidAiop } from './helpers.js';

const UPDATE = process.env.OSIRIS_UPDATE_GOLDEN === '1';
const GOLDEN = fileURLToPath(new URL('./golden', import.meta.url));
const registry = frozenRegistry();

const PREV = '20250314T090000Z-0a000000';
const OK = '20250314T091502Z-0kz3m8qd';
const BAD = '20250314T101502Z-1aa00000';

function history(project: ProjectConfig): { prev: RunRecord; ok: RunRecord; bad: RunRecord } {
  const prev = writeFixtureRun(project, {
    runId: PREV,
    start: '2025-03-14T09:00:00.000Z',
    status: 'succeeded',
    rows: 80,
  });
  const ok = writeFixtureRun(project, {
    runId: OK,
    start: '2025-03-14T09:15:02.000Z',
    status: 'succeeded',
    rows: 120,
    warnings: { CON041: 'connection @mysql.primary overrides database from the step config' },
  });
  const bad = writeFixtureRun(project, {
    runId: BAD,
    start: '2025-03-14T10:15:02.000Z',
    status: 'failed',
    rows: 120,
  });
  return { prev, ok, bad };
}

async function build(project: ProjectConfig, record: RunRecord, env: NodeJS.ProcessEnv = {}, cli = {}) {
  return buildAiopPackage(project, record, {
    registry,
    env,
    config: resolveAiopConfig({ env, projectRaw: project.raw, cli }),
  });
}

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (UPDATE || !existsSync(path)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    if (!UPDATE) throw new Error(`golden file ${name} was missing and has been written; review and re-run`);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('AIOP golden files', () => {
  it('matches the golden core and run card of a successful run (with delta and a warning)', async () => {
    const project = fixtureProject();
    const { ok } = history(project);
    const pkg = await build(project, ok);
    golden('success.summary.json.golden', pkg.json);
    golden('success.run-card.md', pkg.runCard);
  });

  it('matches the golden core and run card of a failed run', async () => {
    const project = fixtureProject();
    const { bad } = history(project);
    const pkg = await build(project, bad);
    golden('failed.summary.json.golden', pkg.json);
    golden('failed.run-card.md', pkg.runCard);
  });
});

describe('AIOP core document', () => {
  it('is byte-identical across exports and across projects holding the same run', async () => {
    const a = fixtureProject();
    const b = fixtureProject();
    const ra = history(a).ok;
    const rb = history(b).ok;
    const first = await build(a, ra);
    const again = await build(a, ra);
    const other = await build(b, rb);
    expect(again.json).toBe(first.json);
    expect(other.json).toBe(first.json);
    expect(first.json).toBe(serializeCore(first.document));
  });

  it('strips the project root from every path (events hold absolute paths)', async () => {
    const project = fixtureProject();
    writeFixtureRun(project, { runId: PREV, start: '2025-03-14T09:00:00.000Z', status: 'succeeded' });
    const bad = writeFixtureRun(project, {
      runId: BAD,
      start: '2025-03-14T10:15:02.000Z',
      status: 'failed',
      absolutePaths: true,
    });
    expect(readFileSync(join(project.root, bad.run_dir, 'events.jsonl'), 'utf8')).toContain(project.root);
    const pkg = await build(project, bad, { OSIRIS_AIOP_POLICY: 'annex' });
    expect(pkg.json).not.toContain(project.root);
    expect(pkg.runCard).not.toContain(project.root);
    for (const shard of pkg.annex ?? []) expect(shard.bytes.toString('utf8')).not.toContain(project.root);
    expect(pkg.document.run.error?.message).toBe('cannot write out/daily.csv: permission denied');
  });

  it('validates against schema.json for successful, failed, truncated, low-density and annex exports', async () => {
    const project = fixtureProject();
    const { prev, ok, bad } = history(project);
    const big = writeFixtureRun(project, {
      runId: '20250314T110000Z-2bb00000',
      start: '2025-03-14T11:00:00.000Z',
      status: 'failed',
      progressEvents: 400,
    });
    const variants = [
      await build(project, prev),
      await build(project, ok),
      await build(project, bad),
      await build(project, big, {}, { max_core_bytes: 20_000 }),
      await build(project, big, { OSIRIS_AIOP_TIMELINE_DENSITY: 'low', OSIRIS_AIOP_DELTA: 'none' }),
      await build(project, ok, { OSIRIS_AIOP_POLICY: 'annex', OSIRIS_AIOP_ANNEX_COMPRESS: 'gzip' }),
    ];
    for (const pkg of variants) {
      const doc = expectValidAiop(pkg.json);
      expectNarrativeCitesResolve(doc);
      const ids = allIds(doc);
      expect(new Set(ids).size, 'evidence ids are unique').toBe(ids.length);
    }
  });

  it('has the four layers with the run facts, DAG, components and connections', async () => {
    const project = fixtureProject();
    const { ok } = history(project);
    const doc = expectValidAiop((await build(project, ok)).json);
    expect(doc.run).toMatchObject({
      run_id: OK,
      pipeline: 'orders-daily',
      profile: 'dev',
      status: 'succeeded',
      rows_out: 6,
    });
    expect(doc.run.steps).toEqual({ total: 4, succeeded: 4, failed: 0, skipped: 0, other: 0 });
    expect(doc.semantic.dag.edges).toEqual([
      { from: 'daily-totals', to: 'write-csv', relation: 'needs' },
      { from: 'daily-totals', to: 'write-parquet', relation: 'needs' },
      { from: 'extract-orders', to: 'daily-totals', relation: 'needs' },
    ]);
    expect(doc.semantic.dag.roots).toEqual(['extract-orders']);
    expect(doc.semantic.dag.leaves).toEqual(['write-csv', 'write-parquet']);
    expect(doc.semantic.connections).toEqual(['@mysql.primary']);
    const mysql = doc.semantic.components.find((c) => c.name === 'mysql.extractor');
    expect(mysql?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(mysql?.modes).toContain('extract');
    expect(mysql?.used_by).toEqual(['extract-orders']);
    expect(doc.narrative.intent).toEqual({
      text: 'Daily order totals from the shop database, written as CSV and Parquet for finance.',
      source: 'manifest.description',
      known: true,
    });
    // Timeline ids are line numbers of events.jsonl.
    const runDir = join(project.root, ok.run_dir);
    const lines = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n');
    for (const item of doc.evidence.timeline.events) {
      expect(item['@id']).toBe(`ev.${OK}.${item.seq}`);
      expect(JSON.parse(lines[item.seq - 1] as string).event).toBe(item.event);
    }
    // Outputs are project-relative.
    expect(doc.evidence.outputs).toEqual([
      { step_id: 'write-csv', target: 'out/daily.csv' },
      { step_id: 'write-parquet', target: 'out/daily.parquet' },
    ]);
    // Effective config lists every key with its source.
    expect(doc.metadata.config.max_core_bytes).toEqual({ value: 300000, source: 'default' });
  });

  it('hashes every run-folder file with its size', async () => {
    const project = fixtureProject();
    const { ok } = history(project);
    const doc = (await build(project, ok)).document;
    const runDir = join(project.root, ok.run_dir);
    const paths = doc.evidence.artifacts.files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toEqual(
      expect.arrayContaining([
        'artifacts/daily-totals/plan.txt',
        'cfg/extract-orders.json',
        'events.jsonl',
        'manifest.yaml',
        'status.json',
      ]),
    );
    for (const f of doc.evidence.artifacts.files) {
      const bytes = readFileSync(join(runDir, f.path));
      expect(f.size_bytes).toBe(bytes.length);
      expect(f.sha256).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      expect(f['@id']).toBe(`ev.artifact.${f.path}`);
    }
  });

  it('describes a failed run: error, errors list, skipped step and a narrative naming the code', async () => {
    const project = fixtureProject();
    const { bad } = history(project);
    const doc = expectValidAiop((await build(project, bad)).json);
    expect(doc.run.status).toBe('failed');
    expect(doc.run.error).toEqual({
      code: 'write.failed',
      message: 'cannot write out/daily.csv: permission denied',
      step_id: 'write-csv',
      hint: 'check that the output folder is writable',
    });
    expect(doc.evidence.errors).toHaveLength(1);
    expect(doc.evidence.errors[0]).toMatchObject({
      '@id': 'ev.error.write-csv',
      code: 'write.failed',
      step_id: 'write-csv',
    });
    expect(doc.run.steps).toMatchObject({ succeeded: 2, failed: 1, skipped: 1 });
    const outcome = doc.narrative.paragraphs.find((p) => p.id === 'outcome');
    expect(outcome?.text).toContain('The run failed');
    expect(outcome?.text).toContain('write.failed');
    expect(outcome?.sentences[0]?.cites).toContain('ev.error.write-csv');
    const execution = doc.narrative.paragraphs.find((p) => p.id === 'execution')?.text ?? '';
    expect(execution).toContain('`write-parquet` (filesystem.parquet_writer) was skipped');
  });
  it('still exports, from the run index record, when the run folder is gone', async () => {
    const project = fixtureProject();
    const { bad } = history(project);
    rmSync(join(project.root, bad.run_dir), { recursive: true });
    const doc = expectValidAiop((await build(project, bad)).json);
    expect(doc.run).toMatchObject({ run_id: BAD, status: 'failed', error: { code: 'write.failed' } });
    expect(doc.evidence.timeline.total).toBe(0);
    expect(doc.evidence.artifacts.files).toEqual([]);
    expect(doc.metadata.sources).toEqual([]);
    expectNarrativeCitesResolve(doc);
  });
});

describe('delta', () => {
  it('compares with the newest earlier successful run of the same pipeline and profile', async () => {
    const project = fixtureProject();
    const { ok, bad } = history(project);
    // Noise that must be ignored: another profile, and a later run.
    writeFixtureRun(project, {
      runId: '20250314T091000Z-3cc00000',
      start: '2025-03-14T09:10:00.000Z',
      status: 'succeeded',
      profile: 'prod',
      rows: 999,
    });
    writeFixtureRun(project, {
      runId: '20250314T120000Z-4dd00000',
      start: '2025-03-14T12:00:00.000Z',
      status: 'succeeded',
    });
    const d = (await build(project, ok)).document.metadata.delta;
    expect(d.first_run).toBe(false);
    expect(d.previous?.run_id).toBe(PREV);
    expect(d.previous?.same_manifest).toBe(true);
    expect(d.rows_out).toEqual({ previous: 4, current: 6, change: 2, change_percent: 50 });
    expect(d.errors).toEqual({ previous: [], current: ['CON041'], new: ['CON041'] });
    // The failed run compares with OK (the newest successful run before it), not with the failed one itself.
    const f = (await build(project, bad)).document.metadata.delta;
    expect(f.previous?.run_id).toBe(OK);
    expect(f.rows_out).toEqual({ previous: 6, current: null, change: null, change_percent: null });
    expect(f.errors?.new).toEqual(['write.failed']);
  });

  it('reports a first run, a changed manifest, and can be turned off', async () => {
    const project = fixtureProject();
    const first = writeFixtureRun(project, {
      runId: PREV,
      start: '2025-03-14T09:00:00.000Z',
      status: 'succeeded',
    });
    const d1 = (await build(project, first)).document;
    expect(d1.metadata.delta).toEqual({
      '@id': `ev.delta.${PREV}`,
      basis: 'previous_successful_run',
      first_run: true,
    });
    expect(d1.narrative.paragraphs.find((p) => p.id === 'delta')?.text).toContain('nothing to compare with');
    const second = writeFixtureRun(project, {
      runId: OK,
      start: '2025-03-14T09:15:02.000Z',
      status: 'succeeded',
      manifestHash: OTHER_HASH,
    });
    const d2 = (await build(project, second)).document;
    expect(d2.metadata.delta.previous?.same_manifest).toBe(false);
    expect(d2.narrative.paragraphs.find((p) => p.id === 'delta')?.text).toContain('manifest changed');
    const off = (await build(project, second, { OSIRIS_AIOP_DELTA: 'none' })).document;
    expect(off.metadata.delta).toEqual({ '@id': `ev.delta.${OK}`, basis: 'disabled', first_run: false });
    expect(off.metadata.config.delta).toEqual({ value: 'none', source: 'env', origin: 'OSIRIS_AIOP_DELTA' });
  });
});

describe('size control', () => {
  it('fits max_core_bytes with explicit markers, keeping the head, the tail and every cited event', async () => {
    const project = fixtureProject();
    const run = writeFixtureRun(project, {
      runId: '20250314T110000Z-2bb00000',
      start: '2025-03-14T11:00:00.000Z',
      status: 'failed',
      progressEvents: 1500,
    });
    const env = { OSIRIS_AIOP_TIMELINE_DENSITY: 'high' };
    const full = await build(project, run, env, { max_core_bytes: 10_000_000 });
    expect(full.document.metadata.truncated).toBe(false);
    const fullSize = Buffer.byteLength(full.json);
    expect(fullSize).toBeGreaterThan(300_000);

    const max = 40_000;
    const pkg = await build(project, run, env, { max_core_bytes: max });
    const doc = expectValidAiop(pkg.json);
    expect(Buffer.byteLength(pkg.json)).toBeLessThanOrEqual(max);
    expect(doc.metadata.size).toEqual({
      core_bytes: Buffer.byteLength(pkg.json),
      max_core_bytes: max,
      within_budget: true,
    });
    const tl = doc.evidence.timeline;
    expect(tl.truncated).toBe(true);
    expect(tl.total).toBe(full.document.evidence.timeline.total);
    expect(tl.dropped).toBe(full.document.evidence.timeline.events.length - tl.events.length);
    expect(tl.dropped).toBeGreaterThan(1000);
    expect(tl.sample?.head).toBeGreaterThan(0);
    const fullEvents = full.document.evidence.timeline.events;
    expect(tl.events[0]?.['@id']).toBe(fullEvents[0]?.['@id']);
    expect(tl.events.at(-1)?.['@id']).toBe(fullEvents.at(-1)?.['@id']);
    const seqs = tl.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(tl.events.some((e) => e.event === 'step_failed')).toBe(true);
    expect(doc.metadata.truncated).toBe(true);
    expect(doc.metadata.truncation[0]).toMatchObject({
      path: 'evidence.timeline.events',
      dropped: tl.dropped,
      kept: tl.events.length,
    });
    expectNarrativeCitesResolve(doc);
  });

  it('cuts further layers for tiny budgets and says when even the floor does not fit', async () => {
    const project = fixtureProject();
    const { ok } = history(project);
    const small = await build(project, ok, {}, { max_core_bytes: 9_000 });
    const doc = expectValidAiop(small.json);
    const paths = doc.metadata.truncation.map((t) => t.path);
    expect(paths).toContain('evidence.timeline.events');
    expect(doc.metadata.size.within_budget).toBe(Buffer.byteLength(small.json) <= 9_000);
    expectNarrativeCitesResolve(doc);
    const floor = await build(project, ok, {}, { max_core_bytes: 2_000 });
    const f = expectValidAiop(floor.json);
    expect(f.metadata.size.within_budget).toBe(false);
    expect(f.semantic.configs_truncated).toBe(true);
    expect(f.narrative.paragraphs).toHaveLength(4);
  });

  it('applies timeline density and metrics_topk', async () => {
    const project = fixtureProject();
    const run = writeFixtureRun(project, {
      runId: OK,
      start: '2025-03-14T09:15:02.000Z',
      status: 'succeeded',
      progressEvents: 3,
    });
    const medium = (await build(project, run)).document.evidence.timeline;
    expect(medium.events.some((e) => e.event === 'extract.progress')).toBe(false);
    expect(medium.events.some((e) => e.event === 'connection_resolved')).toBe(true);
    expect(medium.excluded_by_density).toBe(12);
    const low = (await build(project, run, { OSIRIS_AIOP_TIMELINE_DENSITY: 'low' })).document.evidence
      .timeline;
    expect(low.events.some((e) => e.event === 'connection_resolved')).toBe(false);
    const high = (await build(project, run, { OSIRIS_AIOP_TIMELINE_DENSITY: 'high' })).document.evidence
      .timeline;
    expect(high.events).toHaveLength(high.total);
    const top = (await build(project, run, { OSIRIS_AIOP_METRICS_TOPK: '2' })).document;
    expect(top.evidence.metrics.steps.map((s) => s.step_id)).toEqual(['extract-orders', 'daily-totals']);
    expect(top.evidence.metrics).toMatchObject({ truncated: true, dropped: 2 });
    expect(top.metadata.truncation).toContainEqual({
      path: 'evidence.metrics.steps',
      kept: 2,
      dropped: 2,
      reason: 'metrics_topk=2',
    });
  });
});

describe('annex policy', () => {
  it('writes every event, metric and error as NDJSON (and gzip) described in the core', async () => {
    const project = fixtureProject();
    const run = writeFixtureRun(project, {
      runId: '20250314T110000Z-2bb00000',
      start: '2025-03-14T11:00:00.000Z',
      status: 'failed',
      progressEvents: 500,
    });
    const runDir = join(project.root, run.run_dir);
    const eventLines = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').length;
    const metricLines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
    for (const compress of ['none', 'gzip'] as const) {
      const outcome = await writeAiopForRun(project, run, {
        registry,
        env: {
          OSIRIS_AIOP_POLICY: 'annex',
          OSIRIS_AIOP_ANNEX_COMPRESS: compress,
          OSIRIS_AIOP_MAX_CORE_BYTES: '20000',
        },
      });
      expect(outcome.status).toBe('written');
      if (outcome.status !== 'written') return;
      const dir = outcome.written.dir;
      const doc = expectValidAiop(readFileSync(join(dir, CORE_FILE), 'utf8'));
      expect(doc.metadata.annex.dir).toBe('annex');
      expect(doc.evidence.timeline.truncated).toBe(true);
      const ext = compress === 'gzip' ? '.ndjson.gz' : '.ndjson';
      expect(readdirSync(join(dir, 'annex')).sort()).toEqual([
        `errors${ext}`,
        `metrics${ext}`,
        `timeline${ext}`,
      ]);
      const read = (name: string) => {
        const bytes = readFileSync(join(dir, 'annex', `${name}${ext}`));
        const entry = doc.metadata.annex.files.find((f) => f.name === `${name}${ext}`);
        expect(entry?.sha256).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
        expect(entry?.size_bytes).toBe(bytes.length);
        const text = (compress === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8');
        const lines = text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(entry?.records).toBe(lines.length);
        return lines;
      };
      const timeline = read('timeline');
      expect(timeline).toHaveLength(eventLines);
      expect(timeline.map((l) => l['@id'])).toEqual(
        Array.from({ length: eventLines }, (_, i) => `ev.${run.run_id}.${i + 1}`),
      );
      // Every id the core dropped is in the annex.
      const annexIds = new Set(timeline.map((l) => l['@id']));
      for (const e of doc.evidence.timeline.events) expect(annexIds.has(e['@id'])).toBe(true);
      expect(read('metrics')).toHaveLength(metricLines);
      expect(read('errors').map((e) => e.code)).toEqual(['write.failed']);
    }
  });
});

describe('writeAiopForRun (automatic export hook)', () => {
  it('writes summary.json and run-card.md under <aiop>/<profile>/<pipeline>/<run_id>, identical to a rebuild', async () => {
    const project = fixtureProject();
    const { ok, bad } = history(project);
    for (const record of [ok, bad]) {
      const outcome = await writeAiopForRun(project, record.run_id, { registry, env: {} });
      expect(outcome.status).toBe('written');
      const dir = join(project.root, 'aiop', 'dev', 'orders-daily', record.run_id);
      expect(aiopPackageDir(project, record)).toBe(dir);
      expect(readdirSync(dir).sort()).toEqual([RUN_CARD_FILE, CORE_FILE].sort());
      const rebuilt = await build(project, record);
      expect(readFileSync(join(dir, CORE_FILE), 'utf8')).toBe(rebuilt.json);
      expect(readFileSync(join(dir, RUN_CARD_FILE), 'utf8')).toBe(rebuilt.runCard);
    }
  });

  it('honours osiris.yaml aiop: settings, env over yaml, and enabled: false', async () => {
    const project = fixtureProject(
      'version: "2.0"\naiop:\n  run_card: false\n  max_core_bytes: 50000\n  timeline_density: bogus\n',
    );
    const { ok } = history(project);
    const outcome = await writeAiopForRun(project, ok, {
      registry,
      env: { OSIRIS_AIOP_MAX_CORE_BYTES: '60000' },
    });
    expect(outcome.status).toBe('written');
    if (outcome.status !== 'written') return;
    expect(outcome.written.runCardPath).toBeUndefined();
    const doc = expectValidAiop(readFileSync(outcome.written.corePath, 'utf8'));
    expect(doc.metadata.config.run_card).toEqual({
      value: false,
      source: 'osiris.yaml',
      origin: 'aiop.run_card',
    });
    expect(doc.metadata.config.max_core_bytes).toEqual({
      value: 60000,
      source: 'env',
      origin: 'OSIRIS_AIOP_MAX_CORE_BYTES',
    });
    expect(doc.metadata.config.timeline_density).toEqual({ value: 'medium', source: 'default' });
    expect(doc.metadata.config_warnings).toEqual([
      'osiris.yaml aiop.timeline_density must be low, medium or high; ignored',
    ]);
    const off = fixtureProject();
    const r = writeFixtureRun(off, { runId: OK, start: '2025-03-14T09:15:02.000Z', status: 'succeeded' });
    expect(await writeAiopForRun(off, r, { env: { OSIRIS_AIOP_ENABLED: 'false' } })).toEqual({
      status: 'disabled',
    });
    expect(existsSync(join(off.root, 'aiop'))).toBe(false);
  });

  it('never throws: an unknown run id is reported as an error outcome', async () => {
    const project = fixtureProject();
    history(project);
    const outcome = await writeAiopForRun(project, '20990101T000000Z-zzzzzzzz', { env: {} });
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') expect(outcome.message).toContain('not found');
  });
});

describe('redaction in the package', () => {
  it('masks secrets a run leaked into its logs, by value, DSN shape and key name, in core, card and annex', async () => {
    const secret = 'Zq8-canary-unit-4f1d9e';
    const project = fixtureProject();
    // The session did not know the secret (a driver leaked it); the export learns it from the connections.
    writeFileSync(
      join(project.root, 'osiris_connections.yaml'),
      `version: "1.0"\nconnections:\n  mysql:\n    primary:\n      host: db\n      database: shop\n      user: etl\n      password: \${SHOP_DB_PASSWORD}\n`,
    );
    const run = writeFixtureRun(project, {
      runId: OK,
      start: '2025-03-14T09:15:02.000Z',
      status: 'succeeded',
      note: `retrying with ${secret} against mysql://etl:${secret}@db/shop`,
    });
    expect(readFileSync(join(project.root, run.run_dir, 'events.jsonl'), 'utf8')).toContain(secret);
    const env = { SHOP_DB_PASSWORD: secret, OSIRIS_AIOP_POLICY: 'annex' };
    const outcome = await writeAiopForRun(project, run, { registry, env });
    expect(outcome.status).toBe('written');
    if (outcome.status !== 'written') return;
    for (const file of [
      outcome.written.corePath,
      outcome.written.runCardPath as string,
      ...outcome.written.annexPaths,
    ]) {
      expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
    }
    const doc = expectValidAiop(readFileSync(outcome.written.corePath, 'utf8'));
    const note = doc.evidence.timeline.events.find((e) => e.event === 'driver.note');
    expect(note?.data.note).toBe('retrying with *** against mysql://etl:***@db/shop');
    // Without the variable set, the value is unknown: the DSN password is still masked by its shape, and the
    // free-text copy shows that the value-based layer was what caught it above (the test can fail).
    const bare = await buildAiopPackage(project, run, { env: {}, redactor: createRedactor() });
    expect(bare.json).toContain('mysql://etl:***@db/shop');
    expect(bare.json).toContain(`retrying with ${secret}`);
    // The run's own redactor (what `osiris run` passes to the hook) knows the secret by value.
    const viaRun = await buildAiopPackage(project, run, {
      env: {},
      redactor: createRedactor({ secretValues: [secret] }),
    });
    expect(viaRun.json).not.toContain(secret);
  });
});
