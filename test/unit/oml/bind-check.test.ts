import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import {
  bindCheck,
  bindCheckPipeline,
  type Catalog,
  type CatalogTable,
  translateMysql,
} from '../../../src/oml/bind-check.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';

const movies: CatalogTable[] = [
  {
    schema: 'movies_db',
    name: 'movies',
    columns: [
      { name: 'id', duckdbType: 'INTEGER' },
      { name: 'title', duckdbType: 'VARCHAR' },
      { name: 'year', duckdbType: 'INTEGER' },
      { name: 'rating', duckdbType: 'DECIMAL(3,1)' },
      { name: 'director_id', duckdbType: 'INTEGER' },
    ],
  },
  {
    schema: 'movies_db',
    name: 'directors',
    columns: [
      { name: 'id', duckdbType: 'INTEGER' },
      { name: 'name', duckdbType: 'VARCHAR' },
      { name: 'birth_year', duckdbType: 'INTEGER' },
      { name: 'nationality', duckdbType: 'VARCHAR' },
      { name: 'awards', duckdbType: 'not a duckdb type' },
    ],
  },
];

const catalog: Catalog = new Map([
  ['@mysql.movies', movies],
  ['@mysql', movies],
  ['@postgres.films', movies.map((t) => ({ ...t, schema: 'public' }))],
]);

/** A pipeline from step YAML snippets (each already indented as a list item under `steps:`). */
function pipeline(...steps: string[]): string {
  return ['oml_version: 0.1.0', 'name: movies', 'steps:', ...steps].join('\n');
}

async function check(text: string): Promise<Diagnostic[]> {
  const doc = parseLocatedYaml(text, 'pipeline.yaml');
  expect(doc.errors).toEqual([]);
  return bindCheckPipeline(doc, catalog);
}

const extractMovies = (query: string, connection = '@mysql.movies') =>
  [
    '  - id: extract-movies',
    '    component: mysql.extractor',
    '    mode: read',
    '    config:',
    `      connection: "${connection}"`,
    `      query: ${query}`,
  ].join('\n');

const writer = (needs: string) =>
  [
    '  - id: write',
    '    component: filesystem.csv_writer',
    '    mode: write',
    `    needs: [${needs}]`,
    '    config:',
    '      path: out.csv',
  ].join('\n');

describe('bindCheckPipeline', () => {
  it('accepts a valid pipeline: extractor query and table, processor joining both, writer', async () => {
    const text = pipeline(
      extractMovies('SELECT id, title, year, rating, director_id FROM movies WHERE rating > 7'),
      [
        '  - id: extract-directors',
        '    component: mysql.extractor',
        '    mode: read',
        '    config:',
        '      connection: "@mysql.movies"',
        '      table: directors',
        '      columns: [id, name, awards]',
        "      where: nationality = 'FR'",
      ].join('\n'),
      [
        '  - id: join',
        '    component: duckdb.processor',
        '    mode: transform',
        '    needs: [extract-movies, extract-directors]',
        '    config:',
        '      query: |',
        '        SELECT m.title, m.rating, d.name AS director, d.awards',
        '        FROM "extract-movies" AS m',
        '        JOIN df_extract_directors AS d ON d.id = m.director_id',
      ].join('\n'),
      [
        '  - id: top',
        '    component: duckdb.processor',
        '    mode: transform',
        '    config:',
        '      query: SELECT director, max(rating) AS best FROM input_df GROUP BY director',
      ].join('\n'),
      writer('top'),
    );
    expect(await check(text)).toEqual([]);
  });

  it('reports a wrong column in an extractor query with line:col and did-you-mean', async () => {
    const text = pipeline(extractMovies('SELECT id, title, ratng FROM movies'));
    const diags = await check(text);
    expect(diags).toHaveLength(1);
    const [d] = diags as [Diagnostic];
    expect(d).toMatchObject({
      severity: 'error',
      code: 'SQL002',
      stepId: 'extract-movies',
      // `ratng` itself, in the YAML file (the scalar starts at column 14)
      location: { file: 'pipeline.yaml', line: 9, col: 32, path: 'steps[0].config.query' },
    });
    expect(d.message).toBe("unknown column 'ratng' of table 'movies' in @mysql.movies");
    expect(d.hint).toContain("did you mean 'rating'?");
  });

  it('leaves a step unchecked when it names a table that is listed but not described', async () => {
    const text = pipeline(extractMovies('SELECT r.stars FROM ratings r JOIN movies m ON m.id = r.movie_id'));
    const doc = parseLocatedYaml(text, 'pipeline.yaml');
    const result = await bindCheck(doc, catalog, { undescribed: new Map([['@mysql.movies', ['ratings']]]) });
    expect(result.diagnostics).toEqual([]);
    expect(result.steps).toEqual([
      {
        stepId: 'extract-movies',
        checked: false,
        reason: "table 'ratings' of @mysql.movies has not been described yet; pass --discover",
      },
    ]);
    // Not listed at all: an unknown table, as before.
    expect((await bindCheck(doc, catalog)).diagnostics.map((d) => d.code)).toEqual(['SQL001']);
  });

  it('names the table behind an alias for a qualified unknown column', async () => {
    const text = pipeline(
      extractMovies('SELECT m.title, d.nme FROM movies m JOIN directors d ON d.id = m.director_id'),
    );
    const [d] = (await check(text)) as [Diagnostic];
    expect(d.code).toBe('SQL002');
    expect(d.message).toContain("unknown column 'nme' of table 'directors'");
    expect(d.hint).toContain("did you mean 'name'?");
  });

  it('reports an unknown table with did-you-mean and the known tables', async () => {
    const text = pipeline(extractMovies('SELECT id FROM movie'));
    const [d, ...rest] = (await check(text)) as [Diagnostic];
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ severity: 'error', code: 'SQL001', location: { line: 9, col: 29 } });
    expect(d.message).toContain("unknown table 'movie' in @mysql.movies");
    expect(d.hint).toBe("did you mean 'movies'? known tables: directors, movies");
  });

  it('binds `db.table` and `table`, and the default-alias connection key', async () => {
    const text = pipeline(
      extractMovies(
        'SELECT m.id, d.name FROM movies_db.movies m JOIN directors d ON d.id = m.director_id',
        '@mysql',
      ),
    );
    expect(await check(text)).toEqual([]);
  });

  it('reports wrong columns in a downstream processor reading the step id and input_df', async () => {
    const text = pipeline(
      extractMovies('SELECT id, title, rating FROM movies'),
      [
        '  - id: by-id',
        '    component: duckdb.processor',
        '    mode: transform',
        '    config:',
        '      query: SELECT titel FROM "extract-movies"',
      ].join('\n'),
      [
        '  - id: by-input',
        '    component: duckdb.processor',
        '    mode: transform',
        '    needs: [extract-movies]',
        '    config:',
        '      query: |',
        '        SELECT title,',
        '               year',
        '        FROM input_df',
      ].join('\n'),
    );
    const diags = await check(text);
    expect(diags.map((d) => [d.code, d.stepId, d.location.path])).toEqual([
      ['SQL002', 'by-id', 'steps[1].config.query'],
      ['SQL002', 'by-input', 'steps[2].config.query'],
    ]);
    const [first, second] = diags as [Diagnostic, Diagnostic];
    expect(first.message).toContain("unknown column 'titel' of table 'extract-movies'");
    expect(first.hint).toContain("did you mean 'title'?");
    expect(first.location).toMatchObject({ line: 14, col: 21 });
    // `year` was not extracted: the processor sees the extractor's result shape, not the source table
    expect(second.message).toContain("unknown column 'year' of table 'extract-movies'");
    // in a `|` block: the query's line 2, column 8 is the file's line 22, column 8 after the 8-space indent
    expect(second.message).not.toContain('query line');
    expect(second.location).toMatchObject({ line: 22, col: 16 });
  });

  it('reports a DuckDB syntax error in a processor as an error (SQL004): DuckDB is its engine', async () => {
    const text = pipeline(
      extractMovies('SELECT id, title, rating FROM movies'),
      [
        '  - id: broken',
        '    component: duckdb.processor',
        '    mode: transform',
        '    needs: [extract-movies]',
        '    config:',
        '      query: SELECT title FROM input_df WHERE',
      ].join('\n'),
    );
    const diags = await check(text);
    expect(diags.map((d) => [d.severity, d.code, d.stepId])).toEqual([['error', 'SQL004', 'broken']]);
    expect(diags[0]?.message).toContain('not valid DuckDB SQL');
  });

  it('reports a processor reading a table it does not need', async () => {
    const text = pipeline(
      extractMovies('SELECT id, title FROM movies'),
      [
        '  - id: agg',
        '    component: duckdb.processor',
        '    mode: transform',
        '    config:',
        '      query: SELECT count(*) FROM movies',
      ].join('\n'),
    );
    const [d] = (await check(text)) as [Diagnostic];
    expect(d.code).toBe('SQL001');
    expect(d.message).toContain("unknown table 'movies' among the inputs of step 'agg'");
    expect(d.hint).toContain('tables this step can read: "extract-movies", df_extract_movies, input_df');
  });

  it('checks `table` and every `columns` entry', async () => {
    const text = pipeline(
      [
        '  - id: extract-movies',
        '    component: mysql.extractor',
        '    mode: read',
        '    config:',
        '      connection: "@mysql.movies"',
        '      table: movies',
        '      columns:',
        '        - id',
        '        - ratings',
        '        - title',
      ].join('\n'),
      [
        '  - id: extract-directors',
        '    component: mysql.extractor',
        '    mode: read',
        '    config:',
        '      connection: "@mysql.movies"',
        '      table: director',
      ].join('\n'),
    );
    const diags = await check(text);
    expect(diags.map((d) => [d.code, d.location.path, d.location.line, d.location.col])).toEqual([
      ['SQL002', 'steps[0].config.columns[1]', 12, 11],
      ['SQL001', 'steps[1].config.table', 19, 14],
    ]);
    expect(diags[0]?.message).toBe("unknown column 'ratings' of table 'movies' in @mysql.movies");
    expect(diags[0]?.hint).toContain("did you mean 'rating'?");
    expect(diags[1]?.hint).toContain("did you mean 'directors'?");
  });

  it('checks a `where` condition of a table read', async () => {
    const text = pipeline(
      [
        '  - id: extract-movies',
        '    component: mysql.extractor',
        '    mode: read',
        '    config:',
        '      connection: "@mysql.movies"',
        '      table: movies',
        '      where: raiting > 5',
      ].join('\n'),
    );
    const [d] = (await check(text)) as [Diagnostic];
    expect(d).toMatchObject({ code: 'SQL002', location: { path: 'steps[0].config.where' } });
    expect(d.hint).toContain("did you mean 'rating'?");
  });

  it('binds MySQL backticks, double-quoted strings, backslash escapes and # comments', async () => {
    const text = pipeline(
      extractMovies(
        `'SELECT \`m\`.\`title\`, \`rating\` FROM \`movies_db\`.\`movies\` AS \`m\` WHERE title <> "Alien" AND title <> ''it\\''s'' AND title <> ''a''''b'' # mysql comment'`,
      ),
    );
    expect(await check(text)).toEqual([]);
    const wrong = pipeline(extractMovies('SELECT `ratng` FROM `movies`'));
    const [d] = (await check(wrong)) as [Diagnostic];
    expect(d.code).toBe('SQL002');
    expect(d.location).toMatchObject({ line: 9, col: 21 });
  });

  it('only warns (SQL003) about MySQL-only functions and syntax', async () => {
    const text = pipeline(
      extractMovies("SELECT DATE_FORMAT(year, '%Y') AS y FROM movies"),
      [
        '  - id: next',
        '    component: duckdb.processor',
        '    mode: transform',
        '    config:',
        '      query: SELECT nothing_checked FROM input_df',
      ].join('\n'),
    );
    const diags = await check(text);
    expect(diags).toHaveLength(1);
    const [d] = diags as [Diagnostic];
    expect(d).toMatchObject({ severity: 'warning', code: 'SQL003', stepId: 'extract-movies' });
    expect(d.message).toContain('Scalar Function with name date_format does not exist!');
    expect(d.hint).toContain('MySQL');

    // the check never touches files: reading one fails as a permission error, not as data
    const file = pipeline(
      [
        '  - id: files',
        '    component: duckdb.processor',
        '    mode: transform',
        '    config:',
        "      query: SELECT * FROM read_csv('/etc/passwd')",
      ].join('\n'),
    );
    const [f] = (await check(file)) as [Diagnostic];
    expect(f).toMatchObject({ severity: 'warning', code: 'SQL003' });
    expect(f.message).toContain('Permission Error');

    const limit = pipeline(extractMovies('SELECT id FROM movies LIMIT 10, 20'));
    const [p] = (await check(limit)) as [Diagnostic];
    expect(p).toMatchObject({ severity: 'warning', code: 'SQL003' });
    expect(p.message).toContain('Parser Error');
  });

  it('skips steps whose connection was not discovered, and the steps downstream of them', async () => {
    const text = pipeline(
      extractMovies('SELECT nope FROM nowhere', '@mysql.other'),
      [
        '  - id: next',
        '    component: duckdb.processor',
        '    mode: transform',
        '    config:',
        '      query: SELECT missing FROM input_df',
      ].join('\n'),
      writer('next'),
    );
    expect(await check(text)).toEqual([]);
  });

  it('uses the Postgres schema as search path and binds `schema.table`', async () => {
    const text = pipeline(
      [
        '  - id: pg',
        '    component: postgres.extractor',
        '    mode: read',
        '    config:',
        '      connection: "@postgres.films"',
        '      query: SELECT m.title::text, d.name FROM public.movies m JOIN directors d ON d.id = m.director_id',
      ].join('\n'),
      [
        '  - id: pg-table',
        '    component: postgres.extractor',
        '    mode: read',
        '    config:',
        '      connection: "@postgres.films"',
        '      schema: public',
        '      table: Movies',
      ].join('\n'),
    );
    const diags = await check(text);
    // Postgres quotes the table name: `Movies` is not `movies`
    expect(diags.map((d) => [d.code, d.stepId])).toEqual([['SQL001', 'pg-table']]);
    expect(diags[0]?.hint).toContain("did you mean 'movies'?");
  });

  it('chains shapes: renamed duplicate columns, CTEs, steps listed before their inputs, data-generating steps', async () => {
    const text = pipeline(
      [
        '  - id: late',
        '    component: duckdb.processor',
        '    mode: transform',
        '    needs: [extract-movies, gen]',
        '    config:',
        '      query: WITH x AS (SELECT id_2 AS director FROM "extract-movies") SELECT x.director, g.n FROM x, gen g',
      ].join('\n'),
      extractMovies('SELECT m.id, d.id FROM movies m JOIN directors d ON d.id = m.director_id'),
      [
        '  - id: gen',
        '    component: duckdb.processor',
        '    mode: transform',
        '    needs: []',
        '    config:',
        '      query: SELECT range AS n FROM range(3)',
      ].join('\n'),
      [
        '  - id: loop-a',
        '    component: duckdb.processor',
        '    mode: transform',
        '    needs: [loop-b]',
        '    config:',
        '      query: SELECT nothing FROM input_df',
      ].join('\n'),
      [
        '  - id: loop-b',
        '    component: duckdb.processor',
        '    mode: transform',
        '    needs: [loop-a]',
        '    config:',
        '      query: SELECT nothing FROM input_df',
      ].join('\n'),
    );
    expect(await check(text)).toEqual([]);
  });

  it('never throws on odd input', async () => {
    const odd = [
      'just a string',
      'steps: 3',
      pipeline(
        '  - id: a\n    component: mysql.extractor\n    config:\n      connection: "@mysql.movies"\n      query: 42',
      ),
      pipeline('  - id: a\n    component: mysql.extractor'),
      pipeline(
        '  - id: a\n    component: duckdb.processor\n    needs: [a]\n    config:\n      query: SELECT 1',
      ),
      pipeline(
        '  - id: a\n    component: mysql.extractor\n    config:\n      connection: "@mysql"\n      table: [x]',
      ),
      pipeline(extractMovies('SELECT 1; SELECT 2')),
    ];
    for (const text of odd) {
      const doc = parseLocatedYaml(text, 'odd.yaml');
      await expect(bindCheckPipeline(doc, catalog)).resolves.toBeInstanceOf(Array);
    }
    const [multi] = await bindCheckPipeline(
      parseLocatedYaml(pipeline(extractMovies('SELECT 1; SELECT 2')), 'x.yaml'),
      catalog,
      { file: 'draft.yaml' },
    );
    expect(multi).toMatchObject({ code: 'SQL003', severity: 'warning', location: { file: 'draft.yaml' } });
  });
});

describe('translateMysql', () => {
  it('maps MySQL quoting to DuckDB quoting and keeps a position map', () => {
    const { sql, map } = translateMysql('SELECT `a``b`, "x\'y" # c');
    expect(sql).toBe(`SELECT "a\`b", 'x''y' -- c`);
    expect(map).toHaveLength(sql.length);
    expect(map[sql.indexOf('--')]).toBe('SELECT `a``b`, "x\'y" '.length);
  });
});
