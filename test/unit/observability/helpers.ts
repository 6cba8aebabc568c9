import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';

/** A project with default filesystem contract rooted in a fresh temp folder (no osiris.yaml). */
export function tempProject(prefix = 'osiris-obs-'): ProjectConfig {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return loadProjectConfig({ cwd: root, env: {} });
}

/** Every file under `dir`, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...allFiles(path));
    else out.push(path);
  }
  return out.sort();
}

/** Files under `dir` whose contents include `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  return allFiles(dir).filter((f) => readFileSync(f, 'utf8').includes(needle));
}
