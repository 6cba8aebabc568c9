/**
 * What `osiris connections list` shows: every alias with secrets masked, a one-line summary, and the
 * environment variables it references with whether each is set (names only).
 */
import { dirname, resolve } from 'node:path';
import { type Diagnostic, isError, OsirisError } from '../diagnostics/diagnostic.js';
import { findConfigFile, loadProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import { displayPath, readConnectionsConfig } from './config.js';
import { type EnvVarState, envVarStates, loadDotEnv } from './env.js';
import { connectionSecretKeys, isSecretKey, MASK, maskConnectionForDisplay } from './mask.js';

export interface ConnectionListing {
  family: string;
  alias: string;
  /** `@family.alias` */
  reference: string;
  is_default: boolean;
  /** The descriptor as written, secrets masked (`${VAR}` references shown as references). */
  config: JsonObject;
  /**
   * Variables the descriptor references (after loading `.env`): `set`, `default` (unset, but every
   * reference has a `:-`/`-` default, so nothing is missing) or `missing`.
   */
  env_vars: Record<string, EnvVarState>;
  /** One line: `user@host:port/db`, a URL, a base_dir, … (masked). */
  summary: string;
}

export interface ListConnectionsOptions {
  cwd: string;
  /** Not modified: `.env` files are loaded into a copy. */
  env: NodeJS.ProcessEnv;
  /** Explicit connections file. */
  file?: string;
  /** Adds the secret keys the component specs declare; loaded from the project when omitted. */
  registry?: Registry;
}

export interface ConnectionsListResult {
  /** The connections file that was read (relative to cwd when inside it), or null when none exists. */
  file: string | null;
  /** Files looked at when none was found. */
  searched: string[];
  connections: ConnectionListing[];
  /** Problems in the file (errors make the command fail; warnings are printed). */
  diagnostics: Diagnostic[];
}

function scalarText(value: JsonValue | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object') return undefined;
  return String(value);
}

/** The one-line description of a masked descriptor. */
export function connectionSummary(family: string, masked: JsonObject): string {
  const get = (k: string) => scalarText(masked[k]);
  const dbLine = () => {
    const host = get('host');
    if (!host) return undefined;
    const user = get('user') ?? get('username');
    const port = get('port');
    const db = get('database') ?? get('dbname');
    return `${user ? `${user}@` : ''}${host}${port ? `:${port}` : ''}${db ? `/${db}` : ''}`;
  };
  switch (family) {
    case 'mysql':
    case 'postgres':
      return dbLine() ?? get('dsn') ?? get('url') ?? get('connection_string') ?? '(no host)';
    case 'supabase': {
      const url = get('url') ?? (get('project_id') ? `https://${get('project_id')}.supabase.co` : undefined);
      return url ?? get('pg_dsn') ?? dbLine() ?? '(no url)';
    }
    case 'graphql':
      return get('endpoint') ?? get('url') ?? '(no endpoint)';
    case 'filesystem':
      return get('base_dir') ?? '(no base_dir)';
    case 'duckdb':
      return get('database') ?? get('path') ?? ':memory:';
    default: {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(masked)) {
        const text = scalarText(v);
        if (text === undefined || text === MASK || isSecretKey(k) || k === 'description') continue;
        parts.push(`${k}=${text}`);
        if (parts.length === 2) break;
      }
      return parts.join(' ') || '-';
    }
  }
}

async function defaultRegistry(projectRoot: string): Promise<Registry | undefined> {
  try {
    const { loadRegistry } = await import('../registry/load.js');
    return loadRegistry({ projectRoot });
  } catch {
    return undefined;
  }
}

function projectRootOf(cwd: string, env: NodeJS.ProcessEnv): string {
  const found = findConfigFile({ cwd, env });
  if (!found) return cwd;
  try {
    return loadProjectConfig({ cwd, env }).root;
  } catch {
    return dirname(found);
  }
}

/**
 * Lists the configured connections. Never throws for file problems: they come back as diagnostics (the
 * listing is empty when the file has errors).
 */
export async function listConnections(options: ListConnectionsOptions): Promise<ConnectionsListResult> {
  const cwd = resolve(options.cwd);
  const env: NodeJS.ProcessEnv = { ...options.env };
  const diagnostics: Diagnostic[] = [];
  const projectRoot = projectRootOf(cwd, env);
  try {
    loadDotEnv({ cwd, env, projectRoot });
  } catch (error) {
    if (!(error instanceof OsirisError)) throw error;
    diagnostics.push(...error.diagnostics.map((d) => ({ ...d, severity: 'warning' as const })));
  }
  const { config, diagnostics: problems } = readConnectionsConfig({
    cwd,
    env,
    projectRoot,
    ...(options.file ? { file: options.file } : {}),
  });
  diagnostics.push(...problems);
  const file = config.file ? displayPath(config.file, cwd) : null;
  if (problems.some(isError)) {
    return { file, searched: config.searched.map((p) => displayPath(p, cwd)), connections: [], diagnostics };
  }

  const registry =
    options.registry ?? (config.families.length > 0 ? await defaultRegistry(projectRoot) : undefined);
  const connections: ConnectionListing[] = [];
  for (const family of config.families) {
    const secretKeys = connectionSecretKeys(family.name, registry);
    for (const entry of family.aliases) {
      const masked = maskConnectionForDisplay(entry.family, entry.fields, secretKeys);
      connections.push({
        family: entry.family,
        alias: entry.alias,
        reference: `@${entry.family}.${entry.alias}`,
        is_default: entry.isDefault,
        config: masked,
        env_vars: envVarStates(entry.fields, env),
        summary: connectionSummary(entry.family, masked),
      });
    }
  }
  return { file, searched: config.searched.map((p) => displayPath(p, cwd)), connections, diagnostics };
}
