/**
 * Per-step config (`cfg/<step id>.json`): what a driver receives, flattened into one canonical JSON object.
 *
 * ```json
 * {"component":"filesystem.csv_writer","delimiter":",","header":true,"mode":"write","path":"out/x.csv",…}
 * ```
 *
 * - meta keys: `component`, `mode` (the *component* mode: OML `read` → `extract`), and `connection` (the
 *   `@family.alias` reference exactly as written; never a resolved connection);
 * - every key of the step's OML `config` (after `${params.x}` substitution);
 * - the spec's `default` for every property the step leaves out — except fields a connection provides
 *   (`x-connection-fields`, or the secret pointers' heads) when the step has a `connection`: those come from
 *   the connection at run time, and a default such as `host: localhost` would shadow it (the original
 *   leaked such defaults into cfg);
 * - never a secret: secret keys (`secrets` / `x-secret` pointer heads) get no default, and a value under a
 *   secret key must be a `${VAR}` environment reference (a variable *name*, resolved by the runner, never
 *   persisted resolved). The validator already rejects literal secrets; this is the last line of defence.
 */
import type { OmlStep } from '../oml/types.js';
import type { Registry } from '../registry/registry.js';
import { toComponentMode } from '../registry/registry.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';

/** Keys the compiler owns in a cfg file; the runner strips them before handing `config` to a driver. */
export const CFG_META_KEYS: readonly string[] = ['component', 'mode', 'connection'];

export interface CfgProblem {
  code: string;
  /** The config key the problem is about. */
  key: string;
  message: string;
  hint: string;
}

export interface StepCfg {
  cfg: JsonObject;
  problems: CfgProblem[];
}

export function buildStepCfg(step: OmlStep, registry: Registry): StepCfg {
  const problems: CfgProblem[] = [];
  const config: JsonObject = step.config ?? {};
  const cfg: JsonObject = {
    component: step.component,
    mode: toComponentMode(step.mode),
  };

  for (const key of Object.keys(config).sort()) {
    const value = config[key] as JsonValue;
    if (key === 'connection') {
      cfg.connection = value;
      continue;
    }
    if (CFG_META_KEYS.includes(key)) {
      problems.push({
        code: 'CMP004',
        key,
        message: `config key '${key}' of step '${step.id}' clashes with the cfg meta key of the same name`,
        hint: `rename the field in the '${step.component}' spec (e.g. 'write_mode'); the compiler owns '${key}'`,
      });
      continue;
    }
    cfg[key] = value;
  }

  const spec = registry.get(step.component)?.spec;
  const secretKeys = new Set(registry.secretKeys(step.component));
  const hasConnection = 'connection' in config;
  const connectionFields = new Set(
    hasConnection ? registry.connectionFields(step.component).map((f) => f.name) : [],
  );
  const properties = spec?.configSchema?.properties ?? {};
  for (const key of Object.keys(properties).sort()) {
    if (key in cfg || CFG_META_KEYS.includes(key)) continue;
    if (secretKeys.has(key) || connectionFields.has(key)) continue;
    const prop = properties[key];
    if (!isJsonObject(prop) || !('default' in prop)) continue;
    cfg[key] = structuredClone(prop.default as JsonValue);
  }

  for (const key of [...secretKeys].sort()) {
    if (!(key in cfg)) continue;
    const leak = literalLeaf(cfg[key] as JsonValue);
    if (leak !== undefined) {
      problems.push({
        code: 'CMP005',
        key,
        message: `secret field '${key}${leak}' of step '${step.id}' holds a literal value; it would be written to the build folder`,
        hint: `reference a connection (connection: '@family.alias') or an environment variable ('\${MY_SECRET}')`,
      });
    }
  }
  return { cfg, problems };
}

const ENV_REF = /\$\{[^}]*\}/g;

/**
 * The relative path (`''` for the value itself, `.a[0]` below it) of the first leaf that is a literal: anything
 * but null and strings made only of `${VAR}` references (and blanks); undefined when every leaf is safe.
 */
function literalLeaf(value: JsonValue, at = ''): string | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return value.replace(ENV_REF, '').trim() === '' ? undefined : at;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = literalLeaf(value[i] as JsonValue, `${at}[${i}]`);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (isJsonObject(value)) {
    for (const k of Object.keys(value).sort()) {
      const hit = literalLeaf(value[k] as JsonValue, `${at}.${k}`);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  return at;
}
