/** Step dependencies: `needs`, `${step.df}` input references and linear inference (reference §1.6). */
import type { OmlStep } from './types.js';

/** `${extract-movies.df}` → `extract-movies`; anything else → undefined. */
export const INPUT_REF = /^\$\{([A-Za-z0-9][A-Za-z0-9_-]*)\.df\}$/;

export function parseInputRef(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return INPUT_REF.exec(value)?.[1];
}

/**
 * Upstream step ids per step, in step order: `needs` ∪ the steps referenced by `inputs` values. A step with
 * neither a `needs` nor an `inputs` key depends on the step before it (the first step on nothing); an
 * explicit `needs: []` (or `inputs: {}`) means "no dependencies". Lists are sorted and de-duplicated.
 * References to unknown steps are kept (the validator reports them; `findCycle` ignores them).
 */
export function stepDependencies(steps: readonly OmlStep[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  steps.forEach((step, i) => {
    const deps = new Set<string>();
    if (step.needs === undefined && step.inputs === undefined) {
      const previous = steps[i - 1];
      if (previous) deps.add(previous.id);
    }
    for (const need of step.needs ?? []) deps.add(need);
    for (const value of Object.values(step.inputs ?? {})) {
      const ref = parseInputRef(value);
      if (ref !== undefined) deps.add(ref);
    }
    const previous = out.get(step.id) ?? [];
    out.set(step.id, [...new Set([...previous, ...deps])].sort());
  });
  return out;
}

/**
 * A dependency cycle, if any, as a closed path in dependency direction: `['a', 'b', 'a']` means a depends on
 * b and b on a; a self-dependency is `['a', 'a']`. Deterministic: nodes and edges are visited in lexical
 * order and the path is rotated to start at its smallest id. Edges to unknown nodes are ignored.
 */
export function findCycle(deps: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];

  const visit = (node: string): string[] | undefined => {
    state.set(node, 'active');
    stack.push(node);
    for (const next of [...(deps.get(node) ?? [])].sort()) {
      if (!deps.has(next)) continue;
      const s = state.get(next);
      if (s === 'active') return closeCycle(stack.slice(stack.indexOf(next)));
      if (s === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };

  for (const node of [...deps.keys()].sort()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

function closeCycle(nodes: string[]): string[] {
  let start = 0;
  nodes.forEach((n, i) => {
    if (n < (nodes[start] as string)) start = i;
  });
  const rotated = [...nodes.slice(start), ...nodes.slice(0, start)];
  return [...rotated, rotated[0] as string];
}
