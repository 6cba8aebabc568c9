import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  FakeLlmOptions,
  FakeLlmServer,
  FakeProtocol,
  FakeReply,
  FakeRequest,
  FakeTurn,
} from '../fake-llm.js';
import { anthropic } from './anthropic.js';
import { openai } from './openai.js';

/** A reply ready to be rendered: ids assigned, text and tool arguments pre-split into stream pieces. */
export interface PlannedReply {
  /** Sequence number of this response on the server (for response ids). */
  seq: number;
  model: string;
  text: string;
  textChunks: string[];
  toolCalls: Array<{ id: string; name: string; args: Record<string, unknown>; argChunks: string[] }>;
  usage: { input: number; output: number };
}

export type ParsedRequest = Pick<FakeRequest, 'model' | 'stream' | 'system' | 'messages' | 'tools'>;

/** What a wire protocol has to provide; see openai.ts and anthropic.ts. */
export interface ProtocolAdapter {
  protocol: FakeProtocol;
  path: string;
  toolIdPrefix: string;
  isAuthorized(headers: IncomingHttpHeaders, apiKey: string): boolean;
  parse(body: unknown): ParsedRequest;
  /** The protocol's error body for an HTTP status. */
  error(status: number, message: string): unknown;
  json(reply: PlannedReply): unknown;
  /** Complete SSE frames (each ending in a blank line). */
  events(reply: PlannedReply, req: FakeRequest): string[];
}

const ADAPTERS: ProtocolAdapter[] = [openai, anthropic];
const DEFAULT_USAGE = { input: 12, output: 7 };

/** Splits `s` into at most `n` non-empty pieces of similar length (by code point). */
function pieces(s: string, n = 3): string[] {
  const chars = Array.from(s);
  const size = Math.max(1, Math.ceil(chars.length / n));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // retry-after-ms: 0 makes the AI SDK's retries on 5xx immediate, so a failing test fails fast.
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status >= 500) headers['retry-after-ms'] = '0';
  res.writeHead(status, headers).end(JSON.stringify(body));
}

export function startFakeLlm(options: FakeLlmOptions): Promise<FakeLlmServer> {
  const turns = [...options.turns];
  const requests: FakeRequest[] = [];
  const rawBodies: string[] = [];
  let seq = 0;
  let toolSeq = 0;

  function plan(reply: FakeReply, adapter: ProtocolAdapter, model: string): PlannedReply {
    const text = reply.text ?? '';
    return {
      seq: ++seq,
      model,
      text,
      textChunks: pieces(text),
      toolCalls: (reply.toolCalls ?? []).map((call) => ({
        id: `${adapter.toolIdPrefix}${++toolSeq}`,
        name: call.name,
        args: call.args,
        argChunks: pieces(JSON.stringify(call.args)),
      })),
      usage: reply.usage ?? DEFAULT_USAGE,
    };
  }

  async function handle(adapter: ProtocolAdapter, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    rawBodies.push(rawBody);
    let body: unknown;
    let parsed: ParsedRequest;
    try {
      body = JSON.parse(rawBody);
      parsed = adapter.parse(body);
    } catch (error) {
      return sendJson(res, 400, adapter.error(400, `fake LLM: unreadable request body: ${String(error)}`));
    }
    const request: FakeRequest = {
      protocol: adapter.protocol,
      ...parsed,
      raw: body,
      headers: { ...req.headers },
    };
    requests.push(request);

    if (options.apiKey !== undefined && !adapter.isAuthorized(req.headers, options.apiKey)) {
      // Never echo the key back: tests grep bodies and errors for secrets.
      return sendJson(res, 401, adapter.error(401, 'fake LLM: invalid API key'));
    }
    const turn = turns.shift();
    if (turn === undefined) {
      const message = `fake LLM: script exhausted (request #${requests.length} to ${adapter.path} has no turn left)`;
      return sendJson(res, 500, adapter.error(500, message));
    }
    let reply: FakeReply;
    try {
      reply = typeof turn === 'function' ? await turn(request) : turn;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return sendJson(res, 500, adapter.error(500, `fake LLM: scripted turn threw: ${message}`));
    }
    const planned = plan(reply, adapter, request.model);
    if (!request.stream) return sendJson(res, 200, adapter.json(planned));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const frame of adapter.events(planned, request)) res.write(frame);
    res.end();
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const adapter = ADAPTERS.find((a) => a.path === path);
    if (req.method !== 'POST' || adapter === undefined) {
      const message = `fake LLM: no route for ${req.method} ${req.url}`;
      // Both an OpenAI-shaped and an Anthropic-shaped error body.
      return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message } });
    }
    handle(adapter, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, adapter.error(500, `fake LLM: ${String(error)}`));
      else res.destroy();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        requests,
        rawBodies,
        remaining: () => turns.length,
        push: (...more: FakeTurn[]) => {
          turns.push(...more);
        },
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
