import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotEnv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { parseConnectionsText } from '../../../src/connections/config.js';
import { findEnvRefs } from '../../../src/connections/env.js';
import { resolveConnection } from '../../../src/connections/resolve.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { loadProjectConfig } from '../../../src/project/config.js';
import {
  CONNECTIONS_TEMPLATE,
  GITIGNORE_ENTRIES,
  gitignoreAddition,
  scaffoldProject,
} from '../../../src/project/scaffold.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(repo, 'bin', 'osiris.js');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'osiris-init-'));
}

/** The connections template with every commented example line (`# ` prefix, not `## `) uncommented. */
function uncommented(text: string): string {
  return text.replace(/^(\s*)# /gm, '$1');
}

describe('templates', () => {
  it('osiris.yaml loads with the project config loader and gives the documented defaults', () => {
    const dir = tmp();
    scaffoldProject({ dir });
    const config = loadProjectConfig({ cwd: dir, env: {} });
    expect(config.root).toBe(dir);
    expect(config.paths.build).toBe(join(dir, 'build'));
    expect(config.paths.index).toBe(join(dir, '.osiris/index'));
    expect(config.profiles).toEqual({ enabled: true, values: ['dev', 'staging', 'prod'], default: 'dev' });
    expect(config.manifestShortLen).toBe(7);
    expect(Object.keys(config.raw).sort()).toEqual([
      'aiop',
      'discovery',
      'filesystem',
      'llm',
      'logging',
      'runtime',
      'security',
      'version',
    ]);
    expect(config.security).toEqual({ allowPathsOutsideProject: false, allowedOutputRoots: [] });
    expect(config.runtime).toEqual({
      memoryLimit: 'auto',
      threads: undefined,
      passThrough: true,
      fuse: true,
      lockTimeoutMs: 300_000,
    });
    expect(config.discovery).toEqual({ statementTimeoutMs: 30_000 });
    const off = loadProjectConfig({
      cwd: dir,
      env: { OSIRIS_PASS_THROUGH: '0', OSIRIS_FUSE: 'off', OSIRIS_MEMORY_LIMIT: '256MB' },
    });
    expect(off.runtime).toMatchObject({ memoryLimit: '256MB', passThrough: false, fuse: false });
    // A bad value fails at start-up, naming the variable, rather than inside DuckDB mid-run.
    expect(() => loadProjectConfig({ cwd: dir, env: { OSIRIS_MEMORY_LIMIT: 'lots' } })).toThrow(
      /OSIRIS_MEMORY_LIMIT 'lots' is neither auto nor a size/,
    );
    expect(JSON.stringify(config.raw.llm)).not.toMatch(/api_key/i);
  });

  it('osiris_connections.yaml loads cleanly, as written and with its examples uncommented', () => {
    const asIs = parseConnectionsText(CONNECTIONS_TEMPLATE, 'osiris_connections.yaml');
    expect(asIs.diagnostics).toEqual([]);
    expect(asIs.config.families.map((f) => f.name)).toEqual(['filesystem']);

    const full = parseConnectionsText(uncommented(CONNECTIONS_TEMPLATE), 'osiris_connections.yaml');
    expect(full.diagnostics).toEqual([]);
    expect(full.config.families.map((f) => f.name)).toEqual(['filesystem', 'mysql', 'postgres', 'supabase']);
    for (const family of full.config.families) {
      expect(family.aliases.filter((a) => a.isDefault).length, family.name).toBe(1);
    }
    // Every secret in the examples is a ${VAR} reference, and .env.example names every variable used.
    const dir = tmp();
    scaffoldProject({ dir });
    const names = Object.keys(parseDotEnv(readFileSync(join(dir, '.env.example'))));
    const used = full.config.families.flatMap((f) =>
      f.aliases.flatMap((a) => findEnvRefs(a.fields).map((r) => r.name)),
    );
    for (const name of used) expect(names, name).toContain(name);

    const env = Object.fromEntries(used.map((n) => [n, `v-${n}`]));
    const mysql = resolveConnection('@mysql', { connections: full.config, env });
    expect(mysql.fields).toMatchObject({ host: 'v-MYSQL_HOST', password: 'v-MYSQL_PASSWORD', port: 3306 });
    expect(resolveConnection('@supabase', { connections: full.config, env }).alias).toBe('main');
  });
});

describe('scaffoldProject', () => {
  it('creates the files and folders, and a .gitignore block', () => {
    const dir = join(tmp(), 'new-project');
    const result = scaffoldProject({ dir, displayDir: 'new-project' });
    expect(result.created).toEqual([
      'pipelines/',
      'osiris.yaml',
      'osiris_connections.yaml',
      '.env.example',
      'pipelines/orders_by_country.yaml',
      'data/orders.csv',
      '.gitignore',
    ]);
    expect(result.skipped).toEqual([]);
    expect(result.nextSteps[0]).toBe('cd new-project');
    expect(existsSync(join(dir, 'pipelines'))).toBe(true);
    const gitignore = readFileSync(join(dir, '.gitignore'), 'utf8').split('\n');
    for (const entry of GITIGNORE_ENTRIES) expect(gitignore).toContain(entry);
  });

  it('refuses to overwrite without force, listing every existing file and writing nothing', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'osiris.yaml'), 'mine\n');
    writeFileSync(join(dir, '.env.example'), 'MINE=1\n');
    let error: OsirisError | undefined;
    try {
      scaffoldProject({ dir, displayDir: '.' });
    } catch (e) {
      error = e as OsirisError;
    }
    expect(error).toBeInstanceOf(OsirisError);
    expect(error?.exitCode).toBe(2);
    expect(error?.diagnostics.map((d) => d.location.file)).toEqual(['osiris.yaml', '.env.example']);
    expect(readFileSync(join(dir, 'osiris.yaml'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(dir, 'osiris_connections.yaml'))).toBe(false);
    expect(existsSync(join(dir, 'pipelines'))).toBe(false);
    expect(existsSync(join(dir, '.gitignore'))).toBe(false);
  });

  it('overwrites with force, and is idempotent (same files, .gitignore block added once)', () => {
    const dir = tmp();
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\nbuild/');
    scaffoldProject({ dir });
    const first = ['osiris.yaml', 'osiris_connections.yaml', '.env.example', '.gitignore'].map((f) =>
      readFileSync(join(dir, f), 'utf8'),
    );
    expect(first[3]).toBe(
      'node_modules/\nbuild/\n\n# Osiris (added by `osiris init`)\nrun_logs/\naiop/\n.osiris/\n.env\n',
    );
    writeFileSync(join(dir, 'osiris.yaml'), 'edited\n');
    const again = scaffoldProject({ dir, force: true });
    expect(again.overwritten).toEqual([
      'osiris.yaml',
      'osiris_connections.yaml',
      '.env.example',
      'pipelines/orders_by_country.yaml',
      'data/orders.csv',
    ]);
    expect(again.skipped).toEqual(['pipelines/', '.gitignore']);
    const second = ['osiris.yaml', 'osiris_connections.yaml', '.env.example', '.gitignore'].map((f) =>
      readFileSync(join(dir, f), 'utf8'),
    );
    expect(second).toEqual(first);
  });

  it('adds only the missing .gitignore entries', () => {
    expect(gitignoreAddition('')).toBe(
      `# Osiris (added by \`osiris init\`)\n${GITIGNORE_ENTRIES.join('\n')}\n`,
    );
    expect(gitignoreAddition(`${GITIGNORE_ENTRIES.join('\n')}\n`)).toBe('');
    expect(gitignoreAddition('/run_logs/\n.env\n')).toBe(
      '\n# Osiris (added by `osiris init`)\nbuild/\naiop/\n.osiris/\n',
    );
  });
});

describe('osiris init (CLI)', () => {
  const run = (args: string[], cwd: string) => {
    if (!existsSync(join(repo, 'dist', 'cli', 'main.js')))
      throw new Error('dist/ missing: run `npm run build` first');
    return spawnSync(process.execPath, [bin, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
  };

  it('scaffolds with --json, refuses a second run with exit 2, and --force succeeds', () => {
    const cwd = tmp();
    const first = run(['init', 'proj', '--json'], cwd);
    expect(first.status, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout) as { created: string[]; skipped: string[]; next_steps: string[] };
    expect(out.created).toContain('osiris_connections.yaml');
    expect(out.next_steps[0]).toBe('cd proj');

    const second = run(['init', 'proj'], cwd);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain('proj/osiris.yaml error CFG010 osiris.yaml already exists');

    mkdirSync(join(cwd, 'proj', 'pipelines'), { recursive: true });
    const forced = run(['init', 'proj', '--force', '--json'], cwd);
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).skipped).toEqual(['pipelines/', '.gitignore']);

    const list = run(['connections', 'list', '--json'], join(cwd, 'proj'));
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).connections.map((c: { reference: string }) => c.reference)).toEqual([
      '@filesystem.local',
    ]);
  });

  it('without `osiris` on PATH, the next steps name this copy in full and run as printed', () => {
    const cwd = tmp();
    const env = {
      ...process.env,
      NO_COLOR: '1',
      PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
    };
    const init = spawnSync(process.execPath, [bin, 'init', 'my project'], { cwd, env, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    const steps = [...init.stdout.matchAll(/^ {2}\d+\. (.*)$/gm)].map((m) => m[1] as string);
    expect(steps[0]).toBe("cd 'my project'");
    expect(steps[1]).toMatch(/^node \S+\/bin\/osiris\.js validate pipelines\/orders_by_country\.yaml/);
    expect(init.stdout).toContain(`npm install -g ${repo}`);
    const ran = spawnSync('bash', ['-c', ['set -eu', ...steps].join('\n')], { cwd, env, encoding: 'utf8' });
    expect(ran.status, ran.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'my project', 'output', 'orders_by_country.csv'), 'utf8')).toMatch(
      /^country,orders,revenue\nFR,2,262.25\n/,
    );
  });

  it('connections list: exit 0 without a file, exit 2 on an invalid one', () => {
    const cwd = tmp();
    const none = run(['connections', 'list'], cwd);
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('No connections configured');
    writeFileSync(join(cwd, 'osiris_connections.yaml'), 'connections:\n  mysql:\n    a: 1\n');
    const bad = run(['connections', 'list'], cwd);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^osiris_connections\.yaml:3:\d+ error CON005/);
  });
});
