// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * MCP test helpers: a project on the movies database in MariaDB, the server started the way clients start
 * it (`osiris mcp serve`, stdio or Streamable HTTP), the SDK's own client, and a check of every structured
 * result against the schema the tool declares.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { newAjv } from '../../../src/util/ajv.js';
import { OSIRIS_BIN, tempDir } from '../../helpers/cli.js';
import { MYSQL } from '../../helpers/databases.js';

export const CANARY = `osiris-mcp-canary-${randomBytes(8).toString('hex')}`;
export const TOKEN = randomBytes(24).toString('hex');

export function projectEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/API_KEY|LLM/.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', CANARY_SECRET: CANARY, MYSQL_PASSWORD: '' };
}

/** A project on `database`: @mysql.movies (default), and two connections whose password is the canary. */
export function moviesProject(database: string, options: { allowRun: boolean }): string {
  const dir = tempDir('osiris-mcp-');
  writeFileSync(join(dir, 'osiris.yaml'), `version: "2.0"\nmcp:\n  allow_run: ${options.allowRun}\n`);
  writeFileSync(
    join(dir, 'osiris_connections.yaml'),
    [
      'version: "1.0"',
      'connections:',
      '  mysql:',
      '    movies:',
      `      host: ${MYSQL.host}`,
      `      port: ${MYSQL.port}`,
      `      database: ${database}`,
      `      user: ${MYSQL.user}`,
      '      password: ${MYSQL_PASSWORD:-}',
      '      default: true',
      '    canary:',
      `      host: ${MYSQL.host}`,
      `      port: ${MYSQL.port}`,
      `      database: ${database}`,
      '      user: osiris_mcp_nobody',
      '      password: ${CANARY_SECRET}',
      '  postgres:',
      '    canary:',
      '      host: 127.0.0.1',
      '      database: test',
      '      user: postgres',
      '      password: ${CANARY_SECRET}',
      '',
    ].join('\n'),
  );
  return dir;
}

export async function stdioClient(dir: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [OSIRIS_BIN, 'mcp', 'serve', '--project', dir],
    cwd: dir,
    env: projectEnv(),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'osiris-test', version: '1' });
  await client.connect(transport);
  return client;
}

export interface HttpServer {
  url: string;
  child: ChildProcess;
  /** SIGTERM; resolves with the exit code (or the signal, when it killed the process). */
  stop(): Promise<number | string | null>;
}

/** `osiris mcp serve --http 0`; resolves once it says where it listens. */
export async function startHttpServer(dir: string): Promise<HttpServer> {
  const child = spawn(process.execPath, [OSIRIS_BIN, 'mcp', 'serve', '--http', '0', '--project', dir], {
    cwd: dir,
    env: { ...projectEnv(), OSIRIS_MCP_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(err);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', () => reject(new Error(`server exited: ${err}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function httpClient(url: string, token = TOKEN): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'osiris-test', version: '1' });
  await client.connect(transport);
  return client;
}

/** Calls a tool; a successful result's structured content is checked against the declared schema. */
export class Session {
  readonly texts: string[] = [];
  private validators = new Map<string, ReturnType<ReturnType<typeof newAjv>['compile']>>();

  constructor(
    readonly client: Client,
    tools: Tool[],
  ) {
    const ajv = newAjv({ allErrors: true, strict: false });
    // The SDK declares draft-07; these schemas mean the same under the 2020-12 validator the project uses.
    for (const t of tools) {
      if (!t.outputSchema) continue;
      const { $schema: _draft, ...schema } = t.outputSchema as Record<string, unknown>;
      this.validators.set(t.name, ajv.compile(schema));
    }
  }

  static async open(client: Client): Promise<Session> {
    return new Session(client, (await client.listTools()).tools);
  }

  async raw(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = (await this.client.callTool({ name, arguments: args })) as CallToolResult;
    this.texts.push(JSON.stringify(result));
    return result;
  }

  async ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    const result = await this.raw(name, args);
    expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
    const validate = this.validators.get(name);
    expect(validate, `${name} declares an output schema`).toBeDefined();
    expect(validate?.(result.structuredContent), `${name}: ${JSON.stringify(validate?.errors)}`).toBe(true);
    return result.structuredContent as T;
  }

  /** A tool error: its text starts with the code. */
  async fails(name: string, args: Record<string, unknown>, code: string): Promise<string> {
    const result = await this.raw(name, args);
    expect(result.isError, `${name} should fail`).toBe(true);
    const text = (result.content as Array<{ text: string }>).map((c) => c.text).join('\n');
    expect(text).toContain(code);
    return text;
  }
}

/** An OML pipeline over @mysql.movies: extract, top 5 by rating, CSV. */
export function topMovies(column = 'title'): string {
  return `oml_version: "0.1.0"
name: mcp-top-movies
steps:
  - id: movies
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.movies"
      query: SELECT movie_id, ${column}, rating FROM movies
  - id: top
    component: duckdb.processor
    mode: transform
    config:
      query: SELECT ${column}, rating FROM movies ORDER BY rating DESC LIMIT 5
  - id: write
    component: filesystem.csv_writer
    mode: write
    config:
      path: output/top.csv
`;
}
