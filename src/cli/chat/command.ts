/**
 * The `osiris chat` and `osiris dump-prompts` actions: wire the project, connections, redactor, model and
 * session store into a ChatAgent, then run one message (one-shot) or the interactive loop.
 */
import { resolve } from 'node:path';
import type { TurnResult } from '../../agent/agent.js';
import { type OpenChatOptions, openChat } from '../../agent/open.js';
import { exportPrompts, PROMPT_FILES } from '../../agent/prompts.js';
import { listSessions } from '../../agent/store.js';
import { ExitCode, type ExitCodeValue, OsirisError } from '../../diagnostics/diagnostic.js';
import type { ProgressReporter } from '../../observability/progress.js';
import type { ChatFlags, DumpPromptsFlags } from '../commands/chat.js';
import { type JsonError, printJsonResult, printLine, warningOf } from '../output.js';
import { activityLine, palette, renderProposal, renderRun, renderSessions, useColor } from './render.js';

async function quietProgress(): Promise<() => ProgressReporter> {
  const { createProgressReporter } = await import('../../observability/progress.js');
  const { Writable } = await import('node:stream');
  return () =>
    createProgressReporter({ tty: false, json: true, stream: new Writable({ write: (_c, _e, cb) => cb() }) });
}

async function terminalProgress(): Promise<() => ProgressReporter> {
  const { createProgressReporter } = await import('../../observability/progress.js');
  return () => createProgressReporter({ tty: Boolean(process.stderr.isTTY), stream: process.stderr });
}

/** Flags → library options (the process's cwd and environment). */
export function chatOptions(flags: ChatFlags): Omit<OpenChatOptions, 'onEvent' | 'progress'> {
  return {
    cwd: process.cwd(),
    env: { ...process.env },
    ...(flags.config ? { configFile: flags.config } : {}),
    ...(flags.session ? { session: flags.session } : {}),
    proMode: Boolean(flags.proMode),
    promptsDir: flags.promptsDir ?? '.osiris_prompts',
    llm: {
      ...(flags.provider ? { provider: flags.provider } : {}),
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}),
      ...(flags.temperature ? { temperature: flags.temperature } : {}),
    },
    ...(flags.maxSteps !== undefined ? { maxSteps: parseMaxSteps(flags.maxSteps) } : {}),
  };
}

function parseMaxSteps(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw OsirisError.of(
      'AGT006',
      `--max-steps must be a whole number from 1 to 100, got '${value}'`,
      {},
      {
        hint: 'e.g. --max-steps 16',
      },
    );
  }
  return n;
}

/** Warning: the model provider ignored a setting or reported something. */
const PROVIDER_WARNING = 'AGT081';
/** The run approved in this turn failed. */
const RUN_FAILED = 'AGT080';

/** Prints one turn in the JSON envelope: a failed run is the turn's `error`. */
function printTurnJson(result: TurnResult): void {
  const p = result.proposal;
  const run = result.run;
  const failed = run !== null && run.status !== 'succeeded';
  const step = typeof run?.error_step === 'string' ? run.error_step : undefined;
  const error: JsonError | undefined = failed
    ? {
        code: RUN_FAILED,
        message: `run ${String(run?.run_id ?? '')} failed: ${String(run?.error ?? 'unknown error')}`,
        hint: 'see the run with `osiris logs show --last`, then describe the fix in the chat',
        ...(step ? { location: { step } } : {}),
      }
    : undefined;
  printJsonResult(
    {
      session_id: result.sessionId,
      state: result.state,
      reply: result.reply,
      proposal: p
        ? {
            pipeline: p.pipelineName,
            manifest_hash: p.manifestHash,
            manifest_short: p.manifestShort,
            oml: p.oml,
            oml_path: p.omlPath,
            manifest_path: p.manifestPath,
          }
        : null,
      run,
    },
    {
      diagnostics: result.warnings.map((w) => warningOf(PROVIDER_WARNING, w)),
      ...(error ? { error } : {}),
    },
  );
}

export async function chatCommand(message: string, flags: ChatFlags): Promise<ExitCodeValue> {
  if (flags.list) return listCommand(flags);
  if (!message.trim()) {
    const { interactiveChat } = await import('./interactive.js');
    return interactiveChat(flags);
  }
  const color = !flags.json && useColor(process.stdout, process.env);
  const p = palette(color);
  let streamed = false;
  const setup = await openChat({
    ...chatOptions(flags),
    progress: flags.json ? await quietProgress() : await terminalProgress(),
    onEvent: (event) => {
      if (flags.json) return;
      if (event.type === 'text') {
        process.stdout.write(event.delta);
        streamed = true;
      } else if (event.type === 'warning') {
        process.stderr.write(`${p.dim(`warning: ${event.message}`)}\n`);
      } else if (event.type === 'tool') {
        const line = activityLine(event, p);
        if (line) process.stderr.write(`${line}\n`);
      }
    },
  });
  try {
    const result = await setup.agent.send(message);
    if (flags.json) {
      printTurnJson(result);
    } else {
      if (streamed) printLine();
      else if (result.reply) printLine(result.reply);
      if (result.proposal) printLine(renderProposal(result.proposal, result.sessionId, p));
      if (result.run) printLine(renderRun(result.run, p));
      process.stderr.write(p.dim(`session ${result.sessionId} · ${result.state}\n`));
    }
    return result.run && result.run.status !== 'succeeded' ? ExitCode.runtime : ExitCode.ok;
  } catch (error) {
    // The session id matters most when something failed: it is how the user resumes.
    if (!flags.json)
      process.stderr.write(`session ${setup.store.id} (resume with --session ${setup.store.id})\n`);
    throw error;
  } finally {
    setup.store.close();
  }
}

async function listCommand(flags: ChatFlags): Promise<ExitCodeValue> {
  const { loadProjectConfig } = await import('../../project/config.js');
  const project = loadProjectConfig({
    cwd: process.cwd(),
    ...(flags.config ? { configFile: flags.config } : {}),
  });
  const sessions = listSessions(project.paths.sessions);
  if (flags.json) printJsonResult({ sessions });
  else for (const line of renderSessions(sessions)) printLine(line);
  return ExitCode.ok;
}

export async function dumpPromptsCommand(flags: DumpPromptsFlags): Promise<ExitCodeValue> {
  const dir = resolve(process.cwd(), flags.dir ?? '.osiris_prompts');
  if (!flags.export) {
    const files = [...Object.values(PROMPT_FILES), 'README.md'];
    if (flags.json) printJsonResult({ status: 'ready', dir, files, next: 'pass --export to write them' });
    else {
      printLine(`would write ${files.join(', ')} to ${dir}`);
      printLine('pass --export to write them, then edit and run `osiris chat --pro-mode`');
    }
    return ExitCode.ok;
  }
  const result = exportPrompts(dir, Boolean(flags.force));
  if (flags.json) printJsonResult({ status: 'exported', ...result });
  else printLine(`wrote ${result.files.join(', ')} to ${result.dir}`);
  return ExitCode.ok;
}
