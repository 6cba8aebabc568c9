/**
 * Runs: start one (only a pipeline compiled through `compile` in this project, and only when osiris.yaml
 * says `mcp.allow_run: true`), list them, show one, and read its AI Operation Package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { RunRecord } from '../observability/run-index.js';
import type { ToolContext } from './context.js';
import { type CompileRecord, compileRecordsFile } from './pipeline.js';
import { defineTool } from './spec.js';

/** Runs are off for this project (`mcp.allow_run`). */
export const RUN_NOT_ALLOWED = 'MCP030';
/** No compile with that manifest hash was made through `compile` in this project. */
export const UNKNOWN_MANIFEST = 'MCP031';
/** The manifest on disk is no longer the one compiled. */
export const MANIFEST_CHANGED = 'MCP032';

const bare = (hash: string) => hash.replace(/^sha256:/, '').toLowerCase();

function compileRecords(ctx: ToolContext): CompileRecord[] {
  const file = compileRecordsFile(ctx);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line ? [JSON.parse(line) as CompileRecord] : [];
      } catch {
        return [];
      }
    });
}

/** The manifest a run may start from, or why not. */
async function runnableManifest(ctx: ToolContext, hash: string): Promise<CompileRecord> {
  const wanted = bare(hash);
  const record = compileRecords(ctx)
    .reverse()
    .find((r) => wanted.length >= 8 && bare(r.manifest_hash).startsWith(wanted));
  if (!ctx.project.mcp.allowRun) {
    const where = ctx.project.configFile ? relative(ctx.project.root, ctx.project.configFile) : 'osiris.yaml';
    throw OsirisError.of(
      RUN_NOT_ALLOWED,
      'running pipelines from MCP is turned off for this project',
      { file: where, path: 'mcp.allow_run' },
      {
        hint:
          `to let assistants run pipelines, set \`mcp:\\n  allow_run: true\` in ${where} and restart the server; ` +
          `or run it yourself: osiris run ${record ? relative(ctx.project.root, record.manifest_path) : '<manifest.yaml>'}`,
      },
    );
  }
  if (!record) {
    throw OsirisError.of(
      UNKNOWN_MANIFEST,
      `no pipeline with manifest hash '${hash}' was compiled through MCP in this project`,
      {},
      { hint: 'call compile with the pipeline and pass the manifest_hash it returns' },
    );
  }
  const onDisk = existsSync(record.manifest_path)
    ? /^\s*manifest_hash:\s*['"]?([^'"\s]+)/m.exec(readFileSync(record.manifest_path, 'utf8'))?.[1]
    : undefined;
  if (onDisk !== record.manifest_hash) {
    throw OsirisError.of(
      MANIFEST_CHANGED,
      'the compiled manifest changed or was removed since it was compiled; it will not run',
      { file: relative(ctx.project.root, record.manifest_path) },
      { hint: 'call compile again and run the new manifest_hash' },
    );
  }
  return record;
}

/** Progress is not shown over MCP: the run's result is the answer. */
const quiet = {
  stepStarted() {},
  stepProgress() {},
  stepFinished() {},
  runFinished() {},
  note() {},
  dispose() {},
};

export const run = defineTool({
  name: 'run',
  title: 'Run a compiled pipeline',
  description:
    'Run a pipeline compiled with `compile`, by the manifest_hash compile returned. Only when the project ' +
    'allows runs from MCP (osiris.yaml `mcp.allow_run: true`, off by default). A failed run is a result ' +
    '(status failed, its error); read its AIOP with `aiop` to explain it.',
  input: { manifest_hash: z.string().min(8).max(80).describe('from compile') },
  output: {
    run_id: z.string(),
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    pipeline: z.string(),
    duration_ms: z.number(),
    steps: z.array(
      z.object({
        id: z.string(),
        status: z.string(),
        rows_out: z.number().optional(),
        rows_written: z.number().optional(),
      }),
    ),
    outputs: z.array(z.string()),
    error: z
      .object({
        code: z.string(),
        message: z.string(),
        step: z.string().optional(),
        hint: z.string().optional(),
      })
      .optional(),
  },
  readOnly: false,
  async execute(ctx, args) {
    const record = await runnableManifest(ctx, args.manifest_hash);
    const { executeRun } = await import('../runtime/execute.js');
    const result = await executeRun({
      file: record.manifest_path,
      cwd: ctx.project.root,
      env: ctx.env,
      project: ctx.project,
      registry: ctx.registry,
      progress: quiet,
    });
    const rel = (p: string) => relative(ctx.project.root, p) || p;
    return {
      run_id: result.runId,
      status: result.status,
      pipeline: record.pipeline,
      duration_ms: result.durationMs,
      steps: result.steps.map((s) => ({
        id: s.id,
        status: s.status,
        ...(s.result?.rowsOut !== undefined ? { rows_out: s.result.rowsOut } : {}),
        ...(s.result?.rowsWritten !== undefined ? { rows_written: s.result.rowsWritten } : {}),
      })),
      outputs: result.outputs.map(rel),
      ...(result.error
        ? {
            error: {
              code: result.error.code,
              message: result.error.message,
              ...(result.error.step_id ? { step: result.error.step_id } : {}),
              ...(result.error.hint ? { hint: result.error.hint } : {}),
            },
          }
        : {}),
    };
  },
});

const runRecord = z.object({
  run_id: z.string(),
  pipeline: z.string(),
  profile: z.string().nullable(),
  status: z.string(),
  manifest_hash: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  duration_ms: z.number(),
  rows_in: z.number().nullable(),
  rows_out: z.number().nullable(),
  error_code: z.string().optional(),
  error_message: z.string().optional(),
});

function recordView(r: RunRecord): z.output<typeof runRecord> {
  return {
    run_id: r.run_id,
    pipeline: r.pipeline_slug,
    profile: r.profile,
    status: r.status,
    manifest_hash: r.manifest_hash,
    started_at: r.started_at,
    finished_at: r.finished_at,
    duration_ms: r.duration_ms,
    rows_in: r.rows_in,
    rows_out: r.rows_out,
    ...(r.error_code ? { error_code: r.error_code } : {}),
    ...(r.error_message ? { error_message: r.error_message } : {}),
  };
}

export const runsList = defineTool({
  name: 'runs_list',
  title: 'List runs',
  description: 'The most recent runs of this project, newest first (optionally of one pipeline or status).',
  input: {
    pipeline: z.string().min(1).max(200).optional(),
    status: z.enum(['succeeded', 'failed', 'cancelled', 'abandoned']).optional(),
    limit: z.number().int().min(1).max(100).optional().describe('default 20'),
  },
  output: { runs: z.array(runRecord) },
  readOnly: true,
  async execute(ctx, args) {
    const { listRuns } = await import('../observability/run-index.js');
    const runs = listRuns(ctx.project, {
      ...(args.pipeline ? { pipeline: args.pipeline } : {}),
      ...(args.status ? { status: args.status } : {}),
      limit: args.limit ?? 20,
    });
    return { runs: runs.map(recordView) };
  },
});

const runIdArg = z.string().min(4).max(200).describe('run id, or a unique prefix of it');

export const runShow = defineTool({
  name: 'run_show',
  title: 'Show a run',
  description: 'One run: status, timing, rows, and the error (code, step, message) when it failed.',
  input: { run_id: runIdArg },
  output: runRecord.shape,
  readOnly: true,
  async execute(ctx, args) {
    const { findRun } = await import('../observability/run-index.js');
    return recordView(findRun(ctx.project, args.run_id));
  },
});

export const aiop = defineTool({
  name: 'aiop',
  title: 'AI Operation Package of a run',
  description:
    "A run's AI Operation Package: `json` is the size-bounded core (evidence, semantics, narrative, " +
    'metadata), `md` the Markdown run card. The first thing to read to explain a failed run.',
  input: { run_id: runIdArg, format: z.enum(['json', 'md']).optional().describe('default md') },
  output: {
    run_id: z.string(),
    status: z.string(),
    format: z.enum(['json', 'md']),
    run_card: z.string().optional(),
    aiop: z.record(z.string(), z.unknown()).optional(),
  },
  readOnly: true,
  async execute(ctx, args) {
    const record = await findRecord(ctx, args.run_id);
    const pkg = await aiopPackage(ctx, record);
    const format = args.format ?? 'md';
    return {
      run_id: record.run_id,
      status: record.status,
      format,
      ...(format === 'md'
        ? { run_card: pkg.runCard }
        : { aiop: pkg.document as unknown as Record<string, unknown> }),
    };
  },
});

export async function findRecord(ctx: ToolContext, runId: string): Promise<RunRecord> {
  const { findRun } = await import('../observability/run-index.js');
  return findRun(ctx.project, runId);
}

export async function aiopPackage(ctx: ToolContext, record: RunRecord) {
  const { buildAiopPackage } = await import('../observability/aiop/export.js');
  return buildAiopPackage(ctx.project, record, {
    env: ctx.env,
    cwd: ctx.project.root,
    registry: ctx.registry,
    redactor: ctx.redactor,
  });
}
