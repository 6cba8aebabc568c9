/**
 * `osiris mcp selftest`: starts `osiris mcp serve` as a child over stdio, talks to it with the SDK's own
 * client — initialize, list tools, resources and prompts, call a harmless tool — and reports what it saw.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import { serverCommand } from './clients.js';

export interface SelftestReport {
  server: { name: string; version: string };
  tools: string[];
  resources: number;
  resource_templates: number;
  prompts: string[];
  call: { tool: string; ok: boolean; duration_ms: number };
  duration_ms: number;
}

export const SELFTEST_FAILED = 'MCP060';
export const SELFTEST_TOOL = 'oml_schema';

export async function selftest(projectRoot: string, env: NodeJS.ProcessEnv): Promise<SelftestReport> {
  const started = Date.now();
  const { command, args } = serverCommand(projectRoot);
  const transport = new StdioClientTransport({
    command,
    args,
    cwd: projectRoot,
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const client = new Client({ name: 'osiris-selftest', version: '1' });
  try {
    await client.connect(transport);
    const info = client.getServerVersion();
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const resources = (await client.listResources()).resources.length;
    const templates = (await client.listResourceTemplates()).resourceTemplates.length;
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    const callStarted = Date.now();
    const result = await client.callTool({ name: SELFTEST_TOOL, arguments: {} });
    const call = { tool: SELFTEST_TOOL, ok: !result.isError, duration_ms: Date.now() - callStarted };
    if (!call.ok)
      throw new Error(`${SELFTEST_TOOL} answered with an error: ${JSON.stringify(result.content)}`);
    return {
      server: { name: info?.name ?? '?', version: info?.version ?? '?' },
      tools,
      resources,
      resource_templates: templates,
      prompts,
      call,
      duration_ms: Date.now() - started,
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    throw OsirisError.of(
      SELFTEST_FAILED,
      `the MCP server failed its self-test: ${why}${tail ? ` (server said: ${tail})` : ''}`,
      {},
      {
        hint: 'run `osiris mcp serve` in the project to see its error; `osiris validate` checks the project setup',
        exitCode: 1,
      },
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}
