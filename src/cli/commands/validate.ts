import type { Command } from 'commander';
import type { StepCheck } from '../../oml/bind-check.js';
import { configOption, connectionsOption, jsonOption, paramOption, profileOption } from '../options.js';
import { runAction } from '../output.js';

export interface ValidateFlags {
  param?: string[];
  profile?: string;
  config?: string;
  connections?: string;
  discover?: boolean;
  json?: boolean;
}

/**
 * `osiris validate <oml>`: an OML pipeline (params resolved, full validator, inline secrets).
 * `osiris validate`: the project setup (osiris.yaml, .env, osiris_connections.yaml).
 * Exit 0 when valid (warnings allowed), 2 when invalid or unreadable.
 */
export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'validate an OML pipeline, or (without a file) the project setup: osiris.yaml, .env, connections',
    )
    .argument('[oml]', 'pipeline file (OML v0.1.0 YAML)')
    .addOption(paramOption())
    .addOption(profileOption('profile whose params apply (default: filesystem.profiles.default)'))
    .addOption(configOption())
    .addOption(connectionsOption())
    .option(
      '--discover',
      "discover the pipeline's connections live to check its SQL (default: the discovery cache)",
    )
    .addOption(jsonOption())
    .action(async (oml: string | undefined, flags: ValidateFlags) => {
      await runAction(flags, async () =>
        oml === undefined ? validateProject(flags) : validatePipeline(oml, flags),
      );
    });
}

export async function validatePipeline(oml: string, flags: ValidateFlags): Promise<0 | 2> {
  const [{ resolve }, output, { ExitCode, isError }, { readOmlFile }, { parseParamArgs }, { checkOml }] =
    await Promise.all([
      import('node:path'),
      import('../output.js'),
      import('../../diagnostics/diagnostic.js'),
      import('../../oml/load.js'),
      import('../../oml/params.js'),
      import('../../oml/check.js'),
    ]);
  const [{ loadProjectConfig }, { loadRegistry }, { stepDependencies }, { secretKeyNames }, { loadDotEnv }] =
    await Promise.all([
      import('../../project/config.js'),
      import('../../registry/load.js'),
      import('../../oml/dependencies.js'),
      import('../../oml/secrets.js'),
      import('../../connections/env.js'),
    ]);
  const cwd = process.cwd();
  const cli = parseParamArgs(flags.param ?? []);
  const project = loadProjectConfig({
    cwd,
    env: process.env,
    ...(flags.config ? { configFile: flags.config } : {}),
  });
  const registry = loadRegistry({ projectRoot: project.root });
  const doc = readOmlFile(resolve(cwd, oml), oml, { env: process.env });

  // The same rule as compile and run: an unknown --profile is CMP003 (exit 2), naming the profiles there are.
  const { resolveProfile } = await import('../../compiler/compile.js');
  const profile = resolveProfile(project, flags.profile) ?? undefined;
  const { pipelineConnections } = await import('../../oml/pipeline-connections.js');
  const conns = pipelineConnections(doc.value, {
    cwd,
    env: process.env,
    projectRoot: project.root,
    ...(flags.connections ? { file: resolve(cwd, flags.connections) } : {}),
  });
  const result = await checkOml(doc, {
    registry,
    ...(conns.connections ? { connections: conns.connections } : {}),
    params: {
      env: process.env,
      cli,
      ...(profile !== undefined ? { profile } : {}),
      knownProfiles: project.profiles.enabled ? project.profiles.values : [],
    },
  });
  if (conns.diagnostics.length > 0) {
    result.diagnostics = [...result.diagnostics, ...conns.diagnostics];
    result.ok = false;
  }
  // The SQL check needs a valid pipeline; it binds every query against the shapes the run will meet.
  let sqlSteps: StepCheck[] = [];
  if (result.ok) {
    loadDotEnv({ cwd, env: process.env, projectRoot: project.root });
    const { checkPipelineSql } = await import('../../oml/sql-check.js');
    const sql = await checkPipelineSql(result.resolved, {
      project,
      registry,
      env: process.env,
      ...(flags.discover ? { discover: true } : {}),
    });
    sqlSteps = sql.steps;
    result.diagnostics = [...result.diagnostics, ...sql.diagnostics];
    result.ok = !result.diagnostics.some(isError);
  }
  const errors = result.diagnostics.filter(isError);
  const warnings = result.diagnostics.filter((d) => !isError(d));
  const root = result.oml;
  const rawSteps = Array.isArray(root.steps) ? root.steps : [];
  const name = typeof root.name === 'string' ? root.name : null;

  if (flags.json) {
    const steps = result.document
      ? (() => {
          const deps = stepDependencies(result.document.steps);
          return result.document.steps.map((s) => ({
            id: s.id,
            component: s.component,
            mode: s.mode,
            depends_on: deps.get(s.id) ?? [],
          }));
        })()
      : [];
    output.printJsonResult(
      {
        file: oml,
        name,
        steps,
        params: result.ok ? maskSecretParams(result.params, secretKeyNames(registry)) : {},
        profile: profile ?? null,
        sql_check: output.sqlCheckJson(sqlSteps),
      },
      { diagnostics: result.diagnostics },
    );
  } else {
    output.printDiagnostics(result.diagnostics);
    output.printSqlCheck(sqlSteps);
    const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    if (result.ok) {
      const extra = warnings.length ? `, ${count(warnings.length, 'warning')}` : '';
      output.printLine(`✓ ${oml} is valid (${count(rawSteps.length, 'step')}${extra})`);
    } else {
      const extra = warnings.length ? `, ${count(warnings.length, 'warning')}` : '';
      output.printLine(`✗ ${oml} is invalid (${count(errors.length, 'error')}${extra})`);
    }
  }
  return result.diagnostics.some(isError) ? ExitCode.usage : ExitCode.ok;
}

async function validateProject(flags: ValidateFlags): Promise<0 | 2> {
  const [output, { ExitCode, isError }, { checkProjectSetup }] = await Promise.all([
    import('../output.js'),
    import('../../diagnostics/diagnostic.js'),
    import('../../connections/check.js'),
  ]);
  const { diagnostics, report } = await checkProjectSetup({
    cwd: process.cwd(),
    env: process.env,
    ...(flags.config ? { configFile: flags.config } : {}),
    ...(flags.connections ? { connectionsFile: flags.connections } : {}),
  });
  const errors = diagnostics.filter(isError);
  const warnings = diagnostics.filter((d) => !isError(d));
  const ok = errors.length === 0;
  if (flags.json) {
    output.printJsonResult(report, { diagnostics });
  } else {
    output.printDiagnostics(diagnostics);
    const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const connections = report.connections;
    let aliases = 0;
    if (connections && typeof connections === 'object' && !Array.isArray(connections)) {
      for (const family of Object.values(connections)) {
        if (family && typeof family === 'object' && !Array.isArray(family))
          aliases += Object.keys(family).length;
      }
    }
    const config = typeof report.config_file === 'string' ? report.config_file : 'no osiris.yaml';
    const extra = warnings.length ? `, ${count(warnings.length, 'warning')}` : '';
    output.printLine(
      ok
        ? `✓ project setup is valid (${config}, ${count(aliases, 'connection')}${extra})`
        : `✗ project setup has problems (${count(errors.length, 'error')}${extra})`,
    );
  }
  return diagnostics.some(isError) ? ExitCode.usage : ExitCode.ok;
}

/** Params whose names look like secrets are shown as `***` (their values must not reach the terminal). */
function maskSecretParams(
  params: Record<string, unknown>,
  secretNames: readonly string[],
): Record<string, unknown> {
  const names = new Set(secretNames);
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, names.has(k.toLowerCase()) ? '***' : v]),
  );
}
