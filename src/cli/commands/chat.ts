/**
 * `osiris chat`: build a pipeline by describing the outcome. Interactive in a terminal; one-shot with a
 * message (`osiris chat "export movies rated above 8 to CSV" --json`); `--session` resumes; `--list` lists.
 * `osiris dump-prompts` shows or exports the prompts `--pro-mode` reads back.
 */
import type { Command } from 'commander';
import { configOption, connectionsOption, jsonOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

export interface ChatFlags extends OutputOptions {
  session?: string;
  list?: boolean;
  proMode?: boolean;
  promptsDir?: string;
  provider?: string;
  model?: string;
  baseUrl?: string;
  temperature?: string;
  maxSteps?: string;
  config?: string;
  connections?: string;
}

export interface DumpPromptsFlags extends OutputOptions {
  export?: boolean;
  dir?: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('chat')
    .description(
      'describe an outcome; the agent discovers, writes, validates and (once you approve) runs a pipeline',
    )
    .argument(
      '[message...]',
      'one-shot message (omit for the interactive session); `approve` / `reject` decide',
    )
    .option('--session <id>', 'continue a session (see --list)')
    .option('--list', 'list chat sessions, most recent first')
    .option('--pro-mode', 'use the prompts in .osiris_prompts/ (see `osiris dump-prompts --export`)')
    .option('--prompts-dir <dir>', 'prompts folder for --pro-mode', '.osiris_prompts')
    .option(
      '--provider <name>',
      'openai | anthropic | google | openai-compatible (or ollama, vllm, lmstudio)',
    )
    .option('--model <id>', 'model id, e.g. gpt-4o-mini')
    .option('--base-url <url>', 'provider base URL (local or proxy servers)')
    .option('--temperature <t>', 'sampling temperature, 0 – 2')
    .option('--max-steps <n>', 'model steps per message (default 16)')
    .addOption(configOption())
    .addOption(connectionsOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      [
        '',
        'Keys come only from the environment: OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY',
        '(OSIRIS_LLM_API_KEY for OpenAI-compatible servers). Settings: llm: in osiris.yaml, OSIRIS_LLM_PROVIDER,',
        'OSIRIS_LLM_MODEL, OSIRIS_LLM_BASE_URL, OSIRIS_LLM_TEMPERATURE, then these flags.',
        'Prefixes: "FAST: …" skips clarifying questions; "SQL: SELECT …" builds a pipeline around that query.',
      ].join('\n'),
    )
    .action((message: string[], flags: ChatFlags) =>
      runAction(flags, async () => {
        const { chatCommand } = await import('../chat/command.js');
        return chatCommand(message.join(' '), flags);
      }),
    );

  program
    .command('dump-prompts')
    .description('show the chat prompts, or export them for --pro-mode editing')
    .option('--export', 'write the prompt files (without it, only say what would be written)')
    .option('--dir <dir>', 'folder to write', '.osiris_prompts')
    .option('--force', 'overwrite existing prompt files')
    .addOption(jsonOption())
    .action((flags: DumpPromptsFlags) =>
      runAction(flags, async () => {
        const { dumpPromptsCommand } = await import('../chat/command.js');
        return dumpPromptsCommand(flags);
      }),
    );
}
