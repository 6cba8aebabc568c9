import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../src/observability/redact.js';
import {
  buildPreview,
  PREVIEW_COLUMNS,
  PREVIEW_MAX_BYTES,
  PREVIEW_ROWS,
  PREVIEW_VALUE_CHARS,
  previewTable,
  StreamPreview,
} from '../../../src/runtime/output-preview.js';
import type { StreamRow } from '../../../src/runtime/stream.js';

const cols = (...names: string[]) => names.map((name) => ({ name, type: 'VARCHAR' }));

describe('buildPreview', () => {
  it('masks columns named like secrets or personal data, and secret values anywhere', () => {
    const redactor = createRedactor({ secretValues: ['hunter2-secret'] });
    const p = buildPreview(
      's',
      'table',
      cols('id', 'api_token', 'ssn', 'note'),
      [['1', 'tok-abc', '123-45-6789', 'pw is hunter2-secret']],
      redactor,
    );
    expect(p.rows).toEqual([['1', '***', '***', 'pw is ***']]);
    expect(p.masked_columns).toEqual(['api_token', 'ssn']);
  });

  it('keeps at most PREVIEW_ROWS rows and PREVIEW_COLUMNS columns, values cut, within PREVIEW_MAX_BYTES', () => {
    const many = Array.from({ length: PREVIEW_COLUMNS + 5 }, (_, i) => `c${i}`);
    const long = 'x'.repeat(PREVIEW_VALUE_CHARS + 1);
    const rows = Array.from({ length: 50 }, () => many.map(() => long));
    const p = buildPreview('s', 'table', cols(...many), rows, createRedactor());
    expect(p.columns_total).toBe(PREVIEW_COLUMNS + 5);
    expect(p.preview_columns).toHaveLength(PREVIEW_COLUMNS);
    expect(p.rows.length).toBeLessThanOrEqual(PREVIEW_ROWS);
    expect(p.rows[0]?.[0]).toBe(`${'x'.repeat(PREVIEW_VALUE_CHARS)}…`);
    expect(p.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(p, null, 2))).toBeLessThanOrEqual(PREVIEW_MAX_BYTES);
  });
});

describe('previewTable', () => {
  it('reads names, types and the first rows as DuckDB text, cut in SQL', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(
        `CREATE TABLE t AS SELECT i AS id, i * 1.5::DECIMAL(6,2) AS amount, repeat('y', 1000) AS body,
         CASE WHEN i = 2 THEN NULL ELSE 'p' || i END AS password FROM range(1000) r(i)`,
      );
      const p = await previewTable(conn, 't', '"t"', createRedactor());
      expect(p.columns).toEqual([
        { name: 'id', type: 'BIGINT' },
        { name: 'amount', type: 'DECIMAL(25,2)' },
        { name: 'body', type: 'VARCHAR' },
        { name: 'password', type: 'VARCHAR' },
      ]);
      expect(p.rows).toHaveLength(PREVIEW_ROWS);
      expect(p.rows[1]).toEqual(['1', '1.50', `${'y'.repeat(PREVIEW_VALUE_CHARS)}…`, '***']);
      expect(p.rows[2]?.[3]).toBeNull(); // NULL stays NULL: it reveals nothing
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

describe('StreamPreview', () => {
  it('passes every batch on and keeps only the first rows, as text', async () => {
    async function* source(): AsyncGenerator<StreamRow[]> {
      for (let b = 0; b < 5; b++)
        yield Array.from({ length: 4 }, (_, i) => [BigInt(b * 4 + i), i % 2 === 0, new Uint8Array([0, 65])]);
    }
    const preview = new StreamPreview([
      { name: 'id', type: 'BIGINT' },
      { name: 'flag', type: 'BOOLEAN' },
      { name: 'bytes', type: 'BLOB' },
    ]);
    let seen = 0;
    for await (const batch of preview.watch(source())) seen += batch.length;
    expect(seen).toBe(20);
    const p = preview.build('s', createRedactor());
    expect(p.source).toBe('stream');
    expect(p.rows).toHaveLength(PREVIEW_ROWS);
    expect(p.rows[0]).toEqual(['0', 'true', '\\x00A']);
  });

  it('stops its source when the consumer stops early', async () => {
    let stopped = false;
    async function* source(): AsyncGenerator<StreamRow[]> {
      try {
        for (let i = 0; ; i++) yield [[i]];
      } finally {
        stopped = true;
      }
    }
    const preview = new StreamPreview([{ name: 'n', type: 'INTEGER' }]);
    for await (const batch of preview.watch(source())) if ((batch[0]?.[0] as number) >= 2) break;
    expect(stopped).toBe(true);
    expect(preview.rows).toEqual([['0'], ['1'], ['2']]);
  });
});
