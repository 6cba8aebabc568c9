import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { connectionIdentity } from '../../../src/discovery/cache.js';
import {
  connectionSecretValues,
  discover,
  isSensitiveColumn,
  maskSampleRows,
} from '../../../src/discovery/discover.js';
import type { FamilyConnector } from '../../../src/discovery/types.js';
import { createRedactor } from '../../../src/observability/redact.js';
import { CANARY, type FakeState, fakeConnector, makeProject, shopTables } from './fake.js';

const redactor = createRedactor();

function setup(state: Partial<FakeState> = {}) {
  const fakeState: FakeState = { tables: shopTables(), fingerprint: 'fp-1', ...state };
  const fake = fakeConnector(fakeState);
  const { project } = makeProject();
  const lookup = async (family: string): Promise<FamilyConnector | undefined> =>
    family === 'mysql' ? fake.connector : undefined;
  return {
    ...fake,
    state: fakeState,
    project,
    run: (extra: Partial<Parameters<typeof discover>[0]> = {}) =>
      discover({ ref: '@mysql.primary', project, env: {}, connectors: lookup, ...extra }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<OsirisError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OsirisError) return error;
    throw error;
  }
  throw new Error('expected an OsirisError');
}

describe('secret-like columns', () => {
  it.each([
    'password',
    'user_password',
    'PasswordHash',
    'api_key',
    'apiKey',
    'access_token',
    'token',
    'client_secret',
    'secret',
    'ssn',
    'customer_ssn',
    'social_security_number',
    'credit_card',
    'credit_card_number',
    'creditCardNumber',
    'card_number',
    'cvv',
    'iban',
    'pin',
    'password_salt',
  ])('%s is masked', (name) => {
    expect(isSensitiveColumn(name, redactor)).toBe(true);
  });

  it.each([
    'id',
    'name',
    'email',
    'primary_key',
    'token_count',
    'created_at',
    'amount',
    'spinner',
    'opinion',
    'card_type',
  ])('%s is not masked', (name) => {
    expect(isSensitiveColumn(name, redactor)).toBe(false);
  });

  it('masks every non-null value of a sensitive column and keeps nulls', () => {
    const { rows, maskedColumns } = maskSampleRows(
      [
        { id: 1, password: 'hunter2', card_number: '4111111111111111', name: 'Ann' },
        { id: 2, password: null, card_number: '', name: 'Bob' },
      ],
      ['id', 'password', 'card_number', 'name'],
      redactor,
    );
    expect(maskedColumns).toEqual(['password', 'card_number']);
    expect(rows).toEqual([
      { id: 1, password: '***', card_number: '***', name: 'Ann' },
      { id: 2, password: null, card_number: '***', name: 'Bob' },
    ]);
  });

  it('passes the other values through the redactor', () => {
    const { rows } = maskSampleRows(
      [
        {
          note: 'see postgresql://app:s3cr3t-pass@db:5432/x',
          jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc',
        },
      ],
      ['note', 'jwt'],
      redactor,
    );
    expect(JSON.stringify(rows)).not.toContain('s3cr3t-pass');
    expect(JSON.stringify(rows)).not.toContain('eyJzdWIiOiIxMjMifQ');
  });
});

describe('masking in discovery results and cache', () => {
  it('masks sample values of secret-named columns and the connection password anywhere', async () => {
    const t = setup();
    const result = await t.run({ tables: ['users'], samples: 30 });
    const users = result.described[0];
    expect(users?.maskedColumns).toEqual(['password', 'apiKey', 'ssn', 'credit_card_number']);
    expect(users?.samples).toHaveLength(30);
    for (const row of users?.samples ?? []) {
      expect(row.apiKey).toBe('***');
      expect(row.ssn).toBe('***');
      expect(row.credit_card_number).toBe('***');
      expect(row.email).toMatch(/^user\d+@example\.com$/);
    }
    expect(users?.samples[0]?.password).toBe('***');
    expect(users?.samples[2]?.password).toBeNull();
    // The first row's note quotes the connection's password: the redactor knows it.
    expect(users?.samples[0]?.notes).toBe('my db password is ***');
    const text = JSON.stringify(result) + readFileSync(result.cache.file, 'utf8');
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('hunter1');
    expect(text).not.toContain('123-45-1001');
    expect(text).not.toContain('4111 1111 1111');
  });

  it('bounds sample size at 100 and rejects bad values', async () => {
    const t = setup();
    for (const samples of [101, -1, 2.5, Number.NaN]) {
      const error = await rejection(t.run({ tables: ['users'], samples }));
      expect(error.diagnostics[0]?.code).toBe('DSC001');
      expect(error.exitCode).toBe(2);
    }
    expect(t.calls.open).toBe(0);
    const max = await t.run({ tables: ['users'], samples: 100 });
    expect(t.calls.sample).toEqual([{ table: 'users', limit: 100 }]);
    expect(max.described[0]?.samples).toHaveLength(30);
  });

  it('never takes more rows than asked even when an adapter returns more', async () => {
    const t = setup();
    const { connector } = t;
    const greedy: FamilyConnector = {
      ...connector,
      async openDiscovery(connection) {
        const adapter = await connector.openDiscovery(connection);
        return { ...adapter, sampleRows: (ref) => adapter.sampleRows(ref, 1000) };
      },
    };
    const result = await discover({
      ref: '@mysql.primary',
      project: t.project,
      env: {},
      tables: ['users'],
      samples: 3,
      connectors: async () => greedy,
    });
    expect(result.described[0]?.samples).toHaveLength(3);
  });
});

describe('connection identity and secrets', () => {
  it('takes host/port/database/user from a DSN without its password', () => {
    const identity = connectionIdentity({
      family: 'supabase',
      alias: 'db',
      fields: { pg_dsn: `postgresql://postgres.abc:${CANARY}@aws-0-eu.pooler.supabase.com:6543/postgres` },
    });
    expect(identity).toMatchObject({
      host: 'aws-0-eu.pooler.supabase.com',
      port: '6543',
      database: 'postgres',
      user: 'postgres.abc',
    });
    expect(JSON.stringify(identity)).not.toContain(CANARY);
    const keyword = connectionIdentity({
      family: 'postgres',
      alias: 'kw',
      fields: { dsn: `host=h1 port=5433 dbname=d1 user=u1 password=${CANARY}` },
    });
    expect(keyword).toMatchObject({ host: 'h1', port: '5433', database: 'd1', user: 'u1' });
    expect(JSON.stringify(keyword)).not.toContain(CANARY);
    const rest = connectionIdentity({
      family: 'supabase',
      alias: 'api',
      fields: { url: 'https://abc.supabase.co/rest/v1', key: CANARY },
    });
    expect(rest.url).toBe('https://abc.supabase.co');
    expect(JSON.stringify(rest)).not.toContain(CANARY);
  });

  it('collects secret values, including passwords inside DSNs', () => {
    const values = connectionSecretValues(
      {
        family: 'postgres',
        alias: 'x',
        fields: {
          host: 'h',
          password: 'pw-one',
          url: 'postgresql://u:p%40ss-two@h/db',
          dsn: 'host=h password=pw-three',
        },
      },
      redactor.isSecretKey,
    );
    expect(values).toEqual(expect.arrayContaining(['pw-one', 'p%40ss-two', 'p@ss-two', 'pw-three']));
    expect(values).not.toContain('h');
  });
});

describe('discovery errors', () => {
  it('reports a connection failure with the alias and without the password (exit 1)', async () => {
    const t = setup({ openError: new Error(`Access denied for user 'reader' (using password: ${CANARY})`) });
    const error = await rejection(t.run());
    expect(error.exitCode).toBe(1);
    expect(error.diagnostics[0]?.code).toBe('DSC010');
    expect(error.message).toContain('@mysql.primary');
    expect(error.message).toContain('Access denied');
    expect(error.message).not.toContain(CANARY);
  });

  it('names the table when describing fails, and closes the adapter', async () => {
    const t = setup({ describeError: new Error('permission denied') });
    const error = await rejection(t.run({ tables: ['orders'] }));
    expect(error.exitCode).toBe(1);
    expect(error.diagnostics[0]?.code).toBe('DSC011');
    expect(error.message).toContain("table 'shop.orders'");
    expect(t.calls.close).toBe(1);
  });

  it('rejects unknown and ambiguous tables (exit 2) with a suggestion', async () => {
    const t = setup();
    const unknown = await rejection(t.run({ tables: ['user'] }));
    expect(unknown.diagnostics[0]).toMatchObject({ code: 'DSC003', hint: "did you mean 'users'?" });
    const qualifiedTypo = await rejection(t.run({ tables: ['shop.user'] }));
    expect(qualifiedTypo.diagnostics[0]?.hint).toBe("did you mean 'shop.users'?");
    expect(unknown.exitCode).toBe(2);
    t.state.fingerprint = 'fp-2';
    t.state.tables.push({ schema: 'archive', name: 'orders', columns: [], rows: [] });
    const ambiguous = await rejection(t.run({ tables: ['orders'] }));
    expect(ambiguous.diagnostics[0]?.code).toBe('DSC004');
    expect(ambiguous.message).toContain('archive.orders, shop.orders');
    const qualified = await t.run({ tables: ['archive.orders'], samples: 0 });
    expect(qualified.described.map((d) => d.schema)).toEqual(['archive']);
  });

  it('rejects unknown connections and families without a connector (exit 2)', async () => {
    const t = setup();
    const alias = await rejection(t.run({ ref: '@mysql.primry' }));
    expect(alias.diagnostics[0]?.code).toBe('CON023');
    expect(alias.exitCode).toBe(2);
    const bad = await rejection(t.run({ ref: 'mysql.primary' }));
    expect(bad.diagnostics[0]?.code).toBe('CON025');
    const fs = await rejection(t.run({ ref: '@filesystem.local' }));
    expect(fs.diagnostics[0]?.code).toBe('CON060');
    expect(fs.message).toContain('supported: mysql, postgres, supabase');
    expect(fs.exitCode).toBe(2);
    expect(t.calls.open).toBe(0);
  });

  it('reports an unset variable of the connection without connecting', async () => {
    const t = setup();
    const error = await rejection(t.run({ ref: '@mysql.other' }));
    expect(error.message).toContain('OTHER_PASSWORD');
    expect(t.calls.open).toBe(0);
  });
});
