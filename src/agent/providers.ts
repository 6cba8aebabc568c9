/**
 * One interface over every provider: the Vercel AI SDK's LanguageModel. Provider packages load lazily so
 * `osiris --help` never pays for them.
 */
import type { LanguageModel } from 'ai';
import type { LlmSettings } from './llm-config.js';
import { failFastFetch } from './model-errors.js';

export async function createLanguageModel(
  settings: LlmSettings,
  env: NodeJS.ProcessEnv,
): Promise<LanguageModel> {
  const apiKey = settings.keyVariable ? env[settings.keyVariable] : undefined;
  const baseURL = settings.baseUrl;
  // A refused connection fails at once instead of after the SDK's retry backoff (src/agent/model-errors.ts).
  const fetch = failFastFetch;
  switch (settings.provider) {
    case 'openai': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      // Chat Completions: the protocol every OpenAI-compatible gateway also speaks.
      return createOpenAI({ fetch, ...(apiKey ? { apiKey } : {}), ...(baseURL ? { baseURL } : {}) }).chat(
        settings.model,
      );
    }
    case 'anthropic': {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      return createAnthropic({ fetch, ...(apiKey ? { apiKey } : {}), ...(baseURL ? { baseURL } : {}) })(
        settings.model,
      );
    }
    case 'google': {
      const { createGoogleGenerativeAI } = await import('@ai-sdk/google');
      return createGoogleGenerativeAI({
        fetch,
        ...(apiKey ? { apiKey } : {}),
        ...(baseURL ? { baseURL } : {}),
      })(settings.model);
    }
    case 'openai-compatible': {
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      return createOpenAICompatible({
        name: 'local',
        fetch,
        baseURL: baseURL ?? '',
        ...(apiKey ? { apiKey } : {}),
      }).chatModel(settings.model);
    }
  }
}
