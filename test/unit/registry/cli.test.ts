/** `osiris components …` end to end, against the built CLI (`npm run build` first; `npm test` does). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve('bin/osiris.js');
const USER_PROJECT = resolve('test/fixtures/specs/user-project');

function osiris(args: string[], cwd = resolve('.')) {
  const env = { ...process.env };
  delete env.OSIRIS_HOME;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  expect(existsSync(resolve('dist/cli/main.js')), 'run `npm run build` before the CLI tests').toBe(true);
});

describe('osiris components list', () => {
  it('prints a JSON array sorted by name', () => {
    const r = osiris(['components', 'list', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout).components as {
      name: string;
      version: string;
      modes: string[];
      runnable: boolean;
    }[];
    const names = list.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['mysql.extractor', 'postgres.writer', 'supabase.writer']));
    for (const c of list) expect(typeof c.runnable).toBe('boolean');
  });

  it('filters by mode, accepting the OML name', () => {
    const r = osiris(['components', 'list', '--mode', 'read', '--json']);
    const list = JSON.parse(r.stdout).components as { name: string; modes: string[] }[];
    expect(list.length).toBeGreaterThan(0);
    for (const c of list) expect(c.modes).toContain('extract');
    expect(list.map((c) => c.name)).not.toContain('mysql.writer');
  });

  it('prints a table', () => {
    const r = osiris(['components', 'list']);
    expect(r.stdout.split('\n')[0]).toMatch(/^Component\s+Version\s+Modes\s+Runnable\s+Description$/);
    expect(r.stdout).toMatch(/^postgres\.writer\s+1\.0\.0\s+write\s+[✓✗]/m);
  });

  it('rejects an unknown mode with exit 2 and a suggestion', () => {
    const r = osiris(['components', 'list', '--mode', 'reed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error REG012 unknown mode 'reed' — did you mean 'read'?");
  });
});

describe('osiris components show', () => {
  it('describes fields, connection fields and secrets as JSON', () => {
    const r = osiris(['components', 'show', 'postgres.writer', '--json']);
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.fields).toContainEqual(
      expect.objectContaining({ name: 'write_mode', type: 'append | replace | upsert', default: 'append' }),
    );
    expect(shown.fields).toContainEqual(expect.objectContaining({ name: 'table', required: true }));
    expect(shown.connectionFields).toContainEqual({ name: 'password', override: 'forbidden' });
    expect(shown.secrets).toEqual(['/password']);
    expect(shown.omlModes).toEqual(['write']);
  });

  it('prints a readable view', () => {
    const r = osiris(['components', 'show', 'mysql.extractor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Modes:        extract, discover (OML mode: read)');
    expect(r.stdout).toContain('password (string, from connection, override forbidden, secret)');
    expect(r.stdout).toContain('Exactly one of query, table must be set.');
  });

  it('exits 2 with a did-you-mean for an unknown name', () => {
    const r = osiris(['components', 'show', 'mysql.writr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error REG009 unknown component 'mysql.writr' — did you mean 'mysql.writer'?");
  });
});

describe('osiris components validate', () => {
  it('passes the shipped specs at strict level', () => {
    const r = osiris(['components', 'validate', 'supabase.writer', '--level', 'strict']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ supabase.writer');
  });

  it('exits 2 for an invalid spec and locates each error', () => {
    const r = osiris(['components', 'validate', 'test/fixtures/specs/mixed/broken.types', '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.components[0].file).toBe('test/fixtures/specs/mixed/broken.types/spec.yaml');
    expect(out.error).toMatchObject({
      code: 'REG002',
      location: { file: 'test/fixtures/specs/mixed/broken.types/spec.yaml', line: 2, col: 10 },
    });
  });

  it('validates everything, including user components, and fails on a name clash', () => {
    const r = osiris(['components', 'validate', '--json'], USER_PROJECT);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as {
      components: { name: string; file: string; valid: boolean; diagnostics: { code: string }[] }[];
    };
    const user = out.components.filter((c) => c.file.startsWith('components/'));
    expect(user.map((c) => [c.name, c.valid])).toEqual([
      ['acme.extractor', true],
      ['mysql.extractor', false],
    ]);
    expect(user[1]?.diagnostics.map((e) => e.code)).toEqual(['REG004']);
    expect(out.components.filter((c) => !c.valid)).toHaveLength(1);
  });
});
