/**
 * Pass-through: rows handed straight from an extractor to its only consumer, a writer, without a DuckDB
 * table in between (ARCHITECTURE §1). The extractor pushes batches into a bounded channel and pauses its
 * source while the channel is full; the writer pulls them. Memory stays at a few batches whatever the row
 * count, and reading overlaps writing.
 *
 * A value's text form is DuckDB's text for the column's type: `String(v)` for strings, numbers and bigints,
 * `true`/`false` for booleans; BLOB values are bytes. So a stream carries the same values the DuckDB table
 * would have held, and a writer renders them the way it renders that table.
 */
import type { ColumnInfo } from './dataplane.js';
import type { StepResult } from './driver.js';

export type StreamValue = string | number | bigint | boolean | Uint8Array | null;
export type StreamRow = StreamValue[];

export interface RowStream {
  /** Output columns with their DuckDB types, in row order (what the materialised table would have). */
  columns: ColumnInfo[];
  /** Batches of rows; iterate once. Leaving the loop early (break, throw) stops the source. */
  batches: AsyncIterable<StreamRow[]>;
  /** The same rows in the source's own text, for a consumer that hands them to DuckDB (see LineFeed). */
  lines?: LineFeed;
}

/**
 * A source whose wire text DuckDB can read itself (Postgres' COPY text) offers it as lines, so a consumer
 * that passes rows to DuckDB anyway (the file writers, docs/adr/0019) does not split, convert and re-join
 * every row in JavaScript. DuckDB reads the lines with `read_csv(<file>, columns = {c1…cN: VARCHAR},
 * <readOptions>)` and `columnSql` turns each raw field into the column's value, exactly as the source's
 * materialised read does. A consumer reads either `batches` or `lines`, once.
 */
export interface LineFeed {
  /** `read_csv` options that cut a line into its raw fields (after the columns). */
  readOptions: string;
  /** DuckDB SQL for output column `index` from its raw field `field` (a column reference). */
  columnSql(index: number, field: string): string;
  /**
   * The bytes, whole lines in order; iterating starts the source, leaving early stops it. The first
   * `previewRows` rows also reach `onRows` as stream rows (for the run's preview).
   */
  chunks(preview?: { rows: number; onRows(rows: StreamRow[]): void }): AsyncIterable<Uint8Array>;
  /**
   * DuckDB could not convert a field: the source fails with its own error for it (returned), so the run
   * reports the read, as the materialised path does.
   */
  conversionFailed(error: unknown): unknown;
  /** Every row was loaded: the source's result settles only now (a conversion could still fail before). */
  loaded(): void;
  /**
   * The rows as the exact bytes DuckDB's CSV writer writes for them in its default dialect (comma, `"`
   * quoting only where needed, `\n`, NULL as an unquoted empty field), rendered by the source itself; absent
   * when a column's text would differ (docs/adr/0019). Read instead of `chunks`, once; `rows()` is exact once
   * the chunks end.
   */
  csv?(header: boolean): CsvCopy | undefined;
}

/** A source's rows as finished CSV bytes (LineFeed.csv). */
export interface CsvCopy {
  chunks(preview?: { rows: number; onRows(rows: StreamRow[]): void }): AsyncIterable<Uint8Array>;
  rows(): number;
}

/** The error a consumer sees when the source failed; `cause` is the source's own error. */
export class UpstreamFailed extends Error {
  constructor(
    readonly stepId: string,
    cause: unknown,
  ) {
    super(`upstream step '${stepId}' failed`, { cause });
    this.name = 'UpstreamFailed';
  }
}

export interface ChannelHooks {
  /** The channel is full: stop producing (pause the source). */
  pause(): void;
  /** The channel drained below half: produce again. */
  resume(): void;
  /** The consumer stopped early: release the source. */
  cancel(): void;
}

/**
 * A bounded queue of batches between one producer (callbacks: `push`, `end`, `fail`) and one consumer
 * (`for await`). Back-pressure goes through the hooks, so a callback-style source (a socket) can pause.
 */
export class BatchChannel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private done = false;
  private error: unknown;
  private failed = false;
  private paused = false;
  private wake: (() => void) | undefined;
  private consumed = false;

  constructor(
    private readonly stepId: string,
    private readonly capacity: number,
    private readonly hooks: ChannelHooks,
  ) {}

  push(batch: T): void {
    if (this.done) return;
    this.queue.push(batch);
    if (!this.paused && this.queue.length >= this.capacity) {
      this.paused = true;
      this.hooks.pause();
    }
    this.notify();
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failed = true;
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    if (this.consumed) throw new Error('a row stream can be read only once');
    this.consumed = true;
    let finished = false;
    try {
      for (;;) {
        const batch = this.queue.shift();
        if (batch !== undefined) {
          if (this.paused && this.queue.length <= this.capacity >> 1) {
            this.paused = false;
            this.hooks.resume();
          }
          yield batch;
          continue;
        }
        if (this.failed) throw new UpstreamFailed(this.stepId, this.error);
        if (this.done) {
          finished = true;
          return;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      if (!finished && !this.failed) {
        this.done = true;
        this.queue.length = 0;
        this.hooks.cancel();
      }
    }
  }
}

/** A stream source's `result`, settled by the source when it finishes or fails. */
export interface PendingResult {
  result: Promise<StepResult>;
  resolve(result: StepResult): void;
  reject(error: unknown): void;
}

export function pendingResult(): PendingResult {
  let resolve: (r: StepResult) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const result = new Promise<StepResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  result.catch(() => {}); // the runner reads it later; never an unhandled rejection in between
  return { result, resolve, reject };
}
