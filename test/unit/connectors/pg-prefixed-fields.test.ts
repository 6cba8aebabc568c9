import { describe, expect, it } from 'vitest';
import { pgTarget } from '../../../src/connectors/postgres/client.js';

describe('Supabase connections with pg_host, pg_port, pg_user, pg_password, pg_database', () => {
  it('use them for the Postgres protocol', () => {
    const target = pgTarget(
      {
        family: 'supabase',
        alias: 'main',
        fields: {
          url: 'https://abc.supabase.co',
          pg_host: 'db.abc.supabase.co',
          pg_port: 6543,
          pg_user: 'postgres.abc',
          pg_password: 's3cret',
          pg_database: 'postgres',
        },
      },
      {},
      'supabase',
    );
    expect(target).toMatchObject({
      host: 'db.abc.supabase.co',
      port: 6543,
      user: 'postgres.abc',
      password: 's3cret',
      database: 'postgres',
    });
  });

  it('never override the plain fields', () => {
    const target = pgTarget(
      { family: 'supabase', alias: 'main', fields: { host: 'h1', pg_host: 'h2' } },
      {},
      'supabase',
    );
    expect(target.host).toBe('h1');
  });
});
