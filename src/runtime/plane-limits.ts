/**
 * How much memory and how many threads a run's DuckDB data plane gets (docs/adr/0007-data-plane-sizing.md).
 *
 * `runtime.memory_limit: auto` (the default) sizes the plane from what the run does with it:
 * - a run that only copies rows out of databases (every extractor reads over a connection, no step transforms)
 *   uses DuckDB as a buffer between one socket and one writer: a 48MB pool with one thread, spilling to the
 *   run's scratch folder, keeps a database → file copy near 250 MB at any row count, about as fast as 1GB
 *   (the socket is the bottleneck; docs/benchmarks.md);
 * - anything else — SQL transforms, file extractors that DuckDB reads in parallel — gets 1GB and a thread
 *   per core.
 * A configured size (osiris.yaml or OSIRIS_MEMORY_LIMIT) or thread count always wins.
 */
import type { LoadedStep } from '../compiler/manifest.js';
import type { Registry } from '../registry/registry.js';
import type { DataPlaneOptions } from './dataplane.js';

export const AUTO = 'auto';
/** The pool for runs that transform or read files. */
export const DEFAULT_MEMORY_LIMIT = '1GB';
/** The pool for runs that only copy rows from databases: the Parquet writer needs about 40MB of it. */
export const COPY_MEMORY_LIMIT = '48MB';

export interface PlaneLimits extends Pick<DataPlaneOptions, 'memoryLimit' | 'threads'> {
  memoryLimit: string;
  /** Why these limits, for the run's `data_plane` event. */
  sizing: 'configured' | 'database copy' | 'default';
}

/**
 * Whether the run only copies rows into writers from extractors whose spec says they read serially over a
 * connection (`x-runtime.serialReader`: the database extractors).
 */
export function onlyCopiesFromDatabases(steps: readonly LoadedStep[], registry: Registry): boolean {
  return steps.every(
    (s) =>
      s.mode === 'write' ||
      (s.mode === 'read' && registry.get(s.component)?.spec['x-runtime']?.serialReader === true),
  );
}

export function planeLimits(
  steps: readonly LoadedStep[],
  registry: Registry,
  runtime: { memoryLimit: string; threads: number | undefined },
): PlaneLimits {
  const threads = runtime.threads !== undefined ? { threads: runtime.threads } : {};
  if (runtime.memoryLimit.toLowerCase() !== AUTO) {
    return { memoryLimit: runtime.memoryLimit, ...threads, sizing: 'configured' };
  }
  if (onlyCopiesFromDatabases(steps, registry)) {
    return { memoryLimit: COPY_MEMORY_LIMIT, threads: runtime.threads ?? 1, sizing: 'database copy' };
  }
  return { memoryLimit: DEFAULT_MEMORY_LIMIT, ...threads, sizing: 'default' };
}
