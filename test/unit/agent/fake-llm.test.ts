import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, type LanguageModel, stepCountIs, streamText, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeLlmServer, type FakeRequest, type FakeTurn, startFakeLlm } from '../../helpers/fake-llm.js';

const KEY = 'sk-fake-test-key';
/** An explicit limit keeps the Anthropic client from warning about the unknown model id. */
const maxOutputTokens = 256;

const servers: FakeLlmServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(turns: FakeTurn[], { requireKey = true } = {}): Promise<FakeLlmServer> {
  const server = await startFakeLlm({ turns, apiKey: requireKey ? KEY : undefined });
  servers.push(server);
  return server;
}

async function drain(result: { textStream: AsyncIterable<string> }): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of result.textStream) chunks.push(chunk);
  return chunks;
}

/** The temperature tool plus a record of what its execute received. */
function weatherTool() {
  const calls: Array<{ city: string }> = [];
  const getWeather = tool({
    description: 'Current temperature of a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async (args) => {
      calls.push(args);
      return { city: args.city, celsius: 21 };
    },
  });
  return { calls, tools: { getWeather } };
}

/** Turn 2 of the tool round trip: answers with the tool result found in the request. */
function answerFromToolResult(req: FakeRequest) {
  const result = req.messages.find((m) => m.role === 'tool');
  return { text: `The tool said ${result?.role === 'tool' ? result.result : 'nothing'}` };
}

const providers: Array<{
  protocol: 'openai' | 'anthropic';
  model: (baseURL: string, apiKey?: string) => LanguageModel;
}> = [
  {
    protocol: 'openai',
    model: (baseURL, apiKey = KEY) => createOpenAI({ baseURL, apiKey }).chat('gpt-test'),
  },
  {
    protocol: 'anthropic',
    model: (baseURL, apiKey = KEY) => createAnthropic({ baseURL, apiKey })('claude-test'),
  },
];

describe.each(providers)('fake LLM speaking $protocol', ({ protocol, model }) => {
  it('answers plain text without streaming', async () => {
    const llm = await start([{ text: 'Hello from the fake.', usage: { input: 30, output: 4 } }]);
    const result = await generateText({
      maxOutputTokens,
      model: model(llm.baseUrl),
      system: 'Be brief.',
      prompt: 'Hi',
    });

    expect(result.text).toBe('Hello from the fake.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBe(30);
    expect(result.usage.outputTokens).toBe(4);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]).toMatchObject({
      protocol,
      stream: false,
      system: 'Be brief.',
      messages: [{ role: 'user', text: 'Hi' }],
      tools: [],
    });
    expect(llm.requests[0]?.model).toMatch(/-test$/);
    expect(llm.rawBodies[0]).toContain('Hi');
    expect(llm.remaining()).toBe(0);
  });

  it('streams plain text in several chunks', async () => {
    const llm = await start([{ text: 'Streaming works, chunk by chunk.' }]);
    const result = streamText({ maxOutputTokens, model: model(llm.baseUrl), prompt: 'Stream please' });

    const chunks = await drain(result);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe('Streaming works, chunk by chunk.');
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
    expect(llm.requests[0]).toMatchObject({ protocol, stream: true });
  });

  it.each([false, true])('runs a tool round trip (stream=%s)', async (stream) => {
    const llm = await start([
      { toolCalls: [{ name: 'getWeather', args: { city: 'Prague' } }] },
      answerFromToolResult,
    ]);
    const { calls, tools } = weatherTool();
    const options = {
      maxOutputTokens,
      model: model(llm.baseUrl),
      prompt: 'Weather in Prague?',
      tools,
      stopWhen: stepCountIs(5),
    };

    let text: string;
    let steps: number;
    if (stream) {
      const result = streamText(options);
      text = await result.text;
      steps = (await result.steps).length;
    } else {
      const result = await generateText(options);
      text = result.text;
      steps = result.steps.length;
    }

    expect(calls).toEqual([{ city: 'Prague' }]);
    expect(text).toBe('The tool said {"city":"Prague","celsius":21}');
    expect(steps).toBe(2);
    expect(llm.requests.map((r) => r.stream)).toEqual([stream, stream]);
    const toolId = protocol === 'openai' ? 'call_1' : 'toolu_1';
    expect(llm.requests[0]?.tools).toEqual([
      expect.objectContaining({ name: 'getWeather', description: 'Current temperature of a city' }),
    ]);
    expect(llm.requests[1]?.messages).toEqual([
      { role: 'user', text: 'Weather in Prague?' },
      {
        role: 'assistant',
        text: '',
        toolCalls: [{ id: toolId, name: 'getWeather', args: { city: 'Prague' } }],
      },
      { role: 'tool', toolCallId: toolId, toolName: 'getWeather', result: '{"city":"Prague","celsius":21}' },
    ]);
  });

  it('fails clearly when the script is exhausted', async () => {
    const llm = await start([{ text: 'only one turn' }]);
    await generateText({ maxOutputTokens, model: model(llm.baseUrl), prompt: 'first' });

    await expect(
      generateText({ maxOutputTokens, model: model(llm.baseUrl), prompt: 'second' }),
    ).rejects.toThrow(/fake LLM: script exhausted/);
    const streamErrors: unknown[] = [];
    const streamed = streamText({
      maxOutputTokens,
      model: model(llm.baseUrl),
      prompt: 'third',
      maxRetries: 0,
      onError: ({ error }) => {
        streamErrors.push(error);
      },
    });
    await expect(streamed.text).rejects.toThrow();
    expect(streamErrors).toEqual([expect.objectContaining({ statusCode: 500 })]);
    expect(String((streamErrors[0] as Error).message)).toMatch(/fake LLM: script exhausted/);
    expect(llm.remaining()).toBe(0);
  });

  it('rejects a wrong API key with a 401 the client surfaces', async () => {
    const llm = await start([{ text: 'never sent' }]);
    const error = await generateText({
      maxOutputTokens,
      model: model(llm.baseUrl, 'sk-wrong-key'),
      prompt: 'Hi',
    }).catch((e: unknown) => e);

    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(401);
    expect((error as APICallError).message).toContain('invalid API key');
    expect((error as APICallError).message).not.toContain('sk-wrong-key');
    expect(llm.remaining()).toBe(1);
  });
});

describe('fake LLM with an OpenAI-compatible local server client', () => {
  it('serves createOpenAICompatible (Ollama/vLLM style) with streaming and tools', async () => {
    const llm = await start(
      [{ toolCalls: [{ name: 'getWeather', args: { city: 'Brno' } }] }, answerFromToolResult],
      {
        requireKey: false,
      },
    );
    const local = createOpenAICompatible({ name: 'local', baseURL: llm.baseUrl });
    const { calls, tools } = weatherTool();

    const result = streamText({
      model: local('llama-test'),
      prompt: 'Weather in Brno?',
      tools,
      stopWhen: stepCountIs(5),
    });

    expect(await result.text).toBe('The tool said {"city":"Brno","celsius":21}');
    expect(calls).toEqual([{ city: 'Brno' }]);
    expect(llm.requests.map((r) => [r.protocol, r.model, r.stream])).toEqual([
      ['openai', 'llama-test', true],
      ['openai', 'llama-test', true],
    ]);
    expect(llm.requests[0]?.headers.authorization).toBeUndefined();
    expect(llm.requests[0]?.raw).not.toHaveProperty('stream_options');
    expect(llm.requests[1]?.messages.at(-1)).toMatchObject({
      role: 'tool',
      toolCallId: 'call_1',
      toolName: 'getWeather',
    });
  });
});
