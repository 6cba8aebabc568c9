/**
 * The embedded movies demo: the committed CSVs are what the generator writes, the pipeline validates, and
 * its steps run through the drivers in order (the way the runner will) and produce Ava DuVernay's row.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as processor } from '../../../src/components/duckdb.processor/driver.js';
import { driver as csvExtractor } from '../../../src/components/filesystem.csv_extractor/driver.js';
import { driver as csvWriter } from '../../../src/components/filesystem.csv_writer/driver.js';
import { driver as parquetWriter } from '../../../src/components/filesystem.parquet_writer/driver.js';
import { formatDiagnostic } from '../../../src/diagnostics/diagnostic.js';
import { checkOml } from '../../../src/oml/check.js';
import { readOmlFile } from '../../../src/oml/load.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { quoteIdent, quoteLiteral } from '../../../src/runtime/dataplane.js';
import type { Driver } from '../../../src/runtime/driver.js';
import type { JsonObject } from '../../../src/yaml/json.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

const REPO = resolve(import.meta.dirname, '../../..');
const DEMO = join(REPO, 'examples/movies');

const DRIVERS: Record<string, Driver> = {
  'filesystem.csv_extractor': csvExtractor,
  'duckdb.processor': processor,
  'filesystem.parquet_writer': parquetWriter,
  'filesystem.csv_writer': csvWriter,
};

interface Step {
  id: string;
  component: string;
  needs?: string[];
  config: JsonObject;
}

describe('examples/movies', () => {
  let t: TestPlane;
  let root: string;
  beforeAll(async () => {
    t = await openTestPlane('osiris-movies-');
    root = join(t.dir, 'project');
    cpSync(join(DEMO, 'data'), join(root, 'examples/movies/data'), { recursive: true });
    cpSync(join(DEMO, 'director_stats.yaml'), join(root, 'examples/movies/director_stats.yaml'));
  });
  afterAll(() => t.close());

  it('ships exactly what generate.mjs writes', () => {
    const out = mkdtempSync(join(tmpdir(), 'osiris-gen-'));
    try {
      execFileSync(process.execPath, [join(DEMO, 'generate.mjs'), out], { stdio: 'pipe' });
      const files = readdirSync(out).sort();
      expect(files).toEqual(['actors.csv', 'directors.csv', 'movie_actors.csv', 'movies.csv', 'reviews.csv']);
      for (const f of files)
        expect(readFileSync(join(out, f)).equals(readFileSync(join(DEMO, 'data', f))), f).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('the pipeline validates against the registry', async () => {
    const result = await checkOml(readOmlFile(join(DEMO, 'director_stats.yaml')), {
      registry: loadRegistry(),
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  });

  it('runs step by step and computes Ava DuVernay’s statistics', async () => {
    const doc = readOmlFile(join(root, 'examples/movies/director_stats.yaml'));
    const steps = (doc.value as unknown as { steps: Step[] }).steps;
    const results: Record<string, unknown> = {};
    for (const step of steps) {
      const driver = DRIVERS[step.component];
      if (!driver) throw new Error(`no driver for ${step.component}`);
      results[step.id] = await t.runStep(driver, step.id, step.config, {
        needs: step.needs ?? [],
        projectRoot: root,
      });
    }
    expect(results['extract-directors']).toMatchObject({ rowsRead: 24 });
    expect(results['extract-movies']).toMatchObject({ rowsRead: 100 });
    expect(results['compute-director-stats']).toEqual({ rowsIn: 124, rowsOut: 24 });
    const parquet = join(root, 'examples/movies/output/director_stats.parquet');
    const csv = join(root, 'examples/movies/output/director_stats.csv');
    expect(results['write-stats-parquet']).toMatchObject({ rowsWritten: 24, outputs: [parquet] });
    expect(results['write-stats-csv']).toMatchObject({ rowsWritten: 24, outputs: [csv] });

    const selma = await t.rows(
      `SELECT title, release_year, rating::VARCHAR AS rating FROM ${quoteIdent('extract-movies')} WHERE title = 'Selma'`,
    );
    expect(selma).toEqual([{ title: 'Selma', release_year: '2014', rating: '7.5' }]);

    const ava = {
      director: 'Ava DuVernay',
      nationality: 'American',
      birth_year: '1972',
      awards: '8',
      movie_count: '5',
      first_year: '2012',
      latest_year: '2023',
      avg_rating: '6.7',
      total_box_office_usd: '210736806.00',
      avg_roi: '0.525',
    };
    // Averages are DOUBLE in Parquet and exact DECIMAL when read back from CSV: compare them as DOUBLE.
    const select = Object.keys(ava)
      .map((c) => (c.startsWith('avg_') ? `${c}::DOUBLE::VARCHAR AS ${c}` : `${c}::VARCHAR AS ${c}`))
      .join(', ');
    // The CSV is read back through the extractor, whose exact decimals keep the money column's scale.
    await t.runStep(csvExtractor, 'read-back-csv', { path: csv }, { projectRoot: root });
    for (const relation of [quoteLiteral(parquet), quoteIdent('read-back-csv')]) {
      const rows = await t.rows(`SELECT ${select} FROM ${relation} WHERE director = 'Ava DuVernay'`);
      expect(rows, relation).toEqual([ava]);
    }
    const types = await t.rows(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${quoteLiteral(parquet)}) WHERE column_name IN ('total_box_office_usd', 'movie_count')`,
    );
    expect(types).toEqual([
      { column_name: 'movie_count', column_type: 'BIGINT' },
      { column_name: 'total_box_office_usd', column_type: 'DECIMAL(38,2)' },
    ]);
    expect(readFileSync(csv, 'utf8').split('\n')[1]).toBe(
      '1,Ava DuVernay,American,1972,8,5,2012,2023,6.7,210736806.00,0.525',
    );
  });
});
