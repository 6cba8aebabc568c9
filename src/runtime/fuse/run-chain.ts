/**
 * Runs a fused chain (plan.ts, docs/adr/0018-fused-file-chains.md): the source and each SQL transform define
 * their output as a view on one connection, and the writer's usual `COPY (SELECT …) TO <temp>` + atomic
 * rename reads them all in one streaming statement. Every step keeps its step_start and step_complete; a
 * count the statement does not give (rows between two fused steps) is null, and the events say `fused`.
 *
 * Fusion only speeds up the runs that succeed. When the fused attempt fails (anything but a cancel or a busy
 * target), the target is untouched, the views are dropped and the steps run again one by one on the general
 * path, so the failing step reports exactly the error, location and status it would have without fusion.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { LoadedStep } from '../../compiler/manifest.js';
import type { JsonValue } from '../../yaml/json.js';
import { quoteIdent } from '../dataplane.js';
import {
  type Driver,
  type FusedOutput,
  type StepContext,
  StepError,
  type StepResult,
  stepCancelled,
} from '../driver.js';
import type { FusedChain } from './plan.js';

/** What the chain needs from the runner: its step bookkeeping and the general path. */
export interface ChainHooks {
  /** The step's driver and a context on `duck`; throws what the step would fail with. */
  prepare(step: LoadedStep, duck: DuckDBConnection): Promise<{ driver: Driver; ctx: StepContext }>;
  loadDriver(step: LoadedStep): Promise<Driver>;
  connect(): Promise<DuckDBConnection>;
  begin(step: LoadedStep): number;
  succeed(step: LoadedStep, result: StepResult, t0: number, extra: Record<string, JsonValue>): void;
  fail(step: LoadedStep, error: unknown, t0: number): void;
  event(name: string, data: Record<string, JsonValue>): void;
  /** The output preview of a step's view (cheap for a source: the first rows of the file). */
  preview(step: LoadedStep, duck: DuckDBConnection, table: string): Promise<void>;
  /** Runs one step on the general path, its clock started at `t0` (its step_start already sent). */
  runAlone(step: LoadedStep, t0: number): Promise<boolean>;
  signal: AbortSignal | undefined;
}

/**
 * Runs the chain. Returns each step's outcome (true: succeeded; a step without one never ran), or undefined
 * when a driver cannot take part, before anything started: the steps then run the usual way.
 */
export async function runFusedChain(
  chain: FusedChain,
  hooks: ChainHooks,
): Promise<Map<string, boolean> | undefined> {
  const { steps } = chain;
  const head = steps[0] as LoadedStep;
  const writer = steps[steps.length - 1] as LoadedStep;
  const ids = steps.map((s) => s.id);
  for (const step of steps.slice(0, -1)) {
    const driver = await hooks.loadDriver(step).catch(() => undefined);
    if (!driver?.defineView) {
      hooks.event('fuse', {
        step_id: head.id,
        steps: ids,
        used: false,
        reason: `step '${step.id}' cannot define its output as a view`,
      });
      return undefined;
    }
  }
  hooks.event('fuse', { step_id: head.id, steps: ids, used: true });
  const started = new Map(steps.map((s) => [s.id, hooks.begin(s)]));
  const t0 = (step: LoadedStep) => started.get(step.id) as number;
  const defined: FusedOutput[] = [];
  let duck: DuckDBConnection | undefined;
  let failing = head;
  // Released before a rerun too: the general path creates tables under the same names.
  const release = async () => {
    for (const view of defined.splice(0).reverse()) await view.release().catch(() => undefined);
  };
  try {
    duck = await hooks.connect();
    for (const step of steps.slice(0, -1)) {
      failing = step;
      const { driver, ctx } = await hooks.prepare(step, duck);
      defined.push(await (driver.defineView as NonNullable<Driver['defineView']>)(ctx));
    }
    failing = writer;
    const { driver, ctx } = await hooks.prepare(writer, duck);
    const written = await driver.run(ctx);
    steps.slice(0, -1).forEach((step, i) => {
      const last = i === steps.length - 2;
      hooks.succeed(step, defined[i]?.result(last ? written.rowsIn : undefined) ?? {}, t0(step), {
        fused: true,
      });
    });
    hooks.succeed(writer, written, t0(writer), { fused: true });
    await hooks.preview(head, duck, quoteIdent(head.id));
    await release();
    return new Map(ids.map((id) => [id, true]));
  } catch (error) {
    const views = defined.length;
    await release();
    return await afterFailure(chain, hooks, error, failing, t0, views);
  }
}

/** Records a failed fused attempt: a cancel or a busy target as such, anything else by running again. */
async function afterFailure(
  chain: FusedChain,
  hooks: ChainHooks,
  error: unknown,
  failing: LoadedStep,
  t0: (step: LoadedStep) => number,
  views: number,
): Promise<Map<string, boolean>> {
  const { steps } = chain;
  const code = error instanceof StepError ? error.code : 'system.error';
  const outcomes = new Map<string, boolean>();
  if (hooks.signal?.aborted || code === 'runtime.cancelled') {
    hooks.fail(failing, error, t0(failing));
    for (const step of steps) if (step !== failing) hooks.fail(step, stepCancelled(error), t0(step));
    for (const step of steps) outcomes.set(step.id, false);
    return outcomes;
  }
  if (code === 'write.lock_timeout') {
    // The lock is taken after the COPY: every step before the writer did all its work.
    for (const step of steps.slice(0, -1)) {
      hooks.succeed(step, {}, t0(step), { fused: true });
      outcomes.set(step.id, true);
    }
    hooks.fail(failing, error, t0(failing));
    outcomes.set(failing.id, false);
    return outcomes;
  }
  hooks.event('fuse', {
    step_id: (steps[0] as LoadedStep).id,
    steps: steps.map((s) => s.id),
    used: false,
    reason: `the fused statement failed (${code} in step '${failing.id}'${views < steps.length - 1 ? ', defining its view' : ''}); the steps run again one by one so the failing step reports its own error`,
  });
  for (const step of steps) {
    const ok = await hooks.runAlone(step, t0(step));
    outcomes.set(step.id, ok);
    if (!ok) break;
  }
  return outcomes;
}
