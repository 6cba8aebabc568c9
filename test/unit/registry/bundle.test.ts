/**
 * The build's bundle of built-in specs (dist/components/specs.json, scripts/copy-assets.mjs): the registry
 * loaded from dist/ must be exactly the registry parsed from the YAML under src/, and the step-config
 * validators compiled to code at build time (dist/components/<name>/config-validators.cjs) must judge configs exactly
 * as the ones Ajv compiles at run time.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stepConfigSchema, validatorKey } from '../../../src/oml/config-schema.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { newAjv } from '../../../src/util/ajv.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const built = join(REPO_ROOT, 'dist/registry/load.js');

describe.skipIf(!existsSync(built))('built-in spec bundle', () => {
  it('gives the same components as parsing the YAML', async () => {
    const dist = (await import(pathToFileURL(built).href)) as typeof import('../../../src/registry/load.js');
    expect(existsSync(join(REPO_ROOT, 'dist/components/specs.json'))).toBe(true);
    const fromDist = dist.loadRegistry({ fresh: true });
    const fromSrc = loadRegistry({ fresh: true });
    expect(fromDist.problems).toEqual([]);
    expect(fromDist.list().map((c) => c.spec)).toEqual(fromSrc.list().map((c) => c.spec));
    expect(fromDist.list().map((c) => c.specText)).toEqual(fromSrc.list().map((c) => c.specText));
  });

  it('precompiled step-config validators report what run-time compiled ones report', async () => {
    type Validate = ((data: unknown) => boolean) & { errors?: unknown };
    const require = createRequire(import.meta.url);
    const validators = (name: string) =>
      (
        require(join(REPO_ROOT, 'dist/components', name, 'config-validators.cjs')) as {
          byKey: Record<string, Validate>;
        }
      ).byKey;
    const registry = loadRegistry({ fresh: true });
    const ajv = newAjv({ allErrors: true, strict: false, logger: false, verbose: true });
    let compared = 0;
    for (const component of registry.list()) {
      const { spec } = component;
      const provided = registry.connectionFields(spec.name).map((f) => f.name);
      // Missing keys, every property of the wrong type (or shape), and the spec's own examples.
      const properties = Object.keys(spec.configSchema.properties ?? {});
      const configs: unknown[] = [
        {},
        Object.fromEntries(properties.map((p) => [p, { wrong: true }])),
        Object.fromEntries(properties.map((p) => [p, ''])),
        ...(spec.examples ?? []).map((e) => e.config),
      ];
      for (const notRequired of [[], provided]) {
        const precompiled = validators(spec.name)[validatorKey(notRequired)];
        expect(precompiled, `${spec.name} [${notRequired.join(',')}]`).toBeTypeOf('function');
        const runtime = ajv.compile(stepConfigSchema(spec, notRequired));
        for (const config of configs) {
          expect(precompiled?.(config), `${spec.name}: ${JSON.stringify(config)}`).toBe(runtime(config));
          expect(precompiled?.errors ?? null).toEqual(runtime.errors ?? null);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(50);
  });
});
