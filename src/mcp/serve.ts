/**
 * The two transports. stdio: one client, the process that started us; it ends when stdin closes.
 * Streamable HTTP: 127.0.0.1 only, every request must carry `Authorization: Bearer <OSIRIS_MCP_TOKEN>`,
 * bodies over the request limit are refused before parsing, Host headers other than loopback are refused
 * (DNS rebinding). Stateless: each request gets its own server instance over the shared tool context.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ToolContext } from '../tools/context.js';
import { MAX_REQUEST_BYTES } from './limits.js';
import { type CallCounter, createMcpServer } from './server.js';

export const TOKEN_VARIABLE = 'OSIRIS_MCP_TOKEN';
/** Shortest bearer token accepted: a guessable token on a local port is no protection. */
export const MIN_TOKEN_LENGTH = 16;
export const MCP_PATH = '/mcp';

/** The HTTP transport's token, or why it cannot start (exit 2). */
export function httpToken(env: NodeJS.ProcessEnv): string {
  const token = env[TOKEN_VARIABLE]?.trim() ?? '';
  if (token.length >= MIN_TOKEN_LENGTH) return token;
  throw OsirisError.of(
    token ? 'MCP002' : 'MCP001',
    token
      ? `${TOKEN_VARIABLE} is ${token.length} characters; the HTTP transport needs at least ${MIN_TOKEN_LENGTH}`
      : `--http needs a bearer token in ${TOKEN_VARIABLE}; the server did not start`,
    { path: TOKEN_VARIABLE },
    {
      hint: `export ${TOKEN_VARIABLE}=$(openssl rand -hex 32), and give clients the same value as 'Authorization: Bearer …'`,
    },
  );
}

/** Serves over stdin/stdout until the client closes stdin. */
export async function serveStdio(ctx: ToolContext, counter: CallCounter): Promise<void> {
  const server = createMcpServer(ctx, { transport: 'stdio' }, counter);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => undefined);
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(
    JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `${code} ${message}` }, id: null }),
  );
}

/** The body, or undefined when it exceeds the limit (the connection is answered 413 and closed). */
async function readBody(req: IncomingMessage, res: ServerResponse): Promise<unknown | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BYTES) {
    refuse(res, 413, 'MCP040', `request body over ${MAX_REQUEST_BYTES} bytes`, { connection: 'close' });
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) {
      refuse(res, 413, 'MCP040', `request body over ${MAX_REQUEST_BYTES} bytes`, { connection: 'close' });
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    refuse(res, 400, 'MCP042', 'the request body is not JSON');
    return undefined;
  }
}

export interface HttpServing {
  url: string;
  /** Settles when the server has stopped. */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function serveHttp(
  ctx: ToolContext,
  options: { port: number; token: string },
  counter: CallCounter,
): Promise<HttpServing> {
  const allowedHosts: string[] = [];
  const http = createServer(async (req, res) => {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!sameToken(given, options.token)) {
      refuse(res, 401, 'MCP003', 'missing or wrong bearer token', { 'www-authenticate': 'Bearer' });
      return;
    }
    if ((req.url ?? '').split('?')[0] !== MCP_PATH) {
      refuse(res, 404, 'MCP004', `the MCP endpoint is ${MCP_PATH}`);
      return;
    }
    const body = req.method === 'POST' ? await readBody(req, res) : null;
    if (body === undefined) return;
    const server = createMcpServer(ctx, { transport: 'http' }, counter);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      enableDnsRebindingProtection: true,
      allowedHosts,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) refuse(res, 500, 'OSR001', ctx.redactor.redactText(String(error)));
    }
  });
  // Bounded headers and idle connections: a local server, but still one that should not be held open.
  http.headersTimeout = 10_000;
  http.requestTimeout = 300_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  allowedHosts.push(`127.0.0.1:${port}`, `localhost:${port}`);
  const closed = new Promise<void>((resolve) => http.once('close', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}${MCP_PATH}`,
    closed,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
