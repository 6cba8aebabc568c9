/** Anthropic messages wire protocol: POST /v1/messages. */
import type { FakeMessage } from '../fake-llm.js';
import type { PlannedReply, ProtocolAdapter } from './server.js';

interface Block {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | Block[];
}

interface Body {
  model?: string;
  stream?: boolean;
  system?: string | Block[];
  messages?: Array<{ role: string; content: string | Block[] }>;
  tools?: Array<{ name: string; description?: string; input_schema?: unknown }>;
}

function textOf(content: string | Block[] | undefined, separator = ''): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join(separator);
}

const stopReason = (reply: PlannedReply) => (reply.toolCalls.length > 0 ? 'tool_use' : 'end_turn');

/** Content blocks in response order: the text (if any), then one tool_use per call. */
function blocks(reply: PlannedReply) {
  return [
    ...(reply.text === '' ? [] : [{ type: 'text', text: reply.text }]),
    ...reply.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.args })),
  ];
}

function event(type: string, data: object = {}): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export const anthropic: ProtocolAdapter = {
  protocol: 'anthropic',
  path: '/v1/messages',
  toolIdPrefix: 'toolu_',

  isAuthorized: (headers, apiKey) =>
    headers['x-api-key'] === apiKey || headers.authorization === `Bearer ${apiKey}`,

  parse(raw) {
    const body = raw as Body;
    const messages: FakeMessage[] = [];
    const toolNames = new Map<string, string>();
    for (const m of body.messages ?? []) {
      const content = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
      if (m.role === 'assistant') {
        const toolCalls = content
          .filter((b) => b.type === 'tool_use')
          .map((b) => ({ id: b.id ?? '', name: b.name ?? '', args: b.input }));
        for (const c of toolCalls) toolNames.set(c.id, c.name);
        messages.push({ role: 'assistant', text: textOf(content), toolCalls });
        continue;
      }
      // A user turn carries tool results (as tool_result blocks) and/or user text.
      const results = content.filter((b) => b.type === 'tool_result');
      for (const b of results) {
        const toolCallId = b.tool_use_id ?? '';
        messages.push({
          role: 'tool',
          toolCallId,
          toolName: toolNames.get(toolCallId),
          result: textOf(b.content),
        });
      }
      if (results.length === 0 || content.some((b) => b.type === 'text')) {
        messages.push({ role: 'user', text: textOf(content) });
      }
    }
    const tools = (body.tools ?? []).map((t) => ({
      name: t.name,
      description: t.description,
      parameters: t.input_schema,
    }));
    return {
      model: body.model ?? '',
      stream: body.stream === true,
      system: textOf(body.system, '\n'),
      messages,
      tools,
    };
  },

  error(status, message) {
    const type =
      status === 401 ? 'authentication_error' : status === 400 ? 'invalid_request_error' : 'api_error';
    return { type: 'error', error: { type, message } };
  },

  json(reply) {
    return {
      id: `msg_fake${reply.seq}`,
      type: 'message',
      role: 'assistant',
      model: reply.model,
      content: blocks(reply),
      stop_reason: stopReason(reply),
      stop_sequence: null,
      usage: {
        input_tokens: reply.usage.input,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: reply.usage.output,
      },
    };
  },

  events(reply) {
    // message_start carries the message envelope with no content yet; a ping follows it.
    const full = anthropic.json(reply) as { usage: object };
    const message = { ...full, content: [], stop_reason: null, usage: { ...full.usage, output_tokens: 1 } };
    const frames = [event('message_start', { message }), event('ping')];
    const block = (index: number, start: object, deltas: object[]) => [
      event('content_block_start', { index, content_block: start }),
      ...deltas.map((delta) => event('content_block_delta', { index, delta })),
      event('content_block_stop', { index }),
    ];
    let index = 0;
    if (reply.text !== '') {
      const deltas = reply.textChunks.map((text) => ({ type: 'text_delta', text }));
      frames.push(...block(index++, { type: 'text', text: '' }, deltas));
    }
    for (const c of reply.toolCalls) {
      // The real API opens every tool_use input with an empty partial_json.
      const deltas = ['', ...c.argChunks].map((json) => ({ type: 'input_json_delta', partial_json: json }));
      frames.push(...block(index++, { type: 'tool_use', id: c.id, name: c.name, input: {} }, deltas));
    }
    frames.push(
      event('message_delta', {
        delta: { stop_reason: stopReason(reply), stop_sequence: null },
        usage: { output_tokens: reply.usage.output },
      }),
      event('message_stop'),
    );
    return frames;
  },
};
