/**
 * Which steps run as one fused chain (docs/adr/0018-fused-file-chains.md): a file source, then zero or more
 * SQL transforms, then one file writer, where each step after the source reads only the step before it and
 * is that step's only consumer. Nothing else can see the intermediate outputs, so they need not exist as
 * tables: the chain becomes one streaming DuckDB statement (`COPY (SELECT …) TO …`).
 *
 * Pure: the role of a component comes from its spec (`x-runtime.fuse`), passed in as a function.
 */
import type { LoadedStep } from '../../compiler/manifest.js';
import { inputStepIds } from '../step-inputs.js';

/** What a component can be in a fused chain (`x-runtime.fuse` in its spec). */
export type FuseRole = 'source' | 'transform' | 'sink';

export interface FusedChain {
  /** The steps in order: the source first, the writer last. */
  steps: LoadedStep[];
}

export interface FusePlan {
  /** Chains by the id of their source step. */
  chains: Map<string, FusedChain>;
  /** Sources that could have started a chain, and why they do not (for the run's `fuse` event). */
  declined: { step_id: string; reason: string }[];
}

export interface FuseOptions {
  /** False when `runtime.fuse: false` / `OSIRIS_FUSE=0` or `--keep-data`: the reason is reported. */
  off?: string;
}

/** The fused chains of a run, and why each other file source runs step by step. */
export function planFusedChains(
  steps: readonly LoadedStep[],
  roleOf: (step: LoadedStep) => FuseRole | undefined,
  options: FuseOptions = {},
): FusePlan {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const consumers = new Map<string, LoadedStep[]>();
  for (const step of steps)
    for (const input of inputStepIds(step, byId))
      consumers.set(input, [...(consumers.get(input) ?? []), step]);
  const plan: FusePlan = { chains: new Map(), declined: [] };
  for (const source of steps) {
    if (source.mode !== 'read' || roleOf(source) !== 'source') continue;
    const why = options.off ?? chainFrom(source, consumers, roleOf, plan);
    if (why !== undefined) plan.declined.push({ step_id: source.id, reason: why });
  }
  return plan;
}

/** Follows the only consumer from `source` to a writer; records the chain, or returns why there is none. */
function chainFrom(
  source: LoadedStep,
  consumers: ReadonlyMap<string, LoadedStep[]>,
  roleOf: (step: LoadedStep) => FuseRole | undefined,
  plan: FusePlan,
): string | undefined {
  const chain = [source];
  for (let step = source; ; ) {
    const readers = consumers.get(step.id) ?? [];
    if (readers.length !== 1)
      return readers.length === 0
        ? `no step reads step '${step.id}'`
        : `step '${step.id}' is read by ${readers.length} steps (${readers.map((r) => r.id).join(', ')})`;
    const next = readers[0] as LoadedStep;
    if (next.needs.length !== 1)
      return `step '${next.id}' waits for more than step '${step.id}' (needs: ${next.needs.join(', ')})`;
    const role = roleOf(next);
    chain.push(next);
    if (next.mode === 'write' && role === 'sink') {
      plan.chains.set(source.id, { steps: chain });
      return undefined;
    }
    if (next.mode !== 'transform' || role !== 'transform')
      return `step '${next.id}' (${next.component}) cannot run inside a fused statement`;
    step = next;
  }
}
