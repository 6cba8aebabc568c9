/**
 * `osiris compile` through the real binary (needs `npm run build`; `npm test` builds first), with the
 * shipped components.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'bin/osiris.js');

const PIPELINE = `oml_version: "0.1.0"
name: cli-demo
params:
  limit: 5
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config: { path: data/in.csv }
  - id: top
    component: duckdb.processor
    mode: transform
    config: { query: "SELECT * FROM input_df LIMIT \${params.limit}" }
  - id: write
    component: filesystem.csv_writer
    mode: write
    config: { path: out/top.csv }
`;

let dir: string;
beforeAll(() => {
  if (!existsSync(join(REPO, 'dist/cli/main.js'))) throw new Error('run `npm run build` before this test');
});
beforeEach(() => {
  dir = tempDir('osiris-cli-compile-');
  writeFileSync(join(dir, 'pipeline.yaml'), PIPELINE);
  // The SQL check reads the CSV header (no note about an unchecked step).
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data/in.csv'), 'id,name\n1,a\n');
});
afterEach(() => removeDir(dir));

function osiris(...args: string[]) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OSIRIS_')) env[k] = v;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('osiris compile (binary)', () => {
  it('compiles and prints where the manifest went', () => {
    const r = osiris('compile', 'pipeline.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^✓ compiled cli-demo → build\/pipelines\/dev\/cli-demo\/([0-9a-f]{7})-\1[0-9a-f]{57}\/manifest\.yaml \(hash \1\)\n$/,
    );
    const pointer = JSON.parse(readFileSync(join(dir, '.osiris/index/last_compile.txt'), 'utf8'));
    expect(pointer.pipeline_slug).toBe('cli-demo');
    expect(existsSync(pointer.manifest_path)).toBe(true);
    expect(existsSync(join(dir, '.osiris/index/latest/cli-demo.txt'))).toBe(true);
  });

  it('--json prints one document; --param and --profile change the hash', () => {
    const a = osiris('compile', 'pipeline.yaml', '--json');
    expect(a.code).toBe(0);
    const first = JSON.parse(a.stdout);
    expect(first).toMatchObject({ ok: true, pipeline_slug: 'cli-demo', profile: 'dev', diagnostics: [] });
    expect(first.manifest_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.manifest_short).toBe(first.manifest_hash.slice(0, 7));
    expect(first.manifest_path).toBe(
      join(
        dir,
        'build/pipelines/dev/cli-demo',
        `${first.manifest_short}-${first.manifest_hash}`,
        'manifest.yaml',
      ),
    );
    const b = JSON.parse(osiris('compile', 'pipeline.yaml', '--json', '--param', 'limit=7').stdout);
    expect(b.manifest_hash).not.toBe(first.manifest_hash);
    const c = JSON.parse(osiris('compile', 'pipeline.yaml', '--json', '-p', 'prod').stdout);
    expect(c.profile).toBe('prod');
    expect(c.manifest_hash).not.toBe(first.manifest_hash);
    const again = JSON.parse(osiris('compile', 'pipeline.yaml', '--json').stdout);
    expect(again.manifest_hash).toBe(first.manifest_hash);
  });

  it('--out writes the build folder there', () => {
    const r = osiris('compile', 'pipeline.yaml', '--out', 'custom', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).manifest_path).toBe(join(dir, 'custom/manifest.yaml'));
    expect(existsSync(join(dir, 'custom/cfg/top.json'))).toBe(true);
  });

  it('a validation error exits 2 with compiler-style diagnostics and writes nothing', () => {
    writeFileSync(join(dir, 'bad.yaml'), PIPELINE.replace('duckdb.processor', 'duckdb.procesor'));
    const r = osiris('compile', 'bad.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^bad\.yaml:11:16 error \w+ .*duckdb\.procesor.*did you mean 'duckdb\.processor'\?/m,
    );
    expect(existsSync(join(dir, 'build'))).toBe(false);
    const j = osiris('compile', 'bad.yaml', '--json');
    expect(j.code).toBe(2);
    const out = JSON.parse(j.stdout);
    expect(out.ok).toBe(false);
    expect(out.error.location).toMatchObject({ file: 'bad.yaml', line: 11 });
    expect(out.diagnostics[0].location).toMatchObject({ file: 'bad.yaml', line: 11 });
  });

  it('usage errors exit 2: unknown profile, malformed --param, missing file, missing argument', () => {
    expect(osiris('compile', 'pipeline.yaml', '--profile', 'qa').code).toBe(2);
    expect(osiris('compile', 'pipeline.yaml', '--param', 'oops').code).toBe(2);
    expect(osiris('compile', 'missing.yaml').code).toBe(2);
    expect(osiris('compile').code).toBe(2);
  });

  it('a component without a driver exits 2 and names the runnable ones', () => {
    // A project-local component that has a spec but no driver.js beside it yet.
    mkdirSync(join(dir, 'components/acme.extractor'), { recursive: true });
    writeFileSync(
      join(dir, 'components/acme.extractor/spec.yaml'),
      `name: acme.extractor
version: 0.1.0
modes: [extract]
capabilities: {}
configSchema:
  type: object
  properties:
    endpoint: { type: string, description: API endpoint }
  required: [endpoint]
`,
    );
    writeFileSync(
      join(dir, 'acme.yaml'),
      `oml_version: "0.1.0"
name: from-acme
steps:
  - id: extract
    component: acme.extractor
    mode: read
    config: { endpoint: https://example.invalid/api }
`,
    );
    const r = osiris('compile', 'acme.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("component 'acme.extractor' has no runtime driver yet (step 'extract')");
    expect(r.stderr).toContain('runnable components: ');
    expect(r.stderr).toContain('duckdb.processor');
  });

  it('an I/O failure while writing exits 1', () => {
    writeFileSync(join(dir, 'build'), 'a file where the build folder should be');
    const r = osiris('compile', 'pipeline.yaml', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).ok).toBe(false);
  });
});
