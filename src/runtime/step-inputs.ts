import type { LoadedStep } from '../compiler/manifest.js';

/**
 * The upstream steps whose tables a step reads: its `needs` minus writers, which produce no table. An
 * extractor reads its own source, so it reads no upstream table at all. Such `needs` edges (usually the
 * implicit chain of steps without `needs`, reference §1.6) only order the run — as in the original, which
 * passed an upstream result on only when it carried data.
 */
export function inputStepIds(step: LoadedStep, byId: ReadonlyMap<string, LoadedStep>): string[] {
  if (step.mode === 'read') return [];
  return step.needs.filter((id) => byId.get(id)?.mode !== 'write');
}
