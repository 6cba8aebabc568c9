// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileDocument, compileOml } from '../../../src/compiler/compile.js';
import { loadManifest } from '../../../src/compiler/manifest.js';
import { readLastCompile, readLatestCompile } from '../../../src/compiler/pointers.js';
import { formatDiagnostic, OsirisError } from '../../../src/diagnostics/diagnostic.js';
import type { ProjectConfig } from '../../../src/project/config.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';
import {
  FIXTURES,
  fixtureRegistry,
  makeProject,
  normaliseGeneratedAt,
  removeDir,
  tempDir,
} from './helpers.js';

const registry = fixtureRegistry();
const ORDERS = join(FIXTURES, 'orders-daily/pipeline.yaml');
const MOVIES = join(FIXTURES, 'movie-directors/pipeline.yaml');

let root: string;
let project: ProjectConfig;
beforeEach(() => {
  root = tempDir();
  project = makeProject(root);
});
afterEach(() => removeDir(root));

const compile = (omlPath: string, extra: Partial<Parameters<typeof compileOml>[0]> = {}) =>
  compileOml({ omlPath, project, registry, env: {}, ...extra });

/** Writes an OML text into the temp project and returns its path. */
function writeOml(text: string, name = 'pipeline.yaml'): string {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
}

async function expectOsirisError(fn: () => unknown): Promise<OsirisError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OsirisError);
    return error as OsirisError;
  }
  throw new Error('expected an OsirisError');
}

function buildFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('compileOml: build folder and pointers', () => {
  it('writes manifest, cfg, plan and fingerprints under build/pipelines/<profile>/<slug>/<short>-<hash>/', async () => {
    const result = await compile(ORDERS);
    expect(result.profile).toBe('dev');
    expect(result.pipelineSlug).toBe('orders-daily');
    expect(result.manifestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.manifestShort).toBe(result.manifestHash.slice(0, 7));
    expect(result.buildDir).toBe(
      join(root, 'build/pipelines/dev/orders-daily', `${result.manifestShort}-${result.manifestHash}`),
    );
    expect(Object.keys(buildFiles(result.buildDir)).sort()).toEqual([
      'cfg/extract-orders.json',
      'cfg/totals.json',
      'cfg/write-totals.json',
      'fingerprints.json',
      'manifest.yaml',
      'plan.json',
    ]);
    expect(JSON.parse(readFileSync(join(result.buildDir, 'plan.json'), 'utf8'))).toEqual({
      steps: [
        { id: 'extract-orders', component: 'filesystem.csv_extractor', needs: [] },
        { id: 'totals', component: 'duckdb.processor', needs: ['extract-orders'] },
        { id: 'write-totals', component: 'filesystem.csv_writer', needs: ['totals'] },
      ],
    });
    const fps = JSON.parse(readFileSync(join(result.buildDir, 'fingerprints.json'), 'utf8'));
    expect(fps.manifest_hash).toBe(result.manifestHash);
    expect(fps.fingerprints).toEqual(result.manifest.pipeline.fingerprints);
    for (const fp of ['oml_fp', 'params_fp', 'registry_fp', 'compiler_fp', 'manifest_fp']) {
      expect(fps.fingerprints[fp]).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(fps.fingerprints.registry_fp).toBe(registry.fingerprint());
  });

  it('records the compile in latest/<slug>.txt and last_compile.txt (JSON)', async () => {
    expect(readLastCompile(project)).toBeUndefined();
    const a = await compile(ORDERS);
    const b = await compile(MOVIES);
    const last = readLastCompile(project);
    expect(last).toEqual({
      manifest_path: b.manifestPath,
      manifest_hash: b.manifestHash,
      manifest_short: b.manifestShort,
      profile: 'dev',
      pipeline_slug: 'movie-directors',
      compiled_at: b.manifest.meta.generated_at,
    });
    expect(readLatestCompile(project, 'orders-daily')?.manifest_path).toBe(a.manifestPath);
    const raw = readFileSync(join(root, '.osiris/index/latest/orders-daily.txt'), 'utf8');
    expect(JSON.parse(raw).manifest_hash).toBe(a.manifestHash);
  });

  it('rejects an unreadable pointer with a clear error', async () => {
    mkdirSync(join(root, '.osiris/index'), { recursive: true });
    writeFileSync(join(root, '.osiris/index/last_compile.txt'), '/old/path/manifest.yaml\nabc\ndev\n');
    expect((await expectOsirisError(() => readLastCompile(project))).diagnostics[0]?.code).toBe('CMP014');
  });

  it('omits the profile segment when profiles are disabled', async () => {
    project = makeProject(root, { profiles: { enabled: false, values: [], default: null } });
    const result = await compile(ORDERS);
    expect(result.profile).toBeNull();
    expect(result.manifest.meta.profile).toBeNull();
    expect(relative(root, result.buildDir)).toBe(
      join('build/pipelines/orders-daily', `${result.manifestShort}-${result.manifestHash}`),
    );
  });

  it('honours naming.manifest_short_len', async () => {
    project = makeProject(root, { manifestShortLen: 12 });
    const result = await compile(ORDERS);
    expect(result.manifestShort).toHaveLength(12);
    expect(result.manifest.meta.manifest_short).toBe(result.manifestHash.slice(0, 12));
  });

  it('--out writes the build folder exactly there and clears stale cfg files', async () => {
    const out = join(root, 'my-build');
    mkdirSync(join(out, 'cfg'), { recursive: true });
    writeFileSync(join(out, 'cfg/old-step.json'), '{}');
    writeFileSync(join(out, 'notes.txt'), 'kept');
    const result = await compile(ORDERS, { outDir: out });
    expect(result.buildDir).toBe(out);
    expect(result.manifestPath).toBe(join(out, 'manifest.yaml'));
    expect(existsSync(join(out, 'cfg/old-step.json'))).toBe(false);
    expect(existsSync(join(out, 'notes.txt'))).toBe(true);
    expect(existsSync(join(root, 'build'))).toBe(false);
    expect(readLastCompile(project)?.manifest_path).toBe(join(out, 'manifest.yaml'));
    expect(loadManifest(out).manifest.meta.manifest_hash).toBe(result.manifestHash);
  });

  it('leaves no temp files behind', async () => {
    const result = await compile(ORDERS);
    const names = Object.keys(buildFiles(result.buildDir));
    expect(names.filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});

describe('determinism', () => {
  it('compiling twice gives byte-identical files except generated_at', async () => {
    const first = await compile(ORDERS, { now: () => new Date('2025-01-01T00:00:00Z') });
    const a = buildFiles(first.buildDir);
    const second = await compile(ORDERS, { now: () => new Date('2026-06-30T12:34:56Z') });
    const b = buildFiles(second.buildDir);
    expect(second.manifestHash).toBe(first.manifestHash);
    expect(second.buildDir).toBe(first.buildDir);
    expect(a['manifest.yaml']).not.toBe(b['manifest.yaml']);
    expect(a['manifest.yaml']).toContain('generated_at: 2025-01-01T00:00:00.000Z');
    expect(normaliseGeneratedAt(a['manifest.yaml'] as string)).toBe(
      normaliseGeneratedAt(b['manifest.yaml'] as string),
    );
    for (const name of Object.keys(a).filter((n) => n !== 'manifest.yaml')) expect(b[name]).toBe(a[name]);
  });

  it('the manifest is canonical YAML with document markers', async () => {
    const text = readFileSync((await compile(ORDERS)).manifestPath, 'utf8');
    expect(text.startsWith('---\n')).toBe(true);
    expect(text.endsWith('\n...\n')).toBe(true);
    const topKeys = text
      .split('\n')
      .filter((l) => /^[a-z_]+:/.test(l))
      .map((l) => l.split(':')[0]);
    expect(topKeys).toEqual([...topKeys].sort());
  });
});

describe('profiles and params', () => {
  it('different profiles give different hashes and profile params apply', async () => {
    const dev = await compile(ORDERS);
    const prod = await compile(ORDERS, { profile: 'prod' });
    expect(prod.manifestHash).not.toBe(dev.manifestHash);
    expect(prod.profile).toBe('prod');
    expect(relative(root, prod.buildDir).split('/').slice(0, 4)).toEqual([
      'build',
      'pipelines',
      'prod',
      'orders-daily',
    ]);
    const query = (dir: string) => JSON.parse(readFileSync(join(dir, 'cfg/totals.json'), 'utf8')).query;
    expect(query(dev.buildDir)).toContain('amount >= 10\n');
    expect(query(prod.buildDir)).toContain('amount >= 100\n');
    expect(prod.manifest.params).toMatchObject({ min_amount: expect.anything() });
  });

  it('the same OML with a profile that sets no params still hashes differently (profile is in the hash)', async () => {
    const dev = await compile(ORDERS, { profile: 'dev' });
    const staging = await compile(ORDERS, { profile: 'staging' });
    expect(staging.manifestHash).not.toBe(dev.manifestHash);
    expect(staging.manifest.pipeline.fingerprints.oml_fp).toBe(dev.manifest.pipeline.fingerprints.oml_fp);
  });

  it('--param overrides change cfg and hash; equal overrides change nothing', async () => {
    const base = await compile(ORDERS);
    const five = await compile(ORDERS, { params: { min_amount: '5' } });
    expect(five.manifestHash).not.toBe(base.manifestHash);
    expect(five.manifest.pipeline.fingerprints.params_fp).not.toBe(
      base.manifest.pipeline.fingerprints.params_fp,
    );
    const again = await compile(ORDERS, { params: { min_amount: '5' } });
    expect(again.manifestHash).toBe(five.manifestHash);
  });

  it('OSIRIS_PARAM_* env vars feed params', async () => {
    const base = await compile(ORDERS);
    const env = await compile(ORDERS, { env: { OSIRIS_PARAM_OUT_DIR: 'elsewhere' } });
    expect(env.manifestHash).not.toBe(base.manifestHash);
    const cfg = JSON.parse(readFileSync(join(env.buildDir, 'cfg/write-totals.json'), 'utf8'));
    expect(cfg.path).toBe('elsewhere/daily_totals.csv');
  });

  it('an unknown profile is a usage error naming the known ones', async () => {
    const error = await expectOsirisError(() => compile(ORDERS, { profile: 'prdo' }));
    expect(error.exitCode).toBe(2);
    expect(error.diagnostics[0]?.code).toBe('CMP003');
    expect(error.diagnostics[0]?.message).toContain("unknown profile 'prdo'");
    expect(error.diagnostics[0]?.hint).toBe("did you mean 'prod'?");
    expect(existsSync(join(root, 'build'))).toBe(false);
  });

  it('masks secret-looking param names in the manifest', async () => {
    const path = writeOml(`oml_version: "0.1.0"
name: masked
params:
  api_token: not-used-anywhere
  limit: 3
steps:
  - id: q
    component: duckdb.processor
    mode: transform
    needs: []
    config: { query: "SELECT \${params.limit}" }
`);
    const result = await compile(path);
    expect(result.manifest.params).toEqual({ api_token: '***', limit: expect.anything() });
    expect(readFileSync(result.manifestPath, 'utf8')).not.toContain('not-used-anywhere');
  });
});

describe('step order', () => {
  it('orders a diamond topologically with lexical tie-breaks', async () => {
    const result = await compile(MOVIES);
    expect(result.manifest.steps.map((s) => s.id)).toEqual([
      'directors',
      'movies',
      'stats',
      'write-csv',
      'write-parquet',
    ]);
    const stats = result.manifest.steps.find((s) => s.id === 'stats');
    expect(stats?.needs).toEqual(['directors', 'movies']);
    expect(stats?.inputs).toEqual({ movies: '${movies.df}', directors: '${directors.df}' });
    const movies = result.manifest.steps.find((s) => s.id === 'movies');
    expect(movies?.connection).toBe('@filesystem.local');
  });

  it('declaration order of independent steps does not matter', async () => {
    const text = readFileSync(MOVIES, 'utf8');
    const doc = parseLocatedYaml(text, 'a.yaml');
    const swapped = text.replace(
      /( {2}- id: movies\n[\s\S]*?)( {2}- id: directors\n[\s\S]*?)( {2}- id: stats)/,
      '$2$1$3',
    );
    expect(swapped).not.toBe(text);
    const a = await compileDocument(doc, { project, registry, env: {} });
    const b = await compileDocument(parseLocatedYaml(swapped, 'a.yaml'), { project, registry, env: {} });
    expect(b.manifest.steps.map((s) => s.id)).toEqual(a.manifest.steps.map((s) => s.id));
    expect(b.cfgs).toEqual(a.cfgs);
  });
});

describe('errors block the compile', () => {
  it('reports every validation error with file:line:col and exits 2', async () => {
    const path = writeOml(`oml_version: "0.1.0"
name: broken
steps:
  - id: read
    component: filesystem.csv_extractr
    mode: read
    config: { path: a.csv }
  - id: write
    component: filesystem.csv_writer
    mode: write
    config:
      path: b.csv
      colour: blue
`);
    const error = await expectOsirisError(() => compile(path, { displayName: 'pipeline.yaml' }));
    expect(error.exitCode).toBe(2);
    const lines = error.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => /^pipeline\.yaml:5:\d+ error \w+ .*filesystem\.csv_extractr/.test(l))).toBe(
      true,
    );
    expect(lines.some((l) => /^pipeline\.yaml:13:\d+ error \w+ .*colour/.test(l))).toBe(true);
    expect(lines.join('\n')).toContain("did you mean 'filesystem.csv_extractor'?");
    expect(existsSync(join(root, 'build'))).toBe(false);
    expect(readLastCompile(project)).toBeUndefined();
  });

  it('validates the param-resolved document (a bad value coming from a param is caught)', async () => {
    const path = writeOml(`oml_version: "0.1.0"
name: resolved
params:
  skip: 2
steps:
  - id: read
    component: filesystem.csv_extractor
    mode: read
    config: { path: a.csv, encoding: "\${params.enc}" }
params_note: ignored
`);
    const error = await expectOsirisError(() => compile(path, { params: { enc: 'ebcdic' } }));
    expect(
      error.diagnostics.some((d) => d.severity === 'error' && d.location.path?.includes('encoding')),
    ).toBe(true);
  });

  it('an unresolved param is an error', async () => {
    const path = writeOml(`oml_version: "0.1.0"
name: unresolved
steps:
  - id: q
    component: duckdb.processor
    mode: transform
    config: { query: "SELECT \${params.missing}" }
`);
    const error = await expectOsirisError(() => compile(path));
    expect(error.exitCode).toBe(2);
    expect(error.diagnostics.some((d) => d.code.startsWith('PAR') && d.message.includes('missing'))).toBe(
      true,
    );
  });

  it('refuses a component without a runtime driver, listing the runnable ones', async () => {
    const path = writeOml(`oml_version: "0.1.0"
name: needs-mysql
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.movies"
      query: SELECT 1
  - id: write
    component: filesystem.csv_writer
    mode: write
    config: { path: out.csv }
`);
    const error = await expectOsirisError(() => compile(path, { displayName: 'p.yaml' }));
    expect(error.exitCode).toBe(2);
    const d = error.diagnostics.find((x) => x.code === 'CMP001');
    expect(d?.message).toBe("component 'mysql.extractor' has no runtime driver yet (step 'extract')");
    expect(d?.location).toMatchObject({ file: 'p.yaml', line: 5 });
    expect(d?.hint).toBe(
      'runnable components: duckdb.processor, filesystem.csv_extractor, filesystem.csv_writer, filesystem.parquet_writer',
    );
  });

  it('an inline secret is rejected, and its value never appears in the error', async () => {
    const path = writeOml(`oml_version: "0.1.0"
name: secretive
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config: { host: h, database: d, user: u, password: hunter2hunter2, query: SELECT 1 }
`);
    const error = await expectOsirisError(() => compile(path));
    expect(error.exitCode).toBe(2);
    expect(error.message).not.toContain('hunter2');
    expect(error.diagnostics.some((d) => d.location.path === 'steps[0].config.password')).toBe(true);
  });

  it('a secret passed through --param never reaches a cfg file', async () => {
    const path = writeOml(`oml_version: "0.1.0"
name: secret-param
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config: { host: h, database: d, user: u, password: "\${params.pw}", query: SELECT 1 }
`);
    const error = await expectOsirisError(() => compile(path, { params: { pw: 's3cr3t-value' } }));
    expect(error.message).not.toContain('s3cr3t-value');
    expect(existsSync(join(root, 'build'))).toBe(false);
  });

  it('a YAML syntax error is reported with its position', async () => {
    const path = writeOml('oml_version: "0.1.0"\nname: x\nsteps: [\n');
    const error = await expectOsirisError(() => compile(path, { displayName: 'x.yaml' }));
    expect(error.exitCode).toBe(2);
    expect(error.diagnostics[0]?.location.file).toBe('x.yaml');
    expect(error.diagnostics[0]?.location.line).toBeGreaterThan(0);
  });

  it('a missing file is a usage error', async () => {
    const error = await expectOsirisError(() =>
      compile(join(root, 'nope.yaml'), { displayName: 'nope.yaml' }),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('nope.yaml');
  });
});

describe('loadManifest', () => {
  it('reads a build back with verified cfg objects in order', async () => {
    const result = await compile(MOVIES);
    const loaded = loadManifest(result.manifestPath);
    expect(loaded.dir).toBe(result.buildDir);
    expect(loaded.manifest).toEqual(result.manifest);
    expect(loaded.steps.map((s) => s.id)).toEqual(result.manifest.steps.map((s) => s.id));
    const csv = loaded.steps.find((s) => s.id === 'write-csv');
    expect(csv?.cfgFile).toBe(join(result.buildDir, 'cfg/write-csv.json'));
    expect(csv?.cfg).toMatchObject({ component: 'filesystem.csv_writer', mode: 'write', newline: 'crlf' });
    expect(csv?.config).toEqual({
      path: 'out/director_stats.csv',
      newline: 'crlf',
      delimiter: ',',
      header: true,
      write_mode: 'overwrite',
      create_dirs: true,
    });
    const movies = loaded.steps.find((s) => s.id === 'movies');
    expect(movies?.connection).toBe('@filesystem.local');
    expect(movies?.config).not.toHaveProperty('connection');
    // the folder works too
    expect(loadManifest(result.buildDir).manifestPath).toBe(result.manifestPath);
  });

  it('detects an edited manifest', async () => {
    const result = await compile(ORDERS);
    const text = readFileSync(result.manifestPath, 'utf8');
    writeFileSync(
      result.manifestPath,
      text.replace('cfg_path: cfg/totals.json', 'cfg_path: cfg/extract-orders.json'),
    );
    const error = await expectOsirisError(() => loadManifest(result.manifestPath));
    expect(error.diagnostics[0]?.code).toBe('CMP012');
    expect(error.diagnostics[0]?.location.line).toBeGreaterThan(0);
  });

  it('ignores a changed generated_at (it is outside the hash)', async () => {
    const result = await compile(ORDERS);
    const text = readFileSync(result.manifestPath, 'utf8');
    writeFileSync(
      result.manifestPath,
      text.replace(/generated_at: .*/, "generated_at: '1999-01-01T00:00:00.000Z'"),
    );
    expect(loadManifest(result.manifestPath).manifest.meta.generated_at).toBe('1999-01-01T00:00:00.000Z');
  });

  it('detects an edited or missing cfg file', async () => {
    const result = await compile(ORDERS);
    const cfgPath = join(result.buildDir, 'cfg/totals.json');
    const original = readFileSync(cfgPath, 'utf8');
    writeFileSync(cfgPath, original.replace('SUM(amount)', 'MAX(amount)'));
    expect((await expectOsirisError(() => loadManifest(result.buildDir))).diagnostics[0]).toMatchObject({
      code: 'CMP013',
      stepId: 'totals',
    });
    // whitespace-only edits are fine: the fingerprint is over the canonical object
    writeFileSync(cfgPath, `${JSON.stringify(JSON.parse(original), null, 4)}\n`);
    expect(loadManifest(result.buildDir).steps).toHaveLength(3);
    writeFileSync(cfgPath, 'not json');
    expect((await expectOsirisError(() => loadManifest(result.buildDir))).message).toContain(
      'not valid JSON',
    );
  });

  it('reports a missing manifest or a file that is not a manifest', async () => {
    expect((await expectOsirisError(() => loadManifest(join(root, 'nothing')))).diagnostics[0]?.code).toBe(
      'CMP010',
    );
    writeOml('just: a mapping\n', 'manifest.yaml');
    expect(
      (await expectOsirisError(() => loadManifest(join(root, 'manifest.yaml')))).diagnostics[0]?.code,
    ).toBe('CMP011');
  });
});

describe('registry fingerprint', () => {
  it('changes the manifest hash when a spec changes', async () => {
    const base = await compile(ORDERS);
    const specPath = join(FIXTURES, 'registry/duckdb.processor/spec.yaml');
    const edited = fixtureRegistry({
      'duckdb.processor': readFileSync(specPath, 'utf8').replace('DuckDB SQL transform', 'DuckDB SQL'),
    });
    expect(edited.fingerprint()).not.toBe(registry.fingerprint());
    const other = await compileOml({ omlPath: ORDERS, project, registry: edited, env: {} });
    expect(other.manifest.pipeline.fingerprints.registry_fp).toBe(edited.fingerprint());
    expect(other.manifestHash).not.toBe(base.manifestHash);
  });

  it('follows spec edits in a user component root loaded from disk', async () => {
    const empty = join(root, 'no-builtins');
    mkdirSync(empty);
    const specDir = join(root, 'components/custom.sql');
    mkdirSync(specDir, { recursive: true });
    const specText = readFileSync(join(FIXTURES, 'registry/duckdb.processor/spec.yaml'), 'utf8').replace(
      'name: duckdb.processor',
      'name: custom.sql',
    );
    writeFileSync(join(specDir, 'spec.yaml'), specText);
    writeFileSync(join(specDir, 'driver.js'), 'export const driver = { run: async () => ({}) };\n');
    const oml = writeOml(`oml_version: "0.1.0"
name: custom
steps:
  - id: q
    component: custom.sql
    mode: transform
    config: { query: SELECT 1 }
`);
    const load = () => loadRegistry({ roots: [empty], projectRoot: root, fresh: true });
    const before = load();
    expect(before.problems).toEqual([]);
    expect(before.names()).toEqual(['custom.sql']);
    const a = await compileOml({ omlPath: oml, project, registry: before, env: {} });

    writeFileSync(join(specDir, 'spec.yaml'), specText.replace('DuckDB SQL transform', 'Custom SQL'));
    const after = load();
    expect(after.fingerprint()).not.toBe(before.fingerprint());
    const b = await compileOml({ omlPath: oml, project, registry: after, env: {} });
    expect(b.manifest.pipeline.fingerprints.registry_fp).toBe(after.fingerprint());
    expect(b.manifestHash).not.toBe(a.manifestHash);
  });
});
