/** The body of `osiris run`: prepare, print the plan or run, print where everything went. */
import { relative } from 'node:path';
import type { LoadedManifest } from '../../compiler/manifest.js';
import {
  ExitCode,
  type ExitCodeValue,
  OsirisError,
  withoutStepPrefix,
} from '../../diagnostics/diagnostic.js';
import type { RunFlags } from '../commands/run.js';
import { diagnosticsJson, printDiagnostics, printJson, printLine } from '../output.js';

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function planJson(loaded: LoadedManifest) {
  return {
    pipeline: loaded.manifest.pipeline.id,
    manifest_path: loaded.manifestPath,
    manifest_hash: loaded.manifest.meta.manifest_hash,
    profile: loaded.manifest.meta.profile,
    steps: loaded.steps.map((s) => ({
      id: s.id,
      component: s.component,
      mode: s.mode,
      needs: s.needs,
      ...(s.connection ? { connection: s.connection } : {}),
    })),
  };
}

function printPlan(loaded: LoadedManifest): void {
  const plan = planJson(loaded);
  printLine(
    `plan for ${plan.pipeline} (manifest ${loaded.manifest.meta.manifest_short}, profile ${plan.profile ?? '-'})`,
  );
  plan.steps.forEach((s, i) => {
    const inputs = s.needs.length ? ` ← ${s.needs.join(', ')}` : '';
    const conn = s.connection ? ` via ${s.connection}` : '';
    printLine(`  ${i + 1}. ${s.id}  ${s.component} (${s.mode})${conn}${inputs}`);
  });
  printLine('dry run: no data was read or written');
}

function parseMaxParallel(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw OsirisError.of(
      'RUN004',
      `--max-parallel must be a whole number from 1 to 64, got '${value}'`,
      {},
      {
        hint: 'e.g. --max-parallel 2',
      },
    );
  }
  return n;
}

/**
 * `error <code> step '<id>' failed: <message> — <hint>`. Step errors usually start with `step '<id>': `
 * themselves (they are read on their own in run logs), so the step is named once, not twice.
 */
export function formatRunError(error: {
  code: string;
  message: string;
  step_id?: string | null;
  hint?: string | null;
}): string {
  let message = error.message;
  let head = `error ${error.code}`;
  if (error.step_id) {
    const own = `step '${error.step_id}'`;
    message = withoutStepPrefix(message, error.step_id);
    if (message.startsWith(own)) head += ' ';
    else head += ` ${own} failed: `;
  } else head += ' ';
  return `${head}${message}${error.hint ? ` — ${error.hint}` : ''}`;
}

export async function runCommand(file: string | undefined, flags: RunFlags): Promise<ExitCodeValue> {
  const cwd = process.cwd();
  const env = process.env;
  const maxParallel = parseMaxParallel(flags.maxParallel);
  const { loadProjectConfig } = await import('../../project/config.js');
  const { loadDotEnv } = await import('../../connections/env.js');
  const { loadRegistry } = await import('../../registry/load.js');
  const { parseParamArgs } = await import('../../oml/params.js');
  const { prepareRun, executeRun } = await import('../../runtime/execute.js');

  const project = loadProjectConfig({ cwd, env });
  loadDotEnv({ cwd, env, projectRoot: project.root });
  const registry = loadRegistry({ projectRoot: project.root });
  const base = {
    cwd,
    env,
    project,
    registry,
    params: parseParamArgs(flags.param),
    maxParallel,
    ...(file !== undefined ? { file } : {}),
    ...(flags.lastCompile ? { lastCompile: true } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
    ...(flags.keepData ? { keepData: true } : {}),
  };
  const prepared = await prepareRun(base);
  if (!flags.json && prepared.warnings.length > 0) printDiagnostics(prepared.warnings);

  if (flags.dryRun) {
    if (flags.json)
      printJson({
        ok: true,
        dry_run: true,
        ...planJson(prepared.loaded),
        ...diagnosticsJson(prepared.warnings),
      });
    else printPlan(prepared.loaded);
    return ExitCode.ok;
  }

  const { createProgressReporter } = await import('../../observability/progress.js');
  const progress = createProgressReporter({
    tty: Boolean(process.stderr.isTTY) && !flags.json,
    stream: process.stderr,
    json: Boolean(flags.json),
  });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let result: Awaited<ReturnType<typeof executeRun>>;
  try {
    result = await executeRun({ ...base, progress, signal: controller.signal }, prepared);
  } finally {
    process.off('SIGINT', onSigint);
    progress.dispose();
  }

  if (flags.json) {
    printJson({
      ok: result.status === 'succeeded',
      run_id: result.runId,
      status: result.status,
      pipeline: prepared.loaded.manifest.pipeline.id,
      manifest_hash: prepared.loaded.manifest.meta.manifest_hash,
      duration_ms: result.durationMs,
      run_dir: result.runDir,
      ...(result.aiop.status === 'written' ? { aiop_path: result.aiop.written.corePath } : {}),
      outputs: result.outputs,
      steps: result.statusDoc.steps,
      ...(result.error ? { error: result.error } : {}),
      ...diagnosticsJson(result.warnings),
    });
  } else {
    if (result.status === 'succeeded') {
      for (const output of result.outputs) printLine(`  output: ${shown(output)}`);
      printLine(`✓ run ${result.runId} succeeded in ${result.durationMs} ms`);
    } else if (result.error) {
      process.stderr.write(`${formatRunError(result.error)}\n`);
      printLine(`✗ run ${result.runId} failed`);
    }
    printLine(`  run log: ${shown(result.runDir)}`);
    if (result.aiop.status === 'written') printLine(`  AI package: ${shown(result.aiop.written.corePath)}`);
    if (result.dataFile) printLine(`  data kept: ${shown(result.dataFile)}`);
  }
  return result.status === 'succeeded' ? ExitCode.ok : ExitCode.runtime;
}
