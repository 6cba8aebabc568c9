// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
/**
 * One case per diagnostic code: a document that triggers it (with the expected severity and line:col) and a
 * corrected document that does not. A meta test checks the table covers every code in ALL_CODES.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { checkOml } from '../../../src/oml/check.js';
import { ALL_CODES } from '../../../src/oml/codes.js';
import type { ParamSources } from '../../../src/oml/params.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';
import { doc, registry } from './fixtures.js';

async function run(text: string, params: ParamSources = {}): Promise<Diagnostic[]> {
  return (await checkOml(doc(text), { registry, params })).diagnostics;
}

const head = 'oml_version: "0.1.0"\nname: demo\n';

/** A pipeline whose steps are `steps` (YAML list text, indented by two). */
const withSteps = (steps: string, top = head) => `${top}steps:\n${steps}`;

const extract = [
  '  - id: extract',
  '    component: mysql.extractor',
  '    mode: read',
  '    config:',
  '      connection: "@mysql.main"',
  '      query: SELECT 1',
  '',
].join('\n');

const writer = (path: string) =>
  `  - id: w\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: ${path}\n`;

interface Case {
  bad: string;
  good: string;
  /** [line, col] of the diagnostic in `bad`. */
  at?: [number, number];
  badParams?: ParamSources;
  goodParams?: ParamSources;
}

const cases: Record<string, Case> = {
  OML002: { bad: '- a\n- b\n', good: withSteps(extract), at: [1, 1] },
  OML003: { bad: head, good: withSteps(extract), at: [1, 1] },
  OML004: { bad: `version: 1\n${withSteps(extract)}`, good: withSteps(extract), at: [1, 1] },
  OML005: {
    bad: withSteps(extract, 'oml_version: 0.1\nname: demo\n'),
    good: withSteps(extract),
    at: [1, 14],
  },
  OML006: {
    bad: withSteps(extract, 'oml_version: "0.2.0"\nname: demo\n'),
    good: withSteps(extract),
    at: [1, 14],
  },
  OML007: {
    bad: withSteps(extract, 'oml_version: "0.1.0"\nname: 12\n'),
    good: withSteps(extract),
    at: [2, 7],
  },
  OML008: {
    bad: withSteps(extract, 'oml_version: "0.1.0"\nname: "  "\n'),
    good: withSteps(extract),
    at: [2, 7],
  },
  OML009: {
    bad: withSteps(extract, 'oml_version: "0.1.0"\nname: My Pipeline\n'),
    good: withSteps(extract),
    at: [2, 7],
  },
  OML010: { bad: `${head}steps: { a: 1 }\n`, good: withSteps(extract), at: [3, 8] },
  OML011: { bad: `${head}steps: []\n`, good: withSteps(extract), at: [3, 8] },
  OML012: { bad: `${head}steps:\n  - just-a-string\n`, good: withSteps(extract), at: [4, 5] },
  OML013: {
    bad: withSteps(
      '  - id: t\n    component: duckdb.proc\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    good: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    at: [5, 16],
  },
  OML014: {
    bad: withSteps('  - id: t\n    component: duckdb.processor\n    config: { query: SELECT 1 }\n'),
    good: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    at: [4, 5],
  },
  OML015: {
    bad: withSteps(
      '  - id: 7\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    good: withSteps(
      '  - id: "7"\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    at: [4, 9],
  },
  OML016: {
    bad: withSteps(`${extract}${extract.replace('component', 'needs: []\n    component')}`),
    good: withSteps(`${extract}${extract.replace('id: extract', 'id: extract2')}`),
    at: [10, 9],
  },
  OML017: {
    bad: withSteps('  - id: t\n    component: 3\n    mode: transform\n'),
    good: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    at: [5, 16],
  },
  OML018: {
    bad: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: [transform]\n    config: { query: SELECT 1 }\n',
    ),
    good: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    at: [6, 11],
  },
  OML019: {
    bad: withSteps(extract.replace('mode: read', 'mode: extract')),
    good: withSteps(extract),
    at: [6, 11],
  },
  OML020: {
    bad: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: read\n    config: { query: SELECT 1 }\n',
    ),
    good: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    at: [6, 11],
  },
  OML021: {
    bad: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: extract\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: [extract]\n    config: { query: SELECT 1 }\n`,
    ),
    at: [13, 12],
  },
  OML022: {
    bad: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: [1]\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: [extract]\n    config: { query: SELECT 1 }\n`,
    ),
    at: [13, 13],
  },
  OML023: {
    bad: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: [extarct]\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: [extract]\n    config: { query: SELECT 1 }\n`,
    ),
    at: [13, 13],
  },
  OML024: {
    bad: withSteps('  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: SELECT 1\n'),
    good: withSteps(
      '  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n',
    ),
    at: [7, 13],
  },
  OML025: {
    bad: withSteps(extract.replace('"@mysql.main"', '"@mysql.main.eu"')),
    good: withSteps(extract.replace('"@mysql.main"', '"@mysql"')),
    at: [8, 19],
  },
  OML026: {
    bad: withSteps(
      `${extract}  - id: load\n    component: postgres.writer\n    mode: write\n    config:\n      connection: "@postgres.dw"\n      table: t\n      write_mode: upsert\n`,
    ),
    good: withSteps(
      `${extract}  - id: load\n    component: postgres.writer\n    mode: write\n    config:\n      connection: "@postgres.dw"\n      table: t\n      write_mode: replace\n`,
    ),
    at: [16, 19],
  },
  OML027: {
    bad: withSteps(
      extract +
        '  - id: w\n    component: custom.writer\n    mode: write\n    config: { write_mode: merge }\n',
    ),
    good: withSteps(
      extract +
        '  - id: w\n    component: custom.writer\n    mode: write\n    config: { write_mode: append }\n',
    ),
    at: [13, 27],
  },
  OML028: {
    bad: withSteps(extract.replace('query: SELECT 1', 'query: SELECT 1\n      lmit: 5')),
    good: withSteps(extract.replace('query: SELECT 1', 'query: SELECT 1\n      limit: 5')),
    at: [10, 7],
  },
  OML029: {
    bad: withSteps(extract.replace('query: SELECT 1', 'query: SELECT 1\n      user: bob')),
    good: withSteps(extract.replace('query: SELECT 1', 'query: SELECT 1\n      host: db.internal')),
    at: [10, 7],
  },
  OML030: {
    bad: withSteps(extract.replace('query: SELECT 1', 'query: SELECT 1\n      schema: sales')),
    good: withSteps(extract.replace('query: SELECT 1', 'query: SELECT 1\n      host: db.internal')),
    at: [10, 7],
  },
  OML031: {
    bad: withSteps(
      extract +
        '  - id: w\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      header: true\n',
    ),
    good: withSteps(
      extract +
        '  - id: w\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: out.csv\n',
    ),
    at: [13, 5],
  },
  OML032: {
    bad: withSteps(
      extract +
        '  - id: w\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: out.csv\n      newline: cr\n',
    ),
    good: withSteps(
      extract +
        '  - id: w\n    component: filesystem.csv_writer\n    mode: write\n    config:\n      path: out.csv\n      newline: crlf\n',
    ),
    at: [15, 16],
  },
  OML049: {
    bad: withSteps(extract.replace('query: SELECT 1', 'query: SELECT 1\n      pool_size: 5')),
    good: withSteps(extract),
    at: [10, 7],
  },
  OML050: {
    bad: withSteps(extract.replace('      connection: "@mysql.main"\n', '')),
    good: withSteps(extract),
    at: [7, 5],
  },
  OML033: { bad: `${withSteps(extract)}stpes: []\n`, good: withSteps(extract), at: [10, 1] },
  OML034: {
    bad: withSteps(extract.replace('id: extract', 'id: "extract movies"')),
    good: withSteps(extract.replace('id: extract', 'id: extract-movies')),
    at: [4, 9],
  },
  OML035: {
    bad: withSteps(extract.replace('component', 'needs: [extract]\n    component')),
    good: withSteps(extract.replace('component', 'needs: []\n    component')),
    at: [5, 13],
  },
  OML036: {
    bad: withSteps(
      `${extract.replace('component', 'needs: [t]\n    component')}  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract.replace('component', 'needs: []\n    component')}  - id: t\n    component: duckdb.processor\n    mode: transform\n    config: { query: SELECT 1 }\n`,
    ),
    at: [5, 13],
  },
  OML037: {
    bad: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    inputs: extract\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    inputs: { df: "\${extract.df}" }\n    config: { query: SELECT 1 }\n`,
    ),
    at: [13, 13],
  },
  OML038: {
    bad: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    inputs: { df: extract }\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    inputs: { df: "\${extract.df}" }\n    config: { query: SELECT 1 }\n`,
    ),
    at: [13, 19],
  },
  OML039: {
    bad: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    inputs: { df: "\${extrct.df}" }\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract}  - id: t\n    component: duckdb.processor\n    mode: transform\n    inputs: { df: "\${extract.df}" }\n    config: { query: SELECT 1 }\n`,
    ),
    at: [13, 19],
  },
  OML040: {
    bad: withSteps(extract.replace('"@mysql.main"', '"@postgres.main"')),
    good: withSteps(extract),
    at: [8, 19],
  },
  OML041: {
    bad: withSteps(extract.replace('component', 'depends_on: []\n    component')),
    good: withSteps(extract.replace('component', 'needs: []\n    component')),
    at: [5, 5],
  },
  'retry.invalid': {
    bad: withSteps(extract.replace('component', 'retry: { attempts: 0 }\n    component')),
    good: withSteps(extract.replace('component', 'retry: { attempts: 5, backoff: 2s }\n    component')),
    at: [5, 24],
  },
  OML042: {
    bad: withSteps(
      '  - id: g\n    component: graphql.extractor\n    mode: read\n    config:\n      endpoint: https://x.test/graphql\n      auth_token: abc123def\n',
    ),
    good: withSteps(
      '  - id: g\n    component: graphql.extractor\n    mode: read\n    config:\n      endpoint: https://x.test/graphql\n      auth_token: ${GRAPHQL_TOKEN}\n',
    ),
    at: [9, 19],
  },
  OML043: {
    bad: withSteps(extract, `${head}description: [a, b]\n`),
    good: withSteps(extract, `${head}description: a pipeline\n`),
    at: [3, 14],
  },
  PAR001: {
    bad: withSteps(extract, `${head}params: [1]\n`),
    good: withSteps(extract, `${head}params: {}\n`),
    at: [3, 9],
  },
  PAR002: {
    bad: withSteps(extract, `${head}params:\n  limit: [1, 2]\n`),
    good: withSteps(extract, `${head}params:\n  limit: 1\n`),
    at: [4, 10],
  },
  PAR003: {
    bad: withSteps(extract, `${head}profiles: [prod]\n`),
    good: withSteps(extract, `${head}profiles: { prod: { params: {} } }\n`),
    at: [3, 11],
  },
  PAR004: {
    bad: withSteps(extract, `${head}profiles: { prod: { params: {} } }\n`),
    badParams: { profile: 'prdo' },
    good: withSteps(extract, `${head}profiles: { prod: { params: {} } }\n`),
    goodParams: { profile: 'prod' },
    at: [3, 1],
  },
  PAR005: {
    bad: withSteps(extract, `${head}params: { limit: 1 }\nprofiles: { prod: { params: { limt: 2 } } }\n`),
    good: withSteps(extract, `${head}params: { limit: 1 }\nprofiles: { prod: { params: { limit: 2 } } }\n`),
    at: [4, 31],
  },
  PAR006: {
    bad: withSteps(extract, `${head}params: { limit: 1 }\n`),
    badParams: { cli: { limt: '2' } },
    good: withSteps(extract, `${head}params: { limit: 1 }\n`),
    goodParams: { cli: { limit: '2' } },
    at: [3, 1],
  },
  PAR007: {
    bad: withSteps(extract, `${head}params: { limit: 1 }\n`),
    badParams: { cli: { limit: 'ten' } },
    good: withSteps(extract, `${head}params: { limit: 1 }\n`),
    goodParams: { cli: { limit: '10' } },
    at: [3, 18],
  },
  PAR008: {
    bad: withSteps(extract.replace('SELECT 1', '"SELECT 1 LIMIT ${params.limit}"')),
    good: withSteps(
      extract.replace('SELECT 1', '"SELECT 1 LIMIT ${params.limit}"'),
      `${head}params: { limit: 5 }\n`,
    ),
    at: [9, 14],
  },
  PAR009: {
    bad: withSteps(
      extract.replace('SELECT 1', '"SELECT 1 LIMIT ${params.the limit}"'),
      `${head}params: { limit: 5 }\n`,
    ),
    good: withSteps(
      extract.replace('SELECT 1', '"SELECT 1 LIMIT ${params.limit}"'),
      `${head}params: { limit: 5 }\n`,
    ),
    at: [10, 14],
  },
  OML045: {
    bad: withSteps(writer('out.csv')),
    good: withSteps(extract + writer('out.csv')),
    at: [4, 9],
  },
  OML046: {
    bad: withSteps(
      `${extract}${writer('out.csv')}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: [w]\n    config: { query: SELECT 1 }\n`,
    ),
    good: withSteps(
      `${extract}${writer('out.csv')}  - id: t\n    component: duckdb.processor\n    mode: transform\n    needs: [extract]\n    config: { query: SELECT 1 }\n`,
    ),
    at: [18, 13],
  },
  OML047: {
    bad: withSteps(extract + writer('"out\\0.csv"')),
    good: withSteps(extract + writer('out.csv')),
    at: [14, 13],
  },
  PAR012: {
    bad: withSteps(extract, `${head}params:\n  base: out\n  target: "\${params.base}/x"\n`),
    good: withSteps(extract, `${head}params:\n  base: out\n  target: out/x\n`),
    at: [5, 11],
  },
  PAR011: {
    bad: withSteps(extract, `${head}params:\n  limit: { default: 1, typ: int }\n`),
    good: withSteps(extract, `${head}params:\n  limit: { default: 1, description: rows }\n`),
    at: [4, 24],
  },
};

/**
 * Codes tested elsewhere: thrown ones (load/params tests), OML044 (needs the real SQL guard, below) and
 * OML048 (needs a connections file, below).
 */
const THROWN = new Set(['OML001', 'PAR010', 'OML044', 'OML048']);

describe('every diagnostic code', () => {
  it('has a case here (or is a thrown error tested in load/params tests)', () => {
    const missing = ALL_CODES.map((c) => c.code).filter((code) => !(code in cases) && !THROWN.has(code));
    expect(missing).toEqual([]);
  });

  for (const [code, c] of Object.entries(cases)) {
    const info = ALL_CODES.find((i) => i.code === code);
    it(`${code} (${info?.severity}) fires on the bad document at its location`, async () => {
      const hits = (await run(c.bad, c.badParams)).filter((d) => d.code === code);
      expect(hits.length, JSON.stringify(await run(c.bad, c.badParams), null, 1)).toBeGreaterThan(0);
      const first = hits[0] as Diagnostic;
      expect(first.severity).toBe(info?.severity);
      expect(first.location.file).toBe('pipeline.yaml');
      if (c.at) expect([first.location.line, first.location.col]).toEqual(c.at);
      expect(first.message.length).toBeGreaterThan(0);
    });
    it(`${code} does not fire on the corrected document`, async () => {
      const all = await run(c.good, c.goodParams);
      expect(all.filter((d) => d.code === code)).toEqual([]);
      expect(all.filter((d) => d.severity === 'error')).toEqual([]);
    });
  }
});

describe('OML044 extractor SQL must pass the SQL guard (real registry)', () => {
  const pipeline = (component: string, query: string) => `oml_version: "0.1.0"
name: bad-sql
steps:
  - id: extract
    component: ${component}
    mode: read
    config:
      connection: "@${component.split('.')[0]}.main"
      query: |
${query
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`;
  const check = async (text: string) =>
    (await checkOml(parseLocatedYaml(text, 'p.yaml'), { registry: loadRegistry() })).diagnostics.filter(
      (x) => x.code === 'OML044',
    );

  it('rejects a second statement with its position in the SQL', async () => {
    const [d] = await check(pipeline('mysql.extractor', 'SELECT 1;\nDELETE FROM users'));
    expect(d?.severity).toBe('error');
    expect(d?.location).toMatchObject({ file: 'p.yaml', line: 11, col: 9 });
    expect(d?.message).toMatch(/second statement.*\(line 2, column 1\)/);
    expect(await check(pipeline('mysql.extractor', 'SELECT * FROM users'))).toEqual([]);
  });

  it('rejects a side-effecting function call, naming it and where it is', async () => {
    const [d] = await check(
      pipeline('postgres.extractor', "SELECT id,\n  lo_put(16400, 0, 'PWNED'::bytea)\nFROM t"),
    );
    expect(d?.message).toContain('config.query refused by the SQL guard: lo_put() is refused');
    expect(d?.message).toContain('(line 2, column 3)');
    // Line 2 of the SQL is line 11 of the file; the block is indented by 8.
    expect(d?.location).toMatchObject({ file: 'p.yaml', line: 11, col: 11 });
    expect(d?.stepId).toBe('extract');
    expect(await check(pipeline('postgres.extractor', 'SELECT id, lower(name) FROM t'))).toEqual([]);
  });
});

describe('OML048 connection references must name an alias of the connections file', () => {
  it('reports an unknown alias at the reference, with the aliases there are', async () => {
    const { parseConnectionsText } = await import('../../../src/connections/config.js');
    const { config } = parseConnectionsText(
      'connections:\n  mysql:\n    main: { host: h, database: d, user: u }\n    other: { host: h, database: d, user: u }\n',
      'osiris_connections.yaml',
    );
    const text = withSteps(extract.replace('@mysql.main', '@mysql.mian') + writer('out.csv'));
    const [d, ...rest] = (await checkOml(doc(text), { registry, connections: config })).diagnostics;
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ severity: 'error', code: 'OML048', stepId: 'extract' });
    expect([d?.location.line, d?.location.col]).toEqual([8, 19]);
    expect(d?.message).toBe(
      "connection @mysql.mian: unknown alias 'mian' in connection family 'mysql' (aliases: main, other)",
    );
    expect(d?.hint).toBe("did you mean '@mysql.main'?");
    const good = await checkOml(doc(withSteps(extract + writer('out.csv'))), {
      registry,
      connections: config,
    });
    expect(good.diagnostics).toEqual([]);
  });
});
