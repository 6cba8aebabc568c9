/**
 * A run's incremental bookkeeping. Before an incremental extractor runs, its window is decided from the
 * states its downstream writers hold (the lowest, so no writer misses a row); after it ran, the largest
 * cursor value read waits for those writers, which commit it with their data (in the same transaction for a
 * database, right after the rename for a file). A writer that fails commits nothing: the next run reads the
 * same window again.
 */
import type { LoadedStep } from '../../compiler/manifest.js';
import type { JsonValue } from '../../yaml/json.js';
import { StepError } from '../driver.js';
import type { PreparedStep } from '../runner.js';
import { readLocalState, writeLocalState } from './local-store.js';
import { describeStore, openDbStore, sinkStore } from './sink.js';
import { incrementalSpec, isIncremental } from './spec.js';
import type {
  CursorValue,
  IncrementalRunHandle,
  IncrementalWindow,
  PendingState,
  StateKey,
  StateRecord,
  StateStore,
} from './types.js';
import { compareCursor, kindOfInitial } from './window.js';

export interface IncrementalRunOptions {
  pipelineId: string;
  runId: string;
  projectRoot: string;
  /** `osiris run --full-refresh`: ignore stored states, read from `initial`, replace what appended. */
  fullRefresh: boolean;
  steps: readonly LoadedStep[];
  prepareStep(step: LoadedStep): PreparedStep;
  event(name: string, data: Record<string, JsonValue>): void;
}

interface Read {
  key: { pipeline_id: string; step_id: string; source: string };
  cursor: string;
  /** The lowest state the window started from (kept if this read found nothing higher). */
  stored: CursorValue | undefined;
  /** Each writer's stored value when the run read it: its commit checks nobody moved it meanwhile. */
  expected: Map<string, string | undefined>;
  to?: CursorValue | undefined;
}

/** A state as stored (without what its commit expected to find). */
function plain(record: StateRecord): StateRecord {
  const { expected: _expected, ...state } = record as PendingState;
  return state;
}

export class IncrementalRun implements IncrementalRunHandle {
  private readonly windows = new Map<string, IncrementalWindow>();
  private readonly reads = new Map<string, Read>();
  private readonly pendingStaged = new Map<string, { records: StateRecord[]; store: StateStore }[]>();
  /** Writer step → the incremental extractors upstream of it (through processors). */
  private readonly upstream = new Map<string, string[]>();
  /** Incremental extractor → the writers downstream of it. */
  private readonly sinks = new Map<string, LoadedStep[]>();
  private readonly refreshed = new Set<string>();

  constructor(private readonly options: IncrementalRunOptions) {
    const byId = new Map(options.steps.map((s) => [s.id, s]));
    const sources = (id: string, seen = new Set<string>()): string[] => {
      const step = byId.get(id);
      if (!step || seen.has(id)) return [];
      seen.add(id);
      if (isIncremental(step)) return [id];
      return step.needs.flatMap((n) => (byId.get(n)?.mode === 'write' ? [] : sources(n, seen)));
    };
    for (const step of options.steps) {
      if (step.mode !== 'write') continue;
      const found = [
        ...new Set(step.needs.flatMap((n) => (byId.get(n)?.mode === 'write' ? [] : sources(n)))),
      ];
      if (!found.length) continue;
      this.upstream.set(step.id, found);
      for (const id of found) this.sinks.set(id, [...(this.sinks.get(id) ?? []), step]);
    }
  }

  /** Whether the run has any incremental step (the runner skips the bookkeeping otherwise). */
  /** Decides an incremental extractor's window from its writers' stored states; a no-op for other steps. */
  async prepare(step: LoadedStep, prepared: PreparedStep): Promise<void> {
    const spec = incrementalSpec(step.id, prepared.config);
    if (!spec) return;
    const family = step.component.split('.')[0] ?? step.component;
    const source = prepared.connection
      ? `@${prepared.connection.family}.${prepared.connection.alias}`
      : `@${family}`;
    const key = { pipeline_id: this.options.pipelineId, step_id: step.id, source };
    const stored: (CursorValue | undefined)[] = [];
    const expected = new Map<string, string | undefined>();
    for (const writer of this.sinks.get(step.id) ?? []) {
      const value = await this.storedFor(step, writer, { ...key, target_step: writer.id });
      stored.push(value);
      expected.set(writer.id, value?.value);
    }
    const initial = spec.initial === undefined ? undefined : kindOfInitial(spec.initial);
    const all =
      stored.length > 0 && stored.every((v) => v !== undefined) ? (stored as CursorValue[]) : undefined;
    const lowest = all?.reduce((a, b) => (compareCursor(a, b) <= 0 ? a : b));
    const fromState = this.options.fullRefresh ? undefined : lowest;
    this.windows.set(step.id, {
      cursor: spec.cursor,
      from: fromState ?? initial,
      inclusive: fromState === undefined,
      lookback: spec.lookback,
      lookbackText: spec.lookbackText,
      origin: fromState
        ? 'state'
        : this.options.fullRefresh
          ? 'full_refresh'
          : initial
            ? 'initial'
            : 'everything',
    });
    this.reads.set(step.id, { key, cursor: spec.cursor, stored: fromState, expected });
  }

  private async storedFor(
    step: LoadedStep,
    writer: LoadedStep,
    key: StateKey,
  ): Promise<CursorValue | undefined> {
    let prepared: PreparedStep;
    try {
      prepared = this.options.prepareStep(writer);
    } catch {
      return undefined; // the writer fails in its own turn, with its own error; nothing is committed
    }
    const store = sinkStore(writer.component, prepared.connection, prepared.config);
    let record: StateRecord | undefined;
    if (store.kind === 'file') {
      const local = readLocalState(this.options.projectRoot, key);
      record = local?.store.kind === 'file' ? local.state : undefined;
    } else {
      try {
        const open = await openDbStore(store, prepared.connection, prepared.config, { prepare: true });
        try {
          record = (await open.read(key))[0];
        } finally {
          await open.close();
        }
      } catch (error) {
        throw new StepError(
          'state.read_failed',
          `step '${step.id}': cannot read its cursor state from ${describeStore(store)} (the target of step '${writer.id}'): ${error instanceof Error ? error.message : String(error)}`,
          `check that step '${writer.id}' can reach its database (osiris connections doctor)`,
          { cause: error, details: { writer_step: writer.id } },
        );
      }
    }
    return record ? { value: record.cursor_value, kind: record.cursor_kind } : undefined;
  }

  windowFor(stepId: string): IncrementalWindow | undefined {
    return this.windows.get(stepId);
  }

  recordRead(stepId: string, to: CursorValue | undefined, _rows: number): void {
    const read = this.reads.get(stepId);
    if (read) read.to = to;
  }

  pendingFor(writerStepId: string): PendingState[] {
    const out: PendingState[] = [];
    for (const id of this.upstream.get(writerStepId) ?? []) {
      const read = this.reads.get(id);
      if (!read?.to) continue; // nothing read: the stored state stays as it is
      const value = read.stored && compareCursor(read.stored, read.to) > 0 ? read.stored : read.to;
      out.push({
        ...read.key,
        target_step: writerStepId,
        cursor_column: read.cursor,
        cursor_value: value.value,
        cursor_kind: value.kind,
        run_id: this.options.runId,
        updated_at: new Date().toISOString(),
        expected: read.expected.get(writerStepId),
      });
    }
    return out;
  }

  staged(writerStepId: string, records: StateRecord[], store: StateStore): void {
    if (!records.length) return;
    // One load per writer attempt: a retried write stages again, replacing what the failed attempt staged.
    this.pendingStaged.set(writerStepId, [{ records, store }]);
  }

  commitLocal(writerStepId: string): void {
    const records = this.pendingFor(writerStepId);
    for (const state of records)
      writeLocalState(this.options.projectRoot, { state, store: { kind: 'file' } });
    this.announce(writerStepId, records, { kind: 'file' }, false);
    this.pendingStaged.set(writerStepId, [{ records: [], store: { kind: 'file' } }]);
  }

  /**
   * The writer step succeeded: its states staged in a database transaction are committed (events, and the
   * copy in the local store); a writer that staged nothing and wrote no file (Supabase over REST) commits
   * to the local store now.
   */
  writerSucceeded(writerStepId: string): void {
    const staged = this.pendingStaged.get(writerStepId);
    if (!staged) {
      if (this.pendingFor(writerStepId).length) this.commitLocal(writerStepId);
      return;
    }
    for (const { records, store } of staged) {
      if (store.kind === 'file') continue;
      for (const r of records) {
        try {
          writeLocalState(this.options.projectRoot, { state: plain(r), store });
        } catch {
          // The copy is only for `osiris state list`; the target holds the state.
        }
      }
      this.announce(writerStepId, records, store, true);
    }
  }

  private announce(
    writerStepId: string,
    records: StateRecord[],
    store: StateStore,
    inTransaction: boolean,
  ): void {
    for (const r of records)
      this.options.event('incremental.state_committed', {
        step_id: writerStepId,
        extractor_step: r.step_id,
        source: r.source,
        cursor: r.cursor_column,
        value: r.cursor_value,
        store: describeStore(store),
        in_transaction: inTransaction,
      });
  }

  /**
   * With --full-refresh, a writer that appends below an incremental read replaces instead (the read brings
   * everything again); upserts and replaces stay as they are.
   */
  adjustWriter(step: LoadedStep, prepared: PreparedStep): PreparedStep {
    if (!this.options.fullRefresh || step.mode !== 'write' || !this.upstream.has(step.id)) return prepared;
    const mode = prepared.config.write_mode;
    const isFile = sinkStore(step.component, prepared.connection, prepared.config).kind === 'file';
    const appends = mode === 'append' || mode === 'insert' || (mode === undefined && !isFile);
    // A file with primary_key merges into the old file: a full refresh writes it afresh.
    const merges = isFile && prepared.config.primary_key != null;
    if (!appends && !merges) return prepared;
    const to = isFile ? 'overwrite' : 'replace';
    const { primary_key: _merge, ...rest } = prepared.config;
    if (!this.refreshed.has(step.id)) {
      this.refreshed.add(step.id);
      this.options.event('incremental.full_refresh', {
        step_id: step.id,
        write_mode: to,
        instead_of: String(mode ?? 'append'),
      });
    }
    return { ...prepared, config: { ...(isFile ? rest : prepared.config), write_mode: to } };
  }
}
