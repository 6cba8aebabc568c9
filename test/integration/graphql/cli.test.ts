// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipelines and connections write ${VAR} references literally
/**
 * graphql.extractor as a user runs it: `osiris run` (the built CLI) against a real GraphQL server on
 * 127.0.0.1, a `@graphql` connection whose bearer token comes from the environment, a header from a
 * `${VAR}` in the step, all pages into CSV and Parquet; a GraphQL error exits 1 with the message and
 * path. The token must appear in no file the runs leave behind and in nothing the CLI printed.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempDir } from '../../helpers/cli.js';
import {
  CREDENTIALS,
  startGraphQLServer,
  type TestGraphQLServer,
  USER_COUNT,
} from '../../helpers/graphql-server.js';

let server: TestGraphQLServer;
let project: string;
const env = { GQL_TOKEN: CREDENTIALS.token, GQL_TENANT: 'tenant-42' };

const pipeline = (name: string, source: string, fields: string) => `oml_version: "0.1.0"
name: ${name}
steps:
  - id: read-users
    component: graphql.extractor
    mode: read
    config:
${source}
      query: |
        query($after: String) {
          users(first: 100, after: $after) {
            pageInfo { hasNextPage endCursor }
            edges { node { id name score owner { login } ${fields} } }
          }
        }
      data_path: data.users.edges[*].node
      pagination_enabled: true
      pagination_path: data.users.pageInfo
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [read-users]
    config:
      path: out/users.csv
  - id: write-parquet
    component: filesystem.parquet_writer
    mode: write
    needs: [read-users]
    config:
      path: out/users.parquet
`;

/** Without a connection: the endpoint and a header (a \${VAR} reference, headers are secret) in the step. */
const inline = (endpoint: string) => `      endpoint: ${endpoint}
      headers:
        X-Tenant: \${GQL_TENANT}`;

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

beforeAll(async () => {
  server = await startGraphQLServer();
  project = tempDir('osiris-graphql-cli-');
  writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
  writeFileSync(
    join(project, 'osiris_connections.yaml'),
    `version: "1.0"
connections:
  graphql:
    api:
      endpoint: ${server.url('/bearer')}
      auth_type: bearer
      token: \${GQL_TOKEN}
      headers:
        X-Tenant: \${GQL_TENANT}
    wrong:
      url: ${server.url('/bearer')}
      auth_type: bearer
      token: not-the-token
`,
  );
  writeFileSync(join(project, 'users.yaml'), pipeline('gql-users', '      connection: "@graphql.api"', ''));
  writeFileSync(join(project, 'broken.yaml'), pipeline('gql-broken', inline(server.url()), 'boom'));
});

afterAll(async () => {
  await server?.close();
});

describe('osiris run with graphql.extractor', () => {
  it('reads every page into CSV and Parquet, fails on a GraphQL error, and never writes the token', {
    timeout: 60_000,
  }, async () => {
    const ok = await runCliAsync(['run', 'users.yaml'], { cwd: project, env });
    expect(ok.code, ok.stderr).toBe(0);
    const sent = server.requests.filter((r) => r.path === '/bearer');
    expect(sent).toHaveLength(3);
    expect(sent.every((r) => r.headers['x-tenant'] === 'tenant-42')).toBe(true);

    const csv = readFileSync(join(project, 'out/users.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(USER_COUNT + 1);
    expect(csv[0]).toBe('id,name,score,owner,owner.login');
    expect(csv[1]).toBe('u1,User 1,1.0,,');
    expect(csv[102]).toBe('u102,User 102,102.5,,owner2');

    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const file = join(project, 'out/users.parquet').replaceAll("'", "''");
    const described = await duck.runAndReadAll(`DESCRIBE SELECT * FROM '${file}'`);
    expect(described.getRowObjectsJson().map((r) => `${r.column_name} ${r.column_type}`)).toEqual([
      'id VARCHAR',
      'name VARCHAR',
      'score DOUBLE',
      'owner VARCHAR',
      'owner.login VARCHAR',
    ]);
    duck.closeSync();

    const bad = await runCliAsync(['run', 'broken.yaml'], { cwd: project, env });
    expect(bad.code).toBe(1);
    expect(server.requests.filter((r) => r.path === '/graphql').map((r) => r.headers['x-tenant'])).toEqual([
      'tenant-42',
    ]);
    expect(bad.stderr).toContain(
      'boom failed for user 7 (at line 4, column 50 of the query; path users.edges.6.node.boom)',
    );

    const leaks = allFiles(project)
      .filter((f) => !f.endsWith('osiris_connections.yaml'))
      .filter((f) => readFileSync(f).toString('latin1').includes(CREDENTIALS.token));
    expect(leaks).toEqual([]);
    for (const out of [ok.stdout, ok.stderr, bad.stdout, bad.stderr])
      expect(out).not.toContain(CREDENTIALS.token);
  });

  it('runs a step written for the Python tool as is (inline endpoint and ${VAR} token, its keys and defaults)', async () => {
    writeFileSync(
      join(project, 'python-style.yaml'),
      `oml_version: "0.1.0"
name: gql-python-style
steps:
  - id: fetch-users
    component: graphql.extractor
    mode: read
    config:
      endpoint: ${server.url('/bearer')}
      query: "query($after: String) { users(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes: edges { node { id owner { login } } } } }"
      variables: {}
      auth_type: bearer
      auth_token: \${GQL_TOKEN}
      timeout: 30
      max_retries: 3
      retry_delay: 1.0
      pagination_enabled: true
      pagination_path: data.users.pageInfo
      pagination_cursor_field: endCursor
      pagination_has_next_field: hasNextPage
      pagination_variable_name: after
      max_pages: 2
      data_path: data.users.nodes[*].node
      flatten_result: true
      validate_ssl: true
  - id: save
    component: filesystem.csv_writer
    mode: write
    needs: [fetch-users]
    config:
      path: out/python-style.csv
`,
    );
    const run = await runCliAsync(['run', 'python-style.yaml'], { cwd: project, env });
    expect(run.code, run.stderr).toBe(0);
    const csv = readFileSync(join(project, 'out/python-style.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(201);
    expect(csv[0]).toBe('id,owner,owner.login');
    expect(run.stdout + run.stderr).not.toContain(CREDENTIALS.token);
  });

  it('connections doctor asks each @graphql connection for { __typename } with its credentials', async () => {
    const doctor = await runCliAsync(['connections', 'doctor', '--json'], { cwd: project, env });
    expect(doctor.code).toBe(1);
    const { results } = JSON.parse(doctor.stdout) as {
      results: Array<{ connection: string; status: string }>;
    };
    expect(results.map((r) => [r.connection, r.status])).toEqual([
      ['@graphql.api', 'ok'],
      ['@graphql.wrong', 'auth_failed'],
    ]);
    expect(doctor.stdout).not.toContain(CREDENTIALS.token);
  });
});
