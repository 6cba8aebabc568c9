/**
 * A scripted fake LLM provider served over HTTP on 127.0.0.1. It speaks the real OpenAI
 * chat-completions and Anthropic messages wire protocols (JSON and SSE), so the real AI SDK
 * provider clients (`@ai-sdk/openai`, `@ai-sdk/anthropic`, `@ai-sdk/openai-compatible`) can be
 * pointed at `baseUrl` and exercised end to end without a network or an API key.
 *
 * Each request consumes the next scripted turn; an exhausted script answers HTTP 500 with
 * "fake LLM: script exhausted". Tool call ids are deterministic: one counter per server, prefixed
 * `call_` (OpenAI) or `toolu_` (Anthropic). 5xx responses carry `retry-after-ms: 0`, so the AI SDK's
 * automatic retries happen immediately instead of after seconds of backoff.
 */

export type FakeProtocol = 'openai' | 'anthropic';

/** One normalised view of an incoming request, whatever the protocol. */
export interface FakeRequest {
  protocol: FakeProtocol;
  model: string;
  stream: boolean;
  /** The system prompt text ('' if none); several system parts are joined with '\n'. */
  system: string;
  /** User/assistant/tool messages in order, normalised. */
  messages: FakeMessage[];
  tools: Array<{ name: string; description?: string; parameters: unknown }>;
  /** The parsed JSON body as received. */
  raw: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export type FakeMessage =
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolCalls: Array<{ id: string; name: string; args: unknown }> }
  /** `result` is the content text the client sent. */
  | { role: 'tool'; toolCallId: string; toolName?: string; result: string };

export interface FakeReply {
  /** Streamed in a few chunks when stream=true. */
  text?: string;
  toolCalls?: Array<{ name: string; args: Record<string, unknown> }>;
  /** Defaults to small numbers. */
  usage?: { input: number; output: number };
}

/** A scripted turn: a fixed reply, or a function of the request (so a reply can use tool results). */
export type FakeTurn = FakeReply | ((req: FakeRequest) => FakeReply | Promise<FakeReply>);

export interface FakeLlmServer {
  /** e.g. http://127.0.0.1:PORT/v1 — works as `baseURL` for createOpenAI and createAnthropic. */
  baseUrl: string;
  /** Every parsable request received on a known route, in order (including ones answered 401 or 500). */
  requests: FakeRequest[];
  /** Raw request bodies on known routes, unparsable ones included (tests grep them for a canary secret). */
  rawBodies: string[];
  /** Turns not yet consumed. */
  remaining(): number;
  push(...turns: FakeTurn[]): void;
  close(): Promise<void>;
}

export interface FakeLlmOptions {
  turns: FakeTurn[];
  /** When set, requests without it get 401 in the protocol's error shape. */
  apiKey?: string;
}

export { startFakeLlm } from './fake-llm/server.js';
