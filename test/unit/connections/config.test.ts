// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  connectionsFileCandidates,
  getConnection,
  loadConnectionsConfig,
  parseConnectionsText,
  readConnectionsConfig,
} from '../../../src/connections/config.js';
import { formatDiagnostic, OsirisError } from '../../../src/diagnostics/diagnostic.js';

const FILE = 'osiris_connections.yaml';

function parse(text: string) {
  return parseConnectionsText(text, FILE);
}

describe('parseConnectionsText', () => {
  it('keeps families and aliases in file order with raw values and the default marker split off', () => {
    const { config, diagnostics } = parse(`version: "1.0"
connections:
  mysql:
    primary:
      default: true
      host: \${MYSQL_HOST}
      port: 3306
    replica:
      host: replica.local
  filesystem:
    local: { base_dir: ./data }
`);
    expect(diagnostics).toEqual([]);
    expect(config.version).toBe('1.0');
    expect(config.families.map((f) => f.name)).toEqual(['mysql', 'filesystem']);
    expect(config.families[0]?.aliases.map((a) => [a.alias, a.isDefault])).toEqual([
      ['primary', true],
      ['replica', false],
    ]);
    expect(getConnection(config, 'mysql', 'primary')?.fields).toEqual({ host: '${MYSQL_HOST}', port: 3306 });
  });

  it('treats an empty file or a missing connections key as no connections', () => {
    expect(parse('').config.families).toEqual([]);
    expect(parse('version: "1.0"\n').config.families).toEqual([]);
    expect(parse('version: "1.0"\n').diagnostics).toEqual([]);
  });

  const cases: Array<[string, string, string, number]> = [
    ['root not a mapping', '- a\n- b\n', 'CON002', 1],
    ['connections not a mapping', 'connections: [a]\n', 'CON003', 1],
    ['family not a mapping', 'connections:\n  mysql: 3\n', 'CON004', 2],
    ['alias not a mapping', 'connections:\n  mysql:\n    primary: localhost\n', 'CON005', 3],
    ['bad family name', 'connections:\n  "my sql":\n    a: {x: 1}\n', 'CON006', 2],
    ['bad alias name', 'connections:\n  mysql:\n    "a.b": {x: 1}\n', 'CON006', 3],
    ['default not boolean', 'connections:\n  mysql:\n    a:\n      default: "yes"\n', 'CON007', 4],
    ['malformed env ref', 'connections:\n  mysql:\n    a:\n      host: ${MYSQL HOST}\n', 'CON031', 4],
    ['bad version', 'version: [1]\nconnections: {}\n', 'CON010', 1],
    ['YAML syntax', 'connections:\n  mysql: [\n', 'YAML001', 3],
  ];
  for (const [name, text, code, line] of cases) {
    it(`reports ${name} (${code}) with its line`, () => {
      const { diagnostics } = parse(text);
      const d = diagnostics.find((x) => x.code === code);
      expect(d, JSON.stringify(diagnostics)).toBeDefined();
      expect(d?.severity).toBe('error');
      expect(d?.location.file).toBe(FILE);
      expect(d?.location.line).toBe(line);
    });
  }

  it('rejects more than one default in a family, pointing at the extra one', () => {
    const { diagnostics } = parse(`connections:
  mysql:
    a: { default: true, host: x }
    b: { host: y }
    c:
      default: true
      host: z
`);
    expect(diagnostics.map((d) => d.code)).toEqual(['CON008']);
    expect(diagnostics[0]?.location.line).toBe(6);
    expect(diagnostics[0]?.message).toContain('more than one default alias (a, c)');
  });

  it('warns about unknown top-level keys with a suggestion', () => {
    const { diagnostics } = parse('conections:\n  mysql: {}\n');
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', code: 'CON009' });
    expect(formatDiagnostic(diagnostics[0]!)).toContain("did you mean 'connections'?");
  });

  it('warns about a family with no aliases', () => {
    const { diagnostics, config } = parse('connections:\n  mysql:\n  pg: {}\n');
    expect(diagnostics.map((d) => [d.severity, d.code, d.location.line])).toEqual([
      ['warning', 'CON004', 2],
      ['warning', 'CON004', 3],
    ]);
    expect(config.families).toEqual([
      { name: 'mysql', aliases: [] },
      { name: 'pg', aliases: [] },
    ]);
  });
});

describe('finding and loading the file', () => {
  function setup() {
    const base = mkdtempSync(join(tmpdir(), 'osiris-conn-'));
    const dirs = { home: join(base, 'home'), project: join(base, 'project'), cwd: join(base, 'cwd') };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    const write = (dir: string, alias: string) =>
      writeFileSync(join(dir, FILE), `connections:\n  duckdb:\n    ${alias}: { database: ":memory:" }\n`);
    return { ...dirs, write };
  }

  it('searches explicit path, $OSIRIS_HOME, project root, cwd in that order', () => {
    const { home, project, cwd, write } = setup();
    expect(connectionsFileCandidates({ cwd, env: { OSIRIS_HOME: home }, projectRoot: project })).toEqual([
      join(home, FILE),
      join(project, FILE),
      join(cwd, FILE),
    ]);
    write(cwd, 'from_cwd');
    const alias = (o: Parameters<typeof readConnectionsConfig>[0]) =>
      readConnectionsConfig(o).config.families[0]?.aliases[0]?.alias;
    expect(alias({ cwd, env: { OSIRIS_HOME: home }, projectRoot: project })).toBe('from_cwd');
    write(project, 'from_project');
    expect(alias({ cwd, env: { OSIRIS_HOME: home }, projectRoot: project })).toBe('from_project');
    write(home, 'from_home');
    expect(alias({ cwd, env: { OSIRIS_HOME: home }, projectRoot: project })).toBe('from_home');
    const explicit = join(cwd, 'other.yaml');
    writeFileSync(explicit, 'connections:\n  duckdb:\n    explicit: {}\n');
    expect(alias({ cwd, env: { OSIRIS_HOME: home }, projectRoot: project, file: 'other.yaml' })).toBe(
      'explicit',
    );
  });

  it('returns an empty configuration when no file exists', () => {
    const { cwd } = setup();
    const { config, diagnostics } = readConnectionsConfig({ cwd, env: {} });
    expect(config.file).toBeUndefined();
    expect(config.families).toEqual([]);
    expect(diagnostics).toEqual([]);
  });

  it('errors on a missing explicit file', () => {
    const { cwd } = setup();
    const { diagnostics } = readConnectionsConfig({ cwd, env: {}, file: 'nope.yaml' });
    expect(diagnostics.map((d) => d.code)).toEqual(['CON001']);
    expect(diagnostics[0]?.location.file).toBe('nope.yaml');
  });

  it('loadConnectionsConfig throws on errors and shows the file relative to cwd', () => {
    const { cwd } = setup();
    writeFileSync(join(cwd, FILE), 'connections:\n  mysql:\n    a: 1\n');
    expect(() => loadConnectionsConfig({ cwd, env: {} })).toThrow(OsirisError);
    try {
      loadConnectionsConfig({ cwd, env: {} });
    } catch (error) {
      expect((error as OsirisError).message).toMatch(/^osiris_connections\.yaml:3:\d+ error CON005/);
    }
  });
});

describe('the Python original spelling username', () => {
  it('is read as user, with a located warning', () => {
    const { config, diagnostics } = parse(
      'connections:\n  mysql:\n    legacy:\n      host: db\n      username: app\n      database: shop\n',
    );
    expect(getConnection(config, 'mysql', 'legacy')?.fields).toEqual({
      host: 'db',
      user: 'app',
      database: 'shop',
    });
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "osiris_connections.yaml:5:7 warning CON014 @mysql.legacy: 'username' is read as 'user' (the Python Osiris spelling) — rename it to 'user'",
    ]);
  });

  it('loses to user when both are written', () => {
    const { config, diagnostics } = parse(
      'connections:\n  mysql:\n    both:\n      user: a\n      username: b\n',
    );
    expect(getConnection(config, 'mysql', 'both')?.fields).toEqual({ user: 'a' });
    expect(diagnostics[0]?.code).toBe('CON014');
  });
});
