/** Connections: the list (secrets masked) and the doctor (can each one be reached?). */
import { z } from 'zod';
import { connectionArg } from './shapes.js';
import { defineTool } from './spec.js';

export const connectionsList = defineTool({
  name: 'connections_list',
  title: 'List connections',
  description:
    'List the configured connections: reference (@family.alias), family, default flag, a one-line summary ' +
    'and the descriptor with every secret masked. Environment variables are named, never resolved.',
  input: {},
  output: {
    file: z.string().nullable(),
    connections: z.array(
      z.object({
        reference: z.string(),
        family: z.string(),
        alias: z.string(),
        default: z.boolean(),
        summary: z.string(),
        config: z.record(z.string(), z.unknown()),
      }),
    ),
  },
  readOnly: true,
  async execute(ctx) {
    const { listConnections } = await import('../connections/list.js');
    const result = await listConnections({ cwd: ctx.project.root, env: ctx.env, registry: ctx.registry });
    return {
      file: result.file,
      connections: result.connections.map((c) => ({
        reference: c.reference,
        family: c.family,
        alias: c.alias,
        default: c.is_default,
        summary: c.summary,
        config: c.config,
      })),
    };
  },
});

export const connectionsDoctor = defineTool({
  name: 'connections_doctor',
  title: 'Test connections',
  description:
    'Connect to one connection (or every one) and report ok / auth_failed / unreachable / timeout with ' +
    'the latency and a message that never holds a secret.',
  input: {
    connection: connectionArg.optional().describe('test only this connection (default: all)'),
    timeout_ms: z.number().int().min(100).max(30_000).optional(),
  },
  output: {
    ok: z.boolean(),
    results: z.array(
      z.object({
        connection: z.string(),
        status: z.string(),
        latency_ms: z.number().nullable(),
        message: z.string(),
        server_version: z.string().nullable(),
      }),
    ),
    summary: z.object({ ok: z.number(), warnings: z.number(), failed: z.number(), skipped: z.number() }),
  },
  readOnly: true,
  async execute(ctx, args) {
    const { doctorConnections } = await import('../connections/doctor.js');
    const report = await doctorConnections({
      cwd: ctx.project.root,
      env: ctx.env,
      projectRoot: ctx.project.root,
      registry: ctx.registry,
      ...(ctx.connections ? { connections: ctx.connections } : {}),
      ...(args.connection ? { ref: args.connection } : {}),
      ...(args.timeout_ms ? { timeoutMs: args.timeout_ms } : {}),
    });
    return {
      ok: report.ok,
      results: report.results.map((r) => ({
        connection: r.connection,
        status: r.status,
        latency_ms: r.latencyMs,
        message: r.message,
        server_version: r.serverVersion,
      })),
      summary: report.summary,
    };
  },
});
