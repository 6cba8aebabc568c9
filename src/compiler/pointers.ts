/**
 * Where builds go and the index pointers compile leaves behind.
 *
 * After a successful compile two pointers are written atomically under `<paths.index>/`:
 * - `latest/<pipeline slug>.txt` — the newest build of that pipeline;
 * - `last_compile.txt` — the newest build of any pipeline (what `osiris run --last-compile` runs).
 *
 * Both hold one JSON object (not the original's three text lines):
 * `{"compiled_at","manifest_hash","manifest_path","manifest_short","pipeline_slug","profile"}`,
 * `manifest_path` absolute.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../project/config.js';
import { sortKeysDeep } from '../util/canonical.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { slugify } from '../util/slug.js';
import { isJsonObject } from '../yaml/json.js';

export interface CompilePointer {
  /** Absolute path of manifest.yaml. */
  manifest_path: string;
  manifest_hash: string;
  manifest_short: string;
  profile: string | null;
  pipeline_slug: string;
  /** Same instant as the manifest's `meta.generated_at`. */
  compiled_at: string;
}

export const LAST_COMPILE_FILE = 'last_compile.txt';
export const LATEST_DIR = 'latest';

/**
 * `<paths.build>/pipelines/[<profile>/]<slug>/<short>-<hash>`: the profile segment only when profiles are
 * enabled and a profile is in effect.
 */
export function buildDirFor(
  project: ProjectConfig,
  pipelineSlug: string,
  profile: string | null,
  manifestHash: string,
  manifestShort: string,
): string {
  const segments = [project.paths.build, 'pipelines'];
  if (project.profiles.enabled && profile) segments.push(slugify(profile));
  segments.push(pipelineSlug, `${manifestShort}-${manifestHash}`);
  return join(...segments);
}

export function lastCompilePath(project: ProjectConfig): string {
  return join(project.paths.index, LAST_COMPILE_FILE);
}

export function latestPointerPath(project: ProjectConfig, pipelineSlug: string): string {
  return join(project.paths.index, LATEST_DIR, `${pipelineSlug}.txt`);
}

export function writeCompilePointers(project: ProjectConfig, pointer: CompilePointer): void {
  const text = `${JSON.stringify(sortKeysDeep(pointer), null, 2)}\n`;
  writeFileAtomic(latestPointerPath(project, pointer.pipeline_slug), text);
  writeFileAtomic(lastCompilePath(project), text);
}

/** The last successful compile of any pipeline; undefined when there has been none. */
export function readLastCompile(project: ProjectConfig): CompilePointer | undefined {
  return readPointer(lastCompilePath(project));
}

/** The last successful compile of one pipeline (by slug); undefined when there has been none. */
export function readLatestCompile(project: ProjectConfig, pipelineSlug: string): CompilePointer | undefined {
  return readPointer(latestPointerPath(project, pipelineSlug));
}

function readPointer(file: string): CompilePointer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (
    !isJsonObject(value) ||
    !str(value.manifest_path) ||
    !str(value.manifest_hash) ||
    !str(value.pipeline_slug) ||
    !(value.profile === null || typeof value.profile === 'string')
  ) {
    throw OsirisError.of(
      'CMP014',
      `compile pointer ${file} is not readable (written by another Osiris version or corrupted)`,
      { file },
      { hint: 'compile the pipeline again with `osiris compile <pipeline.yaml>`' },
    );
  }
  return {
    manifest_path: value.manifest_path,
    manifest_hash: value.manifest_hash,
    manifest_short: str(value.manifest_short) ? value.manifest_short : value.manifest_hash.slice(0, 7),
    profile: value.profile,
    pipeline_slug: value.pipeline_slug,
    compiled_at: str(value.compiled_at) ? value.compiled_at : '',
  };
}
