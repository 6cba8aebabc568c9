/**
 * The Osiris MCP server: the shared tools (src/tools) published with their JSON Schemas, resources and
 * prompts, over the official SDK. Every call is size-checked, redacted and audited here, once, for every
 * transport; a failing tool answers with an MCP tool error carrying the CLI's code and hint.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../cli/version.js';
import type { ToolContext } from '../tools/context.js';
import { toolFailure } from '../tools/diagnostics.js';
import { TOOLS } from '../tools/index.js';
import type { ToolSpec } from '../tools/spec.js';
import { AuditLog } from './audit.js';
import { checkRequestSize, checkResponseSize } from './limits.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';

export const SERVER_NAME = 'osiris';

export interface ServerOptions {
  transport: 'stdio' | 'http';
}

const INSTRUCTIONS =
  'Osiris builds data pipelines (OML YAML) from databases and files. Read the resource ' +
  'osiris://guide/authoring first. Loop: connections_list → discovery_run → component_spec → oml_validate ' +
  '(fix the located errors) → compile → run (when the project allows) → aiop for the outcome.';

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

export interface CallCounter {
  calls: number;
}

export function createMcpServer(ctx: ToolContext, options: ServerOptions, counter?: CallCounter): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: VERSION }, { instructions: INSTRUCTIONS });
  const audit = new AuditLog(ctx.project, ctx.redactor);
  for (const tool of TOOLS) registerTool(server, ctx, tool, audit, options, counter);
  registerResources(server, ctx, audit, options);
  registerPrompts(server, ctx, audit, options);
  return server;
}

function registerTool(
  server: McpServer,
  ctx: ToolContext,
  tool: ToolSpec,
  audit: AuditLog,
  options: ServerOptions,
  counter: CallCounter | undefined,
): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input,
      outputSchema: tool.output,
      annotations: { readOnlyHint: tool.readOnly, destructiveHint: false, openWorldHint: false },
    },
    async (args: Record<string, unknown>): Promise<CallToolResult> => {
      if (counter) counter.calls++;
      const started = Date.now();
      const finish = (result: CallToolResult, code?: string): CallToolResult => {
        audit.record({
          kind: 'tool',
          name: tool.name,
          transport: options.transport,
          args,
          ok: !result.isError,
          ...(code ? { code } : {}),
          duration_ms: Date.now() - started,
          bytes_out: bytes(result),
        });
        return result;
      };
      try {
        checkRequestSize(bytes(args));
        const output = ctx.redactor.redactValue(await tool.execute(ctx, args as never));
        const text = JSON.stringify(output);
        checkResponseSize(Buffer.byteLength(text, 'utf8'), tool.name);
        return finish({
          content: [{ type: 'text', text }],
          structuredContent: output as Record<string, unknown>,
        });
      } catch (error) {
        const failure = toolFailure(error, ctx.redactor);
        const text = `${failure.message}${failure.hint ? `\nhint: ${failure.hint}` : ''}`;
        return finish(
          { isError: true, content: [{ type: 'text', text }], _meta: { osiris: failure } },
          failure.code,
        );
      }
    },
  );
}
