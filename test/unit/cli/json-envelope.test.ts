/**
 * Every command's `--json` output against docs/reference/cli-json.schema.json: each command found in the
 * commander program must have a success case and a failure case here (a new command fails this test until
 * it is added); command-line usage errors for a sample. One document on stdout, `ok` exactly when exit 0, no stack.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/main.js';
import { newAjv } from '../../../src/util/ajv.js';
import { REPO_ROOT, runCli, runCliAsync, tempDir } from '../../helpers/cli.js';
import { postgresUnavailable, uniqueName } from '../../helpers/databases.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/reference/cli-json.schema.json'), 'utf8'));
const validate = newAjv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

/** `logs list`, `run`, …: every command that has an action (no subcommands). */
function leafCommands(command: Command, path: string[] = []): string[] {
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

type Case = string[];
/** Success and failure arguments of every command (run in the project folder; `--json` is appended). */
const CASES: Record<string, { ok: Case; fail: Case }> = {
  init: { ok: ['init', 'fresh'], fail: ['init', '.'] },
  validate: { ok: ['validate', 'pipelines/good.yaml'], fail: ['validate', 'pipelines/bad.yaml'] },
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
  'runs list': { ok: ['runs', 'list', '--since', '1h'], fail: ['runs', 'list', '--since', 'yesterday'] },
  chat: { ok: ['chat', '--list'], fail: ['chat', 'copy the movies to csv'] },
  'dump-prompts': {
    ok: ['dump-prompts'],
    fail: ['dump-prompts', '--export', '--dir', 'pipelines/good.yaml'],
  },
};

/** Usage errors come from commander, the same way for every command: a few stand for all. */
const USAGE_SAMPLE = ['run', 'logs show', 'connections doctor'];

/** Cases that need a database server. */
const NEEDS_POSTGRES = new Set(['connections doctor ok', 'discovery run ok']);

/** No model may be reachable: `chat <message>` must fail for want of one, not call a provider. */
const ENV = {
  OPENAI_API_KEY: '',
  ANTHROPIC_API_KEY: '',
  GOOGLE_GENERATIVE_AI_API_KEY: '',
  OSIRIS_LLM_API_KEY: '',
  OSIRIS_LLM_PROVIDER: '',
  OSIRIS_LLM_BASE_URL: '',
};

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function checkEnvelope(label: string, r: Outcome): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`${label}: stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  expect(validate(doc), `${label}: ${JSON.stringify(validate.errors)}\n${r.stdout}`).toBe(true);
  expect(doc.ok, `${label}: ok must be true exactly when the exit code is 0 (exit ${r.code})`).toBe(
    r.code === 0,
  );
  expect(r.stderr, label).not.toMatch(/^\s+at |Unhandled|node:internal/m);
  return doc;
}

const program = buildProgram();
const leaves = leafCommands(program);
let project = '';
const results = new Map<string, Outcome>();
let pgMissing: string | undefined;

/** Runs `jobs` at most `width` at a time (2 cores shared with other suites). */
async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
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

beforeAll(async () => {
  pgMissing = await postgresUnavailable();
  project = tempDir('osiris-envelope-');
  expect(runCli(['init', '.'], { cwd: project }).code).toBe(0);
  mkdirSync(join(project, 'data'), { recursive: true });
  writeFileSync(join(project, 'data/in.csv'), 'id\n1\n2\n');
  writeFileSync(join(project, 'pipelines/good.yaml'), GOOD);
  writeFileSync(join(project, 'pipelines/bad.yaml'), BAD);
  writeFileSync(join(project, 'pipelines/failing.yaml'), FAILING);
  writeFileSync(join(project, 'osiris_connections.yaml'), CONNECTIONS);
  // The runs first: the logs commands read them.
  const run = CASES.run as { ok: Case; fail: Case };
  for (const kind of ['ok', 'fail'] as const) {
    results.set(`run ${kind}`, runCli([...run[kind], '--json'], { cwd: project, env: ENV }));
  }
  const jobs: Array<() => Promise<void>> = [];
  for (const [name, c] of Object.entries(CASES)) {
    if (name === 'run') continue;
    for (const kind of ['ok', 'fail'] as const) {
      if (pgMissing && NEEDS_POSTGRES.has(`${name} ${kind}`)) continue;
      jobs.push(async () => {
        results.set(`${name} ${kind}`, await runCliAsync([...c[kind], '--json'], { cwd: project, env: ENV }));
      });
    }
  }
  for (const name of USAGE_SAMPLE) {
    jobs.push(async () => {
      const args = [...name.split(' '), '--no-such-flag', '--json'];
      results.set(`${name} usage`, await runCliAsync(args, { cwd: project, env: ENV }));
    });
  }
  await pool(jobs, 4);
}, 180_000);

describe('--json envelope', () => {
  it('has a success and a failure case for every command of the program', () => {
    expect(leaves.length).toBeGreaterThan(15);
    expect(Object.keys(CASES).sort()).toEqual([...leaves].sort());
  });

  it.each(leaves)('%s: success is {ok: true, …, diagnostics}', (name) => {
    const r = results.get(`${name} ok`);
    if (!r) return; // needs a server this machine lacks (postgresUnavailable said why)
    const doc = checkEnvelope(`${name} ok`, r);
    expect(doc.ok, `${name}: ${r.stdout}${r.stderr}`).toBe(true);
    expect(doc.error).toBeUndefined();
  });

  it.each(leaves)('%s: failure is {ok: false, error: {code, message, …}}', (name) => {
    const r = results.get(`${name} fail`) as Outcome;
    const doc = checkEnvelope(`${name} fail`, r);
    expect(doc.ok, `${name}: ${r.stdout}`).toBe(false);
    expect(r.code).toBeGreaterThan(0);
  });

  it.each(USAGE_SAMPLE)('%s: a usage error is CLI001, exit 2', (name) => {
    const r = results.get(`${name} usage`) as Outcome;
    const doc = checkEnvelope(`${name} usage`, r);
    expect(r.code).toBe(2);
    expect(doc.error).toMatchObject({ code: 'CLI001', message: "unknown option '--no-such-flag'" });
    expect((doc.error as { hint: string }).hint).toBe(`run \`osiris ${name} --help\` for usage`);
  });

  it('locates errors: a validation error by file:line:col, a failed run by step', () => {
    const invalid = JSON.parse((results.get('validate fail') as Outcome).stdout);
    expect(invalid.error).toMatchObject({
      code: 'OML013',
      hint: "did you mean 'duckdb.processor'?",
      location: { file: 'pipelines/bad.yaml', line: 9, col: 16, path: 'steps[1].component', step: 'double' },
    });
    expect(invalid.diagnostics.filter((d: { severity: string }) => d.severity === 'error')).toHaveLength(1);
    const failed = results.get('run fail') as Outcome;
    expect(failed.code).toBe(1);
    const run = JSON.parse(failed.stdout);
    expect(run).toMatchObject({ ok: false, status: 'failed', error: { location: { step: 'extract' } } });
    expect(run.run_id).toEqual(expect.any(String));
  });

  it('keeps the old `--file` spelling of `connections list --connections`', async () => {
    const r = await runCliAsync(['connections', 'list', '--file', 'missing.yaml', '--json'], {
      cwd: project,
    });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'CON001', location: { file: 'missing.yaml' } });
  });
});
