/**
 * Hostile OML files (generated here, never committed): each must be refused quickly with exit 2 and a
 * file:line:col diagnostic, never an internal error (OSR001), a stack overflow or a hang.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('osiris-hostile-');
const HEAD = 'oml_version: "0.1.0"\nname: hostile\n';
const STEP =
  'steps:\n  - id: only\n    component: duckdb.processor\n    mode: transform\n    config:\n      query: SELECT 1\n';

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

/** ~110k keys (~2.6 MB) in one mapping, the last repeating the first. */
function manyKeys(): string {
  const lines = [HEAD, STEP, 'metadata:\n'];
  for (let i = 0; i < 110_000; i++) lines.push(`  key_${i}: value number ${i} of many\n`);
  lines.push('  key_0: again\n');
  return lines.join('');
}

function blockNesting(depth: number): string {
  let out = `${HEAD}${STEP}metadata:\n`;
  for (let i = 1; i <= depth; i++) out += `${' '.repeat(i * 2)}k:\n`;
  return `${out}${' '.repeat(depth * 2 + 2)}leaf\n`;
}

function aliasBomb(): string {
  let out = `${HEAD}${STEP}metadata:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i < 10; i++)
    out += `  l${i}: &l${i} [${Array(10)
      .fill(`*l${i - 1}`)
      .join(', ')}]\n`;
  return out;
}

function cycle(n: number): string {
  let out = `${HEAD}steps:\n`;
  for (let i = 0; i < n; i++) {
    out += `  - id: s${i}\n    component: duckdb.processor\n    mode: transform\n    needs: [s${(i + 1) % n}]\n    config:\n      query: SELECT 1\n`;
  }
  return out;
}

/** `compile` too where it is cheap: it runs the same reader and validator, so the slow cases check validate only. */
const cases: Array<{
  name: string;
  file: () => string;
  code: string;
  at: RegExp;
  message: RegExp;
  compile?: boolean;
}> = [
  {
    name: '110k keys with a duplicate (the duplicate-key check is linear)',
    file: () => write('keys.yaml', manyKeys()),
    code: 'YAML001',
    at: /keys\.yaml:110010:3 /,
    message: /duplicate key 'key_0' \(first at line 10\)/,
  },
  {
    name: '3,000-deep block nesting',
    file: () => write('deep-block.yaml', blockNesting(3000)),
    code: 'YAML002',
    at: /deep-block\.yaml:\d+:\d+ /,
    message: /nests more than 100 levels deep/,
  },
  {
    name: '3,000-deep flow nesting',
    compile: true,
    file: () => write('deep-flow.yaml', `${HEAD}${STEP}metadata: ${'['.repeat(3000)}${']'.repeat(3000)}\n`),
    code: 'YAML002',
    at: /deep-flow\.yaml:9:\d+ /,
    message: /nests more than 100 levels deep/,
  },
  {
    name: '150-deep nesting (parses, but deeper than the limit)',
    file: () => write('deep-150.yaml', blockNesting(150)),
    code: 'YAML002',
    at: /deep-150\.yaml:109:201 /,
    message: /nests more than 100 levels deep/,
  },
  {
    name: 'an alias bomb',
    compile: true,
    file: () => write('bomb.yaml', aliasBomb()),
    code: 'YAML003',
    at: /bomb\.yaml:1[0-9]:\d+ /,
    message: /aliases expand the document by more than 100000 nodes/,
  },
  {
    name: 'an unresolved alias',
    compile: true,
    file: () => write('unresolved.yaml', `${HEAD}${STEP}metadata:\n  a: *nowhere\n`),
    code: 'YAML003',
    at: /unresolved\.yaml:10:6 /,
    message: /alias '\*nowhere' names no anchor defined before it/,
  },
  {
    name: 'an alias inside its own anchor',
    compile: true,
    file: () => write('selfref.yaml', `${HEAD}${STEP}metadata:\n  a: &loop [1, *loop]\n`),
    code: 'YAML003',
    at: /selfref\.yaml:10:16 /,
    message: /refers to a node that contains it/,
  },
  {
    name: 'a dependency cycle of 5,000 steps',
    file: () => write('cycle.yaml', cycle(5000)),
    code: 'OML036',
    at: /cycle\.yaml:7:13 /,
    message: /dependency cycle: s0 → s1 → .* … \(4990 more\) … → s4998 → s4999 → s0/,
  },
];

describe('hostile OML: validate and compile refuse it with exit 2, located, in bounded time', () => {
  for (const c of cases) {
    it(c.name, () => {
      const file = c.file();
      for (const command of c.compile ? ['validate', 'compile'] : ['validate']) {
        const started = Date.now();
        const r = runCli([command, file], { cwd: dir });
        const seconds = (Date.now() - started) / 1000;
        expect(r.stderr + r.stdout).not.toContain('OSR001');
        expect(r.stderr).toMatch(new RegExp(`${c.at.source}error ${c.code} `));
        expect(r.stderr).toMatch(c.message);
        expect(r.code).toBe(2);
        // Generous for a loaded 2-core CI machine; the quadratic key check took minutes here.
        expect(seconds).toBeLessThan(30);
      }
    }, 120_000);
  }
});

describe('only regular files under the size limit are read', () => {
  it('refuses a FIFO without blocking (validate, compile, run)', () => {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    for (const command of ['validate', 'compile', 'run']) {
      const r = runCli([command, 'pipe.yaml'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/pipe\.yaml is a named pipe \(FIFO\), not a regular file/);
    }
  });

  it('refuses /dev/zero instead of reading it forever', () => {
    for (const command of ['validate', 'run']) {
      const r = runCli([command, '/dev/zero'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\/dev\/zero is a character device, not a regular file/);
    }
  });

  it('refuses a file over the limit, naming the limit and how to raise it', () => {
    const file = write('large.yaml', `${HEAD}${STEP}# ${'x'.repeat(1_200_000)}\n`);
    const env = { OSIRIS_MAX_FILE_MB: '1' };
    const r = runCli(['validate', file], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'large.yaml error OML001 OML file large.yaml is 1.1 MiB, larger than the 1 MiB limit for input files — raise the limit with the environment variable OSIRIS_MAX_FILE_MB (in MiB), e.g. OSIRIS_MAX_FILE_MB=2',
    );
    const raised = runCli(['validate', file], { cwd: dir, env: { OSIRIS_MAX_FILE_MB: '2' } });
    expect(raised.code).toBe(0);
  });
});
