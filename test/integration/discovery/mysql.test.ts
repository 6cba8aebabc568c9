// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Discovery and `connections doctor` against the real MariaDB: a small schema with a primary key, a nullable
 * column and secret-named columns; a login user with a canary password created for the test and dropped
 * afterwards. Library calls plus the built CLI (`npm run build` first).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorConnections } from '../../../src/connections/doctor.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { discover } from '../../../src/discovery/discover.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { MYSQL, mysqlUnavailable, uniqueName } from '../../helpers/databases.js';
import { grepTree, projectWith, silentServer } from './helpers.js';

const why = await mysqlUnavailable();
const db = uniqueName('osiris_disc');
const user = uniqueName('osiris_doc');
const CANARY = `Canary-${randomBytes(6).toString('hex')}`;
const WRONG = `Wrong-${randomBytes(6).toString('hex')}`;
let dir: string;
let project: ProjectConfig;
let silent: Awaited<ReturnType<typeof silentServer>>;
const env = { CANARY_PW: CANARY };

async function admin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ ...MYSQL, multipleStatements: true });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

describe.skipIf(why !== undefined)('discovery and doctor on MariaDB', () => {
  beforeAll(async () => {
    silent = await silentServer();
    await admin(async (c) => {
      await c.query(`CREATE DATABASE \`${db}\``);
      await c.query(`USE \`${db}\``);
      await c.query(`CREATE TABLE customers (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(50) NOT NULL,
        nickname VARCHAR(50) NULL,
        password VARCHAR(100) NULL,
        api_token VARCHAR(64) NULL,
        balance DECIMAL(12,2) NOT NULL DEFAULT 0,
        notes TEXT NULL
      )`);
      await c.query(`CREATE TABLE order_lines (
        order_id BIGINT NOT NULL, line INT NOT NULL, amount DECIMAL(12,2),
        PRIMARY KEY (order_id, line)
      )`);
      await c.query('CREATE VIEW v_customers AS SELECT id, name FROM customers');
      const rows = Array.from({ length: 25 }, (_, i) => [
        `name${i + 1}`,
        i % 2 === 0 ? null : `nick${i + 1}`,
        `pw-of-${i + 1}`,
        `tok-${i + 1}-abcdef`,
        `${i}.50`,
        i === 0 ? `the reader's password is ${CANARY}` : `note ${i + 1}`,
      ]);
      await c.query('INSERT INTO customers (name, nickname, password, api_token, balance, notes) VALUES ?', [
        rows,
      ]);
      await c.query('INSERT INTO order_lines VALUES (1, 1, 9.99), (1, 2, 19.00), (2, 1, 5.00)');
      await c.query('ANALYZE TABLE customers, order_lines');
      for (const host of ['127.0.0.1', 'localhost']) {
        await c.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${CANARY}'`);
        await c.query(`GRANT SELECT, SHOW VIEW ON \`${db}\`.* TO '${user}'@'${host}'`);
      }
    });
    dir = projectWith(
      [
        '  mysql:',
        '    main:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      database: ${db}`,
        `      user: ${MYSQL.user}`,
        '      password: ""',
        '    reader:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      database: ${db}`,
        `      user: ${user}`,
        '      password: ${CANARY_PW}',
        '    wrongpw:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      database: ${db}`,
        `      user: ${user}`,
        `      password: ${WRONG}`,
        '    nodb:',
        `      host: ${MYSQL.host}`,
        `      port: ${MYSQL.port}`,
        `      database: ${db}_missing`,
        `      user: ${MYSQL.user}`,
        '      password: ""',
        '    down:',
        '      host: 127.0.0.1',
        '      port: 1',
        `      database: ${db}`,
        `      user: ${MYSQL.user}`,
        '    silent:',
        '      host: 127.0.0.1',
        `      port: ${silent.port}`,
        `      database: ${db}`,
        `      user: ${MYSQL.user}`,
        '',
      ].join('\n'),
    );
    project = loadProjectConfig({ cwd: dir, env: {} });
  });

  afterAll(async () => {
    await silent?.close();
    await admin(async (c) => {
      for (const host of ['127.0.0.1', 'localhost']) await c.query(`DROP USER IF EXISTS '${user}'@'${host}'`);
      await c.query(`DROP DATABASE IF EXISTS \`${db}\``);
    });
  });

  it('lists tables and views with row estimates', async () => {
    const result = await discover({ ref: '@mysql.reader', project, env });
    const names = result.tables.map((t) => `${t.schema}.${t.name}:${t.kind}`);
    expect(names).toEqual([`${db}.customers:table`, `${db}.order_lines:table`, `${db}.v_customers:view`]);
    const customers = result.tables.find((t) => t.name === 'customers');
    expect(customers?.rowEstimate).toBeGreaterThanOrEqual(15);
    expect(customers?.rowEstimate).toBeLessThanOrEqual(40);
    expect(result.described).toEqual([]);
    expect(result.cache.status).toBe('miss');
  });

  it('describes columns, types, nullability and keys', async () => {
    const result = await discover({
      ref: '@mysql.reader',
      project,
      env,
      tables: ['customers', 'order_lines'],
      samples: 0,
    });
    const customers = result.described.find((t) => t.name === 'customers');
    const col = (n: string) => customers?.columns.find((c) => c.name === n);
    expect(customers?.columns.map((c) => c.name)).toEqual([
      'id',
      'name',
      'nickname',
      'password',
      'api_token',
      'balance',
      'notes',
    ]);
    expect(customers?.primaryKey).toEqual(['id']);
    expect(col('id')).toMatchObject({ nullable: false, primaryKeyPosition: 1, duckdbType: 'INTEGER' });
    expect(col('id')?.sourceType).toMatch(/^int/);
    expect(col('name')).toMatchObject({ nullable: false, primaryKeyPosition: null, duckdbType: 'VARCHAR' });
    expect(col('nickname')?.nullable).toBe(true);
    expect(col('balance')).toMatchObject({ sourceType: 'decimal(12,2)', duckdbType: 'DECIMAL(12,2)' });
    const lines = result.described.find((t) => t.name === 'order_lines');
    expect(lines?.primaryKey).toEqual(['order_id', 'line']);
    expect(lines?.columns.find((c) => c.name === 'order_id')?.duckdbType).toBe('BIGINT');
    expect(lines?.columns.find((c) => c.name === 'line')?.primaryKeyPosition).toBe(2);
  });

  it('samples rows with secret-named columns and the connection password masked', async () => {
    const result = await discover({ ref: '@mysql.reader', project, env, tables: ['customers'], samples: 5 });
    const customers = result.described[0];
    expect(customers?.maskedColumns).toEqual(['password', 'api_token']);
    expect(customers?.samples).toHaveLength(5);
    const byId = new Map(customers?.samples.map((r) => [Number(r.id), r]));
    expect(byId.get(1)).toMatchObject({ name: 'name1', nickname: null, password: '***', api_token: '***' });
    expect(byId.get(2)).toMatchObject({ name: 'name2', nickname: 'nick2', password: '***' });
    expect(String(byId.get(1)?.notes)).toBe("the reader's password is ***");
    expect(String(byId.get(2)?.balance)).toMatch(/^1\.50?$/);
    const all = JSON.stringify(result);
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain('pw-of-');
    expect(all).not.toContain('tok-1-abcdef');
    expect(grepTree(project.paths.cache, CANARY)).toEqual([]);
    expect(grepTree(project.paths.cache, 'pw-of-')).toEqual([]);
  });

  it('serves from the cache until the schema changes', async () => {
    await discover({ ref: '@mysql.main', project, env, tables: ['order_lines'], refresh: true });
    const hit = await discover({ ref: '@mysql.main', project, env, tables: ['order_lines'] });
    expect(hit.cache.status).toBe('hit');
    await admin((c) => c.query(`ALTER TABLE \`${db}\`.order_lines ADD COLUMN note VARCHAR(20) NULL`));
    const changed = await discover({ ref: '@mysql.main', project, env, tables: ['order_lines'] });
    expect(changed.cache).toMatchObject({ status: 'miss', reason: 'schema_changed' });
    expect(changed.described[0]?.columns.map((c) => c.name)).toContain('note');
    expect(changed.schemaFingerprint).not.toBe(hit.schemaFingerprint);
  });

  it('fails with the alias and without the password when the login is refused', async () => {
    const error = await discover({ ref: '@mysql.wrongpw', project, env }).then(
      () => new Error('expected a failure'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(OsirisError);
    expect(error.message).toContain('@mysql.wrongpw');
    expect(error.message).not.toContain(WRONG);
    expect((error as { exitCode?: number }).exitCode).toBe(1);
  });

  it('doctor: ok, auth failed, database missing, unreachable, timeout', async () => {
    const report = await doctorConnections({ cwd: dir, projectRoot: dir, env, timeoutMs: 1500 });
    const status = Object.fromEntries(report.results.map((r) => [r.alias, r.status]));
    expect(status).toEqual({
      main: 'ok',
      reader: 'ok',
      wrongpw: 'auth_failed',
      nodb: 'database_missing',
      down: 'unreachable',
      silent: 'timeout',
    });
    const main = report.results.find((r) => r.alias === 'main');
    expect(main?.serverVersion).toMatch(/MariaDB|^\d+\.\d+/);
    expect(main?.latencyMs).toBeGreaterThanOrEqual(0);
    const silentResult = report.results.find((r) => r.alias === 'silent');
    expect(silentResult?.latencyMs).toBeGreaterThanOrEqual(1000);
    expect(silentResult?.latencyMs).toBeLessThan(4000);
    expect(report.summary).toEqual({ ok: 2, warnings: 0, failed: 4, skipped: 0 });
    const text = JSON.stringify(report);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(WRONG);
  });

  describe('CLI', () => {
    const cli = (args: string[]) => runCli(args, { cwd: dir, env });
    const noSecret = (r: { stdout: string; stderr: string }) => {
      expect(r.stdout + r.stderr).not.toContain(CANARY);
      expect(r.stdout + r.stderr).not.toContain(WRONG);
    };

    it('discovery run: human and JSON output', () => {
      const human = cli(['discovery', 'run', '@mysql.reader', '--tables', 'customers', '--samples', '3']);
      expect(human.stderr).toBe('');
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`${db}.customers`);
      expect(human.stdout).toContain('masked: password, api_token');
      expect(human.stdout).toMatch(/id\s+int/);
      noSecret(human);
      const json = runCliJson<{ ok: boolean; tables: unknown[]; described: Array<{ samples: unknown[] }> }>(
        ['discovery', 'run', '@mysql.reader', '--samples', '2'],
        { cwd: dir, env },
      );
      expect(json.code).toBe(0);
      expect(json.json?.ok).toBe(true);
      expect(json.json?.tables).toHaveLength(3);
      expect(json.json?.described.map((d) => d.samples.length)).toEqual([2, 2, 2]);
      noSecret(json);
    });

    it('discovery run: exit 2 for bad input, 1 for a connection failure', () => {
      expect(cli(['discovery', 'run', 'mysql.reader']).code).toBe(2);
      expect(cli(['discovery', 'run', '@mysql.nope']).code).toBe(2);
      const samples = cli(['discovery', 'run', '@mysql.reader', '--samples', '500']);
      expect(samples.code).toBe(2);
      expect(samples.stderr).toContain('DSC001');
      expect(cli(['discovery', 'run', '@mysql.reader', '--samples', 'x']).code).toBe(2);
      expect(cli(['discovery', 'run', '@mysql.reader', '--tables', 'custmers']).stderr).toContain(
        "did you mean 'customers'",
      );
      const down = cli(['discovery', 'run', '@mysql.down']);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('@mysql.down');
      const wrong = cli(['discovery', 'run', '@mysql.wrongpw']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('@mysql.wrongpw');
      noSecret(wrong);
    });

    it('connections doctor: exit codes and no secrets', () => {
      const one = cli(['connections', 'doctor', '@mysql.reader']);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/✓\s+@mysql\.reader\s+ok/);
      noSecret(one);
      const all = runCliJson<{ ok: boolean; results: Array<{ alias: string; status: string }> }>(
        ['connections', 'doctor', '--timeout', '1500'],
        { cwd: dir, env },
      );
      expect(all.code).toBe(1);
      expect(all.json?.ok).toBe(false);
      expect(all.json?.results.find((r) => r.alias === 'wrongpw')?.status).toBe('auth_failed');
      noSecret(all);
      const human = cli(['connections', 'doctor', '--timeout', '1500']);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/✗\s+@mysql\.wrongpw\s+auth failed/);
      expect(human.stdout).toMatch(/✗\s+@mysql\.silent\s+timeout/);
      noSecret(human);
      expect(cli(['connections', 'doctor', '@mysql.nope']).code).toBe(2);
      expect(cli(['connections', 'doctor', 'bad ref']).code).toBe(2);
      expect(cli(['connections', 'doctor', '--timeout', 'soon']).code).toBe(2);
    });
  });
});
