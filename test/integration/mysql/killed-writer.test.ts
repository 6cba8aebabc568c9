/**
 * A mysql.writer whose own connection is KILLed mid-append fails within seconds. The server only tells the
 * client once it has rolled the transaction back, and undoing rows appended to a non-empty table goes row by
 * row: the run used to wait that long (1 min 51 s in the field) while replace and upsert, loading an empty
 * staging table that MariaDB empties at once, failed in under a second.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forceLoadMethod, driver as writer } from '../../../src/components/mysql.writer/driver.js';
import { MYSQL, mysqlUnavailable } from '../../helpers/databases.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();
const ROWS = 400_000;

describe.skipIf(why !== undefined)('mysql.writer: its connection killed mid-append', () => {
  let db: MysqlTestDb;
  let plane: TestPlane;
  /** The target's fingerprint before the last appendAndKill. */
  let before: Awaited<ReturnType<MysqlTestDb['fingerprint']>> | undefined;

  beforeAll(async () => {
    db = await createTestDb();
    plane = await openTestPlane('osiris-mysql-kill-');
    await plane.plane.connection.run(
      `CREATE TABLE big AS SELECT i + 10 AS id, 'row ' || i AS name, md5(i::VARCHAR) AS h FROM range(${ROWS}) r(i)`,
    );
  });
  afterAll(async () => {
    plane?.close();
    await db?.drop();
  });

  /**
   * Appends `big` to a non-empty indexed target and KILLs the writer's own session (the id it reports in
   * write_started) halfway; `onKill` runs just before the KILL. Returns the step's error and how long after
   * the KILL it came.
   */
  async function appendAndKill(
    method: 'insert' | 'load_data',
    connectionFields: Record<string, number> = {},
    onKill: () => void = () => {},
  ): Promise<{ error: { code?: string; message?: string } | undefined; noticedMs: number }> {
    await db.admin.query(`DROP TABLE IF EXISTS target;
      CREATE TABLE target (id INT PRIMARY KEY, name VARCHAR(40), h CHAR(32), KEY (name), KEY (h));
      INSERT INTO target VALUES (1, 'one', 'a'), (2, 'two', 'b');`);
    before = await db.fingerprint('target');
    const step = `w-${method}-${Object.keys(connectionFields).length}`;
    forceLoadMethod(method);
    let killedAt = 0;
    const pending = plane
      .runStep(
        writer,
        step,
        { table: 'target', write_mode: 'append', batch_size: 2000 },
        {
          connection: db.connection(connectionFields),
          needs: ['big'],
        },
      )
      .finally(() => forceLoadMethod(undefined));
    const killer = (async () => {
      for (;;) {
        const rec = plane.recorded.get(step);
        const id = Number(rec?.events.find((e) => e.event === 'write_started')?.data?.connection_id);
        if (id > 0 && (rec?.progress.at(-1) ?? 0) >= ROWS / 2) {
          onKill();
          killedAt = Date.now();
          await db.admin.query(`KILL ${id}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const error = (await pending.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string; message?: string } | undefined;
    await killer;
    return { error, noticedMs: Date.now() - killedAt };
  }

  // (faults.test.ts kills the insert path too; this one times the failure.)
  it('fails within seconds and leaves the target unchanged', { timeout: 60_000 }, async () => {
    const { error, noticedMs } = await appendAndKill('load_data');
    expect(error?.code, error?.message).toBe('connection.lost');
    expect(noticedMs).toBeLessThan(8000);
    expect(await db.fingerprint('target')).toEqual(before);
  });

  it('fails within seconds when the server keeps the socket open and silent after the KILL', {
    timeout: 60_000,
  }, async () => {
    // A proxy in front of the server that, at the KILL, stops passing bytes and leaves every socket open:
    // the client hears nothing until the server's rollback ends (minutes), which is what the field saw.
    const frozen = new Set<Socket>();
    const links: Array<[Socket, Socket]> = [];
    const proxy: Server = createServer((client) => {
      const server = tcpConnect(MYSQL.port, MYSQL.host);
      client.pipe(server);
      server.pipe(client);
      for (const s of [client, server]) s.on('error', () => {});
      links.push([client, server]);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    // The writer's own session is the first connection through the proxy (its watcher comes second).
    const freeze = () => {
      const [client, server] = links[0] as [Socket, Socket];
      client.unpipe(server);
      server.unpipe(client);
      client.pause();
      server.pause();
      frozen.add(client);
    };
    try {
      const { error, noticedMs } = await appendAndKill('load_data', { port }, freeze);
      expect(error?.code, error?.message).toBe('connection.lost');
      expect(error?.message).toContain('the server ended this session');
      expect(noticedMs).toBeLessThan(8000);
    } finally {
      for (const [client, server] of links) {
        client.destroy();
        server.destroy();
      }
      proxy.close();
    }
  });
});
