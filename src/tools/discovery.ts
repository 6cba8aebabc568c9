/**
 * Discovery and read-only queries. Discovery is progressive — first the tables, then the ones asked for
 * in detail — and cached (src/discovery/cache.ts), so the SQL check of validate and compile binds against
 * what was discovered here. Queries go through the SQL guard and return at most `limit` rows.
 */
import { z } from 'zod';
import type { DiscoveryResult } from '../discovery/discover.js';
import type { ToolContext } from './context.js';
import { connectionArg, jsonRow } from './shapes.js';
import { defineTool } from './spec.js';

/** Sample rows per table a tool may ask for: small on purpose. */
export const MAX_TOOL_SAMPLES = 20;
/** Databases with at most this many tables are described whole on the first discovery. */
export const AUTO_DESCRIBE_TABLES = 20;
/** Rows a query tool returns at most. */
export const MAX_QUERY_ROWS = 50;

export interface DiscoverArgs {
  connection: string;
  tables?: string[] | undefined;
  samples?: number | undefined;
  refresh?: boolean | undefined;
}

/** Lists the tables; describes the ones named — or all of them when the database is small. */
export async function discoverProgressive(ctx: ToolContext, args: DiscoverArgs): Promise<DiscoveryResult> {
  const { discover } = await import('../discovery/discover.js');
  const base = {
    ref: args.connection,
    project: ctx.project,
    env: ctx.env,
    registry: ctx.registry,
    cwd: ctx.cwd,
    ...(ctx.connections ? { connections: ctx.connections } : {}),
    ...(args.refresh ? { refresh: true } : {}),
  };
  const { tables, samples } = args;
  let result = await discover(tables?.length ? { ...base, tables, samples: samples ?? 5 } : base);
  // A small database is described whole at once: every table the SQL may use can then be bind-checked.
  if (!tables?.length && result.tables.length <= AUTO_DESCRIBE_TABLES) {
    result = await discover({ ...base, refresh: false, samples: samples ?? 3 });
  }
  return result;
}

export const discoveryTables = z.array(
  z.object({
    schema: z.string().nullable(),
    name: z.string(),
    kind: z.string(),
    row_estimate: z.number().nullable(),
  }),
);

export const discoveryRun = defineTool({
  name: 'discovery_run',
  title: 'Discover a database',
  description:
    'Discover a database connection. Without `tables`: its tables with row estimates (a database of at ' +
    `most ${AUTO_DESCRIBE_TABLES} tables is described whole). With \`tables\`: their columns, types, keys and ` +
    'a few sample rows (secret-like columns masked). Results are cached; validate, bind_check and compile ' +
    'check SQL against them.',
  input: {
    connection: connectionArg,
    tables: z
      .array(z.string().min(1))
      .max(20)
      .optional()
      .describe('tables to describe (name or schema.name)'),
    samples: z.number().int().min(0).max(MAX_TOOL_SAMPLES).optional().describe('sample rows per table'),
    refresh: z.boolean().optional().describe('ignore the cache and read the database again'),
  },
  output: {
    connection: z.string(),
    family: z.string(),
    tables: discoveryTables,
    described: z.array(
      z.object({
        table: z.string(),
        primary_key: z.array(z.string()),
        columns: z.array(
          z.object({ name: z.string(), type: z.string(), duckdb_type: z.string(), nullable: z.boolean() }),
        ),
        sample_rows: z.array(jsonRow),
        masked_columns: z.array(z.string()),
      }),
    ),
    truncated: z.boolean(),
    cache: z.object({
      status: z.enum(['hit', 'partial', 'miss']),
      age_seconds: z.number(),
      ttl_seconds: z.number(),
    }),
  },
  readOnly: true,
  async execute(ctx, args) {
    const result = await discoverProgressive(ctx, args);
    return {
      connection: result.connection,
      family: result.family,
      tables: result.tables.map((t) => ({
        schema: t.schema,
        name: t.name,
        kind: t.kind,
        row_estimate: t.rowEstimate,
      })),
      described: result.described.map((t) => ({
        table: t.schema ? `${t.schema}.${t.name}` : t.name,
        primary_key: t.primaryKey,
        columns: t.columns.map((c) => ({
          name: c.name,
          type: c.sourceType,
          duckdb_type: c.duckdbType,
          nullable: c.nullable,
        })),
        sample_rows: t.samples,
        masked_columns: t.maskedColumns,
      })),
      truncated: result.truncated,
      cache: {
        status: result.cache.status,
        age_seconds: result.cache.ageSeconds,
        ttl_seconds: result.cache.ttlSeconds,
      },
    };
  },
});

export const query = defineTool({
  name: 'query',
  title: 'Read-only query',
  description:
    'Run one read-only SQL statement (SELECT/WITH/SHOW/DESCRIBE/EXPLAIN; anything that writes is refused ' +
    `before it reaches the database) and get at most ${MAX_QUERY_ROWS} rows, secret-like columns masked.`,
  input: {
    connection: connectionArg,
    sql: z.string().min(1).max(20_000),
    limit: z.number().int().min(1).max(MAX_QUERY_ROWS).optional().describe('rows to return (default 20)'),
  },
  output: {
    connection: z.string(),
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(jsonRow),
    truncated: z.boolean(),
    limit: z.number(),
    masked_columns: z.array(z.string()),
  },
  readOnly: true,
  async execute(ctx, args) {
    const { runReadOnlyQuery } = await import('../discovery/query.js');
    const result = await runReadOnlyQuery({
      ref: args.connection,
      project: ctx.project,
      env: ctx.env,
      registry: ctx.registry,
      cwd: ctx.cwd,
      ...(ctx.connections ? { connections: ctx.connections } : {}),
      sql: args.sql,
      limit: args.limit ?? 20,
    });
    return {
      connection: result.connection,
      columns: result.columns.map((c) => ({ name: c.name, type: c.sourceType })),
      rows: result.rows,
      truncated: result.truncated,
      limit: result.limit,
      masked_columns: result.maskedColumns,
    };
  },
});
