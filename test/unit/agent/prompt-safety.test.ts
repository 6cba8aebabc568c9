/**
 * What the model is sent, checked with the AI SDK's own test model: the system prompt (connections as
 * references only, components, FAST/SQL instructions, pro-mode prompts) and redaction of secrets the user
 * pastes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { simulateReadableStream } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterEach, describe, expect, it } from 'vitest';
import { openChat } from '../../../src/agent/open.js';
import { exportPrompts } from '../../../src/agent/prompts.js';

const SECRET = 'pw-canary-7f3a9c';
const dirs: string[] = [];
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function replying(text: string): MockLanguageModelV3 {
  const chunks: LanguageModelV3StreamPart[] = [
    { type: 'text-start', id: 't' },
    { type: 'text-delta', id: 't', delta: text },
    { type: 'text-end', id: 't' },
    {
      type: 'finish',
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: {
        inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 1, text: 1, reasoning: 0 },
      },
    },
  ];
  return new MockLanguageModelV3({ doStream: async () => ({ stream: simulateReadableStream({ chunks }) }) });
}

function projectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'osiris-prompt-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'osiris.yaml'), 'llm:\n  provider: openai\n');
  writeFileSync(
    join(dir, 'osiris_connections.yaml'),
    `version: "1.0"\nconnections:\n  mysql:\n    movies:\n      host: db.internal\n      database: movies\n      user: etl\n      password: \${MOVIES_PASSWORD}\n      default: true\n`,
  );
  return dir;
}

async function turn(dir: string, message: string, extra: { proMode?: boolean } = {}) {
  const model = replying('ok');
  const { agent, store } = await openChat({
    cwd: dir,
    env: { OPENAI_API_KEY: 'sk-test-123456789', MOVIES_PASSWORD: SECRET },
    model,
    ...(extra.proMode ? { proMode: true } : {}),
    progress: () => ({}) as never,
  });
  closers.push(() => store.close());
  await agent.send(message);
  const call = model.doStreamCalls[0] as LanguageModelV3CallOptions;
  const system = call.prompt.find((m) => m.role === 'system');
  return { call, system: system?.role === 'system' ? system.content : '', store };
}

describe('what the model receives', () => {
  it('connections as references, components, tools — never a secret', async () => {
    const dir = projectDir();
    const { call, system, store } = await turn(dir, `my password is ${SECRET}, export movies to CSV`);
    expect(system).toContain('@mysql.movies (default)');
    expect(system).toContain('mysql.extractor');
    expect(system).toContain('Never ask for or write a password');
    expect(system).not.toContain('db.internal');
    const sent = JSON.stringify(call.prompt);
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('my password is ***');
    expect(JSON.stringify(store.messages())).not.toContain(SECRET);
    expect(call.tools?.map((t) => t.name).sort()).toEqual([
      'discover_schema',
      'get_component_spec',
      'list_components',
      'list_connections',
      'propose_pipeline',
      'run_pipeline',
      'run_query',
      'validate_pipeline',
    ]);
  });

  it('FAST: and SQL: add their instruction for that message only', async () => {
    const dir = projectDir();
    expect((await turn(dir, 'FAST: movies to csv')).system).toContain('FAST mode');
    const sql = await turn(dir, 'SQL: SELECT title FROM movies');
    expect(sql.system).toContain('SQL mode');
    expect(sql.system).not.toContain('FAST mode');
  });

  it('pro mode reads the exported prompt files back', async () => {
    const dir = projectDir();
    exportPrompts(join(dir, '.osiris_prompts'), false);
    writeFileSync(
      join(dir, '.osiris_prompts/system.md'),
      `TEAM PROMPT MARKER\nConnections:\n{{connections}}\nThe movies password is ${SECRET}; api key sk-proj-Abc123Def456Ghi789Jkl\n`,
    );
    const { system } = await turn(dir, 'hello', { proMode: true });
    expect(system).toContain('TEAM PROMPT MARKER');
    expect(system).toContain('@mysql.movies (default)');
    // A secret written into a prompt file is masked like one typed in a message.
    expect(system).toContain('The movies password is ***; api key ***');
    expect(system).not.toContain(SECRET);
  });
});
