/**
 * The SQL check `osiris validate` and `osiris compile` run after the validator (the chat agent runs the same
 * bind check over its session's discoveries): every extractor query or table read and every
 * `duckdb.processor` query is bound by DuckDB against the shapes the pipeline will meet, so a wrong table or
 * column is reported at its file:line:col before any run.
 *
 * Where shapes come from, per connection the extractors use:
 * - with `discover: true`, a live discovery (every table described, through the discovery cache);
 * - otherwise the discovery cache, when it is younger than its TTL (SQL naming a table it lists but has not
 *   described is left unchecked, not reported as unknown);
 * and for CSV extractor steps, the file's header (DuckDB's sniffer, no data loaded). A step whose shapes are
 * unknown is not checked; `steps` says which and why, so the CLI can say so without failing.
 */

import type { ConnectorLookup } from '../connectors/index.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import { isJsonObject } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import type { CatalogTable, StepCheck } from './bind-check.js';

export interface SqlCheckOptions {
  project: ProjectConfig;
  registry: Registry;
  /** Resolves `${VAR}` in connections (`.env` already loaded into it). */
  env: NodeJS.ProcessEnv;
  /** Discover the connections live instead of relying on the discovery cache. */
  discover?: boolean;
  /** Connector lookup (tests inject a fake). */
  connectors?: ConnectorLookup;
  /** Clock for cache expiry (tests). */
  now?: () => Date;
}

export interface SqlCheckResult {
  diagnostics: Diagnostic[];
  /** Every step with SQL or a table read, in step order: checked, or why not. */
  steps: StepCheck[];
}

/** Connection refs (as written) of the pipeline's extractor steps, in first-use order. */
function extractorRefs(value: unknown): string[] {
  const steps = isJsonObject(value) && Array.isArray(value.steps) ? value.steps : [];
  const refs = new Set<string>();
  for (const step of steps) {
    if (!isJsonObject(step) || typeof step.component !== 'string') continue;
    if (!step.component.endsWith('.extractor') || !isJsonObject(step.config)) continue;
    if (typeof step.config.connection === 'string') refs.add(step.config.connection);
  }
  return [...refs];
}

function hasProcessor(value: unknown): boolean {
  const steps = isJsonObject(value) && Array.isArray(value.steps) ? value.steps : [];
  return steps.some((s) => isJsonObject(s) && s.component === 'duckdb.processor');
}

/** The extractor steps with a connection, none of whose schema is known. */
function uncheckedExtractors(value: unknown, gaps: ReadonlyMap<string, string>): StepCheck[] {
  const steps = isJsonObject(value) && Array.isArray(value.steps) ? value.steps : [];
  return steps.flatMap((s) => {
    if (!isJsonObject(s) || typeof s.id !== 'string' || typeof s.component !== 'string') return [];
    if (!s.component.endsWith('.extractor') || !isJsonObject(s.config)) return [];
    const ref = s.config.connection;
    if (typeof ref !== 'string') return [];
    return [{ stepId: s.id, checked: false, reason: gaps.get(ref) ?? `no discovered schema for ${ref}` }];
  });
}

type Shapes = { tables: CatalogTable[]; undescribed?: string[] } | { gap: string };

/** Binds the SQL of a validated, param-resolved pipeline. Never throws for what the pipeline says. */
export async function checkPipelineSql(
  resolved: LocatedDocument,
  options: SqlCheckOptions,
): Promise<SqlCheckResult> {
  const refs = extractorRefs(resolved.value);
  const catalog = new Map<string, CatalogTable[]>();
  const undescribed = new Map<string, string[]>();
  const gaps = new Map<string, string>();
  for (const ref of refs) {
    const shapes = options.discover ? await discovered(ref, options) : await cached(ref, options);
    if ('gap' in shapes) gaps.set(ref, shapes.gap);
    else {
      catalog.set(ref, shapes.tables);
      if (shapes.undescribed?.length) undescribed.set(ref, shapes.undescribed);
    }
  }
  // Loading DuckDB costs a few hundred milliseconds: only when there is SQL it can bind.
  if (catalog.size === 0 && !hasProcessor(resolved.value)) {
    return {
      diagnostics: [],
      steps: refs.length === 0 ? [] : uncheckedExtractors(resolved.value, gaps),
    };
  }
  const [{ bindCheck }, { csvStepShapes }] = await Promise.all([
    import('./bind-check.js'),
    import('./file-shapes.js'),
  ]);
  const stepShapes = await csvStepShapes(resolved.value, options.project.root);
  const result = await bindCheck(resolved, catalog, { stepShapes, undescribed });
  const steps = result.steps.map((s) => {
    const ref = s.reason?.startsWith('no discovered schema for ') ? s.reason.slice(25) : undefined;
    const gap = ref !== undefined ? gaps.get(ref) : undefined;
    return gap !== undefined ? { ...s, reason: gap } : s;
  });
  return { diagnostics: result.diagnostics, steps };
}

const described = (tables: ReadonlyArray<{ schema: string | null; name: string; columns: unknown }>) =>
  tables.map((t) => ({
    schema: t.schema,
    name: t.name,
    columns: (Array.isArray(t.columns) ? t.columns : []).map((c: { name: string; duckdbType: string }) => ({
      name: c.name,
      duckdbType: c.duckdbType,
    })),
  }));

async function discovered(ref: string, options: SqlCheckOptions): Promise<Shapes> {
  const { discover } = await import('../discovery/discover.js');
  try {
    const result = await discover({
      ref,
      project: options.project,
      env: options.env,
      registry: options.registry,
      samples: 0,
      ...(options.connectors ? { connectors: options.connectors } : {}),
    });
    // Past `maxTables` discovery lists tables without describing them: those are left unchecked.
    const seen = new Set(result.described.map((t) => `${t.schema}.${t.name}`));
    const undescribed = result.tables.filter((t) => !seen.has(`${t.schema}.${t.name}`)).map((t) => t.name);
    return { tables: described(result.described), undescribed };
  } catch (error) {
    return { gap: `discovery of ${ref} failed: ${firstMessage(error)}` };
  }
}

async function cached(ref: string, options: SqlCheckOptions): Promise<Shapes> {
  const [{ resolveConnectionTarget, discoveryTtlSeconds }, cache] = await Promise.all([
    import('../discovery/discover.js'),
    import('../discovery/cache.js'),
  ]);
  let identity: ReturnType<typeof cache.connectionIdentity>;
  try {
    const target = await resolveConnectionTarget({
      ref,
      project: options.project,
      env: options.env,
      registry: options.registry,
      ...(options.connectors ? { connectors: options.connectors } : {}),
    });
    identity = cache.connectionIdentity(target.connection);
  } catch (error) {
    return { gap: `${ref} cannot be resolved (${firstMessage(error)})` };
  }
  const read = cache.readCache(cache.cacheFile(options.project.paths.cache, cache.cacheKey(identity)));
  const discoverHint = `run \`osiris validate --discover\` or \`osiris discovery run ${ref}\``;
  if (!read.entry) return { gap: `${ref} has not been discovered yet; ${discoverHint}` };
  const entry = read.entry;
  const ttl = discoveryTtlSeconds(options.project);
  const age = cache.entryAgeSeconds(entry, (options.now ?? (() => new Date()))());
  if (age >= ttl)
    return { gap: `the discovery cache of ${ref} is ${age} s old (TTL ${ttl} s); ${discoverHint}` };
  // Tables listed but not described exist: SQL naming them is left unchecked, not reported as unknown.
  const describedKeys = new Set(entry.details.map((d) => cache.tableKey(d)));
  const undescribed = entry.tables.filter((t) => !describedKeys.has(cache.tableKey(t))).map((t) => t.name);
  return { tables: described(entry.details), undescribed };
}

function firstMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'diagnostics' in error) {
    const list = (error as { diagnostics: Diagnostic[] }).diagnostics;
    if (list[0]) return list[0].message;
  }
  return error instanceof Error ? error.message : String(error);
}
