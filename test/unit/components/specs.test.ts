import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinComponentsRoot, validateSpecFile } from '../../../src/registry/load.js';

/** The config keys each driver reads: a spec field without driver support (or the reverse) fails here. */
const DRIVER_KEYS: Record<string, string[]> = {
  'filesystem.csv_extractor': [
    'base_dir',
    'columns',
    'comment',
    'compression',
    'connection',
    'delimiter',
    'dtype',
    'encoding',
    'escape',
    'exact_decimals',
    'header',
    'infer_types',
    'limit',
    'na_values',
    'null_values',
    'parse_dates',
    'path',
    'quote',
    'sample_size',
    'skip_rows',
  ],
  'duckdb.processor': ['query'],
  'filesystem.csv_writer': [
    'allow_empty',
    'columns',
    'create_dirs',
    'delimiter',
    'encoding',
    'header',
    'newline',
    'order_by',
    'path',
    'quote',
    'quoting',
    'write_mode',
  ],
  'filesystem.parquet_writer': [
    'allow_empty',
    'columns',
    'compression',
    'create_dirs',
    'order_by',
    'path',
    'row_group_size',
  ],
  'filesystem.json_writer': [
    'allow_empty',
    'columns',
    'create_dirs',
    'decimal_format',
    'format',
    'order_by',
    'path',
    'write_mode',
  ],
};

describe.each(Object.keys(DRIVER_KEYS))('%s spec', (name) => {
  const file = join(builtinComponentsRoot(), name, 'spec.yaml');
  const spec = parse(readFileSync(file, 'utf8'));

  it('passes strict validation (schema, examples, pointers, aliases)', () => {
    expect(validateSpecFile(file, 'strict')).toEqual([]);
  });

  it('declares exactly the fields the driver reads, each with a description', () => {
    const props = spec.configSchema.properties as Record<
      string,
      { description?: string; 'x-no-effect'?: string }
    >;
    // Keys kept for the Python original that do nothing here (OML045) are declared as such instead.
    const read = Object.keys(props).filter((k) => props[k]?.['x-no-effect'] === undefined);
    expect(read.sort()).toEqual(DRIVER_KEYS[name]);
    for (const [key, prop] of Object.entries(props)) expect(prop.description, key).toMatch(/\S{3}/);
    expect(spec.configSchema.additionalProperties).toBe(false);
    expect(spec.examples.length).toBeGreaterThan(0);
    expect(spec.llmHints.promptGuidance.length).toBeGreaterThan(50);
  });
});
