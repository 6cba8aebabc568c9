/**
 * The README's front door: the quick-start commands, executed exactly as written (minus `npm ci`, which the
 * test run itself did), produce the demo outputs with Ava DuVernay's statistics in them.
 */
import { execSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

function quickStartCommands(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('## Quick start')[1] ?? '';
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

describe('README quick start', () => {
  it('is two commands: npm ci, then the demo run', () => {
    const commands = quickStartCommands();
    expect(commands).toHaveLength(2);
    expect(commands[0]).toBe('npm ci');
    expect(commands[1]).toMatch(/^npx osiris run examples\/movies\/director_stats\.yaml$/);
  });

  it('runs the demo and writes the statistics as CSV and Parquet', async () => {
    const outDir = join(REPO_ROOT, 'examples/movies/output');
    rmSync(outDir, { recursive: true, force: true });
    const command = quickStartCommands()[1] as string;
    const stdout = execSync(command, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(stdout).toContain('output: examples/movies/output/director_stats.parquet');
    expect(stdout).toMatch(/run log: run_logs\//);

    const csv = readFileSync(join(outDir, 'director_stats.csv'), 'utf8');
    const ava = csv.split('\n').find((l) => l.includes('Ava DuVernay'));
    expect(ava).toBeDefined();
    expect(ava).toContain('1972');

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const reader = await conn.runAndReadAll(
      `SELECT director, birth_year, movie_count, first_year FROM '${join(outDir, 'director_stats.parquet')}' WHERE director = 'Ava DuVernay'`,
    );
    const rows = reader.getRowObjectsJson();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ director: 'Ava DuVernay', birth_year: '1972' });
    expect(Number(rows[0]?.movie_count)).toBeGreaterThanOrEqual(1);
    conn.closeSync();
  });
});

describe('README pipelines', () => {
  it('every OML block in the README validates without errors', async () => {
    const { loadRegistry } = await import('../../src/registry/load.js');
    const { validateOml } = await import('../../src/oml/validate.js');
    const { parseLocatedYaml } = await import('../../src/yaml/located.js');
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const pipelines = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1] as string)
      .filter((y) => y.includes('oml_version'));
    expect(pipelines.length).toBeGreaterThan(0);
    for (const text of pipelines) {
      const errors = validateOml(parseLocatedYaml(text, 'README.md'), { registry: loadRegistry() }).filter(
        (d) => d.severity === 'error',
      );
      expect(errors).toEqual([]);
    }
  });
});
