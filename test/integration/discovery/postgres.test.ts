// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Discovery and `connections doctor` against the real PostgreSQL (trust auth for local connections, so a
 * wrong password still logs in; an unknown role is what "auth failed" looks like here). Each run works in its
 * own schema, dropped afterwards. Library calls plus the built CLI (`npm run build` first).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorConnections } from '../../../src/connections/doctor.js';
import { discover } from '../../../src/discovery/discover.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { POSTGRES, postgresUnavailable, uniqueName } from '../../helpers/databases.js';
import { grepTree, projectWith, silentServer } from './helpers.js';

const why = await postgresUnavailable();
const schema = uniqueName('osiris_disc');
const CANARY = `Canary-${Math.random().toString(36).slice(2, 12)}`;
let dir: string;
let project: ProjectConfig;
let silent: Awaited<ReturnType<typeof silentServer>>;
const env = { PG_PW: CANARY };

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...POSTGRES });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(why !== undefined)('discovery and doctor on PostgreSQL', () => {
  beforeAll(async () => {
    silent = await silentServer();
    await admin(async (c) => {
      await c.query(`CREATE SCHEMA "${schema}"`);
      await c.query(`CREATE TABLE "${schema}".accounts (
        id integer PRIMARY KEY,
        handle text NOT NULL,
        nickname text NULL,
        password_hash text NULL,
        "apiKey" text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        balance numeric(12,2),
        note text
      )`);
      await c.query(`CREATE TABLE "${schema}".memberships (
        account_id bigint NOT NULL, group_id bigint NOT NULL, since date,
        PRIMARY KEY (account_id, group_id)
      )`);
      await c.query(`CREATE VIEW "${schema}".v_accounts AS SELECT id, handle FROM "${schema}".accounts`);
      await c.query(
        `INSERT INTO "${schema}".accounts (id, handle, nickname, password_hash, "apiKey", balance, note)
         SELECT g, 'h' || g, CASE WHEN g % 2 = 0 THEN 'nick' || g END, 'hash-of-' || g, 'key-' || g || '-xyz',
                g + 0.5, CASE WHEN g = 1 THEN 'pw is ' || $1::text ELSE 'note ' || g END
         FROM generate_series(1, 40) g`,
        [CANARY],
      );
      await c.query(`INSERT INTO "${schema}".memberships VALUES (1, 1, '2024-01-01'), (1, 2, NULL)`);
      await c.query(`ANALYZE "${schema}".accounts`);
      await c.query(`ANALYZE "${schema}".memberships`);
    });
    const base = [`      host: ${POSTGRES.host}`, `      port: ${POSTGRES.port}`];
    dir = projectWith(
      [
        '  postgres:',
        '    main:',
        ...base,
        `      database: ${POSTGRES.database}`,
        `      user: ${POSTGRES.user}`,
        '      password: ${PG_PW}',
        `      schema: ${schema}`,
        '    norole:',
        ...base,
        `      database: ${POSTGRES.database}`,
        `      user: ${schema}_nobody`,
        '      password: ${PG_PW}',
        '    noschema:',
        ...base,
        `      database: ${POSTGRES.database}`,
        `      user: ${POSTGRES.user}`,
        `      schema: ${schema}_missing`,
        '    nodb:',
        ...base,
        `      database: ${schema}_missing`,
        `      user: ${POSTGRES.user}`,
        '    down:',
        `      host: 127.0.0.1`,
        '      port: 1',
        `      database: ${POSTGRES.database}`,
        `      user: ${POSTGRES.user}`,
        '    silent:',
        `      host: 127.0.0.1`,
        `      port: ${silent.port}`,
        `      database: ${POSTGRES.database}`,
        `      user: ${POSTGRES.user}`,
        '  supabase:',
        '    direct:',
        ...base,
        `      database: ${POSTGRES.database}`,
        `      user: ${POSTGRES.user}`,
        '      password: ${PG_PW}',
        `      schema: ${schema}`,
        '  filesystem:',
        '    local:',
        '      base_dir: ./data',
        '',
      ].join('\n'),
    );
    project = loadProjectConfig({ cwd: dir, env: {} });
  });

  afterAll(async () => {
    await silent?.close();
    await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  });

  it('lists the schema tables and views with row estimates', async () => {
    const result = await discover({ ref: '@postgres.main', project, env });
    const mine = result.tables.filter((t) => t.schema === schema);
    expect(mine.map((t) => `${t.name}:${t.kind}`)).toEqual([
      'accounts:table',
      'memberships:table',
      'v_accounts:view',
    ]);
    expect(mine.find((t) => t.name === 'accounts')?.rowEstimate).toBe(40);
    expect(mine.find((t) => t.name === 'memberships')?.rowEstimate).toBe(2);
    expect(result.described).toEqual([]);
  });

  it('describes columns, types, nullability and keys', async () => {
    const result = await discover({
      ref: '@postgres.main',
      project,
      env,
      tables: [`${schema}.accounts`, 'memberships'],
      samples: 0,
    });
    const accounts = result.described.find((t) => t.name === 'accounts');
    const col = (n: string) => accounts?.columns.find((c) => c.name === n);
    expect(accounts?.primaryKey).toEqual(['id']);
    expect(col('id')).toMatchObject({
      sourceType: 'integer',
      duckdbType: 'INTEGER',
      nullable: false,
      primaryKeyPosition: 1,
    });
    expect(col('handle')).toMatchObject({ nullable: false, duckdbType: 'VARCHAR' });
    expect(col('nickname')?.nullable).toBe(true);
    expect(col('created_at')?.sourceType).toBe('timestamp with time zone');
    expect(col('created_at')?.duckdbType).toMatch(/^TIMESTAMP(TZ| WITH TIME ZONE)$/);
    expect(col('created_at')?.default).toMatch(/now\(\)/);
    expect(col('balance')).toMatchObject({ sourceType: 'numeric(12,2)', duckdbType: 'DECIMAL(12,2)' });
    const memberships = result.described.find((t) => t.name === 'memberships');
    expect(memberships?.primaryKey).toEqual(['account_id', 'group_id']);
  });

  it('samples rows with secret-named columns and the connection password masked', async () => {
    const result = await discover({ ref: '@postgres.main', project, env, tables: ['accounts'], samples: 4 });
    const accounts = result.described[0];
    expect(accounts?.maskedColumns).toEqual(['password_hash', 'apiKey']);
    expect(accounts?.samples).toHaveLength(4);
    for (const row of accounts?.samples ?? []) {
      expect(row.password_hash).toBe('***');
      expect(row.apiKey).toBe('***');
    }
    const first = accounts?.samples.find((r) => Number(r.id) === 1);
    expect(first).toMatchObject({ handle: 'h1', nickname: null, note: 'pw is ***' });
    const all = JSON.stringify(result);
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain('hash-of-');
    expect(all).not.toContain('key-1-xyz');
    expect(grepTree(project.paths.cache, CANARY)).toEqual([]);
  });

  it('serves from the cache until the schema changes', async () => {
    await discover({ ref: '@postgres.main', project, env, tables: ['memberships'], refresh: true });
    const hit = await discover({ ref: '@postgres.main', project, env, tables: ['memberships'] });
    expect(hit.cache.status).toBe('hit');
    await admin((c) => c.query(`ALTER TABLE "${schema}".memberships ADD COLUMN role text`));
    const changed = await discover({ ref: '@postgres.main', project, env, tables: ['memberships'] });
    expect(changed.cache).toMatchObject({ status: 'miss', reason: 'schema_changed' });
    expect(changed.described[0]?.columns.map((c) => c.name)).toContain('role');
  });

  it('discovers supabase connections over the Postgres protocol', async () => {
    const result = await discover({
      ref: '@supabase.direct',
      project,
      env,
      tables: ['accounts'],
      samples: 1,
    });
    expect(result.family).toBe('supabase');
    expect(result.described[0]?.primaryKey).toEqual(['id']);
    // Same server and schema, but another alias: its own cache entry.
    const pgResult = await discover({ ref: '@postgres.main', project, env });
    expect(result.cache.key).not.toBe(pgResult.cache.key);
  });

  it('doctor: ok, unknown role, database missing, unreachable, timeout, skipped', async () => {
    const report = await doctorConnections({ cwd: dir, projectRoot: dir, env, timeoutMs: 1500 });
    const status = Object.fromEntries(report.results.map((r) => [r.connection, r.status]));
    expect(status).toEqual({
      '@postgres.main': 'ok',
      '@postgres.noschema': 'schema_missing',
      '@postgres.norole': 'auth_failed',
      '@postgres.nodb': 'database_missing',
      '@postgres.down': 'unreachable',
      '@postgres.silent': 'timeout',
      '@supabase.direct': 'ok',
      '@filesystem.local': 'skipped',
    });
    expect(report.results.find((r) => r.alias === 'main')?.serverVersion).toMatch(/\d+\.\d+/);
    expect(report.results.find((r) => r.alias === 'norole')?.message).toContain(`${schema}_nobody`);
    // The server answers but the schema the connection names does not exist: a warning, with the fix.
    expect(report.results.find((r) => r.alias === 'noschema')?.message).toContain(
      `but schema '${schema}_missing' does not exist — create it (CREATE SCHEMA "${schema}_missing")`,
    );
    expect(report.summary).toEqual({ ok: 2, warnings: 1, failed: 4, skipped: 1 });
    expect(report.ok).toBe(false);
    expect(JSON.stringify(report)).not.toContain(CANARY);
  });

  describe('CLI', () => {
    const cli = (args: string[]) => runCli(args, { cwd: dir, env });

    it('discovery run and connections doctor', () => {
      const human = cli(['discovery', 'run', '@postgres.main', '--tables', 'accounts', '--samples', '2']);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`${schema}.accounts`);
      expect(human.stdout).toContain('masked: password_hash, apiKey');
      expect(human.stdout + human.stderr).not.toContain(CANARY);
      const json = runCliJson<{ ok: boolean; connection: string }>(['discovery', 'run', '@postgres.main'], {
        cwd: dir,
        env,
      });
      expect(json.json).toMatchObject({ ok: true, connection: '@postgres.main' });
      expect(cli(['discovery', 'run', '@postgres.down']).code).toBe(1);
      const fsFamily = cli(['discovery', 'run', '@filesystem.local']);
      expect(fsFamily.code).toBe(2);
      expect(fsFamily.stderr).toContain('CON060');
      const doctor = cli(['connections', 'doctor', '@postgres.main']);
      expect(doctor.code).toBe(0);
      expect(doctor.stdout + doctor.stderr).not.toContain(CANARY);
      const nodb = cli(['connections', 'doctor', '@postgres.nodb']);
      expect(nodb.code).toBe(1);
      expect(nodb.stdout).toMatch(/database missing/);
      const noschema = cli(['connections', 'doctor', '@postgres.noschema']);
      expect(noschema.code).toBe(0);
      expect(noschema.stdout).toMatch(/^! {2}@postgres\.noschema {2}schema missing /m);
      expect(noschema.stdout).toContain('0 ok, 1 warning, 0 failed, 0 skipped');
    });
  });
});
