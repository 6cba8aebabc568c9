/**
 * Where a tool's pipeline comes from: text the model wrote (kept as a draft file under
 * `.osiris/mcp/drafts/`, so diagnostics point into that text) or a file — which must lie inside the
 * project folder, symlinks followed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../project/config.js';

/** A path argument that leaves the project folder. */
export const PATH_OUTSIDE_PROJECT = 'MCP020';
/** Neither or both of `oml` and `path`. */
export const SOURCE_REQUIRED = 'MCP021';
/** How diagnostics name a pipeline given as text (the model sees line:col in its own document). */
export const DRAFT_DISPLAY_NAME = 'pipeline.yaml';

export interface PipelineFile {
  /** Absolute path of the file to read. */
  file: string;
  /** How diagnostics name it. */
  display: string;
}

/** Folder of the MCP server's own files (drafts, audit log, compile records). */
export function mcpDir(project: ProjectConfig): string {
  return join(project.root, '.osiris', 'mcp');
}

/** An absolute path inside the project for a path argument; refuses anything outside (MCP020). */
export async function confinedPath(project: ProjectConfig, input: string): Promise<string> {
  const { realPrefix, within } = await import('../project/output-confinement.js');
  const absolute = resolve(project.root, input);
  if (within(realPrefix(project.root), realPrefix(absolute))) return absolute;
  throw OsirisError.of(
    PATH_OUTSIDE_PROJECT,
    `path '${input}' is outside the project folder`,
    { path: 'path' },
    { hint: 'give a path inside the project folder (relative to it), or pass the pipeline text as `oml`' },
  );
}

export async function pipelineFile(
  project: ProjectConfig,
  args: { oml?: string | undefined; path?: string | undefined },
): Promise<PipelineFile> {
  if ((args.oml === undefined) === (args.path === undefined)) {
    throw OsirisError.of(
      SOURCE_REQUIRED,
      'give the pipeline either as `oml` (its text) or as `path` (a file in the project), not both or neither',
      {},
      { hint: 'pass `oml` with the whole YAML document' },
    );
  }
  if (args.path !== undefined) {
    const file = await confinedPath(project, args.path);
    return { file, display: relative(project.root, file) || args.path };
  }
  const text = args.oml as string;
  const dir = join(mcpDir(project), 'drafts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.yaml`);
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
  return { file, display: DRAFT_DISPLAY_NAME };
}
