/**
 * The canary test of the one redaction policy (issue 5): a unique secret is planted in the environment and
 * in osiris_connections.yaml (as a `${VAR}` reference and as the password inside a DSN), a succeeding and a
 * failing pipeline run through the CLI binary, every export is produced (`logs show/list --json`,
 * `logs aiop` JSON + Markdown + annex, `logs html`, `connections list`, `validate`), and then every file under
 * the project folder and every byte the CLI printed is searched for the canary. It must appear nowhere except
 * in the connections file the test itself wrote.
 *
 * The pipelines use a project component, `canary.leaky`, whose driver deliberately copies the secrets it is
 * given into events, metric names, writer outputs and its error message: the policy has to catch what a
 * careless driver does. When the PostgreSQL extractor driver exists and the server answers, the same is done
 * with real `postgres.extractor` runs (trust auth: the canary as password is accepted). And a team's edited
 * pro-mode prompt files (`dump-prompts --export`, then `chat --pro-mode`) holding the canary: the model
 * (the scripted fake provider) must receive them with the canary masked. The canary is also a
 * `graphql.extractor` bearer token: a GraphQL server (graphql-yoga, in a worker thread so that it answers while
 * the CLI runs synchronously) accepts only that token, and in the failing run echoes it in a GraphQL error.
 *
 * To prove the test can fail, point it at a build whose redactor is disabled:
 * `OSIRIS_CANARY_BIN=/path/to/broken/bin/osiris.js npx vitest run test/integration/canary.test.ts`.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OSIRIS_BIN, REPO_ROOT, runCliAsync, tempDir } from '../helpers/cli.js';
import { POSTGRES, postgresUnavailable } from '../helpers/databases.js';
import { startFakeLlm } from '../helpers/fake-llm.js';
import { REMOTE_TARGETS } from '../helpers/targets.js';

const CANARY = `osiris-canary-${randomBytes(8).toString('hex')}`;
const BIN = process.env.OSIRIS_CANARY_BIN ?? OSIRIS_BIN;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Files the test writes itself that legitimately hold the canary (inputs, not outputs). */
const INPUT_FILES = new Set([
  'osiris_connections.yaml',
  '.osiris_prompts/system.md',
  '.osiris_prompts/fast_mode.md',
]);

interface Transcript {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

let project: string;
const transcripts: Transcript[] = [];
let pgEnabled = false;
let graphqlServer: Worker | undefined;

/**
 * A GraphQL server that answers only `Authorization: Bearer <canary>` (401 otherwise); its `leak` field fails
 * with a GraphQL error quoting the header it got, as a careless server would.
 */
const GRAPHQL_SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createServer } = require('node:http');
const { GraphQLError } = require('graphql');
const { createSchema, createYoga } = require('graphql-yoga');
const yoga = createYoga({
  logging: false,
  maskedErrors: false,
  context: ({ request }) => ({ auth: request.headers.get('authorization') }),
  schema: createSchema({
    typeDefs: 'type Item { id: Int! label: String! } type Query { items: [Item!]! leak: String }',
    resolvers: {
      Query: {
        items: () => [{ id: 1, label: 'one' }, { id: 2, label: 'two' }],
        leak: (_, __, ctx) => { throw new GraphQLError('denied for ' + ctx.auth); },
      },
    },
  }),
});
const server = createServer((req, res) => {
  if (req.headers.authorization !== 'Bearer ' + workerData.token) return res.writeHead(401).end('bad token');
  return yoga(req, res);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

function startGraphQLServer(): Promise<number> {
  const worker = new Worker(GRAPHQL_SERVER, { eval: true, workerData: { token: CANARY } });
  graphqlServer = worker;
  return new Promise((resolve, reject) => {
    worker.once('message', (port: number) => resolve(port));
    worker.once('error', reject);
  });
}

afterAll(async () => {
  await graphqlServer?.terminate();
});

function osiris(args: string[], env: Record<string, string> = {}): Transcript {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: project,
    env: { ...process.env, NO_COLOR: '1', OSIRIS_CANARY_SECRET: CANARY, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const t = {
    command: `osiris ${args.join(' ')}`,
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
  };
  transcripts.push(t);
  return t;
}

function write(rel: string, text: string): void {
  const path = join(project, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...allFiles(path));
    else if (st.isFile()) out.push(path);
  }
  return out;
}

/** `…context <CANARY> context…` around each hit, for a readable failure message. */
function hits(label: string, text: string): string[] {
  const out: string[] = [];
  let at = text.indexOf(CANARY);
  while (at !== -1 && out.length < 3) {
    const excerpt = text.slice(Math.max(0, at - 60), at + CANARY.length + 60).replaceAll(CANARY, '<CANARY>');
    out.push(`${label}: …${excerpt.replace(/\s+/g, ' ')}…`);
    at = text.indexOf(CANARY, at + 1);
  }
  return out;
}

const LEAKY_SPEC = `name: canary.leaky
version: 1.0.0
title: Leaky canary (test double)
description: Deliberately copies the secrets it is given into events, metric names, outputs and errors.
modes: [extract, write]
capabilities:
  discover: false
configSchema:
  type: object
  properties:
    connection:
      type: string
    api_token:
      type: string
      description: A secret token; only ever a \${VAR} reference.
    fail:
      type: boolean
      default: false
  additionalProperties: false
secrets:
  - /api_token
x-secret:
  - /api_token
  - /resolved_connection/password
  - /resolved_connection/dsn
x-connection-fields:
  - name: host
    override: allowed
`;

const LEAKY_DRIVER = `import { createHash } from 'node:crypto';
const sha = (t) => createHash('sha256').update(t).digest('hex');
export const driver = {
  async run(ctx) {
    const f = ctx.connection ? ctx.connection.fields : {};
    const pw = String(f.password ?? '');
    const dsn = String(f.dsn ?? '');
    const token = String(ctx.config.api_token ?? '');
    // Proof (hashes, not the secret) that the driver really received the canary. Neutral key names: a key
    // like proof_token would itself be masked.
    ctx.emit('canary.received', { proof_a: sha(token), proof_b: sha(pw), proof_c: sha(dsn) });
    ctx.emit('leak.attempt', {
      note: 'connecting with password ' + pw + ' and token ' + token,
      dsn,
      url: 'postgresql://etl:' + pw + '@db.internal:5432/shop',
      header: 'Authorization: Bearer ' + token,
      nested: { password: pw, items: [token, 'token=' + token] },
    });
    ctx.metric('leak_' + token, 1);
    if (ctx.config.fail) throw new Error('cannot connect to ' + dsn + ' (password ' + pw + ', token ' + token + ')');
    if (ctx.inputs.length > 0) {
      return {
        rowsIn: 3,
        rowsWritten: 3,
        outputs: ['postgresql://etl:' + pw + '@db.internal:5432/shop#orders', 'vault/' + token + '.csv'],
      };
    }
    await ctx.duck.run('CREATE TABLE ' + ctx.outputTable + ' AS SELECT * FROM range(3) t(i)');
    return { rowsOut: 3, rowsRead: 3 };
  },
};
`;

beforeAll(async () => {
  project = tempDir('osiris-canary-');
  write('osiris.yaml', 'version: "2.0"\n');
  const graphqlPort = await startGraphQLServer();
  write(
    'osiris_connections.yaml',
    `version: "1.0"
connections:
  canary:
    main:
      default: true
      host: db.internal
      password: \${OSIRIS_CANARY_SECRET}
    dsn_alias:
      host: db.internal
      dsn: postgresql://etl:${CANARY}@db.internal:5432/shop
  graphql:
    canary_api:
      endpoint: http://127.0.0.1:${graphqlPort}/graphql
      auth_type: bearer
      token: \${OSIRIS_CANARY_SECRET}
  postgres:
    canary_env:
      host: ${POSTGRES.host}
      port: ${POSTGRES.port}
      database: ${POSTGRES.database}
      user: ${POSTGRES.user}
      password: \${OSIRIS_CANARY_SECRET}
    canary_dsn:
      host: ${POSTGRES.host}
      port: ${POSTGRES.port}
      database: ${POSTGRES.database}
      user: ${POSTGRES.user}
      dsn: postgresql://${POSTGRES.user}:${CANARY}@${POSTGRES.host}:${POSTGRES.port}/${POSTGRES.database}
`,
  );
  write('components/canary.leaky/spec.yaml', LEAKY_SPEC);
  write('components/canary.leaky/package.json', '{"type":"module"}\n');
  write('components/canary.leaky/driver.js', LEAKY_DRIVER);
  write(
    'pipelines/ok.yaml',
    `oml_version: "0.1.0"
name: canary-ok
steps:
  - id: leak-read
    component: canary.leaky
    mode: read
    config:
      connection: "@canary.main"
      api_token: \${OSIRIS_CANARY_SECRET}
  - id: leak-write
    component: canary.leaky
    mode: write
    needs: [leak-read]
    config:
      connection: "@canary.main"
      api_token: \${OSIRIS_CANARY_SECRET}
`,
  );
  write(
    'pipelines/bad.yaml',
    `oml_version: "0.1.0"
name: canary-bad
steps:
  - id: leak-read
    component: canary.leaky
    mode: read
    config:
      connection: "@canary.dsn_alias"
      api_token: \${OSIRIS_CANARY_SECRET}
      fail: true
`,
  );
  for (const [name, field] of [
    ['gql-ok', 'items { id label }'],
    ['gql-bad', 'leak'],
  ])
    write(
      `pipelines/${name}.yaml`,
      `oml_version: "0.1.0"
name: canary-${name}
steps:
  - id: read-api
    component: graphql.extractor
    mode: read
    config:
      connection: "@graphql.canary_api"
      query: "{ ${field} }"
      data_path: data.items
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [read-api]
    config:
      path: out/${name}.csv
`,
    );

  const pgDriver = existsSync(join(REPO_ROOT, 'dist', 'components', 'postgres.extractor', 'driver.js'));
  pgEnabled = pgDriver && (await postgresUnavailable()) === undefined;
  if (!pgDriver)
    console.warn('canary: postgres.extractor has no driver yet; running the canary.leaky pipelines only');
  if (pgEnabled) {
    write(
      'pipelines/pg-ok.yaml',
      `oml_version: "0.1.0"
name: canary-pg-ok
steps:
  - id: read-pg
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.canary_env"
      query: SELECT 1 AS one, 'x' AS label
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [read-pg]
    config:
      path: out/pg-ok.csv
`,
    );
    write(
      'pipelines/pg-bad.yaml',
      `oml_version: "0.1.0"
name: canary-pg-bad
steps:
  - id: read-pg
    component: postgres.extractor
    mode: read
    config:
      connection: "@postgres.canary_dsn"
      table: osiris_canary_table_that_does_not_exist
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [read-pg]
    config:
      path: out/pg-bad.csv
`,
    );
  }
});

/** `osiris <args>` without blocking the event loop (the fake LLM server runs in this process). */
async function osirisAsync(args: string[], env: NodeJS.ProcessEnv): Promise<Transcript> {
  const r = await runCliAsync(args, {
    cwd: project,
    env: { OSIRIS_CANARY_SECRET: CANARY, ...env },
    timeoutMs: 60_000,
  });
  const t = { command: `osiris ${args.join(' ')}`, code: r.code, stdout: r.stdout, stderr: r.stderr };
  transcripts.push(t);
  return t;
}

describe('canary: the secret appears nowhere', () => {
  // First, so the search of the second test covers the chat session's files and output too.
  it('never reaches the model from an edited pro-mode prompt file', async () => {
    const llm = await startFakeLlm({ turns: [{ text: 'Noted.' }] });
    try {
      expect(osiris(['dump-prompts', '--export']).code).toBe(0);
      // A team pastes a credential into the exported prompts (the resolved value of a connection secret).
      const system = join(project, '.osiris_prompts', 'system.md');
      writeFileSync(
        system,
        `${readFileSync(system, 'utf8')}\nTEAM NOTE: the warehouse password is ${CANARY}\n`,
      );
      writeFileSync(join(project, '.osiris_prompts', 'fast_mode.md'), `FAST mode. Token: ${CANARY}\n`);
      const chat = await osirisAsync(['chat', '--pro-mode', 'FAST: hello', '--json'], {
        OSIRIS_LLM_PROVIDER: 'openai-compatible',
        OSIRIS_LLM_BASE_URL: llm.baseUrl,
        OSIRIS_LLM_MODEL: 'canary-model',
      });
      expect(chat.code, chat.stderr).toBe(0);
      // The edited prompts were sent, with the secret masked.
      const sent = llm.requests[0]?.system ?? '';
      expect(sent).toContain('TEAM NOTE: the warehouse password is ***');
      expect(sent).toContain('FAST mode. Token: ***');
      const leaks = llm.rawBodies.flatMap((body, i) => hits(`model request #${i}`, body));
      expect(leaks, `the canary reached the model:\n${leaks.join('\n')}`).toEqual([]);
      expect(llm.rawBodies.length).toBe(1);
    } finally {
      await llm.close();
    }
  });

  it('runs, exports everything, and finds the canary in no output file and no CLI output', {
    timeout: 300_000,
  }, async () => {
    // 1. Runs: a success and a failure, human and --json output.
    const ok = osiris(['run', 'pipelines/ok.yaml']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(osiris(['run', 'pipelines/ok.yaml', '--json']).code).toBe(0);
    const bad = osiris(['run', 'pipelines/bad.yaml']);
    expect(bad.code).toBe(1);
    expect(osiris(['run', 'pipelines/bad.yaml', '--json']).code).toBe(1);
    const gqlOk = osiris(['run', 'pipelines/gql-ok.yaml']);
    expect(gqlOk.code, gqlOk.stderr).toBe(0);
    expect(readFileSync(join(project, 'out/gql-ok.csv'), 'utf8')).toBe('id,label\n1,one\n2,two\n');
    const gqlBad = osiris(['run', 'pipelines/gql-bad.yaml']);
    expect(gqlBad.code).toBe(1);
    expect(gqlBad.stderr).toContain('denied for Bearer ***');
    if (pgEnabled) {
      expect(osiris(['run', 'pipelines/pg-ok.yaml']).code).toBe(0);
      expect(osiris(['run', 'pipelines/pg-bad.yaml']).code).toBe(1);
    }
    // The same on every remote target; the worker's folder is kept inside the project, so the search
    // below covers everything the worker wrote too.
    for (const target of REMOTE_TARGETS) {
      const env = { TMPDIR: join(project, 'worker-tmp'), OSIRIS_WORKER_KEEP_DIR: '1', ...target.env?.() };
      mkdirSync(env.TMPDIR, { recursive: true });
      target.workDir?.(env.TMPDIR);
      await target.useProject?.(project, { ...env, OSIRIS_CANARY_SECRET: CANARY });
      // Not blocking: a target's emulator (e2b) answers from this process.
      const remoteOk = await osirisAsync(['run', 'pipelines/ok.yaml', '--target', target.name], env);
      expect(remoteOk.code, remoteOk.stderr).toBe(0);
      expect((await osirisAsync(['run', 'pipelines/bad.yaml', '--target', target.name], env)).code).toBe(1);
      // The queue carries no secret: nothing the runs left in Redis holds the canary.
      const stored = (await target.stored?.()) ?? '';
      const at = stored.indexOf(CANARY);
      expect(
        at < 0,
        `${target.name} stored the canary: …${stored.slice(Math.max(0, at - 300), at + 50)}…`,
      ).toBe(true);
    }

    // 2. Exports of every run.
    const list = osiris(['logs', 'list', '--json', '--limit', '0']);
    const runs = (
      JSON.parse(list.stdout) as {
        runs: Array<{ run_id: string; pipeline_slug: string; profile: string | null; run_dir: string }>;
      }
    ).runs;
    expect(runs.length).toBe((pgEnabled ? 8 : 6) + 2 * REMOTE_TARGETS.length);
    const html = osiris(['logs', '--help']).stdout.includes('html');
    for (const run of runs) {
      expect(osiris(['logs', 'show', run.run_id, '--json']).code).toBe(0);
      expect(osiris(['logs', 'show', run.run_id]).code).toBe(0);
      expect(osiris(['logs', 'aiop', run.run_id, '--policy', 'annex', '--compress', 'gzip']).code).toBe(0);
      expect(osiris(['logs', 'aiop', run.run_id, '--format', 'md']).code).toBe(0);
      expect(osiris(['logs', 'aiop', run.run_id, '--json']).code).toBe(0);
      expect(osiris(['logs', 'aiop', run.run_id, '--out', `exports/${run.run_id}.json`]).code).toBe(0);
      if (html) expect(osiris(['logs', 'html', run.run_id]).code).toBe(0);
    }
    osiris(['logs', 'last', '--json']);
    if (html) osiris(['logs', 'html', '--index']);
    osiris(['connections', 'list']);
    osiris(['connections', 'list', '--json']);
    osiris(['validate']);
    osiris(['validate', '--json']);

    // 3. The exports exist (the search below is not vacuous) and the secrets really reached the driver.
    for (const run of runs) {
      const pkg = join(project, 'aiop', run.profile ?? '', run.pipeline_slug, run.run_id);
      for (const f of [
        'summary.json',
        'run-card.md',
        'annex/timeline.ndjson.gz',
        'annex/metrics.ndjson.gz',
      ]) {
        expect(existsSync(join(pkg, f)), `${relative(project, pkg)}/${f}`).toBe(true);
      }
      expect(existsSync(join(project, 'exports', `${run.run_id}.json`))).toBe(true);
    }
    const okRun = runs.find((r) => r.run_dir.includes('/canary-ok/')) as { run_dir: string };
    const events = readFileSync(join(project, okRun.run_dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const proof = events.find((e) => e.event === 'canary.received');
    expect(proof?.proof_a, 'the env reference in the step config resolved to the canary').toBe(sha(CANARY));
    expect(proof?.proof_b, 'the env reference in the connection resolved to the canary').toBe(sha(CANARY));
    const badRun = runs.find((r) => r.run_dir.includes('/canary-bad/')) as { run_dir: string };
    const badEvents = readFileSync(join(project, badRun.run_dir, 'events.jsonl'), 'utf8');
    expect(badEvents, 'the DSN alias reached the driver').toContain(
      `"proof_c":"${sha(`postgresql://etl:${CANARY}@db.internal:5432/shop`)}"`,
    );

    // 4. The search.
    const leaks: string[] = [];
    const files = allFiles(project).filter((f) => !INPUT_FILES.has(relative(project, f)));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      let bytes = readFileSync(file);
      if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
      leaks.push(...hits(relative(project, file), bytes.toString('latin1')));
      leaks.push(...hits(`${relative(project, file)} (utf-16)`, bytes.toString('utf16le')));
    }
    for (const t of transcripts) {
      leaks.push(...hits(`stdout of \`${t.command}\``, t.stdout));
      leaks.push(...hits(`stderr of \`${t.command}\``, t.stderr));
    }
    expect(leaks, `the canary leaked:\n${leaks.join('\n')}`).toEqual([]);

    // 5. What masking looks like where the driver leaked (after the search, so a leak is reported as such).
    const leak = events.find((e) => e.event === 'leak.attempt') as Record<string, unknown>;
    expect(leak.note).toBe('connecting with password *** and token ***');
    expect(bad.stderr).toContain('cannot connect to ***');
  });
});
