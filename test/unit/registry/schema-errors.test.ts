import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/diagnostics/diagnostic.js';
import { pointerToPath, schemaErrorsToDiagnostics } from '../../../src/registry/schema-errors.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';

describe('pointerToPath', () => {
  it('turns list indexes into numbers and unescapes ~1 and ~0', () => {
    const value = { steps: [{ config: { 'a/b': 1, '0': 2 } }] };
    expect(pointerToPath('/steps/0/config/a~1b', value)).toEqual(['steps', 0, 'config', 'a/b']);
    expect(pointerToPath('/steps/0/config/0', value)).toEqual(['steps', 0, 'config', '0']);
    expect(pointerToPath('/x~0y', {})).toEqual(['x~y']);
    expect(pointerToPath('', value)).toEqual([]);
  });
});

describe('schemaErrorsToDiagnostics', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
  const validate = ajv.compile({
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      mode: { enum: ['append', 'replace', 'upsert'] },
      items: { type: 'array', items: { type: 'integer', minimum: 1 } },
    },
  });
  const text = 'mode: apend\nitems:\n  - 1\n  - 0\nnmae: x\n';
  const doc = parseLocatedYaml(text, 'cfg.yaml');
  validate(doc.value);
  const found = schemaErrorsToDiagnostics(validate.errors, {
    doc,
    basePath: [],
    instance: doc.value,
    code: 'T001',
  }).map(formatDiagnostic);

  it('says which field, what is expected and how to fix it, at file:line:col', () => {
    expect(found).toEqual([
      "cfg.yaml:1:1 error T001 missing required field 'name' — add 'name'",
      "cfg.yaml:5:1 error T001 unknown field 'nmae' — did you mean 'name'?",
      `cfg.yaml:1:7 error T001 'mode' must be one of append, replace, upsert; got "apend" — did you mean 'append'?`,
      "cfg.yaml:4:5 error T001 'items[1]' must be >= 1; got 0",
    ]);
  });
});
