/**
 * `osiris components list | show <name> | validate [<name|path>]`: what the registry holds, one component in
 * detail, and spec validation at three levels. Registry code loads inside the actions.
 */
import { type Command, Option } from 'commander';
import type { Diagnostic, ExitCodeValue } from '../../diagnostics/diagnostic.js';
import type { Registry } from '../../registry/registry.js';
import type { LoadedComponent } from '../../registry/types.js';
import type { JsonValue } from '../../yaml/json.js';
import { configOption, jsonOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

interface ProjectOptions extends OutputOptions {
  config?: string;
}

interface ListOptions extends ProjectOptions {
  mode?: string;
  runnable?: boolean;
}

interface ValidateOptions extends ProjectOptions {
  level: 'basic' | 'enhanced' | 'strict';
}

export function register(program: Command): void {
  const components = program
    .command('components')
    .description('list, inspect and validate component specs (components/<name>/spec.yaml)');

  components
    .command('list')
    .description('list the available components')
    .option(
      '--mode <mode>',
      'only components supporting a mode: extract, write, transform, discover, … (or OML read)',
    )
    .option('--runnable', 'only components that have a driver')
    .addOption(configOption())
    .addOption(jsonOption())
    .action((opts: ListOptions) => runAction(opts, () => listAction(opts)));

  components
    .command('show')
    .description('show one component: modes, config fields, connection fields, secrets, examples')
    .argument('<name>', 'component name, e.g. mysql.extractor')
    .addOption(configOption())
    .addOption(jsonOption())
    .action((name: string, opts: ProjectOptions) => runAction(opts, () => showAction(name, opts)));

  components
    .command('validate')
    .description('validate component specs (all of them when no name or path is given)')
    .argument('[target]', 'component name, or path of a spec.yaml or of its folder')
    .addOption(
      new Option(
        '--level <level>',
        'basic = schema; enhanced = + configSchema and examples; strict = + pointers',
      )
        .choices(['basic', 'enhanced', 'strict'])
        .default('enhanced'),
    )
    .addOption(configOption())
    .addOption(jsonOption())
    .action((target: string | undefined, opts: ValidateOptions) =>
      runAction(opts, () => validateAction(target, opts)),
    );
}

// ---------------------------------------------------------------------------------------------------

interface Context {
  cwd: string;
  projectRoot: string;
  registry: Registry;
}

async function context(opts: ProjectOptions): Promise<Context> {
  const [{ findConfigFile, loadProjectConfig }, { loadRegistry }, { dirname }] = await Promise.all([
    import('../../project/config.js'),
    import('../../registry/load.js'),
    import('node:path'),
  ]);
  const cwd = process.cwd();
  // A project file the user named must exist (and parse); a found one only tells where user components live.
  const found = opts.config ? undefined : findConfigFile({ cwd });
  const projectRoot = opts.config
    ? loadProjectConfig({ cwd, configFile: opts.config }).root
    : found
      ? dirname(found)
      : cwd;
  return { cwd, projectRoot, registry: loadRegistry({ projectRoot }) };
}

/** File paths inside the cwd print relative to it, like a compiler. */
async function relativeTo(cwd: string): Promise<(file: string) => string> {
  const { relative, isAbsolute } = await import('node:path');
  return (file) => {
    if (!isAbsolute(file)) return file;
    const rel = relative(cwd, file);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  };
}

async function relativizeAll(diagnostics: readonly Diagnostic[], cwd: string): Promise<Diagnostic[]> {
  const rel = await relativeTo(cwd);
  return diagnostics.map((d) =>
    d.location.file ? { ...d, location: { ...d.location, file: rel(d.location.file) } } : d,
  );
}

/** Why specs could not be loaded, as warnings: the listing itself still succeeds. */
async function loadProblems(ctx: Context): Promise<Diagnostic[]> {
  const problems = ctx.registry.problems.map((p) => ({ ...p, severity: 'warning' as const }));
  return relativizeAll(problems, ctx.cwd);
}

async function warnAboutProblems(ctx: Context): Promise<void> {
  const { printError } = await import('../output.js');
  const count = new Set(ctx.registry.problems.map((p) => p.location.file ?? '')).size;
  if (count > 0) {
    printError(
      `warning: ${count} component spec${count === 1 ? '' : 's'} could not be loaded — run \`osiris components validate\` for details`,
    );
  }
}

const COMPONENT_MODES = ['extract', 'write', 'load', 'transform', 'discover', 'analyze', 'stream'];
const OML_ALIASES: Record<string, string> = { read: 'extract' };

async function listAction(opts: ListOptions): Promise<ExitCodeValue> {
  const [{ OsirisError, ExitCode }, { didYouMean }, out, { REG }] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../diagnostics/suggest.js'),
    import('../output.js'),
    import('../../registry/load.js'),
  ]);
  let mode: string | undefined;
  if (opts.mode !== undefined && opts.mode !== 'all') {
    mode = OML_ALIASES[opts.mode] ?? opts.mode;
    if (!COMPONENT_MODES.includes(mode)) {
      throw OsirisError.of(
        REG.unknownMode,
        `unknown mode '${opts.mode}'`,
        {},
        {
          hint:
            didYouMean(opts.mode, [...COMPONENT_MODES, 'read', 'all']) ??
            `use one of: ${COMPONENT_MODES.join(', ')} (or read, all)`,
        },
      );
    }
  }
  const ctx = await context(opts);
  const rel = await relativeTo(ctx.cwd);
  const selected = ctx.registry
    .list()
    .filter(
      (c) =>
        mode === undefined ||
        c.spec.modes.includes(mode as never) ||
        (mode === 'write' && c.spec.modes.includes('load')),
    )
    .filter((c) => !opts.runnable || c.driverPath !== undefined);

  if (opts.json) {
    out.printJsonResult(
      {
        components: selected.map((c) => ({
          name: c.spec.name,
          version: c.spec.version,
          title: c.spec.title ?? null,
          modes: c.spec.modes,
          runnable: c.driverPath !== undefined,
          description: (c.spec.description ?? '').trim(),
          ...(c.typescriptDriver ? { not_runnable: typescriptDriverNote(c, rel) } : {}),
        })),
      },
      { diagnostics: await loadProblems(ctx) },
    );
    return ExitCode.ok;
  }
  if (selected.length === 0) {
    out.printLine('No components match.');
  } else {
    const rows = selected.map((c) => [
      c.spec.name,
      c.spec.version,
      c.spec.modes.join(', '),
      c.driverPath !== undefined ? '✓' : '✗',
      firstSentence(c.spec.description ?? '', 70),
    ]);
    printTable(out.printLine, ['Component', 'Version', 'Modes', 'Runnable', 'Description'], rows);
    for (const c of selected.filter((s) => s.typescriptDriver)) {
      out.printError(`warning: ${c.spec.name} ${typescriptDriverNote(c, rel)}`);
    }
  }
  await warnAboutProblems(ctx);
  return ExitCode.ok;
}

/** Why a project component with a TypeScript driver does not run, and the fix (REG014). */
function typescriptDriverNote(c: LoadedComponent, rel: (path: string) => string): string {
  const file = rel(c.typescriptDriver ?? '');
  return `is not runnable: its driver ${file} is TypeScript, which Node cannot load — compile it to driver.js or write driver.mjs (REG014)`;
}

function firstSentence(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const cut = flat.match(/^.*?[.!?](?=\s|$)/)?.[0] ?? flat;
  return cut.length > max ? `${cut.slice(0, max - 1).trimEnd()}…` : cut;
}

function printTable(print: (line: string) => void, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  print(line(header));
  print(line(widths.map((w) => '─'.repeat(w))));
  for (const r of rows) print(line(r));
}

async function resolveComponent(ctx: Context, name: string): Promise<LoadedComponent> {
  const [{ OsirisError, ExitCode }, { REG }] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../registry/load.js'),
  ]);
  const found = ctx.registry.get(name);
  if (found) return found;
  const { basename, dirname } = await import('node:path');
  const problems = ctx.registry.problems.filter(
    (p) => p.location.file !== undefined && basename(dirname(p.location.file)) === name,
  );
  if (problems.length > 0) {
    throw new OsirisError(
      [
        {
          severity: 'error',
          code: REG.notFound,
          message: `component '${name}' has an invalid spec and was not loaded`,
          location: {},
          hint: 'fix the problems below, then run `osiris components validate`',
        },
        ...(await relativizeAll(problems, ctx.cwd)),
      ],
      ExitCode.usage,
    );
  }
  const { didYouMean } = await import('../../diagnostics/suggest.js');
  throw OsirisError.of(
    REG.notFound,
    `unknown component '${name}'`,
    {},
    { hint: didYouMean(name, ctx.registry.names()) ?? 'run `osiris components list` to see them all' },
  );
}

async function showAction(name: string, opts: ProjectOptions): Promise<ExitCodeValue> {
  const ctx = await context(opts);
  const component = await resolveComponent(ctx, name);
  const [{ describeFields, describeRules }, { omlModesOf }, out, { ExitCode }] = await Promise.all([
    import('../../registry/describe.js'),
    import('../../registry/registry.js'),
    import('../output.js'),
    import('../../diagnostics/diagnostic.js'),
  ]);
  const rel = await relativeTo(ctx.cwd);
  const { spec } = component;
  const fields = describeFields(ctx.registry, name);
  const connectionFields = ctx.registry.connectionFields(name);
  const rules = describeRules(spec);

  if (opts.json) {
    out.printJsonResult({
      name: spec.name,
      version: spec.version,
      title: spec.title ?? null,
      description: (spec.description ?? '').trim(),
      modes: spec.modes,
      omlModes: omlModesOf(spec),
      capabilities: spec.capabilities,
      runnable: component.driverPath !== undefined,
      specPath: rel(component.specPath),
      driverPath: component.driverPath ? rel(component.driverPath) : null,
      ...(component.typescriptDriver ? { not_runnable: typescriptDriverNote(component, rel) } : {}),
      fields,
      rules,
      connectionFields,
      secrets: spec.secrets ?? [],
      'x-secret': spec['x-secret'] ?? [],
      redaction: spec.redaction ?? null,
      configSchema: spec.configSchema,
      examples: spec.examples ?? [],
      llmHints: spec.llmHints ?? null,
    });
    return ExitCode.ok;
  }

  const p = out.printLine;
  p(`${spec.name} ${spec.version}${spec.title ? ` — ${spec.title}` : ''}`);
  if (spec.description) for (const l of wrap(spec.description, 100)) p(l);
  p();
  const omlModes = omlModesOf(spec);
  p(`Modes:        ${spec.modes.join(', ')}${omlModes.length ? ` (OML mode: ${omlModes.join(', ')})` : ''}`);
  p(
    `Runnable:     ${
      component.driverPath
        ? `✓ ${rel(component.driverPath)}`
        : component.typescriptDriver
          ? `✗ ${typescriptDriverNote(component, rel).replace(/^is not runnable: /, '')}`
          : '✗ no driver yet'
    }`,
  );
  p(`Spec:         ${rel(component.specPath)}`);
  const caps = Object.entries(spec.capabilities)
    .map(([k, v]) => `${v ? '✓' : '✗'} ${k}`)
    .join('  ');
  p(`Capabilities: ${caps || '(none)'}`);
  p();
  p('Config fields:');
  for (const f of fields) {
    const tags = [f.type];
    if (f.required) tags.push('required');
    if (f.default !== undefined) tags.push(`default ${JSON.stringify(f.default)}`);
    if (f.connection) tags.push(`from connection, override ${f.connection}`);
    if (f.secret) tags.push('secret');
    p(`  ${f.name} (${tags.join(', ')})`);
    for (const l of wrap(f.description, 94)) p(`      ${l}`);
  }
  if (rules.length > 0) {
    p();
    p('Rules:');
    for (const r of rules) p(`  - ${r.replace(/`/g, '')}`);
  }
  p();
  if (connectionFields.length > 0) {
    const family = spec.name.split('.')[0];
    p(`Connection fields (provided by \`connection: '@${family}.<alias>'\`):`);
    const width = Math.max(...connectionFields.map((f) => f.name.length));
    for (const f of connectionFields) p(`  ${f.name.padEnd(width)}  ${POLICY_TEXT[f.override]}`);
  } else {
    p('Connection fields: none');
  }
  const secrets = [...(spec.secrets ?? [])];
  const runtime = [...(spec['x-secret'] ?? []), ...(spec.redaction?.extras ?? [])].filter(
    (s) => !secrets.includes(s),
  );
  p(`Secrets:      ${secrets.length ? secrets.join(', ') : 'none'}`);
  if (runtime.length) p(`Also redacted: ${[...new Set(runtime)].join(', ')}`);
  const examples = spec.examples ?? [];
  if (examples.length > 0) {
    const { stringify } = await import('yaml');
    p();
    p('Examples:');
    examples.forEach((ex, i) => {
      p(`  ${i + 1}. ${ex.title}`);
      const yaml = stringify(ex.config as JsonValue, { lineWidth: 0 }).trimEnd();
      for (const l of yaml.split('\n')) p(`       ${l}`);
    });
  }
  return ExitCode.ok;
}

const POLICY_TEXT: Record<string, string> = {
  allowed: 'allowed — a step may set it to override the connection',
  warning: 'warning — a step may override it, with a validation warning',
  forbidden: 'forbidden — only the connection may set it',
};

function wrap(text: string, width: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (!w) continue;
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

interface ComponentResult {
  name: string;
  file: string;
  valid: boolean;
  diagnostics: Diagnostic[];
}

async function validateAction(target: string | undefined, opts: ValidateOptions): Promise<ExitCodeValue> {
  const [{ ExitCode, OsirisError, sortDiagnostics }, load, out] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../../registry/load.js'),
    import('../output.js'),
  ]);
  const { basename, dirname, join, resolve } = await import('node:path');
  const { existsSync, statSync } = await import('node:fs');
  const isDirectory = (p: string) => existsSync(p) && statSync(p).isDirectory();
  const ctx = await context(opts);
  const rel = await relativeTo(ctx.cwd);
  const level = opts.level;

  const results: ComponentResult[] = [];
  const addResult = async (name: string, file: string, diagnostics: Diagnostic[]) => {
    const sorted = sortDiagnostics(await relativizeAll(diagnostics, ctx.cwd));
    results.push({
      name,
      file: rel(file),
      valid: !sorted.some((d) => d.severity === 'error'),
      diagnostics: sorted,
    });
  };

  if (target !== undefined) {
    const diagnostics = load.validateSpec(target, level, { projectRoot: ctx.projectRoot, cwd: ctx.cwd });
    if (diagnostics.length === 1 && diagnostics[0]?.code === load.REG.notFound) {
      throw new OsirisError(diagnostics, ExitCode.usage);
    }
    const asPath = resolve(ctx.cwd, target);
    const match = existsSync(asPath)
      ? undefined
      : load.discoverSpecFiles({ projectRoot: ctx.projectRoot }).find((f) => f.folder === target);
    const specFile =
      match?.specPath ??
      (isDirectory(asPath)
        ? (['spec.yaml', 'spec.yml', 'spec.json'].map((f) => join(asPath, f)).find((f) => existsSync(f)) ??
          asPath)
        : asPath);
    const name = match
      ? target
      : /^spec\.(ya?ml|json)$/.test(basename(specFile))
        ? basename(dirname(specFile))
        : basename(specFile);
    // A duplicate name only shows when the whole registry is loaded.
    const clashes = ctx.registry.problems.filter(
      (p) => p.code === load.REG.duplicate && p.location.file === specFile,
    );
    await addResult(name, specFile, [...diagnostics, ...clashes]);
  } else {
    const files = load.discoverSpecFiles({ projectRoot: ctx.projectRoot });
    for (const f of files) {
      const diagnostics = load.validateSpecFile(f.specPath, level);
      const clashes = ctx.registry.problems.filter(
        (p) => p.code === load.REG.duplicate && p.location.file === f.specPath,
      );
      await addResult(f.folder, f.specPath, [...diagnostics, ...clashes]);
    }
  }

  const ok = results.every((r) => r.valid);
  if (opts.json) {
    out.printJsonResult(
      { level, components: results },
      { diagnostics: results.flatMap((r) => r.diagnostics) },
    );
  } else {
    for (const r of results) {
      out.printLine(`${r.valid ? '✓' : '✗'} ${r.name}${r.valid ? '' : `  (${r.file})`}`);
      out.printDiagnostics(r.diagnostics);
    }
    const invalid = results.filter((r) => !r.valid).length;
    out.printLine(
      results.length === 0
        ? 'No component specs found.'
        : `${results.length - invalid} valid, ${invalid} invalid (level ${level})`,
    );
  }
  return ok ? ExitCode.ok : ExitCode.usage;
}
