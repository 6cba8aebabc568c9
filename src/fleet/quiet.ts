/** A ProgressReporter that shows nothing: a replayed run (sync.ts) prints no live progress. */
import type { ProgressReporter } from '../observability/progress.js';

export function silentProgress(): ProgressReporter {
  const nothing = () => undefined;
  return {
    stepStarted: nothing,
    stepProgress: nothing,
    stepFinished: nothing,
    runFinished: nothing,
    note: nothing,
    dispose: nothing,
  };
}
