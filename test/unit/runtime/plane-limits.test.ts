/** Data plane sizing (docs/adr/0007): what `memory_limit: auto` picks for a run, and that settings win. */
import { describe, expect, it } from 'vitest';
import type { LoadedStep } from '../../../src/compiler/manifest.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { planeLimits } from '../../../src/runtime/plane-limits.js';

const registry = loadRegistry();
const step = (component: string, mode: LoadedStep['mode']) =>
  ({ id: component, component, mode }) as LoadedStep;
const auto = { memoryLimit: 'auto', threads: undefined };

describe('planeLimits', () => {
  it('gives a run that only copies from databases a small pool and one thread', () => {
    for (const source of ['mysql.extractor', 'postgres.extractor', 'supabase.extractor']) {
      for (const target of ['filesystem.parquet_writer', 'filesystem.csv_writer', 'postgres.writer']) {
        expect(planeLimits([step(source, 'read'), step(target, 'write')], registry, auto)).toEqual({
          memoryLimit: '48MB',
          threads: 1,
          sizing: 'database copy',
        });
      }
    }
  });

  it('gives SQL transforms and file sources 1GB and DuckDB’s threads', () => {
    const transform = [
      step('mysql.extractor', 'read'),
      step('duckdb.processor', 'transform'),
      step('filesystem.parquet_writer', 'write'),
    ];
    const fileSource = [step('filesystem.csv_extractor', 'read'), step('filesystem.parquet_writer', 'write')];
    for (const steps of [transform, fileSource]) {
      expect(planeLimits(steps, registry, auto)).toEqual({ memoryLimit: '1GB', sizing: 'default' });
    }
  });

  it('keeps a configured size or thread count', () => {
    const copy = [step('mysql.extractor', 'read'), step('filesystem.csv_writer', 'write')];
    expect(planeLimits(copy, registry, { memoryLimit: '2GB', threads: undefined })).toEqual({
      memoryLimit: '2GB',
      sizing: 'configured',
    });
    expect(planeLimits(copy, registry, { memoryLimit: 'AUTO', threads: 2 })).toEqual({
      memoryLimit: '48MB',
      threads: 2,
      sizing: 'database copy',
    });
  });
});
