/**
 * A real pseudo-terminal for end-to-end tests: tmux runs a command on a private tmux server (its own socket,
 * no config file, so the developer's sessions are untouched); the test types with `send-keys` and reads the
 * screen with `capture-pane`, as a person would see it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const TMUX = process.env.OSIRIS_TMUX ?? '/usr/bin/tmux';
export const hasTmux = existsSync(TMUX);

export interface Terminal {
  /** The whole pane, scrollback included, without colours. */
  screen(): Promise<string>;
  /** Polls the pane until `done(screen)`; fails with the last screen after `ms`. */
  waitFor(what: string, done: (text: string) => boolean, ms?: number): Promise<string>;
  /** Types a line (literally) and presses Enter. */
  type(line: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs `command` (a shell line) in a new 120×40 terminal in `cwd`. The tmux server inherits `env`; TMUX is
 * unset so a developer running the tests inside tmux gets a separate server, not a nested session.
 */
export async function openTerminal(options: {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}): Promise<Terminal> {
  const socket = `osiris-test-${randomBytes(4).toString('hex')}`;
  const env = { ...options.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  const tmux = async (...args: string[]) =>
    (await run(TMUX, ['-L', socket, '-f', '/dev/null', ...args], { env })).stdout;
  await tmux('new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', '-c', options.cwd, options.command);
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'main', '-S', '-');
  return {
    screen,
    async waitFor(what, done, ms = 30_000) {
      const deadline = Date.now() + ms;
      let last = '';
      while (Date.now() < deadline) {
        last = await screen();
        if (done(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`timed out after ${ms} ms waiting for ${what}; the terminal shows:\n${last}`);
    },
    async type(line) {
      await tmux('send-keys', '-t', 'main', '-l', line);
      await tmux('send-keys', '-t', 'main', 'Enter');
    },
    async close() {
      await tmux('kill-server').catch(() => undefined);
    },
  };
}
