/**
 * Which language model the agent talks to. Settings come from osiris.yaml `llm:`, overridden by
 * `OSIRIS_LLM_*` environment variables, overridden by command-line flags. API keys come only from the
 * environment (or `.env`), never from a file Osiris writes, and are never echoed back.
 */
import { z } from 'zod';
import { OsirisError } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { ProjectConfig } from '../project/config.js';
import { isJsonObject } from '../yaml/json.js';
import { checkBaseUrl, type SettingSource, type SettingWhere, settingWhere } from './base-url.js';

export type { SettingSource } from './base-url.js';

export const PROVIDERS = ['openai', 'anthropic', 'google', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Other names users type for a provider, and the local servers that speak the OpenAI protocol. */
const ALIASES: Readonly<Record<string, { provider: ProviderName; baseUrl?: string }>> = {
  claude: { provider: 'anthropic' },
  gemini: { provider: 'google' },
  ollama: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' },
  lmstudio: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:1234/v1' },
  vllm: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1' },
  local: { provider: 'openai-compatible' },
};

/** Key variables per provider, the first one is the documented name; later ones are accepted aliases. */
export const KEY_VARIABLES: Readonly<Record<ProviderName, readonly string[]>> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY', 'CLAUDE_API_KEY'],
  google: ['GOOGLE_GENERATIVE_AI_API_KEY', 'GEMINI_API_KEY'],
  'openai-compatible': ['OSIRIS_LLM_API_KEY'],
};

const DEFAULT_MODELS: Readonly<Partial<Record<ProviderName, string>>> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
};

export const DEFAULT_TEMPERATURE = 0.1;
export const DEFAULT_MAX_TOKENS = 4096;
export const DEFAULT_MAX_REPAIR_ATTEMPTS = 2;

export interface LlmSettings {
  provider: ProviderName;
  model: string;
  baseUrl: string | undefined;
  temperature: number;
  maxTokens: number;
  /** Validate → repair rounds before the agent hands the errors to the human (0 – 5). */
  maxRepairAttempts: number;
  /** The environment variable the key was read from (never the key). */
  keyVariable: string | undefined;
  /** Where each setting came from. */
  sources: Record<'provider' | 'model' | 'baseUrl' | 'temperature' | 'maxTokens', SettingSource>;
  /** Where the endpoint was chosen (the base URL's setting, else the provider's): errors point there. */
  endpoint: SettingWhere;
}

export interface LlmFlags {
  provider?: string;
  model?: string;
  baseUrl?: string;
  temperature?: string;
}

const yamlSchema = z
  .object({
    provider: z.string().optional(),
    model: z.string().optional(),
    base_url: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).optional(),
    max_repair_attempts: z.number().int().min(0).max(5).optional(),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
  })
  .loose();

type YamlLlm = z.infer<typeof yamlSchema>;

/** The keys of `llm:` in osiris.yaml. */
export const LLM_YAML_KEYS: readonly string[] = Object.keys(yamlSchema.shape);

function readYaml(project: ProjectConfig): YamlLlm {
  const raw = project.raw.llm;
  if (raw === undefined || raw === null) return {};
  const parsed = yamlSchema.safeParse(isJsonObject(raw) ? raw : undefined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['llm', ...(issue?.path ?? []).map(String)].join('.');
    throw OsirisError.of(
      'AGT004',
      `invalid value for '${path}' in osiris.yaml: ${issue?.message ?? 'expected a mapping'}`,
      { ...(project.configFile ? { file: project.configFile } : {}), path },
      { hint: 'see docs/reference/chat.md for the llm: settings' },
    );
  }
  return parsed.data;
}

function pick<T>(
  flag: T | undefined,
  env: T | undefined,
  yaml: T | undefined,
  fallback: T,
): { value: T; source: SettingSource } {
  if (flag !== undefined) return { value: flag, source: 'flag' };
  if (env !== undefined) return { value: env, source: 'env' };
  if (yaml !== undefined) return { value: yaml, source: 'osiris.yaml' };
  return { value: fallback, source: 'default' };
}

const nonEmpty = (v: string | undefined): string | undefined => (v?.trim() ? v.trim() : undefined);

function parseNumber(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw OsirisError.of(
      'AGT005',
      `${name} must be a number from ${min} to ${max}, got '${value}'`,
      {},
      { hint: `e.g. ${name}=${min === 0 ? '0.1' : String(min)}` },
    );
  }
  return n;
}

function normaliseProvider(name: string): { provider: ProviderName; baseUrl?: string } {
  const key = name.trim().toLowerCase();
  if ((PROVIDERS as readonly string[]).includes(key)) return { provider: key as ProviderName };
  const alias = ALIASES[key];
  if (alias) return alias;
  const suggestion = didYouMean(key, [...PROVIDERS, ...Object.keys(ALIASES)]);
  throw OsirisError.of(
    'AGT003',
    `unknown LLM provider '${name}'`,
    {},
    {
      hint: suggestion ?? `use one of ${PROVIDERS.join(', ')} (or ollama, lmstudio, vllm for local servers)`,
    },
  );
}

/** The first key variable of `provider` that is set, if any. */
function keyVariableFor(provider: ProviderName, env: NodeJS.ProcessEnv, custom?: string): string | undefined {
  const names = custom ? [custom] : KEY_VARIABLES[provider];
  return names.find((name) => nonEmpty(env[name]) !== undefined);
}

/** Resolves the LLM settings; throws AGT001/AGT002 with the exact variable to set when none are usable. */
export function resolveLlmSettings(
  project: ProjectConfig,
  env: NodeJS.ProcessEnv,
  flags: LlmFlags = {},
): LlmSettings {
  const yaml = readYaml(project);
  const providerPick = pick(
    nonEmpty(flags.provider),
    nonEmpty(env.OSIRIS_LLM_PROVIDER),
    nonEmpty(yaml.provider),
    undefined as string | undefined,
  );
  let providerName = providerPick.value;
  let providerSource = providerPick.source;
  if (providerName === undefined) {
    // No provider named anywhere: use the one whose key is set, when exactly one is.
    const withKeys = (['openai', 'anthropic', 'google'] as const).filter((p) => keyVariableFor(p, env));
    if (withKeys.length !== 1) {
      throw OsirisError.of(
        'AGT001',
        withKeys.length === 0
          ? 'no LLM provider is configured'
          : `several LLM keys are set (${withKeys.join(', ')}); say which provider to use`,
        {},
        {
          hint:
            withKeys.length === 0
              ? 'set OPENAI_API_KEY, ANTHROPIC_API_KEY or GOOGLE_GENERATIVE_AI_API_KEY in the environment or .env; ' +
                'for a local server (Ollama, vLLM, LM Studio) set llm.provider: openai-compatible, llm.base_url and llm.model in osiris.yaml'
              : 'set llm.provider in osiris.yaml, OSIRIS_LLM_PROVIDER, or pass --provider',
        },
      );
    }
    providerName = withKeys[0] as string;
    providerSource = 'env';
  }
  const { provider, baseUrl: aliasBaseUrl } = normaliseProvider(providerName);

  const baseUrlPick = pick(
    nonEmpty(flags.baseUrl),
    nonEmpty(env.OSIRIS_LLM_BASE_URL),
    nonEmpty(yaml.base_url),
    aliasBaseUrl,
  );
  const model = pick(
    nonEmpty(flags.model),
    nonEmpty(env.OSIRIS_LLM_MODEL),
    nonEmpty(yaml.model),
    DEFAULT_MODELS[provider],
  );
  if (model.value === undefined) {
    throw OsirisError.of(
      'AGT003',
      `provider '${provider}' needs a model name`,
      {},
      { hint: 'set llm.model in osiris.yaml, OSIRIS_LLM_MODEL, or pass --model (e.g. --model llama3.1)' },
    );
  }
  if (provider === 'openai-compatible' && baseUrlPick.value === undefined) {
    throw OsirisError.of(
      'AGT003',
      "provider 'openai-compatible' needs the server's base URL",
      {},
      {
        hint: 'set llm.base_url in osiris.yaml, OSIRIS_LLM_BASE_URL, or pass --base-url (e.g. http://127.0.0.1:11434/v1)',
      },
    );
  }
  const endpoint =
    baseUrlPick.source === 'default'
      ? settingWhere(project, 'provider', providerSource)
      : settingWhere(project, 'base_url', baseUrlPick.source);
  if (baseUrlPick.value !== undefined) checkBaseUrl(baseUrlPick.value, endpoint);
  const temperature = pick(
    parseNumber(nonEmpty(flags.temperature), '--temperature', 0, 2),
    parseNumber(nonEmpty(env.OSIRIS_LLM_TEMPERATURE), 'OSIRIS_LLM_TEMPERATURE', 0, 2),
    yaml.temperature,
    DEFAULT_TEMPERATURE,
  );
  const maxTokens = pick(
    undefined,
    parseNumber(nonEmpty(env.OSIRIS_LLM_MAX_TOKENS), 'OSIRIS_LLM_MAX_TOKENS', 1, 1_000_000),
    yaml.max_tokens,
    DEFAULT_MAX_TOKENS,
  );

  const keyVariable = keyVariableFor(provider, env, yaml.api_key_env);
  // Local OpenAI-compatible servers usually need no key; hosted providers always do.
  if (!keyVariable && provider !== 'openai-compatible') {
    const names = yaml.api_key_env ? [yaml.api_key_env] : KEY_VARIABLES[provider];
    throw OsirisError.of(
      'AGT002',
      `the ${provider} provider needs an API key, and ${names[0]} is not set`,
      {},
      { hint: `export ${names[0]}=… or put it in .env (keys are read only from the environment)` },
    );
  }
  return {
    provider,
    model: model.value,
    baseUrl: baseUrlPick.value,
    temperature: temperature.value,
    maxTokens: Math.floor(maxTokens.value),
    maxRepairAttempts: yaml.max_repair_attempts ?? DEFAULT_MAX_REPAIR_ATTEMPTS,
    keyVariable,
    sources: {
      provider: providerSource,
      model: model.source,
      baseUrl: baseUrlPick.source,
      temperature: temperature.source,
      maxTokens: maxTokens.source,
    },
    endpoint,
  };
}
