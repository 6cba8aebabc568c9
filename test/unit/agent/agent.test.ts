/**
 * The agent end to end over files (no database): the real OpenAI client against the scripted fake provider,
 * the real validator, bind check, compiler and runner. Database scenarios live in test/e2e/chat-*.test.ts.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../src/agent/agent.js';
import { openChat } from '../../../src/agent/open.js';
import { SessionStore } from '../../../src/agent/store.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { createProgressReporter } from '../../../src/observability/progress.js';
import { type FakeRequest, startFakeLlm } from '../../helpers/fake-llm.js';

const KEY = 'sk-agent-test-key-123456';
const MOVIES = join(import.meta.dirname, '../../../examples/movies/data/movies.csv');

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function project(turns: Parameters<typeof startFakeLlm>[0]['turns']) {
  const server = await startFakeLlm({ turns, apiKey: KEY });
  cleanup.push(() => server.close());
  const dir = mkdtempSync(join(tmpdir(), 'osiris-agent-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'data'));
  copyFileSync(MOVIES, join(dir, 'data/movies.csv'));
  writeFileSync(
    join(dir, 'osiris.yaml'),
    `version: "2.0"\nllm:\n  provider: openai\n  model: gpt-test\n  base_url: ${server.baseUrl}\n  max_repair_attempts: 2\n`,
  );
  return { server, dir };
}

async function open(
  dir: string,
  extra: { session?: string; events?: AgentEvent[]; env?: NodeJS.ProcessEnv } = {},
) {
  const setup = await openChat({
    cwd: dir,
    env: extra.env ?? { OPENAI_API_KEY: KEY },
    ...(extra.session ? { session: extra.session } : {}),
    onEvent: (e) => extra.events?.push(e),
    progress: () =>
      createProgressReporter({
        tty: false,
        json: true,
        stream: new Writable({ write: (_c, _e, cb) => cb() }),
      }),
  });
  cleanup.push(() => setup.store.close());
  return setup;
}

const omlFor = (component: string, column: string) => `oml_version: "0.1.0"
name: high-rated-movies
steps:
  - id: read-movies
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/movies.csv
  - id: filter
    component: duckdb.processor
    mode: transform
    needs: [read-movies]
    config:
      query: "SELECT title, ${column} FROM input_df WHERE rating > 8.0 ORDER BY title"
  - id: write
    component: ${component}
    mode: write
    needs: [filter]
    config:
      path: output/high_rated.csv
`;

/** The last tool result the model was sent, parsed. */
function lastToolResult(req: FakeRequest): Record<string, unknown> {
  const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
  return tool?.role === 'tool' ? (JSON.parse(tool.result) as Record<string, unknown>) : {};
}

describe('chat agent over files', () => {
  it('repairs from diagnostics, waits for approval of the exact hash, then runs', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const { server, dir } = await project([
      { toolCalls: [{ name: 'propose_pipeline', args: { oml: omlFor('filesystem.csv_writr', 'rating') } }] },
      (req) => {
        seen.push(lastToolResult(req));
        return {
          toolCalls: [{ name: 'propose_pipeline', args: { oml: omlFor('filesystem.csv_writer', 'rating') } }],
        };
      },
      (req) => {
        seen.push(lastToolResult(req));
        return {
          text: 'This pipeline keeps the movies rated above 8.0 and writes them to output/high_rated.csv.',
        };
      },
    ]);
    const events: AgentEvent[] = [];
    const { agent, store } = await open(dir, { events });
    const turn = await agent.send('Export movies rated above 8.0 to CSV');

    // The first draft's error went back to the model, with where and how to fix it.
    const first = seen[0] as { ok: boolean; errors: Array<Record<string, unknown>> };
    expect(first.ok).toBe(false);
    expect(first.errors).toContainEqual(
      expect.objectContaining({
        code: 'OML013',
        line: 16,
        hint: expect.stringContaining('filesystem.csv_writer'),
      }),
    );
    expect(seen[1]).toMatchObject({ ok: true, pipeline: 'high-rated-movies' });
    expect(turn.state).toBe('AWAIT_APPROVAL');
    expect(turn.reply).toContain('rated above 8.0');
    expect(turn.proposal?.manifestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(dir, 'output/high_rated.csv'))).toBe(false);
    expect(server.remaining()).toBe(0);
    expect(store.transitions().map((t) => t.to)).toEqual([
      'INTENT_CAPTURED',
      'OML_SYNTHESIS',
      'VALIDATE_OML',
      'REPAIR',
      'OML_SYNTHESIS',
      'VALIDATE_OML',
      'COMPILE',
      'AWAIT_APPROVAL',
    ]);

    // Approving another hash is refused; approving the one shown runs it (no model call needed).
    await expect(agent.send('approve deadbeef')).rejects.toThrow(/not the pipeline shown/);
    const approved = await agent.send('approve');
    expect(approved.state).toBe('DONE');
    expect(approved.run).toMatchObject({ status: 'succeeded' });
    const csv = readFileSync(join(dir, 'output/high_rated.csv'), 'utf8').trim().split('\n');
    const expected = readFileSync(MOVIES, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .filter((f) => Number(f[8]) > 8.0);
    expect(csv[0]).toBe('title,rating');
    expect(csv.length - 1).toBe(expected.length);
    expect(existsSync(join(dir, 'pipelines/high-rated-movies.yaml'))).toBe(true);
    expect(events.some((e) => e.type === 'run-end')).toBe(true);
  });

  it('rejecting runs nothing, and the run tool refuses an unapproved manifest', async () => {
    const { dir } = await project([
      { toolCalls: [{ name: 'propose_pipeline', args: { oml: omlFor('filesystem.csv_writer', 'rating') } }] },
      (req) => {
        const hash = String(lastToolResult(req).manifest_hash);
        return { toolCalls: [{ name: 'run_pipeline', args: { manifest_hash: hash } }] };
      },
    ]);
    const { agent, store } = await open(dir);
    const turn = await agent.send('Export movies rated above 8.0 to CSV');
    // The model tried to run its own proposal: refused, nothing written.
    const refusal = store
      .messages()
      .filter((m) => m.role === 'tool')
      .map((m) => JSON.stringify(m.content))
      .join('\n');
    expect(refusal).toContain('has not been approved by the user');
    expect(turn.state).toBe('AWAIT_APPROVAL');
    const rejected = await agent.send('reject');
    expect(rejected.state).toBe('INTENT_CAPTURED');
    expect(rejected.proposal).toBeNull();
    expect(existsSync(join(dir, 'output/high_rated.csv'))).toBe(false);
    await expect(agent.send('approve')).rejects.toThrow(/no pipeline waiting for approval/);
  });

  it('approve and reject need no key; the approved run leaves its HTML report', async () => {
    const propose = {
      toolCalls: [{ name: 'propose_pipeline', args: { oml: omlFor('filesystem.csv_writer', 'rating') } }],
    };
    const { server, dir } = await project([
      { ...propose, text: 'Let me draft it first.' },
      { text: 'This pipeline keeps the movies rated above 8.0.' },
      propose,
      { text: 'Proposed again.' },
    ]);
    const events: AgentEvent[] = [];
    const first = await open(dir, { events });
    const id = first.store.id;
    const turn = await first.agent.send('Export movies rated above 8.0 to CSV');
    // The texts of two model steps are two paragraphs, as streamed and as the reply.
    expect(turn.reply).toBe('Let me draft it first.\n\nThis pipeline keeps the movies rated above 8.0.');
    const streamed = events.flatMap((e) => (e.type === 'text' ? [e.delta] : [])).join('');
    expect(streamed).toBe(turn.reply);
    first.store.close();

    // A later process without any LLM key can decide: reject, then (after a new proposal) approve.
    const keyless = await open(dir, { session: id, env: {} });
    expect((await keyless.agent.send('reject')).state).toBe('INTENT_CAPTURED');
    // Talking to the model still needs the key, and a refused message records nothing.
    const messages = keyless.store.messages().length;
    await expect(keyless.agent.send('try again')).rejects.toThrow(/OPENAI_API_KEY/);
    expect(keyless.store.messages()).toHaveLength(messages);
    keyless.store.close();
    const keyed = await open(dir, { session: id });
    expect((await keyed.agent.send('try again')).state).toBe('AWAIT_APPROVAL');
    keyed.store.close();
    const requests = server.requests.length;
    const approver = await open(dir, { session: id, env: {} });
    const approved = await approver.agent.send('approve');
    expect(approved.run).toMatchObject({ status: 'succeeded' });
    expect(server.requests).toHaveLength(requests);

    // The report `osiris logs html` would write, already there.
    const report = String(approved.run?.report);
    expect(report).toBe(join(String(approved.run?.run_dir), 'report.html'));
    const html = readFileSync(join(dir, report), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(String(approved.run?.run_id));
  });

  it('bind-checks SQL over a CSV step against the file header', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const { dir } = await project([
      { toolCalls: [{ name: 'validate_pipeline', args: { oml: omlFor('filesystem.csv_writer', 'ratng') } }] },
      (req) => {
        seen.push(lastToolResult(req));
        return { text: 'I will fix the column.' };
      },
    ]);
    const { agent } = await open(dir);
    await agent.send('Export movies rated above 8.0 to CSV');
    const result = seen[0] as { ok: boolean; errors: Array<Record<string, unknown>> };
    expect(result.ok).toBe(false);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ code: 'SQL002', step: 'filter', hint: expect.stringContaining("'rating'") }),
    );
  });

  it('stops after the repair budget and hands the errors to the human', async () => {
    const bad = {
      toolCalls: [{ name: 'propose_pipeline', args: { oml: omlFor('filesystem.csv_writr', 'rating') } }],
    };
    const { server, dir } = await project([bad, bad, bad]);
    const { agent } = await open(dir);
    const turn = await agent.send('Export movies rated above 8.0 to CSV');
    expect(turn.state).toBe('REPAIR');
    expect(turn.reply).toMatch(/Automatic repair stopped after 2 attempts/);
    expect(server.remaining()).toBe(0);
  });

  it('resumes a session from its SQLite store with the conversation and state', async () => {
    const { server, dir } = await project([
      { text: 'Which columns do you want?' },
      (req) => ({
        text: `You said: ${req.messages.filter((m) => m.role === 'user').length} messages so far`,
      }),
    ]);
    const first = await open(dir);
    const id = first.store.id;
    await first.agent.send('Export movies to CSV');
    first.store.close();
    const again = await open(dir, { session: id });
    expect(again.created).toBe(false);
    const turn = await again.agent.send('title and rating');
    expect(turn.reply).toBe('You said: 2 messages so far');
    expect(server.requests[1]?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(again.store.summary()).toMatchObject({ id, title: 'Export movies to CSV', messages: 4 });
  });

  it('says exactly which variable to set when no provider is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osiris-agent-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const error = await openChat({ cwd: dir, env: {}, progress: () => ({}) as never }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OsirisError);
    expect(String((error as OsirisError).diagnostics[0]?.hint)).toContain('OPENAI_API_KEY');
    expect(existsSync(join(dir, '.osiris/sessions'))).toBe(false);
    expect(() => SessionStore.resume(join(dir, '.osiris/sessions'), 'nope')).toThrow(
      /no chat session 'nope'/,
    );
  });
});
