// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connections files write ${VAR} literally
/**
 * One CLI grammar: the same option is spelled and shown the same way on every command that has it,
 * defaults read as a user types them, `--config` / `--connections` work everywhere they are offered, and
 * a run's outcome is printed once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/main.js';
import { runCli, tempDir } from '../../helpers/cli.js';

function leaves(command: Command, path: string[] = []): Array<[string, Command]> {
  const subs = command.commands.filter((c) => c.name() !== 'help');
  if (subs.length === 0) return [[path.join(' '), command]];
  return subs.flatMap((c) => leaves(c, [...path, c.name()]));
}

const program = buildProgram();
const commands = new Map(leaves(program));
const flagsOf = (name: string) => (commands.get(name) as Command).options.map((o) => o.flags);

/** Commands that do not read a project: they create one, or only write prompt files. */
// worker: its project is the empty folder a target starts it in; the host sends what osiris.yaml says.
const NO_PROJECT = new Set(['init', 'dump-prompts', 'worker']);
const READS_CONNECTIONS = [
  'validate',
  'run',
  'connections list',
  'connections doctor',
  'discovery run',
  'chat',
  'logs aiop',
];

describe('option vocabulary', () => {
  it('help shows defaults as typed: no "1", no []', () => {
    for (const [name, command] of commands) {
      const help = command.helpInformation();
      expect(help, name).not.toMatch(/\(default: "/);
      expect(help, name).not.toContain('(default: [])');
    }
    expect(commands.get('run')?.helpInformation()).toMatch(
      /--max-parallel <n>\s+run up to n .*\(default: 1\)/,
    );
  });

  it('spells each option the same way on every command', () => {
    const spellings = new Map<string, Set<string>>();
    for (const command of commands.values()) {
      for (const o of command.options) {
        const set = spellings.get(o.long as string) ?? new Set();
        set.add(o.flags);
        spellings.set(o.long as string, set);
      }
    }
    spellings.delete('--out'); // a build folder for compile, a file for the reports
    // Milliseconds per connection check; seconds of sandbox lifetime on run (the original's e2b flag).
    spellings.delete('--timeout');
    for (const [long, set] of spellings) expect([...set], long).toHaveLength(1);
  });

  it('offers --config on every command that reads osiris.yaml, --connections where connections are read', () => {
    for (const name of commands.keys()) {
      if (!NO_PROJECT.has(name)) expect(flagsOf(name), name).toContain('--config <osiris.yaml>');
    }
    for (const name of READS_CONNECTIONS) expect(flagsOf(name), name).toContain('--connections <file>');
    for (const name of ['connections list', 'connections doctor']) {
      expect(flagsOf(name), name).toContain('--file <path>'); // the old spelling still works …
      expect(commands.get(name)?.helpInformation()).not.toContain('--file'); // … but is not advertised
    }
  });

  it('gives logs list and runs list the same filters, --since included', () => {
    expect(flagsOf('logs list')).toEqual(flagsOf('runs list'));
    expect(flagsOf('logs list')).toContain('--since <when>');
  });
});

const PIPELINE = `oml_version: "0.1.0"
name: grammar
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config: { path: data/in.csv }
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [extract]
    config: { path: output/out.csv }
`;

describe('against a project', () => {
  let root = '';
  let proj = '';
  beforeAll(() => {
    root = tempDir('osiris-grammar-');
    proj = join(root, 'proj');
    expect(runCli(['init', 'proj'], { cwd: root }).code).toBe(0);
    mkdirSync(join(proj, 'data'), { recursive: true });
    writeFileSync(join(proj, 'data/in.csv'), 'id\n1\n2\n');
    writeFileSync(join(proj, 'pipeline.yaml'), PIPELINE);
    writeFileSync(join(proj, 'failing.yaml'), PIPELINE.replace('data/in.csv', 'data/missing.csv'));
  });

  it('prints a run outcome once: one summary line, the failure once', () => {
    const ok = runCli(['run', 'pipeline.yaml'], { cwd: proj });
    expect(ok.code).toBe(0);
    const said = `${ok.stdout}${ok.stderr}`.split('\n').filter((l) => /\bsucceeded\b/.test(l));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^✓ run \S+ succeeded in .* \(2\/2 steps, 2 rows out\)$/);

    const bad = runCli(['run', 'failing.yaml'], { cwd: proj });
    expect(bad.code).toBe(1);
    const lines = `${bad.stdout}${bad.stderr}`.split('\n');
    expect(lines.filter((l) => /run \S+ failed/.test(l))).toHaveLength(1);
    const error = lines.filter((l) => l.startsWith('error '));
    expect(error).toHaveLength(1);
    expect(error[0]).toMatch(/^error extract\.path_not_found step 'extract' failed: input file /);
  });

  it('--config and --connections work from outside the project', () => {
    const run = runCli(['run', 'proj/pipeline.yaml', '--config', 'proj/osiris.yaml', '--json'], {
      cwd: root,
    });
    expect(run.code, run.stdout).toBe(0);
    const list = JSON.parse(
      runCli(['logs', 'list', '--config', 'proj/osiris.yaml', '--json'], { cwd: root }).stdout,
    );
    expect(list.runs.map((r: { run_id: string }) => r.run_id)).toContain(JSON.parse(run.stdout).run_id);
    const conns = runCli(['connections', 'list', '--connections', 'proj/osiris_connections.yaml', '--json'], {
      cwd: root,
    });
    expect(JSON.parse(conns.stdout)).toMatchObject({ ok: true, file: 'proj/osiris_connections.yaml' });
    const missing = runCli(['components', 'list', '--config', 'nowhere/osiris.yaml', '--json'], {
      cwd: root,
    });
    expect(missing.code).toBe(2);
  });

  it('connections list: an unset ${VAR:-default} uses its default, it is not missing', () => {
    writeFileSync(
      join(root, 'vars.yaml'),
      [
        'connections:',
        '  mysql:',
        '    main:',
        '      host: ${GRAMMAR_HOST:-localhost}',
        '      database: shop',
        '      user: ${GRAMMAR_USER}',
        '',
      ].join('\n'),
    );
    const env = { GRAMMAR_HOST: undefined, GRAMMAR_USER: undefined } as unknown as NodeJS.ProcessEnv;
    const text = runCli(['connections', 'list', '--connections', 'vars.yaml'], { cwd: root, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/GRAMMAR_HOST \(default\), GRAMMAR_USER ✗/);
    expect(text.stdout).toContain('✗ GRAMMAR_USER not set');
    expect(text.stdout).not.toMatch(/GRAMMAR_HOST[^\n]*not set/);
    const json = runCli(['connections', 'list', '--connections', 'vars.yaml', '--json'], { cwd: root, env });
    expect(JSON.parse(json.stdout).connections[0].env_vars).toEqual({
      GRAMMAR_HOST: 'default',
      GRAMMAR_USER: 'missing',
    });
  });
});
