/**
 * mysql.extractor's pass-through source on its own, against the local MariaDB, with a consumer that reads
 * slowly: back-pressure must pause the socket and still let the source finish its transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMysqlStream as openStream } from '../../../src/connectors/mysql/stream.js';
import type { StepContext, StreamSource } from '../../../src/runtime/driver.js';
import type { StreamRow } from '../../../src/runtime/stream.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();

/** Rows per batch and batches the channel holds (pass-through.ts): 8 full batches + 1 row. */
const ROWS = 8 * 2048 + 1;

describe.skipIf(why !== undefined)('mysql.extractor pass-through source', () => {
  let db: MysqlTestDb;
  const events: string[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    await db.admin.query(
      `CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_${ROWS}`,
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  function context(config: StepContext['config']): StepContext {
    return {
      stepId: 'extract',
      config,
      connection: db.connection(),
      inputs: [],
      duck: undefined as unknown as StepContext['duck'], // a pass-through source never touches DuckDB
      outputTable: '"extract"',
      artifactsDir: '',
      scratchDir: '',
      projectRoot: '',
      claim: () => {},
      emit: (event) => events.push(event),
      metric: () => {},
      progress: () => {},
      signal: new AbortController().signal,
    };
  }

  async function open(config: StepContext['config']): Promise<StreamSource> {
    const source = await openStream(context(config));
    if ('declined' in source) throw new Error(`declined: ${source.declined}`);
    return source;
  }

  it('finishes its read while the consumer lags (the last batch fills the channel)', async () => {
    const source = await open({ table: 't' });
    expect(source.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'v', type: 'VARCHAR' },
    ]);
    const reader = source.batches[Symbol.asyncIterator]();
    const first = await reader.next(); // starts the query; then the consumer stalls
    // Every other batch lands in the channel; the last one fills it and pauses the socket. The source must
    // still commit and report, not wait forever for a reply it stopped reading.
    const result = await Promise.race([
      source.result,
      new Promise((_, reject) => setTimeout(() => reject(new Error('source never finished')), 5000)),
    ]);
    expect(result).toMatchObject({ rowsRead: ROWS, rowsOut: ROWS });
    let rows = (first.value as StreamRow[]).length;
    let last: StreamRow | undefined;
    for (let next = await reader.next(); !next.done; next = await reader.next()) {
      rows += next.value.length;
      last = next.value.at(-1);
    }
    expect(rows).toBe(ROWS);
    expect(last).toEqual([ROWS, `v${ROWS}`]);
    expect(events).toContain('extract_started');
  });

  it('releases the connection when cancelled before reading', async () => {
    // Only this test's database: other test files share the server.
    const sessions = () =>
      db.rows('SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [
        db.name,
      ]);
    const before = await sessions();
    const source = await open({ table: 't' });
    source.cancel();
    await expect(source.result).rejects.toMatchObject({ code: 'runtime.cancelled' });
    // The server notices the closed socket shortly after: wait for it (bounded), then compare.
    for (let i = 0; i < 100 && (await sessions()).length !== before.length; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await sessions()).toEqual(before);
  });

  it('declines a read whose columns may widen', async () => {
    await db.admin.query('CREATE TABLE f (id INT, ok TINYINT(1))');
    const source = await openStream(context({ table: 'f' }));
    expect(source).toEqual({ declined: "column 'ok' (TINYINT(1)) may widen as values arrive" });
  });
});
