/** The pure parts of docs/adr/0025: widening rules, the schema diff, decimal arithmetic and comparisons. */
import { describe, expect, it } from 'vitest';
import {
  compareProfiles,
  deltaProfile,
  normalizeDecimal,
  subtractDecimal,
  type VerifyColumn,
} from '../../../src/connectors/load-verify.js';
import { mysqlWiden } from '../../../src/connectors/mysql/write/evolve.js';
import { pgWiden } from '../../../src/connectors/postgres/evolve.js';
import { describeDiff, diffSchemas } from '../../../src/connectors/schema-evolution.js';

describe('widening rules', () => {
  it('postgres', () => {
    expect(pgWiden('integer', 'bigint', undefined)).toBe('bigint');
    expect(pgWiden('bigint', 'integer', undefined)).toBeUndefined();
    expect(pgWiden('numeric(10,2)', 'numeric(12,4)', undefined)).toBe('numeric(12,4)');
    expect(pgWiden('numeric(10,2)', 'numeric(5,1)', undefined)).toBeUndefined();
    expect(pgWiden('numeric(5,0)', 'bigint', undefined)).toBe('numeric(19,0)');
    expect(pgWiden('real', 'double precision', undefined)).toBe('double precision');
    expect(pgWiden('character varying(5)', 'text', 12)).toBe('character varying(12)');
    expect(pgWiden('character varying(5)', 'text', undefined)).toBeUndefined();
    expect(pgWiden('timestamp without time zone', 'timestamp with time zone', undefined)).toBeUndefined();
  });

  it('mysql', () => {
    expect(mysqlWiden('int(11)', 'BIGINT', undefined)).toBe('BIGINT');
    expect(mysqlWiden('int(10) unsigned', 'BIGINT', undefined)).toBe('BIGINT');
    expect(mysqlWiden('int(11)', 'BIGINT UNSIGNED', undefined)).toBeUndefined();
    expect(mysqlWiden('tinyint(1)', 'INT', undefined)).toBeUndefined();
    expect(mysqlWiden('decimal(10,2)', 'DECIMAL(12,3)', undefined)).toBe('DECIMAL(12,3)');
    expect(mysqlWiden('float', 'DOUBLE', undefined)).toBe('DOUBLE');
    expect(mysqlWiden('varchar(5)', 'VARCHAR(255)', { maxChars: 12 })).toBe('VARCHAR(12)');
    expect(mysqlWiden('varchar(5)', 'VARCHAR(255)', {})).toBeUndefined();
    expect(mysqlWiden('varchar(5)', 'TEXT', { maxChars: 9000 })).toBe('TEXT');
  });
});

it('diffs the input against the table, case-insensitively', () => {
  const diff = diffSchemas(
    [
      { name: 'ID', type: 'bigint' },
      { name: 'note', type: 'text' },
    ],
    [
      { name: 'id', type: 'integer', requiresValue: false },
      { name: 'gone', type: 'date', requiresValue: false },
    ],
    (cur, want) => pgWiden(cur, want, undefined),
  );
  expect(describeDiff(diff).split('\n')).toEqual([
    '  + note text (new in the input)',
    '  ~ id integer → bigint (the input needs the wider type)',
    '  - gone date (not in the input: written as its default / NULL)',
  ]);
});

describe('comparisons', () => {
  it('decimals exactly', () => {
    expect(normalizeDecimal('12.500')).toBe('12.5');
    expect(normalizeDecimal('-0.00')).toBe('0');
    expect(subtractDecimal('10.25', '0.3')).toBe('9.95');
    expect(subtractDecimal('1', '2.5')).toBe('-1.5');
    expect(subtractDecimal('170141183460469231731687303715884105727', '1')).toBe(
      '170141183460469231731687303715884105726',
    );
  });

  const cols: VerifyColumn[] = [
    { input: 'n', target: 'n', check: 'sum' },
    { input: 'f', target: 'f', check: 'fsum' },
    { input: 't', target: 't', check: 'ts' },
  ];

  it('float sums within tolerance, NULL sums as 0, min/max exactly', () => {
    const received = {
      rows: 2,
      columns: [
        { nulls: 0, a: '3.50', b: null },
        { nulls: 0, a: '0.30000000000000004', b: '0.3' },
        { nulls: 1, a: '100', b: '200' },
      ],
    };
    const held = {
      rows: 2,
      columns: [
        { nulls: 0, a: '3.5', b: null },
        { nulls: 0, a: '0.3', b: null },
        { nulls: 1, a: '100', b: '201' },
      ],
    };
    const out = compareProfiles(cols, received, held, 'test');
    expect(out.mismatches).toEqual([{ column: 't', what: 'max', received: '200', loaded: '201' }]);
    expect(out.evidence.rows).toEqual([2, 2]);
  });

  it('an append measured as after minus before', () => {
    const before = {
      rows: 5,
      columns: [
        { nulls: 1, a: '10', b: null },
        { nulls: 0, a: '1', b: null },
        { nulls: 0, a: '50', b: '150' },
      ],
    };
    const after = {
      rows: 7,
      columns: [
        { nulls: 1, a: '13.5', b: null },
        { nulls: 0, a: '1.3', b: null },
        { nulls: 1, a: '50', b: '200' },
      ],
    };
    const received = {
      rows: 2,
      columns: [
        { nulls: 0, a: '3.5', b: null },
        { nulls: 0, a: '0.3', b: '0.3' },
        { nulls: 1, a: '100', b: '200' },
      ],
    };
    const loaded = deltaProfile(cols, before, after, received);
    expect(compareProfiles(cols, received, loaded, 'delta').mismatches).toEqual([]);
    const wrongMin = deltaProfile(
      cols,
      before,
      {
        ...after,
        columns: [after.columns[0], after.columns[1], { nulls: 1, a: '40', b: '200' }],
      } as typeof after,
      received,
    );
    expect(compareProfiles(cols, received, wrongMin, 'delta').mismatches).toMatchObject([
      { column: 't', what: 'min' },
    ]);
  });
});
