/**
 * The writer's session: connected with a LOAD DATA stream slot, watched for a KILL, holding the target's
 * write lock (../write-lock.ts), in strict SQL mode with time zone UTC.
 */
import { Readable } from 'node:stream';
import { type StreamContext, stepCancelled } from '../../../runtime/driver.js';
import type { JsonValue } from '../../../yaml/json.js';
import { MysqlClient, type MysqlSettings, quoteMysqlIdent } from '../client.js';
import { lockMysqlTarget } from '../write-lock.js';
import type { LoadMethod } from './plan.js';

export interface WriterConnection {
  client: MysqlClient;
  /** The stream the next `LOAD DATA LOCAL INFILE` reads. */
  setStream(stream: Readable | undefined): void;
}

export interface WriterSession {
  /** LOAD DATA when the server allows local infile, INSERT otherwise (unless forced). */
  method: LoadMethod;
  /** Largest packet the server takes (bytes). */
  maxPacket: number;
  /** Ends the KILL watch (call once the session is done). */
  stopWatching(): Promise<void>;
}

export function throwIfCancelled(ctx: StreamContext): void {
  if (ctx.signal.aborted) throw stepCancelled(ctx.signal.reason);
}

/** A request for a local file outside a load is refused (the server should never ask). */
const noFile = (): Readable =>
  Readable.from(
    (async function* () {
      yield* [];
      throw new Error('the server asked for a local file outside a load');
    })(),
  );

export async function connectWriter(settings: MysqlSettings): Promise<WriterConnection> {
  let stream: Readable | undefined;
  const client = await MysqlClient.connect(settings, { infileStreamFactory: () => stream ?? noFile() });
  return {
    client,
    setStream: (s) => {
      stream = s;
    },
  };
}

/** Watches the session for a KILL, takes the target's write lock, sets the SQL mode, reads the limits. */
export async function prepareSession(
  ctx: StreamContext,
  client: MysqlClient,
  target: { database: string; table: string; shown: string; ref: string; method: LoadMethod | undefined },
): Promise<WriterSession> {
  // A KILL of this session is noticed within a second or two, not when the server's rollback ends.
  const stopWatching = await client.watchForKill();
  try {
    throwIfCancelled(ctx);
    await lockMysqlTarget(ctx, client, target);
    await sessionSqlMode(client);
    const [vars] = await client.rows('SELECT @@local_infile AS li, @@max_allowed_packet AS mp');
    const localInfile = String(vars?.li ?? '0') === '1' || String(vars?.li).toUpperCase() === 'ON';
    return {
      method: target.method ?? (localInfile ? 'load_data' : 'insert'),
      maxPacket: Number(vars?.mp ?? 4 * 1024 * 1024) || 4 * 1024 * 1024,
      stopWatching,
    };
  } catch (error) {
    await stopWatching();
    throw error;
  }
}

async function sessionSqlMode(client: MysqlClient): Promise<void> {
  const [row] = await client.rows('SELECT @@SESSION.sql_mode AS m');
  const modes = new Set(
    String(row?.m ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean),
  );
  // Strict: a value that does not fit fails instead of being truncated. Backslash escapes: the loaders use them.
  // NO_AUTO_VALUE_ON_ZERO: an input 0 in an AUTO_INCREMENT column stays 0.
  modes.add('STRICT_ALL_TABLES');
  modes.add('NO_AUTO_VALUE_ON_ZERO');
  modes.delete('NO_BACKSLASH_ESCAPES');
  await client.query('SET SESSION sql_mode = ?', [[...modes].join(',')]);
}

/** Drops staging tables of a failed write on a fresh connection (the step's own may be dead). */
export async function dropLeftovers(
  ctx: StreamContext,
  settings: MysqlSettings,
  tables: string[],
): Promise<void> {
  let cleaner: MysqlClient | undefined;
  try {
    cleaner = await MysqlClient.connect(settings);
    for (const t of tables) await cleaner.query(`DROP TABLE IF EXISTS ${quoteMysqlIdent(t)}`);
  } catch (error) {
    const details: Record<string, JsonValue> = {
      level: 'warning',
      tables,
      message: `could not drop staging table(s) ${tables.join(', ')}: ${error instanceof Error ? error.message : String(error)}`,
    };
    ctx.emit('cleanup_failed', details);
  } finally {
    await cleaner?.end().catch(() => undefined);
  }
}
