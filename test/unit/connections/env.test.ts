// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dotEnvCandidates,
  findEnvRefs,
  interpolate,
  isPureEnvRef,
  loadDotEnv,
  tokenizeEnvRefs,
} from '../../../src/connections/env.js';
import type { JsonValue } from '../../../src/yaml/json.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';
import { thrown } from '../../helpers/errors.js';

const CANARY = 'canary-Zq9-secret-value';

describe('interpolate', () => {
  const env = { SET: 'value', EMPTY: '', SECRET: CANARY };
  const table: Array<[string, string, string]> = [
    ['plain text', 'no refs', 'no refs'],
    ['set variable', '${SET}', 'value'],
    ['inside text', 'pre-${SET}-post', 'pre-value-post'],
    ['two refs', '${SET}:${SET}', 'value:value'],
    [':- default when unset', '${UNSET:-fallback}', 'fallback'],
    [':- default when empty', '${EMPTY:-fallback}', 'fallback'],
    [':- ignored when set', '${SET:-fallback}', 'value'],
    ['- default when unset', '${UNSET-fallback}', 'fallback'],
    ['- keeps empty value', '${EMPTY-fallback}', ''],
    ['empty default', '${UNSET:-}', ''],
    ['default with colon and slash', '${UNSET:-http://x:1/y}', 'http://x:1/y'],
    ['set but empty, no default', 'a${EMPTY}b', 'ab'],
    ['escaped', 'cost $${SET}', 'cost ${SET}'],
    ['lone dollar', 'a $ b $HOME', 'a $ b $HOME'],
  ];
  for (const [name, input, expected] of table) {
    it(name, () => {
      expect(interpolate(input, env)).toBe(expected);
    });
  }

  it('walks maps and lists, leaving other scalars alone', () => {
    const value: JsonValue = {
      host: '${SET}',
      port: 3306,
      ssl: true,
      none: null,
      list: ['${SET}', { deep: '${UNSET:-d}' }],
    };
    expect(interpolate(value, env)).toEqual({
      host: 'value',
      port: 3306,
      ssl: true,
      none: null,
      list: ['value', { deep: 'd' }],
    });
  });

  it('reports every unset variable, naming the variable, the connection and the field', () => {
    const error = thrown(() =>
      interpolate({ password: '${MYSQL_PASSWORD}', nested: { user: 'x${MYSQL_USER}' } }, env, {
        connection: '@mysql.primary',
      }),
    );
    expect(error.diagnostics.map((d) => d.code)).toEqual(['CON030', 'CON030']);
    expect(error.diagnostics[0]?.message).toBe(
      '@mysql.primary field password: environment variable MYSQL_PASSWORD is not set',
    );
    expect(error.diagnostics[0]?.hint).toBe('add it to .env or export it');
    expect(error.diagnostics[1]?.message).toContain('field nested.user');
    expect(error.diagnostics[1]?.message).toContain('MYSQL_USER');
  });

  it('locates the reference in the file', () => {
    const text = 'connections:\n  mysql:\n    primary:\n      host: h\n      password: ${MYSQL_PASSWORD}\n';
    const doc = parseLocatedYaml(text, 'osiris_connections.yaml');
    const fields = (doc.value as { connections: { mysql: { primary: JsonValue } } }).connections.mysql
      .primary;
    const error = thrown(() =>
      interpolate(
        fields,
        {},
        {
          connection: '@mysql.primary',
          path: ['connections', 'mysql', 'primary'],
          locate: doc.locate,
        },
      ),
    );
    const d = error.diagnostics[0];
    expect(d?.location).toMatchObject({ file: 'osiris_connections.yaml', line: 5, col: 17 });
    expect(error.message).toBe(
      'osiris_connections.yaml:5:17 error CON030 @mysql.primary field password: environment variable MYSQL_PASSWORD is not set — add it to .env or export it',
    );
  });

  it('never puts a value into a message', () => {
    const error = thrown(() =>
      interpolate(
        { a: '${SECRET}', b: '${MISSING}', c: `${CANARY}\${BAD NAME}`, d: '${SECRET:-x}${MISSING2}' },
        env,
        { connection: '@x.y' },
      ),
    );
    expect(error.diagnostics.length).toBe(3);
    for (const d of error.diagnostics) {
      expect(JSON.stringify(d)).not.toContain(CANARY);
    }
    expect(error.message).not.toContain(CANARY);
  });

  it('rejects malformed references', () => {
    for (const bad of ['${}', '${1ABC}', '${A B}', '${VAR:default}', 'x${OPEN', '${A:-${B}}']) {
      const error = thrown(() => interpolate(bad, {}));
      expect(error.diagnostics[0]?.code, bad).toBe('CON031');
    }
  });
});

describe('env references', () => {
  it('tokenizes text, references and defaults', () => {
    expect(tokenizeEnvRefs('a${B:-c}d${E}')).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'ref', raw: '${B:-c}', name: 'B', operator: ':-', default: 'c' },
      { kind: 'text', text: 'd' },
      { kind: 'ref', raw: '${E}', name: 'E' },
    ]);
  });

  it('finds references with their paths', () => {
    expect(findEnvRefs({ a: '${X}', b: ['${Y:-1}'], c: 3 }, ['root'])).toEqual([
      { name: 'X', raw: '${X}', hasDefault: false, path: ['root', 'a'] },
      { name: 'Y', raw: '${Y:-1}', hasDefault: true, path: ['root', 'b', 0] },
    ]);
  });

  it('tells pure references from mixed text', () => {
    expect(isPureEnvRef('${A}')).toBe(true);
    expect(isPureEnvRef('${A}${B:-x}')).toBe(true);
    expect(isPureEnvRef('x${A}')).toBe(false);
    expect(isPureEnvRef('')).toBe(false);
    expect(isPureEnvRef('${bad name}')).toBe(false);
  });
});

describe('loadDotEnv', () => {
  function setup() {
    const base = mkdtempSync(join(tmpdir(), 'osiris-env-'));
    const home = join(base, 'home');
    const project = join(base, 'project');
    const cwd = join(project, 'sub');
    for (const d of [home, project, cwd]) mkdirSync(d, { recursive: true });
    writeFileSync(join(home, '.env'), 'FROM=home\nHOME_ONLY=h\n');
    writeFileSync(join(project, '.env'), 'FROM=project\nPROJECT_ONLY=p\nEXPORTED=from-file\n');
    writeFileSync(join(cwd, '.env'), 'FROM=cwd\nCWD_ONLY=c\n# comment\nQUOTED="a b"\n');
    return { home, project, cwd };
  }

  it('loads $OSIRIS_HOME, project root and cwd .env files, first one wins', () => {
    const { home, project, cwd } = setup();
    const env: NodeJS.ProcessEnv = { OSIRIS_HOME: home };
    const loaded = loadDotEnv({ cwd, env, projectRoot: project });
    expect(loaded).toEqual([join(home, '.env'), join(project, '.env'), join(cwd, '.env')]);
    expect(env).toMatchObject({
      FROM: 'home',
      HOME_ONLY: 'h',
      PROJECT_ONLY: 'p',
      CWD_ONLY: 'c',
      QUOTED: 'a b',
    });
  });

  it('never overrides an exported variable, even an empty one', () => {
    const { project, cwd } = setup();
    const env: NodeJS.ProcessEnv = { EXPORTED: 'from-shell', FROM: '' };
    loadDotEnv({ cwd, env, projectRoot: project });
    expect(env.EXPORTED).toBe('from-shell');
    expect(env.FROM).toBe('');
  });

  it('project .env beats cwd .env when there is no $OSIRIS_HOME', () => {
    const { project, cwd } = setup();
    const env: NodeJS.ProcessEnv = {};
    loadDotEnv({ cwd, env, projectRoot: project });
    expect(env.FROM).toBe('project');
  });

  it('reads each file once and skips missing ones', () => {
    const { project } = setup();
    const env: NodeJS.ProcessEnv = { OSIRIS_HOME: project };
    expect(dotEnvCandidates({ cwd: project, env, projectRoot: project })).toEqual([join(project, '.env')]);
    expect(loadDotEnv({ cwd: project, env, projectRoot: join(project, 'nowhere') })).toEqual([
      join(project, '.env'),
    ]);
  });

  it('loads only explicit files when given, and requires them to exist', () => {
    const { home, cwd } = setup();
    const env: NodeJS.ProcessEnv = {};
    expect(loadDotEnv({ cwd, env, files: [join(home, '.env')] })).toEqual([join(home, '.env')]);
    expect(env.CWD_ONLY).toBeUndefined();
    const error = thrown(() => loadDotEnv({ cwd, env, files: ['missing.env'] }));
    expect(error.diagnostics[0]?.code).toBe('CON032');
  });
});
