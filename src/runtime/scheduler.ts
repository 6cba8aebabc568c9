/**
 * Runs a DAG of tasks with at most `maxParallel` in flight. A task starts once all its dependencies have
 * succeeded; after the first failure nothing new starts (running tasks finish) and every task that never
 * started is reported as skipped. Ready tasks start in the given order, so with `maxParallel: 1` the run
 * follows the compiled (topological, lexically tie-broken) order exactly. Once `stopped()` says so (the run
 * was cancelled) nothing new starts either.
 */

export interface DagTask {
  id: string;
  needs: readonly string[];
}

export type TaskOutcome = 'succeeded' | 'failed' | 'skipped';

export async function runDag<T extends DagTask>(
  tasks: readonly T[],
  maxParallel: number,
  execute: (task: T) => Promise<boolean>,
  stopped: () => boolean = () => false,
): Promise<Map<string, TaskOutcome>> {
  const outcome = new Map<string, TaskOutcome>();
  const pending = [...tasks];
  const running = new Set<Promise<void>>();
  let failed = false;

  const ready = (t: T) => t.needs.every((n) => outcome.get(n) === 'succeeded');

  while (pending.length > 0 || running.size > 0) {
    while (!failed && !stopped() && running.size < Math.max(1, maxParallel)) {
      const index = pending.findIndex(ready);
      if (index < 0) break;
      const [task] = pending.splice(index, 1) as [T];
      const job: Promise<void> = execute(task).then(
        (ok) => {
          outcome.set(task.id, ok ? 'succeeded' : 'failed');
          if (!ok) failed = true;
        },
        () => {
          outcome.set(task.id, 'failed');
          failed = true;
        },
      );
      const tracked = job.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    if (running.size === 0) break; // nothing runnable: failed, or dependencies can never be met
    await Promise.race(running);
  }
  for (const t of pending) outcome.set(t.id, 'skipped');
  return outcome;
}
