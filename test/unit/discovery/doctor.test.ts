// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
import { describe, expect, it } from 'vitest';
import { doctorConnections } from '../../../src/connections/doctor.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import type { DoctorResult, FamilyConnector } from '../../../src/discovery/types.js';
import type { ResolvedConnection } from '../../../src/runtime/driver.js';
import { CANARY, fakeConnector, makeProject } from './fake.js';

const CONNECTIONS = [
  'version: "1.0"',
  'connections:',
  '  mysql:',
  '    good:',
  '      host: h',
  '      database: d',
  '      user: u',
  `      password: ${CANARY}`,
  '    badpw:',
  '      host: h',
  '      database: d',
  '      user: u',
  '      password: ${BAD_PW}',
  '    unset:',
  '      host: h',
  '      database: d',
  '      user: u',
  '      password: ${NOT_SET_ANYWHERE}',
  '  postgres:',
  '    slow:',
  '      host: h',
  '      database: d',
  '      user: u',
  '    gone:',
  '      host: h',
  '      database: missing_db',
  '      user: u',
  '  filesystem:',
  '    local:',
  '      base_dir: ./data',
  '',
].join('\n');

function connector(
  doctor: (c: ResolvedConnection, timeoutMs: number) => Promise<DoctorResult>,
): FamilyConnector {
  return fakeConnector({ tables: [], fingerprint: 'x', doctor }).connector;
}

function setup() {
  const { dir } = makeProject({ connectionsYaml: CONNECTIONS });
  const seen: Array<{ ref: string; timeoutMs: number; password: unknown }> = [];
  const mysql = connector(async (c, timeoutMs) => {
    seen.push({ ref: `@${c.family}.${c.alias}`, timeoutMs, password: c.fields.password });
    if (c.fields.password === CANARY)
      return { status: 'ok', latencyMs: 3.4, message: 'connected', serverVersion: '11.4.2-MariaDB' };
    return {
      status: 'auth_failed',
      latencyMs: 2,
      message: `Access denied for user 'u'@'h' (password ${String(c.fields.password)})`,
    };
  });
  const postgres = connector(async (c, timeoutMs) => {
    seen.push({ ref: `@${c.family}.${c.alias}`, timeoutMs, password: c.fields.password });
    if (c.alias === 'slow') return new Promise<DoctorResult>(() => undefined); // never answers
    return { status: 'database_missing', latencyMs: 1, message: 'database "missing_db" does not exist' };
  });
  const lookup = async (family: string) =>
    family === 'mysql' ? mysql : family === 'postgres' ? postgres : undefined;
  return {
    seen,
    run: (extra: Partial<Parameters<typeof doctorConnections>[0]> = {}) =>
      doctorConnections({
        cwd: dir,
        projectRoot: dir,
        env: { BAD_PW: 'wrong-password-value' },
        connectors: lookup,
        timeoutMs: 200,
        ...extra,
      }),
  };
}

describe('connections doctor', () => {
  it('tests every connection and classifies each', async () => {
    const t = setup();
    const report = await t.run();
    const byRef = Object.fromEntries(report.results.map((r) => [r.connection, r]));
    expect(report.results.map((r) => r.connection)).toEqual([
      '@mysql.good',
      '@mysql.badpw',
      '@mysql.unset',
      '@postgres.slow',
      '@postgres.gone',
      '@filesystem.local',
    ]);
    expect(byRef['@mysql.good']).toMatchObject({
      status: 'ok',
      latencyMs: 3,
      serverVersion: '11.4.2-MariaDB',
    });
    expect(byRef['@mysql.badpw']).toMatchObject({ status: 'auth_failed', serverVersion: null });
    expect(byRef['@mysql.badpw']?.message).toContain('Access denied');
    expect(byRef['@mysql.unset']).toMatchObject({ status: 'error', latencyMs: null });
    expect(byRef['@mysql.unset']?.message).toContain('NOT_SET_ANYWHERE');
    expect(byRef['@postgres.slow']?.status).toBe('timeout');
    expect(byRef['@postgres.slow']?.latencyMs).toBeGreaterThanOrEqual(200);
    expect(byRef['@postgres.gone']?.status).toBe('database_missing');
    expect(byRef['@filesystem.local']).toMatchObject({ status: 'skipped', latencyMs: null });
    expect(report.summary).toEqual({ ok: 1, warnings: 0, failed: 4, skipped: 1 });
    expect(report.ok).toBe(false);
    expect(t.seen.find((s) => s.ref === '@mysql.good')?.timeoutMs).toBe(200);
  });

  it('never lets a secret through, even when a connector echoes it', async () => {
    const t = setup();
    const report = await t.run();
    const text = JSON.stringify(report);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('wrong-password-value');
    // The connector did receive the resolved password.
    expect(t.seen.find((s) => s.ref === '@mysql.badpw')?.password).toBe('wrong-password-value');
  });

  it('masks secrets in thrown connector errors', async () => {
    const { dir } = makeProject({ connectionsYaml: CONNECTIONS });
    const thrower = connector(async (c) => {
      throw new Error(`boom with ${String(c.fields.password)}`);
    });
    const report = await doctorConnections({
      cwd: dir,
      projectRoot: dir,
      env: {},
      ref: '@mysql.good',
      connectors: async () => thrower,
    });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ status: 'error', message: 'boom with ***' });
  });

  it('tests only the connection given, and is ok when it is', async () => {
    const t = setup();
    const report = await t.run({ ref: '@mysql.good' });
    expect(report.results.map((r) => r.connection)).toEqual(['@mysql.good']);
    expect(report.ok).toBe(true);
    expect(report.summary).toEqual({ ok: 1, warnings: 0, failed: 0, skipped: 0 });
  });

  it('counts skipped families as not failed', async () => {
    const t = setup();
    const report = await t.run({ ref: '@filesystem.local' });
    expect(report).toMatchObject({ ok: true, summary: { ok: 0, warnings: 0, failed: 0, skipped: 1 } });
  });

  it('rejects bad and unknown references (exit 2)', async () => {
    const t = setup();
    for (const [ref, code] of [
      ['mysql.good', 'CON025'],
      ['@mysql.nope', 'CON023'],
      ['@oracle.x', 'CON021'],
    ] as const) {
      const error = await t.run({ ref }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OsirisError);
      expect((error as OsirisError).diagnostics[0]?.code).toBe(code);
      expect((error as OsirisError).exitCode).toBe(2);
    }
    const timeout = await t.run({ timeoutMs: 0 }).catch((e: unknown) => e);
    expect((timeout as OsirisError).diagnostics[0]?.code).toBe('CON061');
  });

  it('maps an unknown status from a connector to error', async () => {
    const { dir } = makeProject({ connectionsYaml: CONNECTIONS });
    const odd = connector(async () => ({ status: 'weird' as 'ok', latencyMs: 1, message: 'hm' }));
    const report = await doctorConnections({
      cwd: dir,
      projectRoot: dir,
      env: {},
      ref: '@mysql.good',
      connectors: async () => odd,
    });
    expect(report.results[0]?.status).toBe('error');
  });
});
