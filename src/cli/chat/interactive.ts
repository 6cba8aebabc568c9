/**
 * The interactive chat: a prompt, the model's words streamed as they come, a spinner while tools work
 * (discovery, validation, compile), the proposed OML highlighted with its manifest hash, and `approve` /
 * `reject` / free-text edits. Ctrl-C stops the current turn; Ctrl-C at the prompt (or /quit) leaves.
 */
import { createInterface } from 'node:readline';
import type { AgentEvent } from '../../agent/agent.js';
import { openChat } from '../../agent/open.js';
import { ExitCode, type ExitCodeValue, formatDiagnostic, OsirisError } from '../../diagnostics/diagnostic.js';
import type { ChatFlags } from '../commands/chat.js';
import { chatOptions } from './command.js';
import { highlightYaml, palette, renderProposal, renderRun, useColor } from './render.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private label = '';

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {}

  start(label: string): void {
    this.label = label;
    if (!this.enabled) {
      this.out.write(`… ${label}\n`);
      return;
    }
    this.render();
    this.timer ??= setInterval(() => this.render(), 80);
  }

  private render(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.out.write(`\r\u001b[2K${FRAMES[this.frame]} ${this.label}`);
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.out.write('\r\u001b[2K');
    }
  }
}

export async function interactiveChat(flags: ChatFlags): Promise<ExitCodeValue> {
  const out = process.stdout;
  const p = palette(useColor(out, process.env));
  const spinner = new Spinner(out, Boolean(out.isTTY));
  let speaking = false;

  const onEvent = (event: AgentEvent): void => {
    switch (event.type) {
      case 'tool':
        if (event.phase === 'start') {
          if (speaking) out.write('\n');
          speaking = false;
          spinner.start(event.label);
        } else {
          spinner.stop();
          if (event.ok === false) out.write(`${p.bad(`✖ ${event.label} failed`)}\n`);
        }
        break;
      case 'text': {
        // After a tool ran, the next text starts its own "osiris ›" line: the paragraph break is already there.
        const delta = speaking ? event.delta : event.delta.trimStart();
        if (!delta) break;
        spinner.stop();
        if (!speaking) out.write(p.bold('osiris › '));
        speaking = true;
        out.write(delta);
        break;
      }
      case 'run-start':
        spinner.stop();
        out.write(`${p.dim(`running ${event.manifestHash.slice(0, 19)}…`)}\n`);
        break;
      case 'warning':
        out.write(`${p.dim(`warning: ${event.message}`)}\n`);
        break;
      case 'notice':
        out.write(`\n${p.bad(event.message)}\n`);
        break;
      default:
        break;
    }
  };

  const { createProgressReporter } = await import('../../observability/progress.js');
  const setup = await openChat({
    ...chatOptions(flags),
    onEvent,
    progress: () => createProgressReporter({ tty: Boolean(out.isTTY), stream: out }),
  });
  const { agent, store } = setup;
  out.write(
    `${p.bold('Osiris chat')} ${p.dim(`session ${store.id}${setup.created ? '' : ` (resumed, ${store.state})`}`)}\n` +
      p.dim('Describe the outcome you want. approve · reject · /oml · /state · /quit\n'),
  );
  if (!setup.created && store.proposal && store.state === 'AWAIT_APPROVAL') {
    out.write(renderProposal(store.proposal, store.id, p));
  }

  const rl = createInterface({ input: process.stdin, output: out, terminal: Boolean(process.stdin.isTTY) });
  let turn: AbortController | undefined;
  rl.on('SIGINT', () => {
    if (turn) turn.abort();
    else rl.close();
  });
  const prompt = () => {
    rl.setPrompt(p.bold('you › '));
    rl.prompt();
  };

  let exitCode: ExitCodeValue = ExitCode.ok;
  prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (!text) {
      prompt();
      continue;
    }
    if (text === '/quit' || text === '/exit') break;
    if (text === '/state') {
      out.write(`${store.state}${store.proposal ? `  ${store.proposal.manifestShort}` : ''}\n`);
      prompt();
      continue;
    }
    if (text === '/oml') {
      out.write(store.oml ? `${highlightYaml(store.oml.trimEnd(), p)}\n` : 'no pipeline drafted yet\n');
      prompt();
      continue;
    }
    turn = new AbortController();
    speaking = false;
    try {
      const result = await agent.send(text, turn.signal);
      spinner.stop();
      if (speaking) out.write('\n');
      else if (result.reply && !result.run) out.write(`${p.bold('osiris › ')}${result.reply}\n`);
      if (result.proposal) out.write(renderProposal(result.proposal, store.id, p));
      if (result.run) {
        out.write(`${renderRun(result.run, p)}\n`);
        exitCode = result.run.status === 'succeeded' ? ExitCode.ok : ExitCode.runtime;
      }
    } catch (error) {
      spinner.stop();
      if (speaking) out.write('\n');
      if (turn.signal.aborted) out.write(`${p.dim('(stopped)')}\n`);
      else if (error instanceof OsirisError) {
        for (const d of error.diagnostics) out.write(`${p.bad(formatDiagnostic(d))}\n`);
      } else out.write(`${p.bad(`error: ${error instanceof Error ? error.message : String(error)}`)}\n`);
    } finally {
      turn = undefined;
    }
    prompt();
  }
  rl.close();
  store.close();
  out.write(p.dim(`session ${store.id} saved — resume with: osiris chat --session ${store.id}\n`));
  return exitCode;
}
