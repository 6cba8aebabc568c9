import { describe, expect, it } from 'vitest';
import { createRedactor, looksLikeCredential, MASK } from '../../../src/observability/redact.js';

/** `${NAME}` references (literal text, not template placeholders). */
const ref = (name: string) => `$${'{'}${name}}`;

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const SHA = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

describe('redactText', () => {
  const r = createRedactor({ secretValues: ['Tr0ub4dor&3', 'abc', 'p@ss/w0rd'] });
  const cases: [string, string, string][] = [
    // [name, input, expected]
    ['known value anywhere', 'login failed with Tr0ub4dor&3 for root', `login failed with ${MASK} for root`],
    ['known value url-encoded', 'x=p%40ss%2Fw0rd', `x=${MASK}`],
    ['known value shorter than 4 is ignored', 'abc def', 'abc def'],
    [
      'dsn password',
      'postgres://app:s3cr3t@db.local:5432/movies',
      `postgres://app:${MASK}@db.local:5432/movies`,
    ],
    ['dsn password with @', 'mysql://root:p@ssw@rd@host/db failed', `mysql://root:${MASK}@host/db failed`],
    ['dsn empty user', 'redis://:hunter22@cache:6379', `redis://:${MASK}@cache:6379`],
    ['dsn without password kept', 'postgres://postgres@localhost/db', 'postgres://postgres@localhost/db'],
    ['dsn idempotent', `postgres://app:${MASK}@db/x`, `postgres://app:${MASK}@db/x`],
    ['bearer', 'Authorization: Bearer abc123def456ghi789', `Authorization: Bearer ${MASK}`],
    ['bearer prose kept', 'Bearer tokens expire after an hour', 'Bearer tokens expire after an hour'],
    ['basic prose kept', 'Basic Authentication is disabled', 'Basic Authentication is disabled'],
    ['basic credential', 'header Basic dXNlcjpwYXNzd29yZA==', `header Basic ${MASK}`],
    ['jwt', `token ${JWT} rejected`, `token ${MASK} rejected`],
    [
      'query password',
      'GET /login?user=bob&password=hunter2&x=1',
      `GET /login?user=bob&password=${MASK}&x=1`,
    ],
    [
      'query key',
      'https://maps.example.com/api?key=AbCdEf123456&q=x',
      `https://maps.example.com/api?key=${MASK}&q=x`,
    ],
    ['key=value pwd', 'Server=db;Uid=sa;Pwd=Secret#1;Database=x', `Server=db;Uid=sa;Pwd=${MASK};Database=x`],
    ['token=', 'retry with token=ab12cd34', `retry with token=${MASK}`],
    [
      'prefixed key',
      'X-Amz-Signature=deadbeefcafe&X-Amz-Date=20250101',
      `X-Amz-Signature=${MASK}&X-Amz-Date=20250101`,
    ],
    ['db_password=', 'db_password="quoted value"', `db_password="${MASK}"`],
    [
      'json key',
      '{"user":"bob","password":"hunter2","port":5432}',
      `{"user":"bob","password":"${MASK}","port":5432}`,
    ],
    ['json api_key', '{"api_key": "zzz-123"}', `{"api_key": "${MASK}"}`],
    ['yaml line', 'host: db\n  password: hunter2\nport: 1', `host: db\n  password: ${MASK}\nport: 1`],
    ['yaml env ref kept', `  password: ${ref('MYSQL_PASSWORD')}`, `  password: ${ref('MYSQL_PASSWORD')}`],
    ['header line', 'X-Api-Key: 0123456789abcdef', `X-Api-Key: ${MASK}`],
    ['openai key', 'using sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12', `using ${MASK}`],
    ['github token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', MASK],
    ['aws key id', 'key id AKIAIOSFODNN7EXAMPLE here', `key id ${MASK} here`],
    ['slack', 'xoxb-123456789012-abcdefghijkl', MASK],
    ['pem', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', MASK],
    // no false positives
    [
      'prose',
      'The password field is required for MySQL connections',
      'The password field is required for MySQL connections',
    ],
    ['token counts', 'max_tokens=100 token_count=5 tokens=7', 'max_tokens=100 token_count=5 tokens=7'],
    ['author is not auth', 'author=Ava DuVernay', 'author=Ava DuVernay'],
    ['numbers', '212 rows in 35 ms, 3.14159, -42', '212 rows in 35 ms, 3.14159, -42'],
    ['iso date', '2025-03-14T09:15:02.123Z', '2025-03-14T09:15:02.123Z'],
    ['manifest hash', `manifest_hash=${SHA}`, `manifest_hash=${SHA}`],
    ['hash alone', SHA, SHA],
    ['run id', '20250314T091502Z-0kz3m8qd', '20250314T091502Z-0kz3m8qd'],
    ['url without userinfo', 'https://example.com/a/b?page=2', 'https://example.com/a/b?page=2'],
    ['primary key text', 'primary_key=id key_columns=a,b', 'primary_key=id key_columns=a,b'],
    [
      'sql',
      'SELECT director, count(*) FROM movies WHERE year > 2000',
      'SELECT director, count(*) FROM movies WHERE year > 2000',
    ],
    ['task slug', 'step task-management-overview done', 'step task-management-overview done'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(r.redactText(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const [, input] of cases) {
      const once = r.redactText(input);
      expect(r.redactText(once)).toBe(once);
    }
  });
});

describe('redactValue', () => {
  const r = createRedactor({
    secretValues: ['canary-9f3b1c'],
    secretKeys: ['/auth/shared_phrase', 'webhook'],
  });
  const cases: [string, unknown, unknown][] = [
    ['password key', { password: 'x' }, { password: MASK }],
    ['numeric password', { pwd: 123456 }, { pwd: MASK }],
    ['nested secret subtree', { credentials: { user: 'a', pass: 'b' } }, { credentials: MASK }],
    [
      'many secret names',
      {
        passwd: 'a',
        secret: 'a',
        token: 'a',
        api_key: 'a',
        apiKey: 'a',
        'x-api-key': 'a',
        key: 'a',
        private_key: 'a',
        client_secret: 'a',
        service_role_key: 'a',
        anon_key: 'a',
        pg_dsn: 'a',
        dsn: 'a',
        connection_string: 'a',
        Authorization: 'a',
        access_token: 'a',
        db_pass: 'a',
        supabase_key: 'a',
      },
      {
        passwd: MASK,
        secret: MASK,
        token: MASK,
        api_key: MASK,
        apiKey: MASK,
        'x-api-key': MASK,
        key: MASK,
        private_key: MASK,
        client_secret: MASK,
        service_role_key: MASK,
        anon_key: MASK,
        pg_dsn: MASK,
        dsn: MASK,
        connection_string: MASK,
        Authorization: MASK,
        access_token: MASK,
        db_pass: MASK,
        supabase_key: MASK,
      },
    ],
    [
      'structural keys kept',
      {
        primary_key: ['id'],
        key_columns: ['a'],
        sort_key: 'ts',
        partition_key: 'day',
        cache_key: 'abc',
        token_count: 5,
        total_tokens: 10,
        auth_type: 'basic',
        password_env: 'MYSQL_PASSWORD',
        author: 'Ava',
        keys: ['a'],
      },
      {
        primary_key: ['id'],
        key_columns: ['a'],
        sort_key: 'ts',
        partition_key: 'day',
        cache_key: 'abc',
        token_count: 5,
        total_tokens: 10,
        auth_type: 'basic',
        password_env: 'MYSQL_PASSWORD',
        author: 'Ava',
        keys: ['a'],
      },
    ],
    [
      'null/bool/env ref under secret keys kept',
      { password: null, token: true, secret: ref('API_SECRET') },
      { password: null, token: true, secret: ref('API_SECRET') },
    ],
    [
      'spec keys (pointer and plain)',
      { auth: { shared_phrase: 'x' }, shared_phrase: 'y', webhook: 'z' },
      { auth: MASK, shared_phrase: MASK, webhook: MASK },
    ],
    [
      'known value in free text',
      { message: 'connect failed for canary-9f3b1c' },
      { message: `connect failed for ${MASK}` },
    ],
    ['strings in arrays scanned', ['ok', 'postgres://u:pw1234@h/d'], ['ok', `postgres://u:${MASK}@h/d`]],
    ['random credential string', { value: 'Zx8Kq2Lm9Pw4Rt7Yv1Nb6Hc3Jd5Fg0Ss' }, { value: MASK }],
    [
      'hashes and ids kept',
      { manifest_hash: SHA, run_id: '20250314T091502Z-0kz3m8qd', sha: 'a'.repeat(64) },
      { manifest_hash: SHA, run_id: '20250314T091502Z-0kz3m8qd', sha: 'a'.repeat(64) },
    ],
    [
      'numbers kept',
      { rows_out: 212, duration_ms: 35.5, ratio: -0.25 },
      { rows_out: 212, duration_ms: 35.5, ratio: -0.25 },
    ],
    [
      'non-json values',
      { d: new Date('2025-01-01T00:00:00Z'), n: 10n, u: undefined, inf: Number.POSITIVE_INFINITY },
      { d: '2025-01-01T00:00:00.000Z', n: '10', inf: 'Infinity' },
    ],
    ['errors', new Error('bad password=hunter2'), { name: 'Error', message: `bad password=${MASK}` }],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(r.redactValue(input)).toEqual(expected);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(r.redactValue(a)).toEqual({ x: 1, self: '[circular]' });
  });

  it('learns secrets later', () => {
    const late = createRedactor();
    expect(late.redactText('value is hunter2-late')).toBe('value is hunter2-late');
    late.addSecrets({ secretValues: ['hunter2-late'], secretKeys: ['pin'] });
    expect(late.redactText('value is hunter2-late')).toBe(`value is ${MASK}`);
    expect(late.redactValue({ pin: 1234 })).toEqual({ pin: MASK });
  });
});

describe('looksLikeCredential', () => {
  it('flags random mixed strings only', () => {
    expect(looksLikeCredential('Zx8Kq2Lm9Pw4Rt7Yv1Nb6Hc3Jd5Fg0Ss')).toBe(true);
    expect(looksLikeCredential('ComputeDirectorStatisticsFor2024')).toBe(false);
    expect(looksLikeCredential('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBe(
      false,
    );
    expect(looksLikeCredential('short1A')).toBe(false);
  });
});

describe('redactText stays linear on hostile input', () => {
  const r = createRedactor({ secretValues: ['abcd1234'] });
  const big = 200_000;
  const inputs: Record<string, string> = {
    snake: 'a_'.repeat(big / 2),
    dotted: 'ab.'.repeat(big / 3),
    dashed: 'sk-a-'.repeat(big / 5),
    schemes: 'a://b:'.repeat(big / 6),
    userinfo: `postgres://u:${'x@'.repeat(big / 2)}`,
    colons: 'password:'.repeat(big / 9),
    equals: 'token=token='.repeat(big / 12),
    jwtish: 'eyJaaaaa.'.repeat(big / 9),
    pem: '-----BEGIN PRIVATE KEY-----'.repeat(big / 27),
    bearer: 'Bearer '.repeat(big / 7),
    json: '"password":"'.repeat(big / 12),
  };
  it.each(Object.entries(inputs))('%s', (_name, input) => {
    const started = performance.now();
    r.redactText(input);
    expect(performance.now() - started).toBeLessThan(1500);
  });
  it('masks an unterminated PEM block to the end', () => {
    expect(r.redactText('a\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE')).toBe(`a\n${MASK}`);
    expect(r.redactText('x -----BEGIN PRIVATE KEY-----k-----END PRIVATE KEY----- y')).toBe(`x ${MASK} y`);
  });
});
