/**
 * Where generated pipelines may write files. A pipeline the chat agent wrote (or, later, one that arrives
 * through the MCP server) could otherwise overwrite any file the user can — `~/.bashrc`, another project's
 * data — the first time someone runs it. So the output paths of its writer steps must stay inside the project
 * folder, or inside a folder osiris.yaml lists under `security.allowed_output_roots`, unless
 * `security.allow_paths_outside_project: true`. Hand-written pipelines are not checked: their author chose
 * the path.
 *
 * Symlinks count where they lead: a path inside the project through a link to `/etc` is outside.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { type Diagnostic, diagnostic } from '../diagnostics/diagnostic.js';
import { resolveStepPath } from '../runtime/file-output.js';
import { isJsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import type { ProjectConfig } from './config.js';

/** The code of an output path outside the allowed folders. */
export const OUTSIDE_PROJECT = 'SEC001';

export interface OutsideOutput {
  stepId: string;
  /** Index of the step in `steps`. */
  index: number;
  /** The path as the pipeline writes it. */
  path: string;
  /** Where it really lands (symlinks followed as far as the path exists). */
  resolved: string;
}

/** `path` with its longest existing prefix replaced by that prefix's real path. */
export function realPrefix(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPrefix(parent), basename(path));
  }
}

/** Whether `path` is `root` or lies under it (both already real paths). */
export function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The folders generated pipelines may write into (real paths); undefined when anywhere is allowed. */
function allowedRoots(project: ProjectConfig): string[] | undefined {
  if (project.security.allowPathsOutsideProject) return undefined;
  return [project.root, ...project.security.allowedOutputRoots].map(realPrefix);
}

/**
 * Writer steps (`mode: write`) of a resolved OML document whose `config.path` lands outside the folders a
 * generated pipeline may write into. Empty when everything is inside, or when osiris.yaml allows anywhere.
 * This is the check the chat agent's gate runs and the MCP server is to run on pipelines it receives.
 */
export function outputsOutsideProject(oml: JsonValue | undefined, project: ProjectConfig): OutsideOutput[] {
  const roots = allowedRoots(project);
  const steps = isJsonObject(oml) && Array.isArray(oml.steps) ? oml.steps : [];
  if (!roots) return [];
  const found: OutsideOutput[] = [];
  steps.forEach((step, index) => {
    if (!isJsonObject(step) || step.mode !== 'write' || !isJsonObject(step.config)) return;
    const path = step.config.path;
    if (typeof path !== 'string' || path === '') return;
    const resolved = realPrefix(resolveStepPath(project.root, path));
    if (roots.some((root) => within(root, resolved))) return;
    found.push({ stepId: typeof step.id === 'string' ? step.id : `#${index + 1}`, index, path, resolved });
  });
  return found;
}

/** `outputsOutsideProject` as located errors (`SEC001`) for the document's author — or the model. */
export function outputConfinementDiagnostics(doc: LocatedDocument, project: ProjectConfig): Diagnostic[] {
  return outputsOutsideProject(doc.value, project).map((o) =>
    diagnostic(
      'error',
      OUTSIDE_PROJECT,
      `step '${o.stepId}' writes '${o.path}', which is outside the project folder (${o.resolved}); generated pipelines may only write inside ${project.root}`,
      doc.locate(['steps', o.index, 'config', 'path'], 'value'),
      {
        stepId: o.stepId,
        hint: 'use a relative path such as output/<name>.csv, or let the project allow it: security.allowed_output_roots (or security.allow_paths_outside_project: true) in osiris.yaml',
      },
    ),
  );
}
