/** What the incremental read, the runner and the writers hand each other (docs/adr/0024-incremental-state.md). */
import type { Lookback } from './spec.js';

/** How a cursor value is compared and written into SQL. */
export type CursorKind = 'number' | 'time' | 'text';

/** A cursor value as text (numbers exact, times as naive UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`). */
export interface CursorValue {
  value: string;
  kind: CursorKind;
}

/** Where a window's lower bound came from. */
export type WindowOrigin = 'state' | 'initial' | 'full_refresh' | 'everything';

/** The rows an incremental extractor reads this run. */
export interface IncrementalWindow {
  cursor: string;
  /** Lower bound; undefined reads everything. */
  from: CursorValue | undefined;
  /** `>=` for an initial value, `>` for a committed one. */
  inclusive: boolean;
  /** Subtracted from `from` (only for a committed value). */
  lookback: Lookback | undefined;
  lookbackText: string | undefined;
  origin: WindowOrigin;
}

/** The identity of one cursor state: pipeline, extractor step, its source connection, and the writer that loaded. */
export interface StateKey {
  pipeline_id: string;
  step_id: string;
  /** `@family.alias` of the extractor's connection (or its family when it has none). */
  source: string;
  target_step: string;
}

export interface StateRecord extends StateKey {
  cursor_column: string;
  cursor_value: string;
  cursor_kind: CursorKind;
  run_id: string;
  updated_at: string;
}

/** A state a writer is about to commit, with the value it expects to replace (undefined: none stored). */
export interface PendingState extends StateRecord {
  expected: string | undefined;
}

/** Where a state lives: in the writer's target database (authoritative), or in the project's local store. */
export type StateStore =
  | { kind: 'postgres'; connection: string; family: string; schema: string; table: string }
  | { kind: 'mysql'; connection: string; table: string }
  | { kind: 'file' };

/** The run-wide incremental bookkeeping the runner gives every step (src/runtime/incremental/run.ts). */
export interface IncrementalRunHandle {
  /** The window of an incremental extractor step, decided before it runs. */
  windowFor(stepId: string): IncrementalWindow | undefined;
  /** What an extractor read: the largest cursor value (undefined for no rows) and the row count. */
  recordRead(stepId: string, to: CursorValue | undefined, rows: number): void;
  /** States a writer step must commit with its data (one per incremental extractor upstream of it). */
  pendingFor(writerStepId: string): PendingState[];
  /** A writer wrote `records` into `store` inside its data transaction (confirmed when the step succeeds). */
  staged(writerStepId: string, records: StateRecord[], store: StateStore): void;
  /** A file writer renamed its output into place: commit its states to the local store now. */
  commitLocal(writerStepId: string): void;
}
