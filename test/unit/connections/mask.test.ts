// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references
import { describe, expect, it } from 'vitest';
import {
  connectionSecretKeys,
  isSecretKey,
  maskConnectionForDisplay,
  maskSecretsInString,
} from '../../../src/connections/mask.js';
import { Registry } from '../../../src/registry/registry.js';
import type { ComponentSpec } from '../../../src/registry/types.js';
import type { JsonObject, JsonValue } from '../../../src/yaml/json.js';

const CANARY = 'canary-Pw9-literal';

describe('isSecretKey', () => {
  const secret = [
    'password',
    'PASSWORD',
    'passwd',
    'pwd',
    'secret',
    'token',
    'key',
    'api_key',
    'apiKey',
    'service_role_key',
    'serviceRoleKey',
    'anon_key',
    'private_key',
    'client_secret',
    'pg_dsn',
    'dsn',
    'connection_string',
    'access_key',
    'secret_access_key',
    'db_password',
    'stripe_api_key',
    'oauth_token',
    'credentials',
    'Authorization',
    'auth',
  ];
  const notSecret = [
    'primary_key',
    'foreign_key',
    'partition_key',
    'upsert_keys',
    'host',
    'user',
    'username',
    'port',
    'database',
    'url',
    'base_dir',
    'max_tokens',
    'description',
    'bypass_cache',
    'auth_type',
  ];
  for (const k of secret) it(`${k} is secret`, () => expect(isSecretKey(k)).toBe(true));
  for (const k of notSecret) it(`${k} is not secret`, () => expect(isSecretKey(k)).toBe(false));
  it('honours extra keys from specs', () => {
    expect(isSecretKey('tenant_name')).toBe(false);
    expect(isSecretKey('tenant_name', ['tenant_name'])).toBe(true);
  });
});

describe('maskConnectionForDisplay', () => {
  const table: Array<[string, string, JsonObject, JsonObject]> = [
    ['literal password', 'mysql', { host: 'db', password: CANARY }, { host: 'db', password: '***' }],
    ['${VAR} password kept', 'mysql', { password: '${MYSQL_PASSWORD}' }, { password: '${MYSQL_PASSWORD}' }],
    ['two refs kept', 'x', { token: '${A}${B}' }, { token: '${A}${B}' }],
    ['literal default masked', 'mysql', { password: `\${P:-${CANARY}}` }, { password: '${P:-***}' }],
    ['default of a non-secret kept', 'mysql', { host: '${H:-localhost}' }, { host: '${H:-localhost}' }],
    ['mixed literal and ref masked', 'mysql', { password: `${CANARY}\${X}` }, { password: '***' }],
    ['number secret masked', 'x', { pin_token: 1234 }, { pin_token: '***' }],
    ['null secret kept', 'mysql', { password: null }, { password: null }],
    ['empty secret kept', 'mysql', { password: '' }, { password: '' }],
    [
      'dsn with literal password',
      'supabase',
      { pg_dsn: `postgresql://postgres:${CANARY}@db.x.supabase.co:5432/postgres` },
      { pg_dsn: 'postgresql://postgres:***@db.x.supabase.co:5432/postgres' },
    ],
    [
      'dsn with a ${VAR} password kept',
      'supabase',
      { pg_dsn: 'postgresql://postgres:${PGPASS}@db:5432/postgres' },
      { pg_dsn: 'postgresql://postgres:${PGPASS}@db:5432/postgres' },
    ],
    ['dsn without password masked whole', 'postgres', { dsn: 'postgresql://db/x' }, { dsn: '***' }],
    [
      'password containing @ and :',
      'postgres',
      { dsn: `postgres://u:${CANARY}@:x@host/db` },
      { dsn: 'postgres://u:***@host/db' },
    ],
    [
      'url with embedded password under a non-secret key',
      'postgres',
      { url: `mysql://app:${CANARY}@host:3306/shop` },
      { url: 'mysql://app:***@host:3306/shop' },
    ],
    [
      'secret query parameter',
      'x',
      { endpoint: `https://api.x.com/v1?api_key=${CANARY}&page=2` },
      { endpoint: 'https://api.x.com/v1?api_key=***&page=2' },
    ],
    [
      'libpq keyword string',
      'x',
      { options: `host=db password=${CANARY} sslmode=require` },
      { options: 'host=db password=*** sslmode=require' },
    ],
    [
      'supabase url kept, keys masked',
      'supabase',
      { url: 'https://a.supabase.co', key: CANARY, anon_key: CANARY },
      { url: 'https://a.supabase.co', key: '***', anon_key: '***' },
    ],
    [
      'primary_key kept',
      'x',
      { primary_key: 'id', upsert_keys: ['id'] },
      { primary_key: 'id', upsert_keys: ['id'] },
    ],
    [
      'nested secret maps masked leaf by leaf',
      'x',
      { headers: { Authorization: CANARY }, credentials: { user: CANARY, ref: '${T}' } },
      { headers: { Authorization: '***' }, credentials: { user: '***', ref: '${T}' } },
    ],
    ['lists inside secrets', 'x', { tokens_secret: [CANARY, '${A}'] }, { tokens_secret: ['***', '${A}'] }],
    [
      'default marker and booleans kept',
      'duckdb',
      { default: true, read_only: false, database: ':memory:' },
      { default: true, read_only: false, database: ':memory:' },
    ],
  ];
  for (const [name, family, input, expected] of table) {
    it(name, () => {
      const masked = maskConnectionForDisplay(family, input);
      expect(masked).toEqual(expected);
      expect(JSON.stringify(masked)).not.toContain(CANARY);
    });
  }

  it('masks keys the specs declare secret', () => {
    expect(maskConnectionForDisplay('graphql', { auth_username: CANARY }, ['auth_username'])).toEqual({
      auth_username: '***',
    });
  });

  it('does not modify its input', () => {
    const input: JsonValue = { password: CANARY };
    maskConnectionForDisplay('mysql', input);
    expect(input.password).toBe(CANARY);
  });
});

describe('maskSecretsInString', () => {
  it('leaves strings without secrets alone', () => {
    for (const s of ['https://a.supabase.co', 'postgres://user@host/db', './data', 'a=b', '${X}']) {
      expect(maskSecretsInString(s)).toBe(s);
    }
  });
});

describe('connectionSecretKeys', () => {
  it('collects spec secrets and resolved_connection fields of the family', () => {
    const spec = (name: string, secrets: string[], xSecret: string[]): ComponentSpec => ({
      name,
      version: '1',
      modes: ['write'],
      capabilities: {},
      configSchema: { type: 'object', properties: {} },
      secrets,
      'x-secret': xSecret,
    });
    const registry = new Registry(
      [
        spec(
          'supabase.writer',
          ['/key'],
          ['/resolved_connection/pg_dsn', '/resolved_connection/custom_secret'],
        ),
        spec('mysql.extractor', ['/password'], ['/resolved_connection/other_family']),
      ].map((s) => ({ spec: s, specPath: '', specText: s.name, driverPath: undefined })),
    );
    const keys = connectionSecretKeys('supabase', registry);
    expect(keys).toContain('custom_secret');
    expect(keys).toContain('key');
    expect(keys).not.toContain('resolved_connection');
    expect(keys).not.toContain('other_family');
    expect(connectionSecretKeys('supabase', undefined)).toContain('service_role_key');
  });
});
