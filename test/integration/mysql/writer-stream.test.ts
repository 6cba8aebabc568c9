/**
 * mysql.writer's two paths write the same target: rows passed straight from an extractor (writeStream) and
 * rows loaded from the extractor's DuckDB table (run), table to table — column types and the HEX of every
 * cell — for a new table, append, replace and upsert, with LOAD DATA and with batched INSERT, from MySQL (the
 * type test's table) and from Postgres. Then the stream's own failures: values MySQL cannot store, a key the
 * input holds twice, an empty stream, a failing source; each leaves the target unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as extractor } from '../../../src/components/mysql.extractor/driver.js';
import {
  forceLoadMethod,
  type LoadMethod,
  driver as writer,
} from '../../../src/components/mysql.writer/driver.js';
import { driver as pgExtractor } from '../../../src/components/postgres.extractor/driver.js';
import type { Driver, ResolvedConnection, StreamSource } from '../../../src/runtime/driver.js';
import type { RowStream, StreamRow } from '../../../src/runtime/stream.js';
import { UpstreamFailed } from '../../../src/runtime/stream.js';
import type { JsonObject } from '../../../src/yaml/json.js';
import { mysqlUnavailable, postgresUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { openPgFixture, type PgFixture } from '../postgres/helpers.js';
import { createTestDb, failure, type MysqlTestDb } from './helpers.js';
import { COLUMNS, ROWS } from './type-rows.js';

const why = await mysqlUnavailable();
const whyPg = why ?? (await postgresUnavailable());

/** The type table's columns that stream (TINYINT(1), TIME and DECIMAL(65,30) may widen: materialised). */
const STREAMED = COLUMNS.split('\n')
  .flatMap((line) => line.split(/,\s*(?![^(]*\))/))
  .map((c) => c.trim().split(/\s+/)[0] ?? '')
  .filter((c) => c !== '' && !['b1', 'tm', 'd65'].includes(c));

describe.skipIf(why !== undefined)('mysql.writer: pass-through and materialised paths agree', () => {
  let db: MysqlTestDb;
  let plane: TestPlane;

  beforeAll(async () => {
    db = await createTestDb('mysql_ws');
    plane = await openTestPlane('osiris-mysql-ws-');
    await db.admin.query(`CREATE TABLE types_src (${COLUMNS}) CHARACTER SET utf8mb4`);
    await db.admin.query("SET SESSION sql_mode = ''");
    await db.admin.query(`INSERT INTO types_src VALUES ${ROWS.join(',\n')}`);
    await db.admin.query('SET SESSION sql_mode = DEFAULT');
    await db.admin.query(`CREATE TABLE shape AS SELECT ${STREAMED.join(', ')} FROM types_src WHERE 0`);
    await db.admin.query('ALTER TABLE shape ADD PRIMARY KEY (id)');
  });

  afterAll(async () => {
    plane?.close();
    await db?.drop();
  });

  const read = { query: `SELECT ${STREAMED.join(', ')} FROM types_src` };

  /** Runs the writer on the stream of `source` (a pass-through pair without the runner). */
  async function streamInto(
    reader: Driver,
    readConfig: JsonObject,
    readConnection: ResolvedConnection,
    writerId: string,
    config: JsonObject,
  ) {
    const source = await reader.openStream?.(
      plane.context(`${writerId}_src`, readConfig, { connection: readConnection }),
    );
    if (!source || 'declined' in source) throw new Error(`declined: ${JSON.stringify(source)}`);
    expect(writer.streamDeclined?.({ config, connection: db.connection() }, source.columns)).toBeUndefined();
    const ctx = plane.context(writerId, config, { connection: db.connection(), needs: [`${writerId}_src`] });
    if (!writer.writeStream) throw new Error('mysql.writer has no writeStream');
    const written = writer.writeStream(ctx, source).catch((error: unknown) => {
      source.cancel(error);
      throw error;
    });
    const [r, w] = await Promise.allSettled([source.result, written]);
    if (w.status === 'rejected') throw w.reason;
    if (r.status === 'rejected') throw r.reason;
    return w.value;
  }

  async function materialise(
    reader: Driver,
    readConfig: JsonObject,
    readConnection: ResolvedConnection,
    writerId: string,
    config: JsonObject,
  ) {
    await plane.runStep(reader, `${writerId}_src`, readConfig, { connection: readConnection });
    return plane.runStep(writer, writerId, config, {
      connection: db.connection(),
      needs: [`${writerId}_src`],
    });
  }

  /** Column types and every cell as HEX, ordered by id. */
  async function snapshot(table: string) {
    const cols = await db.rows(
      `SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t, IS_NULLABLE AS n, COLUMN_KEY AS k FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [db.name, table],
    );
    const rows = await db.rows(
      `SELECT ${cols.map((c) => `HEX(\`${String(c.c)}\`) AS \`${String(c.c)}\``).join(', ')} FROM \`${table}\` ORDER BY 1`,
    );
    return { cols, rows };
  }

  async function prefill(table: string, stale = true) {
    await db.admin.query(`DROP TABLE IF EXISTS \`${table}\`; CREATE TABLE \`${table}\` LIKE shape`);
    // Row 1 differs from the source (an upsert updates it), row 9 is not in it (kept by append and upsert).
    await db.admin.query(
      `INSERT INTO \`${table}\` (${STREAMED.join(', ')}) SELECT ${STREAMED.map((c) => (c === 'id' ? 'id + 8' : c)).join(', ')} FROM types_src WHERE id = 1`,
    );
    if (stale) await db.admin.query(`INSERT INTO \`${table}\` (id, vc) VALUES (1, 'stale')`);
  }

  const cases: [string, JsonObject, boolean][] = [
    ['new', { primary_key: 'id' }, false],
    ['append', { write_mode: 'append' }, true],
    ['replace', { write_mode: 'replace' }, true],
    ['upsert', { write_mode: 'upsert', primary_key: 'id' }, true],
  ];
  for (const method of ['load_data', 'insert'] as LoadMethod[])
    for (const [mode, config, existing] of cases)
      it(`MySQL → mysql.writer, ${mode} with ${method}: the same table both ways`, async () => {
        const tag = `${mode}_${method === 'insert' ? 'i' : 'l'}`;
        const [s, m] = [`s_${tag}`, `m_${tag}`];
        if (existing) {
          await prefill(s, mode !== 'append');
          await prefill(m, mode !== 'append');
        }
        forceLoadMethod(method);
        try {
          const a = await streamInto(extractor, read, db.connection(), s, {
            table: s,
            batch_size: 2,
            ...config,
          });
          const b = await materialise(extractor, read, db.connection(), m, {
            table: m,
            batch_size: 2,
            ...config,
          });
          expect(a.rowsWritten).toBe(b.rowsWritten);
        } finally {
          forceLoadMethod(undefined);
        }
        const [sa, sb] = [await snapshot(s), await snapshot(m)];
        expect(sa.cols).toEqual(sb.cols);
        expect(sa.rows).toEqual(sb.rows);
        expect(sa.rows.length).toBe(mode === 'replace' || mode === 'new' ? 3 : 4);
        const ddl = (id: string) =>
          String(
            plane.recorded.get(id)?.events.find((e) => e.event === 'table_created')?.data?.ddl ?? '',
          ).replace(id, '');
        expect(ddl(s)).toBe(ddl(m));
        const started = plane.recorded.get(s)?.events.find((e) => e.event === 'write_started');
        expect(started?.data).toMatchObject({ pass_through: true, method });
      });

  it('sizes a new table by the longest values, as the materialised path does', async () => {
    const long = { query: "SELECT 1 AS id, REPEAT('é', 300) AS t, REPEAT('x', 70000) AS big, 'k' AS k" };
    await streamInto(extractor, long, db.connection(), 'long_s', { table: 'long_s', primary_key: 'k' });
    await materialise(extractor, long, db.connection(), 'long_m', { table: 'long_m', primary_key: 'k' });
    const [a, b] = [await snapshot('long_s'), await snapshot('long_m')];
    expect(a.cols).toEqual(b.cols);
    expect(a.cols.map((c) => c.t)).toEqual(['int(11)', 'text', 'mediumtext', 'varchar(255)']);
    expect(a.rows).toEqual(b.rows);
  });

  for (const method of ['load_data', 'insert'] as LoadMethod[])
    it(`widens a new table when a longer value comes after rows were loaded (${method})`, async () => {
      const late = {
        query:
          "SELECT seq AS id, IF(seq = 4500, REPEAT('é', 300), 'a') AS t, IF(seq = 9000, REPEAT('x', 70000), NULL) AS big FROM seq_1_to_9001",
      };
      const tag = method === 'insert' ? 'i' : 'l';
      forceLoadMethod(method);
      try {
        await streamInto(extractor, late, db.connection(), `late_s${tag}`, {
          table: `late_s${tag}`,
          batch_size: 1000,
        });
        await materialise(extractor, late, db.connection(), `late_m${tag}`, { table: `late_m${tag}` });
      } finally {
        forceLoadMethod(undefined);
      }
      const [a, b] = [await snapshot(`late_s${tag}`), await snapshot(`late_m${tag}`)];
      expect(a.cols.map((c) => c.t)).toEqual(['bigint(20) unsigned', 'text', 'mediumtext']);
      expect(a.cols).toEqual(b.cols);
      expect(a.rows).toEqual(b.rows);
    });

  /** A stream of hand-made rows, for the failures a real source cannot produce on demand. */
  function rows(columns: RowStream['columns'], batches: StreamRow[][], fail?: Error): StreamSource {
    return {
      columns,
      batches: (async function* () {
        for (const b of batches) yield b;
        if (fail) throw new UpstreamFailed('src', fail);
      })(),
      result: Promise.resolve({}),
      cancel: () => {},
    };
  }

  const write = (id: string, config: JsonObject, source: StreamSource) =>
    writer.writeStream?.(
      plane.context(id, config, { connection: db.connection(), needs: ['src'] }),
      source,
    ) ?? Promise.reject(new Error('no writeStream'));

  it('fails on a value MySQL cannot store, a duplicate upsert key, an empty stream, a failed source; the target is unchanged', async () => {
    await prefill('guarded');
    const before = await db.fingerprint('guarded');
    const cols = [
      { name: 'id', type: 'INTEGER' },
      { name: 'dbl', type: 'DOUBLE' },
    ];
    const many = Array.from({ length: 5000 }, (_, i) => [i + 100, 1.5] as StreamRow);
    for (const method of ['load_data', 'insert'] as LoadMethod[]) {
      forceLoadMethod(method);
      try {
        const inf = await failure(
          write('w_inf', { table: 'guarded' }, rows(cols, [many, [[1, Number.NaN]]])),
        );
        expect(inf).toMatchObject({
          code: 'write.value_unrepresentable',
          details: { column: 'dbl', first_row: 5001 },
        });
        const dup = await failure(
          write(
            'w_dup',
            { table: 'guarded', write_mode: 'upsert', primary_key: 'id' },
            rows(cols, [many, [[100, 2]]]),
          ),
        );
        expect(dup).toMatchObject({ code: 'write.duplicate_key' });
        expect(dup.message).toContain('key (100) more than once');
        const empty = await failure(
          write('w_empty', { table: 'guarded', write_mode: 'replace' }, rows(cols, [])),
        );
        expect(empty).toMatchObject({ code: 'write.empty_input' });
        const upstream = await failure(
          write('w_up', { table: 'guarded' }, rows(cols, [many], new Error('boom'))),
        );
        expect(upstream).toMatchObject({ code: 'runtime.dependency_failed' });
        const nullKey = await failure(
          write(
            'w_null',
            { table: 'fresh_null', primary_key: 'id', write_mode: 'upsert' },
            rows(cols, [[[null, 1]]]),
          ),
        );
        expect(nullKey).toMatchObject({ code: 'write.value_unrepresentable', details: { column: 'id' } });
      } finally {
        forceLoadMethod(undefined);
      }
      expect(await db.fingerprint('guarded')).toEqual(before);
      expect(await db.fingerprint('fresh_null')).toMatchObject({ rows: -1 });
    }
    const left = await db.rows(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '%osiris%'",
      [db.name],
    );
    expect(left).toEqual([]);
    const ok = await write('w_empty_ok', { table: 'guarded', allow_empty: true }, rows(cols, []));
    expect(ok).toMatchObject({ rowsWritten: 0 });
  });

  it('declines columns that need DuckDB to render them', () => {
    const declined = writer.streamDeclined?.({ config: {}, connection: undefined }, [
      { name: 'id', type: 'INTEGER' },
      { name: 'tags', type: 'VARCHAR[]' },
    ]);
    expect(declined).toBe("column 'tags' (VARCHAR[]) needs DuckDB to render it for MySQL");
  });

  describe.skipIf(whyPg !== undefined)('from Postgres', () => {
    let pg: PgFixture;
    beforeAll(async () => {
      pg = await openPgFixture();
      await pg.exec(`CREATE TABLE ${pg.q('src')} (
        id int PRIMARY KEY, b boolean, s smallint, i int, big bigint, r real, d double precision,
        n numeric(12,2), dt date, ts timestamp(6), tz timestamptz, t time, u uuid, j jsonb, v varchar(20), tx text);
        SET TIME ZONE 'Asia/Kolkata';
        INSERT INTO ${pg.q('src')} VALUES
        (1, true, -32768, 2147483647, -9223372036854775808, 0.1, 0.30000000000000004, -1234567890.12,
         '2024-02-29', '2024-02-29 23:59:59.123456', '2024-06-30 23:59:59.999999+05:30', '23:59:59.5',
         '123e4567-e89b-12d3-a456-426655440000', '{"a": [1, "é"]}', 'zoë 😀', E'tab\\there\\nnl \\\\ back ''q'''),
        (2, false, 0, 0, 0, -3.5, 1e300, 0, '1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:01+00',
         '00:00:00', NULL, 'null', '', ''),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        RESET TIME ZONE`);
    });
    afterAll(async () => {
      await pg?.close();
    });

    for (const method of ['load_data', 'insert'] as LoadMethod[])
      it(`Postgres → mysql.writer with ${method}: the same new table both ways`, async () => {
        const tag = method === 'insert' ? 'i' : 'l';
        forceLoadMethod(method);
        try {
          await streamInto(pgExtractor, { table: 'src' }, pg.connection(), `pg_s_${tag}`, {
            table: `pg_s_${tag}`,
            primary_key: 'id',
          });
          await materialise(pgExtractor, { table: 'src' }, pg.connection(), `pg_m_${tag}`, {
            table: `pg_m_${tag}`,
            primary_key: 'id',
          });
        } finally {
          forceLoadMethod(undefined);
        }
        const [a, b] = [await snapshot(`pg_s_${tag}`), await snapshot(`pg_m_${tag}`)];
        expect(a.cols).toEqual(b.cols);
        expect(a.rows).toEqual(b.rows);
        const [row] = await db.rows(
          `SELECT CAST(tz AS CHAR) tz, CAST(r AS CHAR) r, tx FROM \`pg_s_${tag}\` WHERE id = 1`,
        );
        expect(row).toEqual({ tz: '2024-06-30 18:29:59.999999', r: '0.1', tx: "tab\there\nnl \\ back 'q'" });
      });
  });
});
