/**
 * osiris.yaml is checked by hand (`quickParse`) so that commands need not load zod; the zod schema stays the
 * reference and words every error. These tests hold the two to the same verdict and the same values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ParsedConfig, quickParse, zodConfigSchema } from '../../../src/project/config.js';
import { OSIRIS_YAML_TEMPLATE } from '../../../src/project/scaffold.js';
import type { JsonObject } from '../../../src/yaml/json.js';

/**
 * Same verdict, and for a valid file the same values: all of zod's output, so a key added to the schema but
 * not to `quickParse` fails here. (Generated files hold no unknown keys, which zod's loose objects would keep.)
 */
function sameVerdict(raw: JsonObject): void {
  const quick = quickParse(raw);
  const reference = zodConfigSchema().safeParse(raw);
  expect(quick !== undefined, JSON.stringify(raw)).toBe(reference.success);
  if (quick && reference.success) {
    const { version: _, ...data } = reference.data; // checked, but not part of the parsed config
    expect(quick).toEqual(data);
  }
}

// Values near every rule's edges, right and wrong: types, ranges, patterns, null, arrays, objects.
const anyValue = fc.oneof(
  fc.constantFrom(
    '',
    'dev',
    'a b',
    'auto',
    '512MB',
    '2 GiB',
    '50%',
    'lots',
    0,
    -1,
    1,
    2,
    3,
    7,
    16,
    17,
    256,
    257,
    30,
    0.5,
    3600,
    3600.5,
    86_400,
    86_401,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    null,
    [],
    ['dev', 'prod'],
    ['bad name'],
    [''],
    ['x', 1],
    {},
  ),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 300 }),
  fc.double({ noNaN: false }),
);

/** Mostly a value the rule accepts, sometimes anything. */
const field = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 15 }, { arbitrary: anyValue, weight: 1 });

/** Mostly a mapping of (optional) fields, sometimes not a mapping at all. */
const section = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    { arbitrary: fc.record(fields, { requiredKeys: [] }), weight: 15 },
    { arbitrary: anyValue, weight: 1 },
  );

const text = field(fc.string({ maxLength: 8 }));
const flag = field(fc.boolean());
const int = (min: number, max: number) => field(fc.integer({ min: min - 2, max: max + 2 }));

const config = fc.record(
  {
    version: field(fc.oneof(fc.string({ maxLength: 4 }), fc.integer())),
    filesystem: section({
      base_path: text,
      pipelines_dir: text,
      build_dir: text,
      aiop_dir: text,
      run_logs_dir: text,
      sessions_dir: text,
      cache_dir: text,
      index_dir: text,
      profiles: section({
        enabled: flag,
        values: field(fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{0,6}$/), { maxLength: 3 })),
        default: field(fc.option(fc.string({ maxLength: 4 }), { nil: null })),
      }),
      naming: section({ manifest_short_len: int(3, 16) }),
    }),
    runtime: section({
      memory_limit: field(fc.constantFrom('auto', 'AUTO', '512MB', '2 GiB', '1.5gb', '50%', '5 XB')),
      threads: int(1, 256),
      pass_through: flag,
      fuse: flag,
      lock_timeout: int(0, 86_400),
    }),
    security: section({
      allow_paths_outside_project: flag,
      allowed_output_roots: field(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 })),
    }),
    discovery: section({
      statement_timeout: field(fc.oneof(fc.double({ min: -1, max: 3601, noNaN: true }), fc.integer())),
    }),
    mcp: section({ allow_run: flag }),
  },
  { requiredKeys: [] },
);

/** zod's output without the unknown keys its loose objects keep (llm, logging, … of a real file). */
function pick(data: ParsedConfig): ParsedConfig {
  const { filesystem, runtime, security, discovery, mcp } = data;
  return {
    filesystem,
    runtime,
    security,
    discovery: { statement_timeout: discovery.statement_timeout },
    mcp: { allow_run: mcp.allow_run },
  };
}

describe('quickParse', () => {
  it('accepts the file `osiris init` writes, and an empty one, with the values zod gives', () => {
    const template = parse(OSIRIS_YAML_TEMPLATE) as JsonObject;
    expect(quickParse(template)).toEqual(pick(zodConfigSchema().parse(template)));
    sameVerdict({});
    expect(quickParse(parse(OSIRIS_YAML_TEMPLATE) as JsonObject)).toBeDefined();
  });

  it('reaches the same verdict and values as the zod schema on any file', () => {
    fc.assert(
      fc.property(config, (raw) => sameVerdict(raw as JsonObject)),
      { numRuns: 1500 },
    );
  });
});
