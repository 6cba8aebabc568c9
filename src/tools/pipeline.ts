/**
 * Validate, bind-check and compile a pipeline — the checks `osiris validate` and `osiris compile` run, plus
 * the output confinement every pipeline arriving from a model passes (files only inside the project unless
 * osiris.yaml allows more). Diagnostics carry real line:col in the document and the CLI's codes and hints.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { type Diagnostic, isError, OsirisError, sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { Catalog, StepCheck } from '../oml/bind-check.js';
import type { LocatedDocument } from '../yaml/located.js';
import type { ToolContext } from './context.js';
import { diagnosticsForModel } from './diagnostics.js';
import { mcpDir, pipelineFile } from './pipeline-source.js';
import { modelDiagnostic, pipelineSource } from './shapes.js';
import { defineTool } from './spec.js';

export interface PipelineCheck {
  ok: boolean;
  name: string | null;
  diagnostics: Diagnostic[];
  sqlSteps: StepCheck[];
}

export interface CheckPipelineOptions {
  /** Discover the pipeline's connections live for the SQL check (else the discovery cache). */
  discover?: boolean;
  /** Bind the SQL against these shapes instead (the chat agent's session discoveries). */
  catalog?: Catalog;
}

/**
 * Every check before a compile — the chat agent's gate and the MCP tools run this one function. Never
 * throws for what the document says: problems are diagnostics.
 */
export async function checkPipeline(
  ctx: Pick<ToolContext, 'project' | 'registry' | 'env'>,
  file: string,
  display: string,
  options: CheckPipelineOptions = {},
): Promise<PipelineCheck> {
  const [{ readOmlFile }, { checkOml }, { pipelineConnections }, { outputConfinementDiagnostics }] =
    await Promise.all([
      import('../oml/load.js'),
      import('../oml/check.js'),
      import('../oml/pipeline-connections.js'),
      import('../project/output-confinement.js'),
    ]);
  const doc = readOmlFile(file, display, { env: ctx.env });
  const conns = pipelineConnections(doc.value, {
    cwd: ctx.project.root,
    env: ctx.env,
    projectRoot: ctx.project.root,
  });
  const checked = await checkOml(doc, {
    registry: ctx.registry,
    ...(conns.connections ? { connections: conns.connections } : {}),
    params: { env: ctx.env },
    secretKeys: ctx.registry.allSecretKeys(),
  });
  const diagnostics = [...checked.diagnostics, ...conns.diagnostics];
  let sqlSteps: StepCheck[] = [];
  if (!diagnostics.some(isError)) {
    diagnostics.push(...outputConfinementDiagnostics(checked.resolved, ctx.project));
    const sql = options.catalog
      ? await bindAgainst(checked.resolved, options.catalog, ctx.project.root, display)
      : await (await import('../oml/sql-check.js')).checkPipelineSql(checked.resolved, {
          project: ctx.project,
          registry: ctx.registry,
          env: ctx.env,
          ...(options.discover ? { discover: true } : {}),
        });
    diagnostics.push(...sql.diagnostics);
    sqlSteps = sql.steps;
  }
  const name = typeof checked.oml.name === 'string' ? checked.oml.name : null;
  return { ok: !diagnostics.some(isError), name, diagnostics: sortDiagnostics(diagnostics), sqlSteps };
}

async function bindAgainst(
  resolved: LocatedDocument,
  catalog: Catalog,
  projectRoot: string,
  display: string,
): Promise<{ diagnostics: Diagnostic[]; steps: StepCheck[] }> {
  const [{ bindCheck }, { csvStepShapes }] = await Promise.all([
    import('../oml/bind-check.js'),
    import('../oml/file-shapes.js'),
  ]);
  const stepShapes = await csvStepShapes(resolved.value, projectRoot);
  return bindCheck(resolved, catalog, { file: display, stepShapes });
}

const sqlCheckShape = z.object({
  checked: z.array(z.string()),
  unchecked: z.array(z.object({ step: z.string(), reason: z.string() })),
});

function sqlCheck(steps: readonly StepCheck[]): z.output<typeof sqlCheckShape> {
  return {
    checked: steps.filter((s) => s.checked).map((s) => s.stepId),
    unchecked: steps
      .filter((s) => !s.checked)
      .map((s) => ({ step: s.stepId, reason: s.reason ?? 'not checked' })),
  };
}

export const omlValidate = defineTool({
  name: 'oml_validate',
  title: 'Validate OML',
  description:
    'Validate an OML pipeline without compiling it: structure, components, each config against its ' +
    'component, connections, where it writes, and every table/column its SQL names against the discovered ' +
    'schemas. Diagnostics have code, line:col in the document and a fix hint. A valid pipeline may still ' +
    'have warnings.',
  input: pipelineSource,
  output: {
    valid: z.boolean(),
    pipeline: z.string().nullable(),
    file: z.string(),
    diagnostics: z.array(modelDiagnostic),
    summary: z.object({ errors: z.number(), warnings: z.number() }),
    sql_check: sqlCheckShape,
  },
  readOnly: true,
  async execute(ctx, args) {
    const source = await pipelineFile(ctx.project, args);
    const check = await checkPipeline(ctx, source.file, source.display);
    const errors = check.diagnostics.filter(isError).length;
    return {
      valid: check.ok,
      pipeline: check.name,
      file: source.display,
      diagnostics: diagnosticsForModel(check.diagnostics),
      summary: { errors, warnings: check.diagnostics.length - errors },
      sql_check: sqlCheck(check.sqlSteps),
    };
  },
});

export const bindCheck = defineTool({
  name: 'bind_check',
  title: 'Bind-check SQL',
  description:
    "Check every table and column a pipeline's SQL names (extractor queries, duckdb.processor queries) " +
    'against the discovered database schemas and upstream step shapes. With discover: true the connections ' +
    'are discovered live first. Returns the located SQL errors and which steps could not be checked and why.',
  input: {
    ...pipelineSource,
    discover: z.boolean().optional().describe('discover the connections live first'),
  },
  output: {
    ok: z.boolean(),
    diagnostics: z.array(modelDiagnostic),
    sql_check: sqlCheckShape,
  },
  readOnly: true,
  async execute(ctx, args) {
    const source = await pipelineFile(ctx.project, args);
    const check = await checkPipeline(ctx, source.file, source.display, { discover: args.discover ?? false });
    return {
      ok: check.ok,
      diagnostics: diagnosticsForModel(check.diagnostics),
      sql_check: sqlCheck(check.sqlSteps),
    };
  },
});

/** One compile made through a tool: what `run` may run. */
export interface CompileRecord {
  manifest_hash: string;
  manifest_path: string;
  pipeline: string;
  compiled_at: string;
}

export function compileRecordsFile(ctx: ToolContext): string {
  return join(mcpDir(ctx.project), 'compiles.jsonl');
}

export const compile = defineTool({
  name: 'compile',
  title: 'Compile a pipeline',
  description:
    'Validate and compile an OML pipeline into its deterministic build folder (manifest + per-step config). ' +
    'Returns the manifest hash: `run` takes it. Errors come back as diagnostics, nothing is written.',
  input: { ...pipelineSource, profile: z.string().min(1).max(100).optional() },
  output: {
    pipeline: z.string(),
    manifest_hash: z.string(),
    manifest_short: z.string(),
    manifest_path: z.string(),
    profile: z.string().nullable(),
    warnings: z.array(modelDiagnostic),
    sql_check: sqlCheckShape,
  },
  readOnly: false,
  async execute(ctx, args) {
    const source = await pipelineFile(ctx.project, args);
    const check = await checkPipeline(ctx, source.file, source.display);
    if (!check.ok) {
      const { ExitCode } = await import('../diagnostics/diagnostic.js');
      throw new OsirisError(check.diagnostics, ExitCode.usage);
    }
    const { compileOmlChecked } = await import('../compiler/compile.js');
    const result = await compileOmlChecked({
      omlPath: source.file,
      displayName: source.display,
      project: ctx.project,
      registry: ctx.registry,
      env: ctx.env,
      cwd: ctx.project.root,
      ...(args.profile ? { profile: args.profile } : {}),
    });
    const record: CompileRecord = {
      manifest_hash: result.manifestHash,
      manifest_path: result.manifestPath,
      pipeline: result.pipelineSlug,
      compiled_at: new Date().toISOString(),
    };
    mkdirSync(mcpDir(ctx.project), { recursive: true });
    appendFileSync(compileRecordsFile(ctx), `${JSON.stringify(record)}\n`);
    return {
      pipeline: result.pipelineSlug,
      manifest_hash: result.manifestHash,
      manifest_short: result.manifestShort,
      manifest_path: relative(ctx.project.root, result.manifestPath) || result.manifestPath,
      profile: result.profile,
      warnings: diagnosticsForModel(result.warnings),
      sql_check: sqlCheck(result.sqlSteps),
    };
  },
});
