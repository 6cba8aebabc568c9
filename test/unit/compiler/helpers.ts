/** Shared fixtures for the compiler tests: a frozen in-memory registry and throwaway projects. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import { Registry } from '../../../src/registry/registry.js';
import type { ComponentSpec, LoadedComponent } from '../../../src/registry/types.js';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/compiler');
export const REGISTRY_FIXTURES = join(FIXTURES, 'registry');
/** Components of the frozen registry without a driver. */
export const NO_DRIVER = new Set(['mysql.extractor']);

/** The frozen specs; `overrides` replaces spec texts by component name (for fingerprint tests). */
export function fixtureRegistry(overrides: Record<string, string> = {}): Registry {
  const components: LoadedComponent[] = readdirSync(REGISTRY_FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const specPath = join(REGISTRY_FIXTURES, name, 'spec.yaml');
      const specText = overrides[name] ?? readFileSync(specPath, 'utf8');
      return {
        spec: parse(specText) as ComponentSpec,
        specPath,
        specText,
        driverPath: NO_DRIVER.has(name) ? undefined : join(REGISTRY_FIXTURES, name, 'driver.ts'),
      };
    });
  return new Registry(components);
}

export function tempDir(prefix = 'osiris-compiler-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A project rooted at `root` with the default filesystem contract (no osiris.yaml, no env overrides). */
export function makeProject(root: string, overrides: Partial<ProjectConfig> = {}): ProjectConfig {
  return { ...loadProjectConfig({ cwd: root, env: {} }), ...overrides };
}

/** Replaces the one volatile field so two builds can be compared byte for byte. */
export function normaliseGeneratedAt(text: string): string {
  return text.replace(/^(\s*generated_at: ).*$/m, "$1'<generated_at>'");
}
