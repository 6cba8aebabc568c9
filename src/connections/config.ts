// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * `osiris_connections.yaml`: families → aliases → fields.
 *
 * ```yaml
 * version: "1.0"
 * connections:
 *   mysql:
 *     primary:
 *       default: true
 *       host: ${MYSQL_HOST}
 *       password: ${MYSQL_PASSWORD}
 * ```
 *
 * Values are kept exactly as written (`${VAR}` references unexpanded): interpolation happens only when a
 * connection is resolved (resolve.ts), so listing and checking never need the secrets themselves.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  type Diagnostic,
  diagnostic,
  isError,
  OsirisError,
  type SourceLocation,
} from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { describeProblem, maxFileBytes, readBoundedText } from '../util/read-bounded.js';
import { type DocPath, formatPath, isJsonObject, type JsonObject } from '../yaml/json.js';
import { parseLocatedYaml } from '../yaml/located.js';
import { ENV_REF_SYNTAX_HINT, findMalformedEnvRefs } from './env.js';
import { checkConnectionFields } from './fields.js';

export const CONNECTIONS_FILE = 'osiris_connections.yaml';

/** Family and alias names: what `@family.alias` references can spell. */
export const CONNECTION_NAME = /^[A-Za-z0-9_-]+$/;

const TOP_LEVEL_KEYS = ['version', 'connections'];

export interface ConnectionEntry {
  family: string;
  alias: string;
  /** `default: true` in the file. */
  isDefault: boolean;
  /** Fields exactly as written (`${VAR}` kept), without the `default` marker. Never display unmasked. */
  fields: JsonObject;
  /** Where the alias lives in the document: `['connections', family, alias]`. */
  path: DocPath;
}

export interface ConnectionFamily {
  name: string;
  /** In file order. */
  aliases: ConnectionEntry[];
}

export interface ConnectionsConfig {
  /** Absolute path of the file that was read; undefined when none exists. */
  file: string | undefined;
  /** The file name used in diagnostics (relative to the cwd when inside it). */
  displayFile: string | undefined;
  version: string | undefined;
  /** In file order. */
  families: ConnectionFamily[];
  /** Files looked at, in order (for "not found" messages). */
  searched: string[];
  /** Source location of a document path (file and dotted path only when there is no file). */
  locate(path: DocPath, which?: 'key' | 'value'): SourceLocation;
}

export interface ConnectionsLoadOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Project root: the folder of osiris.yaml (or `filesystem.base_path`). */
  projectRoot?: string;
  /** Explicit file: the only one looked at; it must exist. */
  file?: string;
}

export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** An explicit connections file: `file` (`--connections`), else `$OSIRIS_CONNECTIONS`. */
function explicitFile(options: ConnectionsLoadOptions): string | undefined {
  return options.file || options.env.OSIRIS_CONNECTIONS || undefined;
}

/**
 * Candidate files in search order: the explicit file alone, else `$OSIRIS_HOME`, project root, cwd
 * (deduplicated).
 */
export function connectionsFileCandidates(options: ConnectionsLoadOptions): string[] {
  const explicit = explicitFile(options);
  if (explicit) return [resolve(options.cwd, explicit)];
  const list = [
    options.env.OSIRIS_HOME
      ? join(resolve(options.cwd, options.env.OSIRIS_HOME), CONNECTIONS_FILE)
      : undefined,
    options.projectRoot ? join(resolve(options.cwd, options.projectRoot), CONNECTIONS_FILE) : undefined,
    join(resolve(options.cwd), CONNECTIONS_FILE),
  ];
  return [...new Set(list.filter((p): p is string => p !== undefined))];
}

/** The first existing connections file, or undefined. */
export function findConnectionsFile(options: ConnectionsLoadOptions): string | undefined {
  return connectionsFileCandidates(options).find((p) => existsSync(p));
}

export function getFamily(config: ConnectionsConfig, name: string): ConnectionFamily | undefined {
  return config.families.find((f) => f.name === name);
}

export function getConnection(
  config: ConnectionsConfig,
  family: string,
  alias: string,
): ConnectionEntry | undefined {
  return getFamily(config, family)?.aliases.find((a) => a.alias === alias);
}

/** Every alias of every family, in file order. */
export function allConnections(config: ConnectionsConfig): ConnectionEntry[] {
  return config.families.flatMap((f) => f.aliases);
}

function emptyConfig(searched: string[]): ConnectionsConfig {
  return {
    file: undefined,
    displayFile: undefined,
    version: undefined,
    families: [],
    searched,
    locate: (path) => ({ path: formatPath(path) }),
  };
}

/**
 * Reads and validates the connections file, returning every problem as a located diagnostic instead of
 * throwing. No file ⇒ an empty configuration (and no diagnostic); an explicit file that does not exist ⇒
 * error CON001.
 */
export function readConnectionsConfig(options: ConnectionsLoadOptions): {
  config: ConnectionsConfig;
  diagnostics: Diagnostic[];
} {
  const searched = connectionsFileCandidates(options);
  const file = searched.find((p) => existsSync(p));
  if (!file) {
    const config = emptyConfig(searched);
    const explicit = explicitFile(options);
    if (explicit) {
      const shown = searched[0] ?? explicit;
      return {
        config,
        diagnostics: [
          diagnostic(
            'error',
            'CON001',
            `connections file not found: ${displayPath(shown, options.cwd)}`,
            { file: displayPath(shown, options.cwd) },
            { hint: 'check the path, or run `osiris init` to create osiris_connections.yaml' },
          ),
        ],
      };
    }
    return { config, diagnostics: [] };
  }
  const read = readBoundedText(file, maxFileBytes(options.env));
  if (!read.ok) {
    const { why, hint } = describeProblem(read.problem);
    const shown = displayPath(file, options.cwd);
    return {
      config: emptyConfig(searched),
      diagnostics: [
        diagnostic(
          'error',
          'CON001',
          `connections file ${shown} ${why}`,
          { file: shown },
          hint ? { hint } : {},
        ),
      ],
    };
  }
  const text = read.text;
  const parsed = parseConnectionsText(text, displayPath(file, options.cwd));
  return { config: { ...parsed.config, file, searched }, diagnostics: parsed.diagnostics };
}

/** Like `readConnectionsConfig`, but throws an `OsirisError` when the file has errors. */
export function loadConnectionsConfig(options: ConnectionsLoadOptions): {
  config: ConnectionsConfig;
  warnings: Diagnostic[];
} {
  const { config, diagnostics } = readConnectionsConfig(options);
  const errors = diagnostics.filter(isError);
  if (errors.length > 0) throw new OsirisError(diagnostics);
  return { config, warnings: diagnostics };
}

/** Parses and validates the text of a connections file (`displayFile` is used in diagnostics). */
export function parseConnectionsText(
  text: string,
  displayFile: string,
): { config: ConnectionsConfig; diagnostics: Diagnostic[] } {
  const doc = parseLocatedYaml(text, displayFile);
  const diagnostics: Diagnostic[] = [...doc.errors];
  const config: ConnectionsConfig = {
    file: undefined,
    displayFile,
    version: undefined,
    families: [],
    searched: [],
    locate: doc.locate,
  };
  if (doc.errors.length > 0) return { config, diagnostics };

  const err = (code: string, message: string, path: DocPath, hint: string, which: 'key' | 'value' = 'key') =>
    diagnostics.push(diagnostic('error', code, message, doc.locate(path, which), { hint }));
  const warn = (code: string, message: string, path: DocPath, hint: string) =>
    diagnostics.push(diagnostic('warning', code, message, doc.locate(path), { hint }));

  const root = doc.value;
  if (root === null || root === undefined) return { config, diagnostics };
  if (!isJsonObject(root)) {
    err(
      'CON002',
      `${CONNECTIONS_FILE} must be a mapping with a 'connections' key`,
      [],
      'start from the file `osiris init` writes',
      'value',
    );
    return { config, diagnostics };
  }

  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      const dym = didYouMean(key, TOP_LEVEL_KEYS);
      warn(
        'CON009',
        `unknown top-level key '${key}' (ignored)`,
        [key],
        dym ?? `expected one of: ${TOP_LEVEL_KEYS.join(', ')}`,
      );
    }
  }

  const version = root.version;
  if (version !== undefined && version !== null) {
    if (typeof version === 'string' || typeof version === 'number') config.version = String(version);
    else err('CON010', `'version' must be a string like "1.0"`, ['version'], 'write version: "1.0"', 'value');
  }

  const connections = root.connections;
  if (connections === undefined || connections === null) return { config, diagnostics };
  if (!isJsonObject(connections)) {
    err(
      'CON003',
      `'connections' must be a mapping of families (mysql, postgres, …) to aliases`,
      ['connections'],
      'see the commented examples `osiris init` writes',
      'value',
    );
    return { config, diagnostics };
  }

  for (const [familyName, familyValue] of Object.entries(connections)) {
    const familyPath: DocPath = ['connections', familyName];
    if (!CONNECTION_NAME.test(familyName)) {
      err(
        'CON006',
        `invalid family name '${familyName}'`,
        familyPath,
        'use letters, digits, `_` and `-` only (it is the part before the dot in `@family.alias`)',
      );
      continue;
    }
    const family: ConnectionFamily = { name: familyName, aliases: [] };
    config.families.push(family);
    if (familyValue === null || (isJsonObject(familyValue) && Object.keys(familyValue).length === 0)) {
      warn(
        'CON004',
        `connection family '${familyName}' has no aliases`,
        familyPath,
        'add an alias under it or remove it',
      );
      continue;
    }
    if (!isJsonObject(familyValue)) {
      err(
        'CON004',
        `connection family '${familyName}' must be a mapping of aliases to fields`,
        familyPath,
        `write e.g. '${familyName}: { main: { … } }'`,
        'value',
      );
      continue;
    }
    for (const [aliasName, aliasValue] of Object.entries(familyValue)) {
      const aliasPath: DocPath = [...familyPath, aliasName];
      const ref = `@${familyName}.${aliasName}`;
      if (!CONNECTION_NAME.test(aliasName)) {
        err(
          'CON006',
          `invalid alias name '${aliasName}' in family '${familyName}'`,
          aliasPath,
          'use letters, digits, `_` and `-` only',
        );
        continue;
      }
      if (!isJsonObject(aliasValue)) {
        err(
          'CON005',
          `connection ${ref} must be a mapping of fields`,
          aliasPath,
          'indent the fields (host, user, …) under the alias',
          'value',
        );
        continue;
      }
      const { default: marker, ...written } = aliasValue;
      const fields = renameLegacyFields(written, aliasPath, warn);
      let isDefault = false;
      if (marker !== undefined && marker !== null) {
        if (typeof marker === 'boolean') isDefault = marker;
        else
          err(
            'CON007',
            `'default' of ${ref} must be true or false`,
            [...aliasPath, 'default'],
            'write default: true',
            'value',
          );
      }
      for (const bad of findMalformedEnvRefs(fields, aliasPath)) {
        err(
          'CON031',
          `${ref} field ${formatPath(bad.path.slice(aliasPath.length))}: malformed environment reference (${bad.reason})`,
          bad.path,
          ENV_REF_SYNTAX_HINT,
          'value',
        );
      }
      for (const problem of checkConnectionFields(familyName, fields)) {
        if (problem.kind === 'port') {
          err(
            'CON012',
            `port of ${ref} must be a whole number from 1 to 65535 or a \${VAR} reference, got ${JSON.stringify(problem.value)}`,
            [...aliasPath, 'port'],
            'write e.g. port: 5432, or port: ${DB_PORT}',
            'value',
          );
        } else if (problem.kind === 'misspelt') {
          err(
            'CON011',
            `${ref} has no field '${problem.field}' (it would be ignored)`,
            [...aliasPath, problem.field],
            `did you mean '${problem.suggestion}'?`,
          );
        } else {
          warn(
            'CON013',
            `${ref} has no field '${problem.field}' (ignored)`,
            [...aliasPath, problem.field],
            `${familyName} connections take: ${problem.known.join(', ')}`,
          );
        }
      }
      family.aliases.push({ family: familyName, alias: aliasName, isDefault, fields, path: aliasPath });
    }
    const defaults = family.aliases.filter((a) => a.isDefault);
    if (defaults.length > 1) {
      const names = defaults.map((a) => a.alias).join(', ');
      for (const extra of defaults.slice(1)) {
        err(
          'CON008',
          `connection family '${familyName}' has more than one default alias (${names})`,
          [...extra.path, 'default'],
          `keep 'default: true' on one alias of '${familyName}' only`,
        );
      }
    }
  }
  return { config, diagnostics };
}

/** Field names of the Python original that mean a field of this one: `username` is `user`. */
export const LEGACY_FIELD_NAMES: Readonly<Record<string, string>> = { username: 'user' };

/**
 * Reads the original's spellings (`username:`) as this tool's (`user:`), in place, with a warning at the
 * field. When both are written the new spelling wins and the old one is dropped (also with a warning).
 */
function renameLegacyFields(
  fields: JsonObject,
  aliasPath: DocPath,
  warn: (code: string, message: string, path: DocPath, hint: string) => void,
): JsonObject {
  if (!Object.keys(fields).some((k) => k in LEGACY_FIELD_NAMES)) return fields;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) {
    const modern = LEGACY_FIELD_NAMES[key];
    if (modern === undefined) {
      out[key] = value;
      continue;
    }
    const ref = `@${aliasPath[1]}.${aliasPath[2]}`;
    if (modern in fields) {
      warn(
        'CON014',
        `${ref} sets both '${key}' and '${modern}': '${key}' is ignored`,
        [...aliasPath, key],
        `remove '${key}'`,
      );
      continue;
    }
    warn(
      'CON014',
      `${ref}: '${key}' is read as '${modern}' (the Python Osiris spelling)`,
      [...aliasPath, key],
      `rename it to '${modern}'`,
    );
    out[modern] = value;
  }
  return out;
}
