/**
 * A real GraphQL server (graphql-yoga over node:http, GraphQL-over-HTTP) on 127.0.0.1 and a random port, for
 * graphql.extractor tests. It serves a paginated schema: a Relay connection `users(first, after)` with
 * `pageInfo { hasNextPage endCursor }`, and a custom cursor shape `events(cursor, limit) { items next more }`.
 *
 * The path chooses how the server behaves before GraphQL sees the request:
 * - `/graphql`: open; `/bearer`, `/basic`, `/apikey`: 401 unless the matching credential is sent;
 * - `/rate-limited`: the first request gets 429 with `Retry-After: 1`; `/flaky`: the first two get 503;
 * - `/down`: always 500; `/slow`: answers after 1.5 s.
 * Every request is recorded (path, headers, variables, time) for assertions.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, GraphQLScalarType } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';

export const USER_COUNT = 250;
export const EVENT_COUNT = 25;
export const CREDENTIALS = {
  token: 'gql-test-bearer-7f3a9c',
  user: 'etl',
  password: 'gql-test-basic-pw-51d2',
  apiKey: 'gql-test-apikey-0b8e44',
};

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  variables: Record<string, unknown>;
  at: number;
  status: number;
}

export interface TestGraphQLServer {
  url(path?: string): string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const typeDefs = /* GraphQL */ `
  scalar JSON
  type Team { name: String! }
  type Owner { login: String! team: Team }
  type User {
    id: ID!
    name: String!
    age: Int
    score: Float!
    active: Boolean!
    owner: Owner
    tags: [String!]!
    boom: String
  }
  type UserEdge { cursor: String! node: User! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type UserConnection { edges: [UserEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type Event { id: Int! kind: String! payload: JSON }
  type EventPage { items: [Event!]! next: String more: Boolean! }
  type Query {
    users(first: Int!, after: String): UserConnection!
    events(cursor: String, limit: Int!, mismatch: Boolean): EventPage!
  }
`;

/** User n (1-based): no owner on the first 100, scores whole numbers on the first 100. */
function user(n: number) {
  return {
    id: `u${n}`,
    name: `User ${n}`,
    age: n % 7 === 0 ? null : 20 + (n % 50),
    score: n <= 100 ? n : n + 0.5,
    active: n % 2 === 0,
    owner: n <= 100 ? null : { login: `owner${n % 5}`, team: n % 10 === 0 ? null : { name: `team${n % 3}` } },
    tags: n % 3 === 0 ? ['a', 'b'] : [],
    n,
  };
}

const cursorOf = (n: number) => Buffer.from(`user:${n}`).toString('base64');
const positionOf = (cursor: string) => Number(Buffer.from(cursor, 'base64').toString('utf8').split(':')[1]);

const resolvers = {
  JSON: new GraphQLScalarType({ name: 'JSON', serialize: (v: unknown) => v }),
  Query: {
    users: (_: unknown, args: { first: number; after?: string | null }) => {
      const start = args.after ? positionOf(args.after) : 0;
      const ns = Array.from(
        { length: Math.max(0, Math.min(args.first, USER_COUNT - start)) },
        (_, i) => start + i + 1,
      );
      const last = ns[ns.length - 1];
      return {
        edges: ns.map((n) => ({ cursor: cursorOf(n), node: user(n) })),
        pageInfo: { hasNextPage: (last ?? USER_COUNT) < USER_COUNT, endCursor: last ? cursorOf(last) : null },
        totalCount: USER_COUNT,
      };
    },
    events: (_: unknown, args: { cursor?: string | null; limit: number; mismatch?: boolean | null }) => {
      const start = args.cursor ? Number(args.cursor.slice(1)) : 0;
      const ids = Array.from({ length: Math.min(args.limit, EVENT_COUNT - start) }, (_, i) => start + i + 1);
      const end = start + ids.length;
      return {
        items: ids.map((id) => ({
          id,
          kind: id % 2 ? 'click' : 'view',
          payload: { n: args.mismatch && id > args.limit ? `n-${id}` : id, meta: { src: 'web' } },
        })),
        next: end < EVENT_COUNT ? `e${end}` : null,
        more: end < EVENT_COUNT,
      };
    },
  },
  User: {
    boom: (u: { n: number }) => {
      if (u.n === 7) throw new GraphQLError(`boom failed for user ${u.n}`);
      return 'ok';
    },
  },
};

function authorized(path: string, headers: IncomingMessage['headers']): boolean {
  switch (path) {
    case '/bearer':
      return headers.authorization === `Bearer ${CREDENTIALS.token}`;
    case '/basic':
      return (
        headers.authorization ===
        `Basic ${Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString('base64')}`
      );
    case '/apikey':
      return headers['x-api-key'] === CREDENTIALS.apiKey;
    default:
      return true;
  }
}

export async function startGraphQLServer(): Promise<TestGraphQLServer> {
  const yoga = createYoga({
    schema: createSchema({ typeDefs, resolvers }),
    logging: false,
    maskedErrors: false,
  });
  const requests: RecordedRequest[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const count = (seen.get(path) ?? 0) + 1;
    seen.set(path, count);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let variables: Record<string, unknown> = {};
      try {
        variables = (JSON.parse(raw) as { variables?: Record<string, unknown> }).variables ?? {};
      } catch {
        // not JSON: yoga answers it
      }
      const record: RecordedRequest = { path, headers: req.headers, variables, at: Date.now(), status: 200 };
      requests.push(record);
      const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
      };
      if (!authorized(path, req.headers)) return reply(401, 'unauthorized');
      if (path === '/rate-limited' && count === 1) return reply(429, 'slow down', { 'retry-after': '1' });
      if (path === '/flaky' && count <= 2) return reply(503, 'try later');
      if (path === '/down') return reply(500, 'internal error');
      const forward = async () => {
        // yoga answers a Fetch API request; its response is copied to the node response.
        const answer = await yoga.fetch('http://127.0.0.1/graphql', {
          method: req.method ?? 'POST',
          headers: Object.entries(req.headers).flatMap(([k, v]) =>
            typeof v === 'string' ? [[k, v]] : [],
          ) as [string, string][],
          ...(req.method === 'GET' ? {} : { body: raw }),
        });
        record.status = answer.status;
        res.writeHead(answer.status, Object.fromEntries(answer.headers.entries()));
        res.end(Buffer.from(await answer.arrayBuffer()));
      };
      if (path === '/slow') setTimeout(() => void forward(), 1500).unref();
      else void forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/graphql') => `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
