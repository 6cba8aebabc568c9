// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { cacheKey, connectionIdentity, readCache } from '../../../src/discovery/cache.js';
import { type DiscoverOptions, discover } from '../../../src/discovery/discover.js';
import type { FamilyConnector } from '../../../src/discovery/types.js';
import { CANARY, type FakeState, fakeConnector, makeProject, shopTables } from './fake.js';

function setup(state: Partial<FakeState> = {}, projectOptions: Parameters<typeof makeProject>[0] = {}) {
  const fakeState: FakeState = { tables: shopTables(), fingerprint: 'fp-1', ...state };
  const fake = fakeConnector(fakeState);
  const { dir, project } = makeProject(projectOptions);
  let clock = Date.parse('2025-03-01T10:00:00Z');
  const lookup = async (family: string): Promise<FamilyConnector | undefined> =>
    family === 'mysql' ? fake.connector : undefined;
  const run = (options: Partial<DiscoverOptions> = {}) =>
    discover({
      ref: '@mysql.primary',
      project,
      env: { OTHER_PASSWORD: 'other-secret-value' },
      connectors: lookup,
      now: () => new Date(clock),
      ...options,
    });
  return {
    ...fake,
    dir,
    project,
    run,
    state: fakeState,
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<OsirisError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OsirisError) return error;
    throw error;
  }
  throw new Error('expected an OsirisError');
}

function grepTree(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.includes(needle) || readFileSync(path, 'utf8').includes(needle)) hits.push(path);
  }
  return hits;
}

describe('progressive discovery', () => {
  it('lists tables first without describing or sampling anything', async () => {
    const t = setup();
    const result = await t.run();
    expect(result.tables.map((x) => `${x.schema}.${x.name}:${x.kind}:${x.rowEstimate}`)).toEqual([
      'shop.orders:table:2',
      'shop.recent_orders:view:0',
      'shop.users:table:30',
    ]);
    expect(result.described).toEqual([]);
    expect(t.calls.describe).toEqual([]);
    expect(t.calls.sample).toEqual([]);
    expect(result.cache.status).toBe('miss');
    expect(result.cache.reason).toBe('no_cache');
    expect(result.connection).toBe('@mysql.primary');
    expect(t.calls.close).toBe(1);
    // Every discovery statement runs under osiris.yaml discovery.statement_timeout (default 30 s).
    expect(t.calls.statementTimeouts).toEqual([30_000]);
  });

  it('describes and samples only the requested tables', async () => {
    const t = setup();
    const result = await t.run({ tables: ['orders'], samples: 1 });
    expect(t.calls.describe).toEqual(['orders']);
    expect(t.calls.sample).toEqual([{ table: 'orders', limit: 1 }]);
    const [orders] = result.described;
    expect(orders?.name).toBe('orders');
    expect(orders?.primaryKey).toEqual(['order_id', 'line']);
    expect(
      orders?.columns.map((c) => [c.name, c.sourceType, c.duckdbType, c.nullable, c.primaryKeyPosition]),
    ).toEqual([
      ['order_id', 'bigint', 'BIGINT', false, 1],
      ['line', 'int', 'INT', false, 2],
      ['amount', 'decimal(12,2)', 'DECIMAL(12,2)', true, null],
    ]);
    expect(orders?.samples).toEqual([{ order_id: '1', line: 1, amount: '9.99' }]);
  });

  it('takes 10 sample rows by default for requested tables, and accepts schema.name', async () => {
    const t = setup();
    const result = await t.run({ tables: ['shop.users'] });
    expect(t.calls.sample).toEqual([{ table: 'users', limit: 10 }]);
    expect(result.described[0]?.samples).toHaveLength(10);
  });

  it('describes every table when samples are given without tables', async () => {
    const t = setup();
    const result = await t.run({ samples: 2 });
    expect(result.described.map((d) => d.name)).toEqual(['orders', 'recent_orders', 'users']);
    expect(t.calls.sample.map((s) => s.limit)).toEqual([2, 2, 2]);
    expect(result.truncated).toBe(false);
  });

  it('bounds the tables described when all are asked for', async () => {
    const t = setup();
    const result = await t.run({ samples: 0, maxTables: 2 });
    expect(result.described.map((d) => d.name)).toEqual(['orders', 'recent_orders']);
    expect(result.truncated).toBe(true);
    expect(t.calls.sample).toEqual([]);
  });

  it('passes the resolved connection (with ${VAR} expanded) to the connector', async () => {
    const t = setup();
    await t.run({ ref: '@mysql.other' });
    expect(t.calls.connections[0]?.fields.password).toBe('other-secret-value');
    expect(t.calls.connections[0]?.alias).toBe('other');
  });
});

describe('discovery cache', () => {
  it('serves a second call from the cache (only the fingerprint is read)', async () => {
    const t = setup();
    await t.run({ tables: ['users'], samples: 5 });
    const second = await t.run({ tables: ['users'], samples: 5 });
    expect(second.cache.status).toBe('hit');
    expect(second.cache.reason).toBeNull();
    expect(t.calls.list).toBe(1);
    expect(t.calls.describe).toEqual(['users']);
    expect(t.calls.sample).toHaveLength(1);
    expect(t.calls.fingerprint).toBe(2);
    expect(second.described[0]?.samples).toHaveLength(5);
  });

  it('adds newly requested tables to the cached entry (partial hit)', async () => {
    const t = setup();
    await t.run({ tables: ['users'], samples: 3 });
    const second = await t.run({ tables: ['orders'], samples: 3 });
    expect(second.cache.status).toBe('partial');
    expect(t.calls.list).toBe(1);
    const entry = readCache(second.cache.file).entry;
    expect(entry?.details.map((d) => d.name)).toEqual(['orders', 'users']);
    expect(entry?.samples.map((s) => s.name)).toEqual(['orders', 'users']);
  });

  it('reuses cached samples for fewer rows and re-reads for more', async () => {
    const t = setup();
    await t.run({ tables: ['users'], samples: 10 });
    const fewer = await t.run({ tables: ['users'], samples: 4 });
    expect(fewer.cache.status).toBe('hit');
    expect(fewer.described[0]?.samples).toHaveLength(4);
    const more = await t.run({ tables: ['users'], samples: 20 });
    expect(more.cache.status).toBe('partial');
    expect(more.described[0]?.samples).toHaveLength(20);
    expect(t.calls.sample.map((s) => s.limit)).toEqual([10, 20]);
  });

  it('expires after the TTL (default one hour)', async () => {
    const t = setup();
    await t.run();
    t.advance(3599);
    expect((await t.run()).cache.status).toBe('hit');
    t.advance(2);
    const expired = await t.run();
    expect(expired.cache.status).toBe('miss');
    expect(expired.cache.reason).toBe('expired');
    expect(expired.cache.ttlSeconds).toBe(3600);
    expect(t.calls.list).toBe(2);
  });

  it('takes the TTL from osiris.yaml discovery.cache_ttl_seconds, and from the option', async () => {
    const t = setup({}, { osirisYaml: 'version: "2.0"\ndiscovery:\n  cache_ttl_seconds: 10\n' });
    await t.run();
    t.advance(9);
    expect((await t.run()).cache.status).toBe('hit');
    t.advance(2);
    expect((await t.run()).cache).toMatchObject({ status: 'miss', reason: 'expired', ttlSeconds: 10 });
    t.advance(30);
    expect((await t.run({ ttlSeconds: 60 })).cache.status).toBe('hit');
  });

  it('rejects a bad TTL in osiris.yaml', async () => {
    const t = setup({}, { osirisYaml: 'version: "2.0"\ndiscovery:\n  cache_ttl_seconds: soon\n' });
    const error = await rejection(t.run());
    expect(error.diagnostics[0]?.code).toBe('DSC005');
    expect(error.exitCode).toBe(2);
  });

  it('is invalidated when the schema fingerprint changes', async () => {
    const t = setup();
    await t.run({ tables: ['users'], samples: 2 });
    t.state.fingerprint = 'fp-2';
    t.state.tables.push({ schema: 'shop', name: 'audit', columns: [{ name: 'id', type: 'int' }], rows: [] });
    const changed = await t.run({ tables: ['users'], samples: 2 });
    expect(changed.cache).toMatchObject({ status: 'miss', reason: 'schema_changed' });
    expect(changed.schemaFingerprint).toBe('fp-2');
    expect(changed.tables.map((x) => x.name)).toContain('audit');
    expect(t.calls.list).toBe(2);
    expect(t.calls.describe).toEqual(['users', 'users']);
    // The rewritten entry carries the new fingerprint: the next call is a hit again.
    expect((await t.run({ tables: ['users'], samples: 2 })).cache.status).toBe('hit');
    expect(readCache(changed.cache.file).entry?.schemaFingerprint).toBe('fp-2');
  });

  it('ignores the cache with refresh', async () => {
    const t = setup();
    await t.run({ tables: ['users'], samples: 2 });
    const refreshed = await t.run({ tables: ['users'], samples: 2, refresh: true });
    expect(refreshed.cache).toMatchObject({ status: 'miss', reason: 'refresh' });
    expect(t.calls.list).toBe(2);
    expect(t.calls.describe).toEqual(['users', 'users']);
  });

  it('treats an unreadable cache file as a miss and rewrites it', async () => {
    const t = setup();
    const first = await t.run();
    writeFileSync(first.cache.file, '{"format": 1, "key": tru');
    const second = await t.run();
    expect(second.cache).toMatchObject({ status: 'miss', reason: 'unreadable' });
    expect(readCache(first.cache.file).entry?.tables).toHaveLength(3);
  });

  it('keys the cache by connection identity, never by a secret', async () => {
    const t = setup();
    const result = await t.run({ samples: 30 });
    expect(result.cache.file).toBe(join(t.project.paths.cache, 'discovery', `${result.cache.key}.json`));
    expect(result.cache.key).toMatch(/^[0-9a-f]{64}$/);
    // Changing only the password keeps the key: the password is not part of it.
    const conn = { family: 'mysql', alias: 'primary', fields: { ...t.calls.connections[0]?.fields } };
    const other = { ...conn, fields: { ...conn.fields, password: 'something-else' } };
    expect(cacheKey(connectionIdentity(other))).toBe(result.cache.key);
    expect(cacheKey(connectionIdentity({ ...conn, fields: { ...conn.fields, database: 'x' } }))).not.toBe(
      result.cache.key,
    );
    // The canary password appears in no file name and no file content under the cache folder.
    expect(grepTree(t.project.paths.cache, CANARY)).toEqual([]);
    expect(readFileSync(result.cache.file, 'utf8')).toContain('db.example.internal');
  });
});
