/**
 * A language model that cannot be reached, or answers 500, as a person sees it: the built CLI in one-shot
 * mode (human and `--json`) and the interactive chat in a real terminal (tmux). Each shows exactly one
 * located `AGT060` line — provider, model, URL, what went wrong, a hint — and never the AI SDK's error dump
 * (stack frames, node_modules paths, the request body). A base URL on a port fetch refuses ("bad port") is
 * caught when the settings are read (AGT007, exit 2), before any call.
 *
 * Needs the built CLI; the terminal case needs tmux (skipped without it, except under OSIRIS_CI=1). No
 * database.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OSIRIS_BIN, runCliAsync, tempDir } from '../helpers/cli.js';
import { type FakeLlmServer, startFakeLlm } from '../helpers/fake-llm.js';
import { cleanEnv } from './chat-helpers.js';
import { hasTmux, openTerminal } from './tmux.js';

/** A 127.0.0.1 port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const dirs: string[] = [];
let fake: FakeLlmServer;
let refusedUrl: string;

/** A project whose llm: points an OpenAI-compatible provider at `baseUrl`. */
function project(baseUrl: string): string {
  const dir = tempDir('osiris-chat-errors-');
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'osiris.yaml'),
    `version: "2.0"\nllm:\n  provider: openai-compatible\n  model: local-test\n  base_url: ${baseUrl}\n`,
  );
  return dir;
}

const env = cleanEnv({});

/** What must never be shown: stack frames, module paths, the SDK's error names and the request body. */
function expectNoDump(text: string): void {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toContain('node_modules');
  expect(text).not.toMatch(/RetryError|APICallError|requestBodyValues/);
  expect(text).not.toContain('You are Osiris'); // the system prompt, i.e. the request body
}

/** The lines of `text` that report an error. */
const errorLines = (text: string) => text.split('\n').filter((l) => /\berror\b/.test(l));

beforeAll(async () => {
  fake = await startFakeLlm({ turns: [] }); // no turns: every request is answered HTTP 500
  refusedUrl = `http://127.0.0.1:${await closedPort()}/v1`;
});

afterAll(async () => {
  await fake?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('one-shot osiris chat with an unusable model', () => {
  it('connection refused: one located line, exit 1', async () => {
    const dir = project(refusedUrl);
    const r = await runCliAsync(['chat', 'hello'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expectNoDump(r.stderr);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/osiris\.yaml:5:13 error AGT060 /);
    expect(lines[0]).toContain(
      `openai-compatible model 'local-test' is unreachable: connection refused at ${refusedUrl}/chat/completions`,
    );
    expect(lines[0]).toContain('— start the server, or correct llm.base_url in osiris.yaml');
    // Besides the error, only the line saying how to resume the session.
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('connection refused with --json: one JSON document, nothing on stderr', async () => {
    const dir = project(refusedUrl);
    const r = await runCliAsync(['chat', 'hello', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as {
      ok: boolean;
      error: { code: string; message: string; location: Record<string, unknown> };
      diagnostics: unknown[];
    };
    expect(json.ok).toBe(false);
    expect(json.diagnostics).toHaveLength(1);
    expect(json.error).toMatchObject({
      code: 'AGT060',
      location: { line: 5, col: 13, path: 'llm.base_url' },
    });
    expect(json.error.message).toContain(`connection refused at ${refusedUrl}/chat/completions`);
    expectNoDump(r.stdout);
  });

  it('HTTP 500: the status and the provider message, after one retry', async () => {
    const dir = project(fake.baseUrl);
    const before = fake.requests.length;
    const r = await runCliAsync(['chat', 'hello'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    expectNoDump(r.stderr);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `error AGT060 openai-compatible model 'local-test' at ${fake.baseUrl}/chat/completions answered HTTP 500: fake LLM: script exhausted`,
    );
    expect(lines[0]).toContain('— the provider failed; try again');
    expect(fake.requests.length - before).toBe(2);
  });

  it('a port fetch refuses ("bad port") is a settings error before any call, exit 2', async () => {
    const dir = project('http://127.0.0.1:9/v1');
    const r = await runCliAsync(['chat', 'hello'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(2);
    expectNoDump(r.stderr);
    expect(r.stderr).not.toContain('bad port');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /osiris\.yaml:5:13 error AGT007 base URL 'http:\/\/127\.0\.0\.1:9\/v1' uses port 9/,
    );
    // Checked before the session is created: nothing to resume, nothing left behind.
    expect(r.stderr).not.toContain('session');
  });
});

describe.skipIf(!hasTmux)('interactive osiris chat with an unreachable model (tmux)', () => {
  it('shows one error line and the prompt again', async () => {
    const dir = project(refusedUrl);
    const term = await openTerminal({
      command: `${process.execPath} ${OSIRIS_BIN} chat; echo "[osiris exited $?]"; sleep 600`,
      cwd: dir,
      env: { ...env, NO_COLOR: '' },
    });
    try {
      await term.waitFor('the banner', (s) => s.includes('Osiris chat') && s.includes('you ›'));
      await term.type('hello');
      const shown = await term.waitFor(
        'the error',
        (s) => s.includes('AGT060') && /you ›\s*$/.test(s.trimEnd()),
      );
      expectNoDump(shown);
      const lines = errorLines(shown);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`connection refused at ${refusedUrl}/chat/completions`);
      expect(lines[0]).toMatch(/osiris\.yaml:5:13 error AGT060/);
      await term.type('/quit');
      const end = await term.waitFor('the exit', (s) => s.includes('[osiris exited'));
      expect(end).toContain('[osiris exited 0]');
    } finally {
      await term.close();
    }
  });
});
