import type { Command } from 'commander';
import { configOption, jsonOption, paramOption, profileOption } from '../options.js';
import { runAction } from '../output.js';

interface CompileFlags {
  param?: string[];
  profile?: string;
  out?: string;
  config?: string;
  discover?: boolean;
  json?: boolean;
}

/** `osiris compile <oml>` — OML → build folder (manifest.yaml, cfg/, plan.json, fingerprints.json). */
export function register(program: Command): void {
  program
    .command('compile')
    .description('compile an OML pipeline into a deterministic build folder (manifest + per-step cfg)')
    .argument('<oml>', 'pipeline file (OML v0.1.0 YAML)')
    .addOption(paramOption())
    .addOption(profileOption('profile to compile for (default: filesystem.profiles.default)'))
    .option('--out <dir>', 'write the build folder exactly here instead of build/pipelines/…')
    .addOption(configOption())
    .option(
      '--discover',
      "discover the pipeline's connections live to check its SQL (default: the discovery cache)",
    )
    .addOption(jsonOption())
    .action(async (oml: string, flags: CompileFlags) => {
      await runAction(flags, async () => {
        const { resolve, relative, isAbsolute } = await import('node:path');
        const [
          { compileOmlChecked },
          { loadProjectConfig },
          { loadRegistry },
          { parseParamArgs },
          { loadDotEnv },
          output,
        ] = await Promise.all([
          import('../../compiler/compile.js'),
          import('../../project/config.js'),
          import('../../registry/load.js'),
          import('../../oml/params.js'),
          import('../../connections/env.js'),
          import('../output.js'),
        ]);
        const cwd = process.cwd();
        const params = parseParamArgs(flags.param ?? []);
        const project = loadProjectConfig({ cwd, env: process.env, configFile: flags.config });
        const registry = loadRegistry({ projectRoot: project.root });
        loadDotEnv({ cwd, env: process.env, projectRoot: project.root });
        const result = await compileOmlChecked({
          omlPath: resolve(cwd, oml),
          displayName: oml,
          project,
          registry,
          params,
          profile: flags.profile,
          env: process.env,
          outDir: flags.out === undefined ? undefined : resolve(cwd, flags.out),
          cwd,
          ...(flags.discover ? { discover: true } : {}),
        });
        if (flags.json) {
          output.printJsonResult(
            {
              manifest_path: result.manifestPath,
              manifest_hash: result.manifestHash,
              manifest_short: result.manifestShort,
              pipeline_slug: result.pipelineSlug,
              profile: result.profile,
              sql_check: output.sqlCheckJson(result.sqlSteps),
            },
            { diagnostics: result.warnings },
          );
        } else {
          output.printDiagnostics(result.warnings);
          output.printSqlCheck(result.sqlSteps);
          const rel = relative(cwd, result.manifestPath);
          const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : result.manifestPath;
          output.printLine(`✓ compiled ${result.manifest.name} → ${shown} (hash ${result.manifestShort})`);
        }
        return 0;
      });
    });
}
