/**
 * The project check behind `osiris validate` (no file): osiris.yaml, `.env` files and every connection in
 * osiris_connections.yaml — which variables each one references and whether they are set (names only, never
 * values), the fields each family needs, unknown families and default markers.
 */
import { dirname, resolve } from 'node:path';
import { type Diagnostic, diagnostic, OsirisError } from '../diagnostics/diagnostic.js';
import { findConfigFile, loadProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import { formatPath, type JsonObject, type JsonValue } from '../yaml/json.js';
import {
  allConnections,
  CONNECTIONS_FILE,
  type ConnectionEntry,
  displayPath,
  readConnectionsConfig,
} from './config.js';
import { type EnvVarState, envVarStates, findEnvRefs, loadDotEnv } from './env.js';

export interface CheckProjectOptions {
  cwd: string;
  /** Not modified: `.env` files are loaded into a copy. */
  env: NodeJS.ProcessEnv;
  /** Explicit osiris.yaml (`--config`). */
  configFile?: string;
  /** Explicit connections file. */
  connectionsFile?: string;
  /** The component registry (loaded from the project when omitted); tells which families are known. */
  registry?: Registry;
}

/** Families Osiris ships components for; used when the registry cannot be loaded. */
const BUILTIN_FAMILIES = ['duckdb', 'filesystem', 'graphql', 'mysql', 'postgres', 'supabase'];

/**
 * What each family needs: a list of alternatives; an alternative is a list of groups, and a group is
 * satisfied by any one of its fields.
 */
const REQUIRED_FIELDS: Record<string, string[][][]> = {
  mysql: [[['host'], ['database'], ['user']]],
  postgres: [[['host'], ['database'], ['user']]],
  supabase: [
    [
      ['url', 'project_id'],
      ['key', 'service_role_key', 'anon_key'],
    ],
    [['pg_dsn']],
    [['host'], ['database'], ['user']],
    [['pg_host'], ['pg_database'], ['pg_user']],
  ],
  filesystem: [[['base_dir']]],
  graphql: [[['endpoint', 'url']]],
};

function present(value: JsonValue | undefined): boolean {
  return value !== undefined && value !== null && value !== '';
}

function describeGroup(group: string[]): string {
  return group.length === 1 ? (group[0] as string) : `${group[0]} (or ${group.slice(1).join(', ')})`;
}

function joinAnd(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Why a descriptor lacks required fields, or undefined when it has what its family needs. */
export function missingRequiredFields(family: string, fields: JsonObject): string | undefined {
  const alternatives = REQUIRED_FIELDS[family];
  if (!alternatives) return undefined;
  const unmet = alternatives.map((groups) => groups.filter((g) => !g.some((f) => present(fields[f]))));
  if (unmet.some((groups) => groups.length === 0)) return undefined;
  if (alternatives.length === 1) {
    const missing = (unmet[0] ?? []).map(describeGroup);
    return `missing required field${missing.length > 1 ? 's' : ''} ${joinAnd(missing)}`;
  }
  return `needs ${alternatives.map((groups) => joinAnd(groups.map(describeGroup))).join(', or ')}`;
}

interface AliasReport {
  is_default: boolean;
  env_vars: Record<string, EnvVarState>;
  problems: Array<{ severity: string; code: string; message: string }>;
}

async function defaultRegistry(projectRoot: string): Promise<Registry | undefined> {
  try {
    const { loadRegistry } = await import('../registry/load.js');
    return loadRegistry({ projectRoot });
  } catch {
    return undefined;
  }
}

export async function checkProjectSetup(
  options: CheckProjectOptions,
): Promise<{ diagnostics: Diagnostic[]; report: JsonObject }> {
  const cwd = resolve(options.cwd);
  const env: NodeJS.ProcessEnv = { ...options.env };
  const diagnostics: Diagnostic[] = [];

  // osiris.yaml
  let projectRoot = cwd;
  let configFile: string | undefined;
  const found = findConfigFile({
    cwd,
    env,
    ...(options.configFile ? { configFile: options.configFile } : {}),
  });
  if (!found && !options.configFile) {
    diagnostics.push(
      diagnostic(
        'error',
        'CFG001',
        'osiris.yaml not found (looked in $OSIRIS_HOME and the current directory)',
        { file: 'osiris.yaml' },
        {
          hint: 'run `osiris init` to create a project, or pass --config <file>',
        },
      ),
    );
  } else {
    try {
      const project = loadProjectConfig({
        cwd,
        env,
        ...(options.configFile ? { configFile: options.configFile } : {}),
      });
      projectRoot = project.root;
      configFile = project.configFile;
    } catch (error) {
      if (!(error instanceof OsirisError)) throw error;
      diagnostics.push(...error.diagnostics);
      if (found) projectRoot = dirname(found);
    }
  }

  // .env files (into the copy), then the connections file.
  let envFiles: string[] = [];
  try {
    envFiles = loadDotEnv({ cwd, env, projectRoot });
  } catch (error) {
    if (!(error instanceof OsirisError)) throw error;
    diagnostics.push(...error.diagnostics);
  }
  const { config: connections, diagnostics: fileProblems } = readConnectionsConfig({
    cwd,
    env,
    projectRoot,
    ...(options.connectionsFile ? { file: options.connectionsFile } : {}),
  });
  diagnostics.push(...fileProblems);

  const registry = options.registry ?? (await defaultRegistry(projectRoot));
  const knownFamilies = new Set(
    registry && registry.names().length > 0
      ? registry.names().map((n) => n.slice(0, n.indexOf('.') < 0 ? n.length : n.indexOf('.')))
      : BUILTIN_FAMILIES,
  );

  const perAlias = new Map<ConnectionEntry, Diagnostic[]>();
  const add = (entry: ConnectionEntry, d: Diagnostic) => {
    diagnostics.push(d);
    perAlias.get(entry)?.push(d);
  };
  const entries = allConnections(connections);
  for (const entry of entries) perAlias.set(entry, []);

  // File problems that belong to one alias (malformed references, extra defaults, …).
  for (const d of fileProblems) {
    const path = d.location.path ?? '';
    for (const entry of entries) {
      const prefix = formatPath(entry.path);
      if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`))
        perAlias.get(entry)?.push(d);
    }
  }

  for (const family of connections.families) {
    if (!knownFamilies.has(family.name)) {
      const d = diagnostic(
        'warning',
        'CON051',
        `connection family '${family.name}' matches no installed component (known: ${[...knownFamilies].sort().join(', ')})`,
        connections.locate(['connections', family.name]),
        {
          hint: 'a connection is used by components of the same family (`<family>.extractor`, …); check the spelling',
        },
      );
      diagnostics.push(d);
      for (const entry of family.aliases) perAlias.get(entry)?.push(d);
    }
  }

  const report: Record<string, Record<string, AliasReport>> = {};
  for (const entry of entries) {
    const ref = `@${entry.family}.${entry.alias}`;
    const seen = new Set<string>();
    for (const r of findEnvRefs(entry.fields, entry.path)) {
      const isSet = env[r.name] !== undefined;
      const field = formatPath(r.path.slice(entry.path.length));
      const key = `${r.name}\0${field}`;
      if (seen.has(key) || r.hasDefault) continue;
      seen.add(key);
      if (!isSet) {
        add(
          entry,
          diagnostic(
            'warning',
            'CON035',
            `${ref} field ${field}: environment variable ${r.name} is not set`,
            connections.locate(r.path, 'value'),
            { hint: 'add it to .env or export it (the connection cannot be resolved until it is set)' },
          ),
        );
      } else if (env[r.name] === '') {
        add(
          entry,
          diagnostic(
            'warning',
            'CON036',
            `${ref} field ${field}: environment variable ${r.name} is set but empty`,
            connections.locate(r.path, 'value'),
            { hint: `give it a value, or write \${${r.name}:-default} to fall back when it is empty` },
          ),
        );
      }
    }
    const missing = missingRequiredFields(entry.family, entry.fields);
    if (missing) {
      add(
        entry,
        diagnostic('error', 'CON050', `${ref} ${missing}`, connections.locate(entry.path), {
          hint: `add the field${missing.includes(' and ') || missing.includes(' or') ? 's' : ''} to ${ref} in ${CONNECTIONS_FILE}`,
        }),
      );
    }
    const familyReport = report[entry.family] ?? {};
    report[entry.family] = familyReport;
    familyReport[entry.alias] = {
      is_default: entry.isDefault,
      env_vars: envVarStates(entry.fields, env),
      problems: (perAlias.get(entry) ?? []).map((d) => ({
        severity: d.severity,
        code: d.code,
        message: d.message,
      })),
    };
  }

  return {
    diagnostics,
    report: {
      config_file: configFile ? displayPath(configFile, cwd) : null,
      project_root: projectRoot,
      env_files: envFiles.map((f) => displayPath(f, cwd)),
      connections_file: connections.file ? displayPath(connections.file, cwd) : null,
      connections: report as unknown as JsonObject,
    },
  };
}
