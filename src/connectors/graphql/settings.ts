/**
 * What a graphql.extractor step asks for, read from its config and its `@graphql.<alias>` connection: the
 * endpoint, the HTTP headers (auth included), the query and how to page through it. A connection may also
 * use the short names `url`, `token`, `username`, `password`, `api_key` and `api_key_header`.
 *
 * The header values are secrets: they never leave this module except inside the request.
 */
import { type ResolvedConnection, StepError, type StreamContext } from '../../runtime/driver.js';
import { StepConfig } from '../../runtime/step-config.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../yaml/json.js';

export const AUTH_TYPES = ['none', 'bearer', 'basic', 'api_key'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface Pagination {
  /** JSONPath (or dotted path) to the object holding the cursor, e.g. `data.users.pageInfo`. */
  path: string;
  cursorField: string;
  hasNextField: string;
  /** The query variable that receives the cursor. */
  variable: string;
}

export interface GraphQLSettings {
  endpoint: string;
  /** Endpoint without credentials or query string, for messages and events. */
  shownEndpoint: string;
  headers: Record<string, string>;
  authType: AuthType;
  query: string;
  variables: JsonObject;
  timeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  pagination: Pagination | undefined;
  /** 0 = no limit. */
  maxPages: number;
  dataPath: string;
  flatten: boolean;
}

/** Connection field → the names a connection may use for it (the first is the spec's own name). */
const CONNECTION_NAMES: Record<string, readonly string[]> = {
  endpoint: ['endpoint', 'url'],
  headers: ['headers'],
  auth_type: ['auth_type'],
  auth_token: ['auth_token', 'token', 'api_key'],
  auth_username: ['auth_username', 'username', 'user'],
  auth_password: ['auth_password', 'password'],
  auth_header_name: ['auth_header_name', 'api_key_header'],
};

const isSet = (v: JsonValue | undefined) => v !== undefined && v !== null && v !== '';

/**
 * The step's values, and the connection's where the step set none (spec names), so StepConfig can check
 * them. The step's own value wins: the resolver has already refused the overrides the spec forbids, and
 * the step config is the one with its `${VAR}` references expanded.
 */
function mergedConfig(config: JsonObject, connection: ResolvedConnection | undefined): JsonObject {
  const merged: JsonObject = { ...config };
  if (!connection) return merged;
  for (const [key, names] of Object.entries(CONNECTION_NAMES)) {
    if (isSet(config[key])) continue;
    const name = names.find((n) => isSet(connection.fields[n]));
    if (name !== undefined) merged[key] = connection.fields[name] as JsonValue;
  }
  return merged;
}

/** `https://user:pw@host/path?token=x` → `https://host/path`. */
export function displayEndpoint(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function parseEndpoint(cfg: StepConfig, where: string): URL {
  const raw = cfg.requiredString('endpoint');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw cfg.invalid('endpoint', 'an http(s) URL such as https://api.example.com/graphql', where);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw cfg.invalid('endpoint', 'an http(s) URL such as https://api.example.com/graphql', where);
  if (url.username !== '' || url.password !== '')
    throw new StepError(
      'config.invalid',
      `step '${cfg.stepId}': config 'endpoint' must not hold credentials (user:password@host)`,
      'use auth_type: basic with auth_username and auth_password in the connection',
      { details: { key: 'endpoint' } },
    );
  return url;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** The Authorization (or API key) header for `auth_type`. */
function authHeader(cfg: StepConfig, authType: AuthType, where: string): [string, string] | undefined {
  const secret = (key: string, what: string): string => {
    const v = cfg.string(key);
    if (v === undefined || v === '')
      throw cfg.invalid(key, `${what} for auth_type '${authType}'`, `${where}; e.g. ${key}: \${MY_TOKEN}`);
    return v;
  };
  switch (authType) {
    case 'none':
      return undefined;
    case 'bearer':
      return ['Authorization', `Bearer ${secret('auth_token', 'the bearer token')}`];
    case 'basic': {
      const user = secret('auth_username', 'the user name');
      // The Python tool sent the token as the password; auth_password is the clearer name.
      const password = cfg.string('auth_password') ?? secret('auth_token', 'the password (auth_password)');
      return ['Authorization', basic(user, password)];
    }
    case 'api_key':
      return [cfg.string('auth_header_name', 'X-API-Key'), secret('auth_token', 'the API key')];
  }
}

function headersOf(cfg: StepConfig, authType: AuthType, where: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/graphql-response+json, application/json;q=0.9',
    'User-Agent': 'osiris-graphql-extractor',
  };
  const auth = authHeader(cfg, authType, where);
  if (auth) headers[auth[0]] = auth[1];
  const custom = cfg.config.headers;
  if (custom === undefined || custom === null) return headers;
  // Header values are secrets: the message names the header, never its value.
  const bad = (what: string) =>
    new StepError('config.invalid', `step '${cfg.stepId}': config 'headers' must be ${what}`, undefined, {
      details: { key: 'headers' },
    });
  if (!isJsonObject(custom)) throw bad('a mapping of header name → value');
  for (const [name, value] of Object.entries(custom)) {
    if (typeof value !== 'string' && typeof value !== 'number') throw bad(`text values ('${name}' is not)`);
    headers[name] = String(value);
  }
  return headers;
}

function paginationOf(cfg: StepConfig): Pagination | undefined {
  if (!cfg.boolean('pagination_enabled', false)) return undefined;
  return {
    path: cfg.string('pagination_path', 'data.pageInfo'),
    cursorField: cfg.string('pagination_cursor_field', 'endCursor'),
    hasNextField: cfg.string('pagination_has_next_field', 'hasNextPage'),
    variable: cfg.string('pagination_variable_name', 'after'),
  };
}

export function readSettings(ctx: Pick<StreamContext, 'stepId' | 'config' | 'connection'>): GraphQLSettings {
  const cfg = new StepConfig(ctx.stepId, mergedConfig(ctx.config, ctx.connection));
  const where = ctx.connection
    ? `set it in connection @${ctx.connection.family}.${ctx.connection.alias} (osiris_connections.yaml)`
    : `set it in the step config or in a '@graphql.<alias>' connection`;
  const url = parseEndpoint(cfg, where);
  if (cfg.config.validate_ssl === false)
    throw cfg.invalid(
      'validate_ssl',
      'true',
      'certificate checks cannot be turned off; trust a private CA with the NODE_EXTRA_CA_CERTS environment variable',
    );
  const authType = cfg.oneOf('auth_type', AUTH_TYPES, 'none');
  const variables = cfg.config.variables ?? {};
  if (!isJsonObject(variables)) throw cfg.invalid('variables', 'a mapping of variable name → value');
  return {
    endpoint: url.href,
    shownEndpoint: displayEndpoint(url),
    headers: headersOf(cfg, authType, where),
    authType,
    query: cfg.requiredString('query'),
    variables,
    timeoutMs: Math.round(cfg.positiveNumber('timeout', 30) * 1000),
    maxRetries: cfg.integer('max_retries', 0, 3),
    retryDelayMs: Math.round(cfg.positiveNumber('retry_delay', 1) * 1000),
    pagination: paginationOf(cfg),
    maxPages: cfg.integer('max_pages', 0, 0),
    dataPath: cfg.string('data_path', 'data'),
    flatten: cfg.boolean('flatten_result', true),
  };
}
