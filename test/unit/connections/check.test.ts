// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProjectSetup, missingRequiredFields } from '../../../src/connections/check.js';
import { listConnections } from '../../../src/connections/list.js';
import { Registry } from '../../../src/registry/registry.js';
import type { ComponentSpec } from '../../../src/registry/types.js';

const CANARY = 'canary-Kk2-secret';

function registryOf(...names: string[]): Registry {
  return new Registry(
    names.map((name) => {
      const spec: ComponentSpec = {
        name,
        version: '1',
        modes: ['extract'],
        capabilities: {},
        configSchema: { type: 'object', properties: {} },
        secrets: name === 'mysql.extractor' ? ['/password'] : ['/custom_secret'],
      };
      return { spec, specPath: '', specText: name, driverPath: undefined };
    }),
  );
}
const registry = registryOf('mysql.extractor', 'filesystem.csv_writer', 'posthog.extractor');

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'osiris-check-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const CONNECTIONS = `connections:
  mysql:
    primary:
      default: true
      host: \${MYSQL_HOST:-localhost}
      user: \${MYSQL_USER}
      password: \${MYSQL_PASSWORD}
      database: shop
    broken:
      host: h
      password: "${CANARY}"
  filesystem:
    local: { base_dir: ./data }
  mongo:
    main: { uri: "\${MONGO_URI}" }
  posthog:
    prod: { api_key: "\${POSTHOG_API_KEY}", custom_secret: "${CANARY}", project_id: "1" }
`;

describe('missingRequiredFields', () => {
  const table: Array<[string, Record<string, string>, string | undefined]> = [
    ['mysql', { host: 'h', database: 'd', user: 'u' }, undefined],
    ['mysql', { host: 'h' }, 'missing required fields database and user'],
    ['postgres', { host: 'h', database: 'd' }, 'missing required field user'],
    ['supabase', { url: 'u', service_role_key: 'k' }, undefined],
    ['supabase', { project_id: 'p', anon_key: 'k' }, undefined],
    ['supabase', { pg_dsn: 'x' }, undefined],
    ['supabase', { host: 'h', database: 'd', user: 'u' }, undefined],
    ['supabase', { url: 'u' }, expect.stringContaining('needs url (or project_id) and key')],
    ['filesystem', {}, 'missing required field base_dir'],
    ['filesystem', { base_dir: '' }, 'missing required field base_dir'],
    ['duckdb', {}, undefined],
    ['graphql', { endpoint: 'https://api.example.com/graphql' }, undefined],
    ['graphql', { url: 'https://api.example.com/graphql' }, undefined],
    ['graphql', { token: 't' }, 'missing required field endpoint (or url)'],
    ['unknown', {}, undefined],
  ];
  for (const [family, fields, expected] of table) {
    it(`${family} ${JSON.stringify(fields)}`, () =>
      expect(missingRequiredFields(family, fields)).toEqual(expected));
  }
});

describe('checkProjectSetup', () => {
  it('reports config, env vars (names only), required fields and unknown families', async () => {
    const cwd = project({
      'osiris.yaml': 'version: "1"\n',
      'osiris_connections.yaml': CONNECTIONS,
      '.env': `MYSQL_USER=app\nMYSQL_PASSWORD=${CANARY}\n`,
    });
    const env = { POSTHOG_API_KEY: '' };
    const { diagnostics, report } = await checkProjectSetup({ cwd, env, registry });
    expect(env).toEqual({ POSTHOG_API_KEY: '' }); // caller's env untouched
    expect(report).toMatchObject({
      config_file: 'osiris.yaml',
      project_root: cwd,
      env_files: ['.env'],
      connections_file: 'osiris_connections.yaml',
    });
    const connections = report.connections as Record<string, Record<string, Record<string, unknown>>>;
    expect(connections.mysql?.primary).toEqual({
      is_default: true,
      env_vars: { MYSQL_HOST: 'default', MYSQL_PASSWORD: 'set', MYSQL_USER: 'set' },
      problems: [],
    });
    expect(connections.mysql?.broken?.problems).toEqual([
      {
        severity: 'error',
        code: 'CON050',
        message: '@mysql.broken missing required fields database and user',
      },
    ]);
    expect(connections.filesystem?.local?.problems).toEqual([]);
    expect(((connections.mongo?.main?.problems ?? []) as Array<{ code: string }>).map((p) => p.code)).toEqual(
      ['CON051', 'CON035'],
    );
    expect(
      ((connections.posthog?.prod?.problems ?? []) as Array<{ code: string }>).map((p) => p.code),
    ).toEqual(['CON036']);
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.location.line}`).sort()).toEqual([
      'error CON050 9',
      'warning CON035 15',
      'warning CON036 17',
      'warning CON051 14',
    ]);
    const all = JSON.stringify({ diagnostics, report });
    expect(all).not.toContain(CANARY);
  });

  it('errors when osiris.yaml is missing, with a hint to run osiris init, and still checks connections', async () => {
    const cwd = project({
      'osiris_connections.yaml':
        'connections:\n  mysql:\n    a: { default: true, host: h }\n    b: { default: true, host: h }\n',
    });
    const { diagnostics, report } = await checkProjectSetup({ cwd, env: {}, registry });
    const cfg = diagnostics.find((d) => d.code === 'CFG001');
    expect(cfg?.hint).toContain('osiris init');
    expect(report.config_file).toBeNull();
    expect(diagnostics.some((d) => d.code === 'CON008')).toBe(true);
    const connections = report.connections as Record<
      string,
      Record<string, { problems: Array<{ code: string }> }>
    >;
    expect(connections.mysql?.b?.problems.map((p) => p.code)).toContain('CON008');
  });

  it('reports an invalid osiris.yaml and a missing connections file cleanly', async () => {
    const cwd = project({ 'osiris.yaml': 'filesystem:\n  profiles:\n    default: nope\n' });
    const { diagnostics, report } = await checkProjectSetup({ cwd, env: {}, registry });
    expect(diagnostics.map((d) => d.code)).toEqual(['CFG004']);
    expect(report.connections_file).toBeNull();
    expect(report.connections).toEqual({});
  });
});

describe('listConnections', () => {
  it('masks secrets, keeps references, reports env vars and a summary', async () => {
    const cwd = project({
      'osiris.yaml': '{}\n',
      'osiris_connections.yaml': CONNECTIONS,
      '.env': 'MYSQL_USER=app\n',
    });
    const result = await listConnections({ cwd, env: {}, registry });
    expect(result.file).toBe('osiris_connections.yaml');
    const byRef = Object.fromEntries(result.connections.map((c) => [c.reference, c]));
    expect(byRef['@mysql.primary']).toEqual({
      family: 'mysql',
      alias: 'primary',
      reference: '@mysql.primary',
      is_default: true,
      config: {
        host: '${MYSQL_HOST:-localhost}',
        user: '${MYSQL_USER}',
        password: '${MYSQL_PASSWORD}',
        database: 'shop',
      },
      // MYSQL_HOST is unset but has a default: not missing.
      env_vars: { MYSQL_HOST: 'default', MYSQL_PASSWORD: 'missing', MYSQL_USER: 'set' },
      summary: '${MYSQL_USER}@${MYSQL_HOST:-localhost}/shop',
    });
    expect(byRef['@mysql.broken']?.config.password).toBe('***');
    expect(byRef['@posthog.prod']?.config.custom_secret).toBe('***');
    expect(byRef['@posthog.prod']?.summary).toBe('project_id=1');
    expect(byRef['@filesystem.local']?.summary).toBe('./data');
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });

  it('returns an empty list without a file, and diagnostics for an invalid one', async () => {
    const none = await listConnections({ cwd: project({}), env: {}, registry });
    expect(none).toMatchObject({ file: null, connections: [], diagnostics: [] });
    const bad = await listConnections({
      cwd: project({ 'osiris_connections.yaml': 'connections:\n  mysql: [1]\n' }),
      env: {},
      registry,
    });
    expect(bad.connections).toEqual([]);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['CON004']);
  });
});
