/**
 * Model-call failures: a refused connection fails at once (the AI SDK would otherwise retry it after a 2 s
 * backoff), URLs lose their credentials and query, and the settings that point at an unusable base URL are
 * refused where they are written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveLlmSettings } from '../../../src/agent/llm-config.js';
import { safeUrl } from '../../../src/agent/model-errors.js';
import { openChat } from '../../../src/agent/open.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { createProgressReporter } from '../../../src/observability/progress.js';
import { loadProjectConfig } from '../../../src/project/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function projectWith(llm: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'osiris-model-errors-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'osiris.yaml'), `version: "2.0"\nllm:\n${llm}`);
  return dir;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a model that cannot be reached', () => {
  it('fails at once with AGT060, not after the retry backoff', async () => {
    const port = await closedPort();
    const dir = projectWith(
      `  provider: openai-compatible\n  model: m\n  base_url: http://127.0.0.1:${port}/v1\n`,
    );
    const { agent, store } = await openChat({
      cwd: dir,
      env: {},
      progress: () =>
        createProgressReporter({
          tty: false,
          json: true,
          stream: new Writable({ write: (_c, _e, cb) => cb() }),
        }),
    });
    const started = performance.now();
    const error = await agent.send('hello').catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    store.close();
    expect(error).toBeInstanceOf(OsirisError);
    const d = (error as OsirisError).diagnostics[0];
    expect(d?.code).toBe('AGT060');
    expect(d?.message).toBe(
      `openai-compatible model 'm' is unreachable: connection refused at http://127.0.0.1:${port}/v1/chat/completions`,
    );
    expect((error as OsirisError).exitCode).toBe(1);
    // The SDK's first retry waits 2 s; a refused connection is not retried.
    expect(elapsed).toBeLessThan(1500);
  });
});

describe('base URLs', () => {
  it('lose userinfo, query and fragment when shown', () => {
    expect(safeUrl('https://user:pw@llm.example.com:8443/v1/chat?api-key=sk-123#x')).toBe(
      'https://llm.example.com:8443/v1/chat',
    );
  });

  it.each([
    ['http://127.0.0.1:9/v1', 'uses port 9'],
    ['http://127.0.0.1:0/v1', 'uses port 0'],
    ['ftp://127.0.0.1:21/v1', 'uses ftp'],
    ['127.0.0.1:11434/v1', 'is not a URL'],
    ['not a url', 'is not a URL'],
  ])('%s is refused where it is set (AGT007)', (url, problem) => {
    const dir = projectWith(`  provider: openai-compatible\n  model: m\n  base_url: "${url}"\n`);
    const project = loadProjectConfig({ cwd: dir, env: {} });
    const error = (() => {
      try {
        resolveLlmSettings(project, {});
      } catch (e) {
        return e;
      }
    })() as OsirisError;
    expect(error).toBeInstanceOf(OsirisError);
    expect(error.diagnostics[0]).toMatchObject({
      code: 'AGT007',
      location: { file: join(dir, 'osiris.yaml'), line: 5, col: 13, path: 'llm.base_url' },
    });
    expect(error.diagnostics[0]?.message).toContain(problem);
    // From a flag, the flag is named.
    const flagged = (() => {
      try {
        resolveLlmSettings(loadProjectConfig({ cwd: dir, env: {} }), {}, { baseUrl: url });
      } catch (e) {
        return e;
      }
    })() as OsirisError;
    expect(flagged.diagnostics[0]?.location).toEqual({ path: '--base-url' });
  });

  it('accepts an ordinary local server URL', () => {
    const dir = projectWith('  provider: ollama\n  model: llama3.1\n');
    expect(resolveLlmSettings(loadProjectConfig({ cwd: dir, env: {} }), {}).baseUrl).toBe(
      'http://127.0.0.1:11434/v1',
    );
  });
});
