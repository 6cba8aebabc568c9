// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli/main.js';
import { diagnosticCodes } from '../../helpers/cli.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const original = process.cwd();
let dir = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osiris-validate-cli-'));
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(original);
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function osiris(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync(['node', 'osiris', ...args]);
  } catch {
    // commander exit overrides: exit code set below
  }
  const code = Number(process.exitCode ?? 0);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

const VALID = `oml_version: "0.1.0"
name: demo
params:
  n: 2
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/in.csv
  - id: top
    component: duckdb.processor
    mode: transform
    config:
      query: SELECT * FROM input_df LIMIT \${params.n}
  - id: write
    component: filesystem.csv_writer
    mode: write
    junk: 1
    config:
      path: out.csv
`;

describe('osiris validate <oml>', () => {
  it('prints warnings and a one-line summary, exit 0', async () => {
    writeFileSync('pipeline.yaml', VALID);
    const r = await osiris('validate', 'pipeline.yaml');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "pipeline.yaml:19:5 warning OML041 unknown step key 'junk' (it is ignored) — step keys: component, config, id, inputs, mode, needs",
    );
    expect(r.stdout).toBe('✓ pipeline.yaml is valid (3 steps, 1 warning)\n');
  });

  it('prints errors like a compiler, exit 2', async () => {
    writeFileSync('pipeline.yaml', VALID.replace('duckdb.processor', 'duckdb.proc'));
    const r = await osiris('validate', 'pipeline.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "pipeline.yaml:12:16 error OML013 unknown component 'duckdb.proc' — did you mean 'duckdb.processor'?",
    );
    expect(r.stdout).toBe('✗ pipeline.yaml is invalid (1 error, 1 warning)\n');
  });

  it('resolves --param before validating', async () => {
    writeFileSync('pipeline.yaml', VALID);
    const bad = await osiris('validate', 'pipeline.yaml', '--param', 'n=many', '--json');
    expect(bad.code).toBe(2);
    expect(diagnosticCodes(JSON.parse(bad.stdout), 'error')).toEqual(['PAR007']);
    const good = await osiris('validate', 'pipeline.yaml', '--param', 'n=5', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).params).toEqual({ n: 5 });
  });

  it('prints one JSON document with --json', async () => {
    writeFileSync('pipeline.yaml', VALID);
    const r = await osiris('validate', 'pipeline.yaml', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, file: 'pipeline.yaml', name: 'demo', profile: 'dev' });
    expect(out.error).toBeUndefined();
    expect(diagnosticCodes(out, 'error')).toEqual([]);
    expect(diagnosticCodes(out, 'warning')).toEqual(['OML041']);
    expect(out.steps).toEqual([
      { id: 'extract', component: 'filesystem.csv_extractor', mode: 'read', depends_on: [] },
      { id: 'top', component: 'duckdb.processor', mode: 'transform', depends_on: ['extract'] },
      { id: 'write', component: 'filesystem.csv_writer', mode: 'write', depends_on: ['top'] },
    ]);
  });

  it('reports a missing file as OML001, exit 2', async () => {
    const r = await osiris('validate', 'nope.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.yaml error OML001 OML file nope.yaml does not exist');
    const j = await osiris('validate', 'nope.yaml', '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'OML001', location: { file: 'nope.yaml' } });
  });

  it('rejects a malformed --param, exit 2', async () => {
    writeFileSync('pipeline.yaml', VALID);
    const r = await osiris('validate', 'pipeline.yaml', '--param', 'oops');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PAR010');
  });

  it('reports YAML syntax errors, exit 2', async () => {
    writeFileSync('pipeline.yaml', 'name: [oops\n');
    const r = await osiris('validate', 'pipeline.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error YAML001');
  });
});

describe('osiris validate (project setup)', () => {
  it('reports a missing osiris.yaml, exit 2', async () => {
    const r = await osiris('validate', '--json');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(diagnosticCodes(out, 'error')).toContain('CFG001');
    expect(out.error.code).toBe(diagnosticCodes(out, 'error')[0]);
  });

  it('accepts a minimal project, exit 0', async () => {
    writeFileSync('osiris.yaml', 'version: "2.0"\n');
    const r = await osiris('validate');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ project setup is valid');
  });
});
