/**
 * The driver contract. A driver lives beside its spec (`src/components/<name>/driver.ts`) and exports
 * `driver: Driver`. Steps hand each other DuckDB tables, never row arrays: an extractor fills
 * `ctx.outputTable`, a processor creates it from SQL over its inputs, a writer streams its input out.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RunClaim } from '../observability/run-claims.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import type { ColumnInfo } from './dataplane.js';
import type { IncrementalRunHandle } from './incremental/types.js';
import type { ErrorTable } from './retry/classify.js';
import type { RowStream } from './stream.js';

/** A connection resolved from osiris_connections.yaml at run time. Holds secrets: never log or persist it. */
export interface ResolvedConnection {
  family: string;
  alias: string;
  fields: Record<string, JsonValue>;
}

type WithoutStep<C> = C extends RunClaim ? Omit<C, 'step_id'> : never;
/** A claim as a driver makes it: the runner adds the step id. */
export type StepClaim = WithoutStep<RunClaim>;

/** One upstream step's output as the downstream step sees it. */
export interface StepInput {
  stepId: string;
  /** The DuckDB table holding the upstream output, already quoted for SQL. */
  table: string;
}

/** What a step sees when it runs without the data plane: a pass-through pair, whose rows never become a table. */
export interface StreamContext {
  stepId: string;
  /** The step's compiled cfg minus meta keys (`component`, `mode`, `connection`), with spec defaults. */
  config: JsonObject;
  /** Present when the step references `@family.alias` (or its family's default connection). */
  connection: ResolvedConnection | undefined;
  /** Upstream tables in `needs` order: writers' (which make none) left out, none for an extractor. */
  inputs: StepInput[];
  /** The quoted table name an extractor/processor must create with its output. */
  outputTable: string;
  /** Folder for files the step wants kept with the run (inside the run log folder). */
  artifactsDir: string;
  /**
   * The run's scratch folder for temporary files: deleted when the run ends, and by the sweep that finds the
   * run abandoned if its process dies.
   */
  scratchDir: string;
  /**
   * Records, BEFORE creating it, a temp file or a staging table the step creates outside the run folder
   * (see observability/run-claims.ts): if the process dies, the next run or `osiris logs gc` removes it.
   */
  claim(claim: StepClaim): void;
  /** Project root; relative paths in config resolve against it. */
  projectRoot: string;
  /** Structured event into events.jsonl (redacted by the session). */
  emit(event: string, data?: Record<string, JsonValue>): void;
  /** Metric into metrics.jsonl, tagged with the step id. */
  metric(name: string, value: number, unit?: string): void;
  /** Live progress: rows processed so far (drives the TTY progress line). */
  progress(rows: number): void;
  signal: AbortSignal;
  /**
   * How long a writer waits for another run writing the same target before it fails (ms;
   * `runtime.lock_timeout`, default DEFAULT_LOCK_TIMEOUT_S).
   */
  lockTimeoutMs?: number;
  /**
   * A connection to the run's DuckDB database, opened on first use. Given to pass-through writers that still
   * need DuckDB to render a format (Parquet, a file's CSV dialect) but never a table.
   */
  openDuck?(): Promise<DuckDBConnection>;
  /**
   * The run's incremental bookkeeping (src/runtime/incremental): an incremental extractor's window, and the
   * cursor states a writer commits with its data. Absent outside a run.
   */
  incremental?: IncrementalRunHandle;
}

export interface StepContext extends StreamContext {
  /** The run's DuckDB connection (the data plane). */
  duck: DuckDBConnection;
}

export interface StepResult {
  /** Rows the step consumed from its inputs (writers, processors). */
  rowsIn?: number;
  /** Rows in the step's output table (extractors, processors). */
  rowsOut?: number;
  /** Rows read from an external source (extractors). */
  rowsRead?: number;
  /** Rows written to an external target (writers). */
  rowsWritten?: number;
  bytesWritten?: number;
  /** Files or tables the step produced, for the run summary. */
  outputs?: string[];
}

/** An extractor's open source for pass-through (see stream.ts); the query starts when `batches` is read. */
export interface StreamSource extends RowStream {
  /** The extractor's result once the source is exhausted; rejects with its error (or when cancelled). */
  result: Promise<StepResult>;
  /** Stops the source: the consumer failed or declined. Safe to call at any time, more than once. */
  cancel(reason?: unknown): void;
}

/**
 * A step's output defined as a view inside a fused chain (docs/adr/0018): nothing is read until the chain's
 * writer copies the last view to its file.
 */
export interface FusedOutput {
  /** The step's result once the writer copied the chain's rows: `rowsOut` when the step feeds the writer. */
  result(rowsOut: number | undefined): StepResult;
  /** Drops what `defineView` created (the chain is done, or runs again step by step). */
  release(): Promise<void>;
}

export interface Driver {
  run(ctx: StepContext): Promise<StepResult>;
  /**
   * Sources and SQL transforms of a fused chain (spec `x-runtime.fuse`): defines `ctx.outputTable` as a view
   * over the step's source or inputs instead of filling a table, checking what can be checked without
   * reading the data (files, SQL binding) with the errors `run` raises.
   */
  defineView?(ctx: StepContext): Promise<FusedOutput>;
  /**
   * Extractors that can pass rows straight to a writer: opens the source and describes its columns, or
   * declines (with the reason, for the run's events) when this read must be materialised.
   */
  openStream?(ctx: StreamContext): Promise<StreamSource | { declined: string }>;
  /**
   * Writers that can load a row stream instead of their input table: why not for this step (its config and
   * connection) and these columns, or undefined when they can.
   */
  streamDeclined?(
    step: Pick<StreamContext, 'config' | 'connection'>,
    columns: readonly ColumnInfo[],
  ): string | undefined;
  /** Loads a row stream (the upstream step's rows, never materialised) the way `run` loads a table. */
  writeStream?(ctx: StreamContext, stream: RowStream): Promise<StepResult>;
  /**
   * The family's error codes (SQLSTATEs, errnos) as transient or terminal, for step retries
   * (runtime/retry/classify.ts); without it only socket errors count as transient.
   */
  errorTable?: ErrorTable;
}

/** An error a driver raises with a code from the execution taxonomy (reference §13.1) and a fix hint. */
export class StepError extends Error {
  /** Structured facts for the step_failed event (file, line, column, sql_line, …); never secrets. */
  readonly details: Record<string, JsonValue> | undefined;
  /**
   * A writer's word that this failure left its target exactly as it was: it came before the writer sent what
   * makes a load visible (COMMIT, the swap RENAME), so the whole load was rolled back. Only such a write
   * failure is ever retried (docs/adr/0026).
   */
  readonly rolledBack: boolean;

  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; details?: Record<string, JsonValue>; rolledBack?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepError';
    this.details = options?.details;
    this.rolledBack = options?.rolledBack ?? false;
  }
}

/** The error of a step stopped on purpose (the run was cancelled, or its partner in a stream gave up). */
export function stepCancelled(cause?: unknown): StepError {
  return new StepError('runtime.cancelled', 'the step was cancelled', undefined, { cause });
}
