import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/diagnostics/diagnostic.js';
import {
  builtinComponentsRoot,
  clearRegistryCache,
  discoverSpecFiles,
  loadRegistry,
  originOf,
} from '../../../src/registry/load.js';

const FIXTURES = resolve('test/fixtures/specs');
// The fixture folder plus a spec with a YAML syntax error (written here: Biome would choke on the file).
const MIXED = mkdtempSync(join(tmpdir(), 'osiris-mixed-'));
cpSync(join(FIXTURES, 'mixed'), MIXED, { recursive: true });
mkdirSync(join(MIXED, 'bad.syntax'));
writeFileSync(
  join(MIXED, 'bad.syntax', 'spec.yaml'),
  'name: bad.syntax\nversion: 1.0.0\nmodes: [extract\ncapabilities: {}\n',
);
afterAll(() => rmSync(MIXED, { recursive: true, force: true }));
const LEVELS = join(FIXTURES, 'levels');
const USER_PROJECT = join(FIXTURES, 'user-project');

const temps: string[] = [];
function tempCopy(from: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'osiris-registry-'));
  temps.push(dir);
  cpSync(from, dir, { recursive: true });
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  clearRegistryCache();
});

describe('loadRegistry: invalid specs are reported, located and kept out', () => {
  const registry = loadRegistry({ roots: [MIXED], fresh: true });
  const problems = registry.problems.map(formatDiagnostic);
  const file = (name: string, spec = 'spec.yaml') => join(MIXED, name, spec);

  it('keeps only the valid specs', () => {
    expect(registry.names()).toEqual(['dup.writer', 'good.extractor']);
  });

  it('ignores folders without a spec', () => {
    expect(discoverSpecFiles({ roots: [MIXED] }).map((f) => f.folder)).not.toContain('not-a-component');
  });

  it('reports schema violations at file:line:col with code REG002 and a fix', () => {
    const broken = registry.problems.filter((p) => p.location.file === file('broken.types'));
    expect(broken.every((p) => p.code === 'REG002' && p.severity === 'error')).toBe(true);
    expect(problems).toContain(
      `${file('broken.types')}:2:10 error REG002 'version' has the wrong form: "1.0" — use a semantic version such as 1.0.0 or 1.2.0-beta.1`,
    );
    expect(problems).toContain(
      `${file('broken.types')}:3:8 error REG002 'modes' must be a list, not a string — write a YAML list (one \`- item\` per line) or [a, b]`,
    );
    expect(problems).toContain(
      `${file('broken.types')}:5:13 error REG002 'capabilities.discover' must be a boolean, not a string — capability flags are true or false`,
    );
    expect(problems).toContain(
      `${file('broken.types')}:6:1 error REG002 unknown field 'secret' — did you mean 'secrets'?`,
    );
  });

  it('reports YAML syntax errors as REG001 with a position', () => {
    const syntax = registry.problems.filter((p) => p.location.file === file('bad.syntax'));
    expect(syntax.length).toBeGreaterThan(0);
    expect(syntax[0]?.code).toBe('REG001');
    expect(syntax[0]?.location.line).toBeGreaterThan(0);
    expect(syntax[0]?.message).toMatch(/^component spec is not valid YAML: /);
    expect(registry.has('bad.syntax')).toBe(false);
  });

  it('reports a folder that does not match the spec name (REG003)', () => {
    expect(problems).toContain(
      `${file('wrong.folder')}:1:7 error REG003 component 'other.name' lives in folder 'wrong.folder'; the folder name must equal the spec name — rename the folder to 'other.name' or set \`name: wrong.folder\``,
    );
    expect(registry.has('other.name')).toBe(false);
  });

  it('loads spec.json, and finds a driver beside the spec', () => {
    const dup = registry.get('dup.writer');
    expect(dup?.specPath).toBe(file('dup.writer', 'spec.json'));
    expect(dup?.driverPath).toBe(join(MIXED, 'dup.writer', 'driver.js'));
    expect(registry.get('good.extractor')?.driverPath).toBeUndefined();
  });
});

describe('loadRegistry roots', () => {
  it('reports a missing built-in components folder (REG013)', () => {
    const registry = loadRegistry({ roots: [join(tmpdir(), 'no-such-osiris-components')], fresh: true });
    expect(registry.names()).toEqual([]);
    expect(registry.problems.map((p) => p.code)).toEqual(['REG013']);
  });

  it('defaults to the shipped components folder', () => {
    expect(builtinComponentsRoot()).toBe(resolve('src/components'));
  });
});

describe('connectionFields', () => {
  const registry = loadRegistry({ roots: [MIXED, LEVELS, builtinComponentsRoot()], fresh: true });

  it('reads the object form with its policies', () => {
    expect(registry.connectionFields('mysql.extractor')).toEqual([
      { name: 'host', override: 'allowed' },
      { name: 'port', override: 'allowed' },
      { name: 'database', override: 'warning' },
      { name: 'user', override: 'forbidden' },
      { name: 'password', override: 'forbidden' },
    ]);
  });

  it('reads the simple form as allowed', () => {
    expect(registry.connectionFields('dup.writer')).toEqual([
      { name: 'base_dir', override: 'allowed' },
      { name: 'path', override: 'allowed' },
    ]);
  });

  it('falls back to the secret fields, forbidden, without x-connection-fields', () => {
    expect(registry.connectionFields('ex.simple_fields')).toEqual([
      { name: 'api_key', override: 'forbidden' },
    ]);
  });
});

describe('user components', () => {
  it('loads <projectRoot>/components and reports a clash with a built-in (built-in wins)', () => {
    const registry = loadRegistry({ projectRoot: USER_PROJECT, fresh: true });
    const acme = registry.get('acme.extractor');
    expect(acme).toBeDefined();
    expect(acme && originOf(acme, { projectRoot: USER_PROJECT })).toBe('user');
    const mysql = registry.get('mysql.extractor');
    expect(mysql?.spec.version).toBe('1.0.0');
    expect(mysql && originOf(mysql, { projectRoot: USER_PROJECT })).toBe('builtin');
    const clash = registry.problems.find((p) => p.code === 'REG004');
    expect(clash?.location.file).toBe(join(USER_PROJECT, 'components', 'mysql.extractor', 'spec.yaml'));
    expect(clash?.location.line).toBe(1);
    expect(clash?.message).toContain('same name as a built-in');
  });

  it('is fine without a components folder', () => {
    const registry = loadRegistry({ projectRoot: tmpdir(), fresh: true });
    expect(registry.problems).toEqual([]);
    expect(registry.has('mysql.writer')).toBe(true);
  });
});

describe('fingerprint and cache', () => {
  it('changes when one byte of a spec changes, and the cache notices', () => {
    const root = tempCopy(MIXED);
    const before = loadRegistry({ roots: [root] });
    expect(loadRegistry({ roots: [root] })).toBe(before);
    const spec = join(root, 'good.extractor', 'spec.yaml');
    const text = readFileSync(spec, 'utf8');
    writeFileSync(spec, text.replace('A valid spec', 'A valid spek'));
    const after = loadRegistry({ roots: [root], fresh: true });
    expect(after.fingerprint()).not.toBe(before.fingerprint());
    expect(after.fingerprint()).toMatch(/^sha256:[0-9a-f]{64}$/);
    writeFileSync(spec, text);
    expect(loadRegistry({ roots: [root], fresh: true }).fingerprint()).toBe(before.fingerprint());
  });

  it('reloads when a driver appears', () => {
    const root = tempCopy(MIXED);
    expect(loadRegistry({ roots: [root] }).get('good.extractor')?.driverPath).toBeUndefined();
    writeFileSync(join(root, 'good.extractor', 'driver.ts'), 'export {};\n');
    expect(loadRegistry({ roots: [root] }).get('good.extractor')?.driverPath).toBe(
      join(root, 'good.extractor', 'driver.ts'),
    );
  });
});
