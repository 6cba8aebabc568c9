import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/diagnostics/diagnostic.js';
import {
  discoverSpecFiles,
  loadRegistry,
  validateSpec,
  validateSpecFile,
} from '../../../src/registry/load.js';

const LEVELS = resolve('test/fixtures/specs/levels');
const MIXED = resolve('test/fixtures/specs/mixed');
const spec = (name: string) => join(LEVELS, name, 'spec.yaml');
const errors = (list: ReturnType<typeof validateSpecFile>) =>
  list.filter((d) => d.severity === 'error').map(formatDiagnostic);

describe('validation levels', () => {
  it('basic: an example that breaks configSchema is not looked at', () => {
    expect(validateSpecFile(spec('ex.bad_example'), 'basic')).toEqual([]);
  });

  it('enhanced: every example config must pass configSchema, located inside the example', () => {
    expect(errors(validateSpecFile(spec('ex.bad_example'), 'enhanced'))).toEqual([
      `${spec('ex.bad_example')}:23:7 error REG006 example 2 ('Wrong') does not match configSchema: unknown field 'tabel' in 'examples[1].config' — did you mean 'table'?`,
      `${spec('ex.bad_example')}:22:19 error REG006 example 2 ('Wrong') does not match configSchema: 'examples[1].config.batch_size' must be an integer, not a string — write a whole number without quotes, e.g. 1000`,
    ]);
  });

  it('enhanced: configSchema must itself be a valid JSON Schema', () => {
    const found = validateSpecFile(spec('ex.bad_schema'), 'enhanced');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((d) => d.code === 'REG005')).toBe(true);
    expect(found.map((d) => d.location.path)).toContain('configSchema.properties.query.minLength');
    expect(validateSpecFile(spec('ex.bad_schema'), 'basic')).toEqual([]);
  });

  it('strict: pointers, aliases, connection fields and required entries must name config fields', () => {
    const found = validateSpecFile(spec('ex.bad_pointer'), 'strict');
    expect(validateSpecFile(spec('ex.bad_pointer'), 'enhanced')).toEqual([]);
    const text = found.map(formatDiagnostic);
    const file = spec('ex.bad_pointer');
    expect(text).toEqual(
      expect.arrayContaining([
        `${file}:15:5 error REG007 secrets pointer '/passwd' names no field of configSchema — did you mean '/password'?`,
        `${file}:19:5 warning REG007 x-secret pointer '/api_key' names no field of configSchema — declare 'api_key' under configSchema.properties, or point into /resolved_connection/… for a connection value`,
        `${file}:21:25 error REG007 redaction.extras pointer '/hots' names no field of configSchema — declare 'hots' under configSchema.properties, or point into /resolved_connection/… for a connection value`,
        `${file}:25:5 error REG010 x-connection-fields names 'hostname', which is not a config field — declare 'hostname' under configSchema.properties too (config fields: headers, password)`,
        `${file}:29:5 error REG008 llmHints.inputAliases has aliases for 'tabel', which is not a config field — config fields: headers, password`,
        `${file}:12:14 error REG011 configSchema.required lists 'pasword', which is not a config field — did you mean 'password'?`,
      ]),
    );
    // /headers/Authorization (free-form mapping), /resolved_connection/… and /auth/… are accepted.
    expect(text.join('\n')).not.toMatch(/Authorization|\/auth\/token|resolved_connection\/password'/);
    expect(found).toHaveLength(6);
  });

  it('stops after basic errors', () => {
    const found = validateSpecFile(join(MIXED, 'broken.types', 'spec.yaml'), 'strict');
    expect(found.every((d) => d.code === 'REG002')).toBe(true);
  });
});

describe('validateSpec targets', () => {
  it('takes a component name, a spec path or a folder', () => {
    const options = { roots: [LEVELS] };
    const byName = validateSpec('ex.bad_example', 'enhanced', options);
    expect(byName).toHaveLength(2);
    expect(validateSpec(spec('ex.bad_example'), 'enhanced', options)).toEqual(byName);
    expect(validateSpec(join(LEVELS, 'ex.bad_example'), 'enhanced', options)).toEqual(byName);
    expect(
      validateSpec('test/fixtures/specs/levels/ex.bad_example', 'enhanced', { cwd: resolve('.') }),
    ).toEqual(byName);
  });

  it('suggests a close name for an unknown component', () => {
    const [d] = validateSpec('ex.bad_exampel', 'basic', { roots: [LEVELS] });
    expect(d?.code).toBe('REG009');
    expect(d?.hint).toBe("did you mean 'ex.bad_example'?");
  });

  it('also validates a spec that failed to load', () => {
    const found = validateSpec('wrong.folder', 'basic', { roots: [MIXED] });
    expect(found.map((d) => d.code)).toEqual(['REG003']);
  });
});

describe('shipped specs', () => {
  const registry = loadRegistry({ fresh: true });
  const shipped = discoverSpecFiles();

  it('all load without problems', () => {
    expect(registry.problems.map(formatDiagnostic)).toEqual([]);
    expect(registry.names()).toEqual(shipped.map((f) => f.folder));
  });

  it('include the database components', () => {
    for (const name of [
      'mysql.extractor',
      'mysql.writer',
      'postgres.extractor',
      'postgres.writer',
      'supabase.extractor',
      'supabase.writer',
    ]) {
      expect(registry.has(name), name).toBe(true);
    }
  });

  for (const file of shipped) {
    for (const level of ['basic', 'enhanced', 'strict'] as const) {
      it(`${file.folder} passes ${level}`, () => {
        expect(validateSpecFile(file.specPath, level).map(formatDiagnostic)).toEqual([]);
      });
    }
  }

  it('never give connection-provided fields a default', () => {
    for (const c of registry.list()) {
      for (const f of registry.connectionFields(c.spec.name)) {
        const prop = c.spec.configSchema.properties[f.name];
        expect(prop && 'default' in prop, `${c.spec.name}.${f.name}`).toBeFalsy();
      }
    }
  });

  it('forbid overriding every secret field', () => {
    for (const c of registry.list()) {
      const policies = new Map(registry.connectionFields(c.spec.name).map((f) => [f.name, f.override]));
      for (const key of registry.secretKeys(c.spec.name)) {
        if (key === 'resolved_connection' || !(key in c.spec.configSchema.properties)) continue;
        expect(policies.get(key), `${c.spec.name}.${key}`).toBe('forbidden');
      }
    }
  });
});
