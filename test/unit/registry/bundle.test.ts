/**
 * The build's bundle of built-in specs (dist/components/specs.json, scripts/copy-assets.mjs): the registry
 * loaded from dist/ must be exactly the registry parsed from the YAML under src/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../../../src/registry/load.js';
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
});
