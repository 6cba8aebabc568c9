/**
 * The compiled manifest: its shape, its identity (`manifest_hash`) and reading a build folder back.
 *
 * ## Build folder
 *
 * ```
 * <paths.build>/pipelines/[<profile>/]<pipeline slug>/<manifest_short>-<manifest_hash>/
 *   manifest.yaml        canonical YAML (keys sorted, `---` … `...`), layout below
 *   cfg/<step id>.json   canonical compact JSON per step (see cfg.ts)
 *   plan.json            {"steps":[{"component","id","needs"}…]} in execution order
 *   fingerprints.json    {"fingerprints":{…},"manifest_hash","manifest_short"}
 * ```
 *
 * The profile segment appears when `filesystem.profiles.enabled` and a profile is in effect (the explicit
 * one, else `profiles.default`); profile and slug segments are slugified like every path token.
 * The pipeline slug is `slugify(OML name)` everywhere (build path, index pointers, run logs). The original
 * used the OML *file stem* for build paths and the lower-cased name for `pipeline.id`; we use the name.
 * `--out <dir>` writes the same files into `<dir>` instead.
 *
 * ## manifest.yaml
 *
 * ```yaml
 * meta:
 *   compiler: osiris-compiler/<version>
 *   generated_at: '2025-01-01T00:00:00.000Z'   # the ONLY volatile field; excluded from every hash
 *   manifest_hash: <64 hex>                      # identity, see below
 *   manifest_short: <first N hex>                # N = filesystem.naming.manifest_short_len
 *   oml_version: 0.1.0
 *   profile: dev                                 # or null
 * name: <OML name>
 * description: …                                 # when the OML has one
 * metadata: {…}                                  # copied from the OML when present
 * params: {…}                                    # effective params (secret-looking names masked), if any
 * pipeline:
 *   id: <pipeline slug>
 *   fingerprints:
 *     oml_fp: sha256:…        # canonical JSON of the param-resolved OML
 *     params_fp: sha256:…     # canonical JSON of the effective params
 *     registry_fp: sha256:…   # the real spec files (Registry.fingerprint)
 *     compiler_fp: sha256:…   # `osiris-compiler/<version>`
 *     profile: dev
 *     manifest_fp: sha256:…   # canonical JSON of the manifest minus the volatile/self fields
 * steps:                      # deterministic topological order (Kahn, lexical tie-break on id)
 *   - id: extract
 *     component: filesystem.csv_extractor
 *     mode: read              # the OML mode (cfg holds the component mode)
 *     driver: filesystem.csv_extractor
 *     cfg_path: cfg/extract.json
 *     cfg_fp: sha256:…        # canonical JSON of the cfg object: ties cfg files to the hash
 *     needs: []               # `needs` ∪ `inputs` refs (or the inferred linear chain), sorted
 *     connection: '@filesystem.local'   # as written, when the step has one
 *     inputs: {df: '${extract.df}'}     # as written, when the step has them
 *     retry: {attempts: 5}              # as written, when the step has one (runtime/retry/policy.ts)
 * ```
 *
 * `manifest_hash` = hex SHA-256 of the canonical JSON of `{manifest: M', profile: profile ?? ''}` where M' is
 * the manifest without `meta.generated_at`, `meta.manifest_hash`, `meta.manifest_short` and
 * `pipeline.fingerprints.manifest_fp`. `manifest_fp` = `sha256:` + hex SHA-256 of the canonical JSON of M'.
 * There is no `run_id` placeholder (the original wrote a literal `${run_id}`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { z as Z } from 'zod';
import { OsirisError } from '../diagnostics/diagnostic.js';
import { canonicalJson, fingerprint, sha256Hex } from '../util/canonical.js';
import { lazyZod } from '../util/lazy-zod.js';
import { describeProblem, maxFileBytes, readBoundedText } from '../util/read-bounded.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import { type LocatedDocument, parseLocatedYaml } from '../yaml/located.js';
import { CFG_META_KEYS } from './cfg.js';

export const MANIFEST_FILE = 'manifest.yaml';
export const PLAN_FILE = 'plan.json';
export const FINGERPRINTS_FILE = 'fingerprints.json';
export const CFG_DIR = 'cfg';

export interface ManifestFingerprints {
  oml_fp: string;
  params_fp: string;
  registry_fp: string;
  compiler_fp: string;
  profile: string | null;
  manifest_fp: string;
}

export interface ManifestStep {
  id: string;
  component: string;
  /** The OML mode: read | write | transform. */
  mode: 'read' | 'write' | 'transform';
  /** Component whose driver runs the step (today always the component itself). */
  driver: string;
  /** Relative to the manifest's folder. */
  cfg_path: string;
  /** `sha256:` of the canonical JSON of the cfg object. */
  cfg_fp: string;
  /** Upstream step ids, sorted. */
  needs: string[];
  /** `@family.alias` (or `@family`) exactly as written in the OML. */
  connection?: string;
  /** The OML `inputs` mapping as written, e.g. `{df: '${extract.df}'}`. */
  inputs?: Record<string, string>;
  /** An incremental read (docs/reference/incremental.md): its cursor column; the cursor's value is run-time state. */
  incremental?: { cursor: string };
  /** The OML step's `retry` as written (runtime/retry/policy.ts reads it), when the step has one. */
  retry?: JsonValue;
}

export interface ManifestMeta {
  compiler: string;
  generated_at: string;
  manifest_hash: string;
  manifest_short: string;
  oml_version: string;
  profile: string | null;
}

export interface Manifest {
  meta: ManifestMeta;
  name: string;
  description?: string;
  metadata?: JsonObject;
  params?: JsonObject;
  pipeline: { id: string; fingerprints: ManifestFingerprints };
  steps: ManifestStep[];
}

/** The manifest without the fields that are volatile or derived from the hash itself. */
export function hashableManifest(manifest: Manifest): JsonObject {
  const copy = structuredClone(manifest) as unknown as JsonObject & Record<string, Record<string, JsonValue>>;
  const meta = copy.meta as Record<string, JsonValue>;
  delete meta.generated_at;
  delete meta.manifest_hash;
  delete meta.manifest_short;
  const fps = (copy.pipeline as Record<string, JsonValue>).fingerprints as Record<string, JsonValue>;
  delete fps.manifest_fp;
  return copy;
}

/** Plain hex SHA-256: the identity used in build paths, index pointers and run records. */
export function computeManifestHash(manifest: Manifest): string {
  const profile = manifest.pipeline.fingerprints.profile;
  return sha256Hex(canonicalJson({ manifest: hashableManifest(manifest), profile: profile ?? '' }));
}

/** `sha256:` fingerprint of the hashable manifest. */
export function computeManifestFp(manifest: Manifest): string {
  return fingerprint(hashableManifest(manifest));
}

// ---------------------------------------------------------------------------------------------------------
// Reading a build folder back (the runner's entry point)

/** One compiled step with its cfg loaded. */
export interface LoadedStep extends ManifestStep {
  /** Absolute path of the cfg file. */
  cfgFile: string;
  /** The whole cfg object, meta keys included. */
  cfg: JsonObject;
  /** The cfg minus the meta keys (`component`, `mode`, `connection`): what a driver gets as `config`. */
  config: JsonObject;
}

export interface LoadedManifest {
  manifest: Manifest;
  /** Absolute path of manifest.yaml. */
  manifestPath: string;
  /** Absolute path of the build folder. */
  dir: string;
  /** Steps in execution order, cfg loaded and verified. */
  steps: LoadedStep[];
}

const fingerprintPattern = /^sha256:[0-9a-f]{64}$/;
/** The manifest's shape in zod: the reference, and the wording of CMP011. Built (zod loaded) only for a bad file. */
function buildManifestSchema(z: typeof Z) {
  const stepSchema = z.looseObject({
    id: z.string().min(1),
    component: z.string().min(1),
    mode: z.enum(['read', 'write', 'transform']),
    driver: z.string().min(1),
    cfg_path: z.string().min(1),
    cfg_fp: z.string().regex(fingerprintPattern),
    needs: z.array(z.string()),
    connection: z.string().optional(),
    inputs: z.record(z.string(), z.string()).optional(),
    incremental: z.looseObject({ cursor: z.string() }).optional(),
  });
  return z.looseObject({
    meta: z.looseObject({
      compiler: z.string(),
      generated_at: z.string(),
      manifest_hash: z.string().regex(/^[0-9a-f]{64}$/),
      manifest_short: z.string().regex(/^[0-9a-f]{3,64}$/),
      oml_version: z.string(),
      profile: z.string().nullable(),
    }),
    name: z.string(),
    pipeline: z.looseObject({
      id: z.string().min(1),
      fingerprints: z.looseObject({
        oml_fp: z.string(),
        params_fp: z.string(),
        registry_fp: z.string(),
        compiler_fp: z.string(),
        profile: z.string().nullable(),
        manifest_fp: z.string(),
      }),
    }),
    steps: z.array(stepSchema),
  });
}

const isString = (v: unknown): v is string => typeof v === 'string';
const nonEmpty = (v: unknown): v is string => isString(v) && v.length > 0;
const stringOrNull = (v: unknown) => v === null || isString(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const MODES = new Set(['read', 'write', 'transform']);

function isManifestStep(s: unknown): boolean {
  if (!isObject(s)) return false;
  const { id, component, mode, driver, cfg_path, cfg_fp, needs, connection, inputs, incremental } = s;
  return (
    nonEmpty(id) &&
    nonEmpty(component) &&
    MODES.has(mode as string) &&
    nonEmpty(driver) &&
    nonEmpty(cfg_path) &&
    isString(cfg_fp) &&
    fingerprintPattern.test(cfg_fp) &&
    Array.isArray(needs) &&
    needs.every(isString) &&
    (connection === undefined || isString(connection)) &&
    (inputs === undefined || (isObject(inputs) && Object.values(inputs).every(isString))) &&
    (incremental === undefined || (isObject(incremental) && isString(incremental.cursor)))
  );
}

/**
 * What `buildManifestSchema(z)` accepts, checked by hand so that `osiris run` need not load zod for the
 * manifest it has just written (test/unit/compiler/manifest-shape.test.ts holds the two to one verdict).
 */
export function isManifestShape(value: unknown): boolean {
  if (!isObject(value) || !isObject(value.meta) || !isObject(value.pipeline)) return false;
  const { meta, pipeline } = value;
  const fps = pipeline.fingerprints;
  return (
    ['compiler', 'generated_at', 'oml_version'].every((k) => isString(meta[k])) &&
    isString(meta.manifest_hash) &&
    /^[0-9a-f]{64}$/.test(meta.manifest_hash) &&
    isString(meta.manifest_short) &&
    /^[0-9a-f]{3,64}$/.test(meta.manifest_short) &&
    stringOrNull(meta.profile) &&
    isString(value.name) &&
    nonEmpty(pipeline.id) &&
    isObject(fps) &&
    ['oml_fp', 'params_fp', 'registry_fp', 'compiler_fp', 'manifest_fp'].every((k) => isString(fps[k])) &&
    stringOrNull(fps.profile) &&
    Array.isArray(value.steps) &&
    value.steps.every(isManifestStep)
  );
}

let manifestSchema: ReturnType<typeof buildManifestSchema> | undefined;

/** The zod schema, built on first use (exported for the test that keeps `isManifestShape` honest). */
export function zodManifestSchema(): ReturnType<typeof buildManifestSchema> {
  manifestSchema ??= buildManifestSchema(lazyZod().z);
  return manifestSchema;
}

const recompile = 'recompile the pipeline with `osiris compile <pipeline.yaml>`';

/** zod's verdict on a manifest `isManifestShape` rejected: CMP011 at its first problem. */
function parseWithZod(doc: LocatedDocument): unknown {
  const parsed = zodManifestSchema().safeParse(doc.value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = (issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol');
  throw OsirisError.of(
    'CMP011',
    `not an Osiris manifest: ${at.length ? `'${at.join('.')}' ` : ''}${issue?.message ?? 'invalid'}`,
    doc.locate(at, 'value'),
    { hint: recompile },
  );
}

/**
 * Reads a build folder (or its manifest.yaml), checks that `meta.manifest_hash` matches the hash recomputed
 * from the content and that every cfg file matches its `cfg_fp`, and returns the steps with their cfg.
 * Throws OsirisError (exit 2) with a CMP01x code on a missing, malformed or tampered build.
 */
export function loadManifest(manifestPath: string): LoadedManifest {
  let path = resolve(manifestPath);
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, MANIFEST_FILE);
  const dir = resolve(path, '..');
  if (!existsSync(path)) {
    throw OsirisError.of(
      'CMP010',
      `manifest not found: ${manifestPath}`,
      { file: manifestPath },
      { hint: `pass a build folder or its ${MANIFEST_FILE}, or ${recompile}` },
    );
  }
  const read = readBoundedText(path, maxFileBytes());
  if (!read.ok) {
    const { why, hint } = describeProblem(read.problem);
    throw OsirisError.of('CMP010', `manifest ${path} ${why}`, { file: path }, hint ? { hint } : {});
  }
  const text = read.text;
  const doc = parseLocatedYaml(text, path);
  if (doc.errors.length > 0) throw new OsirisError(doc.errors);
  const manifest = (isManifestShape(doc.value) ? doc.value : parseWithZod(doc)) as unknown as Manifest;
  const expected = computeManifestHash(manifest);
  if (expected !== manifest.meta.manifest_hash || !expected.startsWith(manifest.meta.manifest_short)) {
    throw OsirisError.of(
      'CMP012',
      `manifest content does not match its manifest_hash (${manifest.meta.manifest_hash.slice(0, 12)}…): the file was edited or corrupted`,
      doc.locate(['meta', 'manifest_hash'], 'value'),
      { hint: `never edit build output; ${recompile}` },
    );
  }

  const steps: LoadedStep[] = manifest.steps.map((step, i) => {
    const where = doc.locate(['steps', i, 'cfg_path'], 'value');
    const cfgFile = resolve(dir, step.cfg_path);
    const rel = relative(dir, cfgFile);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw OsirisError.of('CMP013', `cfg_path of step '${step.id}' points outside the build folder`, where, {
        stepId: step.id,
        hint: recompile,
      });
    }
    let cfg: unknown;
    try {
      cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not valid JSON';
      throw OsirisError.of('CMP013', `cfg file ${step.cfg_path} of step '${step.id}' ${why}`, where, {
        stepId: step.id,
        hint: recompile,
      });
    }
    if (!isJsonObject(cfg) || cfg.component !== step.component || fingerprint(cfg) !== step.cfg_fp) {
      throw OsirisError.of(
        'CMP013',
        `cfg file ${step.cfg_path} of step '${step.id}' does not match the manifest (edited or corrupted)`,
        where,
        { stepId: step.id, hint: `never edit build output; ${recompile}` },
      );
    }
    const config: JsonObject = {};
    for (const [k, v] of Object.entries(cfg)) if (!CFG_META_KEYS.includes(k)) config[k] = v;
    return { ...step, cfgFile, cfg, config };
  });
  return { manifest, manifestPath: path, dir, steps };
}
