/**
 * `runReadOnlyQuery` with a fake connector (option checks, the read-only check before connecting, masking,
 * redaction, error codes) and the helpers the connectors share (src/discovery/query-rows.ts). The real
 * servers are exercised in test/integration/discovery/query.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { type ReadOnlyQueryOptions, runReadOnlyQuery } from '../../../src/discovery/query.js';
import {
  QueryTimeoutError,
  ReadOnlySqlError,
  readOnlyStatement,
  uniqueColumnNames,
  withDeadline,
  wrapWithLimit,
} from '../../../src/discovery/query-rows.js';
import type { FamilyConnector, QueryRowsResult } from '../../../src/discovery/types.js';
import { CANARY, type FakeState, fakeConnector, makeProject, shopTables } from './fake.js';

function setup(answer?: FakeState['query']) {
  const fake = fakeConnector({
    tables: shopTables(),
    fingerprint: 'fp',
    ...(answer ? { query: answer } : {}),
  });
  const { project } = makeProject();
  const lookup = async (family: string): Promise<FamilyConnector | undefined> =>
    family === 'mysql' ? fake.connector : undefined;
  const run = (options: Partial<ReadOnlyQueryOptions> = {}) =>
    runReadOnlyQuery({
      ref: '@mysql.primary',
      project,
      env: { OTHER_PASSWORD: 'other-secret-value' },
      connectors: lookup,
      sql: 'SELECT * FROM users',
      ...options,
    });
  return { ...fake, run };
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

const users = (n: number): QueryRowsResult => ({
  columns: [
    { name: 'id', sourceType: 'INT' },
    { name: 'password', sourceType: 'VARCHAR' },
    { name: 'notes', sourceType: 'TEXT' },
  ],
  rows: Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    password: i === 1 ? null : `hunter${i}`,
    notes: i === 0 ? `my db password is ${CANARY}` : `note ${i}`,
  })),
  truncated: false,
});

describe('runReadOnlyQuery', () => {
  it('returns at most limit rows, masked and redacted, and closes the connection', async () => {
    const t = setup(() => users(30));
    const result = await t.run({ limit: 5 });
    expect(result.connection).toBe('@mysql.primary');
    expect(result.limit).toBe(5);
    expect(result.rows).toHaveLength(5);
    expect(result.truncated).toBe(true);
    expect(result.maskedColumns).toEqual(['password']);
    expect(result.rows[0]?.password).toBe('***');
    expect(result.rows[1]?.password).toBeNull();
    expect(JSON.stringify(result)).not.toContain(CANARY);
    expect(t.calls.query).toEqual([{ sql: 'SELECT * FROM users', limit: 5, timeoutMs: 30_000 }]);
    expect(t.calls.close).toBe(1);
  });

  it('defaults to 20 rows and passes the timeout on', async () => {
    const t = setup(() => users(20));
    const result = await t.run({ timeoutMs: 250 });
    expect(result.rows).toHaveLength(20);
    expect(result.truncated).toBe(false);
    expect(t.calls.query[0]?.timeoutMs).toBe(250);
  });

  it('takes its statement timeout from osiris.yaml discovery.statement_timeout (default 30 s)', async () => {
    const fake = fakeConnector({ tables: shopTables(), fingerprint: 'fp', query: () => users(1) });
    const { project } = makeProject({ osirisYaml: 'version: "2.0"\ndiscovery:\n  statement_timeout: 2.5\n' });
    expect(project.discovery.statementTimeoutMs).toBe(2500);
    await runReadOnlyQuery({
      ref: '@mysql.primary',
      project,
      env: {},
      connectors: async () => fake.connector,
      sql: 'SELECT * FROM users',
    });
    expect(fake.calls.query[0]?.timeoutMs).toBe(2500);
    expect(fake.calls.statementTimeouts).toEqual([2500]);
    expect(() => makeProject({ osirisYaml: 'discovery:\n  statement_timeout: -1\n' })).toThrow(
      /CFG003 invalid value for 'discovery.statement_timeout'/,
    );
  });

  it('checks limit and timeoutMs before connecting (DSC006)', async () => {
    const t = setup(() => users(1));
    for (const bad of [
      { limit: 0 },
      { limit: 201 },
      { limit: 1.5 },
      { timeoutMs: 0 },
      { timeoutMs: 700_000 },
    ]) {
      const error = await rejection(t.run(bad));
      expect(error.diagnostics[0]?.code).toBe('DSC006');
      expect(error.exitCode).toBe(2);
    }
    expect(t.calls.open).toBe(0);
  });

  it('refuses SQL that is not read-only before connecting (DSC007)', async () => {
    const t = setup(() => users(1));
    const error = await rejection(t.run({ sql: 'SELECT 1;\nDROP TABLE users' }));
    const d = error.diagnostics[0];
    expect(d?.code).toBe('DSC007');
    expect(d?.message).toContain('@mysql.primary');
    expect(d?.message).toContain('a second statement follows the first one');
    expect(d?.message).toContain('(line 2, column 1)');
    expect(d?.hint).toContain('SELECT, WITH … SELECT, VALUES, SHOW, DESCRIBE or EXPLAIN');
    expect(t.calls.open).toBe(0);
  });

  it('maps connector errors to DSC010, DSC012 and DSC013 without secrets', async () => {
    const failing = setup(() => {
      throw Object.assign(new Error(`Access denied near '${CANARY}'`), { code: 'ER_PARSE_ERROR' });
    });
    const bad = await rejection(failing.run());
    expect(bad.diagnostics[0]?.code).toBe('DSC012');
    expect(bad.exitCode).toBe(1);
    expect(bad.message).toContain('query on @mysql.primary failed');
    expect(bad.message).toContain('ER_PARSE_ERROR');
    expect(bad.message).not.toContain(CANARY);
    expect(failing.calls.close).toBe(1);

    const slow = setup(() => {
      throw new QueryTimeoutError(100, 'server');
    });
    const timeout = await rejection(slow.run({ timeoutMs: 100 }));
    expect(timeout.diagnostics[0]?.code).toBe('DSC013');
    expect(timeout.message).toContain('100 ms timeout');

    const down = fakeConnector({
      tables: [],
      fingerprint: 'fp',
      openError: new Error('connect ECONNREFUSED'),
    });
    const { project } = makeProject();
    const error = await rejection(
      runReadOnlyQuery({
        ref: '@mysql.primary',
        project,
        env: {},
        sql: 'SELECT 1',
        connectors: async () => down.connector,
      }),
    );
    expect(error.diagnostics[0]?.code).toBe('DSC010');
    expect(error.message).toContain('@mysql.primary');
  });

  it('refuses a family without a connector (CON060)', async () => {
    const t = setup(() => users(1));
    const error = await rejection(t.run({ ref: '@filesystem.local' }));
    expect(error.diagnostics[0]?.code).toBe('CON060');
  });
});

describe('query helpers', () => {
  it('throws ReadOnlySqlError with the position', async () => {
    let caught: unknown;
    try {
      await readOnlyStatement('SELECT 1 FROM t\nWHERE lo_unlink(1) = 1', 'postgres');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ReadOnlySqlError);
    expect((caught as ReadOnlySqlError).check).toMatchObject({ keyword: 'lo_unlink()', line: 2, col: 7 });
  });

  it('wraps on the first line and ends a trailing comment', () => {
    expect(wrapWithLimit('SELECT 1 -- c', 21)).toBe('SELECT * FROM (SELECT 1 -- c\n) AS osiris_q LIMIT 21');
  });

  it('makes column names unique', () => {
    expect(uniqueColumnNames(['id', 'id', 'id_2', '', 'x'])).toEqual(['id', 'id_2', 'id_2_2', 'column', 'x']);
  });

  it('gives up after the deadline with a client-side timeout', async () => {
    let gaveUp = false;
    let fail: (error: Error) => void = () => undefined;
    const work = new Promise<number>((_, reject) => {
      fail = reject;
    });
    const error = await withDeadline(work, 20, 10, async () => {
      gaveUp = true;
      fail(new Error('Connection terminated'));
    }).catch((e: unknown) => e);
    expect(gaveUp).toBe(true);
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect((error as QueryTimeoutError).by).toBe('client');
    await expect(withDeadline(Promise.resolve(7), 1000, 10, async () => undefined)).resolves.toBe(7);
  });
});
