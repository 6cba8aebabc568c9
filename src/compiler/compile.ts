/**
 * OML → build folder. `compileDocument` is pure (document in, manifest + cfg objects out, OsirisError on any
 * problem); `compileOml` reads the file, compiles, writes the build folder and the index pointers.
 *
 * Operations, in order:
 * 1. profile: explicit, else `filesystem.profiles.default` when profiles are enabled; an unknown one is CMP003;
 * 2. `${params.x}` resolution (PAR diagnostics);
 * 3. the full OML validator on the param-resolved document (the original skipped it) — every error is
 *    reported at once with its file:line:col, exit 2;
 * 4. every step's component must exist and have a runtime driver (CMP001/CMP002);
 * 5. steps in deterministic topological order (Kahn, lexical tie-break on step id);
 * 6. cfg per step (cfg.ts), manifest and fingerprints (manifest.ts);
 * 7. files written atomically, manifest.yaml last; then `latest/<slug>.txt` and `last_compile.txt`.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VERSION } from '../cli/version.js';
import type { ConnectionsConfig } from '../connections/config.js';
import {
  type Diagnostic,
  diagnostic,
  isError,
  OsirisError,
  type SourceLocation,
  sortDiagnostics,
} from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { StepCheck } from '../oml/bind-check.js';
import { checkOml } from '../oml/check.js';
import { defaultConnectionRef } from '../oml/default-connection.js';
import { stepDependencies } from '../oml/dependencies.js';
import { readOmlFile } from '../oml/load.js';
import { secretKeyNames } from '../oml/secrets.js';
import type { OmlDocument, OmlStep } from '../oml/types.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import { canonicalJson, canonicalYaml, fingerprint } from '../util/canonical.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { slugify } from '../util/slug.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import { buildStepCfg } from './cfg.js';
import {
  CFG_DIR,
  computeManifestFp,
  computeManifestHash,
  FINGERPRINTS_FILE,
  MANIFEST_FILE,
  type Manifest,
  type ManifestFingerprints,
  type ManifestStep,
  PLAN_FILE,
} from './manifest.js';
import { compareIds, topologicalOrder } from './order.js';
import { buildDirFor, writeCompilePointers } from './pointers.js';

export const COMPILER_ID = `osiris-compiler/${VERSION}`;

export interface CompileDocumentOptions {
  project: ProjectConfig;
  registry: Registry;
  /** `--param k=v` values (strings, highest precedence). */
  params?: Record<string, string>;
  /** Explicit profile; defaults to the project's default profile when profiles are enabled. */
  profile?: string;
  /** Source of `OSIRIS_PARAM_*`; defaults to `process.env`. Pass `{}` for hermetic compiles. */
  env?: NodeJS.ProcessEnv;
  /** Clock for `meta.generated_at` (tests). */
  now?: () => Date;
  /** The project's connections file, when it exists: connection references must name its aliases. */
  connections?: ConnectionsConfig;
}

export interface CompileOptions extends CompileDocumentOptions {
  omlPath: string;
  /** How diagnostics name the file (what the user typed); defaults to `omlPath`. */
  displayName?: string;
  /** Write the build folder exactly here (relative paths resolve against the project root). */
  outDir?: string;
}

export interface CompiledPipeline {
  manifest: Manifest;
  /** cfg objects in manifest step order. */
  cfgs: Array<{ stepId: string; cfg: JsonObject }>;
  pipelineSlug: string;
  profile: string | null;
  warnings: Diagnostic[];
}

export interface CompileResult {
  /** Absolute path of manifest.yaml. */
  manifestPath: string;
  /** Absolute path of the build folder. */
  buildDir: string;
  manifestHash: string;
  manifestShort: string;
  pipelineSlug: string;
  profile: string | null;
  manifest: Manifest;
  warnings: Diagnostic[];
}

/** A file of the build folder, path relative to the folder. */
export interface BuildFile {
  path: string;
  content: string;
}

/** The profile in effect: explicit, else the project default (profiles enabled), else null. */
export function resolveProfile(project: ProjectConfig, explicit: string | undefined): string | null {
  const { enabled, values } = project.profiles;
  if (explicit === undefined || explicit === '') return enabled ? project.profiles.default : null;
  if (enabled && !values.includes(explicit)) {
    const suggestion = didYouMean(explicit, values);
    throw OsirisError.of(
      'CMP003',
      `unknown profile '${explicit}' (known: ${values.join(', ')})`,
      { file: project.configFile, path: 'filesystem.profiles.values' },
      {
        hint: suggestion ?? 'pick one of filesystem.profiles.values in osiris.yaml, or add it there',
      },
    );
  }
  return explicit;
}

/**
 * @param out receives the param-resolved located document (for checks that run after compiling, such as
 *   the SQL check)
 */
export async function compileDocument(
  doc: LocatedDocument,
  options: CompileDocumentOptions,
  out: { resolved?: LocatedDocument } = {},
): Promise<CompiledPipeline> {
  if (doc.errors.length > 0) throw new OsirisError(sortDiagnostics(doc.errors));
  const { project, registry } = options;
  const profile = resolveProfile(project, options.profile);

  // 2–3. params, then the full validator over the param-resolved document (locations from the original;
  // the inline-secret scan sees the text as written). One gate, shared with `osiris validate`.
  const checked = await checkOml(doc, {
    registry,
    ...(options.connections ? { connections: options.connections } : {}),
    params: {
      env: options.env ?? process.env,
      profile: paramsProfile(doc, project, profile),
      cli: options.params ?? {},
    },
  });
  const diagnostics: Diagnostic[] = [...checked.diagnostics];
  failOnErrors(diagnostics);
  out.resolved = checked.resolved;
  const resolved = { oml: checked.oml, params: checked.params };

  const oml = resolved.oml as unknown as OmlDocument;
  const steps = oml.steps;
  const indexOf = new Map(steps.map((s, i) => [s.id, i]));
  const stepLoc = (id: string, ...path: (string | number)[]): SourceLocation =>
    doc.locate(['steps', indexOf.get(id) ?? 0, ...path], path.length ? 'value' : 'key');

  // 4. components and drivers
  checkStepIds(steps, stepLoc, diagnostics);
  checkDrivers(steps, registry, stepLoc, diagnostics);
  failOnErrors(diagnostics);

  // 5. order
  const deps = stepDependencies(steps);
  const { order, cyclic, unknown } = topologicalOrder(
    steps.map((s) => s.id),
    deps,
  );
  for (const { step, dependency } of unknown) {
    diagnostics.push(
      diagnostic(
        'error',
        'CMP006',
        `step '${step}' depends on unknown step '${dependency}'`,
        stepLoc(step, 'needs'),
        { stepId: step, hint: didYouMean(dependency, indexOf.keys()) ?? 'fix `needs` / `inputs`' },
      ),
    );
  }
  if (cyclic.length > 0) {
    diagnostics.push(
      diagnostic(
        'error',
        'CMP006',
        `dependency cycle among ${cyclic.length} steps ${cyclic
          .slice(0, 10)
          .map((id) => `'${id}'`)
          .join(', ')}${cyclic.length > 10 ? ', …' : ''}`,
        stepLoc(cyclic[0] as string, 'needs'),
        { hint: 'remove one `needs` / `inputs` edge so the steps form a DAG' },
      ),
    );
  }
  failOnErrors(diagnostics);

  // 6. cfg, manifest, fingerprints
  const byId = new Map(steps.map((s) => [s.id, s]));
  const cfgs: CompiledPipeline['cfgs'] = [];
  const manifestSteps: ManifestStep[] = [];
  for (const id of order) {
    const step = withDefaultConnection(byId.get(id) as OmlStep, registry);
    const { cfg, problems } = buildStepCfg(step, registry);
    for (const p of problems) {
      diagnostics.push(
        diagnostic('error', p.code, p.message, stepLoc(id, 'config', p.key), { stepId: id, hint: p.hint }),
      );
    }
    cfgs.push({ stepId: id, cfg });
    const entry: ManifestStep = {
      id,
      component: step.component,
      mode: step.mode,
      driver: step.component,
      cfg_path: `${CFG_DIR}/${id}.json`,
      cfg_fp: fingerprint(cfg),
      needs: [...new Set(deps.get(id) ?? [])].sort(compareIds),
    };
    const connection = step.config?.connection;
    if (typeof connection === 'string') entry.connection = connection;
    if (step.inputs && Object.keys(step.inputs).length > 0) entry.inputs = { ...step.inputs };
    const incremental = step.mode === 'read' ? step.config?.incremental : undefined;
    // The cursor column only: the cursor's value is run-time input (events, AIOP), never in the manifest.
    if (isJsonObject(incremental) && typeof incremental.cursor === 'string')
      entry.incremental = { cursor: incremental.cursor };
    if (step.retry !== undefined) entry.retry = step.retry;
    manifestSteps.push(entry);
  }

  const pipelineSlug = slugify(oml.name);
  if (pipelineSlug === '') {
    diagnostics.push(
      diagnostic(
        'error',
        'CMP007',
        `pipeline name '${oml.name}' has no letters or digits to name its build folder`,
        doc.locate(['name'], 'value'),
        { hint: 'use a name like `orders-daily` (lowercase letters, digits and dashes)' },
      ),
    );
  }
  failOnErrors(diagnostics);

  const effectiveParams = maskParams(resolved.params, registry);
  const fingerprints: ManifestFingerprints = {
    oml_fp: fingerprint(resolved.oml),
    params_fp: fingerprint(resolved.params),
    registry_fp: registry.fingerprint(),
    compiler_fp: fingerprint(COMPILER_ID),
    profile,
    manifest_fp: '',
  };
  const manifest: Manifest = {
    meta: {
      compiler: COMPILER_ID,
      generated_at: (options.now ?? (() => new Date()))().toISOString(),
      manifest_hash: '',
      manifest_short: '',
      oml_version: oml.oml_version,
      profile,
    },
    name: oml.name,
    pipeline: { id: pipelineSlug, fingerprints },
    steps: manifestSteps,
  };
  if (typeof oml.description === 'string') manifest.description = oml.description;
  if (oml.metadata !== undefined && oml.metadata !== null) manifest.metadata = oml.metadata;
  if (Object.keys(effectiveParams).length > 0) manifest.params = effectiveParams;

  fingerprints.manifest_fp = computeManifestFp(manifest);
  const hash = computeManifestHash(manifest);
  manifest.meta.manifest_hash = hash;
  manifest.meta.manifest_short = hash.slice(0, project.manifestShortLen);

  return {
    manifest,
    cfgs,
    pipelineSlug,
    profile,
    warnings: sortDiagnostics(diagnostics.filter((d) => !isError(d))),
  };
}

/** A step without `connection` of a family that needs one runs on the family's default (validator: OML050). */
function withDefaultConnection(step: OmlStep, registry: Registry): OmlStep {
  const ref = defaultConnectionRef(step.component, step.config, registry);
  return ref === undefined ? step : { ...step, config: { ...(step.config ?? {}), connection: ref } };
}

/** The files of a build folder, in write order (manifest.yaml last: it is the commit point). */
export function renderBuild(compiled: CompiledPipeline): BuildFile[] {
  const { manifest } = compiled;
  const files: BuildFile[] = compiled.cfgs.map(({ stepId, cfg }) => ({
    path: `${CFG_DIR}/${stepId}.json`,
    content: `${canonicalJson(cfg)}\n`,
  }));
  files.push({
    path: PLAN_FILE,
    content: `${canonicalJson({
      steps: manifest.steps.map((s) => ({ id: s.id, component: s.component, needs: s.needs })),
    })}\n`,
  });
  files.push({
    path: FINGERPRINTS_FILE,
    content: `${canonicalJson({
      fingerprints: manifest.pipeline.fingerprints,
      manifest_hash: manifest.meta.manifest_hash,
      manifest_short: manifest.meta.manifest_short,
    })}\n`,
  });
  files.push({ path: MANIFEST_FILE, content: canonicalYaml(manifest) });
  return files;
}

/**
 * Writes a build folder: each file atomically, manifest.yaml last. Stale `cfg/*.json` files that are not
 * part of this build (possible with `--out` into a reused folder) are removed first.
 */
export function writeBuild(dir: string, files: readonly BuildFile[]): void {
  const wanted = new Set(files.map((f) => f.path));
  let existing: string[] = [];
  try {
    existing = readdirSync(join(dir, CFG_DIR));
  } catch {
    existing = [];
  }
  for (const name of existing.sort()) {
    if (name.endsWith('.json') && !wanted.has(`${CFG_DIR}/${name}`)) rmSync(join(dir, CFG_DIR, name));
  }
  for (const file of files) writeFileAtomic(join(dir, file.path), file.content);
}

/**
 * Reads, compiles and writes one OML file; see the module comment for the steps. What `osiris run` and the
 * chat agent compile with: the connection aliases the pipeline names are checked against the connections
 * file here, before anything runs (OML048), as `osiris validate` checks them.
 */
export async function compileOml(options: CheckedCompileOptions): Promise<CompileResult> {
  return writeCompiled(options, await compileWithConnections(options));
}

export interface CheckedCompileOptions extends CompileOptions {
  /** Where a relative connections file is looked for; the project root when omitted. */
  cwd?: string;
  /** Discover the pipeline's connections live for the SQL check (else the discovery cache). */
  discover?: boolean;
}

/** Reads and compiles one OML file, its connection references checked against the connections file. */
async function compileWithConnections(
  options: CheckedCompileOptions,
  out: { resolved?: LocatedDocument } = {},
): Promise<CompiledPipeline> {
  const env = options.env ?? process.env;
  const doc = readOmlFile(options.omlPath, options.displayName, { env });
  const { pipelineConnections } = await import('../oml/pipeline-connections.js');
  const conns = pipelineConnections(doc.value, {
    cwd: options.cwd ?? options.project.root,
    env,
    projectRoot: options.project.root,
  });
  if (doc.errors.length === 0) failOnErrors(conns.diagnostics);
  return compileDocument(
    doc,
    { ...options, ...(conns.connections ? { connections: conns.connections } : {}) },
    out,
  );
}

/**
 * `compileOml` plus the SQL check `osiris validate` runs: a table or column the SQL names that does not
 * exist is an error at its file:line:col and nothing is written. `sqlSteps` says which steps were checked.
 */
export async function compileOmlChecked(
  options: CheckedCompileOptions,
): Promise<CompileResult & { sqlSteps: StepCheck[] }> {
  const out: { resolved?: LocatedDocument } = {};
  const compiled = await compileWithConnections(options, out);
  const { checkPipelineSql } = await import('../oml/sql-check.js');
  const sql = await checkPipelineSql(out.resolved as LocatedDocument, {
    project: options.project,
    registry: options.registry,
    env: options.env ?? process.env,
    ...(options.discover ? { discover: true } : {}),
  });
  const diagnostics = [...compiled.warnings, ...sql.diagnostics];
  failOnErrors(diagnostics);
  const result = writeCompiled(options, { ...compiled, warnings: sortDiagnostics(diagnostics) });
  return { ...result, sqlSteps: sql.steps };
}

/** Writes a compiled pipeline's build folder and the compile pointers. */
function writeCompiled(options: CompileOptions, compiled: CompiledPipeline): CompileResult {
  const { manifest, pipelineSlug, profile } = compiled;
  const hash = manifest.meta.manifest_hash;
  const short = manifest.meta.manifest_short;
  const buildDir = options.outDir
    ? resolve(options.project.root, options.outDir)
    : buildDirFor(options.project, pipelineSlug, profile, hash, short);
  writeBuild(buildDir, renderBuild(compiled));
  const manifestPath = join(buildDir, MANIFEST_FILE);
  writeCompilePointers(options.project, {
    manifest_path: manifestPath,
    manifest_hash: hash,
    manifest_short: short,
    profile,
    pipeline_slug: pipelineSlug,
    compiled_at: manifest.meta.generated_at,
  });
  return {
    manifestPath,
    buildDir,
    manifestHash: hash,
    manifestShort: short,
    pipelineSlug,
    profile,
    manifest,
    warnings: compiled.warnings,
  };
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The profile whose OML `profiles.<name>.params` apply. With project profiles enabled the project already
 * vetted the name, and a pipeline need not list every project profile: one it does not list adds no params
 * (otherwise every pipeline with a `profiles` section would have to repeat the default profile). With project
 * profiles disabled the OML's own list is the only check, so the name is passed through and `resolveParams`
 * reports one it does not know.
 */
function paramsProfile(
  doc: LocatedDocument,
  project: ProjectConfig,
  profile: string | null,
): string | undefined {
  if (profile === null) return undefined;
  if (!project.profiles.enabled) return profile;
  const declared = isJsonObject(doc.value) ? doc.value.profiles : undefined;
  if (isJsonObject(declared) && !(profile in declared)) return undefined;
  return profile;
}

function failOnErrors(diagnostics: readonly Diagnostic[]): void {
  if (diagnostics.some(isError)) throw new OsirisError(sortDiagnostics(diagnostics));
}

/** Step ids name files (`cfg/<id>.json`): no path separators, and unique even on case-insensitive disks. */
function checkStepIds(
  steps: readonly OmlStep[],
  stepLoc: (id: string, ...path: (string | number)[]) => SourceLocation,
  out: Diagnostic[],
): void {
  const seen = new Map<string, string>();
  for (const step of steps) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(step.id)) {
      out.push(
        diagnostic('error', 'CMP008', `step id '${step.id}' cannot name a cfg file`, stepLoc(step.id, 'id'), {
          stepId: step.id,
          hint: 'use letters, digits, `-` and `_` (e.g. `extract-orders`)',
        }),
      );
      continue;
    }
    const folded = step.id.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined && other !== step.id) {
      out.push(
        diagnostic(
          'error',
          'CMP008',
          `step ids '${other}' and '${step.id}' differ only in case; their cfg files would collide`,
          stepLoc(step.id, 'id'),
          { stepId: step.id, hint: 'rename one of the steps' },
        ),
      );
    }
    seen.set(folded, step.id);
  }
}

function checkDrivers(
  steps: readonly OmlStep[],
  registry: Registry,
  stepLoc: (id: string, ...path: (string | number)[]) => SourceLocation,
  out: Diagnostic[],
): void {
  const runnable = registry
    .list()
    .filter((c) => c.driverPath !== undefined)
    .map((c) => c.spec.name);
  for (const step of steps) {
    const component = registry.get(step.component);
    if (!component) {
      out.push(
        diagnostic(
          'error',
          'CMP002',
          `unknown component '${step.component}' (step '${step.id}')`,
          stepLoc(step.id, 'component'),
          {
            stepId: step.id,
            hint: didYouMean(step.component, registry.names()) ?? 'run `osiris components list`',
          },
        ),
      );
    } else if (component.driverPath === undefined && component.typescriptDriver === undefined) {
      // (A TypeScript driver was already refused by checkOml, REG014.)
      out.push(
        diagnostic(
          'error',
          'CMP001',
          `component '${step.component}' has no runtime driver yet (step '${step.id}')`,
          stepLoc(step.id, 'component'),
          {
            stepId: step.id,
            hint: runnable.length
              ? `runnable components: ${runnable.join(', ')}`
              : 'no component has a runtime driver yet',
          },
        ),
      );
    }
  }
}

const SECRET_PARAM = /(pass(word|wd)?|pwd|secret|token|api_?key|private_?key|credential|dsn)/i;

/**
 * Effective params for the manifest. Inline secrets are rejected by the validator wherever they land in a
 * step, but a param can be defined and never used, so values of secret-looking names are masked anyway
 * (`params_fp` still covers the real values).
 */
function maskParams(params: Record<string, JsonValue>, registry: Registry): JsonObject {
  const secretNames = new Set(secretKeyNames(registry));
  const out: JsonObject = {};
  for (const name of Object.keys(params).sort()) {
    const value = params[name] as JsonValue;
    out[name] = secretNames.has(name.toLowerCase()) || SECRET_PARAM.test(name) ? '***' : value;
  }
  return out;
}
