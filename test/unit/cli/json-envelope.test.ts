/**
 * Every command's `--json` output against docs/reference/cli-json.schema.json: each command found in the
 * commander program must have a success case and a failure case here (a new command fails this test until
 * it is added); command-line usage errors for a sample. One document on stdout, `ok` exactly when exit 0, no stack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/main.js';
import { newAjv } from '../../../src/util/ajv.js';
import { REPO_ROOT, runCli, runCliAsync } from '../../helpers/cli.js';
import { postgresUnavailable } from '../../helpers/databases.js';
import { redisUnavailable } from '../../helpers/fleet.js';
import {
  CASES,
  type Case,
  ENV,
  leafCommands,
  NEEDS_POSTGRES,
  NEEDS_REDIS,
  pool,
  setUpProject,
} from './cases.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/reference/cli-json.schema.json'), 'utf8'));
const validate = newAjv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

/** Usage errors come from commander, the same way for every command: a few stand for all. */
const USAGE_SAMPLE = ['run', 'logs show', 'connections doctor'];

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
let redisMissing: string | undefined;

beforeAll(async () => {
  pgMissing = await postgresUnavailable();
  redisMissing = await redisUnavailable();
  project = setUpProject('osiris-envelope-');
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
      if (redisMissing && NEEDS_REDIS.has(`${name} ${kind}`)) continue;
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
