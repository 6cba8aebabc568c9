/**
 * The server half of the Connect protocol (connectrpc.com/docs/protocol) in its JSON format, as much of it as
 * the e2b SDK's envd client uses: unary calls (`application/json` bodies) and server-streaming calls
 * (`application/connect+json`, each message framed by a flags byte and a 4-byte big-endian length; the last
 * frame has flag 0x02 and carries the end-of-stream JSON, with an `error` on failure).
 * Self-contained (node built-ins only): the sandbox daemon runs it in a child process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Connect error codes the emulator answers with, and the HTTP status a unary error maps to. */
export const CONNECT_HTTP_STATUS = {
  invalid_argument: 400,
  unauthenticated: 401,
  not_found: 404,
  already_exists: 409,
  internal: 500,
  unimplemented: 501,
  unavailable: 503,
} as const;
export type ConnectCode = keyof typeof CONNECT_HTTP_STATUS;

export class ConnectFailure extends Error {
  constructor(
    readonly code: ConnectCode,
    message: string,
  ) {
    super(message);
  }
}

const END_STREAM = 0x02;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A unary request's JSON, or a streaming request's single enveloped message. */
export function decodeRequest(body: Buffer, streaming: boolean): Record<string, unknown> {
  const payload = streaming ? body.subarray(5, 5 + body.readUInt32BE(1)) : body;
  const text = payload.toString('utf8');
  return text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

export function frame(message: unknown, flags = 0): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

export function sendUnary(res: ServerResponse, message: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(message));
}

export function sendUnaryError(res: ServerResponse, failure: ConnectFailure): void {
  res.writeHead(CONNECT_HTTP_STATUS[failure.code], { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: failure.code, message: failure.message }));
}

/** Opens a server stream; messages are written as they come, `end` closes it (with an error or not). */
export function openStream(res: ServerResponse): {
  send(message: unknown): void;
  end(failure?: ConnectFailure): void;
} {
  res.writeHead(200, { 'content-type': 'application/connect+json' });
  res.flushHeaders();
  let open = true;
  return {
    send(message) {
      if (open) res.write(frame(message));
    },
    end(failure) {
      if (!open) return;
      open = false;
      const trailer = failure ? { error: { code: failure.code, message: failure.message } } : {};
      res.end(frame(trailer, END_STREAM));
    },
  };
}

/** The pid of a `ProcessSelector` in its JSON form (`{ pid }`; tags are not used by Osiris). */
export function selectedPid(request: Record<string, unknown>): number {
  const process = request.process as { pid?: unknown } | undefined;
  const pid = Number(process?.pid);
  if (!Number.isInteger(pid)) throw new ConnectFailure('invalid_argument', 'process selector needs a pid');
  return pid;
}
