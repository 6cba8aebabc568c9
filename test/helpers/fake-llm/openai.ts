/** OpenAI chat-completions wire protocol: POST /v1/chat/completions. */
import type { FakeMessage, FakeRequest } from '../fake-llm.js';
import type { PlannedReply, ProtocolAdapter } from './server.js';

type Content = string | null | Array<{ type: string; text?: string }>;

interface Body {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: Array<{
    role: string;
    content?: Content;
    tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
    tool_call_id?: string;
  }>;
  tools?: Array<{ type: string; function?: { name: string; description?: string; parameters?: unknown } }>;
}

function textOf(content: Content | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

function parseArgs(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

function usage(reply: PlannedReply) {
  const { input, output } = reply.usage;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const finishReason = (reply: PlannedReply) => (reply.toolCalls.length > 0 ? 'tool_calls' : 'stop');

function envelope(reply: PlannedReply, object: string) {
  return {
    id: `chatcmpl-fake${reply.seq}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: reply.model,
    system_fingerprint: null,
  };
}

export const openai: ProtocolAdapter = {
  protocol: 'openai',
  path: '/v1/chat/completions',
  toolIdPrefix: 'call_',

  isAuthorized: (headers, apiKey) => headers.authorization === `Bearer ${apiKey}`,

  parse(raw) {
    const body = raw as Body;
    const system: string[] = [];
    const messages: FakeMessage[] = [];
    const toolNames = new Map<string, string>();
    for (const m of body.messages ?? []) {
      if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content));
      else if (m.role === 'user') messages.push({ role: 'user', text: textOf(m.content) });
      else if (m.role === 'assistant') {
        const toolCalls = (m.tool_calls ?? []).map((c) => ({
          id: c.id,
          name: c.function.name,
          args: parseArgs(c.function.arguments),
        }));
        for (const c of toolCalls) toolNames.set(c.id, c.name);
        messages.push({ role: 'assistant', text: textOf(m.content), toolCalls });
      } else if (m.role === 'tool') {
        const toolCallId = m.tool_call_id ?? '';
        messages.push({
          role: 'tool',
          toolCallId,
          toolName: toolNames.get(toolCallId),
          result: textOf(m.content),
        });
      }
    }
    const tools = (body.tools ?? []).flatMap((t) =>
      t.type === 'function' && t.function
        ? [{ name: t.function.name, description: t.function.description, parameters: t.function.parameters }]
        : [],
    );
    return {
      model: body.model ?? '',
      stream: body.stream === true,
      system: system.join('\n'),
      messages,
      tools,
    };
  },

  error(status, message) {
    const type = status === 401 || status === 400 ? 'invalid_request_error' : 'server_error';
    return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } };
  },

  json(reply) {
    const hasTools = reply.toolCalls.length > 0;
    return {
      ...envelope(reply, 'chat.completion'),
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: reply.text === '' && hasTools ? null : reply.text,
            refusal: null,
            ...(hasTools && {
              tool_calls: reply.toolCalls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.args) },
              })),
            }),
            annotations: [],
          },
          logprobs: null,
          finish_reason: finishReason(reply),
        },
      ],
      usage: usage(reply),
    };
  },

  events(reply, req: FakeRequest) {
    const includeUsage = (req.raw as Body).stream_options?.include_usage === true;
    const base = { ...envelope(reply, 'chat.completion.chunk'), ...(includeUsage && { usage: null }) };
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const hasTools = reply.toolCalls.length > 0;
    const frames = [
      chunk({ role: 'assistant', content: hasTools && reply.text === '' ? null : '', refusal: null }),
    ];
    for (const piece of reply.textChunks) frames.push(chunk({ content: piece }));
    reply.toolCalls.forEach((c, index) => {
      frames.push(
        chunk({
          tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }],
        }),
      );
      for (const piece of c.argChunks)
        frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
    frames.push(chunk({}, finishReason(reply)));
    if (includeUsage)
      frames.push(`data: ${JSON.stringify({ ...base, choices: [], usage: usage(reply) })}\n\n`);
    frames.push('data: [DONE]\n\n');
    return frames;
  },
};
