/**
 * The rules of a partitioned copy (docs/adr/0028-partitioned-copies.md): an extractor with
 * `partition:` must be a mysql.extractor or postgres.extractor whose only consumer is one mysql.writer or
 * postgres.writer that reads nothing else — the partitions load that writer's target through staging tables.
 * Part of validation, so `osiris validate` and `osiris compile` report them alike.
 */
import { type Diagnostic, diagnostic, type SourceLocation } from '../diagnostics/diagnostic.js';
import { PARTITION_SOURCES, PARTITION_TARGETS } from '../runtime/partition/spec.js';
import type { OmlStep } from './types.js';

export function checkPartitions(
  steps: readonly OmlStep[],
  deps: ReadonlyMap<string, readonly string[]>,
  stepLoc: (id: string, ...path: (string | number)[]) => SourceLocation,
  out: Diagnostic[],
): void {
  for (const step of steps) {
    if (step.config?.partition === undefined || step.config.partition === null) continue;
    const at = stepLoc(step.id, 'config', 'partition');
    const error = (message: string, hint: string) =>
      out.push(diagnostic('error', 'partition.invalid', message, at, { stepId: step.id, hint }));
    if (!PARTITION_SOURCES[step.component]) {
      error(
        `step '${step.id}': 'partition' applies to ${Object.keys(PARTITION_SOURCES).join(' and ')}, not ${step.component}`,
        'remove partition:',
      );
      continue;
    }
    for (const key of ['limit', 'offset', 'incremental'])
      if (step.config?.[key] !== undefined)
        error(
          `step '${step.id}': 'partition' cannot be combined with '${key}'`,
          `drop '${key}', or drop 'partition'`,
        );
    const consumers = steps.filter((s) => (deps.get(s.id) ?? []).includes(step.id));
    const writer = consumers.length === 1 ? consumers[0] : undefined;
    if (!writer || !PARTITION_TARGETS[writer.component] || (deps.get(writer.id) ?? []).length !== 1)
      error(
        `step '${step.id}': a partitioned extractor must feed exactly one ${Object.keys(PARTITION_TARGETS).join(' or ')} directly (found ${
          consumers.length ? consumers.map((c) => `'${c.id}' (${c.component})`).join(', ') : 'no consumer'
        })`,
        'make one database writer its only consumer, reading nothing else; transform at the source with query:',
      );
  }
}
