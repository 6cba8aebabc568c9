/**
 * `osiris logs aiop [<run-id>|--last]`: the AI Operation Package of a run, rebuilt from its run folder.
 * Registered under `osiris logs` by `registerAiop(logs)`. Library code loads inside the action.
 */
import type { Command } from 'commander';
import { configOption, connectionsOption, jsonOption } from '../options.js';
import { assertRunSelector } from './run-selector.js';

export interface AiopOptions {
  last?: boolean;
  pipeline?: string;
  format?: string;
  out?: string;
  policy?: string;
  maxCoreBytes?: string;
  compress?: string;
  timelineDensity?: string;
  config?: string;
  connections?: string;
  json?: boolean;
}

/** Warning: an AIOP setting was out of range and its default was used. */
const CONFIG_WARNING = 'AIO003';

async function aiopAction(runId: string | undefined, options: AiopOptions): Promise<0 | 2> {
  const [{ OsirisError }, index, output, aiop, fsAtomic, path] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../observability/run-index.js'),
    import('../output.js'),
    import('../../observability/aiop/export.js'),
    import('../../util/fs-atomic.js'),
    import('node:path'),
  ]);
  const { resolveAiopConfig } = await import('../../observability/aiop/config.js');
  assertRunSelector('aiop', runId, options.last, true);
  const format = (options.format ?? 'json').toLowerCase();
  if (format !== 'json' && format !== 'md') {
    throw OsirisError.of(
      'AIO002',
      `--format must be json or md, got '${options.format}'`,
      {},
      {
        hint: 'json prints summary.json, md prints the Markdown run card',
      },
    );
  }
  const cwd = process.cwd();
  const { loadProjectConfig } = await import('../../project/config.js');
  const project = loadProjectConfig({ cwd, env: process.env, configFile: options.config });
  // CLI values are checked before anything is read, so a bad flag is a usage error (exit 2).
  const cli: Record<string, unknown> = {};
  if (options.policy !== undefined) cli.policy = options.policy;
  if (options.maxCoreBytes !== undefined) cli.max_core_bytes = options.maxCoreBytes;
  if (options.compress !== undefined) cli['annex.compress'] = options.compress;
  if (options.timelineDensity !== undefined) cli.timeline_density = options.timelineDensity;
  const env: NodeJS.ProcessEnv = { ...process.env };
  const config = resolveAiopConfig({ cli, env, projectRaw: project.raw });

  const record = index.selectRun(project, runId, options.pipeline);

  // .env values feed the redactor (secrets known by value); the process environment is left alone.
  const { loadDotEnv } = await import('../../connections/env.js');
  try {
    loadDotEnv({ cwd, env, projectRoot: project.root });
  } catch {
    // a broken .env only means fewer secrets known by value; key- and shape-based masking still apply
  }
  let registry: import('../../registry/registry.js').Registry | undefined;
  try {
    const { loadRegistry } = await import('../../registry/load.js');
    registry = loadRegistry({ projectRoot: project.root });
  } catch {
    registry = undefined;
  }
  const pkg = await aiop.buildAiopPackage(project, record, {
    config,
    env,
    cwd,
    ...(registry ? { registry } : {}),
  });
  const content = format === 'md' ? pkg.runCard : pkg.json;

  let outPath: string | undefined;
  let annexPaths: string[] = [];
  let annexDir: string | undefined;
  if (options.out !== undefined) {
    outPath = path.resolve(cwd, options.out);
    // The annex goes beside the output file, as `annex/` (what the core's metadata.annex.dir says).
    annexDir = path.dirname(outPath);
    annexPaths = aiop.writeAiopAnnex(pkg, annexDir);
    fsAtomic.writeFileAtomic(outPath, content);
  } else if (pkg.annex) {
    // The annex needs files: the whole package is (re)written in its standard place.
    const written = aiop.writeAiopPackage(
      pkg,
      path.join(aiop.aiopPackageDir(project, record), aiop.CORE_FILE),
    );
    annexPaths = written.annexPaths;
    annexDir = written.dir;
  }

  const meta = pkg.document.metadata;
  if (options.json) {
    output.printJsonResult(
      {
        run_id: record.run_id,
        pipeline: record.pipeline_slug,
        status: record.status,
        format,
        policy: pkg.config.values.policy,
        core_bytes: meta.size.core_bytes,
        max_core_bytes: meta.size.max_core_bytes,
        truncated: meta.truncated,
        ...(outPath ? { out: outPath } : {}),
        ...(annexPaths.length ? { annex: annexPaths } : {}),
        ...(outPath ? {} : format === 'md' ? { run_card: pkg.runCard } : { aiop: pkg.document }),
      },
      { diagnostics: meta.config_warnings.map((w) => output.warningOf(CONFIG_WARNING, w)) },
    );
    return 0;
  }
  for (const w of meta.config_warnings) output.printError(`warning ${CONFIG_WARNING} ${w}`);
  if (outPath) {
    output.printLine(
      `wrote ${outPath} (${meta.size.core_bytes} bytes core${meta.truncated ? ', truncated' : ''})`,
    );
  } else {
    process.stdout.write(content);
  }
  if (annexPaths.length > 0 && annexDir !== undefined) {
    output.printError(`annex: ${annexPaths.length} files in ${path.join(annexDir, aiop.ANNEX_DIR)}`);
  }
  return 0;
}

/** Adds `logs aiop` to the `osiris logs` command group. */
export function registerAiop(logs: Command): void {
  logs
    .command('aiop')
    .description('export the AI Operation Package (AIOP) of a run: JSON core or Markdown run card')
    .argument('[run-id]', 'run id or a unique prefix of it')
    .option('--last', 'the most recently finished run')
    .option('--pipeline <slug>', 'with --last: the last run of this pipeline')
    .option('--format <format>', 'json (summary.json) or md (run card)', 'json')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--policy <policy>', 'core (size-bounded summary) or annex (also full NDJSON shards)')
    .option('--max-core-bytes <n>', 'size limit of the core document in bytes (default 300000)')
    .option('--compress <mode>', 'annex shard compression: none or gzip')
    .option('--timeline-density <level>', 'timeline events kept: low, medium or high')
    .addOption(configOption())
    .addOption(connectionsOption())
    .addOption(jsonOption())
    .action(async (runId: string | undefined, options: AiopOptions) => {
      const { runAction } = await import('../output.js');
      await runAction(options, () => aiopAction(runId, options));
    });
}
