/** The pure parts of incremental reads: the config block, the window SQL, cursor comparison (docs/reference/incremental.md). */
import { describe, expect, it } from 'vitest';
import { incrementalSpec, parseLookback } from '../../../src/runtime/incremental/spec.js';
import type { IncrementalWindow } from '../../../src/runtime/incremental/types.js';
import { compareCursor, kindOfInitial, windowedSql } from '../../../src/runtime/incremental/window.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('incremental config', () => {
  it('reads cursor, initial and lookback', () => {
    expect(incrementalSpec('s', { incremental: { cursor: 'id', initial: 0, lookback: 10 } })).toEqual({
      cursor: 'id',
      initial: 0,
      lookback: { count: 10 },
      lookbackText: '10',
    });
    expect(parseLookback('s', '2 hours')).toEqual({ amount: 2, unit: 'hour' });
    expect(parseLookback('s', '30 min')).toEqual({ amount: 30, unit: 'minute' });
    expect(incrementalSpec('s', {})).toBeUndefined();
  });

  it('refuses what would lose rows or cannot be read', () => {
    expect(code(() => incrementalSpec('s', { incremental: { initial: 1 } }))).toBe(
      'incremental.invalid_config',
    );
    expect(code(() => incrementalSpec('s', { incremental: { cursor: 'id' }, limit: 10 }))).toBe(
      'incremental.invalid_config',
    );
    expect(code(() => parseLookback('s', 'two weeks'))).toBe('incremental.invalid_config');
    expect(code(() => parseLookback('s', -1))).toBe('incremental.invalid_config');
  });
});

describe('window SQL', () => {
  const base: IncrementalWindow = {
    cursor: 'updated_at',
    from: { value: '2024-02-03 10:00:00', kind: 'time' },
    inclusive: false,
    lookback: { amount: 1, unit: 'hour' },
    lookbackText: '1 hour',
    origin: 'state',
  };

  it('wraps the step SQL with the bound minus the lookback, in cursor order', () => {
    expect(windowedSql('postgres', 's', 'SELECT * FROM "t"', base)).toBe(
      `SELECT * FROM (\nSELECT * FROM "t"\n) AS osiris_window WHERE "updated_at" > (CAST('2024-02-03 10:00:00' AS timestamp) - interval '1 hour') ORDER BY "updated_at"`,
    );
    expect(windowedSql('mysql', 's', 'SELECT 1', base)).toContain(
      "`updated_at` > (CAST('2024-02-03 10:00:00' AS DATETIME(6)) - INTERVAL 1 HOUR) ORDER BY `updated_at`",
    );
  });

  it('starts inclusive at initial, without lookback; numbers stay bare and are checked', () => {
    const first: IncrementalWindow = { ...base, cursor: 'id', from: kindOfInitial(5), inclusive: true };
    expect(windowedSql('mysql', 's', 'SELECT 1', first)).toContain('WHERE `id` >= 5 ORDER BY `id`');
    const counted: IncrementalWindow = { ...first, inclusive: false, lookback: { count: 3 } };
    expect(windowedSql('postgres', 's', 'SELECT 1', counted)).toContain('"id" > (5 - 3)');
    const bad: IncrementalWindow = { ...first, from: { value: '1; DROP TABLE x', kind: 'number' } };
    expect(code(() => windowedSql('postgres', 's', 'SELECT 1', bad))).toBe('incremental.invalid_state');
    const mismatch: IncrementalWindow = { ...counted, lookback: { amount: 1, unit: 'day' } };
    expect(code(() => windowedSql('postgres', 's', 'SELECT 1', mismatch))).toBe(
      'incremental.lookback_invalid',
    );
  });

  it('quotes text bounds (a quote doubled; MySQL backslashes as hex)', () => {
    const text: IncrementalWindow = { ...base, from: { value: "o'k\\", kind: 'text' }, lookback: undefined };
    expect(windowedSql('postgres', 's', 'SELECT 1', text)).toContain(`> 'o''k\\'`);
    expect(windowedSql('mysql', 's', 'SELECT 1', text)).toContain(`> X'6f276b5c'`);
  });

  it('reads everything when there is no bound', () => {
    const all: IncrementalWindow = { ...base, from: undefined, origin: 'everything' };
    expect(windowedSql('postgres', 's', 'SELECT 1', all)).toBe(
      'SELECT * FROM (\nSELECT 1\n) AS osiris_window ORDER BY "updated_at"',
    );
  });
});

describe('cursor values', () => {
  it('compares decimals exactly beyond 2^53, times as text', () => {
    const n = (value: string) => ({ value, kind: 'number' as const });
    expect(compareCursor(n('9007199254740993'), n('9007199254740992'))).toBe(1);
    expect(compareCursor(n('10.5'), n('10.50'))).toBe(0);
    expect(compareCursor(n('-2'), n('1'))).toBe(-1);
    const t = (value: string) => ({ value, kind: 'time' as const });
    expect(compareCursor(t('2024-01-01 10:00:00'), t('2024-01-01 10:00:00.5'))).toBe(-1);
    expect(kindOfInitial('2024-01-01T10:00')).toEqual({ value: '2024-01-01 10:00', kind: 'time' });
    expect(kindOfInitial('abc')).toEqual({ value: 'abc', kind: 'text' });
  });
});
