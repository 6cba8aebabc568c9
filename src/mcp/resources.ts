/**
 * Resources: the OML schema, the authoring guide, one spec per component, the AIOP run cards of recent
 * runs and the discovery snapshots of the cache. Everything read passes the redactor and the size limit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ToolContext } from '../tools/context.js';
import type { AuditLog } from './audit.js';
import { checkResponseSize } from './limits.js';
import type { ServerOptions } from './server.js';

export const GUIDE_URI = 'osiris://guide/authoring';
export const OML_SCHEMA_URI = 'osiris://oml/schema.json';
/** Run cards listed as resources (the most recent runs). */
export const RECENT_RUNS = 20;

export const GUIDE_FILE = join(dirname(fileURLToPath(import.meta.url)), 'authoring-guide.md');

export function authoringGuide(): string {
  return readFileSync(GUIDE_FILE, 'utf8');
}

type Reader = (uri: URL, vars: Record<string, string | string[]>) => Promise<ReadResourceResult>;

export function registerResources(
  server: McpServer,
  ctx: ToolContext,
  audit: AuditLog,
  options: ServerOptions,
): void {
  /** Redaction, size limit and audit around every read. */
  const guarded =
    (read: (uri: URL, vars: Record<string, string>) => Promise<{ text: string; mimeType: string }>): Reader =>
    async (uri, vars) => {
      const started = Date.now();
      const flat = Object.fromEntries(
        Object.entries(vars).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
      );
      try {
        const { text, mimeType } = await read(uri, flat);
        const safe = ctx.redactor.redactText(text);
        checkResponseSize(Buffer.byteLength(safe, 'utf8'), uri.href);
        audit.record({
          kind: 'resource',
          name: uri.href,
          transport: options.transport,
          ok: true,
          duration_ms: Date.now() - started,
          bytes_out: safe.length,
        });
        return { contents: [{ uri: uri.href, mimeType, text: safe }] };
      } catch (error) {
        const code = error instanceof OsirisError ? error.diagnostics[0]?.code : undefined;
        audit.record({
          kind: 'resource',
          name: uri.href,
          transport: options.transport,
          ok: false,
          ...(code ? { code } : {}),
          duration_ms: Date.now() - started,
          bytes_out: 0,
        });
        throw error;
      }
    };
  const json = (value: unknown) => ({
    text: `${JSON.stringify(value, null, 2)}\n`,
    mimeType: 'application/json',
  });

  server.registerResource(
    'oml-schema',
    OML_SCHEMA_URI,
    {
      title: 'OML JSON Schema',
      description: 'JSON Schema of an OML v0.1.0 pipeline',
      mimeType: 'application/json',
    },
    (uri) =>
      guarded(async () => {
        const { omlJsonSchema } = await import('../oml/json-schema.js');
        return json(omlJsonSchema(ctx.registry));
      })(uri, {}),
  );

  server.registerResource(
    'authoring-guide',
    GUIDE_URI,
    {
      title: 'Authoring guide',
      description: 'How to write, check and run Osiris pipelines',
      mimeType: 'text/markdown',
    },
    (uri) => guarded(async () => ({ text: authoringGuide(), mimeType: 'text/markdown' }))(uri, {}),
  );

  server.registerResource(
    'component-spec',
    new ResourceTemplate('osiris://components/{name}', {
      list: async () => ({
        resources: ctx.registry
          .list()
          .filter((c) => c.driverPath !== undefined)
          .map((c) => ({
            uri: `osiris://components/${c.spec.name}`,
            name: c.spec.name,
            mimeType: 'application/json',
          })),
      }),
    }),
    {
      title: 'Component spec',
      description: "A component's spec: config schema, examples, hints",
      mimeType: 'application/json',
    },
    guarded(async (_uri, vars) => {
      const { findComponent } = await import('../tools/components.js');
      return json((await findComponent(ctx, vars.name ?? '')).spec);
    }),
  );

  server.registerResource(
    'run-card',
    new ResourceTemplate('osiris://runs/{run_id}/run-card', {
      list: async () => {
        const { listRuns } = await import('../observability/run-index.js');
        return {
          resources: listRuns(ctx.project, { limit: RECENT_RUNS }).map((r) => ({
            uri: `osiris://runs/${r.run_id}/run-card`,
            name: `${r.pipeline_slug} ${r.run_id} (${r.status})`,
            mimeType: 'text/markdown',
          })),
        };
      },
    }),
    {
      title: 'AIOP run card',
      description: 'The Markdown run card of a run (AI Operation Package)',
      mimeType: 'text/markdown',
    },
    guarded(async (_uri, vars) => {
      const { aiopPackage, findRecord } = await import('../tools/runs.js');
      const pkg = await aiopPackage(ctx, await findRecord(ctx, vars.run_id ?? ''));
      return { text: pkg.runCard, mimeType: 'text/markdown' };
    }),
  );

  server.registerResource(
    'discovery-snapshot',
    new ResourceTemplate('osiris://discovery/{connection}', {
      list: async () => ({
        resources: discoverySnapshots(ctx).map((s) => ({
          uri: `osiris://discovery/${s.connection}`,
          name: `discovery of ${s.connection}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: 'Discovery snapshot',
      description: 'The cached discovery of a connection: tables, columns, samples',
      mimeType: 'application/json',
    },
    guarded(async (_uri, vars) => {
      const wanted = decodeURIComponent(vars.connection ?? '');
      const found = discoverySnapshots(ctx).find((s) => s.connection === wanted);
      if (!found) {
        throw OsirisError.of(
          'MCP050',
          `no discovery snapshot of ${wanted}`,
          {},
          { hint: 'call discovery_run with the connection first' },
        );
      }
      return json(found);
    }),
  );
}

interface Snapshot {
  connection: string;
  created_at: string;
  tables: unknown[];
  details: unknown[];
  samples: unknown[];
}

/** The discovery cache entries of the project, one per connection (the newest when several). */
export function discoverySnapshots(ctx: ToolContext): Snapshot[] {
  const dir = join(ctx.project.paths.cache, 'discovery');
  if (!existsSync(dir)) return [];
  const byConnection = new Map<string, Snapshot>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    try {
      const entry = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const connection = `@${entry.identity.family}.${entry.identity.alias}`;
      const snapshot = {
        connection,
        created_at: entry.createdAt,
        tables: entry.tables,
        details: entry.details,
        samples: entry.samples,
      };
      const known = byConnection.get(connection);
      if (!known || known.created_at < snapshot.created_at) byConnection.set(connection, snapshot);
    } catch {
      // a torn or foreign file is not a snapshot
    }
  }
  return [...byConnection.values()].sort((a, b) => a.connection.localeCompare(b.connection));
}
