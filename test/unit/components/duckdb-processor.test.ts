import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver } from '../../../src/components/duckdb.processor/driver.js';
import { StepError } from '../../../src/runtime/driver.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

// Both paths: the output as a table, and as the view a fused chain reads (docs/adr/0018), where the query
// errors come from binding the view and must read the same.
describe.each(['general', 'fused'])('duckdb.processor (%s)', (mode) => {
  const fused = mode === 'fused';
  let t: TestPlane;
  beforeAll(async () => {
    t = await openTestPlane(`osiris-proc-${mode}-`, { fused });
    await t.plane.connection.run(`
    CREATE TABLE "extract-movies" AS SELECT * FROM (VALUES (1, 'Selma', 10), (2, 'Origin', 10), (3, 'Other', 20)) v(movie_id, title, director_id);
    CREATE TABLE "extract-directors" AS SELECT * FROM (VALUES (10, 'Ava DuVernay'), (20, 'Someone')) v(director_id, name);
  `);
  });
  afterAll(() => t.close());

  const failure = async (stepId: string, query: string, needs: string[]): Promise<StepError> => {
    const error = await t.runStep(driver, stepId, { query }, { needs }).catch((e) => e);
    expect(error).toBeInstanceOf(StepError);
    return error as StepError;
  };

  describe('runs', () => {
    it('reads inputs by step id and df_ name and creates the output table', async () => {
      const result = await t.runStep(
        driver,
        'joined',
        {
          query: `SELECT d.name, count(*) AS films
FROM "extract-movies" m JOIN df_extract_directors d USING (director_id)
GROUP BY d.name ORDER BY d.name;`,
        },
        { needs: ['extract-movies', 'extract-directors'] },
      );
      // Fused, rows in are not counted: that would read the sources again.
      expect(result).toEqual(fused ? { rowsOut: 2 } : { rowsIn: 5, rowsOut: 2 });
      expect(await t.rows('SELECT name, films::INT AS films FROM joined')).toEqual([
        { name: 'Ava DuVernay', films: 2 },
        { name: 'Someone', films: 1 },
      ]);
      expect(t.recorded.get('joined')?.metrics).toEqual([]);
      expect(t.recorded.get('joined')?.progress.at(-1)).toBe(fused ? undefined : 2);
    });

    it('exposes a single input as input_df and drops the alias views afterwards', async () => {
      await t.runStep(
        driver,
        'single',
        { query: 'SELECT title FROM input_df WHERE director_id = 10' },
        { needs: ['extract-movies'] },
      );
      expect(await t.rows('SELECT count(*)::INT AS n FROM single')).toEqual([{ n: 2 }]);
      await expect(t.plane.connection.run('SELECT * FROM input_df')).rejects.toThrow(/does not exist/);
      await expect(t.plane.connection.run('SELECT * FROM df_extract_movies')).rejects.toThrow(
        /does not exist/,
      );
    });

    it('runs with no inputs (a generator)', async () => {
      expect(await t.runStep(driver, 'gen', { query: 'FROM range(3)' })).toEqual(
        fused ? { rowsOut: 3 } : { rowsIn: 0, rowsOut: 3 },
      );
    });

    it('reports a syntax error with step id, line, column and caret', async () => {
      const error = await failure(
        'bad-syntax',
        'SELECT title,\n  director_id\nFROM input_df\nWHERE title = = 1',
        ['extract-movies'],
      );
      expect(error.code).toBe('transform.failed');
      expect(error.message).toContain("step 'bad-syntax'");
      expect(error.message).toContain('SQL Parser Error at line 4, column 15: syntax error at or near "="');
      expect(error.message).toContain('  4 | WHERE title = = 1\n    |               ^');
      expect(error.details).toMatchObject({ line: 4, col: 15, sql_line: 'WHERE title = = 1' });
    });

    it('reports a binder error on the line of the user query', async () => {
      const error = await failure('bad-column', 'SELECT\n  title,\n  nosuch_col\nFROM input_df', [
        'extract-movies',
      ]);
      expect(error.code).toBe('transform.failed');
      expect(error.message).toMatch(
        /^step 'bad-column': SQL Binder Error at line 3, column 3: Referenced column "nosuch_col" not found/,
      );
      expect(error.message).toContain('Candidate bindings');
    });

    it('hints the readable tables with a did-you-mean for an unknown table', async () => {
      const error = await failure('bad-table', 'SELECT *\nFROM df_extract_movie', [
        'extract-movies',
        'extract-directors',
      ]);
      expect(error.message).toContain("step 'bad-table': SQL Catalog Error at line 2, column 6");
      expect(error.message).not.toContain('pg_');
      expect(error.hint).toBe(
        'did you mean df_extract_movies? tables this step can read: df_extract_movies, df_extract_directors, "extract-movies", "extract-directors"',
      );
    });

    it('an unknown function gets no table hint', async () => {
      const error = await failure('bad-fn', 'SELECT no_such_fn(title)\nFROM input_df', ['extract-movies']);
      expect(error.message).toMatch(
        /^step 'bad-fn': SQL Catalog Error at line 1, column 8: Scalar Function with name no_such_fn does not exist/,
      );
      expect(error.hint).toBeUndefined();
    });

    it('refuses several statements and runtime errors keep the step id', async () => {
      const many = await failure('many', 'SELECT 1; SELECT 2', []);
      expect(many.message).toContain('holds 2 statements');
      // A value error surfaces only when rows flow: in a fused chain the runner then reruns the steps one by
      // one, so the general path's error is the one reported (test/integration/fused-chains.test.ts).
      if (fused) return;
      const cast = await failure('cast', "SELECT 'abc'::INTEGER AS n", []);
      expect(cast.code).toBe('transform.type_error');
      expect(cast.message).toMatch(/^step 'cast': SQL Conversion Error/);
    });

    it('fails with runtime.dependency_failed when an upstream step produced no table', async () => {
      const error = await failure('orphan', 'SELECT * FROM input_df', ['never-ran']);
      expect(error.code).toBe('runtime.dependency_failed');
      expect(error.message).toContain("'never-ran'");
    });
  });
});
