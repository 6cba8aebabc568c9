/**
 * Start-up stays cheap only while commands load the packages they use and no others (docs/benchmarks.md,
 * "Start-up"). This checks which packages the built CLI loads, not how long it takes: an eager import of a
 * database driver, DuckDB or the AI SDK in a command module fails here instead of slowing every start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OSIRIS_BIN, REPO_ROOT } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'osiris-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The npm packages a CLI command loads (from node_modules), traced by test/helpers/module-trace. */
function packagesLoaded(args: string[]): string[] {
  const trace = join(dir, `trace-${args.join('-').replace(/\W+/g, '_')}.txt`);
  const register = join(REPO_ROOT, 'test/helpers/module-trace/register.mjs');
  const result = spawnSync(process.execPath, ['--import', register, OSIRIS_BIN, ...args], {
    cwd: dir,
    env: { ...process.env, MODULE_TRACE_FILE: trace, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const names = readFileSync(trace, 'utf8')
    .split('\n')
    .map((line) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)].sort();
}

/** Packages that only the steps or commands using them may load. */
const HEAVY = [
  '@duckdb/node-api',
  'mysql2',
  'pg',
  'ai',
  '@ai-sdk/anthropic',
  '@ai-sdk/openai',
  'node-sql-parser',
  'libpg-query',
  'node-sqlite3-wasm',
  'zod', // the config and manifest readers load it only to word an error
  'dotenv', // only when a .env file is there
];

describe('what the CLI loads at start-up', () => {
  it('--help and --version load commander and nothing else', () => {
    expect(packagesLoaded(['--help'])).toEqual(['commander']);
    expect(packagesLoaded(['--version'])).toEqual(['commander']);
    expect(packagesLoaded(['run', '--help'])).toEqual(['commander']);
  });

  it('validate of a file pipeline loads no database driver, DuckDB, SQL parser, AI SDK or zod', () => {
    writeFileSync(join(dir, 'in.csv'), 'id,name\n1,a\n');
    writeFileSync(
      join(dir, 'copy.yaml'),
      [
        'oml_version: "0.1.0"',
        'name: lazy-copy',
        'steps:',
        '  - {id: extract, component: filesystem.csv_extractor, mode: read, config: {path: in.csv}}',
        '  - {id: write, component: filesystem.csv_writer, mode: write, config: {path: out.csv}}',
        '',
      ].join('\n'),
    );
    const loaded = packagesLoaded(['validate', 'copy.yaml']);
    expect(loaded).toContain('yaml');
    expect(loaded.filter((name) => HEAVY.includes(name))).toEqual([]);
  });

  it('run of a file pipeline loads DuckDB but no database driver', () => {
    // Reuses copy.yaml from the case above. Runtime modules import the MySQL and Postgres client helpers;
    // the drivers themselves load on the first connection (src/connectors/*/client.ts).
    const loaded = packagesLoaded(['run', 'copy.yaml', '--json']);
    expect(loaded).toContain('@duckdb/node-api');
    expect(loaded.filter((name) => HEAVY.includes(name))).toEqual(['@duckdb/node-api']);
  });
});
