/**
 * Golden files: the whole build folder of two example pipelines, byte for byte (only `generated_at` is
 * normalised). After an intended change, regenerate with `OSIRIS_UPDATE_GOLDEN=1 npx vitest run
 * test/unit/compiler/golden.test.ts` and review the diff.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileOml } from '../../../src/compiler/compile.js';
import {
  FIXTURES,
  fixtureRegistry,
  makeProject,
  normaliseGeneratedAt,
  removeDir,
  tempDir,
} from './helpers.js';

const UPDATE = process.env.OSIRIS_UPDATE_GOLDEN === '1';
const root = tempDir();
afterAll(() => removeDir(root));

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else {
        const text = readFileSync(p, 'utf8');
        out[relative(dir, p)] = entry.name === 'manifest.yaml' ? normaliseGeneratedAt(text) : text;
      }
    }
  };
  walk(dir);
  return out;
}

describe.each(['orders-daily', 'movie-directors'])('golden build of %s', (name) => {
  it('matches the golden folder', async () => {
    const project = makeProject(root);
    const result = await compileOml({
      omlPath: join(FIXTURES, name, 'pipeline.yaml'),
      displayName: `${name}/pipeline.yaml`,
      project,
      registry: fixtureRegistry(),
      env: {},
      outDir: join(root, name),
    });
    expect(result.warnings).toEqual([]);
    const actual = readTree(result.buildDir);
    const goldenDir = join(FIXTURES, name, 'golden');
    if (UPDATE) {
      rmSync(goldenDir, { recursive: true, force: true });
      for (const [file, text] of Object.entries(actual)) {
        mkdirSync(dirname(join(goldenDir, file)), { recursive: true });
        writeFileSync(join(goldenDir, file), text);
      }
    }
    const golden = readTree(goldenDir);
    expect(Object.keys(actual)).toEqual(Object.keys(golden));
    for (const file of Object.keys(golden)) expect(actual[file], file).toBe(golden[file]);
  });
});
