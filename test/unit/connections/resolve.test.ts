import { describe, expect, it } from 'vitest';
import { parseConnectionsText } from '../../../src/connections/config.js';
import {
  applyConnectionOverrides,
  componentFamily,
  parseConnectionRef,
  resolveConnection,
} from '../../../src/connections/resolve.js';
import { type Diagnostic, formatDiagnostic, type OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { Registry } from '../../../src/registry/registry.js';
import type { ComponentSpec } from '../../../src/registry/types.js';
import { thrown } from '../../helpers/errors.js';

const CANARY = 'canary-7Hx-password';

function connections(text: string) {
  const { config, diagnostics } = parseConnectionsText(text, 'osiris_connections.yaml');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return config;
}

const FILE = `connections:
  mysql:
    replica:
      host: replica.local
      password: \${MYSQL_REPLICA_PASSWORD}
    primary:
      default: true
      host: \${MYSQL_HOST:-localhost}
      port: 3306
      user: app
      password: \${MYSQL_PASSWORD}
      database: shop
  postgres:
    warehouse: { host: pg, user: u, database: d }
    default: { host: pg-default, user: u, database: d }
  supabase:
    one: { url: https://a.supabase.co }
    two: { url: https://b.supabase.co }
  duckdb:
    memory: { default: true, database: ":memory:" }
`;

describe('parseConnectionRef', () => {
  const good: Array<[string, string, string | undefined]> = [
    ['@mysql.primary', 'mysql', 'primary'],
    ['@mysql', 'mysql', undefined],
    ['@my-sql_2.alias-1_x', 'my-sql_2', 'alias-1_x'],
  ];
  for (const [ref, family, alias] of good) {
    it(`parses ${ref}`, () => {
      expect(parseConnectionRef(ref)).toEqual({ family, alias });
    });
  }
  for (const bad of ['mysql.primary', '@', '@.primary', '@mysql.', '@my sql.a', '@mysql.a.b', '@mysql.a b']) {
    it(`rejects '${bad}'`, () => {
      const error = thrown(() => parseConnectionRef(bad, { file: 'p.yaml', line: 3, col: 7 }));
      expect(error.diagnostics[0]).toMatchObject({ code: 'CON025', location: { file: 'p.yaml', line: 3 } });
    });
  }

  it('gives the component family', () => {
    expect(componentFamily('mysql.extractor')).toBe('mysql');
    expect(componentFamily('filesystem.csv_writer')).toBe('filesystem');
  });
});

describe('resolveConnection', () => {
  const config = connections(FILE);
  const env = { MYSQL_PASSWORD: CANARY };

  it('resolves an explicit alias, interpolating it and dropping the default marker', () => {
    expect(resolveConnection('@mysql.primary', { connections: config, env })).toEqual({
      family: 'mysql',
      alias: 'primary',
      fields: { host: 'localhost', port: 3306, user: 'app', password: CANARY, database: 'shop' },
    });
  });

  it('picks the alias marked default: true for @family (not the first alias)', () => {
    expect(resolveConnection('@mysql', { connections: config, env }).alias).toBe('primary');
  });

  it('falls back to the alias named default', () => {
    expect(resolveConnection('@postgres', { connections: config, env: {} }).alias).toBe('default');
  });

  it('errors when a family has no default, telling the three ways out', () => {
    const error = thrown(() => resolveConnection('@supabase', { connections: config, env: {} }));
    const d = error.diagnostics[0]!;
    expect(d.code).toBe('CON024');
    expect(d.message).toContain('aliases: one, two');
    expect(d.hint).toContain("'default: true'");
    expect(d.hint).toContain("name an alias 'default'");
    expect(d.hint).toContain('@supabase.one');
  });

  it('interpolates only the chosen alias', () => {
    // replica's variable is unset but primary resolves fine
    expect(() => resolveConnection('@mysql.primary', { connections: config, env })).not.toThrow();
    const error = thrown(() => resolveConnection('@mysql.replica', { connections: config, env }));
    expect(error.diagnostics[0]?.message).toBe(
      '@mysql.replica field password: environment variable MYSQL_REPLICA_PASSWORD is not set',
    );
    expect(error.diagnostics[0]?.location).toMatchObject({ file: 'osiris_connections.yaml', line: 5 });
  });

  it('lists families with a suggestion for an unknown family', () => {
    const error = thrown(() => resolveConnection('@mysq.primary', { connections: config, env }));
    expect(error.diagnostics[0]?.code).toBe('CON021');
    expect(error.diagnostics[0]?.message).toContain('configured: mysql, postgres, supabase, duckdb');
    expect(error.diagnostics[0]?.hint).toBe("did you mean 'mysql'?");
  });

  it('lists aliases with a suggestion for an unknown alias', () => {
    const error = thrown(() => resolveConnection('@mysql.primay', { connections: config, env }));
    expect(error.diagnostics[0]?.code).toBe('CON023');
    expect(error.diagnostics[0]?.message).toContain('aliases: replica, primary');
    expect(error.diagnostics[0]?.hint).toBe("did you mean '@mysql.primary'?");
  });

  it('says so when no connections are configured', () => {
    const error = thrown(() => resolveConnection('@mysql', { connections: connections(''), env }));
    expect(error.diagnostics[0]?.code).toBe('CON020');
    expect(error.diagnostics[0]?.hint).toContain('osiris init');
  });

  it('errors on an empty family', () => {
    const empty = parseConnectionsText('connections:\n  mysql:\n', 'f.yaml').config;
    expect(thrown(() => resolveConnection('@mysql', { connections: empty, env })).diagnostics[0]?.code).toBe(
      'CON022',
    );
  });

  it('refuses a connection of another family than the component', () => {
    const error = thrown(() =>
      resolveConnection('@postgres.warehouse', {
        connections: config,
        env,
        componentName: 'mysql.extractor',
      }),
    );
    expect(error.diagnostics[0]?.code).toBe('CON026');
  });

  it('puts the reference location on resolution errors', () => {
    const error = thrown(() =>
      resolveConnection('@nope.x', {
        connections: config,
        env,
        location: { file: 'pipeline.yaml', line: 9, col: 19 },
      }),
    );
    expect(formatDiagnostic(error.diagnostics[0]!)).toMatch(/^pipeline\.yaml:9:19 error CON021/);
  });

  it('never leaks a value into any error message', () => {
    const secretEnv = { MYSQL_PASSWORD: CANARY, MYSQL_REPLICA_PASSWORD: '' };
    const refs = [
      '@mysql.replica',
      '@mysql.nope',
      '@nope',
      '@supabase',
      '@postgres.warehouse',
      'bad',
      '@mysql.a.b',
    ];
    const messages: string[] = [];
    for (const ref of refs) {
      try {
        resolveConnection(ref, {
          connections: config,
          env: { ...secretEnv, MYSQL_REPLICA_PASSWORD: undefined },
        });
      } catch (error) {
        messages.push(String((error as Error).message), JSON.stringify((error as OsirisError).diagnostics));
      }
    }
    const withCanaryInFile = connections(
      `connections:\n  mysql:\n    a: { password: "${CANARY}", user: "\${U}" }\n`,
    );
    try {
      resolveConnection('@mysql.a', { connections: withCanaryInFile, env: {} });
    } catch (error) {
      messages.push(String((error as Error).message), JSON.stringify((error as OsirisError).diagnostics));
    }
    expect(messages.length).toBeGreaterThan(10);
    for (const m of messages) expect(m).not.toContain(CANARY);
  });
});

function spec(name: string, fields: ComponentSpec['x-connection-fields']): ComponentSpec {
  return {
    name,
    version: '1.0.0',
    modes: ['extract'],
    capabilities: {},
    configSchema: {
      type: 'object',
      properties: { host: {}, port: {}, user: {}, password: {}, schema: {}, query: {} },
    },
    secrets: ['/password'],
    'x-connection-fields': fields,
  };
}

function registryOf(...specs: ComponentSpec[]): Registry {
  return new Registry(
    specs.map((s) => ({
      spec: s,
      specPath: `/x/${s.name}/spec.yaml`,
      specText: s.name,
      driverPath: undefined,
    })),
  );
}

describe('applyConnectionOverrides', () => {
  const registry = registryOf(
    spec('mysql.extractor', [
      { name: 'host', override: 'allowed' },
      'port',
      { name: 'user', override: 'forbidden' },
      { name: 'password', override: 'forbidden' },
      { name: 'schema', override: 'warning' },
    ]),
  );
  const resolved = {
    family: 'mysql',
    alias: 'primary',
    fields: { host: 'db', port: 3306, user: 'app', password: CANARY, schema: 'public' },
  };

  it('applies allowed overrides at run time without touching the input', () => {
    const result = applyConnectionOverrides(
      'mysql.extractor',
      { host: 'other', port: 3307, query: 'SELECT 1' },
      resolved,
      registry,
    );
    expect(result.connection.fields).toEqual({ ...resolved.fields, host: 'other', port: 3307 });
    expect(result.overridden).toEqual(['host', 'port']);
    expect(result.warnings).toEqual([]);
    expect(resolved.fields.host).toBe('db');
  });

  it('applies warning overrides and warns', () => {
    const result = applyConnectionOverrides('mysql.extractor', { schema: 'sales' }, resolved, registry, {
      stepId: 'extract',
    });
    expect(result.connection.fields.schema).toBe('sales');
    expect(result.warnings.map((w) => [w.severity, w.code, w.stepId])).toEqual([
      ['warning', 'CON041', 'extract'],
    ]);
  });

  it('refuses forbidden overrides, naming each field but no value', () => {
    const error = thrown(() =>
      applyConnectionOverrides(
        'mysql.extractor',
        { user: 'root', password: 'x', host: 'h' },
        resolved,
        registry,
      ),
    );
    expect(error.diagnostics.map((d) => [d.code, d.location.path])).toEqual([
      ['CON040', 'config.password'],
      ['CON040', 'config.user'],
    ]);
    expect(error.message).not.toContain(CANARY);
    expect(error.message).not.toContain('root');
  });

  it('ignores keys that are not connection fields, and components without any', () => {
    const plain = registryOf({ ...spec('duckdb.processor', undefined), secrets: [] });
    const result = applyConnectionOverrides('duckdb.processor', { host: 'x' }, resolved, plain);
    expect(result.connection.fields).toEqual(resolved.fields);
  });

  it('is applied by resolveConnection when given the registry and step config', () => {
    const config = connections(
      'connections:\n  mysql:\n    a: { host: db, port: 3306, user: u, schema: public }\n',
    );
    const warnings: Diagnostic[] = [];
    const result = resolveConnection('@mysql.a', {
      connections: config,
      env: {},
      registry,
      componentName: 'mysql.extractor',
      stepConfig: { host: 'override', schema: 'x', query: 'q' },
      onWarning: (w) => warnings.push(w),
    });
    expect(result.fields).toEqual({ host: 'override', port: 3306, user: 'u', schema: 'x' });
    expect(warnings.map((w) => w.code)).toEqual(['CON041']);
    expect(() =>
      resolveConnection('@mysql.a', {
        connections: config,
        env: {},
        registry,
        componentName: 'mysql.extractor',
        stepConfig: { user: 'root' },
      }),
    ).toThrow(/CON040/);
  });
});
