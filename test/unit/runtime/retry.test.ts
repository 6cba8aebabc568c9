/** The error taxonomy, the retry policy and its backoff, and the rules that decide a retry (docs/adr/0026). */
import { describe, expect, it } from 'vitest';
import { mysqlErrorTable } from '../../../src/connectors/mysql/retry-codes.js';
import { postgresErrorTable } from '../../../src/connectors/postgres/retry-codes.js';
import { StepError } from '../../../src/runtime/driver.js';
import { classifyError } from '../../../src/runtime/retry/classify.js';
import { CommitPoint, withRollback } from '../../../src/runtime/retry/commit.js';
import { decideRetry } from '../../../src/runtime/retry/decide.js';
import { backoffMs, DEFAULT_RETRY, parseDurationMs, readRetry } from '../../../src/runtime/retry/policy.js';

/** A pg server error as pg builds it (DatabaseError: message, code = SQLSTATE, severity). */
const pgError = (code: string, message = 'server error') =>
  Object.assign(new Error(message), { code, severity: 'ERROR' });
/** A mysql2 server error (errno, code, sqlState), or a client error without sqlState. */
const myError = (errno: number, code = 'ER_X', sqlState: string | undefined = 'HY000') =>
  Object.assign(new Error(code), { errno, code, ...(sqlState ? { sqlState } : {}) });
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code}`), { code, syscall: 'connect' });
/** How the drivers hand errors over: a step error whose cause is the server's. */
const wrapped = (cause: unknown, code = 'extract.query_failed') =>
  new StepError(code, 'step failed', undefined, { cause });

const pgVerdict = (e: unknown) => classifyError(wrapped(e), [postgresErrorTable]);
const myVerdict = (e: unknown) => classifyError(wrapped(e), [mysqlErrorTable]);

describe('Postgres SQLSTATEs', () => {
  it.each([
    ['40001', 'serialization_failure'],
    ['40P01', 'deadlock'],
    ['55P03', 'lock_not_available'],
    ['53300', 'too_many_connections'],
    ['57P01', 'admin_shutdown'],
    ['57P02', 'crash_shutdown'],
    ['57P03', 'cannot_connect_now'],
    ['08006', 'connection_exception'],
    ['08001', 'connection_exception'],
  ])('%s is transient (%s)', (code, reason) => {
    expect(pgVerdict(pgError(code))).toEqual({ transience: 'transient', reason, code });
  });

  it.each([
    ['42501', 'permission_denied'],
    ['42601', 'syntax_error'],
    ['42P01', 'undefined_table'],
    ['42703', 'undefined_column'],
    ['42883', 'syntax_or_access'],
    ['23505', 'constraint_violation'],
    ['22P02', 'data_exception'],
    ['28P01', 'auth_failed'],
    ['28000', 'auth_failed'],
    ['57014', 'query_canceled'],
    ['40003', 'statement_completion_unknown'],
    ['53100', 'insufficient_resources'],
    ['P0001', 'server_error'],
  ])('%s is terminal (%s)', (code, reason) => {
    expect(pgVerdict(pgError(code))).toEqual({ transience: 'terminal', reason, code });
  });

  it('a connection pg reports ended without a SQLSTATE is transient', () => {
    expect(pgVerdict(new Error('Connection terminated unexpectedly'))).toMatchObject({
      transience: 'transient',
      reason: 'connection_lost',
    });
  });
});

describe('MySQL and MariaDB errnos', () => {
  it.each([
    [1205, 'lock_wait_timeout'],
    [1213, 'deadlock'],
    [1040, 'too_many_connections'],
    [1927, 'connection_killed'],
    [1053, 'server_shutdown'],
  ])('server errno %i is transient (%s)', (errno, reason) => {
    expect(myVerdict(myError(errno))).toEqual({ transience: 'transient', reason, code: String(errno) });
  });

  it.each([
    [2006, 'server_gone_away'],
    [2013, 'lost_connection'],
  ])('client errno %i is transient (%s)', (errno, reason) => {
    expect(myVerdict(myError(errno, 'CR_X', undefined))).toEqual({
      transience: 'transient',
      reason,
      code: String(errno),
    });
  });

  it.each([
    [1064, 'syntax_error'],
    [1142, 'table_access_denied'],
    [1045, 'auth_failed'],
    [1054, 'unknown_column'],
    [1146, 'unknown_table'],
    [1062, 'duplicate_key'],
    [1317, 'query_interrupted'],
    [1969, 'statement_timeout'],
    [1300, 'server_error'],
  ])('errno %i is terminal (%s)', (errno, reason) => {
    expect(myVerdict(myError(errno))).toEqual({ transience: 'terminal', reason, code: String(errno) });
  });

  it("mysql2's lost connection, and a socket error with libuv's negative errno, are transient", () => {
    const lost = Object.assign(new Error('Connection lost'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    });
    expect(myVerdict(lost)).toMatchObject({ transience: 'transient', code: 'PROTOCOL_CONNECTION_LOST' });
    const reset = Object.assign(socketError('ECONNRESET'), { errno: -104 });
    expect(myVerdict(reset)).toMatchObject({ transience: 'transient', code: 'ECONNRESET' });
  });
});

describe('the chain and the fallbacks', () => {
  it('socket errors count for every family, a missing host does not', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])
      expect(classifyError(wrapped(socketError(code))).transience).toBe('transient');
    expect(classifyError(wrapped(socketError('ENOTFOUND')))).toMatchObject({
      transience: 'terminal',
      reason: 'unknown_host',
    });
  });

  it('walks causes (and AggregateError members) down to the first error a table knows', () => {
    const deep = wrapped(
      new Error('outer', { cause: new AggregateError([new Error('x'), pgError('40P01')]) }),
    );
    expect(classifyError(deep, [postgresErrorTable])).toMatchObject({ code: '40P01' });
  });

  it('an error no table knows is terminal; some step codes decide alone', () => {
    expect(classifyError(new Error('boom'))).toEqual({ transience: 'terminal', reason: 'unclassified' });
    expect(classifyError(wrapped(pgError('40P01'), 'runtime.cancelled'), [postgresErrorTable])).toMatchObject(
      {
        transience: 'terminal',
        reason: 'cancelled',
      },
    );
    expect(classifyError(wrapped(socketError('ECONNRESET'), 'write.lock_timeout')).transience).toBe(
      'terminal',
    );
  });
});

describe('policy and backoff', () => {
  it('reads the forms of `retry`', () => {
    expect(readRetry(undefined)).toEqual({ policy: DEFAULT_RETRY, problems: [] });
    expect(readRetry(true).policy).toEqual(DEFAULT_RETRY);
    expect(readRetry(false).policy.attempts).toBe(1);
    expect(readRetry({ attempts: 5, backoff: '2s' }).policy).toEqual({
      attempts: 5,
      initialMs: 2000,
      maxMs: 30_000,
    });
    expect(readRetry({ backoff: { initial: '500ms', max: '1m' } }).policy).toEqual({
      attempts: 3,
      initialMs: 500,
      maxMs: 60_000,
    });
    // A max below the initial delay is raised to it.
    expect(readRetry({ backoff: { initial: '45s' } }).policy.maxMs).toBe(45_000);
  });

  it('says what is wrong, where', () => {
    expect(readRetry({ attempts: 0, backoff: { initial: 'soon', every: 1 }, tries: 2 }).problems).toEqual([
      { path: ['tries'], message: expect.stringContaining("unknown retry key 'tries'") },
      { path: ['attempts'], message: expect.stringContaining('from 1 to 10') },
      { path: ['backoff', 'every'], message: expect.stringContaining("unknown retry.backoff key 'every'") },
      { path: ['backoff', 'initial'], message: expect.stringContaining('duration like 500ms') },
    ]);
    expect(readRetry('often').problems).toHaveLength(1);
    expect(readRetry({ attempts: 11 }).problems).toHaveLength(1);
  });

  it('parses durations', () => {
    expect(['250ms', '2s', '1.5s', '1m', 3, '0s'].map((v) => parseDurationMs(v))).toEqual([
      250, 2000, 1500, 60_000, 3000, 0,
    ]);
    expect(['2h', '-1s', 's', '', null].map((v) => parseDurationMs(v))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('grows exponentially up to max, with jitter between half and all of the step', () => {
    const policy = { attempts: 10, initialMs: 1000, maxMs: 5000 };
    const at = (r: number) => [1, 2, 3, 4, 5].map((n) => backoffMs(policy, n, () => r));
    expect(at(0)).toEqual([500, 1000, 2000, 2500, 2500]);
    expect(at(0.5)).toEqual([750, 1500, 3000, 3750, 3750]);
    expect(at(0.999999)).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});

describe('deciding a retry', () => {
  const policy = { attempts: 3, initialMs: 100, maxMs: 1000 };
  const deadlock = () => wrapped(pgError('40P01'), 'write.failed');
  const decide = (over: Partial<Parameters<typeof decideRetry>[0]>) =>
    decideRetry({
      mode: 'read',
      error: wrapped(pgError('57P01')),
      attempt: 1,
      policy,
      tables: [postgresErrorTable],
      aborted: false,
      random: () => 0.5,
      ...over,
    });

  it('retries a transient read while attempts are left, with the jittered delay', () => {
    expect(decide({})).toMatchObject({ retry: true, delayMs: 75, verdict: { reason: 'admin_shutdown' } });
    expect(decide({ attempt: 2 })).toMatchObject({ retry: true, delayMs: 150 });
    expect(decide({ attempt: 3 })).toMatchObject({ retry: false, why: 'no attempts left' });
    expect(decide({ policy: { ...policy, attempts: 1 } })).toMatchObject({
      retry: false,
      why: 'retries are off for this step',
    });
  });

  it('never retries a terminal error, a transform, or a cancelled run', () => {
    expect(decide({ error: wrapped(pgError('42501')) })).toMatchObject({ retry: false });
    expect(decide({ mode: 'transform' })).toMatchObject({ retry: false });
    expect(decide({ aborted: true })).toMatchObject({ retry: false, why: 'the run was cancelled' });
  });

  it('retries a write only when it reported a whole rollback', () => {
    expect(decide({ mode: 'write', error: deadlock() })).toMatchObject({
      retry: false,
      why: expect.stringContaining('may have been committed'),
    });
    const before = new CommitPoint();
    expect(decide({ mode: 'write', error: withRollback(deadlock(), before) })).toMatchObject({ retry: true });
    const after = new CommitPoint();
    after.reached();
    expect(decide({ mode: 'write', error: withRollback(deadlock(), after) })).toMatchObject({ retry: false });
  });

  it('withRollback keeps the step error and gives it the raw error as cause', () => {
    const raw = pgError('40001');
    const marked = withRollback(
      new StepError('write.failed', 'msg', 'hint', { details: { table: 't' } }),
      new CommitPoint(),
      raw,
    ) as StepError;
    expect(marked).toMatchObject({ code: 'write.failed', message: 'msg', hint: 'hint', rolledBack: true });
    expect(marked.details).toEqual({ table: 't' });
    expect(marked.cause).toBe(raw);
    expect(withRollback(new Error('plain'), new CommitPoint())).toBeInstanceOf(Error);
  });
});
