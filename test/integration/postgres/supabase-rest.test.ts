/**
 * supabase.writer over the REST API, against a local HTTP server (node:http on 127.0.0.1) that speaks
 * PostgREST's insert/upsert requests: batching, headers, exact JSON bodies, retries with backoff on 429/5xx,
 * failures that say how many rows were written — and the API key never in an error or event. Also the
 * REST doctor, and supabase.writer over the Postgres protocol against the local server.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/supabase.writer/driver.js';
import { connector } from '../../../src/connectors/supabase/index.js';
import type { ResolvedConnection } from '../../../src/runtime/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import { postgresUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const KEY = 'eyJhbGciOiJIUzI1NiJ9.service-role-secret-key.sig';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

let server: Server;
let url: string;
let seen: Seen[] = [];
/** Replies for the next requests, in order; afterwards 201. */
let script: Reply[] = [];
let tp: TestPlane;

/** A port nothing listens on (fetch refuses well-known ports such as 1). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function connection(fields: Record<string, string> = {}): ResolvedConnection {
  return { family: 'supabase', alias: 'rest', fields: { url, service_role_key: KEY, ...fields } };
}

async function failure(promise: Promise<unknown>): Promise<StepError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

function noKeyIn(err: StepError | undefined, stepId: string): void {
  const text = JSON.stringify({
    message: err?.message,
    hint: err?.hint,
    details: err?.details,
    recorded: tp.recorded.get(stepId),
  });
  expect(text).not.toContain(KEY);
  expect(text).not.toContain('service-role-secret');
  expect(text.toLowerCase()).not.toContain('bearer');
  expect(text.toLowerCase()).not.toContain('apikey');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push({
        method: req.method ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body,
      });
      const reply = script.shift() ?? { status: req.method === 'GET' ? 200 : 201 };
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...(reply.headers ?? {}) });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tp = await openTestPlane();
  await tp.plane.connection.run(`
    CREATE TABLE events AS SELECT * FROM (VALUES
      (1, 'signup', 9007199254740993::BIGINT, 12345678901234567890.123456789::DECIMAL(38,9), '\\xDE\\xAD'::BLOB,
       '{"a": [1, 2]}'::JSON, ['x', NULL], TIMESTAMPTZ '2024-01-01 12:00:00.123456+00', 0.1::DOUBLE, 'é"\\n'),
      (2, 'login', NULL, NULL, NULL, NULL, NULL, NULL, 'inf'::DOUBLE, ''),
      (3, 'logout', -1, 0.5, '', '[]', [], NULL, NULL, NULL),
      (4, 'x', 4, 4, NULL, NULL, NULL, NULL, NULL, NULL),
      (5, 'y', 5, 5, NULL, NULL, NULL, NULL, NULL, NULL)
    ) t(id, kind, big, amount, raw, payload, tags, "at", ratio, note)`);
});

afterAll(async () => {
  tp?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  script = [];
});

describe('supabase.writer over the REST API', () => {
  it('appends in batches with the PostgREST headers and exact JSON bodies', async () => {
    const result = await tp.runStep(
      driver,
      'append',
      { table: 'events', batch_size: 2 },
      {
        connection: connection(),
        needs: ['events'],
      },
    );
    expect(result).toMatchObject({ rowsIn: 5, rowsWritten: 5 });
    expect(seen).toHaveLength(3);
    for (const req of seen) {
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/rest/v1/events');
      expect(req.headers.apikey).toBe(KEY);
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers.prefer).toBe('return=minimal');
      expect(req.headers['content-profile']).toBeUndefined();
      expect(req.query.get('columns')).toBe('id,kind,big,amount,raw,payload,tags,at,ratio,note');
      expect(req.query.get('on_conflict')).toBeNull();
    }
    const bodies = seen.map((r) => JSON.parse(r.body) as Record<string, unknown>[]);
    expect(bodies.map((b) => b.length)).toEqual([2, 2, 1]);
    // Exact text for what JSON numbers would damage; bytea as \x hex; JSON embedded; NULLs as null.
    expect(seen[0]?.body).toContain('"big":"9007199254740993"');
    expect(seen[0]?.body).toContain('"amount":"12345678901234567890.123456789"');
    expect(bodies[0]?.[0]).toEqual({
      id: 1,
      kind: 'signup',
      big: '9007199254740993',
      amount: '12345678901234567890.123456789',
      raw: '\\xDEAD',
      payload: { a: [1, 2] },
      tags: ['x', null],
      at: '2024-01-01 12:00:00.123456+00',
      ratio: 0.1,
      note: 'é"\\n',
    });
    expect(bodies[0]?.[1]).toMatchObject({ id: 2, big: null, raw: null, ratio: 'inf', note: '' });
    expect(bodies[1]?.[0]).toMatchObject({ id: 3, raw: '\\x', payload: [], tags: [] });
    const events = tp.recorded.get('append')?.events.map((e) => e.event);
    expect(events).toEqual(['write.start', 'write.complete']);
    expect(tp.recorded.get('append')?.progress).toEqual([2, 4, 5]);
    noKeyIn(undefined, 'append');
  });

  it('upserts with on_conflict and merge-duplicates, in another schema', async () => {
    await tp.runStep(
      driver,
      'upsert',
      { table: 'events', write_mode: 'upsert', primary_key: ['id', 'kind'], schema: 'analytics' },
      { connection: connection(), needs: ['events'] },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]?.query.get('on_conflict')).toBe('id,kind');
    expect(seen[0]?.headers.prefer).toBe('resolution=merge-duplicates,return=minimal');
    expect(seen[0]?.headers['content-profile']).toBe('analytics');
  });

  it('retries 429 (honouring Retry-After) and 503, then succeeds; each retry is an event without secrets', async () => {
    script = [
      { status: 429, body: { message: 'Too Many Requests' }, headers: { 'Retry-After': '0' } },
      { status: 503, body: { code: 'PGRST000', message: 'connection pool busy' } },
    ];
    const result = await tp.runStep(
      driver,
      'retry',
      { table: 'events', batch_size: 10 },
      {
        connection: connection(),
        needs: ['events'],
      },
    );
    expect(result.rowsWritten).toBe(5);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((r) => r.body)).size).toBe(1);
    const retries = tp.recorded.get('retry')?.events.filter((e) => e.event === 'write.retry') ?? [];
    expect(retries.map((e) => [e.data?.attempt, e.data?.status])).toEqual([
      [1, 429],
      [2, 503],
    ]);
    noKeyIn(undefined, 'retry');
  });

  it('gives up after the retries, saying how many rows were already written', async () => {
    script = [
      { status: 201 },
      ...Array.from({ length: 3 }, () => ({ status: 500, body: { message: 'boom' } })),
    ];
    const err = await failure(
      tp.runStep(
        driver,
        'giveup',
        { table: 'events', batch_size: 3, retries: 2 },
        {
          connection: connection(),
          needs: ['events'],
        },
      ),
    );
    expect(seen).toHaveLength(4);
    expect(err.code).toBe('write.failed');
    expect(err.message).toContain('failed after 3 attempts: HTTP 500');
    expect(err.message).toContain('3 rows from earlier requests were already written');
    expect(err.details).toMatchObject({ rows_written: 3, batch: 2 });
    noKeyIn(err, 'giveup');
  });

  it('does not retry a rejected key', async () => {
    script = [{ status: 401, body: { code: 'PGRST301', message: 'JWT invalid' } }];
    const err = await failure(
      tp.runStep(driver, 'auth', { table: 'events' }, { connection: connection(), needs: ['events'] }),
    );
    expect(seen).toHaveLength(1);
    expect(err.code).toBe('connection.auth_failed');
    expect(err.message).toContain('HTTP 401');
    expect(err.message).toContain('nothing was written');
    noKeyIn(err, 'auth');
  });

  it('names a missing table and says REST cannot create it', async () => {
    script = [
      {
        status: 404,
        body: { code: 'PGRST205', message: "Could not find the table 'public.events' in the schema cache" },
      },
    ];
    const err = await failure(
      tp.runStep(driver, 'missing', { table: 'events' }, { connection: connection(), needs: ['events'] }),
    );
    expect(err.code).toBe('write.schema_mismatch');
    expect(err.message).toContain("(PGRST205): Could not find the table 'public.events'");
    expect(err.hint).toContain('cannot create tables');
    noKeyIn(err, 'missing');
  });

  it('reports a duplicate key as a constraint violation', async () => {
    script = [
      {
        status: 409,
        body: {
          code: '23505',
          message: 'duplicate key value violates unique constraint "events_pkey"',
          details: 'Key (id)=(1) already exists.',
        },
      },
    ];
    const err = await failure(
      tp.runStep(driver, 'dup', { table: 'events' }, { connection: connection(), needs: ['events'] }),
    );
    expect(err.code).toBe('validation.constraint_violation');
    expect(err.message).toContain('Key (id)=(1) already exists.');
  });

  it('retries a server that is down, then fails as unreachable without the key', async () => {
    const down = connection({ url: `http://127.0.0.1:${await closedPort()}` });
    const err = await failure(
      tp.runStep(driver, 'down', { table: 'events', retries: 1 }, { connection: down, needs: ['events'] }),
    );
    expect(err.code).toBe('connection.failed');
    expect(err.message).toContain('ECONNREFUSED');
    expect(tp.recorded.get('down')?.events.filter((e) => e.event === 'write.retry')).toHaveLength(1);
    noKeyIn(err, 'down');
  });

  it('refuses replace over REST (it cannot be atomic)', async () => {
    const err = await failure(
      tp.runStep(
        driver,
        'rep',
        { table: 'events', write_mode: 'replace' },
        { connection: connection(), needs: ['events'] },
      ),
    );
    expect(err.code).toBe('config.invalid');
    expect(err.message).toContain("'replace' needs the Postgres protocol");
    expect(seen).toHaveLength(0);
  });

  it('doctor: ok, and auth_failed for a rejected key', async () => {
    const ok = await connector.doctor(connection(), 2000);
    expect(ok).toMatchObject({ status: 'ok' });
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/rest/v1/' });
    expect(seen[0]?.headers.apikey).toBe(KEY);
    script = [{ status: 401, body: { message: 'Invalid API key' } }];
    const bad = await connector.doctor(connection(), 2000);
    expect(bad.status).toBe('auth_failed');
    expect(JSON.stringify(bad)).not.toContain(KEY);
    const down = await connector.doctor(connection({ url: `http://127.0.0.1:${await closedPort()}` }), 2000);
    expect(down.status).toBe('unreachable');
  });
});

const skipPg = await postgresUnavailable();

describe.skipIf(skipPg)(
  'supabase.writer over the Postgres protocol (local server as the direct connection)',
  () => {
    let fx: PgFixture;
    beforeAll(async () => {
      fx = await openPgFixture();
    });
    afterAll(async () => {
      await fx?.close();
    });

    it('prefers pg_dsn over the REST API and loads transactionally', async () => {
      const conn = connection({ pg_dsn: `postgresql://postgres@127.0.0.1:5432/test`, schema: fx.schema });
      await tp.plane.connection.run(
        `CREATE OR REPLACE TABLE simple AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, v)`,
      );
      await tp.runStep(
        driver,
        'pgw',
        { table: 'simple', write_mode: 'upsert', primary_key: 'id' },
        { connection: conn, needs: ['simple'] },
      );
      await tp.runStep(
        driver,
        'pgw2',
        { table: 'simple', write_mode: 'replace' },
        { connection: conn, needs: ['simple'] },
      );
      expect(seen).toHaveLength(0);
      expect(await fx.rows(`SELECT id, v FROM ${fx.q('simple')} ORDER BY id`)).toEqual([
        { id: 1, v: 'a' },
        { id: 2, v: 'b' },
      ]);
    });

    it('with host/port/database/user/password fields (append of existing keys fails, nothing changes)', async () => {
      const conn: ResolvedConnection = {
        family: 'supabase',
        alias: 'direct',
        fields: {
          host: '127.0.0.1',
          port: 5432,
          database: 'test',
          user: 'postgres',
          password: '',
          schema: fx.schema,
        },
      };
      const err = await failure(
        tp.runStep(
          driver,
          'pgw3',
          { table: 'simple', write_mode: 'append' },
          { connection: conn, needs: ['simple'] },
        ),
      );
      // The rows are there already: a duplicate key, named, and nothing changed.
      expect(err.code).toBe('validation.constraint_violation');
      expect(err.message).toContain('Key (id)=(1) already exists');
      expect((await fx.fingerprint('simple')).count).toBe(2);
    });
  },
);
