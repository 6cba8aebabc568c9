/**
 * One success and one failure invocation of every CLI command, in a temporary project they can run in.
 * Shared by the tests that must cover every command (json-envelope, closed-output).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { expect } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { uniqueName } from '../../helpers/databases.js';

/** `logs list`, `run`, …: every command that has an action (no subcommands). */
export function leafCommands(command: Command, path: string[] = []): string[] {
  const subs = command.commands.filter((c) => c.name() !== 'help');
  if (subs.length === 0) return [path.join(' ')];
  return subs.flatMap((c) => leafCommands(c, [...path, c.name()]));
}

const GOOD = `oml_version: "0.1.0"
name: envelope-good
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config: { path: data/in.csv }
  - id: double
    component: duckdb.processor
    mode: transform
    needs: [extract]
    config: { query: "SELECT id, id * 2 AS twice FROM extract" }
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [double]
    config: { path: output/out.csv }
`;
const BAD = GOOD.replace('component: duckdb.processor', 'component: duckdb.proc');
const FAILING = GOOD.replace('data/in.csv', 'data/missing.csv').replace('envelope-good', 'envelope-fails');

const pgSchema = uniqueName('osiris_envelope');
const CONNECTIONS = `version: "1.0"
connections:
  filesystem:
    local: { default: true, base_dir: ./data }
  postgres:
    local: { host: 127.0.0.1, port: 5432, database: test, user: postgres, schema: ${pgSchema} }
  mysql:
    down:
      host: 127.0.0.1
      port: 1
      database: none
      user: \${ENVELOPE_USER:-root}
`;

export type Case = string[];
const QUEUE = 'redis://127.0.0.1:6379/0';
/** Success and failure arguments of every command (run in the project folder; `--json` is appended). */
export const CASES: Record<string, { ok: Case; fail: Case }> = {
  init: { ok: ['init', 'fresh'], fail: ['init', '.'] },
  validate: { ok: ['validate', 'pipelines/good.yaml'], fail: ['validate', 'pipelines/bad.yaml'] },
  'oml validate': {
    ok: ['oml', 'validate', 'pipelines/good.yaml'],
    fail: ['oml', 'validate', 'pipelines/bad.yaml'],
  },
  compile: { ok: ['compile', 'pipelines/good.yaml'], fail: ['compile', 'pipelines/bad.yaml'] },
  run: { ok: ['run', 'pipelines/good.yaml'], fail: ['run', 'pipelines/failing.yaml'] },
  'components list': { ok: ['components', 'list'], fail: ['components', 'list', '--mode', 'bogus'] },
  'components show': { ok: ['components', 'show', 'mysql.extractor'], fail: ['components', 'show', 'nope'] },
  'components validate': {
    ok: ['components', 'validate', 'mysql.extractor'],
    fail: ['components', 'validate', 'nope'],
  },
  'connections list': {
    ok: ['connections', 'list'],
    fail: ['connections', 'list', '--connections', 'missing.yaml'],
  },
  'connections doctor': {
    ok: ['connections', 'doctor', '@postgres.local'],
    fail: ['connections', 'doctor', '@mysql.down', '--timeout', '3000'],
  },
  'discovery run': {
    ok: ['discovery', 'run', '@postgres.local'],
    fail: ['discovery', 'run', '@filesystem.local'],
  },
  'logs list': { ok: ['logs', 'list'], fail: ['logs', 'list', '--limit', 'x'] },
  'logs show': { ok: ['logs', 'show', '--last'], fail: ['logs', 'show', 'nope'] },
  'logs last': { ok: ['logs', 'last'], fail: ['logs', 'last', '--pipeline', 'nope'] },
  'logs html': { ok: ['logs', 'html', '--last'], fail: ['logs', 'html', '--index', '--last'] },
  'logs gc': { ok: ['logs', 'gc'], fail: ['logs', 'gc', '--days', 'x'] },
  'logs aiop': { ok: ['logs', 'aiop', '--last'], fail: ['logs', 'aiop', '--last', '--format', 'xml'] },
  'state list': { ok: ['state', 'list'], fail: ['state', 'list', '--config', 'no-such.yaml'] },
  'state show': {
    ok: ['state', 'show', 'envelope-good', 'extract'],
    fail: ['state', 'show', 'envelope-good', 'nope'],
  },
  'state reset': {
    ok: ['state', 'reset', 'envelope-good', 'extract'],
    fail: ['state', 'reset', 'envelope-good', 'nope', '--apply'],
  },
  'runs list': { ok: ['runs', 'list', '--since', '1h'], fail: ['runs', 'list', '--since', 'yesterday'] },
  chat: { ok: ['chat', '--list'], fail: ['chat', 'copy the movies to csv'] },
  worker: { ok: ['worker', '--info'], fail: ['worker', '--info', '--protocol', '9'] },
  // The fleet: ok against the local Redis (NEEDS_REDIS), failing for want of a queue.
  'schedule add': {
    ok: [
      'schedule',
      'add',
      'pipelines/good.yaml',
      '--cron',
      '0 3 1 1 *',
      '--name',
      'cases',
      '--queue',
      QUEUE,
    ],
    fail: ['schedule', 'add', 'pipelines/good.yaml', '--cron', '0 3 1 1 *'],
  },
  'schedule list': { ok: ['schedule', 'list', '--queue', QUEUE], fail: ['schedule', 'list'] },
  'schedule remove': {
    ok: ['schedule', 'remove', 'cases-none', '--queue', QUEUE],
    fail: ['schedule', 'remove', 'cases-none'],
  },
  'fleet status': { ok: ['fleet', 'status', '--queue', QUEUE], fail: ['fleet', 'status'] },
  // stdin is empty: the stdio server starts, sees the client gone, and reports; --http needs a token.
  'mcp serve': { ok: ['mcp', 'serve'], fail: ['mcp', 'serve', '--http', '0'] },
  'mcp clients': { ok: ['mcp', 'clients'], fail: ['mcp', 'clients', '--project', 'no-such-folder'] },
  'mcp selftest': { ok: ['mcp', 'selftest'], fail: ['mcp', 'selftest', '--project', 'no-such-folder'] },
  'dump-prompts': {
    ok: ['dump-prompts'],
    fail: ['dump-prompts', '--export', '--dir', 'pipelines/good.yaml'],
  },
};

/** Cases that need a database server. */
export const NEEDS_POSTGRES = new Set(['connections doctor ok', 'discovery run ok']);
/** Cases that need the local Redis (the fleet's queue). */
export const NEEDS_REDIS = new Set([
  'schedule add ok',
  'schedule list ok',
  'schedule remove ok',
  'fleet status ok',
]);

/** No model may be reachable: `chat <message>` must fail for want of one, not call a provider. */
export const ENV = {
  OPENAI_API_KEY: '',
  ANTHROPIC_API_KEY: '',
  GOOGLE_GENERATIVE_AI_API_KEY: '',
  OSIRIS_LLM_API_KEY: '',
  OSIRIS_LLM_PROVIDER: '',
  OSIRIS_LLM_BASE_URL: '',
  OSIRIS_MCP_TOKEN: '',
  // The fleet cases share one fixed prefix: `schedule add` upserts the same schedule every time.
  OSIRIS_QUEUE: '',
  OSIRIS_QUEUE_PREFIX: 'fleet_cases',
};

/** Runs `jobs` at most `width` at a time (2 cores shared with other suites). */
export async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

/** A fresh project: osiris init, a CSV, the pipelines and connections the cases name. */
export function setUpProject(prefix: string): string {
  const project = tempDir(prefix);
  expect(runCli(['init', '.'], { cwd: project }).code).toBe(0);
  mkdirSync(join(project, 'data'), { recursive: true });
  writeFileSync(join(project, 'data/in.csv'), 'id\n1\n2\n');
  writeFileSync(join(project, 'pipelines/good.yaml'), GOOD);
  writeFileSync(join(project, 'pipelines/bad.yaml'), BAD);
  writeFileSync(join(project, 'pipelines/failing.yaml'), FAILING);
  writeFileSync(join(project, 'osiris_connections.yaml'), CONNECTIONS);
  // A file target's cursor state, for `osiris state show/reset` (docs/reference/incremental.md).
  mkdirSync(join(project, '.osiris/state/envelope-good'), { recursive: true });
  writeFileSync(
    join(project, '.osiris/state/envelope-good/extract--write.json'),
    JSON.stringify({
      state: {
        pipeline_id: 'envelope-good',
        step_id: 'extract',
        source: '@filesystem',
        target_step: 'write',
        cursor_column: 'id',
        cursor_value: '2',
        cursor_kind: 'number',
        run_id: 'r1',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
      store: { kind: 'file' },
    }),
  );
  return project;
}
