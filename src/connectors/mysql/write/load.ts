/**
 * One load of rendered rows into one table, inside the caller's transaction: `LOAD DATA LOCAL INFILE` from a
 * stream when the server allows it (measured ~2× faster than batched INSERT here), batched multi-row INSERTs
 * otherwise. Every load checks the affected-row and warning counts (warnings.ts).
 */
import { Readable } from 'node:stream';
import type { StreamContext } from '../../../runtime/driver.js';
import { type MysqlClient, type MysqlOk, quoteMysqlIdent } from '../client.js';
import type { LoadMethod } from './plan.js';
import { BINARY_TARGETS, stringColumns, type WarnedColumn, warningsError } from './warnings.js';

export interface LoadColumn extends WarnedColumn {
  /** Input column (DuckDB, or the stream's column). */
  input: string;
}

/**
 * Between two chunks: the load stops (the statement under way completes), `pause` changes the table — an
 * ALTER that widens a column of a new table for the values that follow — and the load goes on.
 */
export interface Pause {
  pause(): Promise<void>;
}

export type RenderedChunk = readonly string[] | Pause;

const isPause = (chunk: RenderedChunk): chunk is Pause => (chunk as Partial<Pause>).pause !== undefined;

/**
 * Rows rendered for the server in chunks: INSERT tuples `(…)`, or LOAD DATA lines without the newline.
 * `open` starts the rendering (a DuckDB query fails here, before the server is asked to load).
 */
export interface RenderedRows {
  open(method: LoadMethod): Promise<AsyncIterable<RenderedChunk>>;
}

export interface LoadOptions {
  ctx: StreamContext;
  client: MysqlClient;
  rows: RenderedRows;
  /** Quoted target (`db`.`t` or `t`). */
  target: string;
  columns: LoadColumn[];
  method: LoadMethod;
  batchSize: number;
  /** Largest packet the server takes (bytes). */
  maxPacket: number;
  setStream: (stream: Readable | undefined) => void;
  /** Rows already written by earlier loads of this step (for progress). */
  progressBase: number;
}

/** Bytes allowed in the socket's write buffer before the LOAD DATA stream waits for the server. */
const WRITE_BUFFER_LIMIT = 4 * 1024 * 1024;

/** Streams the rows into `target` and returns the rows sent (checked against what the server took). */
export function loadRows(o: LoadOptions): Promise<number> {
  return o.method === 'insert' ? insertRows(o) : loadDataRows(o);
}

/** Multi-row INSERTs, one in flight while the next batch is rendered. */
async function insertRows(o: LoadOptions): Promise<number> {
  const { ctx, client } = o;
  const prefix = `INSERT INTO ${o.target} (${o.columns.map((c) => quoteMysqlIdent(c.target)).join(', ')}) VALUES `;
  // UTF-16 length × 3 bounds the UTF-8 size; keep a statement under half the packet limit.
  const maxChars = Math.max(64 * 1024, Math.floor(o.maxPacket / 6));
  let buf: string[] = [];
  let chars = 0;
  let sent = 0;
  let inflight: { promise: Promise<MysqlOk>; rows: number } | undefined;
  const chunks = await o.rows.open('insert');
  const settle = async () => {
    if (!inflight) return;
    const { promise, rows } = inflight;
    inflight = undefined;
    const ok = await promise;
    if (ok.warningStatus > 0 || ok.affectedRows !== rows)
      throw await warningsError(
        client,
        `${ok.affectedRows} of ${rows} rows inserted`,
        stringColumns(o.columns),
      );
    sent += rows;
    ctx.progress(o.progressBase + sent);
  };
  const send = async () => {
    if (!buf.length) return;
    const sql = prefix + buf.join(',');
    const rows = buf.length;
    buf = [];
    chars = 0;
    await settle();
    const promise = client.run(sql);
    promise.catch(() => undefined);
    // One statement in flight: the next batch is rendered while MySQL inserts this one.
    inflight = { promise, rows };
  };
  for await (const chunk of chunks) {
    if (isPause(chunk)) {
      await send();
      await settle();
      await chunk.pause();
      continue;
    }
    for (const value of chunk) {
      buf.push(value);
      chars += value.length + 1;
      if (buf.length >= o.batchSize || chars >= maxChars) await send();
    }
  }
  await send();
  await settle();
  return sent;
}

/** The column list and SET clause of LOAD DATA: bytes travel as hex, BIT values as numbers. */
function loadDataColumns(columns: LoadColumn[]): string {
  const spec: string[] = [];
  const sets: string[] = [];
  columns.forEach((c, i) => {
    const target = quoteMysqlIdent(c.target);
    const dt = c.targetDataType?.toLowerCase();
    if (c.category === 'blob' && (dt === undefined || BINARY_TARGETS.has(dt))) {
      spec.push(`@v${i}`);
      sets.push(`${target} = UNHEX(@v${i})`);
    } else if (dt === 'bit') {
      spec.push(`@v${i}`);
      sets.push(`${target} = CAST(@v${i} AS UNSIGNED)`);
    } else spec.push(target);
  });
  return `(${spec.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`;
}

/** LOAD DATA LOCAL INFILE from a stream, one statement per stretch between pauses. */
async function loadDataRows(o: LoadOptions): Promise<number> {
  const chunks = (await o.rows.open('load_data'))[Symbol.asyncIterator]();
  let streamed = 0;
  try {
    for (;;) {
      const stretch = await loadDataStretch(o, chunks, streamed);
      streamed += stretch.rows;
      if (!stretch.pause) return streamed;
      await stretch.pause.pause();
    }
  } catch (error) {
    // A load that failed early leaves the rows' iterator suspended: release its source (a stream's extractor).
    void chunks.return?.();
    throw error;
  }
}

/** One LOAD DATA statement over the chunks up to the next pause (or the end), throttled to the server. */
async function loadDataStretch(
  o: LoadOptions,
  chunks: AsyncIterator<RenderedChunk>,
  before: number,
): Promise<{ rows: number; pause: Pause | undefined }> {
  const { ctx, client } = o;
  const maxBytes = Math.max(16 * 1024, Math.min(1 << 20, Math.floor(o.maxPacket / 4)));
  let streamed = 0;
  let pause: Pause | undefined;
  async function* lines(): AsyncGenerator<Buffer> {
    let parts: string[] = [];
    let size = 0;
    let rows = 0;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      if (isPause(next.value)) {
        pause = next.value;
        break;
      }
      for (const line of next.value) {
        parts.push(line);
        size += line.length * 3 + 1;
        rows += 1;
        if (rows >= o.batchSize || size >= maxBytes) {
          await client.writeBufferBelow(WRITE_BUFFER_LIMIT);
          yield Buffer.from(`${parts.join('\n')}\n`, 'utf8');
          streamed += rows;
          ctx.progress(o.progressBase + before + streamed);
          parts = [];
          size = 0;
          rows = 0;
        }
      }
    }
    if (parts.length) {
      yield Buffer.from(`${parts.join('\n')}\n`, 'utf8');
      streamed += rows;
      ctx.progress(o.progressBase + before + streamed);
    }
  }
  const input = Readable.from(lines());
  o.setStream(input);
  try {
    const ok = await client.run(
      `LOAD DATA LOCAL INFILE 'osiris-input' INTO TABLE ${o.target} CHARACTER SET utf8mb4 ` +
        String.raw`FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' ` +
        loadDataColumns(o.columns),
    );
    if (ok.warningStatus > 0 || ok.affectedRows !== streamed)
      throw await warningsError(
        client,
        `${ok.affectedRows} of ${streamed} rows loaded; ${ok.info.trim()}`,
        stringColumns(o.columns),
      );
    return { rows: streamed, pause };
  } finally {
    o.setStream(undefined);
    input.destroy();
  }
}
