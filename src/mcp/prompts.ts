/** Prompts: start authoring a pipeline; explain a failed run (its AIOP run card attached). */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolContext } from '../tools/context.js';
import type { AuditLog } from './audit.js';
import { GUIDE_URI } from './resources.js';
import type { ServerOptions } from './server.js';

export function registerPrompts(
  server: McpServer,
  ctx: ToolContext,
  audit: AuditLog,
  options: ServerOptions,
): void {
  const recorded = <T>(name: string, args: unknown, body: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const done = (ok: boolean) =>
      audit.record({
        kind: 'prompt',
        name,
        transport: options.transport,
        args,
        ok,
        duration_ms: Date.now() - started,
        bytes_out: 0,
      });
    return body().then(
      (value) => {
        done(true);
        return value;
      },
      (error: unknown) => {
        done(false);
        throw error;
      },
    );
  };

  server.registerPrompt(
    'author_pipeline',
    {
      title: 'Author a pipeline',
      description: 'Build an Osiris pipeline for a goal: discover, write OML, validate, compile',
      argsSchema: {
        goal: z.string().min(1).max(4000).describe('what the pipeline should do'),
        connection: z.string().max(200).optional().describe('connection to start from, e.g. @mysql.movies'),
      },
    },
    async ({ goal, connection }) =>
      recorded('author_pipeline', { goal, connection }, async () => {
        const { authoringGuide } = await import('./resources.js');
        const start = connection
          ? `Start with discovery_run on ${connection}.`
          : 'Start with connections_list, then discovery_run on the connection that holds the data.';
        const text =
          `Build an Osiris pipeline for this goal:\n\n${goal}\n\n${start} Read component_spec for every ` +
          'component you use. Validate with oml_validate and fix exactly the errors it locates (line:col, ' +
          'code, hint) until it is valid; then compile and report the manifest_hash. Run only if the user ' +
          `asks and the project allows it. The guide (${GUIDE_URI}) follows.`;
        return {
          messages: [
            { role: 'user' as const, content: { type: 'text' as const, text } },
            {
              role: 'user' as const,
              content: {
                type: 'resource' as const,
                resource: { uri: GUIDE_URI, mimeType: 'text/markdown', text: authoringGuide() },
              },
            },
          ],
        };
      }),
  );

  server.registerPrompt(
    'explain_failed_run',
    {
      title: 'Explain a failed run',
      description: 'Explain why a run failed and how to fix it, from its AI Operation Package',
      argsSchema: { run_id: z.string().min(4).max(200).describe('run id, or a unique prefix') },
    },
    async ({ run_id }) =>
      recorded('explain_failed_run', { run_id }, async () => {
        const { aiopPackage, findRecord } = await import('../tools/runs.js');
        const record = await findRecord(ctx, run_id);
        const pkg = await aiopPackage(ctx, record);
        const text =
          `Run ${record.run_id} of pipeline ${record.pipeline_slug} ended ${record.status}. Using its AI ` +
          'Operation Package below, explain in plain words what failed (step, error code, evidence), the ' +
          'most likely cause, and the concrete fix (an OML change, a connection setting, or a command). ' +
          'Say what you are unsure of.';
        return {
          messages: [
            { role: 'user' as const, content: { type: 'text' as const, text } },
            {
              role: 'user' as const,
              content: {
                type: 'resource' as const,
                resource: {
                  uri: `osiris://runs/${record.run_id}/run-card`,
                  mimeType: 'text/markdown',
                  text: ctx.redactor.redactText(pkg.runCard),
                },
              },
            },
          ],
        };
      }),
  );
}
