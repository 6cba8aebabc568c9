// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
import { describe, expect, it } from 'vitest';
import { type Diagnostic, formatDiagnostic } from '../../../src/diagnostics/diagnostic.js';
import { checkOml } from '../../../src/oml/check.js';
import { resolveParams } from '../../../src/oml/params.js';
import { validateOml } from '../../../src/oml/validate.js';
import { Registry } from '../../../src/registry/registry.js';
import { doc, fixtureComponents, registry } from './fixtures.js';

const validate = (text: string): Diagnostic[] => validateOml(doc(text), { registry });
const codes = (list: Diagnostic[]) => list.map((d) => d.code);
const withCode = (list: Diagnostic[], code: string) => list.filter((d) => d.code === code);

/** A document with one step whose body (indented 4) is `body`. */
const oneStep = (body: string) =>
  `oml_version: "0.1.0"\nname: demo\nsteps:\n  - id: s\n${body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

const VALID = `oml_version: "0.1.0"
name: movies
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.main"
      query: SELECT * FROM movies
  - id: transform
    component: duckdb.processor
    mode: transform
    inputs: { movies: "\${extract.df}" }
    config:
      query: SELECT director, count(*) AS n FROM movies GROUP BY director
  - id: write
    component: filesystem.csv_writer
    mode: write
    config:
      path: out/directors.csv
`;

describe('validateOml', () => {
  it('accepts a valid pipeline with no diagnostics', () => {
    expect(validate(VALID)).toEqual([]);
  });

  it('prints unknown components like a compiler, with a suggestion', () => {
    const text = VALID.replace('component: duckdb.processor', 'component: duckdb.proc');
    const [d] = withCode(validate(text), 'OML013');
    expect(d).toBeDefined();
    expect(formatDiagnostic(d as Diagnostic)).toBe(
      "pipeline.yaml:11:16 error OML013 unknown component 'duckdb.proc' — did you mean 'duckdb.processor'?",
    );
    expect(d?.stepId).toBe('transform');
    expect(d?.location.path).toBe('steps[1].component');
  });

  it('explains an unknown component whose spec failed to load', () => {
    const broken = new Registry(fixtureComponents, [
      {
        severity: 'error',
        code: 'REG002',
        message: "spec of 'acme.loader' is invalid: modes must not be empty",
        location: { file: '/x/components/acme.loader/spec.yaml', line: 3, col: 1 },
      },
    ]);
    const text = oneStep('component: acme.loader\nmode: write');
    const [d] = withCode(validateOml(doc(text), { registry: broken }), 'OML013');
    expect(d?.hint).toContain('its spec failed to load');
  });

  it('reports YAML syntax errors (and nothing else) with their position', () => {
    const list = validate('oml_version: "0.1.0"\nname: [unclosed\nsteps: []\n');
    expect(codes(list).every((c) => c === 'YAML001')).toBe(true);
    expect(list.length).toBeGreaterThan(0);
    expect(list[0]?.location.line).toBeGreaterThan(0);
  });

  it('reports duplicate keys as YAML errors', () => {
    const list = validate('oml_version: "0.1.0"\nname: a\nname: b\nsteps: []\n');
    expect(codes(list)).toContain('YAML001');
  });

  it('reports an empty document', () => {
    expect(codes(validate(''))).toEqual(['OML002']);
  });

  it('keeps errors and warnings apart and orders them by position, deterministically', () => {
    const text = `oml_version: "0.2.0"
name: Movies Pipeline
extra: 1
steps:
  - id: s
    component: duckdb.processor
    mode: read
    junk: 1
    config: { query: 1 }
`;
    const a = validate(text);
    const b = validate(text);
    expect(a).toEqual(b);
    const positions = a.map((d) => [d.location.line ?? 0, d.location.col ?? 0]);
    const sorted = [...positions].sort(
      (x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number),
    );
    expect(positions).toEqual(sorted);
    expect(a.filter((d) => d.severity === 'warning').map((d) => d.code)).toEqual([
      'OML006',
      'OML009',
      'OML033',
      'OML041',
    ]);
    expect(a.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['OML020', 'OML032']);
  });

  it('reports every missing required top-level key with hints for legacy names', () => {
    const list = validate('version: 1\ntasks: []\n');
    expect(codes(list)).toEqual(['OML003', 'OML003', 'OML003', 'OML004', 'OML004']);
    const hints = list.map((d) => d.hint ?? '').join('\n');
    expect(hints).toContain("rename 'version' to 'oml_version'");
    expect(hints).toContain("rename 'tasks' to 'steps'");
    expect(list.find((d) => d.message.includes("'steps'"))?.location.path).toBe('root');
  });

  it('treats params, profiles, description, metadata and schedule as known top-level keys', () => {
    const text = VALID.replace(
      'name: movies\n',
      'name: movies\ndescription: d\nmetadata: { intent: x }\nschedule: daily\nparams: { a: 1 }\nprofiles: { prod: { params: { a: 2 } } }\n',
    );
    expect(validate(text)).toEqual([]);
  });

  it('suggests the closest known top-level key', () => {
    const [d] = withCode(validate(`${VALID}descripton: x\n`), 'OML033');
    expect(d?.hint).toBe("did you mean 'description'?");
  });

  it('rejects metadata that is not a mapping', () => {
    expect(codes(validate(VALID.replace('name: movies\n', 'name: movies\nmetadata: x\n')))).toEqual([
      'OML043',
    ]);
  });
});

describe('steps', () => {
  it('reports each missing field once, located at the step', () => {
    const list = validate('oml_version: "0.1.0"\nname: demo\nsteps:\n  - config: {}\n');
    expect(list.map((d) => [d.code, d.location.path, d.location.line, d.location.col])).toEqual([
      ['OML014', 'steps[0].component', 4, 5],
      ['OML014', 'steps[0].id', 4, 5],
      ['OML014', 'steps[0].mode', 4, 5],
    ]);
  });

  it('names the first step on a duplicate id', () => {
    const text = VALID.replace('id: write', 'id: extract\n    needs: [transform]');
    const [d] = withCode(validate(text), 'OML016');
    expect(d?.hint).toContain('first used by step 1 (line 4)');
  });

  it('rejects malformed and reserved ids, suggesting a fix', () => {
    const bad = withCode(
      validate(
        oneStep('component: duckdb.processor\nmode: transform\nconfig: { query: x }').replace(
          'id: s',
          'id: "my step!"',
        ),
      ),
      'OML034',
    );
    expect(bad[0]?.hint).toBe("e.g. 'my-step-'");
    const reserved = withCode(
      validate(
        oneStep('component: duckdb.processor\nmode: transform\nconfig: { query: x }').replace(
          'id: s',
          'id: params',
        ),
      ),
      'OML034',
    );
    expect(reserved[0]?.message).toContain('reserved');
    for (const ok of ['a', '1st', 'extract_movies-2', 'A9']) {
      expect(
        codes(
          validate(
            oneStep('component: duckdb.processor\nmode: transform\nconfig: { query: x }').replace(
              'id: s',
              `id: ${ok}`,
            ),
          ),
        ),
      ).toEqual([]);
    }
    for (const bad2 of ['-a', '_a', 'a.b', 'a/b', 'a b']) {
      expect(
        codes(
          validate(
            oneStep('component: duckdb.processor\nmode: transform\nconfig: { query: x }').replace(
              'id: s',
              `id: "${bad2}"`,
            ),
          ),
        ),
      ).toContain('OML034');
    }
  });

  it("maps other tools' mode names to OML modes", () => {
    const [extract] = withCode(
      validate(
        oneStep(
          'component: mysql.extractor\nmode: extract\nconfig: { connection: "@mysql", query: SELECT 1 }',
        ),
      ),
      'OML019',
    );
    expect(extract?.hint).toBe("OML calls this mode 'read'");
    const [load] = withCode(
      validate(oneStep('component: filesystem.csv_writer\nmode: load\nconfig: { path: x }')),
      'OML019',
    );
    expect(load?.hint).toBe("OML calls this mode 'write'");
    const [typo] = withCode(
      validate(oneStep('component: duckdb.processor\nmode: transfrom\nconfig: { query: x }')),
      'OML019',
    );
    expect(typo?.hint).toBe("did you mean 'transform'?");
  });

  it('lists the modes a component supports when the mode does not fit', () => {
    const [d] = withCode(
      validate(
        oneStep('component: mysql.extractor\nmode: write\nconfig: { connection: "@mysql", query: SELECT 1 }'),
      ),
      'OML020',
    );
    expect(d?.hint).toBe('mysql.extractor supports: read');
    const [none] = withCode(validate(oneStep('component: posthog.discoverer\nmode: read')), 'OML020');
    expect(none?.hint).toContain('has no OML mode');
  });

  it('accepts write for a component that declares the deprecated load mode', () => {
    const list = validate(oneStep('component: custom.writer\nmode: write'));
    expect(codes(list)).toEqual(['OML045']);
  });

  it('hints that a config key written at step level belongs under config', () => {
    const [d] = withCode(
      validate(
        oneStep('component: duckdb.processor\nmode: transform\nquery: SELECT 1\nconfig: { query: x }'),
      ),
      'OML041',
    );
    expect(d?.hint).toBe("move 'query' under config:");
    expect(d?.severity).toBe('warning');
  });

  it('suggests step ids for unknown needs and input references', () => {
    const text = VALID.replace(
      'inputs: { movies: "${extract.df}" }',
      'needs: [extrac]\n    inputs: { movies: "${extracted.df}" }',
    );
    const list = validate(text);
    expect(withCode(list, 'OML023')[0]?.hint).toBe("did you mean 'extract'?");
    expect(withCode(list, 'OML039')[0]?.hint).toBe("did you mean 'extract'?");
  });

  it('explains how to write an input reference', () => {
    const hintFor = (value: string) =>
      withCode(validate(VALID.replace('"${extract.df}"', value)), 'OML038')[0]?.hint;
    expect(hintFor('extract')).toBe('write "${extract.df}"');
    expect(hintFor('"${extract}"')).toBe('write "${extract.df}"');
    expect(hintFor('"${extract.rows}"')).toBe('step outputs are named df: write "${extract.df}"');
    expect(hintFor('42')).toBe('write "${<step-id>.df}"');
  });

  it('rejects input names that are not identifiers', () => {
    const list = validate(VALID.replace('movies: "${extract.df}"', '"the movies": "${extract.df}"'));
    expect(codes(list)).toEqual(['OML038']);
    expect(list[0]?.hint).toBe("e.g. 'the_movies'");
  });

  it('reports a self-dependency through inputs', () => {
    expect(codes(validate(VALID.replace('${extract.df}', '${transform.df}')))).toEqual(['OML035']);
  });
});

describe('dependency cycles', () => {
  const three = `oml_version: "0.1.0"
name: demo
steps:
  - id: a
    component: duckdb.processor
    mode: transform
    needs: [c]
    config: { query: x }
  - id: b
    component: duckdb.processor
    mode: transform
    needs: [a]
    config: { query: x }
  - id: c
    component: duckdb.processor
    mode: transform
    inputs: { df: "\${b.df}" }
    config: { query: x }
`;

  it('names the cycle path, starting at its smallest id, located at the edge', () => {
    const [d, ...rest] = withCode(validate(three), 'OML036');
    expect(rest).toEqual([]);
    expect(d?.message).toBe('dependency cycle: a → c → b → a');
    expect([d?.location.line, d?.location.col, d?.location.path]).toEqual([7, 13, 'steps[0].needs[0]']);
  });

  it('explains a cycle that goes through linear inference', () => {
    const text = three.replace('    needs: [a]\n', '');
    expect(withCode(validate(text), 'OML036')[0]?.message).toBe('dependency cycle: a → c → b → a');
    // b needs a; a (second, without needs/inputs) depends on b by inference.
    const inferred = `oml_version: "0.1.0"
name: demo
steps:
  - { id: b, component: duckdb.processor, mode: transform, needs: [a], config: { query: x } }
  - { id: a, component: duckdb.processor, mode: transform, config: { query: x } }
`;
    const [d] = withCode(validate(inferred), 'OML036');
    expect(d?.message).toBe('dependency cycle: a → b → a');
    expect(d?.hint).toContain("'a' has neither needs nor inputs");
    expect(d?.location.path).toBe('steps[1].id');
  });

  it('reports two independent cycles', () => {
    const text = `oml_version: "0.1.0"
name: demo
steps:
  - { id: a, component: duckdb.processor, mode: transform, needs: [b], config: { query: x } }
  - { id: b, component: duckdb.processor, mode: transform, needs: [a], config: { query: x } }
  - { id: c, component: duckdb.processor, mode: transform, needs: [d], config: { query: x } }
  - { id: d, component: duckdb.processor, mode: transform, needs: [c], config: { query: x } }
`;
    expect(withCode(validate(text), 'OML036').map((d) => d.message)).toEqual([
      'dependency cycle: a → b → a',
      'dependency cycle: c → d → c',
    ]);
  });

  it('accepts forward references without a cycle', () => {
    const text = `oml_version: "0.1.0"
name: demo
steps:
  - { id: t, component: duckdb.processor, mode: transform, needs: [e], config: { query: x } }
  - { id: e, component: mysql.extractor, mode: read, needs: [], config: { connection: "@mysql", query: SELECT 1 } }
`;
    expect(validate(text)).toEqual([]);
  });
});

describe('connections', () => {
  const step = (connection: string) =>
    oneStep(
      `component: mysql.extractor\nmode: read\nconfig:\n  connection: ${connection}\n  query: SELECT 1`,
    );

  it('accepts @family.alias and @family', () => {
    expect(validate(step('"@mysql.main"'))).toEqual([]);
    expect(validate(step('"@mysql"'))).toEqual([]);
    expect(validate(step('"@mysql.main_eu-2"'))).toEqual([]);
  });

  it('rejects malformed references with a fix', () => {
    const hint = (c: string) => withCode(validate(step(c)), 'OML025')[0]?.hint;
    expect(hint('mysql.main')).toBe("write '@mysql.main'");
    expect(hint('"@mysql."')).toContain("write '@mysql.<alias>'");
    expect(hint('"@my sql"')).toContain("write '@mysql.<alias>'");
    expect(codes(validate(step('{ host: x }')))).toContain('OML025');
  });

  it('requires the component family', () => {
    const [d] = withCode(validate(step('"@postgres.main"')), 'OML040');
    expect(d?.message).toContain("component 'mysql.extractor' needs a 'mysql' connection");
    expect(d?.hint).toBe("use '@mysql.<alias>' (or '@mysql' for the default alias)");
  });

  it('requires connection-provided fields only when the step brings its own credentials', () => {
    const list = validate(
      oneStep('component: mysql.extractor\nmode: read\nconfig:\n  query: SELECT 1\n  user: bob'),
    );
    expect(withCode(list, 'OML031').map((d) => d.message)).toEqual([
      "missing required config key 'database' for component 'mysql.extractor'",
      "missing required config key 'host' for component 'mysql.extractor'",
      "missing required config key 'password' for component 'mysql.extractor'",
    ]);
    expect(withCode(list, 'OML031')[0]?.hint).toContain('connection: "@mysql.<alias>"');
    expect(withCode(list, 'OML050')).toEqual([]);
  });

  it("runs a step without connection or credentials on the family's default connection (OML050)", () => {
    const list = validate(oneStep('component: mysql.extractor\nmode: read\nconfig:\n  query: SELECT 1'));
    expect(withCode(list, 'OML031')).toEqual([]);
    expect(withCode(list, 'OML050').map((d) => [d.severity, d.message])).toEqual([
      [
        'warning',
        "step has no 'connection': it uses the default @mysql connection (the alias with default: true, or the one named 'default')",
      ],
    ]);
  });
});

describe('config against the configSchema', () => {
  // A lone writer has nothing upstream (OML045): these cases are about its config only.
  const cfg = (component: string, mode: string, config: string) =>
    validate(
      oneStep(
        `component: ${component}\nmode: ${mode}\nconfig:\n${config
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}`,
      ),
    ).filter((d) => d.code !== 'OML045');

  it('checks types, ranges and enums, never echoing the value', () => {
    const list = cfg(
      'mysql.extractor',
      'read',
      'connection: "@mysql"\nquery: SELECT 1\nport: 99999\nlimit: "10"',
    );
    expect(list.map((d) => [d.code, d.location.path, d.message])).toEqual([
      ['OML032', 'steps[0].config.port', "invalid value for 'config.port': must be <= 65535"],
      ['OML032', 'steps[0].config.limit', "invalid value for 'config.limit': must be integer"],
    ]);
    expect(list[1]?.hint).toBe('write the number without quotes');
    const [e] = cfg('postgres.writer', 'write', 'connection: "@postgres"\ntable: t\nwrite_mode: apend');
    expect(e?.message).toBe(
      `invalid value for 'config.write_mode': must be one of "append", "replace", "upsert"`,
    );
    expect(e?.hint).toBe("did you mean 'append'?");
  });

  it('checks patterns, lengths and formats', () => {
    expect(codes(cfg('postgres.writer', 'write', 'connection: "@postgres"\ntable: "my table"'))).toEqual([
      'OML032',
    ]);
    expect(codes(cfg('filesystem.csv_writer', 'write', 'path: x\ndelimiter: ";;"'))).toEqual(['OML032']);
    expect(codes(cfg('filesystem.csv_extractor', 'read', 'path: x\nendpoint: "not a uri"'))).toEqual([
      'OML032',
    ]);
    expect(cfg('filesystem.csv_extractor', 'read', 'path: x\nendpoint: "https://example.com/x"')).toEqual([]);
  });

  it('summarises union types', () => {
    const [d] = cfg('filesystem.csv_extractor', 'read', 'path: x\nheader: "yes"');
    expect(d?.message).toBe("invalid value for 'config.header': must be boolean or integer");
  });

  it('explains either/or keys', () => {
    const [none] = cfg('mysql.extractor', 'read', 'connection: "@mysql"');
    expect([none?.code, none?.message]).toEqual([
      'OML031',
      "component 'mysql.extractor' needs 'query' or 'table'",
    ]);
    const [both] = cfg('mysql.extractor', 'read', 'connection: "@mysql"\nquery: x\ntable: t');
    expect([both?.code, both?.message]).toEqual([
      'OML032',
      "component 'mysql.extractor' takes exactly one of 'query' or 'table', not several",
    ]);
    const [dep] = cfg('mysql.extractor', 'read', 'connection: "@mysql"\nquery: x\ncolumns: [a]');
    expect(dep?.message).toContain("missing required config key 'table'");
    expect(dep?.message).toContain("because 'columns' is set");
  });

  it('checks nested mappings', () => {
    const list = cfg(
      'postgres.writer',
      'write',
      'connection: "@postgres"\ntable: t\noptions: { create_tabel: true }',
    );
    expect(list.map((d) => [d.code, d.message, d.hint])).toEqual([
      ['OML031', "missing required key 'create_table' in 'config.options'", "add 'create_table'"],
      ['OML028', "unknown key 'create_tabel' in 'config.options'", "did you mean 'create_table'?"],
    ]);
  });

  it('suggests from llmHints.inputAliases, then edit distance, then lists the keys', () => {
    const hint = (key: string) =>
      withCode(cfg('postgres.writer', 'write', `connection: "@postgres"\ntable: t\n${key}: x`), 'OML028')[0]
        ?.hint;
    expect(hint('disposition')).toBe("did you mean 'write_mode'?");
    expect(hint('tabel')).toBe("did you mean 'table'?");
    expect(hint('zzzzzz')).toContain('known keys: batch_size, host,');
    expect(withCode(cfg('duckdb.processor', 'transform', 'query: x\nneeds: [a]'), 'OML028')[0]?.hint).toBe(
      "'needs' belongs to the step, not its config: move it up a level",
    );
  });

  it('needs a primary key for upsert only, once', () => {
    const upsert = cfg('postgres.writer', 'write', 'connection: "@postgres"\ntable: t\nwrite_mode: upsert');
    expect(codes(upsert)).toEqual(['OML026']);
    expect(
      codes(
        cfg(
          'postgres.writer',
          'write',
          'connection: "@postgres"\ntable: t\nwrite_mode: upsert\nprimary_key: []',
        ),
      ),
    ).toEqual(['OML026', 'OML032']);
    expect(
      cfg(
        'postgres.writer',
        'write',
        'connection: "@postgres"\ntable: t\nwrite_mode: upsert\nprimary_key: [a, b]',
      ),
    ).toEqual([]);
    expect(cfg('postgres.writer', 'write', 'connection: "@postgres"\ntable: t\nwrite_mode: replace')).toEqual(
      [],
    );
    expect(cfg('custom.writer', 'write', 'mode: upsert\nupsert_keys: [id]')).toEqual([]);
    expect(codes(cfg('custom.writer', 'write', 'mode: upsert'))).toEqual(['OML026']);
  });

  it('leaves values with unresolved ${params.x} placeholders for after resolution', () => {
    const text = oneStep(
      'component: mysql.extractor\nmode: read\nconfig:\n  connection: "@mysql"\n  query: SELECT 1\n  port: ${params.port}',
    );
    expect(validateOml(doc(text), { registry })).toEqual([]);
    const withParams = text.replace('steps:', 'params: { port: "x" }\nsteps:');
    const resolved = resolveParams(doc(withParams), {});
    const list = validateOml(resolved.document, { registry });
    expect(list.map((d) => [d.code, d.location.line, d.location.col])).toEqual([['OML032', 11, 13]]);
  });

  it('validates the resolved document: typed params satisfy integer fields', async () => {
    const text = oneStep(
      'component: mysql.extractor\nmode: read\nconfig:\n  connection: "@mysql"\n  query: SELECT 1\n  port: ${params.port}',
    ).replace('steps:', 'params: { port: 3307 }\nsteps:');
    const result = await checkOml(doc(text), { registry, params: { cli: { port: '3308' } } });
    expect(result.diagnostics).toEqual([]);
    expect(result.document?.steps[0]?.config?.port).toBe(3308);
  });

  it('does not check config of an unknown component', () => {
    expect(codes(cfg('nope.extractor', 'read', 'whatever: 1'))).toEqual(['OML013']);
  });
});
