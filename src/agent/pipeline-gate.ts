/**
 * The gate every OML document the model writes passes before a human sees it: the project's validator
 * (the same one `osiris validate` runs), the output-path confinement (files only inside the project unless
 * osiris.yaml allows more), then a bind check of its SQL against the schemas discovered in this session,
 * then the deterministic compiler. Diagnostics come back as data the model can act on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Diagnostic, isError, OsirisError, sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { Catalog, CatalogTable } from '../oml/bind-check.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import { diagnosticsForModel as sharedDiagnostics } from '../tools/diagnostics.js';
import type { JsonValue } from '../yaml/json.js';
import type { Proposal } from './store.js';

/** The file name diagnostics use for the model's draft (the model sees line:col in it). */
export const DRAFT_NAME = 'pipeline.yaml';

/** What the session keeps of a discovery: enough to bind SQL and to remind the model. */
export interface SessionDiscovery {
  connection: string;
  family: string;
  alias: string;
  /** The family's default alias, so `@family` resolves to it too. */
  isDefault: boolean;
  tables: Array<{ schema: string | null; name: string; kind: string; rowEstimate: number | null }>;
  described: Array<CatalogTable & { primaryKey: string[] }>;
}

export interface GateOptions {
  project: ProjectConfig;
  registry: Registry;
  env: NodeJS.ProcessEnv;
  /** Where the draft is written (the session folder). */
  dir: string;
  discoveries: ReadonlyMap<string, JsonValue>;
}

export interface GateResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  pipelineName: string | undefined;
  draftPath: string;
}

/** Catalog keyed by every way OML may name a discovered connection (`@mysql.movies`, and `@mysql` if default). */
export function catalogFrom(discoveries: ReadonlyMap<string, JsonValue>): Catalog {
  const catalog = new Map<string, CatalogTable[]>();
  for (const value of discoveries.values()) {
    const d = value as unknown as SessionDiscovery;
    if (!d || !Array.isArray(d.described)) continue;
    catalog.set(d.connection, d.described);
    if (d.isDefault) catalog.set(`@${d.family}`, d.described);
  }
  return catalog;
}

/** Validates the OML text and bind-checks its SQL (src/tools/pipeline.ts, as the MCP tools do). */
export async function checkDraft(oml: string, options: GateOptions): Promise<GateResult> {
  const draftPath = join(options.dir, DRAFT_NAME);
  writeFileSync(draftPath, oml.endsWith('\n') ? oml : `${oml}\n`);
  const { checkPipeline } = await import('../tools/pipeline.js');
  const check = await checkPipeline(options, draftPath, DRAFT_NAME, {
    catalog: catalogFrom(options.discoveries),
  });
  return {
    ok: check.ok,
    diagnostics: check.diagnostics,
    pipelineName: check.name ?? undefined,
    draftPath,
  };
}

export type ProposeResult =
  | { ok: true; proposal: Proposal; warnings: Diagnostic[] }
  | ({ ok: false } & GateResult);

/** checkDraft, then compile. A compile failure is returned as diagnostics like a validation failure. */
export async function proposeDraft(oml: string, options: GateOptions): Promise<ProposeResult> {
  const gate = await checkDraft(oml, options);
  if (!gate.ok) return { ...gate, ok: false };
  const { compileOml } = await import('../compiler/compile.js');
  try {
    const result = await compileOml({
      omlPath: gate.draftPath,
      displayName: DRAFT_NAME,
      project: options.project,
      registry: options.registry,
      env: options.env,
    });
    return {
      ok: true,
      proposal: {
        pipelineName: result.pipelineSlug,
        oml,
        omlPath: gate.draftPath,
        manifestPath: result.manifestPath,
        manifestHash: result.manifestHash,
        manifestShort: result.manifestShort,
      },
      warnings: gate.diagnostics.filter((d) => !isError(d)),
    };
  } catch (error) {
    if (!(error instanceof OsirisError)) throw error;
    return { ...gate, ok: false, diagnostics: sortDiagnostics([...gate.diagnostics, ...error.diagnostics]) };
  }
}

/** Diagnostics as the model reads them (src/tools/diagnostics.ts); the draft's file name goes without saying. */
export function diagnosticsForModel(
  diagnostics: readonly Diagnostic[],
): Array<Record<string, string | number>> {
  return sharedDiagnostics(diagnostics).map(({ file: _file, ...rest }) => ({ ...rest }));
}
