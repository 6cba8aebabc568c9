/**
 * Opens a chat: project, `.env`, LLM settings, prompts, registry, connections, the session redactor and the
 * session store wired into a ChatAgent. The CLI and tests call this; nothing here prints.
 */
import { resolve } from 'node:path';
import type { LanguageModel } from 'ai';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProgressReporter } from '../observability/progress.js';
import { type AgentEvent, ChatAgent, type ChatModel } from './agent.js';
import { type LlmFlags, type LlmSettings, resolveLlmSettings } from './llm-config.js';
import { loadPrompts, PROMPTS_DIR } from './prompts.js';
import { newSessionId, SessionStore } from './store.js';

export interface OpenChatOptions {
  cwd: string;
  /** Copied; `.env` files are loaded into the copy. */
  env: NodeJS.ProcessEnv;
  configFile?: string;
  /** Resume this session; a new one is created when omitted. */
  session?: string;
  proMode?: boolean;
  promptsDir?: string;
  llm?: LlmFlags;
  maxSteps?: number;
  /** Use this model instead of the configured provider (tests, embedding). Settings are still checked. */
  model?: LanguageModel;
  onEvent?: (event: AgentEvent) => void;
  progress: () => ProgressReporter;
}

export interface ChatSetup {
  agent: ChatAgent;
  store: SessionStore;
  /** The session was created by this call. */
  created: boolean;
}

export async function openChat(options: OpenChatOptions): Promise<ChatSetup> {
  // The same project, `.env`, registry, connections and redactor the MCP server's tools get.
  const { openToolContext } = await import('../tools/context.js');
  const { cwd, env, project, registry, connections, redactor } = await openToolContext({
    cwd: options.cwd,
    env: options.env,
    ...(options.configFile ? { configFile: options.configFile } : {}),
  });
  // Settings are checked before a new session is created, so a missing key never leaves an empty session
  // behind. A resumed session may only be deciding (approve / reject need no model): its settings are
  // checked when the model is first needed.
  let settings: LlmSettings | OsirisError;
  try {
    settings = resolveLlmSettings(project, env, options.llm ?? {});
  } catch (error) {
    if (options.session === undefined || !(error instanceof OsirisError)) throw error;
    settings = error;
  }
  const prompts = loadPrompts({
    proMode: Boolean(options.proMode),
    dir: resolve(cwd, options.promptsDir ?? PROMPTS_DIR),
  });

  const sessionsDir = project.paths.sessions;
  const created = options.session === undefined;
  const store = created
    ? SessionStore.open(sessionsDir, newSessionId())
    : SessionStore.resume(sessionsDir, options.session as string);
  const agent = new ChatAgent({
    cwd,
    env,
    project,
    registry,
    connections,
    store,
    redactor,
    llm: async () => {
      if (settings instanceof OsirisError) throw settings;
      return chatModel(settings, env, options.model);
    },
    prompts,
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    progress: options.progress,
  });
  return { agent, store, created };
}

async function chatModel(
  settings: LlmSettings,
  env: NodeJS.ProcessEnv,
  override: LanguageModel | undefined,
): Promise<ChatModel> {
  let model = override;
  if (model === undefined) {
    const { createLanguageModel } = await import('./providers.js');
    model = await createLanguageModel(settings, env);
  }
  return {
    model,
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    maxRepairAttempts: settings.maxRepairAttempts,
    errors: {
      provider: settings.provider,
      model: settings.model,
      location: settings.endpoint.location,
      setting: settings.endpoint.setting,
      keyVariable: settings.keyVariable,
    },
  };
}
