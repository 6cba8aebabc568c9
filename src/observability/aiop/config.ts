/**
 * Effective AIOP configuration with the source of every value. Precedence, highest first:
 *
 *   CLI flag  >  environment `OSIRIS_AIOP_<KEY>`  >  osiris.yaml `aiop:`  >  built-in default
 *
 * Keys are dotted (`annex.compress`); the environment variable is the key upper-cased with dots turned into
 * underscores (`OSIRIS_AIOP_ANNEX_COMPRESS`). A CLI value that does not parse is a usage error (exit 2); an
 * environment or osiris.yaml value that does not parse is skipped (the next source wins) and reported in
 * `warnings`, so a typo in the environment can never make a run fail after its data was written.
 */
import { OsirisError } from '../../diagnostics/diagnostic.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../yaml/json.js';

export type AiopPolicy = 'core' | 'annex';
export type TimelineDensity = 'low' | 'medium' | 'high';
export type AnnexCompress = 'none' | 'gzip';
export type DeltaMode = 'previous' | 'none';

export interface AiopConfig {
  /** Write the package automatically after every `osiris run`. */
  enabled: boolean;
  /** `core`: one size-bounded summary.json; `annex`: also full NDJSON shards of the timeline and metrics. */
  policy: AiopPolicy;
  /** Upper bound for summary.json in bytes; the core is truncated (with markers) to fit. */
  max_core_bytes: number;
  /** Which events make the timeline: lifecycle only, everything but noise, or everything. */
  timeline_density: TimelineDensity;
  /** At most this many per-step metric entries (slowest first). */
  metrics_topk: number;
  /** Compare with the previous successful run of the pipeline, or not. */
  delta: DeltaMode;
  /** Also write run-card.md. */
  run_card: boolean;
  /** Compression of the annex shards. */
  'annex.compress': AnnexCompress;
}

export type AiopConfigKey = keyof AiopConfig;
export type ConfigSource = 'cli' | 'env' | 'osiris.yaml' | 'default';

export interface ConfigValueInfo {
  value: JsonValue;
  source: ConfigSource;
  /** The flag, variable or osiris.yaml key the value came from (absent for defaults). */
  origin?: string;
}

export interface ResolvedAiopConfig {
  values: AiopConfig;
  sources: Record<AiopConfigKey, ConfigValueInfo>;
  /** Environment / osiris.yaml values that were ignored because they did not parse. */
  warnings: string[];
}

export const AIOP_DEFAULTS: Readonly<AiopConfig> = Object.freeze({
  enabled: true,
  policy: 'core',
  max_core_bytes: 300_000,
  timeline_density: 'medium',
  metrics_topk: 100,
  delta: 'previous',
  run_card: true,
  'annex.compress': 'none',
});

/** Smallest accepted `max_core_bytes`: below this even the run block and narrative cannot fit. */
export const MIN_CORE_BYTES = 2_000;

type Parser<T> = (raw: unknown) => T | undefined;

const bool: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return undefined;
};

const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    const n =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
  };

const oneOf =
  <T extends string>(...choices: T[]): Parser<T> =>
  (raw) => {
    const v = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
    return v !== undefined && (choices as string[]).includes(v) ? (v as T) : undefined;
  };

const PARSERS: { [K in AiopConfigKey]: { parse: Parser<AiopConfig[K]>; expected: string } } = {
  enabled: { parse: bool, expected: 'true or false' },
  policy: { parse: oneOf('core', 'annex'), expected: 'core or annex' },
  max_core_bytes: { parse: int(MIN_CORE_BYTES), expected: `a whole number ≥ ${MIN_CORE_BYTES}` },
  timeline_density: { parse: oneOf('low', 'medium', 'high'), expected: 'low, medium or high' },
  metrics_topk: { parse: int(1, 100_000), expected: 'a whole number from 1 to 100000' },
  delta: { parse: oneOf('previous', 'none'), expected: 'previous or none' },
  run_card: { parse: bool, expected: 'true or false' },
  'annex.compress': { parse: oneOf('none', 'gzip'), expected: 'none or gzip' },
};

export const AIOP_CONFIG_KEYS = Object.keys(AIOP_DEFAULTS).sort() as AiopConfigKey[];

/** `annex.compress` → `OSIRIS_AIOP_ANNEX_COMPRESS`. */
export function envVarName(key: AiopConfigKey): string {
  return `OSIRIS_AIOP_${key.replace(/\./g, '_').toUpperCase()}`;
}

/** `max_core_bytes` → `--max-core-bytes`. */
export function cliFlagName(key: AiopConfigKey): string {
  return `--${key.replace(/^annex\./, '').replace(/_/g, '-')}`;
}

function yamlValue(section: JsonObject | undefined, key: AiopConfigKey): JsonValue | undefined {
  let cur: JsonValue | undefined = section;
  for (const part of key.split('.')) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export interface ResolveAiopConfigOptions {
  /** Values given on the command line (strings as typed, or already-typed values). */
  cli?: Partial<Record<AiopConfigKey, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** The whole parsed osiris.yaml (`project.raw`); its `aiop:` mapping is read. */
  projectRaw?: JsonObject;
}

export function resolveAiopConfig(options: ResolveAiopConfigOptions = {}): ResolvedAiopConfig {
  const env = options.env ?? {};
  const rawSection = options.projectRaw?.aiop;
  const section = isJsonObject(rawSection) ? rawSection : undefined;
  const warnings: string[] = [];
  if (rawSection !== undefined && rawSection !== null && !section) {
    warnings.push('osiris.yaml: `aiop` must be a mapping; ignored');
  }
  const values = { ...AIOP_DEFAULTS } as Record<AiopConfigKey, unknown>;
  const sources = {} as Record<AiopConfigKey, ConfigValueInfo>;
  for (const key of AIOP_CONFIG_KEYS) {
    const { parse, expected } = PARSERS[key] as { parse: Parser<unknown>; expected: string };
    const cliRaw = options.cli?.[key];
    if (cliRaw !== undefined) {
      const v = parse(cliRaw);
      if (v === undefined) {
        throw OsirisError.of(
          'AIO001',
          `${cliFlagName(key)} must be ${expected}, got '${String(cliRaw)}'`,
          {},
          {
            hint: `e.g. ${cliFlagName(key)} ${String(AIOP_DEFAULTS[key])}`,
          },
        );
      }
      values[key] = v;
      sources[key] = { value: v as JsonValue, source: 'cli', origin: cliFlagName(key) };
      continue;
    }
    const envName = envVarName(key);
    const envRaw = env[envName];
    if (envRaw !== undefined && envRaw !== '') {
      const v = parse(envRaw);
      if (v !== undefined) {
        values[key] = v;
        sources[key] = { value: v as JsonValue, source: 'env', origin: envName };
        continue;
      }
      warnings.push(`${envName} must be ${expected}; ignored`);
    }
    const yamlRaw = yamlValue(section, key);
    if (yamlRaw !== undefined && yamlRaw !== null) {
      const v = parse(
        typeof yamlRaw === 'number' || typeof yamlRaw === 'boolean' ? yamlRaw : String(yamlRaw),
      );
      if (v !== undefined) {
        values[key] = v;
        sources[key] = { value: v as JsonValue, source: 'osiris.yaml', origin: `aiop.${key}` };
        continue;
      }
      warnings.push(`osiris.yaml aiop.${key} must be ${expected}; ignored`);
    }
    sources[key] = { value: AIOP_DEFAULTS[key] as JsonValue, source: 'default' };
  }
  return { values: values as unknown as AiopConfig, sources, warnings };
}
