import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInputAliases,
  type DataPlane,
  dataFrameName,
  describeTable,
  openDataPlane,
  planInputAliases,
  quoteIdent,
  quoteLiteral,
  runTracked,
  tableRowCount,
  unquoteIdent,
} from '../../../src/runtime/dataplane.js';
import { StepError } from '../../../src/runtime/driver.js';
import { sha256Hex } from '../../../src/util/canonical.js';

describe('quoting', () => {
  it('quotes identifiers and literals, doubling the quote character', () => {
    expect(quoteIdent('extract-movies')).toBe('"extract-movies"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(unquoteIdent('"a""b"')).toBe('a"b');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});

describe('df_ names', () => {
  it('replaces characters outside [0-9A-Za-z_] and prefixes a leading digit', () => {
    expect(dataFrameName('extract-movies')).toBe('df_extract_movies');
    expect(dataFrameName('a.b c')).toBe('df_a_b_c');
    expect(dataFrameName('123_records')).toBe('df__123_records');
    expect(dataFrameName('ünï')).toBe('df__n_');
  });

  it('gives every colliding input a hash suffix and input_df only to a single input', () => {
    const inputs = [
      { stepId: 'a-b', table: '"t1"' },
      { stepId: 'a_b', table: '"t2"' },
      { stepId: 'c', table: '"t3"' },
    ];
    const names = planInputAliases(inputs).map((a) => `${a.kind}:${a.name}`);
    expect(names).toEqual([
      'step_id:a-b',
      `df:df_a_b_${sha256Hex('a-b').slice(0, 8)}`,
      'step_id:a_b',
      `df:df_a_b_${sha256Hex('a_b').slice(0, 8)}`,
      'step_id:c',
      'df:df_c',
    ]);
    const single = planInputAliases([{ stepId: 'only', table: '"only"' }]);
    // The step-id alias is skipped: the upstream table already has that name.
    expect(single.map((a) => a.name)).toEqual(['df_only', 'input_df']);
  });
});

describe('in-memory data plane (the default)', () => {
  it('has no database file and spills tables larger than memory_limit to scratch/spill', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osiris-plane-'));
    const plane = await openDataPlane(join(dir, 'scratch'), { memoryLimit: '64MB', threads: 1 });
    try {
      expect(plane.dbPath).toBeUndefined();
      // ~200 MB of text: four times the limit.
      await plane.connection.run(
        'CREATE TABLE big AS SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS t FROM range(3000000) r(i)',
      );
      const reader = await plane.connection.runAndReadAll('SELECT count(*), sum(i) FROM big');
      expect(reader.getRows()[0]).toEqual([3000000n, 4499998500000n]);
      expect(readdirSync(join(dir, 'scratch', 'spill')).length).toBeGreaterThan(0);
    } finally {
      plane.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('data plane kept as a file', () => {
  let dir: string;
  let plane: DataPlane;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'osiris-plane-'));
    plane = await openDataPlane(join(dir, 'scratch'), { memoryLimit: '256MB', threads: 2, persistent: true });
  });
  afterAll(() => {
    plane.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the database file and spill folder in scratch, with the given limits and UTC', async () => {
    expect(plane.dbPath).toBe(join(dir, 'scratch', 'run.duckdb'));
    expect(existsSync(plane.dbPath as string)).toBe(true);
    const reader = await plane.connection.runAndReadAll(
      "SELECT current_setting('temp_directory'), current_setting('memory_limit'), current_setting('threads'), current_setting('TimeZone')",
    );
    const [temp, memory, threads, tz] = reader.getRows()[0] ?? [];
    expect(temp).toBe(join(dir, 'scratch', 'spill'));
    expect(String(memory)).toMatch(/^(244|256)\.\d MiB$/);
    expect(Number(threads)).toBe(2);
    expect(tz).toBe('UTC');
    const other = await plane.connect();
    const tz2 = (await other.runAndReadAll("SELECT current_setting('TimeZone')")).getRows()[0]?.[0];
    expect(tz2).toBe('UTC');
  });

  it('counts rows and describes columns', async () => {
    await plane.connection.run(
      'CREATE TABLE "src-1" AS SELECT i::BIGINT AS id, (i / 3)::DECIMAL(18,4) AS amount FROM range(5) t(i)',
    );
    expect(await tableRowCount(plane.connection, '"src-1"')).toBe(5);
    expect(await describeTable(plane.connection, '"src-1"')).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'amount', type: 'DECIMAL(18,4)' },
    ]);
  });

  it('creates temp views for the aliases and drops them', async () => {
    await plane.connection.run('CREATE TABLE "t_other" AS SELECT 42 AS x');
    const created = await createInputAliases(plane.connection, [
      { stepId: 'src-1', table: '"src-1"' },
      { stepId: 'other step', table: '"t_other"' },
    ]);
    expect(created.names).toEqual(['df_src_1', 'other step', 'df_other_step', 'src-1', 't_other']);
    const reader = await plane.connection.runAndReadAll(
      'SELECT (SELECT count(*) FROM df_src_1), (SELECT x FROM "other step"), (SELECT x FROM df_other_step)',
    );
    expect(reader.getRowsJson()[0]).toEqual(['5', 42, 42]);
    await created.drop();
    await expect(plane.connection.run('SELECT * FROM df_src_1')).rejects.toThrow(/does not exist/);
  });

  it('fails with runtime.dependency_failed when an upstream table is missing', async () => {
    const error = await createInputAliases(plane.connection, [{ stepId: 'ghost', table: '"ghost"' }]).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(StepError);
    expect(error.code).toBe('runtime.dependency_failed');
    expect(error.message).toContain("'ghost'");
  });

  it('reports progress and can be cancelled', async () => {
    const seen: number[] = [];
    await plane.connection.run('CREATE TABLE big AS SELECT i, md5(i::VARCHAR) AS h FROM range(300000) t(i)');
    await runTracked(plane.connection, 'CREATE TABLE big_sorted AS SELECT * FROM big ORDER BY h', {
      onProgress: (rows) => seen.push(rows),
      intervalMs: 2,
    });
    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number);

    const controller = new AbortController();
    const pending = runTracked(plane.connection, 'SELECT count(DISTINCT md5(a.h || b.h)) FROM big a, big b', {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const error = await pending.catch((e) => e);
    expect(error).toBeInstanceOf(StepError);
    expect(error.code).toBe('runtime.cancelled');
  });
});
