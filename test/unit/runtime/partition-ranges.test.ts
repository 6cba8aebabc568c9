/** Key ranges of a partitioned copy: computed cuts, NULL keys, SQL conditions and the rewritten read config. */
import { describe, expect, it } from 'vitest';
import {
  computedRanges,
  describeRange,
  explicitRanges,
  partitionReadConfig,
  rangeCondition,
} from '../../../src/runtime/partition/ranges.js';
import { partitionSpec } from '../../../src/runtime/partition/spec.js';

describe('part_ partition ranges', () => {
  it('splits integer keys evenly, open at both ends, NULLs in the first', () => {
    const r = computedRanges('s', 'id', 4, '1', '100');
    expect(r.map(describeRange)).toEqual(['[-inf, 26) + NULL', '[26, 51)', '[51, 76)', '[76, +inf)']);
    expect(rangeCondition('postgres', 'id', r[0] as never)).toBe('("id" < 26 OR "id" IS NULL)');
    expect(rangeCondition('mysql', 'id', r[2] as never)).toBe('`id` >= 51 AND `id` < 76');
  });

  it('keeps BIGINT bounds exact and drops repeated cuts', () => {
    const big = computedRanges('s', 'id', 2, '9223372036854775000', '9223372036854775807');
    expect(big[1]?.lo?.value).toBe('9223372036854775404');
    expect(computedRanges('s', 'k', 8, '5', '6')).toHaveLength(2);
  });

  it('splits dates by day and timestamps by millisecond', () => {
    expect(computedRanges('s', 'd', 2, '2024-01-01', '2024-01-10').map(describeRange)).toEqual([
      '[-inf, 2024-01-06) + NULL',
      '[2024-01-06, +inf)',
    ]);
    expect(computedRanges('s', 't', 2, '2024-01-01 00:00:00', '2024-01-01 00:00:10')[1]?.lo?.value).toBe(
      '2024-01-01 00:00:05.000',
    );
    expect(
      rangeCondition('postgres', 'd', computedRanges('s', 'd', 2, '2024-01-01', '2024-01-10')[1] as never),
    ).toBe(`"d" >= '2024-01-06'`);
  });

  it('refuses to compute ranges over text keys', () => {
    expect(() => computedRanges('s', 'name', 2, 'alice', 'zoe')).toThrow(/partition column 'name'/);
  });

  it('one partition (or an empty source) reads everything, NULLs included', () => {
    expect(computedRanges('s', 'id', 4, null, null)).toEqual([{ index: 0, lo: null, hi: null, nulls: true }]);
    expect(rangeCondition('mysql', 'id', { index: 0, lo: null, hi: null, nulls: true })).toBe('1 = 1');
  });

  it('explicit ranges quote text and keep numbers', () => {
    const r = explicitRanges([
      [null, 'm'],
      ['m', null],
    ]);
    expect(rangeCondition('mysql', 'name', r[1] as never)).toBe("`name` >= 'm'");
    expect(rangeCondition('postgres', 'name', r[0] as never)).toBe(`("name" < 'm' OR "name" IS NULL)`);
  });

  it('ANDs the range into where, or wraps the query, and drops the partition block', () => {
    const spec = partitionSpec('s', { table: 't', partition: { column: 'id', count: 2 } });
    const range = { index: 1, lo: { kind: 'number' as const, value: '10' }, hi: null, nulls: false };
    expect(
      partitionReadConfig('postgres', { table: 't', where: 'x > 1', partition: {} }, spec as never, range),
    ).toEqual({ table: 't', where: '(x > 1\n) AND "id" >= 10' });
    expect(partitionReadConfig('mysql', { query: 'SELECT 1 AS id' }, spec as never, range)).toEqual({
      query: 'SELECT * FROM (\nSELECT 1 AS id\n) AS osiris_partition WHERE `id` >= 10',
    });
  });

  it('checks the block', () => {
    expect(() => partitionSpec('s', { partition: { column: 'id' } })).toThrow(
      /exactly one of 'count' or 'ranges'/,
    );
    expect(() => partitionSpec('s', { limit: 5, partition: { column: 'id', count: 2 } })).toThrow(/limit/);
    expect(() => partitionSpec('s', { partition: { column: 'id', ranges: [[1]] } })).toThrow(/range 1/);
    expect(partitionSpec('s', { partition: { column: 'id', count: 3, parallel: 2 } })).toMatchObject({
      column: 'id',
      count: 3,
      parallel: 2,
    });
  });
});
