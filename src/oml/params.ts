// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
/**
 * `${params.name}` resolution. Sources, lowest to highest precedence:
 *   OML `params` defaults  <  env `OSIRIS_PARAM_<NAME>`  <  the selected profile's `params`  <  CLI `--param`.
 *
 * - A string that is exactly one placeholder takes the param's value with its type (`limit: ${params.limit}`
 *   stays a number); placeholders inside longer strings are replaced by the value's text.
 * - Env and CLI values are text. When the declared default is a number or a boolean, the text is converted
 *   to that type (`"100"` → 100, `"true"` → true); text that does not parse cleanly is an error.
 * - Placeholders are replaced in every string value of the document except inside `params` and `profiles`
 *   (mapping keys are never rewritten). Anything else in `${…}` (e.g. `${extract.df}`) is left alone.
 */
import { type Diagnostic, OsirisError, type SourceLocation } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { type DocPath, isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import { diag, PAR } from './codes.js';
import { type DerivedDocument, derivedDocument } from './load.js';

export interface ParamSources {
  env?: NodeJS.ProcessEnv;
  /**
   * Profile whose `params` apply. A profile the OML's `profiles` section does not list adds no params; it is
   * an error (PAR004) only when it is not in `knownProfiles` either, so a pipeline that overrides params for
   * `prod` alone still compiles for the project default `dev`. An OML without `profiles` accepts any profile.
   */
  profile?: string;
  /** Profiles the project defines (osiris.yaml `filesystem.profiles.values`); see `profile`. */
  knownProfiles?: readonly string[];
  /** `--param` values, already split (see parseParamArgs). */
  cli?: Record<string, string>;
}

export interface ResolvedParams {
  /** The document with placeholders replaced (params/profiles sections unchanged). `{}` if not a mapping. */
  oml: JsonObject;
  /** Effective values of declared, referenced, profile and CLI params, sorted by name (for fingerprints). */
  params: Record<string, JsonValue>;
  diagnostics: Diagnostic[];
  /** The resolved document with the original's locations: pass it to `validateOml`. */
  document: DerivedDocument;
}

export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const ENV_PREFIX = 'OSIRIS_PARAM_';
const PLACEHOLDER = /\$\{params\.([^}]*)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{params\.([^}]*)\}$/;

/** `['limit=10', 'since=2024-01-01']` → `{ limit: '10', since: '2024-01-01' }`. The value may contain `=`. */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq).trim() : '';
    if (eq <= 0 || !PARAM_NAME_PATTERN.test(name)) {
      throw OsirisError.of(
        PAR.badParamArg.code,
        `--param '${arg}' is not name=value`,
        {},
        { hint: 'write --param limit=100 (names: letters, digits, _ and -, not starting with a digit)' },
      );
    }
    out[name] = arg.slice(eq + 1);
  }
  return out;
}

interface Declaration {
  hasDefault: boolean;
  default: JsonValue;
  path: DocPath;
}

const isScalar = (v: JsonValue | undefined): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

const typeName = (v: JsonValue | undefined): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : isJsonObject(v) ? 'a mapping' : `a ${typeof v}`;

/** Env names are upper-case and cannot hold `-`: compare `start-date`, `START_DATE` and `start_date` as equal. */
const envKey = (name: string): string => name.toLowerCase().replace(/-/g, '_');

/** Converts env/CLI text to the type of the declared default; `undefined` when it does not parse. */
export function coerceParam(text: string, declared: JsonValue): JsonValue | undefined {
  if (typeof declared === 'number') {
    const t = text.trim();
    if (Number.isInteger(declared)) return /^[-+]?\d+$/.test(t) ? Number(t) : undefined;
    return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : undefined;
  }
  if (typeof declared === 'boolean') {
    const t = text.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
    return undefined;
  }
  return text;
}

const expectedType = (declared: JsonValue): string =>
  typeof declared === 'number'
    ? Number.isInteger(declared)
      ? 'an integer'
      : 'a number'
    : typeof declared === 'boolean'
      ? 'true or false'
      : 'text';

export function resolveParams(doc: LocatedDocument, sources: ParamSources): ResolvedParams {
  const diagnostics: Diagnostic[] = [];
  const root = doc.value;
  if (!isJsonObject(root)) {
    return { oml: {}, params: {}, diagnostics, document: derivedDocument(doc, root) };
  }
  const loc = (path: DocPath, which: 'key' | 'value' = 'value') => doc.locate(path, which);

  // 1. Declarations.
  const declared = new Map<string, Declaration>();
  if ('params' in root && root.params !== null) {
    const params = root.params;
    if (!isJsonObject(params)) {
      diagnostics.push(
        diag(PAR.paramsType, `'params' must be a mapping, not ${typeName(params)}`, loc(['params']), {
          hint: 'write params: { limit: 100 }',
        }),
      );
    } else {
      for (const [name, value] of Object.entries(params)) {
        const path: DocPath = ['params', name];
        if (!PARAM_NAME_PATTERN.test(name)) {
          diagnostics.push(
            diag(
              PAR.invalidParam,
              `param name '${name}' must match ${PARAM_NAME_PATTERN.source}`,
              loc(path, 'key'),
              {
                hint: 'use letters, digits, _ and -, not starting with a digit',
              },
            ),
          );
          continue;
        }
        if (isScalar(value)) declared.set(name, { hasDefault: true, default: value, path });
        else if (value === null) declared.set(name, { hasDefault: false, default: null, path });
        else if (isJsonObject(value)) {
          for (const key of Object.keys(value)) {
            if (key !== 'default' && key !== 'description') {
              diagnostics.push(
                diag(
                  PAR.unknownParamKey,
                  `unknown key '${key}' in the declaration of param '${name}'`,
                  loc([...path, key], 'key'),
                  {
                    hint:
                      didYouMean(key, ['default', 'description']) ??
                      'a declaration takes default and description',
                  },
                ),
              );
            }
          }
          const def = value.default;
          if (def === undefined || def === null)
            declared.set(name, { hasDefault: false, default: null, path });
          else if (isScalar(def))
            declared.set(name, { hasDefault: true, default: def, path: [...path, 'default'] });
          else {
            diagnostics.push(
              diag(
                PAR.invalidParam,
                `the default of param '${name}' must be a scalar, not ${typeName(def)}`,
                loc([...path, 'default']),
                {
                  hint: 'use a string, number or boolean',
                },
              ),
            );
            declared.set(name, { hasDefault: false, default: null, path });
          }
        } else {
          diagnostics.push(
            diag(
              PAR.invalidParam,
              `param '${name}' must be a scalar default or { default: … }, not ${typeName(value)}`,
              loc(path),
              {
                hint: `write ${name}: <value> or ${name}: { default: <value>, description: … }`,
              },
            ),
          );
          declared.set(name, { hasDefault: false, default: null, path });
        }
      }
    }
  }
  const declaredNames = [...declared.keys()].sort();

  const values = new Map<string, JsonValue>();
  const explicit = new Set<string>();
  for (const [name, d] of declared) if (d.hasDefault) values.set(name, d.default);
  // Params are substituted once: a placeholder inside a param's value would reach the SQL as written.
  for (const [name, d] of declared) {
    if (d.hasDefault && typeof d.default === 'string' && d.default.includes('${params.'))
      diagnostics.push(nestedRef(`the default of param '${name}'`, loc(d.path)));
  }

  const fromText = (name: string, text: string, source: string): void => {
    const d = declared.get(name);
    if (d?.hasDefault) {
      const coerced = coerceParam(text, d.default);
      if (coerced === undefined) {
        diagnostics.push(
          diag(
            PAR.coercion,
            `${source} for param '${name}' must be ${expectedType(d.default)} (like its default ${JSON.stringify(d.default)})`,
            loc(d.path),
            { hint: `pass ${expectedType(d.default)}, e.g. ${name}=${JSON.stringify(d.default)}` },
          ),
        );
        return;
      }
      values.set(name, coerced);
    } else {
      values.set(name, text);
    }
  };

  // 2. Environment: OSIRIS_PARAM_<NAME>, matched to declared names case-insensitively (`-` ≙ `_`).
  const env = sources.env ?? {};
  const byEnvKey = new Map(declaredNames.map((n) => [envKey(n), n]));
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(ENV_PREFIX)) continue;
    const text = env[variable];
    const suffix = variable.slice(ENV_PREFIX.length);
    if (text === undefined || suffix === '') continue;
    const name = byEnvKey.get(envKey(suffix)) ?? suffix.toLowerCase();
    if (!PARAM_NAME_PATTERN.test(name)) continue;
    fromText(name, text, `environment variable ${variable}`);
  }

  // 3. Profile.
  const profiles = root.profiles;
  let profileNames: string[] = [];
  if ('profiles' in root && profiles !== null) {
    if (!isJsonObject(profiles)) {
      diagnostics.push(
        diag(PAR.profilesType, `'profiles' must be a mapping, not ${typeName(profiles)}`, loc(['profiles']), {
          hint: 'write profiles: { prod: { params: { limit: 1000 } } }',
        }),
      );
    } else {
      profileNames = Object.keys(profiles).sort();
      for (const pname of profileNames) {
        const profile = profiles[pname];
        const ppath: DocPath = ['profiles', pname];
        if (!isJsonObject(profile)) {
          diagnostics.push(
            diag(
              PAR.profilesType,
              `profile '${pname}' must be a mapping, not ${typeName(profile)}`,
              loc(ppath),
              {
                hint: `write ${pname}: { params: { … } }`,
              },
            ),
          );
          continue;
        }
        for (const key of Object.keys(profile)) {
          if (key !== 'params' && key !== 'description') {
            diagnostics.push(
              diag(
                PAR.unknownParamKey,
                `unknown key '${key}' in profile '${pname}'`,
                loc([...ppath, key], 'key'),
                {
                  hint:
                    didYouMean(key, ['params', 'description']) ?? 'a profile takes params and description',
                },
              ),
            );
          }
        }
        const pparams = profile.params;
        if ('params' in profile && pparams !== null && !isJsonObject(pparams)) {
          diagnostics.push(
            diag(
              PAR.profilesType,
              `'params' of profile '${pname}' must be a mapping, not ${typeName(pparams)}`,
              loc([...ppath, 'params']),
            ),
          );
          continue;
        }
        const selected = pname === sources.profile;
        for (const [name, value] of Object.entries(isJsonObject(pparams) ? pparams : {})) {
          const vpath: DocPath = [...ppath, 'params', name];
          if (!declared.has(name)) {
            diagnostics.push(
              diag(
                PAR.undeclaredProfileParam,
                `profile '${pname}' sets param '${name}', which params does not declare`,
                loc(vpath, 'key'),
                {
                  hint: didYouMean(name, declaredNames) ?? `declare it under params: (with a default)`,
                },
              ),
            );
          }
          if (!isScalar(value)) {
            if (value !== null) {
              diagnostics.push(
                diag(
                  PAR.invalidParam,
                  `profile '${pname}' value for param '${name}' must be a scalar, not ${typeName(value)}`,
                  loc(vpath),
                ),
              );
            }
            continue;
          }
          if (typeof value === 'string' && value.includes('${params.'))
            diagnostics.push(nestedRef(`profile '${pname}' value for param '${name}'`, loc(vpath)));
          if (selected && PARAM_NAME_PATTERN.test(name)) {
            values.set(name, value);
            explicit.add(name);
          }
        }
      }
    }
  }
  if (
    sources.profile !== undefined &&
    isJsonObject(profiles) &&
    !profileNames.includes(sources.profile) &&
    !(sources.knownProfiles ?? []).includes(sources.profile)
  ) {
    diagnostics.push(
      diag(PAR.unknownProfile, `unknown profile '${sources.profile}'`, loc(['profiles'], 'key'), {
        hint: [didYouMean(sources.profile, profileNames), `profiles: ${profileNames.join(', ') || '(none)'}`]
          .filter(Boolean)
          .join('; '),
      }),
    );
  }

  // 4. CLI.
  const cli = sources.cli ?? {};
  for (const name of Object.keys(cli).sort()) {
    const text = cli[name] as string;
    if (!declared.has(name)) {
      diagnostics.push(
        diag(
          PAR.undeclaredCliParam,
          `--param '${name}' is not declared under params (it is applied anyway)`,
          loc(['params'], 'key'),
          {
            hint:
              didYouMean(name, declaredNames) ?? `declared params: ${declaredNames.join(', ') || '(none)'}`,
          },
        ),
      );
    }
    fromText(name, text, `--param`);
    explicit.add(name);
  }

  // 5. Substitute.
  const referenced = new Set<string>();
  const substitute = (value: JsonValue, path: DocPath): JsonValue => {
    if (Array.isArray(value)) return value.map((item, i) => substitute(item, [...path, i]));
    if (isJsonObject(value)) {
      const out: JsonObject = {};
      for (const [key, child] of Object.entries(value)) {
        out[key] =
          path.length === 0 && (key === 'params' || key === 'profiles')
            ? child
            : substitute(child, [...path, key]);
      }
      return out;
    }
    if (typeof value !== 'string' || !value.includes('${params.')) return value;
    return substituteString(value, path);
  };

  const substituteString = (text: string, path: DocPath): JsonValue => {
    const unresolved = new Set<string>();
    const check = (name: string): boolean => {
      if (!PARAM_NAME_PATTERN.test(name)) {
        diagnostics.push(
          diag(PAR.malformedPlaceholder, `malformed placeholder '\${params.${name}}'`, loc(path), {
            hint: 'write ${params.name} with a name of letters, digits, _ and -',
          }),
        );
        return false;
      }
      referenced.add(name);
      if (!values.has(name)) unresolved.add(name);
      return values.has(name);
    };
    const whole = WHOLE_PLACEHOLDER.exec(text);
    let result: JsonValue;
    if (whole) {
      const name = whole[1] as string;
      result = check(name) ? (values.get(name) as JsonValue) : text;
    } else {
      result = text.replace(PLACEHOLDER, (match, name: string) =>
        check(name) ? String(values.get(name) as JsonValue) : match,
      );
      // An opening `${params.` without its closing brace.
      if (/\$\{params\.[^}]*$/.test(result)) {
        diagnostics.push(
          diag(PAR.malformedPlaceholder, "unterminated placeholder '${params.…'", loc(path), {
            hint: 'close it: ${params.name}',
          }),
        );
      }
    }
    for (const name of [...unresolved].sort()) {
      diagnostics.push(
        diag(PAR.unresolved, `unresolved parameter '${name}'`, loc(path), {
          hint:
            didYouMean(name, [...values.keys()]) ??
            `declare it under params: with a default, set ${ENV_PREFIX}${envKey(name).toUpperCase()}, or pass --param ${name}=…`,
        }),
      );
    }
    return result;
  };

  const oml = substitute(root, []) as JsonObject;

  const effective: Record<string, JsonValue> = {};
  for (const name of [...values.keys()].sort()) {
    if (declared.has(name) || referenced.has(name) || explicit.has(name))
      effective[name] = values.get(name) as JsonValue;
  }
  return { oml, params: effective, diagnostics, document: derivedDocument(doc, oml) };
}

function nestedRef(what: string, location: SourceLocation): Diagnostic {
  return diag(
    PAR.nestedParamRef,
    `${what} refers to another param; params are not resolved inside params`,
    location,
    {
      hint: PAR.nestedParamRef.fix,
    },
  );
}
