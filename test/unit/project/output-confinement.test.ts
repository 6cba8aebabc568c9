/**
 * Generated pipelines (the chat agent's gate; the MCP server later) write files only inside the project
 * unless osiris.yaml allows more; hand-written pipelines are not confined.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDraft } from '../../../src/agent/pipeline-gate.js';
import { loadProjectConfig } from '../../../src/project/config.js';
import { outputsOutsideProject } from '../../../src/project/output-confinement.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { runCli } from '../../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'osiris-confine-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A project folder with osiris.yaml (plus `yaml`), and a folder `elsewhere` beside it. */
function project(name: string, yaml = ''): string {
  const dir = join(base, name);
  mkdirSync(join(dir, 'pipelines'), { recursive: true });
  mkdirSync(join(base, 'elsewhere'), { recursive: true });
  writeFileSync(join(dir, 'osiris.yaml'), `version: "1"\n${yaml}`);
  return dir;
}

const pipeline = (path: string) => `oml_version: "0.1.0"
name: out
steps:
  - id: gen
    component: duckdb.processor
    mode: transform
    config:
      query: SELECT 1 AS id
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [gen]
    config:
      path: ${path}
`;

const outside = (dir: string, path: string) =>
  outputsOutsideProject(
    { steps: [{ id: 'write', mode: 'write', component: 'filesystem.csv_writer', config: { path } }] },
    loadProjectConfig({ cwd: dir, env: {} }),
  ).map((o) => o.stepId);

describe('output paths of generated pipelines', () => {
  it('accepts paths inside the project and refuses absolute, ../ and symlinked escapes', () => {
    const dir = project('plain');
    symlinkSync(join(base, 'elsewhere'), join(dir, 'link'));
    expect(outside(dir, 'output/a.csv')).toEqual([]);
    expect(outside(dir, join(dir, 'output/a.csv'))).toEqual([]);
    expect(outside(dir, join(base, 'elsewhere/a.csv'))).toEqual(['write']);
    expect(outside(dir, '../elsewhere/a.csv')).toEqual(['write']);
    expect(outside(dir, 'link/a.csv')).toEqual(['write']);
    expect(outside(dir, `${process.env.HOME ?? '/root'}/.bashrc`)).toEqual(['write']);
  });

  it('allows listed folders, or anywhere when the project says so', () => {
    const listed = project('listed', 'security:\n  allowed_output_roots: [../elsewhere]\n');
    expect(outside(listed, '../elsewhere/a.csv')).toEqual([]);
    expect(outside(listed, '/tmp/x.csv')).toEqual(['write']);
    const open = project('open', 'security:\n  allow_paths_outside_project: true\n');
    expect(outside(open, '/tmp/x.csv')).toEqual([]);
  });

  it("the chat agent's gate refuses the draft with SEC001 at the path's line, a fix for the model", async () => {
    const dir = project('agent');
    const gate = await checkDraft(pipeline('/etc/osiris-test.csv'), {
      project: loadProjectConfig({ cwd: dir, env: {} }),
      registry: loadRegistry({ projectRoot: dir }),
      env: {},
      dir: join(dir, 'pipelines'),
      discoveries: new Map(),
    });
    expect(gate.ok).toBe(false);
    expect(gate.diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'SEC001',
        stepId: 'write',
        location: expect.objectContaining({ line: 14 }),
        hint: expect.stringContaining('security.allowed_output_roots'),
      }),
    );
  });

  it('a hand-written pipeline is not confined (osiris validate accepts it)', () => {
    const dir = project('hand');
    writeFileSync(join(dir, 'pipelines/out.yaml'), pipeline(join(base, 'elsewhere/out.csv')));
    const result = runCli(['validate', 'pipelines/out.yaml'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
  });

  it('osiris.yaml with a wrong type is a CFG003 naming the key', () => {
    const dir = project('bad', 'security:\n  allow_paths_outside_project: "yes please"\n');
    expect(() => loadProjectConfig({ cwd: dir, env: {} })).toThrow(/security\.allow_paths_outside_project/);
  });
});
