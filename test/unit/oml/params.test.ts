// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { coerceParam, type ParamSources, parseParamArgs, resolveParams } from '../../../src/oml/params.js';
import { doc } from './fixtures.js';

const codes = (r: { diagnostics: { code: string }[] }) => r.diagnostics.map((d) => d.code);

describe('parseParamArgs', () => {
  it('splits name=value at the first =', () => {
    expect(parseParamArgs(['limit=10', 'filter=a=b', 'empty='])).toEqual({
      limit: '10',
      filter: 'a=b',
      empty: '',
    });
  });

  it('lets a later value win', () => {
    expect(parseParamArgs(['a=1', 'a=2'])).toEqual({ a: '2' });
  });

  it.each(['limit', '=10', '1x=2', 'bad name=1'])('rejects %j with PAR010 (exit 2)', (arg) => {
    try {
      parseParamArgs([arg]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OsirisError);
      expect((error as OsirisError).exitCode).toBe(2);
      expect((error as OsirisError).diagnostics[0]?.code).toBe('PAR010');
    }
  });
});

describe('precedence: defaults < OSIRIS_PARAM_* < profile < --param', () => {
  const text = (withDefault: boolean, withProfile: boolean) =>
    `oml_version: "0.1.0"
name: demo
params:
  level: ${withDefault ? '"default"' : 'null'}
${withProfile ? 'profiles:\n  prod:\n    params:\n      level: profile\n' : ''}steps:
  - id: s
    component: duckdb.processor
    mode: transform
    config:
      query: "\${params.level}"
`;
  const layers = ['default', 'env', 'profile', 'cli'] as const;
  for (let mask = 0; mask < 16; mask++) {
    const present = layers.filter((_, i) => mask & (1 << i));
    const name = present.length ? present.join(' + ') : 'nothing';
    it(`${name} → ${present.at(-1) ?? 'unresolved'}`, () => {
      const sources: ParamSources = {};
      if (present.includes('env')) sources.env = { OSIRIS_PARAM_LEVEL: 'env' };
      if (present.includes('profile')) sources.profile = 'prod';
      if (present.includes('cli')) sources.cli = { level: 'cli' };
      const r = resolveParams(doc(text(present.includes('default'), present.includes('profile'))), sources);
      const query = ((r.oml.steps as { config: { query: unknown } }[])[0] as { config: { query: unknown } })
        .config.query;
      const winner = present.at(-1);
      if (winner === undefined) {
        expect(codes(r)).toEqual(['PAR008']);
        expect(query).toBe('${params.level}');
      } else {
        expect(codes(r)).toEqual([]);
        expect(query).toBe(winner);
        expect(r.params).toEqual({ level: winner });
      }
    });
  }
});

describe('resolution', () => {
  const pipeline = (params: string, config: string) =>
    doc(`oml_version: "0.1.0"
name: demo
params:
${params}
steps:
  - id: s
    component: duckdb.processor
    mode: transform
    config:
${config}
`);
  const cfg = (r: ReturnType<typeof resolveParams>) =>
    ((r.oml.steps as { config: Record<string, unknown> }[])[0] as { config: Record<string, unknown> }).config;

  it('keeps the type of a whole-value placeholder and stringifies embedded ones', () => {
    const r = resolveParams(
      pipeline(
        '  limit: 100\n  ratio: 0.5\n  flag: true\n  since: { default: "2024-01-01" }',
        '      limit: ${params.limit}\n      ratio: "${params.ratio}"\n      flag: ${params.flag}\n      query: "SELECT * LIMIT ${params.limit} -- ${params.flag} ${params.since}"\n      list: ["${params.limit}", x]',
      ),
      {},
    );
    expect(codes(r)).toEqual([]);
    expect(cfg(r)).toEqual({
      limit: 100,
      ratio: 0.5,
      flag: true,
      query: 'SELECT * LIMIT 100 -- true 2024-01-01',
      list: [100, 'x'],
    });
    expect(r.params).toEqual({ flag: true, limit: 100, ratio: 0.5, since: '2024-01-01' });
  });

  it('coerces env and CLI text to the type of the default', () => {
    const r = resolveParams(
      pipeline(
        '  limit: 100\n  ratio: 0.5\n  flag: false\n  name: x',
        '      a: ${params.limit}\n      b: ${params.ratio}\n      c: ${params.flag}\n      d: ${params.name}',
      ),
      {
        env: { OSIRIS_PARAM_LIMIT: ' 250 ', OSIRIS_PARAM_FLAG: 'TRUE' },
        cli: { ratio: '1e-3', name: '42' },
      },
    );
    expect(codes(r)).toEqual([]);
    expect(cfg(r)).toEqual({ a: 250, b: 0.001, c: true, d: '42' });
  });

  it.each([
    ['limit', '100', '12.5', 'an integer'],
    ['limit', '100', 'ten', 'an integer'],
    ['ratio', '0.5', 'half', 'a number'],
    ['flag', 'true', 'yes', 'true or false'],
  ])('reports PAR007 when %s (default %s) gets %j', (name, def, value, expected) => {
    const r = resolveParams(pipeline(`  ${name}: ${def}`, `      v: \${params.${name}}`), {
      cli: { [name]: value },
    });
    expect(codes(r)).toEqual(['PAR007']);
    expect(r.diagnostics[0]?.message).toContain(`must be ${expected}`);
    expect(r.diagnostics[0]?.location).toMatchObject({ line: 4, col: 5 + name.length });
    // The default stays in effect.
    expect(cfg(r).v).toBe(JSON.parse(def));
  });

  it('names the env variable in coercion errors', () => {
    const r = resolveParams(pipeline('  limit: 1', '      v: ${params.limit}'), {
      env: { OSIRIS_PARAM_LIMIT: 'x' },
    });
    expect(r.diagnostics[0]?.message).toContain('environment variable OSIRIS_PARAM_LIMIT');
  });

  it('matches env names to declared params case-insensitively, with _ for -', () => {
    const r = resolveParams(
      pipeline(
        '  start-date: "2024-01-01"\n  maxRows: 5',
        '      a: ${params.start-date}\n      b: ${params.maxRows}',
      ),
      {
        env: { OSIRIS_PARAM_START_DATE: '2025-02-02', OSIRIS_PARAM_MAXROWS: '9' },
      },
    );
    expect(cfg(r)).toEqual({ a: '2025-02-02', b: 9 });
  });

  it('uses undeclared env params only when referenced', () => {
    const r = resolveParams(pipeline('  a: 1', '      v: ${params.region}'), {
      env: { OSIRIS_PARAM_REGION: 'eu', OSIRIS_PARAM_UNUSED: 'x', OSIRIS_PARAM_: 'ignored' },
    });
    expect(codes(r)).toEqual([]);
    expect(cfg(r).v).toBe('eu');
    expect(r.params).toEqual({ a: 1, region: 'eu' });
  });

  it('reports unresolved placeholders at the value, once per name, with a hint', () => {
    const r = resolveParams(
      pipeline('  limit: 1', '      q: "${params.limt} ${params.limt} ${params.zzz}"'),
      {},
    );
    expect(
      r.diagnostics.map((d) => [d.code, d.message, d.location.line, d.location.col, d.location.path]),
    ).toEqual([
      ['PAR008', "unresolved parameter 'limt'", 10, 10, 'steps[0].config.q'],
      ['PAR008', "unresolved parameter 'zzz'", 10, 10, 'steps[0].config.q'],
    ]);
    expect(r.diagnostics[0]?.hint).toBe("did you mean 'limit'?");
    expect(r.diagnostics[1]?.hint).toContain('OSIRIS_PARAM_ZZZ');
  });

  it('treats a null default (or a mapping without default) as a required param', () => {
    const r = resolveParams(
      pipeline('  a: null\n  b: { description: needed }', '      x: ${params.a}\n      y: ${params.b}'),
      {},
    );
    expect(codes(r)).toEqual(['PAR008', 'PAR008']);
    const ok = resolveParams(
      pipeline('  a: null\n  b: { description: needed }', '      x: ${params.a}\n      y: ${params.b}'),
      {
        cli: { a: '1', b: '2' },
      },
    );
    expect(codes(ok)).toEqual([]);
    expect(cfg(ok)).toEqual({ x: '1', y: '2' });
  });

  it('reports malformed and unterminated placeholders', () => {
    expect(codes(resolveParams(pipeline('  a: 1', '      x: "${params.}"'), {}))).toEqual(['PAR009']);
    expect(codes(resolveParams(pipeline('  a: 1', '      x: "${params.a b}"'), {}))).toEqual(['PAR009']);
    expect(codes(resolveParams(pipeline('  a: 1', '      x: "${params.a"'), {}))).toEqual(['PAR009']);
  });

  it('leaves other ${…} references and the params/profiles sections alone', () => {
    const r = resolveParams(
      doc(`oml_version: "0.1.0"
name: "\${params.n}"
params: { n: demo, echo: "\${params.n}" }
profiles: { prod: { params: { n: "\${params.n}" } } }
steps:
  - id: s
    component: duckdb.processor
    mode: transform
    inputs: { df: "\${up.df}" }
    config: { query: "\${HOME} \${params.n}" }
`),
      {},
    );
    expect(r.oml.name).toBe('demo');
    expect(r.oml.params).toEqual({ n: 'demo', echo: '${params.n}' });
    expect(r.oml.profiles).toEqual({ prod: { params: { n: '${params.n}' } } });
    const s = (r.oml.steps as Record<string, unknown>[])[0];
    expect(s?.inputs).toEqual({ df: '${up.df}' });
    expect(s?.config).toEqual({ query: '${HOME} demo' });
  });

  it('returns a located document with the original locations', () => {
    const r = resolveParams(pipeline('  a: 1', '      x: ${params.a}'), {});
    expect(r.document.value).toBe(r.oml);
    expect(r.document.locate(['steps', 0, 'config', 'x'], 'value')).toMatchObject({ line: 10, col: 10 });
  });

  it('returns nothing to resolve for a document that is not a mapping', () => {
    const r = resolveParams(doc('- a\n'), { cli: { x: '1' } });
    expect(r).toMatchObject({ oml: {}, params: {}, diagnostics: [] });
  });
});

describe('declarations and profiles', () => {
  const base = (top: string) =>
    doc(
      `oml_version: "0.1.0"\nname: demo\n${top}steps:\n  - { id: s, component: duckdb.processor, mode: transform, config: { query: x } }\n`,
    );

  it('rejects params that are not a mapping, bad names and non-scalar defaults', () => {
    expect(codes(resolveParams(base('params: 3\n'), {}))).toEqual(['PAR001']);
    expect(codes(resolveParams(base('params: { "1x": 1 }\n'), {}))).toEqual(['PAR002']);
    expect(codes(resolveParams(base('params: { a: { default: [1] } }\n'), {}))).toEqual(['PAR002']);
    expect(codes(resolveParams(base('params: { a: { default: 1, typo: 2 } }\n'), {}))).toEqual(['PAR011']);
    expect(codes(resolveParams(base('params:\n'), {}))).toEqual([]);
  });

  it('rejects malformed profiles', () => {
    expect(codes(resolveParams(base('profiles: 1\n'), {}))).toEqual(['PAR003']);
    expect(codes(resolveParams(base('profiles: { prod: 1 }\n'), {}))).toEqual(['PAR003']);
    expect(codes(resolveParams(base('profiles: { prod: { params: [1] } }\n'), {}))).toEqual(['PAR003']);
    expect(codes(resolveParams(base('profiles: { prod: { parms: {} } }\n'), {}))).toEqual(['PAR011']);
    expect(
      codes(resolveParams(base('params: { a: 1 }\nprofiles: { prod: { params: { a: [1] } } }\n'), {})),
    ).toEqual(['PAR002']);
  });

  it('lists the declared profiles for an unknown one', () => {
    const r = resolveParams(base('profiles: { prod: {}, staging: {} }\n'), { profile: 'prd' });
    expect(codes(r)).toEqual(['PAR004']);
    expect(r.diagnostics[0]?.hint).toBe("did you mean 'prod'?; profiles: prod, staging");
  });

  it('accepts a project profile the OML does not override, and any profile without a profiles section', () => {
    expect(
      codes(
        resolveParams(base('profiles: { prod: {} }\n'), { profile: 'dev', knownProfiles: ['dev', 'prod'] }),
      ),
    ).toEqual([]);
    expect(codes(resolveParams(base(''), { profile: 'anything' }))).toEqual([]);
  });

  it('applies only the selected profile and keeps its value types', () => {
    const text = base(
      'params: { limit: 1 }\nprofiles: { prod: { params: { limit: 1000 } }, dev: { params: { limit: 10 } } }\n',
    );
    expect(resolveParams(text, { profile: 'prod' }).params).toEqual({ limit: 1000 });
    expect(resolveParams(text, { profile: 'dev' }).params).toEqual({ limit: 10 });
    expect(resolveParams(text, {}).params).toEqual({ limit: 1 });
  });

  it('warns about undeclared profile and CLI params but applies them', () => {
    const r = resolveParams(base('params: { limit: 1 }\nprofiles: { prod: { params: { region: eu } } }\n'), {
      profile: 'prod',
      cli: { limt: '3' },
    });
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['PAR005', 'warning'],
      ['PAR006', 'warning'],
    ]);
    expect(r.diagnostics[1]?.hint).toBe("did you mean 'limit'?");
    expect(r.params).toEqual({ limit: 1, limt: '3', region: 'eu' });
  });
});

describe('coerceParam', () => {
  it('parses cleanly or not at all', () => {
    expect(coerceParam('42', 1)).toBe(42);
    expect(coerceParam('-7', 1)).toBe(-7);
    expect(coerceParam('4.2', 1)).toBeUndefined();
    expect(coerceParam('4.2', 1.5)).toBe(4.2);
    expect(coerceParam('.5', 1.5)).toBe(0.5);
    expect(coerceParam('0x10', 1)).toBeUndefined();
    expect(coerceParam('', 1)).toBeUndefined();
    expect(coerceParam('false', true)).toBe(false);
    expect(coerceParam('1', true)).toBeUndefined();
    expect(coerceParam('007', 'text')).toBe('007');
  });
});
