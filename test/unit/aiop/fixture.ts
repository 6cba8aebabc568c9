/**
 * Deterministic run folders for AIOP tests: a real run session (fixed run id, fake clock) filled with the
 * events, metrics, copies and index record the runner writes for a 4-step pipeline
 * (mysql extract → duckdb transform → csv + parquet writers), succeeding or failing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedactor, type Redactor } from '../../../src/observability/redact.js';
import type { RunRecord } from '../../../src/observability/run-index.js';
import { openRunSession, type StepStatus } from '../../../src/observability/session.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import { loadRegistry } from '../../../src/registry/load.js';
import type { Registry } from '../../../src/registry/registry.js';

export const MANIFEST_HASH = '9f2c4e7a1b3d5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef';
export const MANIFEST_SHORT = '9f2c4e7';
export const OTHER_HASH = '1111111111111111111111111111111111111111111111111111111111111111';

/** The compiler's frozen spec fixtures: stable versions and titles for golden files. */
export function frozenRegistry(): Registry {
  const root = fileURLToPath(new URL('../../fixtures/compiler/registry', import.meta.url));
  return loadRegistry({ roots: [root], fresh: true });
}

/** A project in a fresh temp folder with an osiris.yaml (`aiop:` section optional). */
export function fixtureProject(osirisYaml = 'version: "2.0"\n'): ProjectConfig {
  const root = mkdtempSync(join(tmpdir(), 'osiris-aiop-'));
  writeFileSync(join(root, 'osiris.yaml'), osirisYaml);
  return loadProjectConfig({ cwd: root, env: {} });
}

function manifestYaml(hash: string, short: string): string {
  return `---
description: Daily order totals from the shop database, written as CSV and Parquet for finance.
meta:
  compiler: osiris-compiler/0.1.0
  generated_at: 2025-03-14T09:00:00.000Z
  manifest_hash: ${hash}
  manifest_short: ${short}
  oml_version: 0.1.0
  profile: dev
name: orders-daily
pipeline:
  fingerprints:
    compiler_fp: sha256:e04bcf4c18dd72ee921a1e8e729cad8e83f0c99242fd93d2bc840f636bc9f413
    manifest_fp: sha256:cad420f423fccafefb68b3fc7849b1d77ab1a1c6245398af753957b7c953ed64
    oml_fp: sha256:0df433cef858e9549ed203f22ef0e01433104404d5f65692d49855fa13c28a56
    params_fp: sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
    profile: dev
    registry_fp: sha256:280885a25692966efb07d7dc4be70ba679220ba0f3ab770d525c84c811c36db4
  id: orders-daily
steps:
  - cfg_fp: sha256:9ebe3f5630f6d89e4f9322131c6865990cdd37ef1d91e679244dce6eee110a0d
    cfg_path: cfg/extract-orders.json
    component: mysql.extractor
    connection: "@mysql.primary"
    driver: mysql.extractor
    id: extract-orders
    mode: read
    needs: []
  - cfg_fp: sha256:c8e2221ef219c62fd5e729068ff6f554dce68e07e29ce33ec2c844b3d78be948
    cfg_path: cfg/daily-totals.json
    component: duckdb.processor
    driver: duckdb.processor
    id: daily-totals
    mode: transform
    needs:
      - extract-orders
  - cfg_fp: sha256:57eff7ad98e2d2b9359ba96656c2a78fefa94a3789b85173e060042c8e30c0cd
    cfg_path: cfg/write-csv.json
    component: filesystem.csv_writer
    driver: filesystem.csv_writer
    id: write-csv
    mode: write
    needs:
      - daily-totals
  - cfg_fp: sha256:596c8548cb18cb371918444001561da151e874513c9c6efabd1ea50ff354dc7d
    cfg_path: cfg/write-parquet.json
    component: filesystem.parquet_writer
    driver: filesystem.parquet_writer
    id: write-parquet
    mode: write
    needs:
      - daily-totals
...
`;
}

const CFGS: Record<string, object> = {
  'extract-orders': {
    component: 'mysql.extractor',
    connection: '@mysql.primary',
    mode: 'extract',
    query: 'SELECT id, created_at, total FROM orders WHERE created_at >= CURRENT_DATE - INTERVAL 1 DAY',
  },
  'daily-totals': {
    component: 'duckdb.processor',
    mode: 'transform',
    query:
      'SELECT CAST(created_at AS DATE) AS day, count(*) AS orders, sum(total) AS total FROM "extract-orders" GROUP BY 1',
  },
  'write-csv': { component: 'filesystem.csv_writer', mode: 'write', path: 'out/daily.csv', delimiter: ',' },
  'write-parquet': { component: 'filesystem.parquet_writer', mode: 'write', path: 'out/daily.parquet' },
};

export interface FixtureRunOptions {
  runId: string;
  /** ISO start time; the fake clock advances 10 ms per event/metric. */
  start: string;
  status: 'succeeded' | 'failed';
  /** Rows the extractor reads (default 120). */
  rows?: number;
  profile?: string;
  manifestHash?: string;
  /** Extra `progress` events per step (to make big timelines). */
  progressEvents?: number;
  /** Warnings logged at the start (code → message). */
  warnings?: Record<string, string>;
  redactor?: Redactor;
  /** A free-text note put into an event (redaction tests). */
  note?: string;
  /**
   * Write absolute output paths and error messages, as the runner does (default: project-relative, so the
   * run folder bytes — and the golden files' content hashes — do not depend on the temp folder).
   */
  absolutePaths?: boolean;
}

/** Writes one run (folder + index record) and returns its record. */
export function writeFixtureRun(project: ProjectConfig, options: FixtureRunOptions): RunRecord {
  let t = Date.parse(options.start);
  const now = () => new Date(t);
  const tick = (ms = 10) => {
    t += ms;
  };
  const hash = options.manifestHash ?? MANIFEST_HASH;
  const at = (...parts: string[]) => (options.absolutePaths ? join(project.root, ...parts) : parts.join('/'));
  const short = hash.slice(0, 7);
  const session = openRunSession({
    project,
    pipelineSlug: 'orders-daily',
    manifestHash: hash,
    manifestShort: short,
    profile: options.profile ?? 'dev',
    redactor: options.redactor ?? createRedactor(),
    runId: options.runId,
    now,
  });
  const rows = options.rows ?? 120;
  const days = Math.max(1, Math.round(rows / 40));
  session.copyArtifact('manifest.yaml', manifestYaml(hash, short));
  for (const [id, cfg] of Object.entries(CFGS))
    session.copyArtifact(`cfg/${id}.json`, `${JSON.stringify(cfg)}\n`);
  tick();
  session.event('run_start', {
    pipeline: 'orders-daily',
    manifest_hash: hash,
    profile: options.profile ?? 'dev',
    steps: 4,
    max_parallel: 1,
    adapter: 'local',
  });
  for (const [code, message] of Object.entries(options.warnings ?? {})) {
    tick();
    session.event('warning', { code, message, step_id: 'extract-orders' });
  }
  const steps: StepStatus[] = [
    {
      id: 'extract-orders',
      component: 'mysql.extractor',
      status: 'pending',
      rows_in: null,
      rows_out: null,
      duration_ms: null,
    },
    {
      id: 'daily-totals',
      component: 'duckdb.processor',
      status: 'pending',
      rows_in: null,
      rows_out: null,
      duration_ms: null,
    },
    {
      id: 'write-csv',
      component: 'filesystem.csv_writer',
      status: 'pending',
      rows_in: null,
      rows_out: null,
      duration_ms: null,
    },
    {
      id: 'write-parquet',
      component: 'filesystem.parquet_writer',
      status: 'pending',
      rows_in: null,
      rows_out: null,
      duration_ms: null,
    },
  ];
  const done = (
    s: StepStatus,
    rowsIn: number | null,
    rowsOut: number | null,
    ms: number,
    outputs?: string[],
  ) => {
    s.status = 'succeeded';
    s.rows_in = rowsIn;
    s.rows_out = rowsOut;
    s.duration_ms = ms;
    tick(ms);
    if (rowsIn !== null && s.id.startsWith('write'))
      session.metric('rows_written', rowsIn, { stepId: s.id, unit: 'rows' });
    if (s.id === 'extract-orders') session.metric('rows_read', rowsOut ?? 0, { stepId: s.id, unit: 'rows' });
    session.metric('duration_ms', ms, { stepId: s.id, unit: 'ms' });
    session.metric('peak_rss_bytes', 100_000_000 + ms * 1000, { stepId: s.id, unit: 'bytes' });
    session.event('step_complete', {
      step_id: s.id,
      rows_in: rowsIn,
      rows_out: rowsOut,
      duration_ms: ms,
      ...(outputs ? { outputs } : {}),
    });
  };
  const start = (s: StepStatus, driver: string) => {
    tick();
    s.status = 'running';
    session.event('step_start', { step_id: s.id, component: s.component, driver, needs: [] });
    for (let i = 0; i < (options.progressEvents ?? 0); i++) {
      tick(1);
      session.event('extract.progress', { step_id: s.id, rows: (i + 1) * 1000 });
    }
  };
  const [extract, totals, csv, parquet] = steps as [StepStatus, StepStatus, StepStatus, StepStatus];
  start(extract, 'mysql.extractor');
  session.event('connection_resolved', { step_id: extract.id, connection: '@mysql.primary' });
  if (options.note !== undefined) session.event('driver.note', { step_id: extract.id, note: options.note });
  done(extract, null, rows, 240);
  start(totals, 'duckdb.processor');
  const art = session.stepArtifactsDir(totals.id);
  writeFileSync(join(art, 'plan.txt'), 'HASH_GROUP_BY\n  SEQ_SCAN extract-orders\n');
  done(totals, rows, days, 35);
  let error: { code: string; message: string; step_id: string; hint: string } | undefined;
  start(csv, 'filesystem.csv_writer');
  if (options.status === 'failed') {
    tick(12);
    error = {
      code: 'write.failed',
      message: `cannot write ${at('out', 'daily.csv')}: permission denied`,
      step_id: csv.id,
      hint: 'check that the output folder is writable',
    };
    csv.status = 'failed';
    csv.duration_ms = 12;
    session.event('step_failed', {
      step_id: csv.id,
      error_code: error.code,
      message: error.message,
      hint: error.hint,
      duration_ms: 12,
    });
    session.metric('duration_ms', 12, { stepId: csv.id, unit: 'ms' });
    parquet.status = 'skipped';
    tick();
    session.event('step_skipped', { step_id: parquet.id, reason: `step '${csv.id}' failed` });
  } else {
    done(csv, days, days, 15, [at('out', 'daily.csv')]);
    start(parquet, 'filesystem.parquet_writer');
    done(parquet, days, days, 20, [at('out', 'daily.parquet')]);
  }
  tick();
  session.metric('peak_rss_bytes', 150_000_000, { unit: 'bytes' });
  const rowsOut = options.status === 'failed' ? null : days * 2;
  session.event(options.status === 'succeeded' ? 'run_complete' : 'run_failed', {
    status: options.status,
    duration_ms: t - Date.parse(options.start),
    rows_out: rowsOut,
    steps_succeeded: steps.filter((s) => s.status === 'succeeded').length,
    steps_total: 4,
    ...(error ? { error_code: error.code, message: error.message } : {}),
  });
  const { record } = session.finish({
    status: options.status,
    steps,
    rowsIn: options.status === 'failed' ? null : days * 2,
    rowsOut,
    ...(error ? { error } : {}),
  });
  return record;
}
