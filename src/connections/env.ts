/**
 * `.env` loading and `${VAR}` interpolation for connection descriptors.
 *
 * - `.env` files never override a variable that is already set: what the user exported wins, and among the
 *   files the first one loaded wins (`$OSIRIS_HOME/.env`, then the project root, then the cwd).
 * - `${VAR}` is replaced by the variable's value; `${VAR:-default}` uses `default` when VAR is unset or empty
 *   and `${VAR-default}` only when it is unset (both as in the shell); `$${` is a literal `${`.
 * - A reference to an unset variable without a default is an error naming the variable, the connection and
 *   the field, located in the file. No message ever contains the value of a variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { type Diagnostic, diagnostic, OsirisError, type SourceLocation } from '../diagnostics/diagnostic.js';
import { type DocPath, formatPath, isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';

// ---------------------------------------------------------------------------------------------------------
// .env files

export interface LoadDotEnvOptions {
  cwd: string;
  /** The environment to fill in (mutated: only variables that are not already set are added). */
  env: NodeJS.ProcessEnv;
  /** Project root (the folder of osiris.yaml, or `filesystem.base_path`). */
  projectRoot?: string;
  /** Explicit files (relative to cwd): only these are loaded, and each must exist. */
  files?: readonly string[];
}

/**
 * dotenv's parser, loaded when a `.env` file is actually there: most runs have none, and loading the
 * package costs ~10 ms of every start. dotenv is CommonJS, so `require` loads it synchronously.
 */
function parseDotEnv(text: string): Record<string, string> {
  const dotenv = createRequire(import.meta.url)('dotenv') as typeof import('dotenv');
  return dotenv.parse(text);
}

/** The `.env` files `loadDotEnv` looks at, in priority order, each once (absolute paths). */
export function dotEnvCandidates(options: Omit<LoadDotEnvOptions, 'files'>): string[] {
  const list = [
    options.env.OSIRIS_HOME ? join(resolve(options.cwd, options.env.OSIRIS_HOME), '.env') : undefined,
    options.projectRoot ? join(resolve(options.cwd, options.projectRoot), '.env') : undefined,
    join(resolve(options.cwd), '.env'),
  ];
  return [...new Set(list.filter((p): p is string => p !== undefined))];
}

/**
 * Loads `.env` files into `options.env` without overriding anything already set. Returns the absolute paths
 * of the files that were read, in the order they were read.
 */
export function loadDotEnv(options: LoadDotEnvOptions): string[] {
  const explicit = options.files !== undefined;
  const files = explicit
    ? [...new Set((options.files ?? []).map((f) => resolve(options.cwd, f)))]
    : dotEnvCandidates(options);
  const loaded: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) {
      if (explicit) {
        throw OsirisError.of(
          'CON032',
          `env file not found: ${file}`,
          { file },
          {
            hint: 'check the path, or leave it out to use the .env files of the project',
          },
        );
      }
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : 'read error';
      throw OsirisError.of(
        'CON032',
        `cannot read env file ${file} (${reason})`,
        { file },
        {
          hint: 'check the file permissions',
        },
      );
    }
    const values = parseDotEnv(text);
    for (const [name, value] of Object.entries(values)) {
      if (options.env[name] === undefined) options.env[name] = value;
    }
    loaded.push(file);
  }
  return loaded;
}

// ---------------------------------------------------------------------------------------------------------
// ${VAR} references

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How to write a reference, for the hints of malformed-reference errors. */
export const ENV_REF_SYNTAX_HINT = `write \${NAME} or \${NAME:-default}; use $\${ for a literal \${`;

/** One piece of a string: literal text, a variable reference, or a malformed `${…}`. */
export type EnvToken =
  | { kind: 'text'; text: string }
  | {
      kind: 'ref';
      /** The reference as written, e.g. `${MYSQL_HOST:-localhost}`. */
      raw: string;
      name: string;
      /** `:-` (default when unset or empty), `-` (default when unset), or none. */
      operator?: ':-' | '-';
      default?: string;
    }
  | { kind: 'malformed'; raw: string; reason: string };

/** Splits a string into literal text and `${…}` references. `$${` is the escape for a literal `${`. */
export function tokenizeEnvRefs(value: string): EnvToken[] {
  const tokens: EnvToken[] = [];
  let text = '';
  const flush = () => {
    if (text) tokens.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < value.length) {
    if (value.startsWith('$${', i)) {
      text += '${';
      i += 3;
      continue;
    }
    if (!value.startsWith('${', i)) {
      text += value[i];
      i += 1;
      continue;
    }
    flush();
    const close = value.indexOf('}', i + 2);
    if (close < 0) {
      tokens.push({ kind: 'malformed', raw: value.slice(i), reason: 'missing closing `}`' });
      return tokens;
    }
    const raw = value.slice(i, close + 1);
    const inner = value.slice(i + 2, close);
    i = close + 1;
    const match = /^([^:-]*)(?:(:-|-)(.*))?$/s.exec(inner);
    const name = match ? (match[1] ?? '') : inner;
    if (!VAR_NAME.test(name)) {
      tokens.push({
        kind: 'malformed',
        raw,
        reason: name ? `'${name}' is not a valid variable name` : 'empty variable name',
      });
      continue;
    }
    const operator = match?.[2] as ':-' | '-' | undefined;
    const fallback = match?.[3];
    if (fallback?.includes('${')) {
      tokens.push({ kind: 'malformed', raw, reason: 'nested references are not supported' });
      continue;
    }
    tokens.push(
      operator === undefined
        ? { kind: 'ref', raw, name }
        : { kind: 'ref', raw, name, operator, default: fallback },
    );
  }
  flush();
  return tokens;
}

/** A `${VAR}` reference found in a value, with the path of the string that holds it. */
export interface EnvRef {
  name: string;
  raw: string;
  hasDefault: boolean;
  path: DocPath;
}

/** Every well-formed `${VAR}` reference in a value (strings inside maps and lists), in document order. */
export function findEnvRefs(value: JsonValue, path: DocPath = []): EnvRef[] {
  const out: EnvRef[] = [];
  walkStrings(value, path, (text, at) => {
    for (const t of tokenizeEnvRefs(text)) {
      if (t.kind === 'ref')
        out.push({ name: t.name, raw: t.raw, hasDefault: t.operator !== undefined, path: at });
    }
  });
  return out;
}

/** A referenced variable: set in the environment; unset but every reference has a default; or missing. */
export type EnvVarState = 'set' | 'default' | 'missing';

/** The state of every variable a value references, sorted by name. */
export function envVarStates(value: JsonValue, env: NodeJS.ProcessEnv): Record<string, EnvVarState> {
  const needed = new Set<string>();
  const names = new Set<string>();
  for (const ref of findEnvRefs(value)) {
    names.add(ref.name);
    if (!ref.hasDefault) needed.add(ref.name);
  }
  const state = (name: string): EnvVarState =>
    env[name] !== undefined ? 'set' : needed.has(name) ? 'missing' : 'default';
  return Object.fromEntries([...names].sort().map((name) => [name, state(name)]));
}

/** Malformed `${…}` references in a value, as `{raw, reason, path}`. */
export function findMalformedEnvRefs(
  value: JsonValue,
  path: DocPath = [],
): Array<{ raw: string; reason: string; path: DocPath }> {
  const out: Array<{ raw: string; reason: string; path: DocPath }> = [];
  walkStrings(value, path, (text, at) => {
    for (const t of tokenizeEnvRefs(text)) {
      if (t.kind === 'malformed') out.push({ raw: t.raw, reason: t.reason, path: at });
    }
  });
  return out;
}

/** True when a string is made only of `${VAR}` references (no literal text): safe to display as is. */
export function isPureEnvRef(value: string): boolean {
  const tokens = tokenizeEnvRefs(value);
  return tokens.length > 0 && tokens.every((t) => t.kind === 'ref');
}

function walkStrings(value: JsonValue, path: DocPath, visit: (text: string, path: DocPath) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walkStrings(value[i] as JsonValue, [...path, i], visit);
  } else if (isJsonObject(value))
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
}

/** Where the value being interpolated comes from, for error messages. */
export interface InterpolationSite {
  /** Connection label, e.g. `@mysql.primary`. */
  connection?: string;
  /** Path of the value inside its document, e.g. `['connections', 'mysql', 'primary']`. */
  path?: DocPath;
  /** Locates a document path (file:line:col); without it diagnostics carry `file` and the dotted path. */
  locate?: (path: DocPath, which?: 'key' | 'value') => SourceLocation;
  file?: string;
}

/**
 * Replaces `${VAR}` references in every string of `value` (recursively through maps and lists).
 * Throws an `OsirisError` listing every unset variable and malformed reference; the messages name the
 * variable, the connection and the field, never a value.
 */
export function interpolate<T extends JsonValue>(
  value: T,
  env: NodeJS.ProcessEnv,
  where: InterpolationSite = {},
): T {
  const problems: Diagnostic[] = [];
  const base = where.path ?? [];
  const locate = (rel: DocPath): SourceLocation =>
    where.locate
      ? where.locate([...base, ...rel], 'value')
      : { ...(where.file ? { file: where.file } : {}), path: formatPath([...base, ...rel]) };
  const label = (rel: DocPath) => {
    const field = rel.length > 0 ? `field ${formatPath(rel)}` : 'value';
    return where.connection ? `${where.connection} ${field}` : field;
  };

  const substitute = (text: string, rel: DocPath): string => {
    let out = '';
    for (const t of tokenizeEnvRefs(text)) {
      if (t.kind === 'text') {
        out += t.text;
      } else if (t.kind === 'malformed') {
        problems.push(
          diagnostic(
            'error',
            'CON031',
            `${label(rel)}: malformed environment reference (${t.reason})`,
            locate(rel),
            {
              hint: ENV_REF_SYNTAX_HINT,
            },
          ),
        );
      } else {
        const current = env[t.name];
        const useDefault =
          t.operator === ':-'
            ? current === undefined || current === ''
            : t.operator === '-' && current === undefined;
        if (useDefault) out += t.default ?? '';
        else if (current !== undefined) out += current;
        else {
          problems.push(
            diagnostic(
              'error',
              'CON030',
              `${label(rel)}: environment variable ${t.name} is not set`,
              locate(rel),
              { hint: 'add it to .env or export it' },
            ),
          );
        }
      }
    }
    return out;
  };

  const walk = (v: JsonValue, rel: DocPath): JsonValue => {
    if (typeof v === 'string') return substitute(v, rel);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...rel, i]));
    if (isJsonObject(v)) {
      const out: JsonObject = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...rel, k]);
      return out;
    }
    return v;
  };

  const result = walk(value, []);
  if (problems.length > 0) throw new OsirisError(problems);
  return result as T;
}
