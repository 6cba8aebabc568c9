import type { Command } from 'commander';
import { configOption, connectionsOption, jsonOption, paramOption, profileOption } from '../options.js';
import { runAction } from '../output.js';

export interface ValidateFlags {
  param?: string[];
  profile?: string;
  config?: string;
  connections?: string;
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
  const [{ loadProjectConfig }, { loadRegistry }, { stepDependencies }, { secretKeyNames }] =
    await Promise.all([
      import('../../project/config.js'),
      import('../../registry/load.js'),
      import('../../oml/dependencies.js'),
      import('../../oml/secrets.js'),
    ]);
  const cwd = process.cwd();
  const cli = parseParamArgs(flags.param ?? []);
  const project = loadProjectConfig({
    cwd,
    env: process.env,
    ...(flags.config ? { configFile: flags.config } : {}),
  });
  const registry = loadRegistry({ projectRoot: project.root });
  const doc = readOmlFile(resolve(cwd, oml), oml);

  const profile =
    flags.profile ?? (project.profiles.enabled ? (project.profiles.default ?? undefined) : undefined);
  const result = await checkOml(doc, {
    registry,
    params: {
      env: process.env,
      cli,
      ...(profile !== undefined ? { profile } : {}),
      knownProfiles: project.profiles.enabled ? project.profiles.values : [],
    },
  });
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
      },
      { diagnostics: result.diagnostics },
    );
  } else {
    output.printDiagnostics(result.diagnostics);
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
