import { describe, expect, it } from 'vitest';
import { renderDiscovery } from '../../../src/cli/commands/discovery.js';
import type { DiscoveryResult } from '../../../src/discovery/discover.js';

function result(overrides: Partial<DiscoveryResult> = {}): DiscoveryResult {
  return {
    connection: '@mysql.shop',
    family: 'mysql',
    alias: 'shop',
    schemaFingerprint: 'fp',
    tables: [
      { schema: 'shop', name: 'orders', kind: 'table', rowEstimate: 1204 },
      { schema: 'shop', name: 'v_orders', kind: 'view', rowEstimate: null },
    ],
    described: [],
    truncated: false,
    cache: {
      status: 'miss',
      reason: 'no_cache',
      key: 'k',
      file: '/x/k.json',
      createdAt: '2025-01-01T00:00:00.000Z',
      ageSeconds: 0,
      ttlSeconds: 3600,
    },
    durationMs: 12,
    warnings: [],
    ...overrides,
  };
}

describe('discovery run human output', () => {
  it('lists tables with estimates and suggests how to describe them', () => {
    expect(renderDiscovery(result())).toEqual([
      '@mysql.shop: 2 tables (cache miss (no_cache), 12 ms)',
      '  TABLE          KIND   ROWS (EST.)',
      '  shop.orders    table  1,204',
      '  shop.v_orders  view   ?',
      '',
      'describe tables with --tables <name,…>, or all of them with --samples <n>',
    ]);
  });

  it('shows columns, keys and masked samples of described tables', () => {
    const lines = renderDiscovery(
      result({
        cache: { ...result().cache, status: 'hit', reason: null, ageSeconds: 42 },
        described: [
          {
            schema: 'shop',
            name: 'orders',
            kind: 'table',
            rowEstimate: 1204,
            primaryKey: ['id', 'line'],
            columns: [
              {
                name: 'id',
                sourceType: 'bigint',
                duckdbType: 'BIGINT',
                nullable: false,
                primaryKeyPosition: 1,
                default: null,
              },
              {
                name: 'line',
                sourceType: 'int',
                duckdbType: 'INTEGER',
                nullable: false,
                primaryKeyPosition: 2,
                default: null,
              },
              {
                name: 'token',
                sourceType: 'text',
                duckdbType: 'VARCHAR',
                nullable: true,
                primaryKeyPosition: null,
                default: "'x'",
              },
            ],
            samples: [
              { id: '1', line: 1, token: '***' },
              { id: '2', line: 1, token: null },
            ],
            sampleLimit: 2,
            maskedColumns: ['token'],
          },
        ],
      }),
    );
    expect(lines[0]).toBe('@mysql.shop: 2 tables (cache hit, 42s old, 12 ms)');
    expect(lines.slice(4)).toEqual([
      '',
      'shop.orders  (table, ~1,204 rows)',
      '  COLUMN  TYPE    DUCKDB   NULL  KEY  DEFAULT',
      '  id      bigint  BIGINT   no    PK1',
      '  line    int     INTEGER  no    PK2',
      "  token   text    VARCHAR  yes        'x'",
      '',
      '  samples: 2 rows; masked: token',
      '    id  line  token',
      '    1   1     ***',
      '    2   1     NULL',
    ]);
  });
});
