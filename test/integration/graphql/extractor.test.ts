/**
 * graphql.extractor's driver against a real GraphQL server (graphql-yoga on 127.0.0.1): Relay and custom
 * cursor pagination page by page, flattening vs JSON, auth headers, GraphQL errors, 429 with Retry-After,
 * 5xx backoff, timeouts, max_pages and a schema mismatch between pages. The CLI path is in cli.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/graphql.extractor/driver.js';
import { retryAfterMs } from '../../../src/connectors/graphql/http.js';
import type { ResolvedConnection, StepError } from '../../../src/runtime/driver.js';
import type { JsonObject } from '../../../src/yaml/json.js';
import {
  CREDENTIALS,
  EVENT_COUNT,
  startGraphQLServer,
  type TestGraphQLServer,
  USER_COUNT,
} from '../../helpers/graphql-server.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

const USERS_QUERY = `query($after: String) {
  users(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name age score active owner { login team { name } } tags } }
  }
}`;

const relay = (endpoint: string, extra: JsonObject = {}): JsonObject => ({
  endpoint,
  query: USERS_QUERY,
  data_path: 'data.users.edges[*].node',
  pagination_enabled: true,
  pagination_path: 'data.users.pageInfo',
  retry_delay: 0.05,
  ...extra,
});

const EVENTS_QUERY = `query($cursor: String, $mismatch: Boolean) {
  events(cursor: $cursor, limit: 10, mismatch: $mismatch) { next more items { id kind payload } }
}`;

const custom = (endpoint: string, extra: JsonObject = {}): JsonObject => ({
  endpoint,
  query: EVENTS_QUERY,
  data_path: '$.data.events.items',
  pagination_enabled: true,
  pagination_path: 'data.events',
  pagination_cursor_field: 'next',
  pagination_has_next_field: 'more',
  pagination_variable_name: 'cursor',
  ...extra,
});

let server: TestGraphQLServer;
let t: TestPlane;

beforeAll(async () => {
  server = await startGraphQLServer();
  t = await openTestPlane('osiris-graphql-');
});

afterAll(async () => {
  t?.close();
  await server?.close();
});

const requestsTo = (path: string) => server.requests.filter((r) => r.path === path);

async function failure(promise: Promise<unknown>): Promise<StepError> {
  try {
    await promise;
  } catch (error) {
    return error as StepError;
  }
  throw new Error('the step did not fail');
}

function connection(fields: JsonObject): ResolvedConnection {
  return { family: 'graphql', alias: 'test', fields };
}

describe('graphql.extractor: pagination and typing', () => {
  it('follows a Relay connection page by page, flattening nested objects into a.b columns', async () => {
    const before = requestsTo('/graphql').length;
    const result = await t.runStep(driver, 'users', relay(server.url()));
    expect(result.rowsOut).toBe(USER_COUNT);
    const sent = requestsTo('/graphql').slice(before);
    expect(sent.map((r) => r.variables.after ?? null)).toEqual([
      null,
      Buffer.from('user:100').toString('base64'),
      Buffer.from('user:200').toString('base64'),
    ]);
    const cols = await t.rows(`SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = 'users' ORDER BY ordinal_position`);
    expect(cols).toEqual([
      { column_name: 'id', data_type: 'VARCHAR' },
      { column_name: 'name', data_type: 'VARCHAR' },
      { column_name: 'age', data_type: 'BIGINT' },
      { column_name: 'score', data_type: 'DOUBLE' },
      { column_name: 'active', data_type: 'BOOLEAN' },
      { column_name: 'owner', data_type: 'VARCHAR' },
      { column_name: 'tags', data_type: 'JSON' },
      { column_name: 'owner.login', data_type: 'VARCHAR' },
      { column_name: 'owner.team.name', data_type: 'VARCHAR' },
      // owner.team is null for every tenth user: that null stays a column of its own (never typed).
      { column_name: 'owner.team', data_type: 'VARCHAR' },
    ]);
    const rows = await t.rows(
      `SELECT id, age, score, "owner.login", "owner.team.name", tags FROM users WHERE id IN ('u7', 'u101', 'u110', 'u201')`,
    );
    expect(rows).toEqual([
      { id: 'u7', age: null, score: 7, 'owner.login': null, 'owner.team.name': null, tags: '[]' },
      {
        id: 'u101',
        age: '21',
        score: 101.5,
        'owner.login': 'owner1',
        'owner.team.name': 'team2',
        tags: '[]',
      },
      { id: 'u110', age: '30', score: 110.5, 'owner.login': 'owner0', 'owner.team.name': null, tags: '[]' },
      {
        id: 'u201',
        age: '21',
        score: 201.5,
        'owner.login': 'owner1',
        'owner.team.name': 'team0',
        tags: '["a","b"]',
      },
    ]);
    const rec = t.recorded.get('users');
    // score was whole numbers on page 1 (BIGINT) and widened when page 2 brought 101.5.
    expect(rec?.events.find((e) => e.event === 'column_widened')?.data).toMatchObject({
      column: 'score',
      from: 'BIGINT',
      to: 'DOUBLE',
      page: 2,
    });
    expect(rec?.events.filter((e) => e.event === 'page_fetched').map((e) => e.data?.records)).toEqual([
      100, 100, 50,
    ]);
    // Appended page by page: progress after each page, never one lump at the end.
    expect(rec?.progress).toEqual([100, 200, 250]);
    expect(rec?.metrics.find((m) => m.name === 'pages_fetched')?.value).toBe(3);
  });

  it('follows a custom cursor shape and keeps nested objects as JSON with flatten_result: false', async () => {
    const result = await t.runStep(driver, 'events', custom(server.url(), { flatten_result: false }));
    expect(result.rowsOut).toBe(EVENT_COUNT);
    const cols = await t.rows(`SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = 'events' ORDER BY ordinal_position`);
    expect(cols.map((c) => `${c.column_name} ${c.data_type}`)).toEqual([
      'id BIGINT',
      'kind VARCHAR',
      'payload JSON',
    ]);
    const [row] = await t.rows(
      `SELECT payload->>'$.meta.src' AS src, payload->>'$.n' AS n FROM events WHERE id = 12`,
    );
    expect(row).toEqual({ src: 'web', n: '12' });
  });

  it('stops at max_pages with a warning that the server had more', async () => {
    const result = await t.runStep(driver, 'two_pages', relay(server.url(), { max_pages: 2 }));
    expect(result.rowsOut).toBe(200);
    const warn = t.recorded.get('two_pages')?.events.find((e) => e.event === 'max_pages_reached');
    expect(warn?.data).toMatchObject({ level: 'warning', max_pages: 2 });
  });

  it('fails on a schema mismatch between pages, naming the page, the record, the field and the types', async () => {
    const error = await failure(
      t.runStep(driver, 'mismatch', custom(server.url(), { variables: { mismatch: true } })),
    );
    expect(error.code).toBe('extract.schema_mismatch');
    expect(error.message).toBe(
      `step 'mismatch': page 2, record 1: field 'payload.n' is the string "n-11", but it was BIGINT since page 1`,
    );
    expect(error.details).toMatchObject({
      page: 2,
      record: 1,
      field: 'payload.n',
      expected: 'BIGINT',
      got: 'VARCHAR',
    });
    expect(
      await t.rows(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'mismatch'`),
    ).toEqual([{ n: '0' }]);
  });

  it('gives an empty table for no records, and warns when data_path matches nothing', async () => {
    const query = USERS_QUERY.replace('first: 100', 'first: 0');
    const empty = await t.runStep(driver, 'empty', relay(server.url(), { query }));
    expect(empty.rowsOut).toBe(0);
    expect(await t.rows('SELECT count(*) AS n FROM empty')).toEqual([{ n: '0' }]);
    expect(t.recorded.get('empty')?.events.some((e) => e.event === 'data_path_unmatched')).toBe(false);
    await t.runStep(driver, 'unmatched', relay(server.url(), { data_path: 'data.people[*]', max_pages: 1 }));
    const warn = t.recorded.get('unmatched')?.events.find((e) => e.event === 'data_path_unmatched');
    expect(warn?.data?.message).toBe(
      "data_path 'data.people[*]' matched nothing in the response to page 1: no records",
    );
  });

  it('fails when pagination_path matches nothing, instead of silently reading one page', async () => {
    const error = await failure(
      t.runStep(driver, 'bad_path', relay(server.url(), { pagination_path: 'data.pageInfo' })),
    );
    expect(error.code).toBe('config.invalid');
    expect(error.message).toContain(`config 'pagination_path' (data.pageInfo) matched no object`);
    expect(error.hint).toContain('data.users.pageInfo');
  });
});

describe('graphql.extractor: errors, retries and timeouts', () => {
  it('fails on GraphQL errors (HTTP 200) with the message and the result path', async () => {
    const query = USERS_QUERY.replace('tags }', 'tags boom }');
    const error = await failure(t.runStep(driver, 'gql_error', relay(server.url(), { query })));
    expect(error.code).toBe('extract.graphql_error');
    expect(error.message).toContain(
      `the GraphQL server answered page 1 with 1 error: boom failed for user 7 (at line 4, column 80 of the query; path users.edges.6.node.boom)`,
    );
  });

  it('reports query validation errors with their location in the query', async () => {
    const query = USERS_QUERY.replace('tags }', 'tags nope }');
    const error = await failure(t.runStep(driver, 'gql_invalid', relay(server.url(), { query })));
    expect(error.code).toBe('extract.graphql_error');
    expect(error.message).toContain(
      'with 1 error: Cannot query field "nope" on type "User". Did you mean "name"? (at line 4, column 80 of the query)',
    );
  });

  it('retries a 429 after the Retry-After the server asked for, then succeeds', async () => {
    const result = await t.runStep(
      driver,
      'rate_limited',
      relay(server.url('/rate-limited'), { max_pages: 1 }),
    );
    expect(result.rowsOut).toBe(100);
    const [first, second] = requestsTo('/rate-limited');
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    const waited = (second?.at ?? 0) - (first?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(2500);
    const retry = t.recorded.get('rate_limited')?.events.find((e) => e.event === 'http_retry');
    expect(retry?.data).toMatchObject({ http_status: 429, wait_ms: 1000, retry_after: true, attempt: 1 });
    expect(t.recorded.get('rate_limited')?.metrics.find((m) => m.name === 'requests_made')?.value).toBe(2);
  });

  it('retries 5xx with exponential backoff and succeeds within max_retries', async () => {
    const result = await t.runStep(
      driver,
      'flaky',
      relay(server.url('/flaky'), { max_pages: 1, retry_delay: 0.1, max_retries: 3 }),
    );
    expect(result.rowsOut).toBe(100);
    const sent = requestsTo('/flaky');
    expect(sent.map((r) => r.status)).toEqual([503, 503, 200]);
    const gaps = [(sent[1]?.at ?? 0) - (sent[0]?.at ?? 0), (sent[2]?.at ?? 0) - (sent[1]?.at ?? 0)];
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
  });

  it('gives up after max_retries on a server that keeps failing, saying how many attempts', async () => {
    const error = await failure(
      t.runStep(driver, 'down', relay(server.url('/down'), { max_retries: 2, retry_delay: 0.02 })),
    );
    expect(error.code).toBe('extract.http_retries_exhausted');
    expect(error.message).toBe(
      `step 'down': page 1 from ${server.url('/down')} failed after 3 attempts: HTTP 500 (server error): internal error`,
    );
    expect(requestsTo('/down')).toHaveLength(3);
  });

  it('times out a slow answer per attempt', async () => {
    const started = Date.now();
    const error = await failure(
      t.runStep(
        driver,
        'slow',
        relay(server.url('/slow'), { timeout: 0.3, max_retries: 1, retry_delay: 0.05 }),
      ),
    );
    expect(error.message).toBe(
      `step 'slow': page 1 from ${server.url('/slow')} failed after 2 attempts: no response within 0.3 s (timeout)`,
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(
      10_000,
    );
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('graphql.extractor: auth from the connection', () => {
  const one = { max_pages: 1 };

  it('sends a bearer token', async () => {
    const conn = connection({ url: server.url('/bearer'), auth_type: 'bearer', token: CREDENTIALS.token });
    const { endpoint: _, ...config } = relay('', one);
    expect((await t.runStep(driver, 'bearer', config, { connection: conn })).rowsOut).toBe(100);
  });

  it('sends basic auth (username + password)', async () => {
    const conn = connection({
      endpoint: server.url('/basic'),
      auth_type: 'basic',
      username: CREDENTIALS.user,
      password: CREDENTIALS.password,
    });
    const { endpoint: _, ...config } = relay('', one);
    expect((await t.runStep(driver, 'basic', config, { connection: conn })).rowsOut).toBe(100);
  });

  it('sends an API key in its header', async () => {
    const conn = connection({
      endpoint: server.url('/apikey'),
      auth_type: 'api_key',
      api_key: CREDENTIALS.apiKey,
    });
    const { endpoint: _, ...config } = relay('', one);
    expect((await t.runStep(driver, 'apikey', config, { connection: conn })).rowsOut).toBe(100);
    expect(requestsTo('/apikey').at(-1)?.headers['x-api-key']).toBe(CREDENTIALS.apiKey);
  });

  it('fails a rejected credential at once (401 is not retried), without echoing it', async () => {
    const conn = connection({
      endpoint: server.url('/bearer'),
      auth_type: 'bearer',
      auth_token: 'wrong-token',
    });
    const { endpoint: _, ...config } = relay('', one);
    const before = requestsTo('/bearer').length;
    const error = await failure(t.runStep(driver, 'unauthorized', config, { connection: conn }));
    expect(error.code).toBe('extract.http_error');
    expect(error.message).toBe(
      `step 'unauthorized': page 1 from ${server.url('/bearer')} failed: HTTP 401: unauthorized`,
    );
    expect(error.hint).toContain('auth_type');
    expect(requestsTo('/bearer').length - before).toBe(1);
  });

  it('refuses credentials in the endpoint URL and never echoes header values', async () => {
    const inUrl = await failure(
      t.runStep(driver, 'userinfo', relay(server.url().replace('//', '//etl:hunter2-secret@'), one)),
    );
    expect(inUrl.message).toBe(
      `step 'userinfo': config 'endpoint' must not hold credentials (user:password@host)`,
    );
    const badHeader = await failure(
      t.runStep(
        driver,
        'bad_header',
        relay(server.url(), { ...one, headers: { 'X-Key': { secret: 'hunter2-secret' } } }),
      ),
    );
    expect(badHeader.message).toBe(
      `step 'bad_header': config 'headers' must be text values ('X-Key' is not)`,
    );
  });

  it('says which field is missing for the auth type', async () => {
    const conn = connection({ endpoint: server.url('/bearer'), auth_type: 'bearer' });
    const error = await failure(t.runStep(driver, 'no_token', relay('', one), { connection: conn }));
    expect(error.message).toContain(`config 'auth_token' must be the bearer token for auth_type 'bearer'`);
    expect(error.hint).toContain('connection @graphql.test');
  });
});
