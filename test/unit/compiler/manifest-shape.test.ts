/**
 * `loadManifest` checks a manifest's shape by hand (`isManifestShape`) so that `osiris run` need not load zod;
 * the zod schema stays the reference and words CMP011. These tests hold the two to the same verdict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isManifestShape, zodManifestSchema } from '../../../src/compiler/manifest.js';

const hex = (n: number) => 'a'.repeat(n);
const step = (id: string) => ({
  id,
  component: 'filesystem.csv_writer',
  mode: 'write',
  driver: 'components/filesystem.csv_writer/driver.js',
  cfg_path: `cfg/${id}.json`,
  cfg_fp: `sha256:${hex(64)}`,
  needs: ['extract'],
  connection: '@postgres.main',
  inputs: { df: 'extract' },
  extra: 1,
});
const valid = {
  meta: {
    compiler: 'osiris-compiler/0.1.0',
    generated_at: '2026-12-07T00:00:00Z',
    manifest_hash: hex(64),
    manifest_short: hex(7),
    oml_version: '0.1.0',
    profile: null,
  },
  name: 'p',
  pipeline: {
    id: 'p',
    fingerprints: {
      oml_fp: 'x',
      params_fp: 'x',
      registry_fp: 'x',
      compiler_fp: 'x',
      profile: 'dev',
      manifest_fp: 'x',
    },
  },
  steps: [step('extract'), step('write')],
};

function sameVerdict(value: unknown): void {
  expect(isManifestShape(value), JSON.stringify(value)).toBe(zodManifestSchema().safeParse(value).success);
}

/** Every path to a value inside the manifest. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string, unknown>)[k], [...prefix, k]))];
}

/** A copy of `base` with the value at `path` replaced (or removed, for `undefined`). */
function withValue(base: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined && Array.isArray(at))
    at.splice(Number(last), 1); // YAML has no sparse arrays
  else if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const anyValue = fc.oneof(
  fc.constantFrom(undefined, null, '', 'x', 'read', 'transform', 'bogus', 0, 1, true, [], ['x'], [1], {}),
  fc.constantFrom(hex(64), hex(3), hex(2), hex(65), 'A'.repeat(64), `sha256:${hex(64)}`, `sha1:${hex(64)}`),
  fc.constantFrom({ df: 'x' }, { df: 1 }),
);

describe('isManifestShape', () => {
  it('accepts a compiled manifest, as zod does', () => {
    expect(isManifestShape(valid)).toBe(true);
    sameVerdict(valid);
  });

  it('reaches the same verdict as the zod schema with any one value changed or removed', () => {
    const all = paths(valid);
    fc.assert(
      fc.property(fc.constantFrom(...all), anyValue, (path, value) =>
        sameVerdict(withValue(valid, path, value)),
      ),
      { numRuns: 1500 },
    );
  });
});
