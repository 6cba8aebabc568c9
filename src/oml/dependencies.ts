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
  const sorted = new Map<string, string[]>();
  const edges = (node: string): string[] => {
    let list = sorted.get(node);
    if (!list) {
      list = [...(deps.get(node) ?? [])].filter((n) => deps.has(n)).sort();
      sorted.set(node, list);
    }
    return list;
  };
  // Depth-first with an explicit stack: a chain of thousands of steps must not overflow the call stack.
  for (const root of [...deps.keys()].sort()) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const next: number[] = [0];
    state.set(root, 'active');
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] as string;
      const list = edges(node);
      const i = next[top] as number;
      if (i >= list.length) {
        state.set(node, 'done');
        path.pop();
        next.pop();
        continue;
      }
      next[top] = i + 1;
      const child = list[i] as string;
      const s = state.get(child);
      if (s === 'active') return closeCycle(path.slice(path.indexOf(child)));
      if (s === undefined) {
        state.set(child, 'active');
        path.push(child);
        next.push(0);
      }
    }
  }
  return undefined;
}

/** A cycle as a message names it: every id when short, else the first and last few around an ellipsis. */
export function formatCycle(cycle: readonly string[], limit = 12): string {
  if (cycle.length <= limit) return cycle.join(' → ');
  const head = cycle.slice(0, limit - 4);
  const tail = cycle.slice(-3);
  return `${head.join(' → ')} → … (${cycle.length - head.length - tail.length} more) … → ${tail.join(' → ')}`;
}

function closeCycle(nodes: string[]): string[] {
  let start = 0;
  nodes.forEach((n, i) => {
    if (n < (nodes[start] as string)) start = i;
  });
  const rotated = [...nodes.slice(start), ...nodes.slice(0, start)];
  return [...rotated, rotated[0] as string];
}
