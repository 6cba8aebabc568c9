/**
 * AIOP export: build the package of one run from its run folder and write it to
 * `<project.paths.aiop>/[<profile>/]<pipeline>/<run_id>/`:
 *
 *   summary.json   the core document (canonical JSON, ≤ max_core_bytes, schema.json)
 *   run-card.md    the human summary (unless run_card: false)
 *   annex/*.ndjson[.gz]   full timeline, metrics and errors (policy annex)
 *
 * `writeAiopForRun` is the hook `osiris run` calls after the session is finished (failed runs too); it never
 * throws, so a broken export cannot turn a finished run into an error.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VERSION } from '../../cli/version.js';
import type { ProjectConfig } from '../../project/config.js';
import type { Registry } from '../../registry/registry.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import type { JsonObject } from '../../yaml/json.js';
import type { Redactor } from '../redact.js';
import { findRun, type RunRecord } from '../run-index.js';
import { ANNEX_DIR, type AnnexShard, buildAnnex } from './annex.js';
import { buildDocument, type ComponentFacts, relativizer } from './build.js';
import { type AiopConfigKey, type ResolvedAiopConfig, resolveAiopConfig } from './config.js';
import { type AiopInputs, readAiopInputs } from './read.js';
import { renderRunCard } from './runcard.js';
import { exportRedactor } from './secrets.js';
import { finalizeSize, fitToBudget } from './truncate.js';
import type { AiopDocument } from './types.js';

export { ANNEX_DIR };
export const CORE_FILE = 'summary.json';
export const RUN_CARD_FILE = 'run-card.md';

export interface AiopPackage {
  document: AiopDocument;
  /** The exact bytes of summary.json. */
  json: string;
  runCard: string;
  config: ResolvedAiopConfig;
  /** Present with policy annex. */
  annex: AnnexShard[] | undefined;
}

export interface BuildPackageOptions {
  /** Component facts for the semantic layer (spec version, modes, driver). */
  registry?: Registry;
  /** Redactor to start from (the run's own); secrets from the connections file are added to it. */
  redactor?: Redactor;
  env?: NodeJS.ProcessEnv;
  /** Where connections files are looked up (default: the project root). */
  cwd?: string;
  /** CLI overrides (highest precedence). */
  cli?: Partial<Record<AiopConfigKey, unknown>>;
  /** Already resolved config (wins over cli/env/project). */
  config?: ResolvedAiopConfig;
}

export function registryFacts(
  registry: Registry | undefined,
): ((name: string) => ComponentFacts | undefined) | undefined {
  if (!registry) return undefined;
  return (name) => {
    const c = registry.get(name);
    if (!c) return undefined;
    return {
      version: c.spec.version ?? null,
      title: c.spec.title ?? null,
      modes: [...c.spec.modes],
      runnable: c.driverPath !== undefined,
    };
  };
}

/** Builds the package from already-read inputs (pure apart from the redactor). */
export function buildPackageFromInputs(
  inputs: AiopInputs,
  config: ResolvedAiopConfig,
  redactor: Redactor,
  registry?: Registry,
): AiopPackage {
  const facts = registryFacts(registry);
  const built = buildDocument(inputs, {
    config,
    redactor,
    generator: `osiris-etl/${VERSION}`,
    ...(facts ? { componentFacts: facts } : {}),
  });
  const { document } = built;
  const annexPolicy = config.values.policy === 'annex';
  let annex: AnnexShard[] | undefined;
  if (annexPolicy) {
    const rel = relativizer(inputs.projectRoot);
    const metrics = inputs.metrics.map(({ seq, event }) => {
      const line: JsonObject = { seq };
      for (const [k, v] of Object.entries(event)) if (k !== 'run_id') line[k] = v;
      return rel(redactor.redactValue(line)) as JsonObject;
    });
    annex = buildAnnex(built.allTimeline, metrics, document.evidence.errors, config.values['annex.compress']);
    document.metadata.annex.dir = ANNEX_DIR;
    document.metadata.annex.files = annex.map(({ bytes: _bytes, ...file }) => file);
  }
  fitToBudget(document, built.pinned, annexPolicy);
  const json = finalizeSize(document);
  return {
    document,
    json,
    runCard: renderRunCard(document),
    config,
    annex,
  };
}

/** Reads the run folder and builds the package (nothing is written). */
export async function buildAiopPackage(
  project: ProjectConfig,
  record: RunRecord,
  options: BuildPackageOptions = {},
): Promise<AiopPackage> {
  const env = options.env ?? process.env;
  const config =
    options.config ??
    resolveAiopConfig({ env, projectRaw: project.raw, ...(options.cli ? { cli: options.cli } : {}) });
  const redactor = exportRedactor({
    cwd: options.cwd ?? project.root,
    env,
    projectRoot: project.root,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.redactor ? { base: options.redactor } : {}),
  });
  const inputs = await readAiopInputs(project, record, { previous: config.values.delta !== 'none' });
  return buildPackageFromInputs(inputs, config, redactor, options.registry);
}

/** `<paths.aiop>/[<profile>/]<pipeline>/<run_id>`. */
export function aiopPackageDir(
  project: ProjectConfig,
  record: Pick<RunRecord, 'profile' | 'pipeline_slug' | 'run_id'>,
): string {
  const parts = [project.paths.aiop];
  if (record.profile) parts.push(record.profile);
  parts.push(record.pipeline_slug, record.run_id);
  for (const p of parts.slice(1)) {
    if (!p || p === '.' || p === '..' || /[/\\\0]/.test(p))
      throw new Error(`invalid AIOP path segment '${p}'`);
  }
  return join(...parts);
}

export interface WrittenPackage {
  dir: string;
  corePath: string;
  runCardPath: string | undefined;
  annexPaths: string[];
  coreBytes: number;
}

/**
 * Writes a package: `corePath` (default `<dir>/summary.json`), `run-card.md` beside it (when run_card) and
 * the annex shards in `annex/` beside it (replacing an older annex).
 */
export function writeAiopPackage(pkg: AiopPackage, corePath: string): WrittenPackage {
  const dir = dirname(corePath);
  mkdirSync(dir, { recursive: true });
  const annexPaths = writeAiopAnnex(pkg, dir);
  let runCardPath: string | undefined;
  if (pkg.config.values.run_card) {
    runCardPath = join(dir, RUN_CARD_FILE);
    writeFileAtomic(runCardPath, pkg.runCard);
  }
  writeFileAtomic(corePath, pkg.json);
  return { dir, corePath, runCardPath, annexPaths, coreBytes: Buffer.byteLength(pkg.json, 'utf8') };
}

/** Writes the annex shards (if the package has them) into `<dir>/annex/`, replacing an older annex. */
export function writeAiopAnnex(pkg: AiopPackage, dir: string): string[] {
  if (!pkg.annex) return [];
  const annexDir = join(dir, ANNEX_DIR);
  rmSync(annexDir, { recursive: true, force: true });
  const paths: string[] = [];
  for (const shard of pkg.annex) {
    const path = join(annexDir, shard.name);
    writeFileAtomic(path, shard.bytes);
    paths.push(path);
  }
  return paths;
}

export interface WriteAiopForRunOptions extends BuildPackageOptions {}

export type AiopExportOutcome =
  | { status: 'written'; written: WrittenPackage; truncated: boolean }
  | { status: 'disabled' }
  | { status: 'error'; message: string };

/**
 * The automatic export after `osiris run` (call it after `session.finish`, for failed runs too).
 * `run` is the run id (looked up in the run index) or its index record. Never throws.
 */
export async function writeAiopForRun(
  project: ProjectConfig,
  run: string | RunRecord,
  options: WriteAiopForRunOptions = {},
): Promise<AiopExportOutcome> {
  try {
    const config =
      options.config ??
      resolveAiopConfig({
        env: options.env ?? process.env,
        projectRaw: project.raw,
        ...(options.cli ? { cli: options.cli } : {}),
      });
    if (!config.values.enabled) return { status: 'disabled' };
    const record = typeof run === 'string' ? findRun(project, run) : run;
    const pkg = await buildAiopPackage(project, record, { ...options, config });
    const written = writeAiopPackage(pkg, join(aiopPackageDir(project, record), CORE_FILE));
    return { status: 'written', written, truncated: pkg.document.metadata.truncated };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const redacted = options.redactor ? options.redactor.redactText(message) : message;
    return { status: 'error', message: redacted };
  }
}
