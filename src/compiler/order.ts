/**
 * Deterministic step order: Kahn's algorithm where, among the steps whose dependencies are all placed, the
 * lexically smallest step id goes next. The same DAG always gives the same order, whatever order the steps
 * were written in.
 */

export interface OrderResult {
  /** Step ids in execution order (every id when there is no cycle). */
  order: string[];
  /** Ids left over because they sit on (or behind) a cycle; empty for a DAG. */
  cyclic: string[];
  /** `step → dependency` pairs naming a step that does not exist. */
  unknown: Array<{ step: string; dependency: string }>;
}

/**
 * @param ids  every step id
 * @param deps step id → the ids it depends on (missing entries mean "no dependencies")
 */
export function topologicalOrder(
  ids: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): OrderResult {
  const known = new Set(ids);
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const unknown: OrderResult['unknown'] = [];
  for (const id of ids) {
    indegree.set(id, 0);
    dependents.set(id, []);
  }
  for (const id of ids) {
    for (const dep of new Set(deps.get(id) ?? [])) {
      if (!known.has(dep)) {
        unknown.push({ step: id, dependency: dep });
        continue;
      }
      indegree.set(id, (indegree.get(id) ?? 0) + 1);
      dependents.get(dep)?.push(id);
    }
  }

  // The ready set is small (a pipeline has tens of steps), so a sorted array is simpler than a heap.
  const ready = ids.filter((id) => indegree.get(id) === 0).sort(compareIds);
  const order: string[] = [];
  while (ready.length > 0) {
    const next = ready.shift() as string;
    order.push(next);
    for (const child of dependents.get(next) ?? []) {
      const left = (indegree.get(child) ?? 0) - 1;
      indegree.set(child, left);
      if (left === 0) insertSorted(ready, child);
    }
  }
  const placed = new Set(order);
  const cyclic = ids.filter((id) => !placed.has(id)).sort(compareIds);
  return { order, cyclic, unknown };
}

/** Plain code-unit comparison: locale-independent, so every machine agrees. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function insertSorted(list: string[], value: string): void {
  let i = 0;
  while (i < list.length && compareIds(list[i] as string, value) < 0) i++;
  list.splice(i, 0, value);
}
