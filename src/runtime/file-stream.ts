/**
 * File writers as pass-through consumers (docs/adr/0019): a database extractor's rows go to a CSV, Parquet
 * or JSON file without a DuckDB table. The batches are written as CSV text (csv-feed.ts) into a named pipe
 * in the run's scratch folder, which one `COPY (SELECT … FROM read_csv(<pipe>)) TO <temp>` reads while the
 * rows arrive: DuckDB still renders the file (same COPY options, so the same bytes as the general path), the
 * rows cross into it in bulk, and reading the source overlaps writing the file. Everything around the COPY —
 * target checks, lock, append, atomic rename, empty-input rule — is the general path's
 * (`writeFileAtomically`).
 *
 * Memory stays bounded: the source's channel holds a few batches, the pipe 64 KB, DuckDB one read buffer.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import { csvFeedEncoder, FEED_BUFFER_BYTES, readCsvFeed, unfedColumns } from './csv-feed.js';
import { type ColumnInfo, quoteIdent, quoteLiteral, runTracked } from './dataplane.js';
import { StepError, type StepResult, type StreamContext } from './driver.js';
import { messageOf } from './duckdb-errors.js';
import { type FileWriterPlan, singleInput, writeFileAtomically } from './file-output.js';
import { type CsvCopy, type LineFeed, type RowStream, UpstreamFailed } from './stream.js';

const PASS_THROUGH_OFF = 'set runtime.pass_through: false in osiris.yaml to write through a DuckDB table';

/** Why a file writer cannot take these columns as a stream (the pair then materialises), or undefined. */
export function fileStreamDeclined(columns: readonly ColumnInfo[]): string | undefined {
  if (process.platform === 'win32') return 'named pipes are not available on Windows';
  const unfed = unfedColumns(columns);
  if (unfed.length)
    return `column${unfed.length > 1 ? 's' : ''} ${unfed.join(', ')} need${unfed.length > 1 ? '' : 's'} a DuckDB table`;
  return undefined;
}

/** Loads a row stream into the writer's file the way `runFileWriter` loads a table. */
export function writeFileStream(
  ctx: StreamContext,
  plan: FileWriterPlan,
  stream: RowStream,
): Promise<StepResult> {
  const input = singleInput(ctx);
  const pipe = join(ctx.scratchDir, `feed-${randomBytes(6).toString('hex')}.csv`);
  const feed = stream.lines;
  const relation = feed ? readLines(pipe, stream.columns, feed) : readCsvFeed(pipe, stream.columns);
  const fed = { stepId: input.stepId, table: relation };
  return writeFileAtomically(ctx, plan, fed, stream.columns, async (part, select, copyOptions) => {
    const copy = `COPY (${select}) TO ${quoteLiteral(part)} (${copyOptions})`;
    try {
      const direct = feed && csvAsWritten(feed, stream.columns, relation, select, copyOptions);
      if (direct) {
        ctx.emit('write.source_csv', { upstream_step: input.stepId });
        await writeChunks(ctx, direct.chunks(), part);
        feed?.loaded();
        return direct.rows();
      }
      const rows = await feedCopy(
        ctx,
        feed ? gatheredLines(feed.chunks()) : encodedBatches(stream),
        pipe,
        copy,
      );
      feed?.loaded();
      return rows;
    } catch (error) {
      if (feed && !ctx.signal.aborted && isConversionError(error))
        throw upstreamFailed(
          ctx,
          input.stepId,
          new UpstreamFailed(input.stepId, feed.conversionFailed(error)),
        );
      if (error instanceof UpstreamFailed && !ctx.signal.aborted)
        throw upstreamFailed(ctx, input.stepId, error);
      if (/maximum line size/i.test(messageOf(error)))
        throw new StepError(
          'write.failed',
          `step '${ctx.stepId}': a row of '${input.stepId}' is longer than ${FEED_BUFFER_BYTES} bytes as text, more than a streamed write takes`,
          PASS_THROUGH_OFF,
          { cause: error },
        );
      throw error;
    } finally {
      rmSync(pipe, { force: true });
    }
  });
}

function upstreamFailed(ctx: StreamContext, upstream: string, error: UpstreamFailed): StepError {
  return new StepError(
    'runtime.dependency_failed',
    `step '${ctx.stepId}': upstream step '${upstream}' failed while its rows were streaming in; the target file is unchanged`,
    `fix step '${upstream}' (its error is above)`,
    { cause: error, details: { upstream_step: upstream } },
  );
}

/** DuckDB could not turn a field's text into its column type. */
function isConversionError(error: unknown): boolean {
  return /^(Conversion Error|Invalid Input Error: Could not convert)/.test(messageOf(error));
}

/** The relation a line feed is read as: raw fields c1…cN, each turned into its column by the source's SQL. */
function readLines(path: string, columns: readonly ColumnInfo[], feed: LineFeed): string {
  const raw = columns.map((_, i) => `${quoteLiteral(`c${i + 1}`)}: 'VARCHAR'`).join(', ');
  const values = columns.map(
    (c, i) => `${feed.columnSql(i, quoteIdent(`c${i + 1}`))} AS ${quoteIdent(c.name)}`,
  );
  return `(SELECT ${values.join(', ')} FROM read_csv(${quoteLiteral(path)}, columns = {${raw}}, ${feed.readOptions}, buffer_size = ${FEED_BUFFER_BYTES}, max_line_size = ${FEED_BUFFER_BYTES})) AS osiris_feed`;
}

/** Bytes for the pipe and the rows they hold. */
interface FeedPiece {
  bytes: Uint8Array;
  rows: number;
}

/** The stream's batches as feed text (csv-feed.ts). */
async function* encodedBatches(stream: RowStream): AsyncGenerator<FeedPiece> {
  const encode = csvFeedEncoder(stream.columns);
  for await (const batch of stream.batches) yield { bytes: encode(batch), rows: batch.length };
}

/** Pipe writes of at least this many bytes: a source's chunks can be one row each. */
const WRITE_BYTES = 256 * 1024;

/** The source's own lines, gathered into larger writes; rows are counted by their newlines. */
async function* gatheredLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<FeedPiece> {
  let held: Uint8Array[] = [];
  let size = 0;
  let rows = 0;
  for await (const chunk of chunks) {
    held.push(chunk);
    size += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
    if (size < WRITE_BYTES) continue;
    yield { bytes: Buffer.concat(held, size), rows };
    held = [];
    size = 0;
    rows = 0;
  }
  if (size > 0) yield { bytes: Buffer.concat(held, size), rows };
}

/** The CSV writer's COPY options when none is set (src/components/filesystem.csv_writer/driver.ts). */
function defaultCsvOptions(header: boolean): string {
  return [
    'FORMAT csv',
    `HEADER ${header}`,
    `DELIMITER ${quoteLiteral(',')}`,
    `QUOTE ${quoteLiteral('"')}`,
    `ESCAPE ${quoteLiteral('"')}`,
    `NEW_LINE ${quoteLiteral('\n')}`,
    "COMPRESSION 'none'",
  ].join(', ');
}

/**
 * The source's own CSV when it is the file DuckDB would write (docs/adr/0019): a CSV writer in its default
 * dialect, every column in order, a source that renders each column's text as DuckDB does.
 * `OSIRIS_CSV_DIRECT=0` keeps DuckDB in between (tests compare both).
 */
function csvAsWritten(
  feed: LineFeed,
  columns: readonly ColumnInfo[],
  relation: string,
  select: string,
  copyOptions: string,
): CsvCopy | undefined {
  if (!feed.csv || /^(0|false|no|off)$/i.test(process.env.OSIRIS_CSV_DIRECT ?? '')) return undefined;
  if (select !== `SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${relation}`)
    return undefined;
  const header = [true, false].find((h) => copyOptions === defaultCsvOptions(h));
  return header === undefined ? undefined : feed.csv(header);
}

/** Writes the source's chunks into `path`, in large writes; returns when the file is closed. */
async function writeChunks(
  ctx: StreamContext,
  chunks: AsyncIterable<Uint8Array>,
  path: string,
): Promise<void> {
  const file = await open(path, 'w');
  try {
    let rows = 0;
    for await (const piece of gatheredLines(chunks)) {
      await file.write(piece.bytes);
      rows += piece.rows;
      ctx.progress(rows);
    }
  } finally {
    await file.close();
  }
}

/** Runs `copy` reading the pipe at `path` while the pieces are written into it; returns the rows written. */
async function feedCopy(
  ctx: StreamContext,
  source: AsyncGenerator<FeedPiece>,
  path: string,
  copy: string,
): Promise<number> {
  // DuckDB starts (~0.3 s the first time) while the source runs its query.
  const first = source.next();
  first.catch(() => {});
  let duck: DuckDBConnection;
  try {
    duck = await openDuck(ctx);
    await makePipe(path);
  } catch (error) {
    void source.return(undefined).catch(() => undefined); // the runner also cancels the source
    throw error;
  }
  const copying = runTracked(duck, copy, { signal: ctx.signal });
  copying.catch(() => {});
  const pipe = await openWriteEnd(path, copying);
  let rows = 0;
  let fedAll = false;
  try {
    let next = await first;
    while (!next.done) {
      // DuckDB stopped reading (EPIPE): its error says why.
      if (!(await writeOrStop(pipe, next.value.bytes))) break;
      rows += next.value.rows;
      ctx.progress(rows);
      next = await source.next();
    }
    fedAll = next.done === true;
  } finally {
    if (!fedAll) {
      duck.interrupt(); // the rows are incomplete: the COPY must not finish on the early end of the pipe
      await source.return(undefined).catch(() => undefined);
    }
    await pipe.close().catch(() => undefined);
    // The temp file is removed next: DuckDB must be done with it.
    if (!fedAll) await copying.catch(() => undefined);
  }
  const written = Number((await copying).rowsChanged);
  if (written !== rows)
    throw new StepError(
      'write.failed',
      `step '${ctx.stepId}': wrote ${written} rows of the ${rows} streamed`,
      PASS_THROUGH_OFF,
    );
  return written;
}

function openDuck(ctx: StreamContext): Promise<DuckDBConnection> {
  if (!ctx.openDuck) throw new Error('a pass-through file writer needs the run to offer DuckDB (openDuck)');
  return ctx.openDuck();
}

async function makePipe(path: string): Promise<void> {
  try {
    await promisify(execFile)('mkfifo', ['-m', '600', path]);
  } catch (error) {
    throw new StepError(
      'write.failed',
      `cannot create a named pipe for streaming (mkfifo ${path}): ${(error as Error).message.split('\n')[0]}`,
      PASS_THROUGH_OFF,
      { cause: error },
    );
  }
}

/**
 * Opens the pipe for writing. That waits for DuckDB to open it for reading; when the COPY fails before it
 * does, the pipe is opened (and closed) from this side so the wait ends, and the COPY's error is thrown.
 */
async function openWriteEnd(path: string, copying: Promise<unknown>): Promise<FileHandle> {
  const opening = open(path, 'w');
  const failed = await Promise.race([
    opening.then(() => false),
    copying.then(
      () => false,
      () => true,
    ),
  ]);
  if (!failed) return opening;
  closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  await (await opening).close();
  await copying;
  throw new Error('the COPY stopped before reading'); // not reached: `copying` rejected
}

/** Writes `bytes`; false when the reader is gone (EPIPE). */
async function writeOrStop(pipe: FileHandle, bytes: Uint8Array): Promise<boolean> {
  try {
    await pipe.write(bytes);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return false;
    throw error;
  }
}
